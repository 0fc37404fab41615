//! The run's cookie jar: RFC 6265 storage (`cookie_store`, the store behind reqwest's own `Jar`)
//! that reqwest reads and writes for every request, and that scripts reach through
//! `pm.cookies.jar()` with the cookies' attributes, as Postman's tough-cookie jar shows them.

use std::sync::{PoisonError, RwLock};

use chrono::{DateTime, SecondsFormat};
use cookie_store::{Cookie, CookieDomain, CookieStore};
use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};
use url::Url;

/// A cookie jar shared by every request of a run.
#[derive(Debug, Default)]
pub struct CookieJar(RwLock<CookieStore>);

/// A cookie as `pm.cookies.jar()` hands it to scripts (Postman's cookie JSON, in its key order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JarCookie {
    /// Name.
    pub name: String,
    /// The `Expires` attribute as an ISO 8601 time; `None` when it has none.
    pub expires: Option<String>,
    /// `Max-Age` in seconds, 0 when the cookie has none.
    pub max_age: i64,
    /// The domain it is sent to.
    pub domain: String,
    /// The path it is sent under.
    pub path: String,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// Set without a `Domain` attribute: sent to that exact host only.
    pub host_only: bool,
    /// Value.
    pub value: String,
}

/// A cookie a script sets (`jar.set(url, name, value)` or `jar.set(url, {name, value, ...})`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCookie {
    /// Name.
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: String,
    /// `Domain` attribute.
    pub domain: Option<String>,
    /// `Path` attribute.
    pub path: Option<String>,
    /// `Secure`.
    #[serde(default)]
    pub secure: bool,
    /// `HttpOnly`.
    #[serde(default)]
    pub http_only: bool,
    /// `Expires` attribute, as an HTTP date or an ISO 8601 time.
    pub expires: Option<String>,
    /// `Max-Age` in seconds.
    pub max_age: Option<i64>,
}

impl CookieJar {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, CookieStore> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, CookieStore> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The unexpired cookies a request to `url` would carry.
    pub fn get_all(&self, url: &Url) -> Vec<JarCookie> {
        self.read().matches(url).into_iter().map(to_jar).collect()
    }

    /// The value of the cookie named `name` a request to `url` would carry.
    pub fn get(&self, url: &Url, name: &str) -> Option<String> {
        self.read()
            .matches(url)
            .into_iter()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_string())
    }

    /// Stores `cookie` as if `url` had set it, and returns it as stored.
    pub fn set(&self, url: &Url, cookie: &NewCookie) -> Result<JarCookie, String> {
        let text = set_cookie_text(cookie)?;
        let parsed = Cookie::parse(text, url)
            .map_err(|e| format!("invalid cookie {}: {e}", cookie.name))?
            .into_owned();
        let (domain, path) = (String::from(&parsed.domain), String::from(&parsed.path));
        let mut store = self.write();
        store
            .insert(parsed, url)
            .map_err(|e| format!("cookie {} not stored: {e}", cookie.name))?;
        store
            .get_any(&domain, &path, &cookie.name)
            .map(to_jar)
            .ok_or_else(|| format!("cookie {} not stored: it has expired", cookie.name))
    }

    /// Removes the cookies named `name` that a request to `url` would carry.
    pub fn unset(&self, url: &Url, name: &str) {
        self.remove_where(|c| c.name() == name && c.matches(url));
    }

    /// Removes every cookie of `url`'s host, whatever its path.
    pub fn clear(&self, url: &Url) {
        self.remove_where(|c| c.domain.matches(url));
    }

    fn remove_where(&self, doomed: impl Fn(&Cookie<'_>) -> bool) {
        let mut store = self.write();
        let keys: Vec<(String, String, String)> = store
            .iter_any()
            .filter(|c| doomed(c))
            .map(|c| {
                (
                    String::from(&c.domain),
                    String::from(&c.path),
                    c.name().to_string(),
                )
            })
            .collect();
        for (domain, path, name) in keys {
            store.remove(&domain, &path, &name);
        }
    }
}

impl reqwest::cookie::CookieStore for CookieJar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        let cookies = cookie_headers
            .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok())
            .filter_map(|v| cookie_store::RawCookie::parse(v.to_string()).ok());
        self.write().store_response_cookies(cookies, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let header = self
            .read()
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if header.is_empty() {
            return None;
        }
        HeaderValue::from_str(&header).ok()
    }
}

