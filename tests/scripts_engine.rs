//! The script sandbox through its plain-data API: each `pm` API group, legacy globals, modules,
//! errors with positions, limits.

use std::time::Duration;

use serde_json::{Value, json};
use snapman::script::{
    Listen, ScriptInput, ScriptLimits, ScriptOutput, ScriptResponse, ScriptRuntime, ScriptScopes,
};

fn runtime() -> ScriptRuntime {
    ScriptRuntime::new(ScriptLimits {
        timeout: Some(Duration::from_secs(20)),
        memory_bytes: 128 * 1024 * 1024,
    })
    .expect("runtime starts")
}

fn input(listen: Listen, source: &str) -> ScriptInput {
    ScriptInput {
        listen,
        source: source.to_owned(),
        item_id: "id-1".to_owned(),
        item_name: "Get thing".to_owned(),
        item_path: vec![
            "Coll".to_owned(),
            "Folder".to_owned(),
            "Get thing".to_owned(),
        ],
        iteration: 0,
        iteration_count: 2,
        collection_name: "Coll".to_owned(),
        environment_name: Some("dev".to_owned()),
        request: json!({
            "method": "POST",
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "url": {"raw": "https://example.com/api/items?limit=10&q=x", "protocol": "https",
                    "host": ["example", "com"], "path": ["api", "items"],
                    "query": [{"key": "limit", "value": "10"}, {"key": "q", "value": "x"}]},
            "body": {"mode": "raw", "raw": "{\"a\":1}"},
            "auth": {"type": "oauth2", "oauth2": [{"key": "accessToken", "value": "tok", "type": "string"}]}
        }),
        response: Some(ScriptResponse {
            code: 200,
            status: "OK".to_owned(),
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-Id".to_owned(), "42".to_owned()),
            ],
            body: br#"{"id":42,"name":"widget","tags":["a","b"],"nested":{"x":1}}"#.to_vec(),
            response_time_ms: 12,
            response_size: 60,
        }),
        variables: ScriptScopes {
            globals: vec![("g".to_owned(), json!("G"))],
            collection: vec![
                ("c".to_owned(), json!("C")),
                ("shared".to_owned(), json!("coll")),
            ],
            environment: vec![
                ("e".to_owned(), json!("E")),
                ("shared".to_owned(), json!("env")),
            ],
            data: serde_json::from_value(json!({"d": "D"})).expect("object"),
            local: Vec::new(),
        },
        cookies: vec![("session".to_owned(), "abc".to_owned())],
    }
}

fn no_send(_: Value) -> Result<ScriptResponse, String> {
    Err("no network in this test".to_owned())
}

fn test(source: &str) -> ScriptOutput {
    runtime().run(&input(Listen::Test, source), &mut no_send)
}

/// `(name, failure message)` of every assertion.
fn results(out: &ScriptOutput) -> Vec<(String, Option<String>)> {
    out.assertions
        .iter()
        .map(|a| (a.name.clone(), a.error.as_ref().map(|e| e.message.clone())))
        .collect()
}

