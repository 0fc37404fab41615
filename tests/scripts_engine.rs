//! The script sandbox through its plain-data API: each `pm` API group, legacy globals, modules,
//! errors with positions, limits.

use std::time::Duration;

use serde_json::{Value, json};
use snapman::script::{
    Listen, ScriptInput, ScriptIo, ScriptLimits, ScriptOutput, ScriptResponse, ScriptRuntime,
    ScriptScopes,
};

fn runtime() -> ScriptRuntime {
    ScriptRuntime::new(ScriptLimits {
        timeout: Some(Duration::from_secs(20)),
        memory_bytes: 128 * 1024 * 1024,
    })
    .expect("runtime starts")
}

/// Runs one script to completion on a runtime of this test's own, as the runner does on the run's.
fn run(rt: &mut ScriptRuntime, input: &ScriptInput, send: &mut impl ScriptIo) -> ScriptOutput {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio runtime")
        .block_on(rt.run(input, send))
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
        })
        .to_string(),
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
    run(&mut runtime(), &input(Listen::Test, source), &mut no_send)
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
fn invalid_json_throws_like_postmans_json_parser() {
    let mut inp = input(Listen::Test, "pm.response.json();");
    if let Some(r) = inp.response.as_mut() {
        r.body = b"<html>".to_vec();
    }
    let out = run(&mut runtime(), &inp, &mut no_send);
    let err = out.error.expect("script fails");
    assert_eq!(err.name, "JSONError");
    assert_eq!(err.message, "Unexpected token '<' at 1:1\n<html>\n^");
    assert_eq!((err.line, err.column), (Some(1), Some(13)));
}

#[test]
fn scopes_set_unset_clear_and_precedence() {
    let out = test(
        "pm.environment.set('e2', 5); pm.environment.unset('e');\n\
         pm.collectionVariables.clear(); pm.collectionVariables.set('c2', {k: 1});\n\
         pm.globals.set('g', 'G2');\n\
         pm.variables.set('loc', 'L');\n\
         pm.iterationData.set('d2', 'x');\n\
         pm.test('reads', () => {\n\
           pm.expect(pm.variables.get('shared')).to.equal('env');\n\
           pm.expect(pm.variables.get('d')).to.equal('D');\n\
           pm.expect(pm.variables.replaceIn('{{loc}}-{{g}}-{{nope}}')).to.equal('L-G2-{{nope}}');\n\
           pm.expect(pm.environment.name).to.equal('dev');\n\
           pm.expect(pm.environment.has('e2')).to.be.true;\n\
           pm.expect(pm.collectionVariables.values.map(v => v.key + '=' + JSON.stringify(v.value))).to.eql(['c2={\"k\":1}']);\n\
           pm.expect(pm.iterationData.toObject()).to.eql({d: 'D', d2: 'x'});\n\
           pm.expect(pm.iterationData.has('d')).to.be.true;\n\
           pm.expect(pm.environment.toObject()).to.eql({shared: 'env', e2: 5});\n\
         });",
    );
    assert_eq!(results(&out), vec![("reads".to_owned(), None)]);
    let v = &out.variables;
    assert_eq!(
        v.environment,
        vec![
            ("shared".to_owned(), json!("env")),
            ("e2".to_owned(), json!(5))
        ]
    );
    assert_eq!(v.collection, vec![("c2".to_owned(), json!({"k": 1}))]);
    assert_eq!(v.globals, vec![("g".to_owned(), json!("G2"))]);
    assert_eq!(v.local, vec![("loc".to_owned(), json!("L"))]);
    assert_eq!(v.data.get("d2"), None, "data changes are the script's own");
}

/// Scopes come back as their changes in order, or whole after many changes; either way the result
/// is the JavaScript `Map`'s: a key set again keeps its place, a key unset and set again goes last.
#[test]
fn scope_changes_keep_map_order_few_or_many() {
    let few = test(
        "pm.environment.set('shared', 'S'); pm.environment.unset('e'); pm.environment.set('e', 'E2');\n\
         pm.environment.set('n', undefined); pm.globals.clear(); pm.globals.set('g2', 1);",
    );
    let many = test(
        "for (let i = 0; i < 40; i++) { pm.environment.set('k' + (i % 3), i); }\n\
         pm.environment.unset('k1'); pm.environment.set('shared', 'S');",
    );
    assert_eq!(
        few.variables.environment,
        vec![
            ("shared".to_owned(), json!("S")),
            ("e".to_owned(), json!("E2")),
            ("n".to_owned(), Value::Null)
        ]
    );
    assert_eq!(few.variables.globals, vec![("g2".to_owned(), json!(1))]);
    assert_eq!(
        few.variables.collection,
        input(Listen::Test, "").variables.collection
    );
    assert_eq!(
        many.variables.environment,
        vec![
            ("e".to_owned(), json!("E")),
            ("shared".to_owned(), json!("S")),
            ("k0".to_owned(), json!(39)),
            ("k2".to_owned(), json!(38))
        ]
    );
}

