//! A 401 mid-run while Salesforce auth is active: log in again once, resend the request with the
//! new credentials, and store the new values in the environment for the requests that follow.

use serde_json::Value;

use crate::http::client::{HttpClient, Outcome};
use crate::http::spec::RequestSpec;
use crate::runner::run::RunOptions;
use crate::runner::summary::{ConsoleLine, Execution};
use crate::vars::Scopes;

/// After a send: when the answer is 401 and the request carried the session's assertion or
/// token, logs in again and resends the request once with the new values substituted.
///
/// The sent request is not rebuilt from the collection, so whatever else shaped it stays the
/// same; every occurrence of an old credential (as is, or percent-encoded) is replaced.
pub(super) async fn resend_on_401(
    opts: &RunOptions,
    client: &HttpClient,
    spec: &RequestSpec,
    outcome: Outcome,
    execution: &mut Execution,
) -> Outcome {
    let Some(session) = &opts.reauth else {
        return outcome;
    };
    if !matches!(&outcome.response, Ok(r) if r.code == 401) {
        return outcome;
    }
    let old = session.credentials();
    if !old.iter().any(|c| carries(spec, c.value.expose())) {
        return outcome;
    }
    let new = match session.login().await {
        Ok(vars) => vars,
        Err(e) => {
            execution.console.push(ConsoleLine {
                level: "warn".into(),
                text: format!("HTTP 401; logging in to Salesforce again failed: {e}"),
            });
            return outcome;
        }
    };
    let mut resend = spec.clone();
    for was in &old {
        if let Some(now) = new.iter().find(|v| v.name == was.name) {
            substitute(&mut resend, was.value.expose(), now.value.expose());
        }
    }
    execution.console.push(ConsoleLine {
        level: "info".into(),
        text: "HTTP 401: logged in to Salesforce again and resent the request".into(),
    });
    client.send(&resend).await
}

/// Stores the values of a login made during the run in the environment scope.
pub(super) fn apply_refreshed(opts: &RunOptions, scopes: &mut Scopes) {
    let refreshed = opts.reauth.as_ref().and_then(|s| s.take_refreshed());
    for var in refreshed.into_iter().flatten() {
        scopes
            .environment
            .set(&var.name, Value::String(var.value.expose().clone()));
    }
}

/// The forms a credential takes on the wire: as is, and percent-encoded (Salesforce tokens
/// contain `!`, which query strings and form bodies may encode).
fn forms(value: &str) -> Vec<String> {
    let encoded = value.replace('!', "%21");
    if encoded == value {
        vec![value.to_string()]
    } else {
        vec![value.to_string(), encoded]
    }
}

/// True when the request contains `value` anywhere.
fn carries(spec: &RequestSpec, value: &str) -> bool {
    forms(value).iter().any(|f| {
        spec.url.contains(f.as_str())
            || spec.headers.iter().any(|(_, v)| v.contains(f.as_str()))
            || spec
                .body
                .as_ref()
                .is_some_and(|b| String::from_utf8_lossy(b).contains(f.as_str()))
    })
}

/// Replaces `old` by `new` in the URL, headers and (text) body, in each wire form.
fn substitute(spec: &mut RequestSpec, old: &str, new: &str) {
    for (was, now) in forms(old)
        .iter()
        .zip(forms(new).iter().chain(forms(new).iter()))
    {
        spec.url = spec.url.replace(was.as_str(), now);
        for (_, v) in &mut spec.headers {
            *v = v.replace(was.as_str(), now);
        }
        if let Some(body) = &spec.body
            && let Ok(text) = std::str::from_utf8(body)
            && text.contains(was.as_str())
        {
            spec.body = Some(text.replace(was.as_str(), now).into_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_raw_and_encoded_tokens() {
        let mut spec = RequestSpec {
            url: "http://h/p?t=00D1!AQold".into(),
            headers: vec![("Authorization".into(), "Bearer 00D1!AQold".into())],
            body: Some(b"token=00D1%21AQold&x=1".to_vec()),
            ..RequestSpec::default()
        };
        assert!(carries(&spec, "00D1!AQold"));
        substitute(&mut spec, "00D1!AQold", "00D1!AQnew");
        assert_eq!(spec.url, "http://h/p?t=00D1!AQnew");
        assert_eq!(spec.headers[0].1, "Bearer 00D1!AQnew");
        assert_eq!(spec.body.as_deref(), Some(&b"token=00D1%21AQnew&x=1"[..]));
        assert!(!carries(&spec, "00D1!AQold"));
    }
}
