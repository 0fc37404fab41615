//! `--cookie-jar` and `--export-cookie-jar`: the run's cookies read from and written as
//! tough-cookie's JSON (what Newman reads and writes). The log follows every `Set-Cookie` the
//! run receives, alongside the reqwest jar that sends them.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// One cookie as tough-cookie serialises it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCookie {
    /// Name.
    pub key: String,
    /// Value.
    pub value: String,
    /// Domain without a leading dot.
    pub domain: String,
    /// Path.
    pub path: String,
    /// Set without a `Domain` attribute.
    pub host_only: bool,
    /// Expiry; `None` for a session cookie.
    pub expires: Option<DateTime<Utc>>,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// When it was first stored.
    pub creation: DateTime<Utc>,
}

/// The cookies of a run, shared by the HTTP client and the command that exports them.
#[derive(Debug, Clone, Default)]
pub struct CookieLog {
    cookies: Arc<Mutex<Vec<StoredCookie>>>,
}

impl CookieLog {
    /// Reads tough-cookie JSON (`{"cookies": [...]}` or a bare list); entries without a key or
    /// domain are skipped.
    pub fn from_tough_cookie(value: &Value) -> Result<CookieLog, String> {
        let list = value
            .get("cookies")
            .or(Some(value))
            .and_then(Value::as_array)
            .ok_or("expected tough-cookie JSON: an object with a `cookies` list")?;
        let now = Utc::now();
        let time = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let cookies = list
            .iter()
            .filter_map(|c| {
                let text = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
                let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
                Some(StoredCookie {
                    key: text("key")?,
                    value: text("value").unwrap_or_default(),
                    domain: text("domain")?.trim_start_matches('.').to_string(),
                    path: text("path").unwrap_or_else(|| "/".into()),
                    host_only: flag("hostOnly"),
                    expires: time(c.get("expires")),
                    secure: flag("secure"),
                    http_only: flag("httpOnly"),
                    creation: time(c.get("creation")).unwrap_or(now),
                })
            })
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .collect();
        Ok(CookieLog {
            cookies: Arc::new(Mutex::new(cookies)),
        })
    }

    /// Every cookie now, as `Set-Cookie` text with the URL it belongs to (for seeding a jar).
    pub fn set_cookie_lines(&self) -> Vec<(String, String)> {
        self.lock()
            .iter()
            .map(|c| {
                let mut line = format!("{}={}; Path={}", c.key, c.value, c.path);
                if !c.host_only {
                    line.push_str(&format!("; Domain={}", c.domain));
                }
                if let Some(e) = c.expires {
                    line.push_str(&format!(
                        "; Expires={}",
                        e.format("%a, %d %b %Y %H:%M:%S GMT")
                    ));
                }
                if c.secure {
                    line.push_str("; Secure");
                }
                if c.http_only {
                    line.push_str("; HttpOnly");
                }
                let scheme = if c.secure { "https" } else { "http" };
                (line, format!("{scheme}://{}{}", c.domain, c.path))
            })
            .collect()
    }

    /// Records one `Set-Cookie` header received from `url` (an expired one removes the cookie).
    pub fn record(&self, header: &str, url: &reqwest::Url) {
        let Some(cookie) = parse_set_cookie(header, url) else {
            return;
        };
        let mut cookies = self.lock();
        cookies.retain(|c| {
            !(c.key == cookie.key && c.domain == cookie.domain && c.path == cookie.path)
        });
        if cookie.expires.is_none_or(|e| e > Utc::now()) {
            cookies.push(cookie);
        }
    }

    /// Sorts `name=value` pairs for a `Cookie` header as tough-cookie does: longer paths first,
    /// then in the order the cookies were stored; pairs this log does not know keep their order
    /// after the known ones.
    pub fn sort_pairs(&self, pairs: &mut [(String, String)]) {
        let cookies = self.lock();
        let rank = |(name, value): &(String, String)| {
            cookies
                .iter()
                .enumerate()
                .rev()
                .find(|(_, c)| &c.key == name && &c.value == value)
                .map_or((1, 0, usize::MAX), |(i, c)| {
                    (0, usize::MAX - c.path.len(), i)
                })
        };
        pairs.sort_by_key(|p| rank(p));
    }