#[test]
fn pm_test_records_passes_and_chai_failures_in_order() {
    let out = test(
        "pm.test('passes', () => { pm.expect(1).to.equal(1); });\n\
         pm.test('fails', function () { pm.expect({a: 1}).to.have.property('b'); });\n\
         pm.test('deep', () => pm.expect([1, 2]).to.eql([1, 3]));\n\
         pm.test('include', () => pm.expect('hello').to.include('xyz'));\n\
         pm.test('above', () => pm.expect(3).to.be.above(5));\n\
         pm.test('oneOf', () => pm.expect('x').to.be.oneOf(['a', 'b']));\n\
         pm.test('type', () => pm.expect(5).to.be.a('string'));\n\
         pm.test('length', () => pm.expect([1]).to.have.lengthOf(2));\n\
         pm.test('keys', () => pm.expect({a: 1}).to.have.all.keys('a', 'b'));\n\
         pm.test('fail', () => pm.expect.fail('custom'));\n\
         pm.test('typeerror', () => { undefined.x; });\n\
         pm.test.skip('later');\n\
         pm.test('index', () => pm.expect(pm.test.index()).to.equal(13));",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let expected: Vec<(String, Option<String>)> = vec![
        ("passes".into(), None),
        (
            "fails".into(),
            Some("expected { a: 1 } to have property 'b'".into()),
        ),
        (
            "deep".into(),
            Some("expected [ 1, 2 ] to deeply equal [ 1, 3 ]".into()),
        ),
        (
            "include".into(),
            Some("expected 'hello' to include 'xyz'".into()),
        ),
        ("above".into(), Some("expected 3 to be above 5".into())),
        (
            "oneOf".into(),
            Some("expected 'x' to be one of [ 'a', 'b' ]".into()),
        ),
        ("type".into(), Some("expected 5 to be a string".into())),
        (
            "length".into(),
            Some("expected [ 1 ] to have a length of 2 but got 1".into()),
        ),
        (
            "keys".into(),
            Some("expected { a: 1 } to have keys 'a', and 'b'".into()),
        ),
        ("fail".into(), Some("custom".into())),
        (
            "typeerror".into(),
            Some("Cannot read properties of undefined (reading 'x')".into()),
        ),
        ("later".into(), None),
        ("index".into(), None),
    ];
    assert_eq!(results(&out), expected);
    assert!(out.assertions[11].skipped);
    assert_eq!(
        out.assertions[1].error.as_ref().map(|e| e.name.as_str()),
        Some("AssertionError")
    );
    assert_eq!(
        out.assertions[10].error.as_ref().map(|e| e.name.as_str()),
        Some("TypeError")
    );
}

#[test]
fn async_done_and_promises_complete_tests() {
    let out = test(
        "pm.test('done ok', function (done) { setTimeout(() => done(), 1); });\n\
         pm.test('done err', function (done) { setTimeout(() => done(new Error('late')), 2); });\n\
         pm.test('promise', async () => { await Promise.resolve(1); pm.expect(1).to.equal(2); });",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        results(&out),
        vec![
            (
                "promise".to_owned(),
                Some("expected 1 to equal 2".to_owned())
            ),
            ("done ok".to_owned(), None),
            ("done err".to_owned(), Some("late".to_owned())),
        ]
    );
}

#[test]
fn response_assertions_use_chai_postman_messages() {
    let out = test(
        "pm.test('status', () => pm.response.to.have.status(201));\n\
         pm.test('reason', () => pm.response.to.have.status('Created'));\n\
         pm.test('ok', () => { pm.response.to.be.ok; pm.response.to.be.success; pm.response.to.be.json; pm.response.to.be.withBody; });\n\
         pm.test('header', () => pm.response.to.have.header('x-id', '43'));\n\
         pm.test('no header', () => pm.response.to.have.header('X-Missing'));\n\
         pm.test('not', () => pm.response.to.not.have.status(200));\n\
         pm.test('clientError', () => pm.response.to.be.clientError);\n\
         pm.test('notFound', () => pm.response.to.be.notFound);\n\
         pm.test('body', () => pm.response.to.have.body('nope'));\n\
         pm.test('jsonBody', () => pm.response.to.have.jsonBody('nested.x', 2));\n\
         pm.test('jsonBody path', () => pm.response.to.have.jsonBody('missing'));\n\
         pm.test('schema', () => pm.response.to.have.jsonSchema({type: 'object', required: ['nope']}));\n\
         pm.test('plain ok', () => pm.expect(0).to.be.ok);",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let failures: Vec<Option<String>> = results(&out).into_iter().map(|r| r.1).collect();
    assert_eq!(
        failures,
        vec![
            Some("expected response to have status code 201 but got 200".into()),
            Some("expected response to have status reason 'Created' but got 'OK'".into()),
            None,
            Some("expected 'x-id' response header to be '43' but got '42'".into()),
            Some("expected response to have header with key 'X-Missing'".into()),
            Some("expected response to not have status code 200".into()),
            Some("expected response code to be 4XX but found 200".into()),
            Some("expected response to have status reason 'NOT FOUND' but got 'OK'".into()),
            Some("expected response body to equal 'nope' but got '{\"id\":42,\"name\":\"widget\",\"tags\":[\"a\",…'".into()),
            Some("expected response body json at \"nested.x\" to contain 2 but got 1".into()),
            Some("expected { id: 42, name: 'widget', …(2) } in response to contain property 'missing'".into()),
            Some("expected data to satisfy schema but found following errors: \ndata should have required property 'nope'".into()),
            Some("expected +0 to be truthy".into()),
        ]
    );
}

#[test]
fn response_object_members() {
    let out = test(
        "const r = pm.response;\n\
         pm.test('members', () => {\n\
           pm.expect(r.code).to.equal(200);\n\
           pm.expect(r.status).to.equal('OK');\n\
           pm.expect(r.responseTime).to.equal(12);\n\
           pm.expect(r.responseSize).to.equal(60);\n\
           pm.expect(r.headers.get('content-type')).to.equal('application/json');\n\
           pm.expect(r.headers.has('X-ID')).to.be.true;\n\
           pm.expect(r.headers.toObject()).to.have.property('x-id', '42');\n\
           pm.expect(r.json().tags).to.have.members(['b', 'a']);\n\
           pm.expect(r.text()).to.match(/widget/);\n\
           pm.expect(pm.cookies.get('session')).to.equal('abc');\n\
           pm.expect(pm.cookies.has('other')).to.be.false;\n\
         });",
    );
    assert_eq!(results(&out), vec![("members".to_owned(), None)]);
}

#[test]
fn invalid_json_throws_like_json_parse() {
    let mut inp = input(Listen::Test, "pm.response.json();");
    if let Some(r) = inp.response.as_mut() {
        r.body = b"<html>".to_vec();
    }
    let out = runtime().run(&inp, &mut no_send);
    let err = out.error.expect("script fails");
    assert_eq!(err.name, "SyntaxError");
    assert_eq!((err.line, err.column), (Some(1), Some(12)));
}