#[test]
fn info_and_execution() {
    let mut pre = input(Listen::Prerequest, "");
    pre.response = None;
    let out = run(&mut runtime(),
        &ScriptInput {
            source:
            "pm.test('info', () => pm.expect([pm.info.eventName, pm.info.iteration, pm.info.iterationCount, pm.info.requestName, pm.info.requestId]).to.eql(['prerequest', 0, 2, 'Get thing', 'id-1']));\n\
             pm.test('location', () => pm.expect(pm.execution.location.current).to.equal('Get thing'));\n\
             pm.test('no response', () => pm.expect(pm.response).to.be.undefined);\n\
             pm.execution.setNextRequest('Other'); pm.execution.skipRequest();"
                .to_owned(),
            ..pre
        },
        &mut no_send,
    );
    assert!(
        results(&out).iter().all(|r| r.1.is_none()),
        "{:?}",
        results(&out)
    );
    assert_eq!(out.next_request, Some(Some("Other".to_owned())));
    assert!(out.skip_request);
    let out = test("postman.setNextRequest(null);");
    assert_eq!(out.next_request, Some(None));
    assert!(!out.skip_request);
    assert_eq!(test("1;").next_request, None);
}

#[test]
fn prerequest_changes_to_the_request_are_returned() {
    let out = run(
        &mut runtime(),
        &input(
            Listen::Prerequest,
            "pm.request.headers.add({key: 'X-New', value: '1'});\n\
             pm.request.headers.upsert({key: 'content-type', value: 'text/plain'});\n\
             pm.request.url.query.remove('q');\n\
             pm.request.addQueryParams('page=2');\n\
             pm.request.method = 'put';\n\
             pm.request.body.update({mode: 'raw', raw: 'hi'});\n\
             pm.request.auth.oauth2.set('accessToken', 'new');\n\
             pm.test('reads', () => {\n\
               pm.expect(pm.request.url.query.get('limit')).to.equal('10');\n\
               pm.expect(pm.request.headers.get('X-NEW')).to.equal('1');\n\
               pm.expect(pm.request.url.toString()).to.equal('https://example.com/api/items?limit=10&page=2');\n\
               pm.expect(pm.request.auth.oauth2.get('accessToken')).to.equal('new');\n\
             });",
        ),
        &mut no_send,
    );
    assert_eq!(results(&out), vec![("reads".to_owned(), None)]);
    let r = out
        .request
        .as_ref()
        .expect("the script changed the request");
    assert_eq!(r["method"], json!("put"));
    assert_eq!(
        r["header"],
        json!([{"key": "content-type", "value": "text/plain"}, {"key": "X-New", "value": "1"}])
    );
    assert_eq!(
        r["url"]["raw"],
        json!("https://example.com/api/items?limit=10&page=2")
    );
    assert_eq!(r["body"], json!({"mode": "raw", "raw": "hi"}));
    assert_eq!(
        r["auth"],
        json!({"type": "oauth2", "oauth2": [{"key": "accessToken", "value": "new", "type": "string"}]})
    );
}

#[test]
fn untouched_request_is_returned_as_given() {
    let inp = input(
        Listen::Prerequest,
        "pm.request.headers.get('x'); pm.request.url.toString();",
    );
    let out = run(&mut runtime(), &inp, &mut no_send);
    assert_eq!(out.request, None);
}

#[test]
fn legacy_api() {
    let out = test(
        "tests['code is 200'] = responseCode.code === 200;\n\
         tests['body has widget'] = responseBody.indexOf('widget') > -1;\n\
         tests['fails'] = false;\n\
         postman.setEnvironmentVariable('n', 7);\n\
         postman.setGlobalVariable('gl', 'x');\n\
         tests['header'] = postman.getResponseHeader('x-ID') === '42';\n\
         tests['time'] = responseTime === 12 && responseHeaders['X-Id'] === '42';\n\
         tests['snapshots'] = environment.e === 'E' && globals.g === 'G' && data.d === 'D' && iteration === 0;\n\
         postman.clearGlobalVariable('g');\n\
         tests['request'] = request.method === 'POST' && request.name === 'Get thing';\n\
         postman.setNextRequest('Next');",
    );
    assert_eq!(
        results(&out),
        vec![
            ("code is 200".to_owned(), None),
            ("body has widget".to_owned(), None),
            (
                "fails".to_owned(),
                Some("expected false to be truthy".to_owned())
            ),
            ("header".to_owned(), None),
            ("time".to_owned(), None),
            ("snapshots".to_owned(), None),
            ("request".to_owned(), None),
        ]
    );
    assert!(
        out.variables
            .environment
            .contains(&("n".to_owned(), json!("7")))
    );
    assert_eq!(out.variables.globals, vec![("gl".to_owned(), json!("x"))]);
    assert_eq!(out.next_request, Some(Some("Next".to_owned())));
}

#[test]
/// Newman's CLI shows each argument inspected and joined with ", " (no printf-style formatting).
fn console_is_captured_with_levels() {
    let out = test(
        "console.log('a', 1, {b: [1, 'x']}); console.warn('w %s!', 'there'); console.error(null, undefined);",
    );
    let lines: Vec<(String, String)> = out
        .console
        .iter()
        .map(|l| (l.level.clone(), l.text.clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("log".to_owned(), "'a', 1, { b: [ 1, 'x' ] }".to_owned()),
            ("warn".to_owned(), "'w %s!', 'there'".to_owned()),
            ("error".to_owned(), "null, undefined".to_owned()),
        ]
    );
}

