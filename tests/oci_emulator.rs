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
    emu_with(OciOptions {
        job_duration: Some(Duration::from_secs(60)),
        ..OciOptions::default()
    })
    .await
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
    assert_eq!(group["groupReserved"], 0.0);
    // Warehouse01 ID-PEM: onHand 130, safety 5, no futures.
    assert_eq!(
        (w1["onHand"].clone(), w1["atf"].clone(), w1["ato"].clone()),
        (json!(130.0), json!(125.0), json!(125.0))
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
        "InvalidRequestParameter",
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
    assert_error(&malformed, 400, "InvalidRequestParameter");
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
        json!([{"sku": "ID-PEM", "quantity": 4.0}])
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
    assert_eq!(answer.json()["groups"][0]["details"][0]["quantity"], 10.0);
    let (group, loc) = emu
        .availability("PS-EL", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(num(&group["ato"]), num(&group_before["ato"]) - 10.0);
    assert_eq!(group["groupReserved"], 10.0);
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
    assert_eq!(group["groupReserved"], 2.0);
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
    assert_eq!(partial["locations"][0]["details"][0]["quantity"], 8.0);

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
    assert_eq!(other["locations"][0]["records"][0]["reserved"], 0.0);
    let (_, mine) = emu
        .availability("RC-1", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(mine["reserved"], 7.0);
}

#[tokio::test]
async fn batch_update_and_single_record_writes() {
    let emu = emu().await;
    let batch = format!("{AV}/availability-records/actions/batch-update");
    let update = emu
        .post(&batch, json!({"records": [{"id": "b-1", "location": "Store02", "sku": "NEW-SKU", "onHand": 12, "safetyStockCount": 2,
            "futureStock": [{"expectedDate": "2031-01-01T00:00:00Z", "quantity": 3}]}]}))
        .await;
    assert_eq!(update.status, StatusCode::NO_CONTENT, "{}", update.text);
    let read = emu
        .post(
            &format!("{AV}/availability-records/actions/get-availability"),
            json!({"skus": ["NEW-SKU"], "locations": ["Store02"]}),
        )
        .await
        .json();
    let record = &read["locations"][0]["records"][0];
    assert_eq!(
        (
            record["onHand"].clone(),
            record["atf"].clone(),
            record["ato"].clone()
        ),
        (json!(12.0), json!(10.0), json!(13.0))
    );
    let partial = emu.post(&batch, json!({"records": [{"id": "b-2", "location": "Nowhere", "sku": "NEW-SKU", "onHand": 1}]})).await;
    assert_eq!(partial.status, StatusCode::OK);
    assert_eq!(
        partial.json()["errors"][0]["errorCode"],
        "LocationDoesNotExist"
    );
    assert_eq!(
        partial.json()["errors"][0]["details"]["locationId"],
        "Nowhere"
    );
    let records: Vec<Value> = (0..101).map(|i| json!({"id": format!("id-{i}"), "location": "Store02", "sku": "NEW-SKU", "onHand": 1})).collect();
    assert_error(
        &emu.post(&batch, json!({"records": records})).await,
        400,
        "InvalidRequestParameter",
    );

    let single =
        |sku: &str| format!("{AV}/locations/Store02/availability-records/skus/{sku}/req-{sku}");
    let put = emu
        .call(
            Method::PUT,
            &single("PUT-SKU"),
            Some("all"),
            Some(json!({"onHand": 5})),
        )
        .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT);
    let patch = emu
        .call(
            Method::PATCH,
            &format!("{AV}/locations/Store02/availability-records/skus/PUT-SKU/req-2"),
            Some("all"),
            Some(json!({"safetyStockCount": 1})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::NO_CONTENT);
    let read = emu
        .post(
            &format!("{AV}/availability-records/actions/get-availability"),
            json!({"skus": ["PUT-SKU"], "locations": ["Store02"]}),
        )
        .await
        .json();
    assert_eq!(read["locations"][0]["records"][0]["atf"], 4.0);
    assert_error(
        &emu.call(
            Method::PATCH,
            &single("ABSENT"),
            Some("all"),
            Some(json!({"onHand": 1})),
        )
        .await,
        404,
        "EntityNotFound",
    );
    assert_error(
        &emu.call(
            Method::PUT,
            &format!("{AV}/locations/Nowhere/availability-records/skus/X1/r"),
            Some("all"),
            Some(json!({})),
        )
        .await,
        404,
        "EntityNotFound",
    );
    assert_error(
        &emu.call(
            Method::PUT,
            &single("NEG"),
            Some("all"),
            Some(json!({"onHand": -1})),
        )
        .await,
        400,
        "InvalidRequestParameter",
    );
    assert_eq!(
        emu.call(Method::DELETE, &single("PUT-SKU"), Some("all"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &emu.call(Method::DELETE, &single("PUT-SKU"), Some("all"), None)
            .await,
        404,
        "EntityNotFound",
    );
}

/// Starts an export and polls it to completion; returns (status body, file text).
async fn finished_export(emu: &Emu, kind: &str, body: Option<Value>) -> (Value, String) {
    let started = emu
        .call(
            Method::POST,
            &format!("{IMPEX}/{kind}/exports"),
            Some("all"),
            body,
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let link = started.json()["exportStatusLink"]
        .as_str()
        .expect("link")
        .to_owned();
    let running = emu.call(Method::GET, &link, Some("all"), None).await.json();
    assert_eq!(running["status"], "RUNNING");
    emu.state.advance_clock(Duration::from_secs(61));
    let done = emu.call(Method::GET, &link, Some("all"), None).await.json();
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let download = done["download"]["downloadLink"]
        .as_str()
        .expect("download")
        .to_owned();
    let file = emu.call(Method::GET, &download, Some("all"), None).await;
    assert_eq!(file.status, StatusCode::OK);
    (done, file.text)
}

#[tokio::test]
async fn export_gives_delta_token_and_deltas_follow_changes() {
    let emu = emu().await;
    let (status, file) = finished_export(
        &emu,
        "availability-records",
        Some(json!({"objects": {"locations": ["Store01"]}})),
    )
    .await;
    assert_eq!(status["export"]["locations"], json!(["Store01"]));
    let lines: Vec<Value> = file
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect();
    assert_eq!(lines[0], json!({"locationId": "Store01"}));
    assert_eq!(lines[1]["sku"], "B-C-COFMAC-001");
    let token = lines.last().expect("lines")["deltaToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let deltas = format!("{AV}/availability-records/actions/get-deltas");
    let empty = emu.post(&deltas, json!({"deltaToken": token})).await.json();
    assert_eq!(empty["records"], json!([]));
    let batch = format!("{AV}/availability-records/actions/batch-update");
    emu.post(
        &batch,
        json!({"records": [{"id": "d-1", "location": "Store01", "sku": "ID-PEM", "onHand": 77}]}),
    )
    .await;
    emu.call(
        Method::DELETE,
        &format!("{AV}/locations/Store01/availability-records/skus/PS-EL/d-2"),
        Some("all"),
        None,
    )
    .await;
    let changes = emu.post(&deltas, json!({"deltaToken": token})).await.json();
    let records = changes["records"].as_array().expect("records");
    let change = records
        .iter()
        .find(|r| r["id"] == "Store01" && r["sku"] == "ID-PEM")
        .expect("change");
    assert_eq!(
        (change["deltaType"].clone(), change["onHand"].clone()),
        (json!("Change"), json!(77.0))
    );
    assert!(
        records
            .iter()
            .any(|r| r["id"] == "LocationGroup02" && r["sku"] == "ID-PEM"),
        "groups of the location change too"
    );
    let delete = records
        .iter()
        .find(|r| r["sku"] == "PS-EL" && r["id"] == "Store01")
        .expect("delete");
    assert_eq!(delete["deltaType"], "Delete");
    assert_eq!(changes["shouldQueryAgain"], false);
    let next = changes["nextDeltaToken"].as_str().expect("next");
    assert_eq!(
        emu.post(&deltas, json!({"deltaToken": next})).await.json()["records"],
        json!([])
    );

    assert_error(
        &emu.post(&deltas, json!({"deltaToken": "bogus"})).await,
        400,
        "InvalidRequestParameter",
    );
    emu.state.advance_clock(Duration::from_secs(24 * 3600));
    assert_error(
        &emu.post(&deltas, json!({"deltaToken": token})).await,
        410,
        "ExpiredDeltaLink",
    );
}

#[tokio::test]
async fn exports_validate_and_guard_their_state() {
    let emu = emu().await;
    let exports = format!("{IMPEX}/availability-records/exports");
    let both = emu
        .post(
            &exports,
            json!({"objects": {"groups": ["LocationGroup01"], "locations": ["Store01"]}}),
        )
        .await;
    assert_eq!(
        assert_error(&both, 400, "InvalidRequestParameter")["message"],
        "Locations and Groups not allowed in the same request."
    );
    assert_eq!(
        assert_error(
            &emu.post(&exports, json!({"objects": {"groups": ["abc"]}}))
                .await,
            400,
            "GroupDoesNotExist"
        )["group"],
        "abc"
    );
    assert_eq!(
        assert_error(
            &emu.post(&exports, json!({"objects": {"locations": ["abc"]}}))
                .await,
            400,
            "LocationDoesNotExist"
        )["location"],
        "abc"
    );

    let started = emu
        .post(
            &exports,
            json!({"objects": {"groups": ["LocationGroup01"]}}),
        )
        .await
        .json();
    let id = started["exportId"].as_str().expect("id").to_owned();
    assert_error(
        &emu.call(
            Method::GET,
            &format!("{exports}/{id}/file-content"),
            Some("all"),
            None,
        )
        .await,
        409,
        "ExportInProcess",
    );
    assert_error(
        &emu.call(
            Method::DELETE,
            &format!("{exports}/{id}"),
            Some("all"),
            None,
        )
        .await,
        409,
        "ExportInProcess",
    );
    let delete_sku = emu
        .call(
            Method::DELETE,
            &format!("{AV}/locations/Warehouse01/availability-records/skus/ID-PEM/z"),
            Some("all"),
            None,
        )
        .await;
    assert_error(&delete_sku, 409, "ExportInProcess");
    // The job ends by time: nobody needs to poll it.
    emu.state.advance_clock(Duration::from_secs(61));
    let file = emu
        .call(
            Method::GET,
            &format!("{exports}/{id}/file-content"),
            Some("all"),
            None,
        )
        .await
        .text;
    assert!(
        file.starts_with("{\"groupId\":\"LocationGroup01\"}\n"),
        "{file}"
    );
    emu.state.advance_clock(Duration::from_secs(25 * 3600));
    assert_error(
        &emu.call(
            Method::GET,
            &format!("{exports}/{id}/file-content"),
            Some("all"),
            None,
        )
        .await,
        410,
        "ExpiredResultLink",
    );
    assert_eq!(
        emu.call(
            Method::DELETE,
            &format!("{exports}/{id}"),
            Some("all"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &emu.call(
            Method::GET,
            &format!("{exports}/{id}/status"),
            Some("all"),
            None,
        )
        .await,
        404,
        "EntityNotFound",
    );
}

#[tokio::test]
async fn location_graph_segmentation_and_event_log_exports() {
    let emu = emu().await;
    let (_, graph) = finished_export(&emu, "location-graph", None).await;
    let graph: Value = serde_json::from_str(&graph).expect("json");
    assert_eq!(
        graph["locations"],
        json!(["Store01", "Store02", "Warehouse01", "Warehouse02"])
    );
    assert_eq!(
        graph["groups"][0],
        json!({"id": "LocationGroup01", "locations": ["Warehouse01", "Warehouse02"]})
    );

    let (_, segmentation) =
        finished_export(&emu, "product-segmentation", Some(json!({"groups": ["*"]}))).await;
    assert_eq!(segmentation.lines().count(), 2);
    let bad = emu
        .post(
            &format!("{IMPEX}/product-segmentation/exports"),
            json!({"groups": ["nope"]}),
        )
        .await;
    assert_eq!(
        assert_error(&bad, 400, "InvalidRequestParameter")["message"],
        "Invalid Group Id Provided."
    );

    emu.reserve("ev-1", json!({"locations": [{"id": "Store01", "reservations": [{"sku": "ID-PEM", "quantity": 1}]}]})).await;
    let (_, events) = finished_export(
        &emu,
        "event-log",
        Some(json!({"sku": "ID-PEM", "startsOn": "2020-01-01T00:00:00Z"})),
    )
    .await;
    let event: Value = serde_json::from_str(events.lines().next().expect("event")).expect("json");
    assert_eq!(
        (
            event["eventType"].clone(),
            event["locationId"].clone(),
            event["quantity"].clone()
        ),
        (json!("RESERVE"), json!("Store01"), json!(1.0))
    );
    let bad_date = emu
        .post(
            &format!("{IMPEX}/event-log/exports"),
            json!({"sku": "ID-PEM", "startsOn": "yesterday"}),
        )
        .await;
    assert_error(&bad_date, 400, "InvalidRequestParameter");
}

/// Submits an import and returns its answer.
async fn submit_import(emu: &Emu, body: Value) -> Value {
    let answer = emu
        .post(&format!("{IMPEX}/availability-records/imports"), body)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

#[tokio::test]
async fn import_flow_changes_records_and_reports_results() {
    let emu = emu().await;
    let started = submit_import(
        &emu,
        json!({"fileName": "inventory.json", "linkDuration": 60}),
    )
    .await;
    assert_eq!(started["uploadMethod"], "POST");
    let id = started["importId"].as_str().expect("id").to_owned();
    let upload = format!(
        "{}{}",
        emu.handle.base_url(),
        started["uploadLink"].as_str().expect("link")
    );
    let file = concat!(
        "{\"recordId\":\"r-1\",\"onHand\":42,\"sku\":\"B-C-COFMAC-001\",\"safetyStockCount\":0,\"locationId\":\"Warehouse01\",",
        "\"futures\":[{\"quantity\":10,\"expectedDate\":\"2030-08-18T14:05:22.781-07:00\"}]}\n",
        "{\"recordId\":\"r-2\",\"onHand\":9,\"sku\":\"ID-PEM\",\"locationId\":\"Warehouse01\"}\n"
    );
    let part = reqwest::multipart::Part::text(file).file_name("inventory.json");
    let form = reqwest::multipart::Form::new().part("fileUpload", part);
    let posted = emu
        .client
        .post(&upload)
        .bearer_auth("all")
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(posted.status(), StatusCode::OK);
    assert_eq!(
        posted.text().await.expect("text"),
        format!("{{\"status\":\"PENDING\",\"importId\":\"{id}\"}}")
    );
    let again = emu
        .client
        .post(&upload)
        .bearer_auth("all")
        .body(file)
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let imports = format!("{IMPEX}/availability-records/imports");
    assert_error(
        &emu.call(
            Method::DELETE,
            &format!("{imports}/{id}"),
            Some("all"),
            None,
        )
        .await,
        409,
        "ImportInProgress",
    );
    assert_error(
        &emu.call(
            Method::GET,
            &format!("{imports}/{id}/file-content"),
            Some("all"),
            None,
        )
        .await,
        409,
        "ImportInProgress",
    );
    let status_link = started["importStatusLink"]
        .as_str()
        .expect("status")
        .to_owned();
    assert_eq!(
        emu.call(Method::GET, &status_link, Some("all"), None)
            .await
            .json()["status"],
        "RUNNING"
    );
    emu.state.advance_clock(Duration::from_secs(61));
    let done = emu
        .call(Method::GET, &status_link, Some("all"), None)
        .await
        .json();
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["import"]["recordsProcessedCount"], 2);
    let results = done["import"]["fullResults"]["href"]
        .as_str()
        .expect("href")
        .to_owned();
    let results = emu.call(Method::GET, &results, Some("all"), None).await;
    assert_eq!(
        results.json(),
        json!({"status": "COMPLETED_WITHOUT_ERRORS"})
    );
    let (_, record) = emu
        .availability("B-C-COFMAC-001", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(
        (record["onHand"].clone(), record["ato"].clone()),
        (json!(42.0), json!(52.0))
    );

    let listed = emu
        .call(Method::GET, &imports, Some("all"), None)
        .await
        .json();
    assert_eq!(listed["imports"], json!([id]));
    assert_eq!(
        emu.call(
            Method::DELETE,
            &format!("{imports}/{id}"),
            Some("all"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        emu.call(Method::GET, &imports, Some("all"), None)
            .await
            .json()["imports"],
        json!([])
    );
    assert_error(
        &emu.call(Method::GET, &status_link, Some("all"), None).await,
        404,
        "EntityNotFound",
    );
    assert_error(
        &emu.call(
            Method::DELETE,
            &format!("{imports}/{id}"),
            Some("all"),
            None,
        )
        .await,
        404,
        "EntityNotFound",
    );
}

#[tokio::test]
async fn import_partial_failures_gzip_put_and_expired_links() {
    let emu = emu().await;
    let started = submit_import(&emu, json!({"fileName": "inv.json.gz"})).await;
    let upload = format!(
        "{}{}",
        emu.handle.base_url(),
        started["uploadLink"].as_str().expect("link")
    );
    let text = "{\"location\":\"Store02\",\"mode\":\"UPDATE\"}\n{\"recordId\":\"a\",\"sku\":\"PS-EL\",\"onHand\":1}\n{\"recordId\":\"b\",\"sku\":\"X1\",\"locationId\":\"Nowhere\",\"onHand\":1}\n";
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gzip, text.as_bytes()).expect("gzip");
    let body = gzip.finish().expect("gzip");
    let put = emu
        .client
        .put(&upload)
        .bearer_auth("all")
        .body(body)
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::OK);
    let status_link = started["importStatusLink"]
        .as_str()
        .expect("status")
        .to_owned();
    emu.state.advance_clock(Duration::from_secs(61));
    let done = emu
        .call(Method::GET, &status_link, Some("all"), None)
        .await
        .json();
    assert_eq!(
        (
            done["import"]["recordsReadCount"].clone(),
            done["import"]["recordsSkippedCount"].clone()
        ),
        (json!(2), json!(1))
    );
    let results = emu
        .call(
            Method::GET,
            done["import"]["fullResults"]["href"]
                .as_str()
                .expect("href"),
            Some("all"),
            None,
        )
        .await
        .text;
    let lines: Vec<Value> = results
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect();
    assert_eq!(
        lines[0],
        json!({"status": "COMPLETED_WITH_PARTIAL_FAILURES"})
    );
    assert_eq!(
        (lines[1]["recordId"].clone(), lines[1]["locationId"].clone()),
        (json!("b"), json!("Nowhere"))
    );
    let (_, store) = emu
        .availability("PS-EL", "LocationGroup02", "Store02")
        .await;
    assert_eq!(store["onHand"], 1.0);

    let short = submit_import(&emu, json!({"fileName": "late.json", "linkDuration": 1})).await;
    emu.state.advance_clock(Duration::from_secs(120));
    let late = format!(
        "{}{}",
        emu.handle.base_url(),
        short["uploadLink"].as_str().expect("link")
    );
    let late = emu
        .client
        .post(&late)
        .bearer_auth("all")
        .body("{}")
        .send()
        .await
        .expect("late");
    assert_eq!(late.status(), StatusCode::GONE);
    let body: Value = serde_json::from_str(&late.text().await.expect("text")).expect("json");
    assert_eq!(body["errorCode"], "ExpiredUploadLink");
    let bad = emu
        .post(
            &format!("{IMPEX}/availability-records/imports"),
            json!({"fileName": "x", "linkDuration": "soon"}),
        )
        .await;
    assert_eq!(
        assert_error(&bad, 400, "InvalidRequestParameter")["message"],
        "link duration must be numeric"
    );
    assert_error(
        &emu.post(&format!("{IMPEX}/availability-records/imports"), json!({}))
            .await,
        400,
        "InvalidRequestParameter",
    );
    let unknown = emu
        .client
        .post(format!(
            "{}{IMPEX}/availability-records/imports/uploadlink/nope",
            emu.handle.base_url()
        ))
        .bearer_auth("all")
        .body("{}")
        .send()
        .await
        .expect("unknown");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn connect_rest_availability_and_reservations_share_the_tenant() {
    let emu = emu().await;
    let provision = emu
        .call(
            Method::PUT,
            &format!("/inventory/internal/v1/organizations/{ORG}"),
            Some("all"),
            None,
        )
        .await;
    assert_eq!(provision.status, StatusCode::NO_CONTENT);
    let base = "/services/data/v58.0/commerce/oci";
    let by_group = emu
        .post(&format!("{base}/availability/availability-records/actions/get-availability"),
            json!({"locationGroupIdentifiers": ["LocationGroup01"], "stockKeepingUnits": ["ID-PEM", "PS-EL"], "useCache": "false"}))
        .await;
    assert_eq!(by_group.status, StatusCode::CREATED);
    let body = by_group.json();
    assert_eq!(body["success"], true);
    assert_eq!(
        body["locationGroups"][0]["locationGroupIdentifier"],
        "LocationGroup01"
    );
    let record = &body["locationGroups"][0]["inventoryRecords"][0];
    assert_eq!(
        (record["stockKeepingUnit"].clone(), record["exists"].clone()),
        (json!("ID-PEM"), json!(true))
    );
    let group_ato = num(&record["availableToOrder"]);

    let reserve = emu
        .post(&format!("{base}/reservation/actions/reservations"),
            json!({"actionRequestId": "c-1", "createRecords": [{"locationGroupIdentifier": "LocationGroup01", "stockKeepingUnit": "ID-PEM", "quantity": 2}]}))
        .await;
    assert_eq!(reserve.status, StatusCode::CREATED);
    let reserved = reserve.json();
    assert_eq!(reserved["success"], true);
    assert_eq!(
        reserved["details"][0],
        json!({"locationGroupIdentifier": "LocationGroup01", "stockKeepingUnit": "ID-PEM", "quantity": 2.0})
    );
    let (group, _) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(
        num(&group["ato"]),
        group_ato - 2.0,
        "Connect writes show up through the Commerce API"
    );

    let released = emu
        .post(&format!("{base}/reservation/actions/releases"),
            json!({"releaseRecords": [{"actionRequestId": "c-2", "locationGroupIdentifier": "LocationGroup01", "stockKeepingUnit": "ID-PEM", "quantity": 2}]}))
        .await
        .json();
    assert_eq!(released["success"], true);
    emu.post(&format!("{base}/reservation/actions/reservations"),
        json!({"actionRequestId": "c-3", "createRecords": [{"locationGroupIdentifier": "LocationGroup01", "stockKeepingUnit": "ID-PEM", "quantity": 1}]}))
        .await;
    let transferred = emu
        .post(&format!("{base}/reservation/actions/transfers"),
            json!({"transferRecords": [{"actionRequestId": "c-4", "fromLocationGroupIdentifier": "LocationGroup01", "toLocationIdentifier": "Warehouse01", "stockKeepingUnit": "ID-PEM", "quantity": 1}]}))
        .await
        .json();
    assert_eq!(transferred["success"], true, "{transferred}");
    let fulfilled = emu
        .post(&format!("{base}/reservation/actions/fulfillments"),
            json!({"fulfillmentRecords": [{"actionRequestId": "c-5", "locationIdentifier": "Warehouse01", "stockKeepingUnit": "ID-PEM", "quantity": 1}]}))
        .await
        .json();
    assert_eq!(fulfilled["success"], true, "{fulfilled}");
    let (_, warehouse) = emu
        .availability("ID-PEM", "LocationGroup01", "Warehouse01")
        .await;
    assert_eq!(
        (warehouse["onHand"].clone(), warehouse["reserved"].clone()),
        (json!(129.0), json!(0.0))
    );
    let by_location = emu
        .post(
            &format!("{base}/availability/availability-records/actions/get-availability"),
            json!({"locationIdentifiers": ["Warehouse01"], "stockKeepingUnits": ["ID-PEM"]}),
        )
        .await
        .json();
    assert_eq!(
        by_location["locations"][0]["locationIdentifier"],
        "Warehouse01"
    );
    assert_eq!(by_location["locationGroups"], json!([]));
    let unknown = emu
        .post(
            &format!("{base}/availability/availability-records/actions/get-availability"),
            json!({"locationGroupIdentifier": "Nope", "stockKeepingUnit": "ID-PEM"}),
        )
        .await
        .json();
    assert_eq!(unknown["success"], false);
    assert_eq!(unknown["errors"][0]["errorCode"], "GroupDoesNotExist");
    let denied = emu
        .call(
            Method::POST,
            &format!("{base}/reservation/actions/reservations"),
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    assert_eq!(denied.json()[0]["errorCode"], "INVALID_SESSION_ID");
}

#[tokio::test]
async fn chaos_switches_are_deterministic() {
    let path = format!("{AV}/availability-records/actions/get-availability");
    let body = json!({"skus": ["ID-PEM"], "locations": ["Warehouse01"]});
    let always_429 = emu_with(OciOptions {
        rate_429: 1.0,
        retry_after_secs: 9,
        ..OciOptions::default()
    })
    .await;
    let answer = always_429.post(&path, body.clone()).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers[RETRY_AFTER], "9");
    assert_eq!(answer.json()["title"], "Too Many Requests");
    let always_503 = emu_with(OciOptions {
        rate_503: 1.0,
        retry_after_secs: 1,
        ..OciOptions::default()
    })
    .await;
    assert_eq!(
        always_503.post(&path, body.clone()).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let always_drop = emu_with(OciOptions {
        rate_drop: 1.0,
        ..OciOptions::default()
    })
    .await;
    let url = format!("{}{path}", always_drop.handle.base_url());
    let dropped = match always_drop
        .client
        .post(&url)
        .bearer_auth("all")
        .body(body.to_string())
        .send()
        .await
    {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(dropped, "the connection is cut");

    let mixed = OciOptions {
        rate_429: 0.3,
        rate_503: 0.3,
        seed: 11,
        retry_after_secs: 1,
        ..OciOptions::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let emu = emu_with(mixed.clone()).await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(emu.post(&path, body.clone()).await.status.as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    for status in [200, 429, 503] {
        assert!(runs[0].contains(&status), "{:?}", runs[0]);
    }
}

#[tokio::test]
async fn seed_files_replace_the_default_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("seed.json");
    let seed = json!({"locations": ["DC-1", "DC-2"], "groups": [{"id": "All", "locations": ["DC-1", "DC-2"]}],
        "records": [{"location": "DC-1", "sku": "WIDGET", "onHand": 3}, {"location": "DC-2", "sku": "WIDGET", "onHand": 4, "safetyStockCount": 1}]});
    std::fs::write(&path, seed.to_string()).expect("write");
    let data = load_seed(&path).expect("seed loads");
    let emu = emu_with(OciOptions {
        data: Some(data),
        ..OciOptions::default()
    })
    .await;
    let (group, location) = emu.availability("WIDGET", "All", "DC-2").await;
    assert_eq!(
        (
            group["onHand"].clone(),
            group["ato"].clone(),
            location["atf"].clone()
        ),
        (json!(7.0), json!(6.0), json!(3.0))
    );

    std::fs::write(
        &path,
        "{\"locations\": [\"A1\"],\n \"records\": [{\"location\": \"A1\"}]}",
    )
    .expect("write");
    let error = load_seed(&path).expect_err("invalid").to_string();
    assert!(error.contains("seed.json:2:"), "{error}");
}
