//! Reading a session the Salesforce CLI already holds: the output of `sf org display --json`.
//!
//! ```text
//! {"status": 0, "result": {"id": "00D...", "accessToken": "00D...!AQ...", "instanceUrl": "https://...", "username": "..."}}
//! ```

use serde_json::Value;

use super::session::SessionVar;
use crate::secret::Secret;

/// Why the `sf org display --json` output cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OrgJsonError {
    /// Not JSON at all.
    #[error("{origin} is not JSON ({reason}); pass the output of `sf org display --json`")]
    NotJson {
        /// Where it came from.
        origin: String,
        /// The parser's message (position, no content).
        reason: String,
    },
    /// The CLI reported an error, or a field is missing.
    #[error(
        "{origin} has no result.{field}; pass the output of `sf org display --json` for an org the Salesforce CLI is logged in to"
    )]
    Missing {
        /// Where it came from.
        origin: String,
        /// The missing field.
        field: &'static str,
    },
}

/// The variables of an `sf org display --json` session: the token (named `token_var`),
/// `instance_url`, `sf_org_id` (from `result.id`, else the token's prefix) and `sf_username`.
pub fn org_session_vars(
    text: &str,
    origin: &str,
    token_var: &str,
) -> Result<Vec<SessionVar>, OrgJsonError> {
    let body: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        OrgJsonError::NotJson {
            origin: origin.to_string(),
            reason: format!("line {} column {}", e.line(), e.column()),
        }
    })?;
    let field = |name: &'static str| -> Result<String, OrgJsonError> {
        body.get("result")
            .and_then(|r| r.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or(OrgJsonError::Missing {
                origin: origin.to_string(),
                field: name,
            })
    };
    let token = field("accessToken")?;
    let instance_url = field("instanceUrl")?;
    let username = field("username")?;
    let org_id = field("id").ok().or_else(|| {
        token
            .split_once('!')
            .map(|(prefix, _)| prefix.to_string())
            .filter(|p| p.starts_with("00D"))
    });
    let var = |name: &str, value: String| SessionVar {
        name: name.to_string(),
        value: Secret::new(value),
    };
    let mut vars = vec![
        var(token_var, token),
        var("instance_url", instance_url),
        var("sf_username", username),
    ];
    if let Some(org) = org_id {
        vars.push(var("sf_org_id", org));
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_token_instance_and_org_from_prefix() {
        let text = r#"{"status":0,"result":{"accessToken":"00D5g000004XXXX!AQabc","instanceUrl":"https://x.my.salesforce.com","username":"u@x"}}"#;
        let vars = org_session_vars(text, "org.json", "bearerToken").unwrap();
        let get = |n: &str| {
            vars.iter()
                .find(|v| v.name == n)
                .map(|v| v.value.expose().clone())
        };
        assert_eq!(get("bearerToken").as_deref(), Some("00D5g000004XXXX!AQabc"));
        assert_eq!(get("sf_org_id").as_deref(), Some("00D5g000004XXXX"));
        assert_eq!(
            get("instance_url").as_deref(),
            Some("https://x.my.salesforce.com")
        );
    }

    #[test]
    fn error_output_names_the_missing_field() {
        let text =
            r#"{"status":1,"name":"NoOrgFound","message":"No authorization information found"}"#;
        let err = org_session_vars(text, "stdin", "access_token").unwrap_err();
        assert!(err.to_string().contains("result.accessToken"), "{err}");
        let err = org_session_vars("nope", "stdin", "access_token").unwrap_err();
        assert!(err.to_string().contains("not JSON"), "{err}");
    }
}