    /// tough-cookie's JSON of the jar, as Newman's `--export-cookie-jar` writes it.
    pub fn to_tough_cookie(&self) -> Value {
        let now = Utc::now();
        let stamp =
            |t: DateTime<Utc>| Value::String(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        let cookies: Vec<Value> = self
            .lock()
            .iter()
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .map(|c| {
                let mut m = Map::new();
                m.insert("key".into(), Value::String(c.key.clone()));
                m.insert("value".into(), Value::String(c.value.clone()));
                if let Some(e) = c.expires {
                    m.insert("expires".into(), stamp(e));
                }
                m.insert("domain".into(), Value::String(c.domain.clone()));
                m.insert("path".into(), Value::String(c.path.clone()));
                if c.secure {
                    m.insert("secure".into(), Value::Bool(true));
                }
                if c.http_only {
                    m.insert("httpOnly".into(), Value::Bool(true));
                }
                m.insert("hostOnly".into(), Value::Bool(c.host_only));
                m.insert("creation".into(), stamp(c.creation));
                m.insert("lastAccessed".into(), stamp(now));
                Value::Object(m)
            })
            .collect();
        json!({
            "version": "tough-cookie@4.1.3-postman.1",
            "storeType": "MemoryCookieStore",
            "rejectPublicSuffixes": false,
            "enableLooseMode": true,
            "allowSpecialUseDomain": true,
            "prefixSecurity": "silent",
            "cookies": cookies,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<StoredCookie>> {
        self.cookies.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `name=value; Domain=..; Path=..; Expires=..; Max-Age=..; Secure; HttpOnly`, with RFC 6265's
/// defaults (host-only, the request path's directory).
fn parse_set_cookie(header: &str, url: &reqwest::Url) -> Option<StoredCookie> {
    let mut parts = header.split(';');
    let (key, value) = parts.next()?.split_once('=')?;
    let key = key.trim();
    if key.is_empty() {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let default_path = match url.path().rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => url.path()[..i].to_string(),
    };
    let now = Utc::now();
    let mut cookie = StoredCookie {
        key: key.to_string(),
        value: value.trim().to_string(),
        domain: host,
        path: default_path,
        host_only: true,
        expires: None,
        secure: false,
        http_only: false,
        creation: now,
    };
    let mut max_age = None;
    for attr in parts {
        let (name, val) = attr.split_once('=').unwrap_or((attr, ""));
        let val = val.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "domain" if !val.is_empty() => {
                cookie.domain = val.trim_start_matches('.').to_ascii_lowercase();
                cookie.host_only = false;
            }
            "path" if val.starts_with('/') => cookie.path = val.to_string(),
            "expires" => {
                cookie.expires = DateTime::parse_from_rfc2822(&val.replace('-', " "))
                    .ok()
                    .map(|t| t.with_timezone(&Utc));
            }
            "max-age" => max_age = val.parse::<i64>().ok(),
            "secure" => cookie.secure = true,
            "httponly" => cookie.http_only = true,
            _ => {}
        }
    }
    if let Some(seconds) = max_age {
        cookie.expires = Some(now + chrono::Duration::seconds(seconds.max(-1)));
    }
    Some(cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_attributes_and_deletion() {
        let log = CookieLog::default();
        let url = reqwest::Url::parse("http://Example.test/a/b").unwrap();
        log.record("c1=v1; Path=/", &url);
        log.record("c2=v2; Domain=.example.test; Secure; HttpOnly", &url);
        log.record("c3=v3; Max-Age=0", &url);
        let jar = log.to_tough_cookie();
        let cookies = jar["cookies"].as_array().unwrap();
        assert_eq!(cookies.len(), 2, "{jar}");
        assert_eq!(cookies[0]["domain"], "example.test");
        assert_eq!(cookies[0]["hostOnly"], true);
        assert_eq!(cookies[1]["hostOnly"], false);
        assert_eq!(cookies[1]["path"], "/a");
        assert_eq!(cookies[1]["secure"], true);
        log.record(
            "c1=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            &url,
        );
        assert_eq!(
            log.to_tough_cookie()["cookies"].as_array().unwrap().len(),
            1
        );
        let again = CookieLog::from_tough_cookie(&log.to_tough_cookie()).unwrap();
        assert_eq!(again.set_cookie_lines().len(), 1);
        assert!(
            again.set_cookie_lines()[0]
                .0
                .starts_with("c2=v2; Path=/a; Domain=example.test")
        );
    }
}
