//! JSON exchanged with the JavaScript prelude: the input handed to `__sm.begin` and the output
//! read back from `__sm.end`, plus error positions taken from QuickJS stack traces.

use std::borrow::Cow;

use rquickjs::{Array, Ctx, Null, Object};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::runner::summary::{Assertion, AssertionError, ConsoleLine, ScriptError};
use crate::script::api::{JarCall, ScriptInput, ScriptResponse, ScriptScopes};

/// File name user scripts are compiled under, so their frames can be found in stack traces.
pub(crate) const SCRIPT_FILE: &str = "script";

/// Text put before the user's code on its first line. Evaluating the wrapper only creates the
/// outer function; calling it hands back the user's function without running any of its code.
/// Padded to the length of [`ASYNC_WRAP_PREFIX`], so error columns on line 1 shift alike.
pub(crate) const WRAP_PREFIX: &str = "(function(){return       function(){";

/// The wrapper's first text for a script that uses top-level `await` (as the Postman app
/// allows): its body becomes an async function.
pub(crate) const ASYNC_WRAP_PREFIX: &str = "(function(){return async function(){";

/// Text put after the user's code, on a line of its own so a trailing `//` comment ends there.
pub(crate) const WRAP_SUFFIX: &str = "\n}})";

/// What `toString()` of the user's function must be when the code did not escape the wrapper.
pub(crate) fn expected_function_text(source: &str, is_async: bool) -> String {
    let kind = if is_async { "async " } else { "" };
    format!("{kind}function(){{{source}\n}}")
}

/// A `pm.sendRequest` response as the prelude reads it (a script's own response reaches
/// `__sm.begin` as an object built in [`begin_args`], its body a separate string).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResponseJson<'a> {
    code: u16,
    status: &'a str,
    headers: &'a [(String, String)],
    body: Cow<'a, str>,
    response_time: u64,
    response_size: usize,
}

impl<'a> From<&'a ScriptResponse> for ResponseJson<'a> {
    fn from(r: &'a ScriptResponse) -> Self {
        ResponseJson {
            code: r.code,
            status: &r.status,
            headers: &r.headers,
            body: String::from_utf8_lossy(&r.body),
            response_time: r.response_time_ms,
            response_size: r.response_size,
        }
    }
}

/// The arguments of `__sm.begin` besides the response body: the input without its request and
/// scopes (built as a JavaScript object here: QuickJS's `JSON.parse` of it was a quarter of a
/// script's fixed cost), then the request, then the scopes (globals, collection, environment,
/// data, local: `[key, value]` pairs, the data row an object), each its own JSON text, which the
/// prelude parses only when a script reads them.
pub(crate) fn begin_args<'js>(
    ctx: &Ctx<'js>,
    input: &ScriptInput,
) -> Result<(Object<'js>, String, Vec<String>), String> {
    let v = &input.variables;
    let scopes = vec![
        to_json(&v.globals)?,
        to_json(&v.collection)?,
        to_json(&v.environment)?,
        to_json(&v.data)?,
        to_json(&v.local)?,
    ];
    let head = head_object(ctx, input).map_err(|e| e.to_string())?;
    Ok((head, input.request.clone(), scopes))
}

/// `{listen, itemId, itemName, itemPath, iteration, iterationCount, collectionName,
/// environmentName, response: {code, status, headers, responseTime, responseSize} | null,
/// cookies}`, with `[name, value]` pairs for headers and cookies.
fn head_object<'js>(ctx: &Ctx<'js>, input: &ScriptInput) -> rquickjs::Result<Object<'js>> {
    let head = Object::new(ctx.clone())?;
    head.set("listen", input.listen.as_str())?;
    head.set("itemId", input.item_id.as_str())?;
    head.set("itemName", input.item_name.as_str())?;
    head.set("itemPath", input.item_path.as_slice())?;
    head.set("iteration", input.iteration as f64)?;
    head.set("iterationCount", input.iteration_count as f64)?;
    head.set("collectionName", input.collection_name.as_str())?;
    match &input.environment_name {
        Some(name) => head.set("environmentName", name.as_str())?,
        None => head.set("environmentName", Null)?,
    }
    match &input.response {
        Some(r) => {
            let response = Object::new(ctx.clone())?;
            response.set("code", r.code)?;
            response.set("status", r.status.as_str())?;
            response.set("headers", pairs(ctx, &r.headers)?)?;
            response.set("responseTime", r.response_time_ms as f64)?;
            response.set("responseSize", r.response_size as f64)?;
            head.set("response", response)?;
        }
        None => head.set("response", Null)?,
    }
    head.set("cookies", pairs(ctx, &input.cookies)?)?;
    Ok(head)
}

