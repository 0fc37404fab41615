//! What every service family of the emulator answers outside its handlers: paths with repeated
//! slashes are routed as the production gateways route them, and the generic answers of the
//! HTTP stack (404 for an unknown route, 405, 413, a query string that does not parse) come back
//! in the shape of the service the path belongs to instead of as plain text or an empty body.

use axum::extract::Request;
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::oci::ApiError;

/// The service a request path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The OCI Commerce APIs (`/inventory/...`): `application/problem+json` errors.
    Oci,
    /// Salesforce REST (`/services/data/...`): `[{"errorCode", "message"}]` arrays.
    Connect,
    /// Salesforce login and Account Manager (`/services/oauth2/...`, `/dw[sso]/oauth2/...`,
    /// `/services/Soap/...`): `{"error", "error_description"}`.
    Login,
    /// Everything else: the postman-echo stand-in, which answers as postman-echo does.
    Echo,
}

impl Family {
    /// The family of a request path (repeated slashes already collapsed).
    pub fn of(path: &str) -> Self {
        if path == "/inventory" || path.starts_with("/inventory/") {
            Family::Oci
        } else if path.starts_with("/services/data/") || path == "/services/data" {
            Family::Connect
        } else if path.starts_with("/services/oauth2/")
            || path.starts_with("/dw/oauth2/")
            || path.starts_with("/dwsso/oauth2/")
            || path.starts_with("/services/Soap/")
        {
            Family::Login
        } else {
            Family::Echo
        }
    }
}

/// `path` with every run of slashes collapsed to one.
pub fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Rewrites the request URI before routing: a path of a service family (not the echo routes,
/// which echo the path as sent) has its repeated slashes collapsed, as the production gateway
/// does for `{{api_url}}/{{statusLink}}` when the link starts with `/`.
pub fn normalize_uri(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    if !path.contains("//") {
        return None;
    }
    let collapsed = collapse_slashes(path);
    if Family::of(&collapsed) == Family::Echo {
        return None;
    }
    let target = match uri.query() {
        Some(query) => format!("{collapsed}?{query}"),
        None => collapsed,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = target.parse().ok();
    Uri::from_parts(parts).ok()
}

/// The error answer of `family` for `status`, with `message` as its human text.
pub fn error_response(family: Family, status: StatusCode, message: &str) -> Response {
    match family {
        Family::Oci => oci_error(status, message).into_response(),
        Family::Connect => {
            let code = match status {
                StatusCode::NOT_FOUND => "NOT_FOUND",
                StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
                StatusCode::PAYLOAD_TOO_LARGE => "REQUEST_ENTITY_TOO_LARGE",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
                StatusCode::BAD_REQUEST => "JSON_PARSER_ERROR",
                _ => "UNKNOWN_EXCEPTION",
            };
            (
                status,
                axum::Json(json!([{"errorCode": code, "message": message}])),
            )
                .into_response()
        }
        Family::Login => {
            let error = if status == StatusCode::NOT_FOUND {
                "not_found"
            } else {
                "invalid_request"
            };
            (
                status,
                axum::Json(json!({"error": error, "error_description": message})),
            )
                .into_response()
        }
        Family::Echo => (
            status,
            axum::Json(json!({"error": {"name": status.canonical_reason().unwrap_or("Error"), "message": message}})),
        )
            .into_response(),
    }
}

/// The OCI answer for a status the handlers do not produce themselves: service errors of the
/// RAML's error types where one fits, the gateway's shape otherwise.
fn oci_error(status: StatusCode, message: &str) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::not_found(message),
        StatusCode::BAD_REQUEST => ApiError::invalid_parameter(message),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::gateway(status, "method-not-allowed", "Method Not Allowed", message)
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::gateway(status, "payload-too-large", "Payload Too Large", message)
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::gateway(
            status,
            "unsupported-media-type",
            "Unsupported Media Type",
            message,
        ),
        _ => ApiError::gateway(
            status,
            "error",
            status.canonical_reason().unwrap_or("Error"),
            message,
        ),
    }
}

/// The answer for a path no route of its family serves.
pub fn unknown_route(method: &Method, path: &str) -> Response {
    let family = Family::of(path);
    let message = match family {
        Family::Oci => format!("No resource matches {method} {path}."),
        Family::Connect => "The requested resource does not exist".to_owned(),
        _ => format!("Unknown endpoint {method} {path}."),
    };
    error_response(family, StatusCode::NOT_FOUND, &message)
}

/// Handler of the catch-all routes of each service family.
pub async fn unknown(method: Method, uri: Uri) -> Response {
    unknown_route(&method, uri.path())
}

/// Middleware: a generic error of the HTTP stack (a plain-text rejection, an empty 405) on a
/// service path is replaced by that service's error shape; the `Allow` header is kept.
pub async fn shape_errors(request: Request, next: Next) -> Response {
    let family = Family::of(request.uri().path());
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if family == Family::Echo || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let plain = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_none_or(|value| value.starts_with("text/plain"));
    if !plain {
        return response;
    }
    let allow = response.headers().get(ALLOW).cloned();
    let (_, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = allow
                .as_ref()
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            format!("HTTP method {method} is not allowed here; allowed: {allowed}.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "The request body is larger than this endpoint accepts.".to_owned()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("Error").to_owned(),
        _ => text,
    };
    let mut shaped = error_response(family, status, &message);
    if let Some(allow) = allow {
        shaped.headers_mut().insert(ALLOW, allow);
    }
    shaped
}

/// A 413 for a body over the emulator's limit, in the shape of the path's service.
pub fn too_large(path: &str) -> Response {
    error_response(
        Family::of(path),
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request body is larger than this endpoint accepts.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_collapse_only_on_service_paths() {
        let uri: Uri = "//inventory//impex/v1/x?a=b//c".parse().expect("uri");
        let fixed = normalize_uri(&uri).expect("rewritten");
        assert_eq!(fixed.path(), "/inventory/impex/v1/x");
        assert_eq!(fixed.query(), Some("a=b//c"));
        let echo: Uri = "/get//x".parse().expect("uri");
        assert!(normalize_uri(&echo).is_none());
        assert_eq!(Family::of("/services/oauth2/token"), Family::Login);
    }
}
