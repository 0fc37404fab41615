//! The OCI emulator driven over loopback with reqwest: every endpoint family, the spec's error
//! codes and the state changes (reserve, release, transfer, fulfill, imports, deltas).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use snapman::emulator::oci::{
    AccessCheck, Denied, Grant, OciOptions, OciState, Scope, load_seed, oci_router,
};
use snapman::emulator::{EmulatorHandle, start};

const ORG: &str = "f_ecom_test_org";
const AV: &str = "/inventory/availability/v1/organizations/f_ecom_test_org";
const IMPEX: &str = "/inventory/impex/v1/organizations/f_ecom_test_org";
const RES: &str = "/inventory/reservation/v1/organizations/f_ecom_test_org";

/// Tokens: `all` (seven scopes), `read` (availability only), `expired`; anything else invalid.
struct TestAccess;

impl AccessCheck for TestAccess {
    fn check(&self, bearer: Option<&str>) -> Result<Grant, Denied> {
        match bearer {
            None => Err(Denied::Missing),
            Some("all") => Ok(Grant {
                scopes: Scope::ALL.iter().map(|s| s.org_name().to_owned()).collect(),
            }),
            Some("read") => Ok(Grant {
                scopes: vec!["sfcc_inventory_availability".to_owned()],
            }),
            Some("expired") => Err(Denied::Expired),
            Some(_) => Err(Denied::Invalid),
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
}

async fn emu_with(opts: OciOptions) -> Emu {
    let state = OciState::new(Arc::new(TestAccess), opts);
    let handle = start("127.0.0.1:0", Some(oci_router(state.clone())))
        .await
        .expect("emulator starts");
    Emu {
        handle,
        state,
        client: Client::new(),
    }
}

async fn emu() -> Emu {
    emu_with(OciOptions::default()).await
}

impl Emu {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.handle.base_url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        Answer {
            status,
            headers,
            text,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some("all"), Some(body)).await
    }

    /// Group and location records of one SKU (via get-availability).
    async fn availability(&self, sku: &str, group: &str, location: &str) -> (Value, Value) {
        let answer = self
            .post(
                &format!("{AV}/availability-records/actions/get-availability"),
                json!({"skus": [sku], "groups": [group], "locations": [location]}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let body = answer.json();
        (
            body["groups"][0]["records"][0].clone(),
            body["locations"][0]["records"][0].clone(),
        )
    }

    async fn cancel(&self, id: &str) -> Answer {
        let path = format!("{RES}/reservation-documents/{id}");
        let body = json!({"status": "CANCELLED"});
        self.call(Method::PATCH, &path, Some("all"), Some(body))
            .await
    }

    async fn reserve(&self, id: &str, body: Value) -> Answer {
        self.call(
            Method::PUT,
            &format!("{RES}/reservation-documents/{id}"),
            Some("all"),
            Some(body),
        )
        .await
    }
}

fn assert_error(answer: &Answer, status: u16, code: &str) -> Value {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["errorCode"], code, "{body}");
    assert_eq!(body["type"], "about:blank");
    assert_eq!(
        answer.headers["content-type"], "application/problem+json",
        "{body}"
    );
    body
}

fn num(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

#[tokio::test]
async fn tokens_are_checked_with_gateway_error_bodies() {
    let emu = emu().await;
    let path = format!("{AV}/availability-records/actions/get-availability");
    let body = json!({"skus": ["ID-PEM"], "groups": ["LocationGroup01"]});
    for (token, detail) in [
        (None, "bearer"),
        (Some("expired"), "expired"),
        (Some("bogus"), "invalid"),
    ] {
        let answer = emu
            .call(Method::POST, &path, token, Some(body.clone()))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let error = answer.json();
        assert_eq!(
            error["type"],
            "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/unauthorized"
        );
        assert!(
            error["detail"].as_str().expect("detail").contains(detail),
            "{error}"
        );
        assert!(
            answer.headers[WWW_AUTHENTICATE]
                .to_str()
                .expect("ascii")
                .contains("invalid_token")
        );
    }
    let forbidden = [
        (
            Method::POST,
            format!("{AV}/availability-records/actions/batch-update"),
        ),
        (
            Method::POST,
            format!("{IMPEX}/availability-records/imports"),
        ),
        (Method::POST, format!("{IMPEX}/location-graph/exports")),
        (Method::PUT, format!("{RES}/reservation-documents/r1")),
        (Method::POST, format!("{RES}/fulfillments")),
    ];
    for (method, path) in forbidden {
        let answer = emu.call(method, &path, Some("read"), Some(json!({}))).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer.json()["title"], "Forbidden");
    }
    let ok = emu
        .call(Method::POST, &path, Some("read"), Some(body))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let internal = format!("/inventory/internal/v1/organizations/{ORG}");
    assert_eq!(
        emu.call(Method::PUT, &internal, None, None).await.status,
        401
    );
    assert_eq!(
        emu.call(Method::PUT, &internal, Some("read"), None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn get_availability_by_group_locations_and_both() {
    let emu = emu().await;
    let path = format!("{AV}/availability-records/actions/get-availability");
    let by_group = emu
        .post(&path, json!({"sku": "ID-PEM", "group": "LocationGroup01"}))
        .await
        .json();
    assert_eq!(by_group["groups"][0]["id"], "LocationGroup01");
    let ids: Vec<&str> = by_group["locations"]
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["Warehouse01", "Warehouse02"]);
    let group = &by_group["groups"][0]["records"][0];
    let w1 = &by_group["locations"][0]["records"][0];
    let w2 = &by_group["locations"][1]["records"][0];
    assert_eq!(
        num(&group["onHand"]),
        num(&w1["onHand"]) + num(&w2["onHand"])
    );
    assert_eq!(num(&group["ato"]), num(&w1["ato"]) + num(&w2["ato"]));
    assert_eq!(group["groupReserved"], 0);
    // Warehouse01 ID-PEM: onHand 130, safety 5, no futures.
    assert_eq!(
        (w1["onHand"].clone(), w1["atf"].clone(), w1["ato"].clone()),
        (json!(130), json!(125), json!(125))
    );

    let by_locations = emu
        .post(
            &path,
            json!({"skus": ["ID-PEM", "PS-EL"], "locations": ["Warehouse01", "Store02"]}),
        )
        .await
        .json();
    assert_eq!(by_locations["groups"], json!([]));
    assert_eq!(by_locations["locations"][1]["id"], "Store02");
    assert_eq!(by_locations["locations"][1]["records"][1]["sku"], "PS-EL");
    let unassigned = emu.post(&path, json!({"sku": "PS-EL"})).await.json();
    assert_eq!(unassigned["locations"][0]["id"], "Store02");

    let unknown_group = emu
        .post(&path, json!({"skus": ["ID-PEM"], "groups": ["Warehouse"]}))
        .await;
    let body = assert_error(&unknown_group, 400, "GroupDoesNotExist");
    assert_eq!(body["group"], "Warehouse");
    let unknown_location = emu
        .post(&path, json!({"skus": ["ID-PEM"], "locations": ["nowhere"]}))
        .await;
    assert_eq!(
        assert_error(&unknown_location, 400, "LocationDoesNotExist")["location"],
        "nowhere"
    );
    assert_error(
        &emu.post(&path, json!({"groups": ["LocationGroup01"]}))
            .await,
        400,
        "MissingParameter",
    );
    let many: Vec<String> = (0..51).map(|i| format!("SKU-{i}")).collect();
    let too_many = emu
        .post(
            &path,
            json!({"skus": many, "locations": ["Warehouse01", "Store01"]}),
        )
        .await;
    assert_error(&too_many, 400, "InvalidRequestParameter");
    let malformed = emu.call(Method::POST, &path, Some("all"), None).await;
    assert_error(&malformed, 400, "InvalidRequest");
}

#[tokio::test]
async fn location_reservation_lowers_location_and_group_then_cancel_restores() {
    let emu = emu().await;
    let (group_before, loc_before) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse01")
        .await;
    let answer = emu
        .reserve("doc-1", json!({"locations": [{"id": "Warehouse01", "reservations": [{"sku": "ID-PEM", "quantity": 4}]}], "expirationSeconds": 600}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.headers[LOCATION],
        format!("{RES}/reservation-documents/doc-1")
    );
    let body = answer.json();
    assert_eq!(body["success"], true);
    assert_eq!(
        body["locations"][0]["details"],
        json!([{"sku": "ID-PEM", "quantity": 4}])
    );
    assert!(body["expirationTime"].is_string());
    let (group, loc) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(num(&loc["ato"]), num(&loc_before["ato"]) - 4.0);
    assert_eq!(num(&loc["reserved"]), 4.0);
    assert_eq!(num(&group["ato"]), num(&group_before["ato"]) - 4.0);

    assert_error(&emu.reserve("doc-1", json!({"locations": [{"id": "Warehouse01", "reservations": [{"sku": "ID-PEM", "quantity": 1}]}]})).await, 409, "EntityExists");
    assert_eq!(emu.cancel("doc-1").await.status, StatusCode::NO_CONTENT);
    let (group, loc) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(
        (group["ato"].clone(), loc["ato"].clone()),
        (group_before["ato"].clone(), loc_before["ato"].clone())
    );
    assert_error(&emu.cancel("doc-1").await, 409, "ReservationCancelled");
    assert_error(&emu.cancel("nope").await, 404, "EntityNotFound");
    let bad_status = emu
        .call(
            Method::PATCH,
            &format!("{RES}/reservation-documents/doc-1"),
            Some("all"),
            Some(json!({"status": "OPEN"})),
        )
        .await;
    assert_error(&bad_status, 400, "InvalidRequestParameter");
    assert_error(&emu.reserve("doc-1", json!({"locations": [{"id": "Warehouse01", "reservations": [{"sku": "ID-PEM", "quantity": 1}]}]})).await, 409, "ReservationCancelled");
}

#[tokio::test]
async fn group_reservation_release_transfer_and_fulfill() {
    let emu = emu().await;
    let (group_before, loc_before) = emu
        .availability("PS-EL", "LocationGroup01", "Warehouse01")
        .await;
    let answer = emu.reserve("g-1", json!({"groups": [{"id": "LocationGroup01", "reservations": [{"sku": "PS-EL", "quantity": 10}]}]})).await;
    assert_eq!(answer.json()["groups"][0]["details"][0]["quantity"], 10);
    let (group, loc) = emu
        .availability("PS-EL", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(num(&group["ato"]), num(&group_before["ato"]) - 10.0);
    assert_eq!(group["groupReserved"], 10);
    assert_eq!(
        loc, loc_before,
        "a group reservation leaves the location alone"
    );

    let release = emu.post(&format!("{RES}/releases"), json!({"records": [{"id": "rel-1", "group": "LocationGroup01", "sku": "PS-EL", "quantity": 3}]})).await;
    assert_eq!(release.status, StatusCode::NO_CONTENT);
    let (group, _) = emu
        .availability("PS-EL", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(num(&group["ato"]), num(&group_before["ato"]) - 7.0);
    let too_much = emu.post(&format!("{RES}/releases"), json!({"records": [{"id": "rel-2", "group": "LocationGroup01", "sku": "PS-EL", "quantity": 99}]})).await;
    assert_eq!(too_much.status, StatusCode::OK);
    assert_eq!(
        too_much.json()["errors"][0]["errorCode"],
        "InsufficientQuantity"
    );
    assert_eq!(
        too_much.json()["errors"][0]["details"]["group"],
        "LocationGroup01"
    );

    let transfer = emu.post(&format!("{RES}/transfers"), json!({"records": [{"id": "t-1", "from": {"group": "LocationGroup01"}, "to": {"location": "Warehouse01"}, "sku": "PS-EL", "quantity": 5}]})).await;
    assert_eq!(transfer.status, StatusCode::NO_CONTENT, "{}", transfer.text);
    let (group, loc) = emu
        .availability("PS-EL", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(num(&loc["reserved"]), 5.0);
    assert_eq!(num(&loc["ato"]), num(&loc_before["ato"]) - 5.0);
    assert_eq!(group["groupReserved"], 2);
    assert_eq!(
        num(&group["ato"]),
        num(&group_before["ato"]) - 7.0,
        "transfers keep the group total"
    );

    let fulfill = emu.post(&format!("{RES}/fulfillments"), json!({"records": [{"id": "f-1", "location": "Warehouse01", "sku": "PS-EL", "quantity": 5}]})).await;
    assert_eq!(fulfill.status, StatusCode::NO_CONTENT, "{}", fulfill.text);
    let (_, loc) = emu
        .availability("PS-EL", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(num(&loc["onHand"]), num(&loc_before["onHand"]) - 5.0);
    assert_eq!(num(&loc["reserved"]), 0.0);
    // The same idempotency id again changes nothing.
    let again = emu.post(&format!("{RES}/fulfillments"), json!({"records": [{"id": "f-1", "location": "Warehouse01", "sku": "PS-EL", "quantity": 5}]})).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    let (_, after) = emu
        .availability("PS-EL", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(after, loc);
    let short = emu.post(&format!("{RES}/fulfillments"), json!({"records": [{"id": "f-2", "location": "Warehouse01", "sku": "PS-EL", "quantity": 1}]})).await;
    assert_eq!(
        short.json()["errors"][0]["errorCode"],
        "InsufficientQuantity"
    );
}

#[tokio::test]
async fn reservation_errors_follow_the_spec() {
    let emu = emu().await;
    let no_group = emu.reserve("e-1", json!({"groups": [{"id": "Nowhere", "reservations": [{"sku": "ID-PEM", "quantity": 1}]}]})).await;
    assert_eq!(
        assert_error(&no_group, 400, "GroupDoesNotExist")["group"],
        "Nowhere"
    );
    let no_location = emu.reserve("e-1", json!({"locations": [{"id": "warehouse5", "reservations": [{"sku": "ID-PEM", "quantity": 1}]}]})).await;
    assert_eq!(
        assert_error(&no_location, 400, "LocationDoesNotExist")["message"],
        "No location exists with ID 'warehouse5'"
    );
    let nothing = assert_error(&emu.reserve("e-1", json!({})).await, 400, "InvalidRequest");
    assert_eq!(nothing["message"], "No location or groups provided.");

    let (_, before) = emu
        .availability("ID-PEM", "LocationGroup01", "Store01")
        .await;
    let all_or_nothing = emu
        .reserve("e-2", json!({"allowPartialReservations": false, "locations": [{"id": "Store01", "reservations": [{"sku": "ID-PEM", "quantity": 1}, {"sku": "PS-EL", "quantity": 500}]}]}))
        .await
        .json();
    assert_eq!(all_or_nothing["success"], false);
    assert_eq!(
        all_or_nothing["locations"][0]["errors"],
        json!([{"sku": "PS-EL", "errorCode": "InsufficientQuantity"}])
    );
    let (_, after) = emu
        .availability("ID-PEM", "LocationGroup01", "Store01")
        .await;
    assert_eq!(
        after, before,
        "nothing is reserved when partial reservations are off"
    );
    let partial = emu.reserve("e-3", json!({"locations": [{"id": "Store01", "reservations": [{"sku": "PS-EL", "quantity": 500}]}]})).await.json();
    assert_eq!(partial["locations"][0]["details"][0]["quantity"], 8);

    let path = format!("{RES}/transfers");
    let cases = [
        (
            json!({"group": "LocationGroup01"}),
            json!({"group": "LocationGroup02"}),
            false,
            None,
            "Group to Group Transfers are not permitted.",
        ),
        (
            json!({"location": "Warehouse01"}),
            json!({"location": "Store01"}),
            false,
            None,
            "'from and to' Transfers between locations is not allowed",
        ),
        (
            json!({"location": "Warehouse01"}),
            json!({"group": "LocationGroup01"}),
            true,
            None,
            "Forcing a reservation cannot be done from a location to a group",
        ),
        (
            json!({"location": "Warehouse01"}),
            json!({"group": "LocationGroup01"}),
            false,
            Some("aon"),
            "All or nothing transfers are only allowed from Group to Location transfer types. Invalid transfer type for request",
        ),
    ];
    for (from, to, force, atomic, message) in cases {
        let body = json!({"allOrNothingTransferId": atomic, "records": [{"id": "t", "from": from, "to": to, "sku": "ID-PEM", "quantity": 1, "ignoreAvailabilityCheck": force}]});
        let body = if atomic.is_none() {
            json!({"records": body["records"]})
        } else {
            body
        };
        assert_eq!(
            assert_error(&emu.post(&path, body).await, 400, "InvalidRequestParameter")["message"],
            message
        );
    }
    let both = emu.post(&format!("{RES}/releases"), json!({"records": [{"id": "r", "group": "LocationGroup01", "location": "Warehouse01", "sku": "ID-PEM", "quantity": 1}]})).await;
    assert_error(&both, 400, "InvalidRequestParameter");
    let missing = emu
        .post(
            &format!("{RES}/fulfillments"),
            json!({"records": [{"id": "f", "location": "Warehouse01", "sku": "ID-PEM"}]}),
        )
        .await;
    assert_error(&missing, 400, "MissingParameter");
    let unknown_doc = emu.post(&format!("{RES}/fulfillments"), json!({"records": [{"id": "f", "location": "Warehouse01", "sku": "ID-PEM", "quantity": 1, "reservationId": "nope"}]})).await;
    assert_eq!(unknown_doc.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn reservations_expire_on_the_emulator_clock() {
    let emu = emu().await;
    let (_, before) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse02")
        .await;
    emu.reserve("x-1", json!({"expirationSeconds": 60, "locations": [{"id": "Warehouse02", "reservations": [{"sku": "ID-PEM", "quantity": 2}]}]})).await;
    let (_, held) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse02")
        .await;
    assert_eq!(num(&held["reserved"]), 2.0);
    emu.state.advance_clock(Duration::from_secs(61));
    let (_, after) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse02")
        .await;
    assert_eq!(after, before);
    let cancel = emu
        .call(
            Method::PATCH,
            &format!("{RES}/reservation-documents/x-1"),
            Some("all"),
            Some(json!({"status": "CANCELLED"})),
        )
        .await;
    assert_error(&cancel, 409, "ReservationInvalidState");
}

#[tokio::test]
async fn organizations_get_separate_copies() {
    let emu = emu().await;
    emu.reserve("o-1", json!({"locations": [{"id": "Warehouse01", "reservations": [{"sku": "RC-1", "quantity": 7}]}]})).await;
    let other = emu
        .post("/inventory/availability/v1/organizations/other/availability-records/actions/get-availability", json!({"skus": ["RC-1"], "locations": ["Warehouse01"]}))
        .await
        .json();
    assert_eq!(other["locations"][0]["records"][0]["reserved"], 0);
    let (_, mine) = emu
        .availability("RC-1", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(mine["reserved"], 7);
}
