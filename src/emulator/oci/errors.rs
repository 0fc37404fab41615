//! Error bodies exactly as the OCI RAML specs show them.
//!
//! Two shapes exist. OCI service errors (`application/problem+json`):
//!
//! ```json
//! {"type":"about:blank","errorCode":"GroupDoesNotExist","message":"No group exists with ID 'abc'","group":"abc"}
//! ```
//!
//! and gateway errors (401, 403 for a missing scope, 429, 503):
//!
//! ```json
//! {"type":"https://api.commercecloud.salesforce.com/documentation/error/v1/errors/unauthorized","title":"Unauthorized","detail":"..."}
//! ```

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Content type of every error body.
const PROBLEM_JSON: &str = "application/problem+json";
/// Prefix of the gateway error `type` URIs.
const GATEWAY_TYPE: &str =
    "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/";

/// The 400 `errorCode`s an operation's RAML documents, and the one any other 400 becomes.
#[derive(Debug)]
pub struct Documented {
    /// The documented codes.
    pub codes: &'static [&'static str],
    /// The code of an undocumented 400.
    pub fallback: &'static str,
}

/// The availability API (`IasError` types): batch-update, get-availability, get-deltas and
/// the single record writes.
pub const AVAILABILITY_400: Documented = Documented {
    codes: &[
        "InvalidRequestParameter",
        "LocationDoesNotExist",
        "GroupDoesNotExist",
        "ExpiredDeltaLink",
        "EntityAlreadyExists",
        "EntityNotFound",
    ],
    fallback: "InvalidRequestParameter",
};

/// The impex API (`400InvalidRequestParameterError` and the location and group examples).
pub const IMPEX_400: Documented = Documented {
    codes: &[
        "InvalidRequestParameter",
        "LocationDoesNotExist",
        "GroupDoesNotExist",
    ],
    fallback: "InvalidRequestParameter",
};

/// Reservation create (`400InvalidRequestLocOrGroupDoesNotExist`).
pub const CREATE_400: Documented = Documented {
    codes: &[
        "InvalidRequest",
        "LocationDoesNotExist",
        "GroupDoesNotExist",
    ],
    fallback: "InvalidRequest",
};

/// Reservation cancel (`400InvalidRequestParameter`).
pub const CANCEL_400: Documented = Documented {
    codes: &["InvalidRequestParameter"],
    fallback: "InvalidRequestParameter",
};

/// Transfers (`400InvalidRequestParameterLocOrGroupDoesNotExist`).
pub const TRANSFERS_400: Documented = Documented {
    codes: &[
        "InvalidRequestParameter",
        "LocationDoesNotExist",
        "GroupDoesNotExist",
    ],
    fallback: "InvalidRequestParameter",
};

/// Releases (`400InvReqParamInvReqLocOrGroupDoesNotExist`).
pub const RELEASES_400: Documented = Documented {
    codes: &[
        "InvalidRequestParameter",
        "InvalidRequest",
        "LocationDoesNotExist",
        "GroupDoesNotExist",
    ],
    fallback: "InvalidRequestParameter",
};

/// Fulfillments (`400MissingParameter`).
pub const FULFILLMENTS_400: Documented = Documented {
    codes: &["MissingParameter"],
    fallback: "MissingParameter",
};

/// An error answer of the OCI APIs.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// An OCI service error: `errorCode`, `message` and optional extra properties.
    Problem {
        /// HTTP status.
        status: StatusCode,
        /// The spec's `errorCode` enum value.
        code: &'static str,
        /// Human readable text.
        message: String,
        /// Extra properties such as `group`, `location` or `parameterName`.
        extra: Vec<(&'static str, String)>,
    },
    /// A gateway error (authentication, scope, rate limit, unavailable).
    Gateway {
        /// HTTP status.
        status: StatusCode,
        /// Last segment of the `type` URI, e.g. `unauthorized`.
        kind: &'static str,
        /// The `title`.
        title: &'static str,
        /// The `detail`.
        detail: String,
        /// `Retry-After` seconds, for 429 and 503.
        retry_after: Option<u64>,
    },
}

impl ApiError {
    /// A service error without extra properties.
    pub fn problem(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Problem {
            status,
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// Adds an extra property (`group`, `location`, `parameterName`).
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        if let Self::Problem { extra, .. } = &mut self {
            extra.push((key, value.into()));
        }
        self
    }

    /// 400 `InvalidRequestParameter`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::problem(StatusCode::BAD_REQUEST, "InvalidRequestParameter", message)
    }