#[test]
fn require_each_module() {
    let out = test(
        "const _ = require('lodash'), CryptoJS = require('crypto-js'), moment = require('moment');\n\
         const uuid = require('uuid'), chai = require('chai'), tv4 = require('tv4'), Ajv = require('ajv');\n\
         const assert = require('assert');\n\
         pm.test('lodash', () => pm.expect(_.map([1, 2], x => x * 2)).to.eql([2, 4]));\n\
         pm.test('crypto', () => {\n\
           pm.expect(CryptoJS.MD5('abc').toString()).to.equal('900150983cd24fb0d6963f7d28e17f72');\n\
           pm.expect(CryptoJS.HmacSHA256('msg', 'key').toString(CryptoJS.enc.Hex)).to.equal('2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628');\n\
           pm.expect(CryptoJS.enc.Base64.stringify(CryptoJS.enc.Utf8.parse('hi'))).to.equal('aGk=');\n\
         });\n\
         pm.test('moment', () => pm.expect(moment.utc('2024-01-31').add(1, 'day').format('YYYY-MM-DD')).to.equal('2024-02-01'));\n\
         pm.test('uuid', () => pm.expect(uuid.v4()).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/));\n\
         pm.test('chai', () => chai.expect(1).to.equal(1));\n\
         pm.test('tv4', () => pm.expect(tv4.validate({a: 1}, {properties: {a: {type: 'string'}}})).to.be.false);\n\
         pm.test('ajv', () => pm.expect(new Ajv().validate({type: 'number'}, 3)).to.be.true);\n\
         pm.test('assert', () => assert.strictEqual(1, 2));\n\
         pm.test('assert.strict', () => assert.strict.equal('a', 'a'));\n\
         pm.test('Buffer', () => pm.expect(Buffer.from('us@r:p@ssword').toString('base64') + require('buffer').Buffer.from('aGk=', 'base64').toString()).to.equal('dXNAcjpwQHNzd29yZA==hi'));\n\
         pm.test('globals', () => pm.expect(_.isArray([]) && typeof CryptoJS.SHA1 === 'function' && btoa('hi') === 'aGk=' && atob('aGk=') === 'hi').to.be.true);",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let failed: Vec<(String, Option<String>)> = results(&out)
        .into_iter()
        .filter(|r| r.1.is_some())
        .collect();
    assert_eq!(
        failed,
        vec![(
            "assert".to_owned(),
            Some("Expected values to be strictly equal:\n\n1 !== 2\n".to_owned())
        )]
    );
    assert_eq!(out.assertions.len(), 11);
}

#[test]
fn unknown_module_fails_the_script() {
    let err = test("const cp = require('child_process');")
        .error
        .expect("fails");
    assert_eq!(
        (err.name.as_str(), err.message.as_str()),
        ("Error", "Cannot find module 'child_process'")
    );
    assert_eq!((err.line, err.column), (Some(1), Some(12)));
}

#[test]
fn cheerio_and_csv_parse() {
    let out = test(
        "const $ = require('cheerio').load('<ul><li class=\"x\">one</li><li>two</li></ul><a href=\"/h\">l</a>');\n\
         pm.test('cheerio', () => pm.expect([$('li.x').text(), $('li').length, $('a').attr('href')]).to.eql(['one', 2, '/h']));\n\
         pm.test('cheerio global', () => pm.expect(cheerio.load('<b>t</b>')('b').text()).to.equal('t'));\n\
         const rows = require('csv-parse/lib/sync')('a,b\\n1,\"x,y\"\\n', {columns: true});\n\
         pm.test('csv', () => pm.expect(rows).to.eql([{a: '1', b: 'x,y'}]));",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        results(&out),
        [
            ("cheerio".to_owned(), None),
            ("cheerio global".to_owned(), None),
            ("csv".to_owned(), None)
        ]
    );
}

#[test]
fn postman_collection_sdk() {
    let out = test(
        "const sdk = require('postman-collection');\n\
         const u = new sdk.Url('https://h.io/a/:id?x=1');\n\
         u.variables.add({key: 'id', value: '7'});\n\
         u.query.add({key: 'z', value: '3'});\n\
         pm.test('url', () => pm.expect(u.toString()).to.equal('https://h.io/a/7?x=1&z=3'));\n\
         pm.test('header', () => pm.expect(new sdk.Header({key: 'X-A', value: 'b'}).toString()).to.equal('X-A: b'));\n\
         pm.test('query', () => pm.expect(new sdk.QueryParam({key: 'k', value: 'v'}).toString()).to.equal('k=v'));\n\
         const auth = new sdk.RequestAuth({type: 'bearer', bearer: [{key: 'token', value: 't'}]});\n\
         pm.test('auth', () => pm.expect(auth.parameters().get('token')).to.equal('t'));",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    for (name, error) in results(&out) {
        assert_eq!(error, None, "{name}");
    }
    assert_eq!(out.assertions.len(), 4);
}

/// The Node modules Postman's sandbox bundles, each used the way collections use it; `fs` is an
/// empty object and `os` the browser stand-in, as Newman answers them.
#[test]
fn node_modules_of_the_sandbox() {
    let out = test(
        "pm.test('path', () => pm.expect(require('path').join('/a/b', '../c', 'd.json')).to.equal('/a/c/d.json'));\n\
         pm.test('url', () => pm.expect(require('url').parse('https://h.io:8/p?q=1#f', true).query).to.eql({q: '1'}));\n\
         pm.test('querystring', () => pm.expect(require('querystring').stringify({a: 'x y', b: [1, 2]})).to.equal('a=x%20y&b=1&b=2'));\n\
         pm.test('util', () => pm.expect(require('util').format('%s=%d', 'n', 42)).to.equal('n=42'));\n\
         pm.test('buffer', () => pm.expect(require('buffer').Buffer.from('hi').toString('hex') + Buffer.from('aGk=', 'base64').toString()).to.equal('6869hi'));\n\
         pm.test('string_decoder', () => { const D = require('string_decoder').StringDecoder; const d = new D('utf8'); pm.expect(d.write(Buffer.from([0xe2, 0x82])) + d.write(Buffer.from([0xac]))).to.equal('\u{20ac}'); });\n\
         pm.test('punycode', () => pm.expect(require('punycode').toASCII('m\u{fc}nchen.de')).to.equal('xn--mnchen-3ya.de'));\n\
         pm.test('events', () => { const E = require('events'); const e = new E(); let got; e.on('x', v => { got = v; }); e.emit('x', 7); pm.expect(got).to.equal(7); });\n\
         pm.test('stream', () => { const { Readable } = require('stream'); pm.expect(new Readable()).to.be.an.instanceof(require('events')); });\n\
         pm.test('fs', () => pm.expect(require('fs')).to.eql({}));\n\
         pm.test('os', () => pm.expect(require('os').platform()).to.equal('browser'));\n\
         require('timers').setTimeout(() => pm.test('timers', () => {}), 1);",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let names: Vec<String> = results(&out)
        .into_iter()
        .map(|(name, error)| {
            assert_eq!(error, None, "{name}");
            name
        })
        .collect();
    assert_eq!(names.len(), 12, "{names:?}");
}

#[test]
fn xml2json_and_xml2js() {
    let out = test(
        "const x = xml2Json('<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"urn:s\"><soapenv:Body><loginResponse><result><sessionId>S1</sessionId><item a=\"1\">t</item><item>u</item><empty/></result></loginResponse></soapenv:Body></soapenv:Envelope>');\n\
         const r = x['soapenv:Envelope']['soapenv:Body'].loginResponse.result;\n\
         pm.test('xml2Json', () => pm.expect(r).to.eql({sessionId: 'S1', item: [{_: 't', $: {a: '1'}}, 'u'], empty: ''}));\n\
         require('xml2js').parseString('<a><b>1</b></a>', (err, res) => pm.test('xml2js', () => pm.expect(res).to.eql({a: {b: ['1']}})));",
    );
    assert_eq!(
        results(&out),
        vec![("xml2Json".to_owned(), None), ("xml2js".to_owned(), None)]
    );
}

#[test]
fn scripts_do_not_share_declarations_but_share_globals() {
    let mut rt = runtime();
    let first = run(
        &mut rt,
        &input(Listen::Test, "const a = 1; utils = { twice: x => x * 2 };"),
        &mut no_send,
    );
    assert!(first.error.is_none(), "{:?}", first.error);
    let second = run(
        &mut rt,
        &input(
            Listen::Test,
            "const a = 2; pm.test('utils', () => pm.expect(utils.twice(a)).to.equal(4));",
        ),
        &mut no_send,
    );
    assert!(second.error.is_none(), "{:?}", second.error);
    assert_eq!(results(&second), vec![("utils".to_owned(), None)]);
}

#[test]
fn errors_carry_positions() {
    let err = test("let a = 1;\n  let = = 2;")
        .error
        .expect("syntax error");
    assert_eq!(err.name, "SyntaxError");
    assert_eq!((err.line, err.column), (Some(2), Some(3)));
    let err = test("\n\n  throw new TypeError('boom')")
        .error
        .expect("exception");
    assert_eq!(
        (err.name.as_str(), err.message.as_str()),
        ("TypeError", "boom")
    );
    assert_eq!((err.line, err.column), (Some(3), Some(13)));
    let err = test("}); (function(){")
        .error
        .expect("escape is a syntax error");
    assert_eq!(err.name, "SyntaxError");
    let mut rt = runtime();
    let err = rt
        .check_syntax("let ok = 1;\nif (x {\n}")
        .expect_err("syntax error");
    assert_eq!(
        (err.message.as_str(), err.line),
        ("Unexpected token '{'", Some(2))
    );
    assert!(
        rt.check_syntax("while (true) {}").is_ok(),
        "checking does not run the code"
    );
}

#[test]
fn runaway_script_times_out_and_the_runtime_survives() {
    let mut rt = ScriptRuntime::new(ScriptLimits {
        timeout: Some(Duration::from_millis(200)),
        memory_bytes: 64 * 1024 * 1024,
    })
    .expect("runtime");
    let out = run(
        &mut rt,
        &input(Listen::Test, "pm.test('before', () => {}); while (true) {}"),
        &mut no_send,
    );
    let err = out.error.clone().expect("timed out");
    assert_eq!(err.message, "script timed out after 200 ms");
    assert_eq!(results(&out), vec![("before".to_owned(), None)]);
    let next = run(
        &mut rt,
        &input(
            Listen::Test,
            "pm.test('after', () => pm.expect(1).to.equal(1));",
        ),
        &mut no_send,
    );
    assert!(next.error.is_none(), "{:?}", next.error);
    assert_eq!(results(&next), vec![("after".to_owned(), None)]);
}

#[test]
fn memory_cap_fails_the_script_only() {
    let mut rt = ScriptRuntime::new(ScriptLimits {
        timeout: Some(Duration::from_secs(20)),
        memory_bytes: 32 * 1024 * 1024,
    })
    .expect("runtime");
    let out = run(
        &mut rt,
        &input(
            Listen::Test,
            "let a = []; while (true) { a.push('x'.repeat(1000) + a.length); }",
        ),
        &mut no_send,
    );
    let err = out.error.expect("out of memory");
    assert!(err.message.contains("out of memory"), "{err:?}");
    let next = run(
        &mut rt,
        &input(Listen::Test, "pm.test('ok', () => {});"),
        &mut no_send,
    );
    assert_eq!(results(&next), vec![("ok".to_owned(), None)]);
}

#[test]
fn send_request_goes_through_the_callback() {
    let mut seen = Vec::new();
    let mut send = |req: Value| -> Result<ScriptResponse, String> {
        seen.push(req.clone());
        if req["url"] == json!("http://127.0.0.1:1/fail") {
            return Err("connect ECONNREFUSED 127.0.0.1:1".to_owned());
        }
        Ok(ScriptResponse {
            code: 201,
            status: "Created".to_owned(),
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: br#"{"token":"t1"}"#.to_vec(),
            response_time_ms: 1,
            response_size: 14,
        })
    };
    let out = run(
        &mut runtime(),
        &input(
            Listen::Prerequest,
            "pm.sendRequest({url: 'http://127.0.0.1:9/token', method: 'POST', header: {'X-A': '1'}}, (err, res) => {\n\
               pm.environment.set('token', res.json().token);\n\
               pm.test('cb', () => pm.expect(res).to.have.status(201));\n\
             });\n\
             pm.sendRequest('http://127.0.0.1:1/fail', (err, res) => pm.test('err', () => pm.expect(err.message).to.include('ECONNREFUSED')));\n\
             pm.sendRequest('http://127.0.0.1:9/p').then(r => pm.test('promise', () => pm.expect(r.code).to.equal(201)));",
        ),
        &mut send,
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        results(&out),
        vec![
            ("cb".to_owned(), None),
            ("err".to_owned(), None),
            ("promise".to_owned(), None)
        ]
    );
    assert!(
        out.variables
            .environment
            .contains(&("token".to_owned(), json!("t1")))
    );
    assert_eq!(seen[0]["header"], json!([{"key": "X-A", "value": "1"}]));
    assert_eq!(
        seen[1],
        json!({"url": "http://127.0.0.1:1/fail", "method": "GET"})
    );
}

#[test]
fn top_level_await_runs_and_reports_positions() {
    let mut send = |req: Value| -> Result<ScriptResponse, String> {
        Ok(ScriptResponse {
            code: 200,
            status: "OK".to_owned(),
            body: format!("{{\"url\":{}}}", req["url"]).into_bytes(),
            ..ScriptResponse::default()
        })
    };
    let out = run(
        &mut runtime(),
        &input(
            Listen::Prerequest,
            "const res = await pm.sendRequest('http://127.0.0.1:9/a');\n\
             pm.environment.set('seen', res.json().url);\n\
             await new Promise(resolve => setTimeout(resolve, 1));\n\
             pm.test('after awaits', () => {});",
        ),
        &mut send,
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(results(&out), [("after awaits".to_owned(), None)]);
    assert!(
        out.variables
            .environment
            .contains(&("seen".to_owned(), json!("http://127.0.0.1:9/a")))
    );
    // The same error after an `await` is reported where the plain script reports it.
    let plain = test("null;\n   null.f();").error.expect("thrown");
    let err = run(
        &mut runtime(),
        &input(Listen::Test, "await null;\n   null.f();"),
        &mut send,
    )
    .error
    .expect("rejection fails the script");
    assert_eq!(
        (err.name.as_str(), err.line, err.column),
        ("TypeError", Some(2), plain.column)
    );
    assert_eq!(plain.line, Some(2));
    let err = run(
        &mut runtime(),
        &input(Listen::Test, "  await x(; "),
        &mut send,
    )
    .error
    .expect("syntax error");
    assert_eq!((err.name.as_str(), err.line), ("SyntaxError", Some(1)));
    let err = test("await 1; throw new Error('first line')")
        .error
        .expect("thrown");
    // QuickJS points at the constructor, as in the plain `throw new TypeError` case above.
    assert_eq!((err.line, err.column), (Some(1), Some(20)));
}

#[test]
fn exceptions_in_callbacks_are_dropped_as_in_newman() {
    let mut send = |_: Value| -> Result<ScriptResponse, String> { Ok(ScriptResponse::default()) };
    let out = run(
        &mut runtime(),
        &input(
            Listen::Test,
            "setTimeout(() => { pm.test('timer', () => {}); null.f(); }, 0);\n\
             pm.sendRequest('http://127.0.0.1:9/', () => { pm.test('callback', () => {}); null.g(); });\n\
             pm.test('body', () => {});",
        ),
        &mut send,
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let names: Vec<String> = results(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["body", "callback", "timer"]);
}

#[test]
fn after_a_request_error_the_response_is_empty_not_undefined() {
    let mut inp = input(
        Listen::Test,
        "pm.test('code', () => pm.expect(pm.response.code).to.equal(200));\n\
         pm.test('text', () => pm.expect(pm.response.text()).to.be.undefined);\n\
         pm.test('headers', () => pm.expect(pm.response.headers.count()).to.equal(0));\n\
         pm.test('legacy', () => pm.expect([responseCode, responseHeaders, responseBody]).to.deep.equal([{}, {}, undefined]));",
    );
    inp.response = None;
    let out = run(&mut runtime(), &inp, &mut no_send);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        results(&out),
        [
            (
                "code".to_owned(),
                Some("expected undefined to equal 200".to_owned())
            ),
            ("text".to_owned(), None),
            ("headers".to_owned(), None),
            ("legacy".to_owned(), None)
        ]
    );
    let mut pre = input(
        Listen::Prerequest,
        "pm.test('none', () => pm.expect(pm.response).to.be.undefined);",
    );
    pre.response = None;
    assert_eq!(
        results(&run(&mut runtime(), &pre, &mut no_send)),
        [("none".to_owned(), None)]
    );
}

#[test]
fn iteration_data_changes_last_for_the_script_only() {
    let out = test(
        "pm.iterationData.set('d', 'changed');\n\
         pm.iterationData.set('new', 1);\n\
         pm.test('seen', () => pm.expect(pm.variables.get('d')).to.equal('changed'));",
    );
    assert_eq!(results(&out), [("seen".to_owned(), None)]);
    assert_eq!(out.variables.data, input(Listen::Test, "").variables.data);
}

#[test]
fn url_path_variables_resolve_in_to_string_but_not_in_the_request() {
    let mut inp = input(
        Listen::Prerequest,
        "pm.test('resolved', () => pm.expect(pm.request.url.toString()).to.equal('https://example.com/items/42/x?q=1'));\n\
         pm.test('path', () => pm.expect(pm.request.url.getPath()).to.equal('/items/42/x'));\n\
         pm.test('unresolved', () => pm.expect(pm.request.url.getPath(true)).to.equal('/items/:pid/x'));\n\
         pm.request.url.query.add({key: 'more', value: '2'});",
    );
    inp.request = json!({
        "method": "GET",
        "url": {"raw": "https://example.com/items/:pid/x?q=1", "protocol": "https",
                "host": ["example", "com"], "path": ["items", ":pid", "x"],
                "query": [{"key": "q", "value": "1"}], "variable": [{"key": "pid", "value": "42"}]}
    })
    .to_string();
    let out = run(&mut runtime(), &inp, &mut no_send);
    assert_eq!(
        results(&out),
        [
            ("resolved".to_owned(), None),
            ("path".to_owned(), None),
            ("unresolved".to_owned(), None)
        ]
    );
    // The request the runner sends keeps `:pid` for its own substitution.
    assert_eq!(
        out.request.as_ref().expect("changed")["url"]["raw"],
        "https://example.com/items/:pid/x?q=1&more=2"
    );
}

/// Runs every test script of `fixtures/scripts/messages.postman_collection.json` and compares
/// assertions and script errors with what Newman 6.2 recorded for the same collection
/// (`messages.newman.json`). `KNOWN_DIFFERENCES` lists the assertions whose message QuickJS words
/// differently from V8.
#[test]
fn messages_match_newman() {
    const KNOWN_DIFFERENCES: [(&str, &str); 1] = [("not a function", "not a function")];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts");
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(dir.join(name)).expect("fixture readable");
        serde_json::from_str(&text).expect("fixture is JSON")
    };
    let collection = read("messages.postman_collection.json");
    let newman = read("messages.newman.json");
    let mut rt = runtime();
    let items = collection["item"].as_array().expect("items");
    let expected_items = newman["items"].as_array().expect("items");
    assert_eq!(items.len(), expected_items.len());
    for (item, expected) in items.iter().zip(expected_items) {
        let exec: Vec<&str> = item["event"][0]["script"]["exec"]
            .as_array()
            .expect("exec")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let out = run(
            &mut rt,
            &input(Listen::Test, &exec.join("\n")),
            &mut no_send,
        );
        let got: Vec<Value> = out
            .assertions
            .iter()
            .map(|a| {
                if let Some((name, ours)) = KNOWN_DIFFERENCES.iter().find(|k| k.0 == a.name) {
                    assert_eq!(a.error.as_ref().map(|e| e.message.as_str()), Some(*ours));
                    return expected["assertions"]
                        .as_array()
                        .and_then(|list| list.iter().find(|e| e["name"] == json!(name)))
                        .cloned()
                        .unwrap_or(Value::Null);
                }
                json!({
                    "name": a.name,
                    "skipped": a.skipped,
                    "error": a.error.as_ref().map(|e| json!({"name": e.name, "message": e.message})),
                })
            })
            .collect();
        assert_eq!(
            &Value::Array(got),
            &expected["assertions"],
            "item {}",
            item["name"]
        );
        let error = out
            .error
            .map(|e| json!({"name": e.name, "message": e.message}));
        assert_eq!(
            error.unwrap_or(Value::Null),
            expected["script_error"],
            "item {}",
            item["name"]
        );
    }
}

#[test]
fn string_urls_header_removal_and_object_auth() {
    let mut inp = input(
        Listen::Prerequest,
        "pm.test('url', () => {\n\
           pm.expect(pm.request.url.getHost()).to.equal('{{host}}');\n\
           pm.expect(pm.request.url.getPath()).to.equal('/v1/items');\n\
           pm.expect(pm.request.url.query.get('a')).to.equal('1');\n\
           pm.expect(pm.request.auth.bearer.get('token')).to.equal('{{tok}}');\n\
           pm.expect(JSON.parse(JSON.stringify(pm.collectionVariables.values)).map(v => v.key)).to.eql(['c', 'shared']);\n\
           pm.expect(pm.variables.replaceIn('{{$guid}}')).to.match(/^[0-9a-f-]{36}$/);\n\
         });\n\
         pm.request.headers.remove('content-type');\n\
         pm.request.removeQueryParams('a');",
    );
    inp.request = json!({
        "method": "GET",
        "url": "https://{{host}}:8443/v1/items?a=1&b",
        "header": [{"key": "Content-Type", "value": "text/plain"}, {"key": "Accept", "value": "*/*"}],
        "auth": {"type": "bearer", "bearer": {"token": "{{tok}}"}}
    })
        .to_string();
    inp.response = None;
    let out = run(&mut runtime(), &inp, &mut no_send);
    assert_eq!(results(&out), vec![("url".to_owned(), None)]);
    assert_eq!(
        out.request.as_ref().expect("changed")["header"],
        json!([{"key": "Accept", "value": "*/*"}])
    );
    assert_eq!(
        out.request.as_ref().expect("changed")["url"]["raw"],
        json!("https://{{host}}:8443/v1/items?b")
    );
    assert_eq!(
        out.request.as_ref().expect("changed")["auth"],
        json!({"type": "bearer", "bearer": {"token": "{{tok}}"}})
    );
}

#[test]
fn text_encoder_and_decoder_round_trip_utf8() {
    let out = test(
        "const bytes = new TextEncoder().encode('h\u{e9} \u{20ac}\u{1f600}');\n\
         pm.test('encode', () => pm.expect(Array.from(bytes)).to.eql([104, 195, 169, 32, 226, 130, 172, 240, 159, 152, 128]));\n\
         pm.test('decode', () => pm.expect(new TextDecoder().decode(bytes.buffer)).to.equal('h\u{e9} \u{20ac}\u{1f600}'));\n\
         pm.test('invalid bytes', () => pm.expect(new TextDecoder('utf8').decode(new Uint8Array([0x61, 0xff, 0xe2, 0x82]))).to.equal('a\u{fffd}\u{fffd}'));\n\
         pm.test('fatal', () => pm.expect(() => new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([0xff]))).to.throw(TypeError));\n\
         pm.test('labels', () => pm.expect(() => new TextDecoder('latin1')).to.throw(RangeError));",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    for (name, error) in results(&out) {
        assert_eq!(error, None, "{name}");
    }
}

#[test]
fn crypto_random_values_and_uuid() {
    let out = test(
        "const a = crypto.getRandomValues(new Uint8Array(32));\n\
         const b = crypto.getRandomValues(new Uint32Array(8));\n\
         pm.test('filled', () => pm.expect(a.some(x => x !== 0) && b.some(x => x !== 0)).to.be.true);\n\
         pm.test('uuid', () => pm.expect(crypto.randomUUID()).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/));\n\
         pm.test('limit', () => pm.expect(() => crypto.getRandomValues(new Uint8Array(70000))).to.throw());",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    for (name, error) in results(&out) {
        assert_eq!(error, None, "{name}");
    }
}

#[test]
fn web_crypto_digest_hmac_and_rsa() {
    use base64::Engine as _;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use rsa::signature::{SignatureEncoding, Signer};

    let b64 = base64::engine::general_purpose::STANDARD;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("key");
    let pkcs8 = key.to_pkcs8_der().expect("pkcs8");
    let spki = key.to_public_key().to_public_key_der().expect("spki");
    let expected = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone())
        .sign(b"payload")
        .to_vec();
    let mut inp = input(
        Listen::Prerequest,
        "const hex = b => Array.from(new Uint8Array(b)).map(x => x.toString(16).padStart(2, '0')).join('');\n\
         const bin = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));\n\
         const enc = new TextEncoder();\n\
         const sha = await crypto.subtle.digest('SHA-256', enc.encode('abc'));\n\
         pm.test('digest', () => pm.expect(hex(sha)).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'));\n\
         const hk = await crypto.subtle.importKey('raw', enc.encode('Jefe'), {name: 'HMAC', hash: {name: 'SHA-256'}}, false, ['sign', 'verify']);\n\
         const mac = await crypto.subtle.sign('HMAC', hk, enc.encode('what do ya want for nothing?'));\n\
         pm.test('hmac', () => pm.expect(hex(mac)).to.equal('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'));\n\
         pm.test('hmac verify', async () => pm.expect(await crypto.subtle.verify('HMAC', hk, mac, enc.encode('what do ya want for nothing?'))).to.be.true);\n\
         const priv = await crypto.subtle.importKey('pkcs8', bin(pm.environment.get('pkcs8')).buffer, {name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256'}, false, ['sign']);\n\
         const sig = await crypto.subtle.sign({name: 'RSASSA-PKCS1-v1_5'}, priv, enc.encode('payload'));\n\
         pm.environment.set('signature', btoa(String.fromCharCode(...new Uint8Array(sig))));\n\
         const pub = await crypto.subtle.importKey('spki', bin(pm.environment.get('spki')), {name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256'}, true, ['verify']);\n\
         pm.test('rsa verify', async () => pm.expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', pub, sig, enc.encode('payload'))).to.be.true);\n\
         pm.test('rsa verify wrong data', async () => pm.expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', pub, sig, enc.encode('other'))).to.be.false);\n\
         const ed = await crypto.subtle.importKey('jwk', {kty: 'OKP', crv: 'Ed25519', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'}, {name: 'Ed25519'}, false, ['sign']);\n\
         const edSig = await crypto.subtle.sign('Ed25519', ed, new Uint8Array(0));\n\
         pm.test('ed25519 rfc 8032', () => pm.expect(hex(edSig)).to.equal('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'));\n\
         const edPub = await crypto.subtle.importKey('jwk', {kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'}, 'Ed25519', true, ['verify']);\n\
         pm.test('ed25519 verify', async () => pm.expect(await crypto.subtle.verify('Ed25519', edPub, edSig, new Uint8Array(0))).to.be.true);\n\
         await crypto.subtle.importKey('raw', enc.encode('k'), {name: 'ECDSA'}, false, ['sign']).catch(e => pm.test('unsupported', () => pm.expect(e.name).to.equal('NotSupportedError')));",
    );
    inp.variables.environment = vec![
        ("pkcs8".to_owned(), json!(b64.encode(pkcs8.as_bytes()))),
        ("spki".to_owned(), json!(b64.encode(spki.as_bytes()))),
    ];
    let out = run(&mut runtime(), &inp, &mut no_send);
    assert!(out.error.is_none(), "{:?}", out.error);
    let mut names: Vec<String> = results(&out)
        .into_iter()
        .map(|(name, error)| {
            assert_eq!(error, None, "{name}");
            name
        })
        .collect();
    // Async tests complete in promise order, not in source order.
    names.sort();
    assert_eq!(
        names,
        [
            "digest",
            "ed25519 rfc 8032",
            "ed25519 verify",
            "hmac",
            "hmac verify",
            "rsa verify",
            "rsa verify wrong data",
            "unsupported"
        ]
    );
    let signature = out
        .variables
        .environment
        .iter()
        .find(|(k, _)| k == "signature")
        .map(|(_, v)| v.clone());
    assert_eq!(signature, Some(json!(b64.encode(expected))));
}

#[test]
fn fast_expect_paths_agree_with_chai_on_every_chain() {
    let out = test(include_str!("fixtures/scripts/expect_parity.js"));
    assert!(out.error.is_none(), "{:?}", out.error);
    let failures: Vec<_> = results(&out)
        .into_iter()
        .filter(|r| r.1.is_some())
        .collect();
    assert_eq!(out.assertions.len(), 3);
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The common chains pass without loading chai (what makes scripts cheap); a failing one loads
/// chai, whose message it reports.
#[test]
fn passing_common_chains_never_load_chai() {
    let out = test(
        "var loaded = [], load = __sm.loadLib;\n\
         __sm.loadLib = function (name) { loaded.push(name); return load(name); };\n\
         const body = pm.response.json();\n\
         pm.test('common', () => {\n\
           pm.response.to.have.status(200);\n\
           pm.response.to.have.header('X-Id', '42');\n\
           pm.expect(body.name).to.be.a('string').and.not.empty;\n\
           pm.expect(body).to.have.property('id', 42);\n\
           pm.expect(body.tags).to.include('a').and.have.lengthOf(2);\n\
           pm.expect(body.nested).to.eql({x: 1});\n\
           pm.expect(body.id).to.be.above(1).and.below(100);\n\
         });\n\
         pm.test('no chai yet', () => { if (loaded.length) { throw new Error(loaded.join()); } });\n\
         pm.test('fails', () => pm.expect(body.id).to.equal(43));\n\
         pm.test('chai now', () => { if (loaded.join() !== 'chai') { throw new Error(loaded.join()); } });",
    );
    assert_eq!(
        results(&out),
        vec![
            ("common".to_owned(), None),
            ("no chai yet".to_owned(), None),
            (
                "fails".to_owned(),
                Some("expected 42 to equal 43".to_owned())
            ),
            ("chai now".to_owned(), None),
        ]
    );
}

#[test]
fn response_json_skips_a_byte_order_mark_and_reports_bad_json() {
    let mut inp = input(
        Listen::Test,
        "pm.test('bom', () => pm.expect(pm.response.json().id).to.eql(7));\n\
         pm.test('text keeps it', () => pm.expect(pm.response.text().charCodeAt(0)).to.eql(0xFEFF));",
    );
    if let Some(r) = inp.response.as_mut() {
        r.body = "\u{FEFF}{\"id\":7}".as_bytes().to_vec();
    }
    let out = run(&mut runtime(), &inp, &mut no_send);
    assert_eq!(
        results(&out),
        [("bom".to_owned(), None), ("text keeps it".to_owned(), None)]
    );

    if let Some(r) = inp.response.as_mut() {
        r.body = b"not json".to_vec();
    }
    inp.source = "pm.test('bad', () => pm.response.json());".to_owned();
    let out = run(&mut runtime(), &inp, &mut no_send);
    let failures = results(&out);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]
            .1
            .as_deref()
            .is_some_and(|m| m.starts_with("Unexpected token")),
        "{failures:?}"
    );
}
