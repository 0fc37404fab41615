//! The `{{variable}}` templater never panics, for any template and any variable values
//! (the first line of the input is the template, the rest `name=value` lines).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use snapman::vars::{Scopes, VariableScope};

fuzz_target!(|text: &str| {
    let mut lines = text.lines();
    let template = lines.next().unwrap_or_default();
    let mut environment = VariableScope::default();
    for line in lines {
        if let Some((k, v)) = line.split_once('=') {
            environment.set(k, Value::String(v.to_string()));
        }
    }
    let scopes = Scopes {
        environment,
        ..Scopes::default()
    };
    let _ = scopes.resolve(template);
});
