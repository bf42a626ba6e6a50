//! The catalogue of data actions: definitions, strict input validation and the scripts
//! that decide how each invocation behaves.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::errors::ErrorItem;

/// Longest run an action may be scripted for (and the cap on `export-report`'s `durationMs`).
pub const MAX_DURATION_MS: u64 = 60_000;

/// genesys-cloud: the execute timeout of an action that sets none, and the largest one
/// (`ActionConfig.timeoutSeconds` is 1-60).
pub const MAX_TIMEOUT_SECONDS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sync,
    Async,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
            ParamType::Array => "array",
            ParamType::Object => "object",
        }
    }

    /// Strict check, no coercion: `"42"` is not an integer, `1.5` is not an integer,
    /// `42` and `42.0` are (a JSON number with no fractional part).
    pub fn matches(self, value: &Value) -> bool {
        match self {
            ParamType::String => value.is_string(),
            ParamType::Number => value.is_number(),
            ParamType::Integer => is_integer(value),
            ParamType::Boolean => value.is_boolean(),
            ParamType::Array => value.is_array(),
            ParamType::Object => value.is_object(),
        }
    }
}

fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

/// The JSON kind of a value, for error messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number with a fractional part",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDef {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ParamType,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputDef {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ParamType,
}

/// How an invocation ends once its duration has elapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Completed,
    Failed,
    Cancelled,
    /// Stays `running` forever.
    Never,
}

/// What the outputs of a completed invocation are.
#[derive(Debug, Clone, PartialEq)]
pub enum Producer {
    /// Deterministic customer record from `customerId`.
    LookupCustomer,
    /// A ticket id and the echoed priority.
    CreateTicket,
    /// A row count derived from `reportName` and a download URL.
    ExportReport,
    /// Fixed outputs from a catalogue file.
    Static(Map<String, Value>),
}

impl Producer {
    pub fn produce(&self, invoke_id: &str, inputs: &Map<String, Value>) -> Map<String, Value> {
        let text = |name: &str| inputs.get(name).and_then(Value::as_str).unwrap_or("");
        let value = match self {
            Producer::Static(outputs) => return outputs.clone(),
            Producer::LookupCustomer => {
                let id = text("customerId");
                let hash = fnv1a(id.as_bytes());
                let tier = ["bronze", "silver", "gold", "platinum"][(hash % 4) as usize];
                json!({
                    "customerId": id,
                    "name": format!("Customer {id}"),
                    "tier": tier,
                    "balance": (hash % 1_000_000) as f64 / 100.0,
                    "openTickets": (hash >> 20) % 8,
                    "vip": tier == "platinum",
                })
            }
            Producer::CreateTicket => json!({
                "ticketId": format!("TCK-{:08X}", fnv1a(invoke_id.as_bytes()) as u32),
                "priority": inputs.get("priority").cloned().unwrap_or(Value::Null),
                "accepted": true,
            }),
            Producer::ExportReport => json!({
                "rowCount": fnv1a(text("reportName").as_bytes()) % 100_000,
                "url": format!("https://reports.example.com/exports/{invoke_id}.csv"),
            }),
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

/// 64-bit FNV-1a: a stable hash so outputs are the same on every run and platform.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The behaviour of an action.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// How long an invocation runs (sync: the answer is delayed by it).
    pub duration_ms: u64,
    /// An integer input that overrides `duration_ms` when given (capped at [`MAX_DURATION_MS`]).
    pub duration_input: Option<String>,
    pub outcome: Outcome,
    pub producer: Producer,
    /// The errors of a failed invocation.
    pub errors: Vec<ErrorItem>,
}

impl Script {
    /// The run time of one invocation with these inputs.
    pub fn duration(&self, inputs: &Map<String, Value>) -> Duration {
        let requested = self
            .duration_input
            .as_deref()
            .and_then(|name| inputs.get(name))
            .and_then(Value::as_f64)
            .map(|ms| ms.clamp(0.0, MAX_DURATION_MS as f64) as u64);
        Duration::from_millis(requested.unwrap_or(self.duration_ms))
    }
}

/// The public part of a definition, as `GET /api/v2/data-actions/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct Definition<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub mode: Mode,
    pub inputs: &'a [InputDef],
    pub outputs: &'a [OutputDef],
}

/// One data action.
#[derive(Debug, Clone)]
pub struct Action {
    pub id: String,
    pub name: String,
    pub description: String,
    pub mode: Mode,
    pub inputs: Vec<InputDef>,
    pub outputs: Vec<OutputDef>,
    /// When set, the definition and invoke answer 403 FORBIDDEN naming this role.
    pub requires_role: Option<String>,
    /// When set, the first `rateLimitedFirst` invokes answer 429.
    pub rate_limited: bool,
    pub script: Script,
    pub version: u64,
    /// genesys-cloud: `config.timeoutSeconds` (1-60); an execute that runs longer fails.
    pub timeout_seconds: u64,
    etag: HeaderValue,
    definition_body: Bytes,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("catalogue must be a JSON array of actions or an object {{\"replaceBuiltins\":bool,\"actions\":[...]}}")]
    Shape,
    #[error("action {index}: {source}")]
    Entry {
        index: usize,
        source: serde_json::Error,
    },
    #[error("action {id:?}: {message}")]
    Invalid { id: String, message: String },
    #[error("cannot read catalogue file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn invalid(id: &str, message: impl Into<String>) -> CatalogueError {
    CatalogueError::Invalid {
        id: id.to_owned(),
        message: message.into(),
    }
}

