//! What real OCI collections send, answered as production answers it (issue 11): `//` paths,
//! jobs that end by time, the resources the RAML and Connect REST add, import validation,
//! decimal quantities and error answers in each service's own shape.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ALLOW, CONTENT_TYPE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use snapman::emulator::login::{LoginState, login_router};
use snapman::emulator::oci::{AccessCheck, Denied, Grant, OciOptions, OciState, Scope, oci_router};
use snapman::emulator::{EmulatorHandle, start};

const AV: &str = "/inventory/availability/v1/organizations/org1";
const IMPEX: &str = "/inventory/impex/v1/organizations/org1";
const RES: &str = "/inventory/reservation/v1/organizations/org1";
const CONNECT: &str = "/services/data/v60.0/commerce/oci";

/// The token `all` carries the seven scopes; every other token is invalid.
struct AllScopes;

impl AccessCheck for AllScopes {
    fn check(&self, bearer: Option<&str>) -> Result<Grant, Denied> {
        match bearer {
            Some("all") => Ok(Grant {
                scopes: Scope::ALL.iter().map(|s| s.org_name().to_owned()).collect(),
            }),
            Some(_) => Err(Denied::Invalid),
            None => Err(Denied::Missing),
        }
    }
}

struct Emu {
    handle: EmulatorHandle,
    state: OciState,
    client: Client,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// The OCI and login routes on one port; jobs run for a minute of emulated time.
async fn emu() -> Emu {
    let state = OciState::new(
        Arc::new(AllScopes),
        OciOptions {
            job_duration: Some(Duration::from_secs(60)),
            ..OciOptions::default()
        },
    );
    let login = LoginState::new("http://127.0.0.1:1".to_owned());
    let routes = oci_router(state.clone()).merge(login_router(login));
    let handle = start("127.0.0.1:0", Some(routes))
        .await
        .expect("emulator starts");
    Emu {
        handle,
        state,
        client: Client::new(),
    }
}

impl Emu {
    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request");
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body"),
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.handle.base_url()))
            .bearer_auth("all")
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        self.send(request).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Uploads `file` as the multipart `fileUpload` file part.
    async fn upload(&self, link: &str, file: &[u8]) -> Answer {
        let part = reqwest::multipart::Part::bytes(file.to_vec()).file_name("inventory.json");
        let form = reqwest::multipart::Form::new().part("fileUpload", part);
        self.send(self.request(Method::POST, link).multipart(form))
            .await
    }

    /// Submits an import of `kind` with `extra` fields and uploads `file`; the import's id
    /// and status link.
    async fn import(&self, kind: &str, extra: Value, file: &[u8]) -> (String, String) {
        let mut body = json!({"fileName": "f.json"});
        if let (Some(fields), Value::Object(extra)) = (body.as_object_mut(), extra) {
            fields.extend(extra);
        }
        let started = self
            .post(&format!("{IMPEX}/{kind}/imports"), body)
            .await
            .json();
        let link = started["uploadLink"].as_str().expect("upload link");
        let uploaded = self.upload(link, file).await;
        assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.text);
        (
            started["importId"].as_str().expect("id").to_owned(),
            started["importStatusLink"]
                .as_str()
                .expect("status link")
                .to_owned(),
        )
    }
}

fn assert_problem(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.text);
    assert_eq!(answer.content_type(), "application/problem+json");
    assert_eq!(answer.json()["errorCode"], code, "{}", answer.text);
}

#[tokio::test]
async fn links_with_a_leading_slash_route_and_unknown_paths_answer_in_the_services_shape() {
    let emu = emu().await;
    let started = emu
        .post(
            &format!("{IMPEX}/location-graph/exports"),
            json!({"objects": {"locations": ["Warehouse01"]}}),
        )
        .await
        .json();
    let link = started["exportStatusLink"].as_str().expect("link");
    assert!(link.starts_with('/'));
    // `{{api_url}}/{{link}}` as collections build it: the path starts with `//`.
    let status = emu.get(&format!("/{link}")).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(status.json()["id"], started["exportId"]);
    let nested = emu
        .get(&format!(
            "//inventory//impex/v1//organizations/org1/location-graph/exports/{}/status",
            started["exportId"].as_str().expect("id")
        ))
        .await;
    assert_eq!(nested.status, StatusCode::OK, "{}", nested.text);

    let unknown = emu.get(&format!("{IMPEX}/no-such-resource")).await;
    assert_problem(&unknown, 404, "EntityNotFound");
    assert_eq!(unknown.json()["type"], "about:blank");
    let connect = emu.get(&format!("{CONNECT}/no-such-resource")).await;
    assert_eq!(connect.status, StatusCode::NOT_FOUND);
    assert_eq!(
        connect.json()[0]["errorCode"],
        "NOT_FOUND",
        "{}",
        connect.text
    );
    let login = emu.get("/services/oauth2/nothing").await;
    assert_eq!(login.status, StatusCode::NOT_FOUND);
    assert_eq!(login.json()["error"], "not_found", "{}", login.text);
}

