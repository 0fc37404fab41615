//! One test script through `ScriptRuntime::run` on a runtime that has already run it (chai and
//! the compiled script cached, as from a run's second request on): a status check, `json()`,
//! two `pm.expect` chains and an environment write, against a JSON response.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use snapman::script::{
    Listen, ScriptInput, ScriptLimits, ScriptResponse, ScriptRuntime, ScriptScopes,
};

mod support;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SCRIPT: &str = "pm.test('status', () => pm.response.to.have.status(200));
const b = pm.response.json();
pm.test('x', () => {
    pm.expect(b.id).to.eql(42);
    pm.expect(b.name).to.be.a('string').and.not.empty;
});
pm.environment.set('id', b.id);";

/// The script's input: a GET, a JSON response and a twenty-variable environment.
fn input() -> ScriptInput {
    ScriptInput {
        listen: Listen::Test,
        source: SCRIPT.to_owned(),
        item_id: "item-1".to_owned(),
        item_name: "Get widget".to_owned(),
        item_path: vec![
            "Shop".to_owned(),
            "Widgets".to_owned(),
            "Get widget".to_owned(),
        ],
        iteration: 0,
        iteration_count: 1,
        collection_name: "Shop".to_owned(),
        environment_name: Some("dev".to_owned()),
        request: json!({
            "method": "GET",
            "header": [{"key": "Accept", "value": "application/json"}],
            "url": {"raw": "https://api.example.com/widgets/42", "protocol": "https",
                    "host": ["api", "example", "com"], "path": ["widgets", "42"]}
        })
        .to_string(),
        response: Some(ScriptResponse {
            code: 200,
            status: "OK".to_owned(),
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: br#"{"id":42,"name":"widget","price":9.5,"tags":["a","b"],"stock":{"total":7}}"#
                .to_vec(),
            response_time_ms: 12,
            response_size: 80,
        }),
        variables: ScriptScopes {
            environment: support::scopes()
                .environment
                .to_object()
                .into_iter()
                .collect(),
            ..ScriptScopes::default()
        },
        cookies: Vec::new(),
    }
}

fn no_send(_: Value) -> Result<ScriptResponse, String> {
    Err("no network in this bench".to_owned())
}

fn script(c: &mut Criterion) {
    let Ok(tokio) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        eprintln!("no tokio runtime: script bench skipped");
        return;
    };
    let limits = ScriptLimits {
        timeout: Some(Duration::from_secs(10)),
        ..ScriptLimits::default()
    };
    let mut runtime = match ScriptRuntime::new(limits) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{e}: script bench skipped");
            return;
        }
    };
    let input = input();
    let first = tokio.block_on(runtime.run(&input, &mut no_send));
    assert!(
        first.error.is_none() && first.assertions.iter().all(|a| a.error.is_none()),
        "the bench script passes: {first:?}"
    );
    c.bench_function(
        "test script (2 tests, 3 assertions, json(), environment.set)",
        |b| {
            b.iter(|| tokio.block_on(runtime.run(std::hint::black_box(&input), &mut no_send)));
        },
    );
}

criterion_group!(benches, script);
criterion_main!(benches);
