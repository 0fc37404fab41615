//! What was actually sent and received for one request: the input of scripts and reporters.

use std::time::Duration;

use crate::collection::model::Body;

/// A request as it went on the wire (after variables, auth and encoding).
#[derive(Debug, Clone, Default)]
pub struct SentRequest {
    /// HTTP method.
    pub method: String,
    /// Full URL as sent.
    pub url: String,
    /// Headers in the order sent, including the ones snapman adds.
    pub headers: Vec<(String, String)>,
    /// Body bytes, when any.
    pub body: Option<Vec<u8>>,
    /// The body as the request defined it when it was sent, variables resolved (`raw` text left
    /// out: it is in `body`), so reports can show form fields as Newman does; `None` when the
    /// request was not built by a run.
    pub definition: Option<Body>,
    /// The length of a body sent but no longer kept (see [`SentRequest::drop_body`]).
    pub dropped_body_len: Option<usize>,
}

impl SentRequest {
    /// The length of the body sent, kept or not.
    pub fn body_len(&self) -> Option<usize> {
        self.body.as_ref().map(Vec::len).or(self.dropped_body_len)
    }

    /// Forgets the body, remembering its length.
    pub fn drop_body(&mut self) {
        if let Some(body) = self.body.take() {
            self.dropped_body_len = Some(body.len());
        }
    }
}

/// A response as received (body decompressed).
#[derive(Debug, Clone, Default)]
pub struct ReceivedResponse {
    /// Status code.
    pub code: u16,
    /// Reason phrase (`OK`, `Not Found`, ...).
    pub status: String,
    /// Headers in the order received.
    pub headers: Vec<(String, String)>,
    /// Decoded body.
    pub body: Vec<u8>,
    /// Time from sending to the end of the body.
    pub response_time: Duration,
    /// Time from sending the last hop (after redirects) to its response headers; zero when
    /// not measured.
    pub first_byte: Duration,
    /// Body size plus header size, as Newman counts `responseSize`.
    pub response_size: usize,
    /// The size of the whole body when `--max-body-size` cut it (`body` holds its start).
    pub truncated_from: Option<usize>,
}

impl ReceivedResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Body bytes received: the body's length, or the whole size when `--max-body-size` cut it.
    pub fn received_size(&self) -> usize {
        self.truncated_from.unwrap_or(self.body.len())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request got no response: refused, DNS, TLS, timeout, invalid URL, ...
#[derive(Debug, Clone)]
pub struct RequestError {
    /// A Node-style code Newman reports (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, `ERR_TLS`, `EINVALIDURL`, ...).
    pub code: String,
    /// The cause, readable.
    pub message: String,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}