/// `[[name, value], ...]`.
fn pairs<'js>(ctx: &Ctx<'js>, list: &[(String, String)]) -> rquickjs::Result<Array<'js>> {
    let out = Array::new(ctx.clone())?;
    for (i, (name, value)) in list.iter().enumerate() {
        let pair = Array::new(ctx.clone())?;
        pair.set(0, name.as_str())?;
        pair.set(1, value.as_str())?;
        out.set(i, pair)?;
    }
    Ok(out)
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}

/// What `__sm.end` returns.
#[derive(Debug, Deserialize)]
pub(crate) struct RawOutput {
    pub variables: RawScopes,
    pub request: Option<Value>,
    pub assertions: Vec<RawAssertion>,
    pub console: Vec<RawLine>,
    pub next: Option<RawNext>,
    pub skip: bool,
}

/// Scopes as `[key, value]` pairs; `None` for a scope the script did not change.
#[derive(Debug, Deserialize)]
pub(crate) struct RawScopes {
    globals: Option<ScopeChange>,
    collection: Option<ScopeChange>,
    environment: Option<ScopeChange>,
    local: Option<ScopeChange>,
}

/// How a script changed a scope: its changes in order, or (after many) every entry.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ScopeChange {
    /// `["s", key, value]`, `["u", key]` or `["c"]`, in the order the script made them.
    Ops { ops: Vec<Vec<Value>> },
    /// The scope's entries after the script.
    Entries { entries: Vec<(String, Value)> },
}

impl ScopeChange {
    /// `before` with the change applied, as a JavaScript `Map` would have it (a key set again
    /// keeps its place; a new key goes last).
    fn apply(self, before: &[(String, Value)]) -> Vec<(String, Value)> {
        let ops = match self {
            ScopeChange::Entries { entries } => return entries,
            ScopeChange::Ops { ops } => ops,
        };
        let mut scope = before.to_vec();
        for op in ops {
            let mut op = op.into_iter();
            let (kind, key) = (op.next(), op.next());
            let key = key.as_ref().and_then(Value::as_str);
            match (kind.as_ref().and_then(Value::as_str), key) {
                (Some("s"), Some(key)) => {
                    let value = op.next().unwrap_or(Value::Null);
                    match scope.iter_mut().find(|(k, _)| k == key) {
                        Some(entry) => entry.1 = value,
                        None => scope.push((key.to_owned(), value)),
                    }
                }
                (Some("u"), Some(key)) => scope.retain(|(k, _)| k != key),
                (Some("c"), _) => scope.clear(),
                _ => {}
            }
        }
        scope
    }
}

/// A scope after the script: `before` with its change applied, or as it came in.
fn after(change: Option<ScopeChange>, before: &[(String, Value)]) -> Vec<(String, Value)> {
    change.map_or_else(|| before.to_vec(), |c| c.apply(before))
}

impl RawScopes {
    /// The scopes after the script: changed ones from the script, the rest (and the data row,
    /// whose changes last for the script only) as they came in.
    pub fn merge(self, before: &ScriptScopes) -> ScriptScopes {
        ScriptScopes {
            globals: after(self.globals, &before.globals),
            collection: after(self.collection, &before.collection),
            environment: after(self.environment, &before.environment),
            data: before.data.clone(),
            local: after(self.local, &before.local),
        }
    }
}

/// One assertion as recorded by `pm.test` or `tests[]`.
#[derive(Debug, Deserialize)]
pub(crate) struct RawAssertion {
    name: String,
    skipped: bool,
    error: Option<RawError>,
}

/// An error's class name and message.
#[derive(Debug, Deserialize)]
pub(crate) struct RawError {
    name: String,
    message: String,
}

