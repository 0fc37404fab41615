//! `RequestSpec`: what snapman intends to send, fully resolved, and the protocol settings for it.

use std::collections::HashSet;

use serde_json::{Map, Value};

/// A request ready to send: variables resolved, body built, auth applied.
#[derive(Debug, Clone, Default)]
pub struct RequestSpec {
    /// HTTP method (any token).
    pub method: String,
    /// Encoded URL.
    pub url: String,
    /// Headers in order; duplicates are all sent.
    pub headers: Vec<(String, String)>,
    /// Body bytes, when any.
    pub body: Option<Vec<u8>>,
    /// The `Content-Type` header was added by the body builder, not written by the user
    /// (postman-runtime adds it after auth has signed, so signatures leave it out).
    pub content_type_from_body: bool,
    /// Protocol settings from `protocolProfileBehavior` and the run options.
    pub settings: ProtocolSettings,
}

impl RequestSpec {
    /// True when an enabled header named `name` exists (case-insensitive).
    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// Removes every header named `name` (case-insensitive).
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// Sets `name` to `value`, replacing existing ones.
    pub fn set_header(&mut self, name: &str, value: String) {
        self.remove_header(name);
        self.headers.push((name.to_string(), value));
    }
}

/// Per-request protocol settings (Postman's `protocolProfileBehavior`, merged root to leaf,
/// with the run's flags as defaults).
#[derive(Debug, Clone)]
pub struct ProtocolSettings {
    /// Follow 3xx responses.
    pub follow_redirects: bool,
    /// Keep the method (and body) on 301/302/303 redirects.
    pub follow_original_method: bool,
    /// Keep `Authorization` when a redirect changes host.
    pub follow_authorization_header: bool,
    /// Drop `Referer` on redirects.
    pub remove_referer_on_redirect: bool,
    /// Hop limit.
    pub max_redirects: usize,
    /// Verify TLS certificates.
    pub strict_ssl: bool,
    /// Neither send nor store cookies.
    pub disable_cookies: bool,
    /// Send the URL as typed.
    pub disable_url_encoding: bool,
    /// Keep bodies on GET/HEAD/COPY/PURGE/UNLOCK.
    pub disable_body_pruning: bool,
    /// System headers not to add (lower-case names).
    pub disabled_system_headers: HashSet<String>,
    /// Body and form files only from inside the working directory (`--no-insecure-file-read`).
    pub secure_file_read: bool,
}

impl Default for ProtocolSettings {
    fn default() -> Self {
        ProtocolSettings {
            follow_redirects: true,
            follow_original_method: false,
            follow_authorization_header: false,
            remove_referer_on_redirect: false,
            max_redirects: 10,
            strict_ssl: true,
            disable_cookies: false,
            disable_url_encoding: false,
            disable_body_pruning: false,
            disabled_system_headers: HashSet::new(),
            secure_file_read: false,
        }
    }
}

impl ProtocolSettings {
    /// Applies one `protocolProfileBehavior` object on top of these settings.
    pub fn apply(&mut self, ppb: &Map<String, Value>) {
        let flag = |key: &str| ppb.get(key).and_then(Value::as_bool);
        if let Some(v) = flag("followRedirects") {
            self.follow_redirects = v;
        }
        if let Some(v) = flag("followOriginalHttpMethod") {
            self.follow_original_method = v;
        }
        if let Some(v) = flag("followAuthorizationHeader") {
            self.follow_authorization_header = v;
        }
        if let Some(v) = flag("removeRefererHeaderOnRedirect") {
            self.remove_referer_on_redirect = v;
        }
        if let Some(v) = ppb.get("maxRedirects").and_then(Value::as_u64) {
            self.max_redirects = usize::try_from(v).unwrap_or(usize::MAX);
        }
        if let Some(v) = flag("strictSSL") {
            self.strict_ssl = v;
        }
        if let Some(v) = flag("disableCookies") {
            self.disable_cookies = v;
        }
        if let Some(v) = flag("disableUrlEncoding") {
            self.disable_url_encoding = v;
        }
        if let Some(v) = flag("disableBodyPruning") {
            self.disable_body_pruning = v;
        }
        if let Some(map) = ppb.get("disabledSystemHeaders").and_then(Value::as_object) {
            for (name, on) in map {
                if on.as_bool() == Some(true) {
                    self.disabled_system_headers
                        .insert(name.to_ascii_lowercase());
                } else {
                    self.disabled_system_headers
                        .remove(&name.to_ascii_lowercase());
                }
            }
        }
    }
}
