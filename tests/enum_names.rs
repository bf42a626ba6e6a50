//! The JSON names of the core's unit enums: each is written by a derived `Serialize` and read by
//! `core::json::unit_variant` from a list of names (and some have `as_str`/`from_name` too), so
//! every variant is written and read back here, through every spelling of its name. The matches
//! are exhaustive: a new variant does not compile here until it is listed.

use cxone_data_actions::core::definition::ParamType;
use cxone_data_actions::core::record::{CompletionSource, RecordStatus};
use cxone_data_actions::core::IssueKind;
use serde_json::Value;

fn written(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value).unwrap() {
        Value::String(name) => name,
        other => panic!("not a name: {other}"),
    }
}

#[test]
fn record_statuses_are_written_and_read_by_one_name() {
    for (i, status) in RecordStatus::ALL.into_iter().enumerate() {
        match status {
            RecordStatus::Pending | RecordStatus::Completed | RecordStatus::Failed | RecordStatus::Cancelled | RecordStatus::TimedOut => {}
        }
        let name = written(status);
        assert_eq!(name, status.as_str());
        assert_eq!(name, RecordStatus::NAMES[i]);
        assert_eq!(serde_json::from_value::<RecordStatus>(Value::String(name.clone())).unwrap(), status);
        assert_eq!(serde_json::from_str::<RecordStatus>(&format!("\"{name}\"")).unwrap(), status);
    }
    assert_eq!(RecordStatus::ALL.len(), 5);
}

#[test]
fn completion_sources_are_written_and_read_by_one_name() {
    for source in [CompletionSource::Invoke, CompletionSource::Poll, CompletionSource::Callback, CompletionSource::Deadline] {
        match source {
            CompletionSource::Invoke | CompletionSource::Poll | CompletionSource::Callback | CompletionSource::Deadline => {}
        }
        let name = written(source);
        assert_eq!(serde_json::from_str::<CompletionSource>(&format!("\"{name}\"")).unwrap(), source);
    }
}

#[test]
fn issue_kinds_are_written_and_read_by_one_name() {
    for (i, kind) in IssueKind::ALL.into_iter().enumerate() {
        match kind {
            IssueKind::MissingRequired | IssueKind::UnknownParameter | IssueKind::WrongType | IssueKind::OutOfRange | IssueKind::NotInEnum => {}
        }
        let name = written(kind);
        assert_eq!(name, IssueKind::NAMES[i]);
        assert_eq!(IssueKind::from_name(&name), Some(kind));
        assert_eq!(serde_json::from_str::<IssueKind>(&format!("\"{name}\"")).unwrap(), kind);
    }
    assert_eq!(IssueKind::from_name("no_such_kind"), None);
}

#[test]
fn param_types_are_written_and_read_by_one_name() {
    let all = [
        ParamType::String,
        ParamType::Number,
        ParamType::Integer,
        ParamType::Boolean,
        ParamType::Array,
        ParamType::Object,
        ParamType::Unknown,
    ];
    for param_type in all {
        match param_type {
            ParamType::String
            | ParamType::Number
            | ParamType::Integer
            | ParamType::Boolean
            | ParamType::Array
            | ParamType::Object
            | ParamType::Unknown => {}
        }
        let name = written(param_type);
        assert_eq!(name, param_type.as_str());
        assert_eq!(ParamType::from_name(&name), param_type);
        assert_eq!(serde_json::from_str::<ParamType>(&format!("\"{name}\"")).unwrap(), param_type);
    }
    assert_eq!(ParamType::from_name("date"), ParamType::Unknown);
}