/// The `Set-Cookie` text for a cookie a script sets.
fn set_cookie_text(c: &NewCookie) -> Result<String, String> {
    if c.name.is_empty() || c.name.contains(['=', ';']) {
        return Err(format!("invalid cookie name {:?}", c.name));
    }
    if c.value.contains(';') {
        return Err(format!(
            "invalid value for cookie {}: it contains ';'",
            c.name
        ));
    }
    let mut text = format!("{}={}", c.name, c.value);
    let attributes = [
        ("Domain", c.domain.clone()),
        ("Path", c.path.clone()),
        ("Max-Age", c.max_age.map(|s| s.to_string())),
        ("Expires", c.expires.as_deref().map(http_date)),
    ];
    for (key, value) in attributes {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            if value.contains(';') {
                return Err(format!("invalid {key} for cookie {}", c.name));
            }
            text.push_str(&format!("; {key}={value}"));
        }
    }
    if c.secure {
        text.push_str("; Secure");
    }
    if c.http_only {
        text.push_str("; HttpOnly");
    }
    Ok(text)
}

/// An ISO 8601 time as an HTTP date; any other text is kept as written.
fn http_date(text: &str) -> String {
    DateTime::parse_from_rfc3339(text).map_or_else(
        |_| text.to_string(),
        |t| t.to_utc().format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    )
}

/// A stored cookie in Postman's shape.
fn to_jar(c: &Cookie<'_>) -> JarCookie {
    // The `Expires` attribute as set (a `Max-Age` cookie has none), as tough-cookie keeps it.
    let expires = c
        .expires_datetime()
        .and_then(|at| DateTime::from_timestamp(at.unix_timestamp(), 0))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
    JarCookie {
        name: c.name().to_string(),
        expires,
        max_age: c.max_age().map_or(0, |d| d.whole_seconds()),
        domain: String::from(&c.domain),
        path: String::from(&c.path),
        secure: c.secure().unwrap_or(false),
        http_only: c.http_only().unwrap_or(false),
        host_only: matches!(c.domain, CookieDomain::HostOnly(_)),
        value: c.value().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::cookie::CookieStore as _;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn response_cookies_are_listed_with_attributes() {
        let jar = CookieJar::default();
        let u = url("http://example.com/a/b");
        let headers = [
            HeaderValue::from_static("s=1"),
            HeaderValue::from_static("p=2; Path=/; Domain=example.com; HttpOnly; Max-Age=60"),
        ];
        jar.set_cookies(&mut headers.iter(), &u);
        let all = jar.get_all(&u);
        assert_eq!(all.len(), 2);
        let s = all.iter().find(|c| c.name == "s").expect("s");
        assert_eq!(
            (s.path.as_str(), s.host_only, s.expires.as_deref()),
            ("/a", true, None)
        );
        let p = all.iter().find(|c| c.name == "p").expect("p");
        assert_eq!(
            (p.max_age, p.http_only, p.host_only, p.expires.as_deref()),
            (60, true, false, None)
        );
        assert_eq!(jar.get(&u, "p").as_deref(), Some("2"));
        let header = jar.cookies(&u).expect("header");
        let mut sent: Vec<&str> = header.to_str().expect("ascii").split("; ").collect();
        sent.sort_unstable();
        assert_eq!(sent, ["p=2", "s=1"]);
        let dated = [HeaderValue::from_static(
            "d=3; Expires=Wed, 01 Jan 2031 10:00:00 GMT",
        )];
        jar.set_cookies(&mut dated.iter(), &u);
        let d = jar
            .get_all(&u)
            .into_iter()
            .find(|c| c.name == "d")
            .expect("d");
        assert_eq!(d.expires.as_deref(), Some("2031-01-01T10:00:00.000Z"));
    }

    #[test]
    fn set_unset_and_clear() {
        let jar = CookieJar::default();
        let u = url("http://127.0.0.1:8080/");
        let set = jar
            .set(
                &u,
                &NewCookie {
                    name: "a".into(),
                    value: "1".into(),
                    ..NewCookie::default()
                },
            )
            .expect("set");
        assert_eq!(
            (set.domain.as_str(), set.path.as_str(), set.host_only),
            ("127.0.0.1", "/", true)
        );
        jar.set(
            &u,
            &NewCookie {
                name: "b".into(),
                value: "2".into(),
                path: Some("/deep".into()),
                ..NewCookie::default()
            },
        )
        .expect("set b");
        assert_eq!(jar.get_all(&u).len(), 1, "b is under /deep");
        jar.unset(&u, "a");
        assert_eq!(jar.get(&u, "a"), None);
        assert_eq!(
            jar.get(&url("http://127.0.0.1:8080/deep/x"), "b")
                .as_deref(),
            Some("2")
        );
        jar.clear(&u);
        assert!(jar.get_all(&url("http://127.0.0.1:8080/deep/x")).is_empty());
    }

    #[test]
    fn bad_names_and_values_are_refused() {
        let jar = CookieJar::default();
        let u = url("http://example.com/");
        for (name, value) in [("", "v"), ("a=b", "v"), ("a", "x;y")] {
            let c = NewCookie {
                name: name.into(),
                value: value.into(),
                ..NewCookie::default()
            };
            assert!(jar.set(&u, &c).is_err(), "{name}={value}");
        }
    }
}
