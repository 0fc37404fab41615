//! Newman parity found by the conformance kit: signed auth types (digest with its 401 replay,
//! hawk, oauth1), the legacy sandbox (Sugar prototypes, `postman.*` setters, `request.data`,
//! response cookies), URL resolution as one string, and `Content-Length: 0` on custom methods.

mod common;

use common::{collection, emulator, run_collection};
use serde_json::{Value, json};

fn item(name: &str, request: Value, test: &str) -> Value {
    json!({
        "name": name,
        "request": request,
        "event": [{"listen": "test", "script": {"exec": [test]}}]
    })
}

/// `(assertion name, passed)` of every assertion in the report, in order.
fn assertions(report: &Value) -> Vec<(String, bool)> {
    report["run"]["executions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["assertions"].as_array().cloned().unwrap_or_default())
        .map(|a| {
            (
                a["assertion"].as_str().unwrap_or_default().to_string(),
                a.get("error").is_none(),
            )
        })
        .collect()
}

fn assert_all_pass(report: &Value, expected: usize) {
    let list = assertions(report);
    assert_eq!(list.len(), expected, "{list:?}");
    let failed: Vec<_> = list.iter().filter(|(_, ok)| !ok).collect();
    assert!(failed.is_empty(), "failed: {failed:?}\n{report}");
}

#[test]
fn digest_replays_once_after_the_401_challenge() {
    let emu = emulator();
    let c = collection(json!([item(
        "digest",
        json!({"method": "GET", "url": "{{base}}/digest-auth", "auth": {"type": "digest", "digest": [
            {"key": "username", "value": "postman"}, {"key": "password", "value": "password"}
        ]}}),
        "tests['authenticated'] = JSON.parse(responseBody).authenticated === true;"
    )]));
    let r = run_collection(&emu, &c, &[]);
    // Like Newman's summary, the replayed item's execution is listed once per request sent.
    assert_all_pass(&r.report, 2);
    let sent: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|q| q.target == "/digest-auth")
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].header("authorization").is_none());
    let auth = sent[1].header("authorization").unwrap_or_default();
    assert!(
        auth.starts_with("Digest username=\"postman\", realm=\"Users\"")
            && auth.contains("qop=auth, nc=00000001"),
        "{auth}"
    );
}

#[test]
fn hawk_header_passes_the_mac_check() {
    let emu = emulator();
    let c = collection(json!([item(
        "hawk",
        json!({"method": "GET", "url": "{{base}}/auth/hawk?x=1", "auth": {"type": "hawk", "hawk": [
            {"key": "authId", "value": "dh37fgj492je"},
            {"key": "authKey", "value": "werxhqb98rpaxn39848xrunpaw3489ruxnpa98w4rxn"},
            {"key": "algorithm", "value": "sha256"},
            {"key": "extraData", "value": "ext-data"}
        ]}}),
        "pm.test('hawk ok', function () { pm.response.to.have.status(200); });"
    )]));
    let r = run_collection(&emu, &c, &[]);
    assert_all_pass(&r.report, 1);
}

#[test]
fn oauth1_header_has_the_protocol_parameters_in_order() {
    let emu = emulator();
    let c = collection(json!([item(
        "oauth1",
        json!({"method": "GET", "url": "{{base}}/get?a=1", "auth": {"type": "oauth1", "oauth1": {
            "consumerKey": "ck", "consumerSecret": "cs", "signatureMethod": "HMAC-SHA256",
            "version": "1.0", "nonce": "abc", "addParamsToHeader": true
        }}}),
        "var h = JSON.parse(responseBody).headers.authorization;\
         tests['shape'] = /^OAuth oauth_consumer_key=\"ck\",oauth_signature_method=\"HMAC-SHA256\",oauth_timestamp=\"\\d+\",oauth_nonce=\"abc\",oauth_version=\"1.0\",oauth_signature=\"[^\"]+\"$/.test(h);"
    )]));
    let r = run_collection(&emu, &c, &[]);
    assert_all_pass(&r.report, 1);
}