/// An action as it is declared, before the derived parts are computed.
pub struct ActionSpec {
    pub id: String,
    pub name: String,
    pub description: String,
    pub mode: Mode,
    /// The mode its definition shows, when it lies about `mode` (an upstream misbehaving on
    /// demand: a definition that says `sync` for an action that answers 202).
    pub advertised_mode: Option<Mode>,
    pub inputs: Vec<InputDef>,
    pub outputs: Vec<OutputDef>,
    pub requires_role: Option<String>,
    pub rate_limited: bool,
    pub script: Script,
    pub version: u64,
    /// genesys-cloud: the execute timeout (default 60 s).
    pub timeout_seconds: Option<u64>,
}

impl Action {
    /// Checks a spec and precomputes its definition body and ETag.
    pub fn new(spec: ActionSpec) -> Result<Self, CatalogueError> {
        let id = spec.id.as_str();
        let id_ok = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        if !id_ok {
            return Err(invalid(
                id,
                "id must be 1-128 characters of A-Z a-z 0-9 - _ . ~",
            ));
        }
        for (i, input) in spec.inputs.iter().enumerate() {
            if input.name.is_empty()
                || spec.inputs[..i]
                    .iter()
                    .any(|other| other.name == input.name)
            {
                return Err(invalid(
                    id,
                    format!("input name {:?} is empty or repeated", input.name),
                ));
            }
        }
        for (i, output) in spec.outputs.iter().enumerate() {
            if output.name.is_empty()
                || spec.outputs[..i]
                    .iter()
                    .any(|other| other.name == output.name)
            {
                return Err(invalid(
                    id,
                    format!("output name {:?} is empty or repeated", output.name),
                ));
            }
        }
        if spec.mode == Mode::Sync
            && matches!(spec.script.outcome, Outcome::Cancelled | Outcome::Never)
        {
            return Err(invalid(
                id,
                "a sync action can only end completed or failed",
            ));
        }
        if spec.script.duration_ms > MAX_DURATION_MS {
            return Err(invalid(
                id,
                format!("durationMs is capped at {MAX_DURATION_MS}"),
            ));
        }
        if let Some(name) = &spec.script.duration_input {
            if !spec
                .inputs
                .iter()
                .any(|i| &i.name == name && i.ty == ParamType::Integer)
            {
                return Err(invalid(
                    id,
                    format!("duration input {name:?} must be a declared integer input"),
                ));
            }
        }
        if let Producer::Static(outputs) = &spec.script.producer {
            for (name, value) in outputs {
                match spec.outputs.iter().find(|o| &o.name == name) {
                    None => {
                        return Err(invalid(
                            id,
                            format!("script output {name:?} is not a declared output"),
                        ))
                    }
                    Some(o) if !o.ty.matches(value) => {
                        return Err(invalid(
                            id,
                            format!("script output {name:?} is not of type {}", o.ty.as_str()),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        let timeout_seconds = spec.timeout_seconds.unwrap_or(MAX_TIMEOUT_SECONDS);
        if !(1..=MAX_TIMEOUT_SECONDS).contains(&timeout_seconds) {
            return Err(invalid(
                id,
                format!("timeoutSeconds must be from 1 to {MAX_TIMEOUT_SECONDS}"),
            ));
        }
        let etag = HeaderValue::from_str(&format!("\"v{}-{}\"", spec.version, spec.id))
            .map_err(|_| invalid(id, "id cannot be used in an ETag"))?;
        let definition = Definition {
            id: &spec.id,
            name: &spec.name,
            description: &spec.description,
            mode: spec.advertised_mode.unwrap_or(spec.mode),
            inputs: &spec.inputs,
            outputs: &spec.outputs,
        };
        let definition_body = Bytes::from(serde_json::to_vec(&definition)?);
        Ok(Self {
            id: spec.id,
            name: spec.name,
            description: spec.description,
            mode: spec.mode,
            inputs: spec.inputs,
            outputs: spec.outputs,
            requires_role: spec.requires_role,
            rate_limited: spec.rate_limited,
            script: spec.script,
            version: spec.version,
            timeout_seconds,
            etag,
            definition_body,
        })
    }

    /// The strong ETag of the definition, e.g. `"v1-lookup-customer"`.
    pub fn etag(&self) -> &HeaderValue {
        &self.etag
    }

    /// The serialised definition.
    pub fn definition_body(&self) -> Bytes {
        self.definition_body.clone()
    }

    /// The names in `inputs` the action does not declare, in name order.
    pub fn unknown_inputs<'a>(&self, inputs: &'a Map<String, Value>) -> Vec<&'a String> {
        let mut unknown: Vec<&String> = inputs
            .keys()
            .filter(|key| !self.inputs.iter().any(|def| &def.name == *key))
            .collect();
        unknown.sort();
        unknown
    }

    /// Every problem with `inputs`, in a stable order: declared parameters first (missing or
    /// mistyped, in declaration order), then unknown ones (in name order).
    pub fn validate_inputs(&self, inputs: &Map<String, Value>) -> Vec<ErrorItem> {
        let mut problems = Vec::new();
        for def in &self.inputs {
            match inputs.get(&def.name) {
                None if def.required => problems.push(
                    ErrorItem::new(
                        "MISSING_REQUIRED",
                        format!(
                            "missing required parameter {} ({})",
                            def.name,
                            def.ty.as_str()
                        ),
                    )
                    .with_parameter(&def.name),
                ),
                Some(value) if !def.ty.matches(value) => problems.push(
                    ErrorItem::new(
                        "TYPE_MISMATCH",
                        format!(
                            "parameter {} must be {}, got {}",
                            def.name,
                            def.ty.as_str(),
                            kind_of(value)
                        ),
                    )
                    .with_parameter(&def.name),
                ),
                _ => {}
            }
        }
        for key in self.unknown_inputs(inputs) {
            problems.push(
                ErrorItem::new("UNKNOWN_PARAMETER", format!("unknown parameter {key}"))
                    .with_parameter(key.as_str()),
            );
        }
        problems
    }
}

/// The set of actions the emulator serves.
#[derive(Debug, Clone)]
pub struct Catalogue {
    actions: HashMap<String, Arc<Action>>,
    order: Vec<String>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Self::builtin()
    }
}

fn input(name: &str, ty: ParamType, required: bool) -> InputDef {
    InputDef {
        name: name.to_owned(),
        ty,
        required,
    }
}

fn output(name: &str, ty: ParamType) -> OutputDef {
    OutputDef {
        name: name.to_owned(),
        ty,
    }
}

fn customer_outputs() -> Vec<OutputDef> {
    use ParamType::*;
    vec![
        output("customerId", String),
        output("name", String),
        output("tier", String),
        output("balance", Number),
        output("openTickets", Integer),
        output("vip", Boolean),
    ]
}

fn customer_inputs() -> Vec<InputDef> {
    use ParamType::*;
    vec![
        input("customerId", String, true),
        input("includeHistory", Boolean, false),
        input("maxResults", Integer, false),
    ]
}

fn report_outputs() -> Vec<OutputDef> {
    vec![
        output("rowCount", ParamType::Integer),
        output("url", ParamType::String),
    ]
}

fn script(duration_ms: u64, outcome: Outcome, producer: Producer) -> Script {
    Script {
        duration_ms,
        duration_input: None,
        outcome,
        producer,
        errors: Vec::new(),
    }
}

fn spec(id: &str, name: &str, description: &str, mode: Mode, script: Script) -> ActionSpec {
    ActionSpec {
        id: id.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        mode,
        advertised_mode: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        requires_role: None,
        rate_limited: false,
        script,
        version: 1,
        timeout_seconds: None,
    }
}

fn builtin_specs() -> Vec<ActionSpec> {
    use ParamType::*;
    let mut specs = Vec::new();

    let mut s = spec(
        "lookup-customer",
        "Lookup customer",
        "Fetches a customer record from the CRM by id.",
        Mode::Sync,
        script(0, Outcome::Completed, Producer::LookupCustomer),
    );
    s.inputs = customer_inputs();
    s.outputs = customer_outputs();
    specs.push(s);

    let mut s = spec(
        "create-ticket",
        "Create ticket",
        "Opens a support ticket (ten inputs, for benchmarks).",
        Mode::Sync,
        script(0, Outcome::Completed, Producer::CreateTicket),
    );
    s.inputs = vec![
        input("subject", String, true),
        input("body", String, true),
        input("priority", Integer, true),
        input("severity", Number, true),
        input("urgent", Boolean, true),
        input("tags", Array, true),
        input("customer", Object, true),
        input("channel", String, false),
        input("dueInDays", Integer, false),
        input("notify", Boolean, false),
    ];
    s.outputs = vec![
        output("ticketId", String),
        output("priority", Integer),
        output("accepted", Boolean),
    ];
    specs.push(s);

    let mut s = spec(
        "export-report",
        "Export report",
        "Exports a report asynchronously; completes after durationMs (default 1500, cap 60000).",
        Mode::Async,
        Script {
            duration_ms: 1500,
            duration_input: Some("durationMs".to_owned()),
            outcome: Outcome::Completed,
            producer: Producer::ExportReport,
            errors: Vec::new(),
        },
    );
    s.inputs = vec![
        input("reportName", String, true),
        input("durationMs", Integer, false),
    ];
    s.outputs = report_outputs();
    s.timeout_seconds = Some(2);
    specs.push(s);

    let mut s = spec(
        "sync-fails",
        "Sync fails",
        "A sync action whose downstream CRM always answers 500.",
        Mode::Sync,
        Script {
            errors: vec![ErrorItem::new("DOWNSTREAM_ERROR", "CRM returned 500")],
            ..script(0, Outcome::Failed, Producer::LookupCustomer)
        },
    );
    s.inputs = vec![input("customerId", String, true)];
    s.outputs = customer_outputs();
    specs.push(s);

    let mut s = spec(
        "async-fails",
        "Async fails",
        "An async action that ends failed after 300 ms.",
        Mode::Async,
        Script {
            errors: vec![ErrorItem::new(
                "EXECUTION_FAILED",
                "the report backend rejected the export",
            )],
            ..script(300, Outcome::Failed, Producer::ExportReport)
        },
    );
    s.inputs = vec![input("reportName", String, false)];
    s.outputs = report_outputs();
    specs.push(s);

    let mut s = spec(
        "async-cancelled",
        "Async cancelled",
        "An async action that the downstream cancels after 300 ms.",
        Mode::Async,
        script(300, Outcome::Cancelled, Producer::ExportReport),
    );
    s.inputs = vec![input("reportName", String, false)];
    s.outputs = report_outputs();
    specs.push(s);

    let mut s = spec(
        "never-finishes",
        "Never finishes",
        "An async action that stays running forever (cancel it with DELETE).",
        Mode::Async,
        script(0, Outcome::Never, Producer::ExportReport),
    );
    s.inputs = vec![input("reportName", String, false)];
    s.outputs = report_outputs();
    s.timeout_seconds = Some(1);
    specs.push(s);

    let mut s = spec(
        "rate-limited",
        "Rate limited lookup",
        "Like lookup-customer, but the first rateLimitedFirst invokes answer 429.",
        Mode::Sync,
        script(0, Outcome::Completed, Producer::LookupCustomer),
    );
    s.inputs = customer_inputs();
    s.outputs = customer_outputs();
    s.rate_limited = true;
    specs.push(s);

    let mut s = spec(
        "restricted",
        "Restricted",
        "Requires a role the emulator's client never has.",
        Mode::Sync,
        script(0, Outcome::Completed, Producer::LookupCustomer),
    );
    s.inputs = vec![input("customerId", String, false)];
    s.outputs = customer_outputs();
    s.requires_role = Some("DataActionsAdmin".to_owned());
    specs.push(s);

    specs
}

/// An action as a catalogue file declares it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileAction {
    id: String,
    name: Option<String>,
    #[serde(default)]
    description: String,
    mode: Option<Mode>,
    advertised_mode: Option<Mode>,
    #[serde(default)]
    inputs: Vec<InputDef>,
    #[serde(default)]
    outputs: Vec<OutputDef>,
    script: Option<FileScript>,
    requires_role: Option<String>,
    #[serde(default)]
    rate_limited: bool,
    version: Option<u64>,
    /// genesys-cloud: the execute timeout, 1-60 s.
    timeout_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileScript {
    mode: Option<Mode>,
    duration_ms: Option<u64>,
    outcome: Option<Outcome>,
    #[serde(default)]
    outputs: Map<String, Value>,
    errors: Option<Vec<ErrorItem>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileCatalogue {
    #[serde(default)]
    replace_builtins: bool,
    actions: Vec<Value>,
}

impl FileAction {
    fn into_spec(self) -> Result<ActionSpec, CatalogueError> {
        let script = self.script.unwrap_or(FileScript {
            mode: None,
            duration_ms: None,
            outcome: None,
            outputs: Map::new(),
            errors: None,
        });
        let mode = match (self.mode, script.mode) {
            (Some(a), Some(b)) if a != b => {
                return Err(invalid(&self.id, "mode and script.mode disagree"))
            }
            (Some(mode), _) | (None, Some(mode)) => mode,
            (None, None) => return Err(invalid(&self.id, "mode (sync or async) is required")),
        };
        let outcome = script.outcome.unwrap_or(Outcome::Completed);
        let errors = match (script.errors, outcome, mode) {
            (Some(errors), _, _) => errors,
            (None, Outcome::Failed, Mode::Sync) => {
                vec![ErrorItem::new("DOWNSTREAM_ERROR", "CRM returned 500")]
            }
            (None, Outcome::Failed, Mode::Async) => {
                vec![ErrorItem::new("EXECUTION_FAILED", "the data action failed")]
            }
            (None, _, _) => Vec::new(),
        };
        let default_duration = if mode == Mode::Async { 1000 } else { 0 };
        Ok(ActionSpec {
            name: self.name.unwrap_or_else(|| self.id.clone()),
            id: self.id,
            description: self.description,
            mode,
            advertised_mode: self.advertised_mode,
            inputs: self.inputs,
            outputs: self.outputs,
            requires_role: self.requires_role,
            rate_limited: self.rate_limited,
            script: Script {
                duration_ms: script.duration_ms.unwrap_or(default_duration),
                duration_input: None,
                outcome,
                producer: Producer::Static(script.outputs),
                errors,
            },
            version: self.version.unwrap_or(1),
            timeout_seconds: self.timeout_seconds,
        })
    }
}

impl Catalogue {
    /// The built-in actions (their ids are a contract).
    pub fn builtin() -> Self {
        let mut catalogue = Self {
            actions: HashMap::new(),
            order: Vec::new(),
        };
        for spec in builtin_specs() {
            match Action::new(spec) {
                Ok(action) => catalogue.insert(action),
                // The built-in specs are fixed and covered by tests; a bad one is skipped rather
                // than taking the server down.
                Err(e) => eprintln!("cxone-emulator: skipping built-in action: {e}"),
            }
        }
        catalogue
    }

    /// An empty catalogue.
    pub fn empty() -> Self {
        Self {
            actions: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Adds or replaces an action.
    pub fn insert(&mut self, action: Action) {
        if !self.actions.contains_key(&action.id) {
            self.order.push(action.id.clone());
        }
        self.actions.insert(action.id.clone(), Arc::new(action));
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Action>> {
        self.actions.get(id)
    }

    /// Action ids in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Applies a catalogue file to this catalogue: entries with a known id replace it, others
    /// are added; `{"replaceBuiltins":true,...}` starts from an empty catalogue instead.
    pub fn extend_from_json(self, text: &str) -> Result<Self, CatalogueError> {
        let value: Value = serde_json::from_str(text)?;
        let (replace, entries) = match value {
            Value::Array(entries) => (false, entries),
            Value::Object(_) => {
                let file: FileCatalogue =
                    serde_json::from_value(value).map_err(|_| CatalogueError::Shape)?;
                (file.replace_builtins, file.actions)
            }
            _ => return Err(CatalogueError::Shape),
        };
        let mut catalogue = if replace { Self::empty() } else { self };
        for (index, entry) in entries.into_iter().enumerate() {
            let file_action: FileAction = serde_json::from_value(entry)
                .map_err(|source| CatalogueError::Entry { index, source })?;
            catalogue.insert(Action::new(file_action.into_spec()?)?);
        }
        Ok(catalogue)
    }

    /// Reads a catalogue file and applies it to this catalogue.
    pub fn extend_from_file(self, path: &std::path::Path) -> Result<Self, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.extend_from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn builtins_are_all_present() {
        let catalogue = Catalogue::builtin();
        let ids: Vec<&str> = catalogue.ids().collect();
        assert_eq!(
            ids,
            [
                "lookup-customer",
                "create-ticket",
                "export-report",
                "sync-fails",
                "async-fails",
                "async-cancelled",
                "never-finishes",
                "rate-limited",
                "restricted"
            ]
        );
        assert_eq!(
            catalogue.get("create-ticket").map(|a| a.inputs.len()),
            Some(10)
        );
    }

    #[test]
    fn integer_is_strict() {
        assert!(ParamType::Integer.matches(&json!(42)));
        assert!(ParamType::Integer.matches(&json!(-3)));
        assert!(ParamType::Integer.matches(&json!(42.0)));
        assert!(!ParamType::Integer.matches(&json!(42.5)));
        assert!(!ParamType::Integer.matches(&json!("42")));
        assert!(ParamType::Number.matches(&json!(42)));
        assert!(!ParamType::Number.matches(&json!("4.2")));
        assert!(!ParamType::Boolean.matches(&json!("true")));
        assert!(!ParamType::Array.matches(&json!({})));
        assert!(!ParamType::Object.matches(&json!([])));
        assert!(!ParamType::String.matches(&Value::Null));
    }

    #[test]
    fn validation_reports_every_problem_in_order() {
        let catalogue = Catalogue::builtin();
        let Some(action) = catalogue.get("lookup-customer") else {
            panic!("missing")
        };
        let problems =
            action.validate_inputs(&obj(json!({"maxResults": "10", "zeta": 1, "alpha": true})));
        let codes: Vec<(&str, Option<&str>)> = problems
            .iter()
            .map(|p| (p.code.as_str(), p.parameter.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("MISSING_REQUIRED", Some("customerId")),
                ("TYPE_MISMATCH", Some("maxResults")),
                ("UNKNOWN_PARAMETER", Some("alpha")),
                ("UNKNOWN_PARAMETER", Some("zeta")),
            ]
        );
        assert!(action
            .validate_inputs(&obj(json!({"customerId": "C1", "maxResults": 3})))
            .is_empty());
    }

    #[test]
    fn lookup_outputs_are_deterministic_and_typed() {
        let catalogue = Catalogue::builtin();
        let Some(action) = catalogue.get("lookup-customer") else {
            panic!("missing")
        };
        let inputs = obj(json!({"customerId": "C-42"}));
        let a = action.script.producer.produce("inv_1", &inputs);
        let b = action.script.producer.produce("inv_2", &inputs);
        assert_eq!(a, b);
        assert_eq!(a["name"], "Customer C-42");
        for def in &action.outputs {
            assert!(
                def.ty.matches(&a[&def.name]),
                "{} has the wrong type",
                def.name
            );
        }
    }

    #[test]
    fn export_duration_is_capped() {
        let catalogue = Catalogue::builtin();
        let Some(action) = catalogue.get("export-report") else {
            panic!("missing")
        };
        assert_eq!(
            action.script.duration(&Map::new()),
            Duration::from_millis(1500)
        );
        assert_eq!(
            action.script.duration(&obj(json!({"durationMs": 10}))),
            Duration::from_millis(10)
        );
        assert_eq!(
            action.script.duration(&obj(json!({"durationMs": 999_999}))),
            Duration::from_millis(60_000)
        );
    }

    #[test]
    fn an_advertised_mode_is_what_the_definition_shows() {
        let file =
            r#"[{"id":"liar","mode":"async","advertisedMode":"sync","script":{"durationMs":100}}]"#;
        let catalogue = match Catalogue::builtin().extend_from_json(file) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let liar = catalogue.get("liar").expect("added");
        assert_eq!(liar.mode, Mode::Async, "it runs asynchronously");
        let definition: Value = serde_json::from_slice(&liar.definition_body()).expect("json");
        assert_eq!(definition["mode"], "sync", "its definition says sync");
    }

    #[test]
    fn catalogue_file_extends_and_replaces() {
        let file = r#"[
            {"id":"lookup-customer","mode":"sync","inputs":[{"name":"q","type":"string","required":true}],
             "outputs":[{"name":"hits","type":"integer"}],"script":{"outputs":{"hits":3}},"version":2},
            {"id":"slow","script":{"mode":"async","durationMs":50,"outcome":"failed"}}
        ]"#;
        let catalogue = match Catalogue::builtin().extend_from_json(file) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(catalogue.len(), 10);
        let Some(lookup) = catalogue.get("lookup-customer") else {
            panic!("missing")
        };
        assert_eq!(lookup.etag().to_str().ok(), Some("\"v2-lookup-customer\""));
        assert_eq!(lookup.script.producer.produce("x", &Map::new())["hits"], 3);
        let Some(slow) = catalogue.get("slow") else {
            panic!("missing")
        };
        assert_eq!(slow.mode, Mode::Async);
        assert_eq!(slow.script.errors[0].code, "EXECUTION_FAILED");

        let replaced = Catalogue::builtin().extend_from_json(
            r#"{"replaceBuiltins":true,"actions":[{"id":"only","mode":"sync"}]}"#,
        );
        assert_eq!(
            replaced
                .map(|c| c.ids().map(str::to_owned).collect::<Vec<_>>())
                .ok(),
            Some(vec!["only".into()])
        );
    }

    #[test]
    fn timeouts_default_to_sixty_seconds() {
        let catalogue = Catalogue::builtin()
            .extend_from_json(r#"[{"id":"quick","mode":"sync","timeoutSeconds":5}]"#)
            .expect("valid");
        let timeout = |id: &str| catalogue.get(id).map(|a| a.timeout_seconds);
        assert_eq!(timeout("quick"), Some(5));
        assert_eq!(timeout("lookup-customer"), Some(MAX_TIMEOUT_SECONDS));
        assert_eq!(timeout("never-finishes"), Some(1));
        assert_eq!(timeout("export-report"), Some(2));
    }

    #[test]
    fn catalogue_file_errors_are_reported() {
        let bad = [
            r#"{"id":"x"}"#,
            r#"[{"id":"x"}]"#,
            r#"[{"id":"x","mode":"sync","script":{"outcome":"never"}}]"#,
            r#"[{"id":"x y","mode":"sync"}]"#,
            r#"[{"id":"x","mode":"sync","outputs":[{"name":"n","type":"integer"}],"script":{"outputs":{"n":"1"}}}]"#,
            r#"[{"id":"x","mode":"sync","colour":"red"}]"#,
            r#"[{"id":"x","mode":"sync","script":{"mode":"async"}}]"#,
            r#"[{"id":"x","mode":"sync","timeoutSeconds":0}]"#,
            r#"[{"id":"x","mode":"sync","timeoutSeconds":61}]"#,
        ];
        for text in bad {
            assert!(
                Catalogue::builtin().extend_from_json(text).is_err(),
                "{text} was accepted"
            );
        }
    }
}