    /// 400 `InvalidRequest` for a body that is not the JSON the endpoint expects.
    pub fn malformed() -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The format of the message is incorrect",
        )
    }

    /// 400 for a missing field: `InvalidRequestParameter` naming it, the code every operation
    /// documents (only fulfillments document `MissingParameter`, see [`Self::into_missing`]).
    pub fn missing(field: &str) -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            "InvalidRequestParameter",
            format!("The field '{field}' is missing from the request body."),
        )
        .with("parameterName", field)
    }

    /// A 400 service error with a code the operation does not document gets the operation's
    /// fallback code (message and properties kept); other errors are unchanged.
    pub fn documented(self, documented: &Documented) -> Self {
        match self {
            Self::Problem {
                status,
                code,
                message,
                extra,
            } if status == StatusCode::BAD_REQUEST && !documented.codes.contains(&code) => {
                Self::Problem {
                    status,
                    code: documented.fallback,
                    message,
                    extra,
                }
            }
            other => other,
        }
    }

    /// 400 `GroupDoesNotExist` with the `group` property.
    pub fn no_group(id: &str) -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            "GroupDoesNotExist",
            format!("No group exists with ID '{id}'"),
        )
        .with("group", id)
    }

    /// 400 `LocationDoesNotExist` with the `location` property.
    pub fn no_location(id: &str) -> Self {
        Self::problem(
            StatusCode::BAD_REQUEST,
            "LocationDoesNotExist",
            format!("No location exists with ID '{id}'"),
        )
        .with("location", id)
    }

    /// 404 `EntityNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::problem(StatusCode::NOT_FOUND, "EntityNotFound", message)
    }

    /// 409 with the given code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::problem(StatusCode::CONFLICT, code, message)
    }

    /// 410 with the given code.
    pub fn gone(code: &'static str, message: impl Into<String>) -> Self {
        Self::problem(StatusCode::GONE, code, message)
    }

    /// A gateway error of any status (`kind` is the last segment of the `type` URI).
    pub fn gateway(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self::Gateway {
            status,
            kind,
            title,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 401 from the gateway.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::Gateway {
            status: StatusCode::UNAUTHORIZED,
            kind: "unauthorized",
            title: "Unauthorized",
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 403 from the gateway: the token lacks the endpoint's scope.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Gateway {
            status: StatusCode::FORBIDDEN,
            kind: "forbidden",
            title: "Forbidden",
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        Self::Gateway {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "too-many-requests",
            title: "Too Many Requests",
            detail: "The request limit has been exceeded. Retry the request later.".to_owned(),
            retry_after: Some(retry_after),
        }
    }

    /// 503 with `Retry-After`.
    pub fn unavailable(retry_after: u64) -> Self {
        Self::Gateway {
            status: StatusCode::SERVICE_UNAVAILABLE,
            kind: "service-unavailable",
            title: "Service Unavailable",
            detail: "The service is temporarily unavailable. Retry the request later.".to_owned(),
            retry_after: Some(retry_after),
        }
    }

    /// The `errorCode` (service errors) or `type` segment (gateway errors).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Problem { code, .. } => code,
            Self::Gateway { kind, .. } => kind,
        }
    }

    /// The human readable text.
    pub fn message(&self) -> &str {
        match self {
            Self::Problem { message, .. } => message,
            Self::Gateway { detail, .. } => detail,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Problem { status, .. } | Self::Gateway { status, .. } => *status,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        match self {
            Self::Problem {
                code,
                message,
                extra,
                ..
            } => {
                let mut body = Map::new();
                body.insert("type".into(), json!("about:blank"));
                body.insert("errorCode".into(), json!(code));
                body.insert("message".into(), json!(message));
                for (key, value) in extra {
                    body.insert((*key).into(), json!(value));
                }
                Value::Object(body)
            }
            Self::Gateway {
                kind,
                title,
                detail,
                ..
            } => json!({"type": format!("{GATEWAY_TYPE}{kind}"), "title": title, "detail": detail}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Self::Gateway {
            status,
            detail,
            retry_after,
            ..
        } = &self
        {
            if *status == StatusCode::UNAUTHORIZED {
                let challenge = format!(
                    "Bearer realm=\"commercecloud\", error=\"invalid_token\", error_description=\"{}\"",
                    detail.replace('"', "'")
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(WWW_AUTHENTICATE, value);
                }
            }
            if let Some(seconds) = retry_after {
                headers.insert(RETRY_AFTER, HeaderValue::from(*seconds));
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_error_carries_the_group_property() {
        let body = ApiError::no_group("abc").body();
        assert_eq!(
            body,
            json!({"type":"about:blank","errorCode":"GroupDoesNotExist",
                   "message":"No group exists with ID 'abc'","group":"abc"})
        );
    }

    #[test]
    fn gateway_errors_use_scapi_type_uris() {
        let error = ApiError::too_many_requests(7);
        assert_eq!(error.status(), StatusCode::TOO_MANY_REQUESTS);
        let response = error.into_response();
        assert_eq!(response.headers()[RETRY_AFTER], "7");
        assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_JSON);
    }
}