#[tokio::test]
async fn jobs_end_by_time_whether_or_not_anybody_polls() {
    let emu = emu().await;
    let started = emu
        .post(
            &format!("{IMPEX}/availability-records/exports"),
            json!({"objects": {"locations": ["Warehouse01"]}}),
        )
        .await
        .json();
    let id = started["exportId"].as_str().expect("id").to_owned();
    let export = format!("{IMPEX}/availability-records/exports/{id}");
    let sku = format!("{AV}/locations/Warehouse01/availability-records/skus/ID-PEM/req-1");
    assert_problem(&emu.delete(&sku).await, 409, "ExportInProcess");
    assert_problem(&emu.delete(&export).await, 409, "ExportInProcess");
    assert_problem(
        &emu.get(&format!("{export}/file-content")).await,
        409,
        "ExportInProcess",
    );
    emu.state.advance_clock(Duration::from_secs(61));
    // Never polled: the export has still finished, and nothing it covered is locked.
    assert_eq!(emu.delete(&sku).await.status, StatusCode::NO_CONTENT);
    assert_eq!(emu.delete(&export).await.status, StatusCode::NO_CONTENT);

    let file = b"{\"recordId\":\"r1\",\"locationId\":\"Store01\",\"sku\":\"NEW-1\",\"onHand\":3}\n";
    let (import, status_link) = emu.import("availability-records", json!({}), file).await;
    let results = format!("{IMPEX}/availability-records/imports/{import}/file-content");
    assert_problem(&emu.get(&results).await, 409, "ImportInProgress");
    assert_problem(
        &emu.delete(&format!("{IMPEX}/availability-records/imports/{import}"))
            .await,
        409,
        "ImportInProgress",
    );
    emu.state.advance_clock(Duration::from_secs(61));
    assert_eq!(emu.get(&results).await.status, StatusCode::OK);
    let status = emu.get(&status_link).await.json();
    assert_eq!(status["status"], "COMPLETED", "{status}");
}