impl From<RawAssertion> for Assertion {
    fn from(r: RawAssertion) -> Self {
        Assertion {
            name: r.name,
            skipped: r.skipped,
            error: r.error.map(|e| AssertionError {
                name: e.name,
                message: e.message,
            }),
        }
    }
}

/// One console line.
#[derive(Debug, Deserialize)]
pub(crate) struct RawLine {
    level: String,
    text: String,
}

impl From<RawLine> for ConsoleLine {
    fn from(r: RawLine) -> Self {
        ConsoleLine {
            level: r.level,
            text: r.text,
        }
    }
}

/// `setNextRequest`'s argument (`null` kept as `None`).
#[derive(Debug, Deserialize)]
pub(crate) struct RawNext {
    pub value: Option<String>,
}

/// A `pm.sendRequest` or cookie jar call waiting for the runner; `id` names its callback.
#[derive(Debug, Deserialize)]
pub(crate) struct Pending {
    pub id: u64,
    #[serde(flatten)]
    pub call: PendingCall,
}

/// What a [`Pending`] call asks for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum PendingCall {
    /// `pm.sendRequest` with this request JSON.
    Request(Value),
    /// A `pm.cookies.jar()` method.
    Jar(JarCall),
}

/// The argument of `__sm.deliver` for one `pm.sendRequest` outcome.
pub(crate) fn delivery_json(outcome: Result<ScriptResponse, String>) -> String {
    match outcome {
        Ok(r) => json!({ "response": ResponseJson::from(&r) }),
        Err(e) => json!({ "error": e }),
    }
    .to_string()
}

/// The argument of `__sm.deliver` for one cookie jar outcome.
pub(crate) fn jar_delivery_json(outcome: Result<Value, String>) -> String {
    match outcome {
        Ok(v) => json!({ "value": v }),
        Err(e) => json!({ "error": e }),
    }
    .to_string()
}

/// Builds a script error, finding the first frame of the user's script in `stack` and making its
/// position relative to the script as written (the wrapper prefix shifts columns on line 1).
pub(crate) fn script_error(
    listen: &str,
    name: String,
    message: String,
    stack: &str,
) -> ScriptError {
    let (line, column) = match user_position(stack) {
        Some((line, column)) => (Some(line), Some(column)),
        None => (None, None),
    };
    ScriptError {
        listen: listen.to_owned(),
        name,
        message,
        line,
        column,
    }
}

/// `(line, column)` of the first `script:L:C` frame, adjusted for the wrapper.
fn user_position(stack: &str) -> Option<(u32, u32)> {
    let marker = format!("{SCRIPT_FILE}:");
    let mut search = 0;
    while let Some(found) = stack[search..].find(&marker) {
        let at = search + found;
        search = at + marker.len();
        if stack[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some((line, rest)) = leading_number(&stack[search..]) else {
            continue;
        };
        let Some((column, _)) = rest.strip_prefix(':').and_then(leading_number) else {
            continue;
        };
        // QuickJS counts columns from 0 on the first line of a source and from 1 after it.
        let prefix = u32::try_from(WRAP_PREFIX.len()).unwrap_or(0);
        let column = if line == 1 {
            (column + 1).saturating_sub(prefix).max(1)
        } else {
            column
        };
        return Some((line, column));
    }
    None
}

/// The decimal number at the start of `s` and what follows it.
fn leading_number(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok().map(|n| (n, &s[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_wrappers_shift_columns_alike() {
        assert_eq!(WRAP_PREFIX.len(), ASYNC_WRAP_PREFIX.len());
    }

    #[test]
    fn finds_the_first_user_frame() {
        let stack = "    at <anonymous> (<input>:12:4)\n    at <anonymous> (script:3:7)\n";
        assert_eq!(user_position(stack), Some((3, 7)));
    }

    #[test]
    fn shifts_columns_on_the_first_line() {
        // QuickJS's 0-based column of the user's 10th character on the wrapped first line.
        let column = WRAP_PREFIX.len() + 9;
        let stack = format!("    at script:1:{column}\n");
        assert_eq!(user_position(&stack), Some((1, 10)));
    }

    #[test]
    fn ignores_other_files_ending_in_script() {
        assert_eq!(
            user_position("at myscript:4:4\nat script:2:2"),
            Some((2, 2))
        );
        assert_eq!(user_position("no frames"), None);
    }
}
