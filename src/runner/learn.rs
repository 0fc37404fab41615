//! After every request, what the run saw teaches the redactor new secrets: secret-named fields
//! of the request and response (URL query, headers, JSON and form bodies) and secret-named or
//! `secret`-typed variables the scripts set. Outputs written later mask them wherever they
//! appear.

use serde_json::Value;

use crate::runner::summary::Execution;
use crate::secret::Redactor;
use crate::vars::{Scopes, VariableScope};

/// Bodies larger than this are not parsed for secret fields (token responses are small).
const LEARN_BODY_LIMIT: usize = 4 << 20;

/// Learns the secrets of one finished execution and of the scopes after it.
pub fn learn_execution(redactor: &Redactor, execution: &Execution, scopes: &Scopes) {
    if let Some(request) = &execution.request {
        redactor.learn_url(&request.url);
        redactor.learn_headers(
            request
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if let Some(body) = request
            .body
            .as_deref()
            .filter(|b| b.len() <= LEARN_BODY_LIMIT)
        {
            redactor.learn_body(body);
        }
    }
    if let Some(response) = &execution.response {
        redactor.learn_headers(
            response
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if response.body.len() <= LEARN_BODY_LIMIT {
            redactor.learn_body(&response.body);
        }
    }
    learn_scopes(redactor, scopes);
}

/// Learns secret-named and `secret`-typed variables of every scope, and secret-named data columns.
pub fn learn_scopes(redactor: &Redactor, scopes: &Scopes) {
    for scope in [
        &scopes.globals,
        &scopes.collection,
        &scopes.environment,
        &scopes.local,
    ] {
        learn_scope(redactor, scope);
    }
    learn_row(redactor, &scopes.data);
}

/// Learns the secret-named columns of one iteration data row.
pub fn learn_row(redactor: &Redactor, row: &serde_json::Map<String, Value>) {
    for (k, v) in row {
        if redactor.is_secret_name(k) {
            match v {
                Value::String(s) => redactor.add_learned(s),
                Value::Number(n) => redactor.add_learned(&n.to_string()),
                _ => {}
            }
        }
    }
}

/// Learns one scope's secret variables.
pub fn learn_scope(redactor: &Redactor, scope: &VariableScope) {
    for var in &scope.values {
        let secret_type = var.kind.as_deref() == Some("secret");
        let secret_name = var
            .key
            .as_deref()
            .is_some_and(|k| redactor.is_secret_name(k));
        match &var.value {
            Some(v) if secret_type => learn_value(redactor, v),
            Some(Value::String(s)) if secret_name => redactor.add_learned(s),
            Some(Value::Number(n)) if secret_name => redactor.add_learned(&n.to_string()),
            _ => {}
        }
    }
}

fn learn_value(redactor: &Redactor, value: &Value) {
    match value {
        Value::String(s) => redactor.add(s),
        Value::Number(n) => redactor.add(&n.to_string()),
        _ => {}
    }
}