#[tokio::test]
async fn imports_take_both_header_styles_and_check_the_file_hash() {
    use sha2::Digest as _;
    let emu = emu().await;
    // The RAML's own example (Imports.raml), header line with `locationId` and `mode`.
    let raml_example = concat!(
        "{\"locationId\":\"Store01\",\"mode\":\"UPDATE\"}\n",
        "{\"recordId\":\"0a87539d-f3dd-47bc-91c7-9c752e39dbe0\",\"onHand\":10,\"sku\":\"1X\",\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\",\"futures\":[{\"quantity\":1,\"expectedDate\":\"2020-04-18T14:05:22.781-07:00\"}],\"safetyStockCount\":0}\n",
        "{\"recordId\":\"f4bf981e-321e-42bd-851f-3573a3263ab1\",\"onHand\":5,\"sku\":\"sku2\",\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\",\"safetyStockCount\":1}\n"
    );
    let sha = sha2::Sha256::digest(raml_example.as_bytes());
    let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    let (_, link) = emu
        .import(
            "availability-records",
            json!({"fileHash": hex, "fileHashType": "SHA-256"}),
            raml_example.as_bytes(),
        )
        .await;
    emu.state.advance_clock(Duration::from_secs(61));
    let done = emu.get(&link).await.json();
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["import"]["recordsProcessedCount"], 2, "{done}");
    assert_eq!(done["validation"]["fileHash"], json!(hex));
    assert_eq!(done["validation"]["fileHashType"], "SHA-256");
    let record = emu
        .post(
            &format!("{AV}/availability-records/actions/get-availability"),
            json!({"skus": ["sku2"], "locations": ["Store01"]}),
        )
        .await
        .json();
    assert_eq!(record["locations"][0]["records"][0]["onHand"], json!(5.0));

    // A wrong MD5: the validation fails and nothing is applied.
    let file = b"{\"recordId\":\"r9\",\"locationId\":\"Store01\",\"sku\":\"sku2\",\"onHand\":99}\n";
    let (import, link) = emu
        .import(
            "availability-records",
            json!({"fileHash": "00112233445566778899aabbccddeeff", "fileHashType": "MD5"}),
            file,
        )
        .await;
    emu.state.advance_clock(Duration::from_secs(61));
    let failed = emu.get(&link).await.json();
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["validation"]["status"], "FAILED");
    assert!(
        failed["validation"]["errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("hash")),
        "{failed}"
    );
    assert_eq!(failed["import"]["recordsProcessedCount"], 0);
    let results = emu
        .get(&format!(
            "{IMPEX}/availability-records/imports/{import}/file-content"
        ))
        .await;
    assert!(results.text.starts_with("{\"status\":\"FAILED\"}"));
    let still = emu
        .post(
            &format!("{AV}/availability-records/actions/get-availability"),
            json!({"skus": ["sku2"], "locations": ["Store01"]}),
        )
        .await
        .json();
    assert_eq!(still["locations"][0]["records"][0]["onHand"], json!(5.0));

    // An unknown hash type is refused at submit, a form without a file part at upload.
    let bad = emu
        .post(
            &format!("{IMPEX}/availability-records/imports"),
            json!({"fileName": "f", "fileHash": "ab", "fileHashType": "CRC32"}),
        )
        .await;
    assert_problem(&bad, 400, "InvalidRequestParameter");
    assert_eq!(bad.json()["parameterName"], "fileHashType");
    let started = emu
        .post(
            &format!("{IMPEX}/availability-records/imports"),
            json!({"fileName": "f"}),
        )
        .await
        .json();
    let form = reqwest::multipart::Form::new().text("comment", "no file here");
    let no_file = emu
        .send(
            emu.request(Method::POST, started["uploadLink"].as_str().expect("link"))
                .multipart(form),
        )
        .await;
    assert_problem(&no_file, 400, "InvalidRequest");
}

#[tokio::test]
async fn quantities_are_decimals_as_production_prints_them() {
    let emu = emu().await;
    let answer = emu
        .post(
            &format!("{AV}/availability-records/actions/get-availability"),
            json!({"skus": ["ID-PEM"], "locations": ["Warehouse01"]}),
        )
        .await;
    assert!(answer.text.contains("\"onHand\":130.0"), "{}", answer.text);
    assert!(answer.text.contains("\"atf\":125.0"), "{}", answer.text);
    let connect = emu
        .post(
            &format!("{CONNECT}/availability/availability-records/actions/get-availability"),
            json!({"locationIdentifiers": ["Warehouse01"], "stockKeepingUnits": ["ID-PEM"]}),
        )
        .await;
    assert!(
        connect.text.contains("\"availableToFulfill\":125.0"),
        "{}",
        connect.text
    );
}

