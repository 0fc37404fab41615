//! What the benches share: a twenty-variable environment, as a typical run loads one.

use serde_json::Value;
use snapman::vars::{Scopes, VariableScope};

/// Twenty environment variables; the templating and request benches use ten of them.
const ENVIRONMENT: [(&str, &str); 20] = [
    ("baseUrl", "https://api.example.com"),
    ("version", "v2"),
    ("orgId", "00D5g000004Xk2PEAS"),
    ("locationId", "warehouse-0042"),
    ("limit", "50"),
    ("cursor", "eyJvZmZzZXQiOjEwMH0"),
    (
        "token",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyQGV4YW1wbGUuY29tIn0.c2lnbmF0dXJl",
    ),
    ("sku", "SKU-1234-RED-XL"),
    ("quantity", "3"),
    ("customerEmail", "ann@example.com"),
    ("clientId", "3MVG9client"),
    ("username", "integration@example.com"),
    ("loginUrl", "https://login.example.com"),
    ("shortCode", "kv7kzm78"),
    ("siteId", "RefArch"),
    ("currency", "USD"),
    ("locale", "en_US"),
    ("timeoutMs", "30000"),
    ("traceId", "7f3c1a9e-5b2d-4c8e-9a1f-0d6e2b4c8a7e"),
    ("retryCount", "2"),
];

/// Scopes whose environment holds [`ENVIRONMENT`].
pub fn scopes() -> Scopes {
    let mut environment = VariableScope::new();
    for (key, value) in ENVIRONMENT {
        environment.set(key, Value::String(value.to_owned()));
    }
    Scopes {
        environment,
        ..Scopes::default()
    }
}