#[test]
fn oauth1_signatures_verify_at_the_echo() {
    let emu = emulator();
    let auth = |method: &str, in_header: bool| {
        json!({"type": "oauth1", "oauth1": [
            {"key": "consumerKey", "value": "RKCGzna7bv9YD57c"},
            {"key": "consumerSecret", "value": "D+EdQ-gs$-%@2Nu7"},
            {"key": "signatureMethod", "value": method},
            {"key": "version", "value": "1.0"},
            {"key": "addParamsToHeader", "value": in_header}
        ]})
    };
    let check = "pm.test('verified', function () { pm.expect(pm.response.json().status).to.equal('pass'); });";
    let c = collection(json!([
        item(
            "sha1 header",
            json!({"method": "GET", "url": "{{base}}/oauth1?a=o%20k&b=1", "auth": auth("HMAC-SHA1", true)}),
            check
        ),
        item(
            "sha256 query",
            json!({"method": "GET", "url": "{{base}}/oauth1?x=y", "auth": auth("HMAC-SHA256", false)}),
            check
        ),
        item(
            "sha1 form",
            json!({"method": "POST", "url": "{{base}}/oauth1", "auth": auth("HMAC-SHA1", true),
            "body": {"mode": "urlencoded", "urlencoded": [{"key": "f", "value": "a b&c"}]}}),
            check
        )
    ]));
    let r = run_collection(&emu, &c, &[]);
    assert_all_pass(&r.report, 3);
}

#[test]
fn legacy_sandbox_matches_postman_sandbox() {
    let emu = emulator();
    let c = collection(json!([
        {
            "name": "set",
            "request": {"method": "GET", "url": "{{base}}/cookies/set?foo=bar"},
            "event": [{"listen": "prerequest", "script": {"exec": [
                "postman.setEnvironmentVariable('zero', 0); postman.setEnvironmentVariable('one', 1);"
            ]}}, {"listen": "test", "script": {"exec": [
                "tests['sugar string'] = responseBody.has('cookies') && 'a-b_cD'.spacify() === 'a b c d';",
                "tests['sugar array'] = [[1, 2], [2, 3]].any([2, 3]) && [1, 2, 3].average() === 2;",
                "tests['sugar number'] = (56789.1).format() === '56,789.1' && (3).ordinalize() === '3rd';",
                "tests['zero stays a number'] = postman.getEnvironmentVariable('zero') === 0;",
                "tests['one becomes text'] = postman.getEnvironmentVariable('one') === '1';",
                "postman.setGlobalVariable('g', 'x');",
                "tests['globals object follows setters'] = globals.g === 'x';",
                "postman.clearGlobalVariables();",
                "tests['cleared'] = globals.g === undefined;",
                "tests['response cookie'] = postman.getResponseCookie('foo').value === 'bar';"
            ]}}]
        },
        item(
            "form",
            json!({"method": "POST", "url": "{{base}}/post", "body": {"mode": "urlencoded", "urlencoded": [
                {"key": "name", "value": "a"}, {"key": "name", "value": "b"}, {"key": "x", "value": "1"}
            ]}}),
            "tests['request.data'] = _.isEqual(request.data, {name: ['a', 'b'], x: '1'});\
             pm.test('chai plugin', function () { pm.response.to.not.be.a.postmanRequest; pm.request.to.be.a.postmanRequestOrResponse; });"
        )
    ]));
    let r = run_collection(&emu, &c, &[]);
    assert_all_pass(&r.report, 10);
}

#[test]
fn url_is_resolved_as_one_string() {
    let emu = emulator();
    let host = emu.base_url().trim_start_matches("http://").to_string();
    let c = json!({
        "info": {"name": "n", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "variable": [{"key": "one", "value": "1"}, {"key": "host.1", "value": host}],
        "item": [item(
            "nested",
            json!({"method": "GET", "url": {"raw": "http://{{host.{{one}}}}/get", "protocol": "http",
                "host": ["{{host", "{{one}}}}"], "path": ["get"]}}),
            "pm.test('reached', function () { pm.response.to.have.status(200); });"
        )]
    });
    let r = run_collection(&emu, &c, &[]);
    assert_all_pass(&r.report, 1);
}

#[test]
fn bodiless_custom_method_sends_content_length_zero() {
    let emu = emulator();
    let c = collection(json!([item(
        "custom",
        json!({"method": "POSTMAN", "url": "{{base}}/raw/x"}),
        "tests['length'] = responseBody.indexOf('Content-Length: 0') !== -1 || responseBody.indexOf('content-length: 0') !== -1;"
    )]));
    let r = run_collection(&emu, &c, &[]);
    assert_all_pass(&r.report, 1);
}
