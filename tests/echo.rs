//! The built-in postman-echo stand-in, driven over loopback with reqwest.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;

use axum::Router;
use axum::routing::post;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use snapman::emulator::{EmulatorHandle, start, start_background};

async fn emulator() -> EmulatorHandle {
    start("127.0.0.1:0", None).await.expect("emulator starts")
}

/// A client that neither follows redirects nor decompresses, so tests see the raw answer.
fn plain_client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .no_gzip()
        .no_deflate()
        .build()
        .expect("client builds")
}

async fn json_of(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("body is JSON")
}

#[tokio::test]
async fn get_echoes_args_headers_and_url() {
    let emu = emulator().await;
    let url = format!("{}/get?a=1&b=two+words&a=2&a=3&empty=", emu.base_url());
    let response = Client::new()
        .get(&url)
        .header("X-Custom-Header", "Value 1")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/json; charset=utf-8"
    );
    let body = json_of(response).await;
    assert_eq!(
        body["args"],
        json!({"a": ["1", "2", "3"], "b": "two words", "empty": ""})
    );
    assert_eq!(body["headers"]["x-custom-header"], "Value 1");
    assert_eq!(body["headers"]["host"], emu.addr().to_string());
    assert_eq!(body["url"], url);
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["args", "headers", "url"]);
    assert_eq!(emu.hits(), 1);
}

#[tokio::test]
async fn post_echoes_json_body() {
    let emu = emulator().await;
    let body = json_of(
        Client::new()
            .post(format!("{}/post?q=1", emu.base_url()))
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"foo":"bar","n":[1,2]}"#)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        body,
        json!({
            "args": {"q": "1"},
            "data": {"foo": "bar", "n": [1, 2]},
            "files": {},
            "form": {},
            "headers": body["headers"].clone(),
            "json": {"foo": "bar", "n": [1, 2]},
            "url": format!("{}/post?q=1", emu.base_url()),
        })
    );
    assert_eq!(body["headers"]["content-type"], "application/json");
    assert_eq!(body["headers"]["content-length"], "23");
}

