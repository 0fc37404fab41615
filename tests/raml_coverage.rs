//! Every operation of Salesforce's OCI RAML specs (tests/fixtures/oci-raml) is either served by
//! the emulator (listed `served` in docs/emulator.md and answered, not refused as an unknown
//! route) or listed there as `left out:` with a reason.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use reqwest::{Client, Method, StatusCode};
use snapman::emulator::oci::{AccessCheck, Denied, Grant, OciOptions, OciState, Scope, oci_router};
use snapman::emulator::start;

/// The three API files and the base path of each (`baseUri` with `{version}` = v1).
const APIS: [(&str, &str); 3] = [
    ("impex.raml", "/inventory/impex/v1"),
    ("inventory-availability.raml", "/inventory/availability/v1"),
    (
        "inventory-reservation-service.raml",
        "/inventory/reservation/v1",
    ),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `(METHOD, path)` of every operation in a RAML file: nested `/segment:` keys make the path,
/// a method key under them an operation.
fn operations(text: &str, base: &str) -> Vec<(String, String)> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut found = Vec::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        let Some(key) = trimmed.strip_suffix(':').or_else(|| {
            trimmed
                .split_once(':')
                .map(|(key, _)| key)
                .filter(|key| METHODS.contains(key))
        }) else {
            continue;
        };
        let is_resource = key.starts_with('/') && !key.contains(' ');
        let is_method = METHODS.contains(&key);
        if !is_resource && !is_method {
            continue;
        }
        while stack.last().is_some_and(|(depth, _)| *depth >= indent) {
            stack.pop();
        }
        if is_resource {
            stack.push((indent, key.to_owned()));
        } else {
            let path: String = stack.iter().map(|(_, segment)| segment.as_str()).collect();
            found.push((key.to_uppercase(), format!("{base}{path}")));
        }
    }
    found
}

/// The doc's table rows: `(METHOD, path)` -> status text.
fn documented(doc: &str) -> BTreeMap<(String, String), String> {
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            match cells.as_slice() {
                ["", method, path, _, status, ""] if path.starts_with("`/inventory") => Some((
                    (method.to_string(), path.trim_matches('`').to_owned()),
                    status.to_string(),
                )),
                _ => None,
            }
        })
        .collect()
}

struct AllScopes;

impl AccessCheck for AllScopes {
    fn check(&self, bearer: Option<&str>) -> Result<Grant, Denied> {
        bearer.ok_or(Denied::Missing).map(|_| Grant {
            scopes: Scope::ALL.iter().map(|s| s.org_name().to_owned()).collect(),
        })
    }
}

/// `path` with its `{parameters}` filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{organizationId}" => "org1",
            "{locationId}" => "Warehouse01",
            "{sku}" => "ID-PEM",
            s if s.starts_with('{') => "some-id",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_raml_operation_is_served_or_left_out_with_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/emulator.md")).expect("docs/emulator.md");
    let table = documented(&doc);
    let mut all = Vec::new();
    for (file, base) in APIS {
        let text = std::fs::read_to_string(root.join("tests/fixtures/oci-raml").join(file))
            .expect("RAML file");
        all.extend(operations(&text, base));
    }
    assert_eq!(all.len(), 42, "the three RAML files declare 42 operations");

    let state = OciState::new(Arc::new(AllScopes), OciOptions::default());
    let emulator = start("127.0.0.1:0", Some(oci_router(state)))
        .await
        .expect("emulator starts");
    let client = Client::new();
    let mut problems = Vec::new();
    for (method, path) in &all {
        let Some(status) = table.get(&(method.clone(), path.clone())) else {
            problems.push(format!("{method} {path}: not in docs/emulator.md"));
            continue;
        };
        if let Some(reason) = status.strip_prefix("left out:") {
            if reason.trim().is_empty() {
                problems.push(format!("{method} {path}: left out without a reason"));
            }
            continue;
        }
        if status != "served" {
            problems.push(format!("{method} {path}: status '{status}'"));
            continue;
        }
        let url = format!("{}{}", emulator.base_url(), concrete(path));
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let answer = client
            .request(method.clone(), &url)
            .bearer_auth("token")
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let code = answer.status();
        let text = answer.text().await.unwrap_or_default();
        let unrouted = code == StatusCode::METHOD_NOT_ALLOWED
            || (code == StatusCode::NOT_FOUND && text.contains("No resource matches"));
        if unrouted {
            problems.push(format!(
                "{method} {path}: documented as served, answered {code} {text}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_walker_finds_nested_operations() {
    let text = "/organizations/{o}:\n  /a:\n    post:\n      x: 1\n    /{id}:\n      get:\n  /b/c:\n    delete:\n";
    assert_eq!(
        operations(text, "/base"),
        vec![
            ("POST".to_owned(), "/base/organizations/{o}/a".to_owned()),
            (
                "GET".to_owned(),
                "/base/organizations/{o}/a/{id}".to_owned()
            ),
            (
                "DELETE".to_owned(),
                "/base/organizations/{o}/b/c".to_owned()
            ),
        ]
    );
}