#[tokio::test]
async fn http_stack_errors_come_back_in_the_services_shapes() {
    let emu = emu().await;
    // 405: get-availability is POST only.
    let wrong_method = emu
        .get(&format!(
            "{AV}/availability-records/actions/get-availability"
        ))
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.content_type(), "application/problem+json");
    let body = wrong_method.json();
    assert_eq!(body["title"], "Method Not Allowed", "{body}");
    assert!(wrong_method.headers.contains_key(ALLOW));
    // 413: a body over the limit of a JSON endpoint.
    let huge = format!("{{\"records\":[\"{}\"]}}", "x".repeat(3 * 1024 * 1024));
    let too_large = emu
        .send(
            emu.request(
                Method::POST,
                &format!("{AV}/availability-records/actions/batch-update"),
            )
            .header(CONTENT_TYPE, "application/json")
            .body(huge),
        )
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.content_type(), "application/problem+json");
    assert!(
        !too_large.text.contains("Failed to buffer"),
        "{}",
        too_large.text
    );
    // A bad query value: the documented JSON error.
    let bad_query = emu
        .get(&format!(
            "{IMPEX}/availability-records/imports?available=maybe"
        ))
        .await;
    assert_problem(&bad_query, 400, "InvalidRequestParameter");
    assert_eq!(bad_query.json()["parameterName"], "available");
    // Connect 405 is a Connect error array.
    let connect = emu
        .get(&format!("{CONNECT}/reservation/actions/reservations"))
        .await;
    assert_eq!(connect.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(connect.json()[0]["errorCode"], "METHOD_NOT_ALLOWED");
    // The login emulator explains itself in words, not in Rust's Debug notation.
    let token = emu
        .send(
            emu.client
                .post(format!("{}/services/oauth2/token", emu.handle.base_url()))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body("client_id=x"),
        )
        .await;
    assert_eq!(token.status, StatusCode::BAD_REQUEST);
    let reason = token
        .headers
        .get("x-snapman-emulator-reason")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(reason.contains("no grant_type"), "{reason}");
    assert!(!reason.contains("None"), "{reason}");
    // The login routes take `//` paths as well.
    let doubled = emu
        .send(
            emu.client
                .post(format!("{}//services//oauth2/token", emu.handle.base_url()))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body("grant_type=nonsense"),
        )
        .await;
    assert_eq!(doubled.status, StatusCode::BAD_REQUEST, "{}", doubled.text);
    assert_eq!(doubled.json()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn product_segmentation_imports_batch_update_and_export_agree() {
    let emu = emu().await;
    let file = b"{\"groupId\":\"LocationGroup01\",\"mode\":\"REPLACE\"}\n{\"sku\":\"sku1\"}\n{\"sku\":\"sku2\"}\n{\"groupId\":\"Nowhere\",\"mode\":\"REPLACE\"}\n";
    let (import, link) = emu.import("product-segmentation", json!({}), file).await;
    assert_eq!(emu.get(&link).await.json()["status"], "RUNNING");
    assert_problem(
        &emu.get(&format!(
            "{IMPEX}/product-segmentation/imports/{import}/file-content"
        ))
        .await,
        409,
        "ExportInProcess",
    );
    emu.state.advance_clock(Duration::from_secs(61));
    let done = emu.get(&link).await.json();
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["import"]["recordsProcessedCount"], 2);
    let results = emu
        .get(&format!(
            "{IMPEX}/product-segmentation/imports/{import}/file-content"
        ))
        .await;
    assert!(
        results
            .text
            .starts_with("{\"status\":\"COMPLETED_WITH_PARTIAL_FAILURES\"}"),
        "{}",
        results.text
    );

    let update = emu
        .post(
            &format!("{AV}/product-segmentation/actions/batch-update"),
            json!({"groups": [
                {"groupId": "LocationGroup01", "mode": "APPEND", "skus": ["sku3"]},
                {"groupId": "LocationGroup01", "mode": "DELETE", "skus": ["sku1", "never"]}
            ]}),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.text);
    assert_eq!(
        update.json(),
        json!({"errors": [{"error": "Failed to delete product segmentation for group id LocationGroup01 and sku never"}]})
    );
    let bad_mode = emu
        .post(
            &format!("{AV}/product-segmentation/actions/batch-update"),
            json!({"groups": [{"groupId": "LocationGroup01", "mode": "MERGE", "skus": ["a1"]}]}),
        )
        .await;
    assert_problem(&bad_mode, 400, "InvalidRequestParameter");
    assert_eq!(bad_mode.json()["parameterName"], "mode");

    let export = emu
        .post(
            &format!("{IMPEX}/product-segmentation/exports"),
            json!({"groups": ["LocationGroup01"]}),
        )
        .await
        .json();
    emu.state.advance_clock(Duration::from_secs(61));
    let id = export["exportId"].as_str().expect("id");
    let status = emu
        .get(&format!("{IMPEX}/product-segmentation/exports/{id}/status"))
        .await
        .json();
    assert_eq!(status["validation"]["fileHashType"], "SHA-256", "{status}");
    assert!(status["validation"]["fileHash"].is_string());
    let file = emu
        .get(&format!(
            "{IMPEX}/product-segmentation/exports/{id}/file-content"
        ))
        .await
        .text;
    assert_eq!(
        file,
        "{\"groupId\":\"LocationGroup01\"}\n{\"sku\":\"sku2\"}\n{\"sku\":\"sku3\"}\n"
    );
    let removed = emu
        .delete(&format!("{IMPEX}/product-segmentation/imports/{import}"))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_problem(&emu.get(&link).await, 404, "EntityNotFound");
}

#[tokio::test]
async fn reservations_exports_list_the_documents() {
    let emu = emu().await;
    let reserved = emu
        .call(
            Method::PUT,
            &format!("{RES}/reservation-documents/doc-9"),
            Some(json!({"locations": [{"id": "Store01", "reservations": [{"sku": "ID-PEM", "quantity": 2}]}]})),
        )
        .await;
    assert_eq!(reserved.status, StatusCode::OK, "{}", reserved.text);
    let bad = emu
        .post(
            &format!("{IMPEX}/reservations/exports"),
            json!({"status": "pending", "fromDate": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_problem(&bad, 400, "InvalidRequestParameter");
    let started = emu
        .post(
            &format!("{IMPEX}/reservations/exports"),
            json!({"status": "open", "fromDate": "2020-01-01T00:00:00Z"}),
        )
        .await
        .json();
    let link = started["exportStatusLink"].as_str().expect("link");
    assert!(link.contains("/reservations/exports/"), "{link}");
    emu.state.advance_clock(Duration::from_secs(61));
    let status = emu.get(link).await.json();
    assert_eq!(status["status"], "COMPLETED", "{status}");
    let file = emu
        .get(
            status["download"]["downloadLink"]
                .as_str()
                .expect("download"),
        )
        .await;
    let line: Value =
        serde_json::from_str(file.text.lines().next().expect("a line")).expect("json");
    assert_eq!(line["reservationId"], "doc-9");
    assert_eq!(line["reservationState"], "OPEN");
    assert_eq!(line["reservationDetails"][0]["location"], "Store01");
    assert_eq!(line["reservationDetails"][0]["quantity"], json!(2.0));
    let id = started["exportId"].as_str().expect("id");
    assert_eq!(
        emu.delete(&format!("{IMPEX}/reservations/exports/{id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn connect_rest_uploads_apply_files_and_report_status() {
    let emu = emu().await;
    let file =
        b"{\"recordId\":\"c1\",\"locationId\":\"Store02\",\"sku\":\"CONNECT-1\",\"onHand\":4}\n";
    let part = reqwest::multipart::Part::bytes(file.to_vec()).file_name("inv.json");
    let form = reqwest::multipart::Form::new().part("fileUpload", part);
    let uploaded = emu
        .send(
            emu.request(
                Method::POST,
                &format!("{CONNECT}/availability-records/uploads"),
            )
            .multipart(form),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text);
    let body = uploaded.json();
    assert_eq!(body["success"], true);
    let id = body["uploadId"].as_str().expect("id");
    let running = emu
        .get(&format!("{CONNECT}/availability-records/uploads/{id}"))
        .await
        .json();
    assert_eq!(running["status"], "RUNNING");
    emu.state.advance_clock(Duration::from_secs(61));
    let done = emu
        .get(&format!("{CONNECT}/availability-records/uploads/{id}"))
        .await
        .json();
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["recordsProcessedCount"], 1);

    let graph = emu
        .call(
            Method::POST,
            &format!("{CONNECT}/location-graph/uploads"),
            None,
        )
        .await;
    assert_eq!(graph.status, StatusCode::CREATED, "{}", graph.text);
    let graph_id = graph.json()["uploadId"].as_str().expect("id").to_owned();
    emu.state.advance_clock(Duration::from_secs(61));
    let graph_status = emu
        .get(&format!("{CONNECT}/location-graph/uploads/{graph_id}"))
        .await;
    assert_eq!(graph_status.status, StatusCode::OK);
    assert_eq!(graph_status.json()["status"], "COMPLETED");
    let batch = emu
        .post(
            &format!("{CONNECT}/availability-records/actions/batch-update"),
            json!({"records": [
                {"actionRequestId": "cb-1", "locationIdentifier": "Store02", "stockKeepingUnit": "CONNECT-1", "onHand": 9},
                {"actionRequestId": "cb-2", "locationIdentifier": "Nowhere", "stockKeepingUnit": "CONNECT-1", "onHand": 1}
            ]}),
        )
        .await;
    assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.text);
    let batch = batch.json();
    assert_eq!(batch["success"], false);
    assert_eq!(batch["errors"][0]["errorCode"], "LocationDoesNotExist");
    // Connect REST acts on its own tenant: read back through Connect.
    let read = emu
        .post(
            &format!("{CONNECT}/availability/availability-records/actions/get-availability"),
            json!({"locationIdentifiers": ["Store02"], "stockKeepingUnits": ["CONNECT-1"]}),
        )
        .await
        .json();
    assert_eq!(
        read["locations"][0]["inventoryRecords"][0]["onHand"],
        json!(9.0),
        "{read}"
    );
    // An availability upload id is not a location graph one.
    let wrong = emu
        .get(&format!("{CONNECT}/location-graph/uploads/{id}"))
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn per_record_errors_leave_out_an_absent_external_reference() {
    let emu = emu().await;
    let answer = emu
        .post(
            &format!("{AV}/availability-records/actions/batch-update"),
            json!({"records": [{"id": "b1", "location": "Nowhere", "sku": "ID-PEM", "onHand": 1}]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let details = &answer.json()["errors"][0]["details"];
    assert_eq!(details["id"], "b1");
    assert!(details.get("externalRefId").is_none(), "{details}");
    let release = emu
        .post(
            &format!("{RES}/releases"),
            json!({"records": [{"id": "r1", "location": "Store01", "sku": "ID-PEM", "quantity": 1}]}),
        )
        .await;
    let details = &release.json()["errors"][0]["details"];
    assert!(details.get("externalRefId").is_none(), "{details}");
    assert_eq!(details["quantity"], json!(0.0));
}

#[tokio::test]
async fn bodies_and_error_codes_fit_the_raml_types_of_each_operation() {
    let emu = emu().await;
    // PlaceReservationResponseBody: every block has `details` and `errors`.
    let reserved = emu
        .call(
            Method::PUT,
            &format!("{RES}/reservation-documents/doc-types"),
            Some(json!({"groups": [{"id": "LocationGroup01", "reservations": [{"sku": "ID-PEM", "quantity": 1}]}]})),
        )
        .await
        .json();
    assert_eq!(reserved["groups"][0]["errors"], json!([]), "{reserved}");
    assert_eq!(reserved["groups"][0]["details"][0]["quantity"], json!(1.0));
    assert!(reserved.get("expirationTime").is_none());
    // Fulfillments document only MissingParameter for 400; the others never answer it.
    let fulfill = emu
        .post(
            &format!("{RES}/fulfillments"),
            json!({"records": [{"id": "f1", "group": "LocationGroup01", "sku": "ID-PEM", "quantity": 1}]}),
        )
        .await;
    assert_problem(&fulfill, 400, "MissingParameter");
    let availability = emu
        .post(
            &format!("{AV}/availability-records/actions/get-availability"),
            json!({"locations": ["Warehouse01"]}),
        )
        .await;
    assert_problem(&availability, 400, "InvalidRequestParameter");
    assert_eq!(availability.json()["parameterName"], "skus");
    // Reservation create documents InvalidRequest (and the place errors) for 400; cancel
    // documents only InvalidRequestParameter.
    let bad_expiry = emu
        .call(
            Method::PUT,
            &format!("{RES}/reservation-documents/doc-x"),
            Some(json!({"expirationSeconds": 0, "locations": [{"id": "Store01", "reservations": [{"sku": "ID-PEM", "quantity": 1}]}]})),
        )
        .await;
    assert_problem(&bad_expiry, 400, "InvalidRequest");
    let bad_cancel = emu
        .send(
            emu.request(
                Method::PATCH,
                &format!("{RES}/reservation-documents/doc-types"),
            )
            .header(CONTENT_TYPE, "application/json")
            .body("{not json"),
        )
        .await;
    assert_problem(&bad_cancel, 400, "InvalidRequestParameter");
    // The event-log export's documented 400, word for word.
    let events = emu
        .post(
            &format!("{IMPEX}/event-log/exports"),
            json!({"startsOn": "2024-01-01T00:00:00Z"}),
        )
        .await;
    assert_problem(&events, 400, "InvalidRequestParameter");
    assert_eq!(
        events.json()["message"],
        "'sku' Invalid characters in sku: null"
    );
}