#[tokio::test]
async fn put_echoes_text_and_invalid_json_as_data() {
    let emu = emulator().await;
    let client = Client::new();
    let text = json_of(
        client
            .put(format!("{}/put", emu.base_url()))
            .header(CONTENT_TYPE, "text/plain")
            .body("hello there")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(text["data"], "hello there");
    assert_eq!(text["json"], Value::Null);
    let broken = json_of(
        client
            .patch(format!("{}/patch", emu.base_url()))
            .header(CONTENT_TYPE, "application/json")
            .body("{not json")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(broken["data"], "{not json");
    assert_eq!(broken["json"], Value::Null);
    let empty = json_of(
        client
            .delete(format!("{}/delete", emu.base_url()))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(empty["data"], json!({}));
    assert_eq!(empty["json"], Value::Null);
}

#[tokio::test]
async fn urlencoded_form_fills_form_and_json() {
    let emu = emulator().await;
    let body = json_of(
        Client::new()
            .post(format!("{}/post", emu.base_url()))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("k=v1&other=a%20b&k=v2")
            .send()
            .await
            .expect("request"),
    )
    .await;
    let form = json!({"k": ["v1", "v2"], "other": "a b"});
    assert_eq!(body["form"], form);
    assert_eq!(body["json"], form);
    assert_eq!(body["data"], "");
    assert_eq!(body["files"], json!({}));
}

#[tokio::test]
async fn multipart_fills_form_and_files() {
    let emu = emulator().await;
    let file = reqwest::multipart::Part::bytes(b"id,name\n1,a\n".to_vec())
        .file_name("upload.csv")
        .mime_str("text/csv")
        .expect("mime");
    let parts = reqwest::multipart::Form::new()
        .text("field", "one")
        .text("field", "two")
        .text("single", "x")
        .part("upload", file);
    let body = json_of(
        Client::new()
            .post(format!("{}/post", emu.base_url()))
            .multipart(parts)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        body["form"],
        json!({"field": ["one", "two"], "single": "x"})
    );
    assert_eq!(
        body["files"],
        json!({"upload.csv": "data:application/octet-stream;base64,aWQsbmFtZQoxLGEK"})
    );
    assert_eq!(body["data"], json!({}));
    assert_eq!(body["json"], Value::Null);
}

#[tokio::test]
async fn wrong_method_on_method_paths_is_not_found() {
    let emu = emulator().await;
    let client = Client::new();
    let response = client
        .get(format!("{}/post", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.text().await.expect("text"), "Not Found");
    let response = client
        .post(format!("{}/get", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn get_with_body_and_head_are_accepted() {
    let emu = emulator().await;
    let client = Client::new();
    let response = client
        .get(format!("{}/get?x=1", emu.base_url()))
        .body("ignored body")
        .send()
        .await
        .expect("request");
    assert_eq!(json_of(response).await["args"], json!({"x": "1"}));
    let head = client
        .head(format!("{}/get", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.text().await.expect("text"), "");
    let root = client.head(emu.base_url()).send().await.expect("request");
    assert_eq!(root.status(), StatusCode::OK);
}

#[tokio::test]
async fn custom_methods_reach_generic_routes() {
    let emu = emulator().await;
    let method = Method::from_bytes(b"PROPFIND").expect("method");
    let response = Client::new()
        .request(method, format!("{}/headers", emu.base_url()))
        .header("X-Probe", "yes")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_of(response).await["headers"]["x-probe"], "yes");
}

#[tokio::test]
async fn header_keys_are_lower_case_and_repeats_joined() {
    let emu = emulator().await;
    let body = json_of(
        Client::new()
            .get(format!("{}/headers", emu.base_url()))
            .header("X-Mixed-CASE", "1")
            .header("x-mixed-case", "2")
            .send()
            .await
            .expect("request"),
    )
    .await;
    let headers = body["headers"].as_object().expect("object");
    assert_eq!(headers["x-mixed-case"], "1, 2");
    assert!(
        headers
            .keys()
            .all(|k| k.chars().all(|c| !c.is_ascii_uppercase()))
    );
}

#[tokio::test]
async fn response_headers_are_set_and_echoed() {
    let emu = emulator().await;
    let response = Client::new()
        .get(format!(
            "{}/response-headers?foo=bar&Content-Type=Text/Plain&foo=baz",
            emu.base_url()
        ))
        .send()
        .await
        .expect("request");
    let values: Vec<&str> = response
        .headers()
        .get_all("foo")
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .collect();
    assert_eq!(values, ["bar", "baz"]);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    let body: Value = serde_json::from_str(&response.text().await.expect("text")).expect("JSON");
    assert_eq!(
        body,
        json!({"foo": ["bar", "baz"], "Content-Type": "Text/Plain"})
    );
}

#[tokio::test]
async fn cookies_set_then_read_back_then_delete() {
    let emu = emulator().await;
    let raw = plain_client()
        .get(format!(
            "{}/cookies/set?foo1=bar1&foo2=bar2",
            emu.base_url()
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status(), StatusCode::FOUND);
    assert_eq!(raw.headers()[LOCATION], "/cookies");
    let set: Vec<&str> = raw
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .collect();
    assert_eq!(set, ["foo1=bar1; Path=/", "foo2=bar2; Path=/"]);

    let client = Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let followed = client
        .get(format!(
            "{}/cookies/set?foo1=bar1&foo2=bar2",
            emu.base_url()
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(followed.url().path(), "/cookies");
    assert_eq!(
        json_of(followed).await,
        json!({"cookies": {"foo1": "bar1", "foo2": "bar2"}})
    );

    let deleted = client
        .get(format!("{}/cookies/delete?foo1", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(json_of(deleted).await, json!({"cookies": {"foo2": "bar2"}}));
    let after = client
        .get(format!("{}/cookies", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(json_of(after).await, json!({"cookies": {"foo2": "bar2"}}));
}

#[tokio::test]
async fn basic_auth_accepts_only_postman_password() {
    let emu = emulator().await;
    let client = Client::new();
    let url = format!("{}/basic-auth", emu.base_url());
    let good = client
        .get(&url)
        .basic_auth("postman", Some("password"))
        .send()
        .await
        .expect("request");
    assert_eq!(good.status(), StatusCode::OK);
    assert_eq!(json_of(good).await, json!({"authenticated": true}));
    let bad = client
        .get(&url)
        .basic_auth("postman", Some("nope"))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let none = client.get(&url).send().await.expect("request");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.text().await.expect("text"), "Unauthorized");
}

#[tokio::test]
async fn status_codes_are_returned() {
    let emu = emulator().await;
    let client = Client::new();
    for code in [200_u16, 201, 404, 418, 500, 503] {
        let response = client
            .get(format!("{}/status/{code}", emu.base_url()))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), code);
        assert_eq!(json_of(response).await, json!({"status": code}));
    }
    let bad = client
        .get(format!("{}/status/abc", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn gzip_and_deflate_are_really_compressed() {
    let emu = emulator().await;
    for (path, key) in [("gzip", "gzipped"), ("deflate", "deflated")] {
        let url = format!("{}/{path}", emu.base_url());
        let raw = plain_client().get(&url).send().await.expect("request");
        assert_eq!(raw.headers()[CONTENT_ENCODING], path);
        let bytes = raw.bytes().await.expect("bytes");
        assert!(
            serde_json::from_slice::<Value>(&bytes).is_err(),
            "{path} body is compressed"
        );

        let decoded = json_of(Client::new().get(&url).send().await.expect("request")).await;
        assert_eq!(decoded[key], true);
        assert_eq!(decoded["method"], "GET");
        assert_eq!(decoded["headers"]["host"], emu.addr().to_string());
    }
}

#[tokio::test]
async fn delay_answers_with_the_delay() {
    let emu = emulator().await;
    let response = Client::new()
        .get(format!("{}/delay/0", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(json_of(response).await, json!({"delay": "0"}));
    let bad = Client::new()
        .get(format!("{}/delay/x", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn redirect_to_uses_url_and_status_code() {
    let emu = emulator().await;
    let target = format!("{}/get?from=redirect", emu.base_url());
    let raw = plain_client()
        .get(format!("{}/redirect-to", emu.base_url()))
        .query(&[("url", target.as_str()), ("status_code", "307")])
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(raw.headers()[LOCATION], target.as_str());

    let followed = Client::new()
        .get(format!("{}/redirect-to", emu.base_url()))
        .query(&[("url", target.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(json_of(followed).await["args"], json!({"from": "redirect"}));
    let default = plain_client()
        .get(format!("{}/redirect-to?url=/get", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(default.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn content_type_endpoints() {
    let emu = emulator().await;
    let client = Client::new();
    let utf8 = client
        .get(format!("{}/encoding/utf8", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(utf8.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(
        utf8.text()
            .await
            .expect("text")
            .contains("Зарегистрируйтесь сейчас")
    );
    let html = client
        .get(format!("{}/type/html", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert!(
        html.text()
            .await
            .expect("text")
            .starts_with("<!DOCTYPE html>")
    );
    let xml = client
        .get(format!("{}/type/xml", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(
        xml.headers()[CONTENT_TYPE],
        "application/xml; charset=utf-8"
    );
    assert!(
        xml.text()
            .await
            .expect("text")
            .contains("<hello>world</hello>")
    );
}

#[tokio::test]
async fn ip_and_time_now() {
    let emu = emulator().await;
    let client = Client::new();
    let ip = client
        .get(format!("{}/ip", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(json_of(ip).await, json!({"ip": "127.0.0.1"}));
    let now = client
        .get(format!("{}/time/now", emu.base_url()))
        .send()
        .await
        .expect("request");
    let text = now.text().await.expect("text");
    assert!(
        text.ends_with(" GMT") && text.len() == 29,
        "RFC 7231 date: {text}"
    );
    let leap = client
        .get(format!("{}/time/leap?timestamp=2024-02-01", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(json_of(leap).await, json!({"leap": true}));
}

#[tokio::test]
async fn unknown_paths_are_json_404_and_options_is_200() {
    let emu = emulator().await;
    let client = Client::new();
    let missing = client
        .delete(format!("{}/nope/here", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        json_of(missing).await,
        json!({"error": {"name": "NotFound", "message": "DELETE /nope/here not found"}})
    );
    let options = client
        .request(Method::OPTIONS, format!("{}/nope/here", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(options.status(), StatusCode::OK);
    assert_eq!(options.headers()["allow"], "GET,HEAD,PUT,PATCH,POST,DELETE");
    let root = client.get(emu.base_url()).send().await.expect("request");
    assert_eq!(root.status(), StatusCode::OK);
    assert_eq!(emu.hits(), 3);
}

#[tokio::test]
async fn raw_echo_returns_the_request_text() {
    let emu = emulator().await;
    let method = Method::from_bytes(b"POSTMAN").expect("method");
    let response = Client::new()
        .request(method, format!("{}/raw/a/b?q=1", emu.base_url()))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{ "foo": "bar" }"#)
        .send()
        .await
        .expect("request");
    let header: String =
        serde_json::from_str(response.headers()["raw-request"].to_str().expect("ascii"))
            .expect("JSON string");
    let body = response.text().await.expect("text");
    assert_eq!(header, body);
    assert!(body.starts_with("POSTMAN /a/b?q=1 HTTP/1.1\r\n"), "{body}");
    assert!(body.contains("Content-Type: application/json\r\n"));
    assert!(body.contains("Content-Length: 16\r\n"));
    assert!(body.ends_with("\r\n\r\n{ \"foo\": \"bar\" }"));

    let head = Client::new()
        .head(format!("{}/raw/", emu.base_url()))
        .send()
        .await
        .expect("request");
    let header = head.headers()["raw-request"].to_str().expect("ascii");
    assert!(header.starts_with(r#""HEAD / HTTP/1.1\r\n"#), "{header}");
    assert!(
        header.contains(&format!(r"\r\nHost: {}\r\n", emu.addr())),
        "{header}"
    );
}

#[tokio::test]
async fn extra_routes_are_served_next_to_echo() {
    let extra = Router::new().route("/services/oauth2/token", post(|| async { "token" }));
    let emu = start("127.0.0.1:0", Some(extra))
        .await
        .expect("emulator starts");
    let client = Client::new();
    let token = client
        .post(format!("{}/services/oauth2/token", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(token.text().await.expect("text"), "token");
    let echo = client
        .get(format!("{}/get?x=y", emu.base_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(json_of(echo).await["args"], json!({"x": "y"}));
    assert_eq!(emu.hits(), 2);
}

/// Sends one HTTP/1.1 request over a plain socket and returns the whole response text.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    response
}

#[test]
fn background_server_stops_on_drop() {
    let emu = start_background("127.0.0.1:0", None).expect("emulator starts");
    let addr = emu.addr();
    assert_eq!(emu.base_url(), format!("http://{addr}"));
    let response = raw_get(addr, "/get?alive=yes");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.contains(r#""args":{"alive":"yes"}"#), "{response}");
    assert_eq!(emu.hits(), 1);
    drop(emu);
    let err = TcpStream::connect(addr).expect_err("port is closed after drop");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}
