//! One warm sync invocation through the sans-IO core, for the benchmarks (native criterion, and
//! wasm under Node through the JS bindings). Not part of the supported API.

use serde_json::{json, Value};

use crate::core::definition::ActionDefinition;
use crate::core::invocation::InvokeOptions;
use crate::core::operation::Step;
use crate::core::token::TokenRecord;
use crate::core::{ClientConfig, ClientCore, ConfigInput, DataActionsError, HttpResponse};

/// A warm core (token and definition cached) and the fixtures of a ten-input sync invocation.
pub struct SyncInvokeFixture {
    core: ClientCore,
    definition: ActionDefinition,
    inputs: Value,
    answer: HttpResponse,
}

impl SyncInvokeFixture {
    /// Builds the fixture.
    pub fn new() -> Result<Self, DataActionsError> {
        let config = ClientConfig::from_input(ConfigInput {
            base_url: Some("http://127.0.0.1:9797".into()),
            client_id: Some("bench".into()),
            client_secret: Some("bench-secret".into()),
            ..ConfigInput::default()
        })?;
        let mut core = ClientCore::new(config, 1);
        core.tokens.store(TokenRecord { access_token: "t".into(), expires_at_ms: u64::MAX, scope: None, obtained_at_ms: 0 });
        let definition: ActionDefinition = serde_json::from_value(json!({
            "id": "create-ticket",
            "inputs": [
                {"name": "subject", "type": "string", "required": true},
                {"name": "body", "type": "string", "required": true},
                {"name": "priority", "type": "integer", "required": true},
                {"name": "severity", "type": "number", "required": true},
                {"name": "urgent", "type": "boolean", "required": true},
                {"name": "tags", "type": "array", "required": true},
                {"name": "customer", "type": "object", "required": true},
                {"name": "channel", "type": "string"},
                {"name": "dueInDays", "type": "integer"},
                {"name": "notify", "type": "boolean"}
            ],
            "outputs": [{"name": "ticketId", "type": "string"}, {"name": "priority", "type": "integer"}, {"name": "accepted", "type": "boolean"}]
        }))
        .map_err(|e| DataActionsError::BadInput { message: e.to_string() })?;
        let inputs = json!({
            "subject": "Printer on fire", "body": "The printer on floor 3 is on fire again.", "priority": "2",
            "severity": "4.5", "urgent": "yes", "tags": ["hardware", "fire"], "customer": {"id": "c-42", "tier": "gold"},
            "channel": 7, "dueInDays": 3, "notify": "TRUE"
        });
        let answer = HttpResponse::json(200, &json!({"invokeId": "inv-1", "status": "completed", "outputs": {"ticketId": "T-1", "priority": "2", "accepted": "true"}}));
        Ok(SyncInvokeFixture { core, definition, inputs, answer })
    }

    /// One invocation: validate and coerce, build the request, parse the answer, hash the audit.
    /// Returns the audit line's length (so the work cannot be optimised away).
    pub fn run_once(&mut self, now_ms: u64) -> Result<usize, DataActionsError> {
        let mut operation = self.core.invoke_operation(&self.definition, &self.inputs, InvokeOptions::default(), now_ms)?;
        match operation.poll(now_ms) {
            Step::Send(_request) => {}
            _ => return Err(DataActionsError::BadInput { message: "expected a request".into() }),
        }
        operation.handle_response(Ok(self.answer.clone()), &mut self.core.governor, now_ms + 1);
        match operation.poll(now_ms + 1) {
            Step::Done(Ok(result)) => Ok(result.audit.map(|a| a.to_line().len()).unwrap_or(0)),
            Step::Done(Err(e)) => Err(e),
            _ => Err(DataActionsError::BadInput { message: "expected the result".into() }),
        }
    }
}
