//! `--retries N`: resending a request that could not connect or got 429, 502, 503 or 504, with
//! exponential backoff and full jitter, or as long as `Retry-After` says.
//!
//! Only the HTTP exchange is repeated: pre-request scripts ran once before it and test scripts
//! run once on the final answer. Each retry is recorded on the execution, so reporters can show
//! a request that passed after retrying as flaky.

use std::time::Duration;

use rand::Rng as _;

use crate::http::call::{ReceivedResponse, RequestError};
use crate::http::client::{HttpClient, Outcome};
use crate::http::spec::RequestSpec;
use crate::runner::summary::Retry;

/// The longest wait between two attempts, whatever `Retry-After` asks for.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// Why an answer is worth another attempt: the connection failed, or the status says the
/// server is busy or a gateway failed.
pub fn retry_reason(response: &Result<ReceivedResponse, RequestError>) -> Option<String> {
    match response {
        Err(e) if e.code != "EINVALIDURL" && e.code != "EINVALIDREQUEST" => Some(e.code.clone()),
        Err(_) => None,
        Ok(r) if matches!(r.code, 429 | 502 | 503 | 504) => {
            Some(format!("{} {}", r.code, r.status))
        }
        Ok(_) => None,
    }
}

/// `Retry-After` in seconds, or as an HTTP date, as a wait from now.
pub fn retry_after(response: &ReceivedResponse) -> Option<Duration> {
    let value = response.header("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or_default())
}

/// The wait before retry number `attempt` (0-based): `Retry-After` when the server gave one,
/// else a random duration up to `base * 2^attempt` (full jitter); never more than a minute.
pub fn backoff(attempt: u32, base: Duration, server: Option<Duration>) -> Duration {
    if let Some(wait) = server {
        return wait.min(MAX_WAIT);
    }
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(attempt))
        .min(MAX_WAIT);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

/// Sends `spec`, then again up to `retries` times while [`retry_reason`] says so, noting each
/// retry in `log`.
pub async fn send_retrying(
    client: &HttpClient,
    spec: &RequestSpec,
    retries: u32,
    base: Duration,
    log: &mut Vec<Retry>,
) -> Outcome {
    let mut attempt = 0;
    loop {
        let outcome = client.send(spec).await;
        if attempt >= retries {
            return outcome;
        }
        let Some(reason) = retry_reason(&outcome.response) else {
            return outcome;
        };
        let server = outcome.response.as_ref().ok().and_then(retry_after);
        let wait = backoff(attempt, base, server);
        log.push(Retry { reason, wait });
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(code: u16, headers: &[(&str, &str)]) -> ReceivedResponse {
        ReceivedResponse {
            code,
            status: "S".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ReceivedResponse::default()
        }
    }

    #[test]
    fn only_busy_gateway_and_connection_failures_are_retried() {
        for code in [429, 502, 503, 504] {
            assert!(retry_reason(&Ok(answer(code, &[]))).is_some(), "{code}");
        }
        for code in [200, 404, 500, 501] {
            assert_eq!(retry_reason(&Ok(answer(code, &[]))), None, "{code}");
        }
        let refused = RequestError {
            code: "ECONNREFUSED".into(),
            message: "refused".into(),
        };
        assert_eq!(retry_reason(&Err(refused)), Some("ECONNREFUSED".into()));
        let invalid = RequestError {
            code: "EINVALIDURL".into(),
            message: "bad".into(),
        };
        assert_eq!(retry_reason(&Err(invalid)), None);
    }

    #[test]
    fn retry_after_wins_and_backoff_grows_with_jitter() {
        let seconds = answer(429, &[("Retry-After", "7")]);
        assert_eq!(retry_after(&seconds), Some(Duration::from_secs(7)));
        let past = answer(503, &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(retry_after(&answer(503, &[])), None);
        let base = Duration::from_millis(100);
        assert_eq!(
            backoff(0, base, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(backoff(0, base, Some(Duration::from_secs(900))), MAX_WAIT);
        for attempt in 0..4 {
            let wait = backoff(attempt, base, None);
            assert!(wait <= base * 2u32.pow(attempt), "{attempt}: {wait:?}");
        }
        let waits: std::collections::HashSet<Duration> =
            (0..20).map(|_| backoff(5, base, None)).collect();
        assert!(waits.len() > 1, "jitter varies the wait");
    }
}
