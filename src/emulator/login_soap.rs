//! The SOAP partner login, `POST /services/Soap/u/{version}`, which older collections use to
//! get a session id from a username and password.
//!
//! ```text
//! <soapenv:Envelope ...><soapenv:Body><loginResponse><result>
//!   <serverUrl>BASE/services/Soap/u/59.0/00D...</serverUrl><sessionId>00D...!AQ...</sessionId>
//!   <userId>005...</userId><userInfo><organizationId>00D...</organizationId>...</userInfo>
//! </result></loginResponse></soapenv:Body></soapenv:Envelope>
//! ```

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::login::{LoginState, TokenInfo};

/// Finds the text of the first element named `name` (any namespace prefix).
fn element(xml: &str, name: &str) -> Option<String> {
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>')?;
        let tag = &rest[..end];
        let local = tag
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .rsplit(':')
            .next()
            .unwrap_or_default();
        if local == name && !tag.starts_with('/') && !tag.ends_with('/') {
            let body = &rest[end + 1..];
            if let Some(cdata) = body.strip_prefix("<![CDATA[") {
                return cdata.find("]]>").map(|end| cdata[..end].to_string());
            }
            let close = body.find("</")?;
            return Some(unescape(&body[..close]));
        }
    }
    None
}

/// Undoes the five predefined XML entities.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Escapes text for an XML element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An XML response with the given status.
fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The `INVALID_LOGIN` fault Salesforce answers for bad credentials.
fn invalid_login() -> Response {
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            "<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode>",
            "<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>",
            r#"<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>"#,
            "<sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage>",
            "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        )
        .to_string(),
    )
}

/// `POST /services/Soap/u/{version}`: `<login><username/><password/></login>`.
pub(super) async fn soap_login(
    State(state): State<LoginState>,
    Path(version): Path<String>,
    body: String,
) -> Response {
    let (Some(username), Some(password)) = (element(&body, "username"), element(&body, "password"))
    else {
        return invalid_login();
    };
    let mut data = state.lock();
    if data.auto_register && !username.is_empty() && !data.users.contains_key(&username) {
        let mut user = data.new_user(&username);
        user.password = Some(password.clone());
        data.users.insert(username.clone(), user);
    }
    let Some(user) = data.users.get(&username).cloned() else {
        return invalid_login();
    };
    // Salesforce takes the password alone from a trusted IP range, password + security token
    // otherwise. An auto-registered user's password may hold both, so its prefix counts too.
    let password_ok = user.password.as_deref() == Some(password.as_str())
        || (data.auto_register
            && !password.is_empty()
            && user
                .password
                .as_deref()
                .is_some_and(|stored| stored.starts_with(password.as_str())));
    if !password_ok || !user.active || data.inactive_orgs.contains(&user.org_id) {
        return invalid_login();
    }
    let scopes = data.scopes.clone();
    let session = data.issue(TokenInfo {
        username: user.username.clone(),
        org_id: user.org_id.clone(),
        user_id: user.user_id.clone(),
        scopes,
        client_id: String::new(),
    });
    let base = &data.base_url;
    let version = escape(&version);
    let org = escape(&user.org_id);
    let user_id = escape(&user.user_id);
    let name = escape(&user.username);
    let lifetime = data.token_lifetime().as_secs();
    xml(
        StatusCode::OK,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{version}/{org}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{base}/services/Soap/u/{version}/{org}</serverUrl><sessionId>{session}</sessionId><userId>{user_id}</userId><userInfo><organizationId>{org}</organizationId><organizationName>Emulated Org</organizationName><sessionSecondsValid>{lifetime}</sessionSecondsValid><userEmail>{name}</userEmail><userFullName>{name}</userFullName><userId>{user_id}</userId><userName>{name}</userName></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"#
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_reads_cdata_as_is() {
        let xml = "<n1:login><n1:username><![CDATA[a&b<c]]></n1:username></n1:login>";
        assert_eq!(element(xml, "username").as_deref(), Some("a&b<c"));
    }

    #[test]
    fn element_finds_namespaced_text() {
        let xml = r#"<se:Envelope><se:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>a@b.c</n1:username><n1:password>p&amp;w</n1:password></n1:login></se:Body></se:Envelope>"#;
        assert_eq!(element(xml, "username").as_deref(), Some("a@b.c"));
        assert_eq!(element(xml, "password").as_deref(), Some("p&w"));
        assert_eq!(element(xml, "missing"), None);
    }
}
