//! Building one request from a collection item without sending it: variables resolved in the
//! request and its auth (`runner::run::resolved`), the spec built (`http::build::build`) and
//! bearer auth applied (`auth::postman::apply`), as the runner does before every send; and the
//! last two steps alone, on an item already resolved.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use snapman::auth::postman;
use snapman::collection::model::Request;
use snapman::http::build::build;
use snapman::http::spec::{ProtocolSettings, RequestSpec};
use snapman::runner::run::resolved;

mod support;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A POST as the Postman app exports it: URL parts with a query, three headers (one disabled),
/// a raw JSON body and bearer auth, all using variables.
fn item_request() -> Request {
    let request = json!({
        "method": "POST",
        "header": [
            {"key": "Content-Type", "value": "application/json"},
            {"key": "X-Trace-Id", "value": "{{traceId}}"},
            {"key": "X-Debug", "value": "1", "disabled": true}
        ],
        "url": {
            "raw": "{{baseUrl}}/{{version}}/orgs/{{orgId}}/reservations?locale={{locale}}&dryRun=false",
            "host": ["{{baseUrl}}"],
            "path": ["{{version}}", "orgs", "{{orgId}}", "reservations"],
            "query": [
                {"key": "locale", "value": "{{locale}}"},
                {"key": "dryRun", "value": "false"}
            ]
        },
        "body": {
            "mode": "raw",
            "raw": "{\n  \"sku\": \"{{sku}}\",\n  \"quantity\": {{quantity}},\n  \"locationId\": \"{{locationId}}\"\n}",
            "options": {"raw": {"language": "json"}}
        },
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]}
    });
    serde_json::from_value(request).unwrap_or_default()
}

/// Builds the spec of a resolved request and applies its auth.
fn build_and_authorise(request: &Request) -> Option<RequestSpec> {
    let (mut spec, _warnings) = build(request, ProtocolSettings::default(), Path::new(".")).ok()?;
    if let Some(auth) = &request.auth {
        postman::apply(&mut spec, auth).ok()?;
    }
    Some(spec)
}

fn request_build(c: &mut Criterion) {
    let scopes = support::scopes();
    let item = item_request();
    let sent = resolved(&scopes, &item);
    let spec = build_and_authorise(&sent);
    assert!(
        spec.as_ref()
            .is_some_and(|s| s.url.starts_with("https://api.example.com/v2/")
                && s.has_header("authorization")
                && s.body.is_some()),
        "the bench request builds: {spec:?}"
    );
    let mut group = c.benchmark_group("request build");
    group.bench_function("resolve, build and authorise", |b| {
        b.iter(|| build_and_authorise(&resolved(&scopes, std::hint::black_box(&item))));
    });
    group.bench_function("build and authorise (resolved item)", |b| {
        b.iter(|| build_and_authorise(std::hint::black_box(&sent)));
    });
    group.finish();
}

criterion_group!(benches, request_build);
criterion_main!(benches);
