//! The rules, with no clock, no network and no `wasm-bindgen`: every function is handed `now`
//! (milliseconds since the Unix epoch) and HTTP responses, and answers with requests, waits or
//! results. Compiled and tested natively with a fake clock.

pub mod action_list;
pub mod audit;
pub mod auth;
pub mod callback;
pub mod client;
pub mod config;
pub mod cxone_signin;
pub mod definition;
mod definition_serde;
pub mod error;
pub mod http;
pub mod json;
pub mod invocation;
pub mod operation;
pub mod poll_schedule;
pub mod profile;
pub mod proxy;
pub mod record;
pub mod retry;
pub mod schema;
pub mod time;
pub mod token;
pub mod validate;

pub use client::{ClientCore, DefinitionSource};
pub use config::{ClientConfig, ConfigInput, PollPolicy, RetryPolicy, Secret};
pub use error::{DataActionsError, ErrorDetails, IssueKind, ValidationIssue};
pub use http::{HttpRequest, HttpResponse, Method, RequestPurpose, TransportFailure, TransportFailureKind};
pub use invocation::{InvocationResult, InvocationStatus, InvokeOperation, InvokeOptions, StatusEvent};
pub use operation::{Operation, Step};
pub use profile::Profile;
