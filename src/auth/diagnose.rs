//! Turning token-endpoint errors into what is wrong and which setup step fixes it.
//!
//! The setup steps are those of the admin checklist:
//!
//! ```text
//! 1. connected app exists in the target org (consumer key)
//! 2. "Use digital signatures" with the certificate matching the private key
//! 3. OAuth scopes on the app
//! 4. Permitted Users = admin approved users are pre-authorized, profile/permission set assigned
//! 5. aud and login URL match the kind of org
//! 6. client clock sane, exp in the future
//! ```

use super::jwt::{PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL};

/// Says what an OAuth `error`/`error_description` pair means and how to fix it, given the login URL used.
pub fn diagnose(error: &str, error_description: &str, cfg_login_url: &str) -> String {
    let login = cfg_login_url.trim_end_matches('/');
    let desc = error_description.to_ascii_lowercase();
    match error {
        "invalid_grant" if desc.contains("hasn't approved") || desc.contains("not approved") => {
            format!(
                "the user is not pre-authorized for this connected app. Fix (setup step 4): in the \
                 connected app, Manage > Edit Policies > Permitted Users = \"Admin approved users are \
                 pre-authorized\", then add the user's profile or permission set under Profiles / \
                 Permission Sets. Also check the login URL (setup step 5): {}",
                login_host_hint(login)
            )
        }
        "invalid_grant" if desc.contains("invalid assertion") => {
            "Salesforce could not verify the assertion's signature. Fix (setup step 2): the private \
             key must match the certificate uploaded to the connected app under \"Use digital \
             signatures\"; upload server.crt made from this key (`snapman keygen` writes both), and \
             check that the consumer key belongs to that same app."
                .to_string()
        }
        "invalid_grant" if desc.contains("audience") => format!(
            "the assertion's aud ({login}) does not match the kind of org. Fix (setup step 5): use \
             --sf-login-url {PRODUCTION_LOGIN_URL} for production and developer orgs and \
             {SANDBOX_LOGIN_URL} for sandboxes and scratch orgs; aud is always the login URL."
        ),
        "invalid_grant" if desc.contains("expired") => {
            "the assertion's exp was already in the past when Salesforce checked it. Fix (setup step \
             6): sync this machine's clock (NTP) and check its time zone; exp is seconds since the \
             epoch in UTC."
                .to_string()
        }
        "invalid_grant" if desc.contains("authentication failure") => {
            "the username or password is wrong, or the password needs the user's security token \
             appended. Check the credentials, and that the user is not locked out."
                .to_string()
        }
        "invalid_grant" if desc.contains("client credentials user") => {
            "the connected app has no \"Run As\" user for the client credentials flow. Fix: in the \
             connected app's policies enable the Client Credentials Flow and set a Run As user."
                .to_string()
        }
        "invalid_client_id" => format!(
            "no connected app with this consumer key exists in the org behind {login}. Fix (setup \
             step 1): copy the consumer key from the connected app (Manage Consumer Details) into \
             --sf-client-id / SF_CLIENT_ID; a production key does not work against a sandbox, and a \
             new app can take several minutes to become usable."
        ),
        "invalid_client" => {
            "the client secret (or client id) is wrong. Fix: copy the consumer key and secret again \
             from the connected app (Manage Consumer Details)."
                .to_string()
        }
        "invalid_app_access" => {
            "the org restricts API access to approved apps and this user may not use this one. Fix \
             (setup step 4): give the user's profile or permission set access to the connected app."
                .to_string()
        }
        "unsupported_grant_type" => {
            "the token endpoint did not see a grant_type it supports. The request must be a \
             form-encoded POST with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer; check \
             that the login URL points at a Salesforce login host."
                .to_string()
        }
        "inactive_user" => {
            "the user is inactive or frozen. Fix: reactivate the user, or use another username."
                .to_string()
        }
        "inactive_org" => {
            "the org is inactive (locked, expired or deleted; scratch orgs expire). Fix: use an \
             active org, or create a new scratch org."
                .to_string()
        }
        "invalid_scope" => {
            "a requested scope is not allowed for this app. Fix (setup step 3): add the scope to \
             the connected app's Selected OAuth Scopes, or request fewer scopes."
                .to_string()
        }
        "rate_limit_exceeded" => {
            "too many logins in a short time. Wait a few minutes and reuse tokens instead of \
             logging in for every request."
                .to_string()
        }
        "invalid_request" => {
            "the token request is missing or repeats a parameter. Check the login URL and that \
             the request is a form-encoded POST."
                .to_string()
        }
        _ => format!(
            "unrecognised error from {login}. Walk the setup checklist: consumer key (step 1), \
             certificate (step 2), scopes (step 3), pre-authorized profile (step 4), login URL \
             versus audience (step 5), clock (step 6)."
        ),
    }
}

/// Advice about the login host, which decides which org's users are looked up.
fn login_host_hint(login: &str) -> String {
    if login == PRODUCTION_LOGIN_URL {
        format!(
            "a sandbox or scratch-org user needs {SANDBOX_LOGIN_URL}, and orgs that require My Domain \
             login need their My Domain URL."
        )
    } else if login == SANDBOX_LOGIN_URL {
        format!("a production or developer-org user needs {PRODUCTION_LOGIN_URL}.")
    } else {
        format!(
            "{login} must be the login host of the org the user belongs to ({PRODUCTION_LOGIN_URL} \
             or {SANDBOX_LOGIN_URL} or its My Domain)."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_documented_error_gets_its_own_fix() {
        let rows = [
            (
                "invalid_grant",
                "user hasn't approved this consumer",
                "step 4",
            ),
            ("invalid_grant", "invalid assertion", "step 2"),
            ("invalid_grant", "audience is invalid", "step 5"),
            ("invalid_grant", "Audience validation failed", "step 5"),
            ("invalid_grant", "expired authorization code", "step 6"),
            ("invalid_client_id", "client identifier invalid", "step 1"),
            (
                "invalid_app_access",
                "user is not admin approved to access this app",
                "step 4",
            ),
            (
                "unsupported_grant_type",
                "grant type not supported",
                "form-encoded",
            ),
            (
                "invalid_client",
                "invalid client credentials",
                "client secret",
            ),
            ("inactive_user", "inactive user", "reactivate"),
            ("inactive_org", "inactive organization", "scratch"),
            ("invalid_scope", "bad scope", "step 3"),
            ("rate_limit_exceeded", "rate limit", "Wait"),
            ("invalid_request", "missing", "form-encoded"),
            ("weird", "thing", "checklist"),
        ];
        for (error, desc, needle) in rows {
            let d = diagnose(error, desc, PRODUCTION_LOGIN_URL);
            assert!(d.contains(needle), "{error}/{desc}: {d}");
        }
    }

    #[test]
    fn unapproved_user_mentions_the_other_login_host() {
        let d = diagnose(
            "invalid_grant",
            "user hasn't approved this consumer",
            SANDBOX_LOGIN_URL,
        );
        assert!(d.contains(PRODUCTION_LOGIN_URL), "{d}");
        let d = diagnose(
            "invalid_grant",
            "user hasn't approved this consumer",
            "https://login.salesforce.com/",
        );
        assert!(d.contains(SANDBOX_LOGIN_URL), "{d}");
    }
}
