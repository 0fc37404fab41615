//! One variable scope (globals, collection, environment or local) with the Postman SDK's
//! `VariableList` semantics: ordered entries, duplicate keys allowed, the last enabled one wins.

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::collection::model::{Variable, VariableFile};
use crate::vars::convert::{cast, js_string};

/// How `"enabled": false` in exported environment and globals files is treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EnabledMode {
    /// Honour it, like the Postman app: an entry with `enabled: false` is skipped.
    #[default]
    App,
    /// Ignore it, like Newman 6 (only `disabled: true` skips an entry).
    Newman,
}

/// One scope (globals, collection, environment, local): ordered entries, last enabled one with a key wins.
///
/// Values built by [`VariableScope::from_variables`], [`VariableScope::from_file`] and
/// [`VariableScope::set`] are stored already cast to the entry's SDK `type` (see `convert.rs`),
/// so [`VariableScope::get`] returns what Postman's `Variable#get` would.
#[derive(Debug, Clone, Default)]
pub struct VariableScope {
    /// Postman's id of the environment or globals file.
    pub id: Option<String>,
    /// Environment name (`pm.environment.name`).
    pub name: Option<String>,
    /// The entries, in file order, duplicates and disabled ones included.
    pub values: Vec<Variable>,
    /// Whether `enabled: false` disables an entry (Postman app) or not (Newman).
    honour_enabled: bool,
}

impl VariableScope {
    /// An empty scope (local variables, or a missing globals file).
    pub fn new() -> Self {
        Self::default()
    }

    /// A scope from a collection's `variable[]`; only `disabled: true` skips an entry, as in the SDK.
    pub fn from_variables(values: Vec<Variable>) -> Self {
        Self {
            values: values.into_iter().map(normalised).collect(),
            ..Self::default()
        }
    }

    /// A scope from an environment or globals export.
    pub fn from_file(file: VariableFile, compat: EnabledMode) -> Self {
        Self {
            id: file.id,
            name: file.name,
            values: file.values.into_iter().map(normalised).collect(),
            honour_enabled: compat == EnabledMode::App,
        }
    }

    /// Whether an entry takes part in lookups.
    fn is_active(&self, var: &Variable) -> bool {
        active(self.honour_enabled, var)
    }

    /// The last active entry named `key`.
    pub(crate) fn entry(&self, key: &str) -> Option<&Variable> {
        self.values
            .iter()
            .rev()
            .find(|v| v.name() == Some(key) && self.is_active(v))
    }

    /// The value of the last enabled entry named `key`; `None` when absent or undefined.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entry(key)?.value.as_ref()
    }

    /// Whether an enabled entry named `key` exists (even with an undefined value).
    pub fn has(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// Sets `key`: updates its last entry (re-enabling it, keeping its type) or appends a new one.
    pub fn set(&mut self, key: &str, value: Value) {
        match self.values.iter_mut().rev().find(|v| v.name() == Some(key)) {
            Some(var) => {
                var.value = cast(var.kind.as_deref(), Some(value));
                var.disabled = None;
                if var.enabled.is_some() {
                    var.enabled = Some(true);
                }
            }
            None => self.values.push(Variable {
                key: Some(key.to_owned()),
                value: Some(value),
                ..Variable::default()
            }),
        }
    }

    /// Removes every enabled entry named `key`; disabled ones stay, as in the SDK.
    pub fn unset(&mut self, key: &str) {
        let honour_enabled = self.honour_enabled;
        self.values
            .retain(|v| v.name() != Some(key) || !active(honour_enabled, v));
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.values.clear();
    }

    /// Enabled keys and their values (`pm.environment.toObject()`); undefined values are left out.
    pub fn to_object(&self) -> Map<String, Value> {
        self.keys()
            .into_iter()
            .filter_map(|key| {
                let value = self.get(&key)?.clone();
                Some((key, value))
            })
            .collect()
    }

    /// Enabled keys in order of first appearance, deduplicated.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for var in self.values.iter().filter(|v| self.is_active(v)) {
            let Some(name) = var.name() else { continue };
            if !keys.iter().any(|k| k == name) {
                keys.push(name.to_owned());
            }
        }
        keys
    }

    /// Newman's export shape for `--export-environment` / `--export-globals`.
    ///
    /// Like Newman: `{id, name, values: [{key, value, type, enabled}], _postman_variable_scope,
    /// _postman_exported_at, _postman_exported_using}`. `type` is the entry's SDK type when it
    /// has one (`string`, `number`, `boolean`, `array`, `object`) and `any` otherwise. Unlike
    /// Newman (which drops it, NM #3067), `enabled` is kept so a re-import keeps disabled entries
    /// disabled. Undefined values are written as `""`.
    pub fn to_export(&self, scope: &str, exported_using: &str) -> Value {
        let values: Vec<Value> = self
            .values
            .iter()
            .filter_map(|var| {
                let key = var.name()?;
                // The type as the file (or the script) gave it, `secret` included: an export is
                // the user's data and a run chained on it must see the same variables.
                let kind = var.kind.clone().unwrap_or_else(|| "any".to_owned());
                let typed = ["string", "number", "boolean", "array", "object"]
                    .contains(&kind.to_ascii_lowercase().as_str());
                let value = match &var.value {
                    None => Value::String(String::new()),
                    Some(v @ (Value::Array(_) | Value::Object(_))) if typed => Value::String(v.to_string()),
                    Some(v) => v.clone(),
                };
                Some(json!({"key": key, "value": value, "type": kind, "enabled": self.is_active(var)}))
            })
            .collect();
        let mut out = Map::new();
        out.insert(
            "id".to_owned(),
            self.id.clone().map_or(Value::Null, Value::String),
        );
        out.insert(
            "name".to_owned(),
            self.name.clone().map_or(Value::Null, Value::String),
        );
        out.insert("values".to_owned(), Value::Array(values));
        out.insert(
            "_postman_variable_scope".to_owned(),
            Value::String(scope.to_owned()),
        );
        out.insert(
            "_postman_exported_at".to_owned(),
            Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        out.insert(
            "_postman_exported_using".to_owned(),
            Value::String(exported_using.to_owned()),
        );
        Value::Object(out)
    }

    /// The text a `{{key}}` token becomes from this scope, if an enabled entry defines `key`.
    ///
    /// Follows `Variable#toString`: `null` gives `"null"`, undefined gives `""`.
    pub(crate) fn lookup_text(&self, key: &str) -> Option<String> {
        self.entry(key)
            .map(|var| var.value.as_ref().map_or_else(String::new, js_string))
    }
}

/// Whether an entry takes part in lookups: it has a name and is not disabled.
fn active(honour_enabled: bool, var: &Variable) -> bool {
    var.name().is_some()
        && var.disabled != Some(true)
        && !(honour_enabled && var.enabled == Some(false))
}

/// An entry with its value cast to its SDK type, as the SDK does when it loads a list.
fn normalised(mut var: Variable) -> Variable {
    if var.kind.is_some() {
        var.value = cast(var.kind.as_deref(), var.value.take());
    }
    var
}

/// Parses `K=V` (split on the first '='; `K` alone means an empty/undefined value) for --env-var/--global-var.
pub fn parse_key_value(arg: &str) -> Result<(String, Option<String>), String> {
    let (key, value) = match arg.split_once('=') {
        Some((key, value)) => (key, Some(value.to_owned())),
        None => (arg, None),
    };
    if key.is_empty() {
        return Err(format!(
            "missing variable name in {arg:?} (expected KEY=VALUE)"
        ));
    }
    Ok((key.to_owned(), value))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A variable from JSON. serde reads `"value": null` as `None` (undefined), so a JSON null
    /// is put back by hand: that is what the loader must produce for Postman's `null`.
    pub(crate) fn var(v: Value) -> Variable {
        let mut var: Variable = serde_json::from_value(v.clone()).expect("test variable is valid");
        if v.get("value") == Some(&Value::Null) {
            var.value = Some(Value::Null);
        }
        var
    }

    fn file(values: Value) -> VariableFile {
        serde_json::from_value(json!({"id": "e1", "name": "dev", "values": values}))
            .expect("test file is valid")
    }

    #[test]
    fn duplicate_keys_last_enabled_wins() {
        let scope = VariableScope::from_variables(vec![
            var(json!({"key": "a", "value": "first"})),
            var(json!({"key": "a", "value": "second"})),
            var(json!({"key": "a", "value": "third", "disabled": true})),
        ]);
        assert_eq!(scope.get("a"), Some(&json!("second")));
        assert_eq!(scope.keys(), vec!["a".to_owned()]);
    }

    #[test]
    fn enabled_false_honoured_in_app_mode_only() {
        let values = json!([
            {"key": "token", "value": "live", "enabled": true},
            {"key": "token", "value": "stale", "enabled": false},
            {"key": "off", "value": "x", "enabled": false},
        ]);
        let app = VariableScope::from_file(file(values.clone()), EnabledMode::App);
        assert_eq!(app.get("token"), Some(&json!("live")));
        assert!(!app.has("off"));
        assert_eq!(app.keys(), vec!["token".to_owned()]);
        let newman = VariableScope::from_file(file(values), EnabledMode::Newman);
        assert_eq!(newman.get("token"), Some(&json!("stale")));
        assert_eq!(newman.get("off"), Some(&json!("x")));
        assert_eq!(newman.name.as_deref(), Some("dev"));
    }

    #[test]
    fn legacy_id_names_and_undefined_values() {
        let scope = VariableScope::from_variables(vec![
            var(json!({"id": "legacy", "value": 1})),
            var(json!({"key": "empty"})),
        ]);
        assert_eq!(scope.get("legacy"), Some(&json!(1)));
        assert!(scope.has("empty"));
        assert_eq!(scope.get("empty"), None);
        assert_eq!(scope.lookup_text("empty").as_deref(), Some(""));
    }

    #[test]
    fn set_updates_last_entry_and_reenables() {
        let mut scope = VariableScope::from_file(
            file(json!([
                {"key": "a", "value": "1"},
                {"key": "a", "value": "2", "enabled": false},
                {"key": "n", "value": "1", "type": "number"},
            ])),
            EnabledMode::App,
        );
        scope.set("a", json!("3"));
        assert_eq!(scope.get("a"), Some(&json!("3")));
        assert_eq!(scope.values.len(), 3);
        scope.set("n", json!("42"));
        assert_eq!(scope.get("n"), Some(&json!(42)));
        scope.set("new", json!(true));
        assert_eq!(scope.keys(), vec!["a", "n", "new"]);
    }

    #[test]
    fn unset_and_clear() {
        let mut scope = VariableScope::from_variables(vec![
            var(json!({"key": "a", "value": "old", "disabled": true})),
            var(json!({"key": "a", "value": "x"})),
            var(json!({"key": "b", "value": "y"})),
        ]);
        scope.unset("a");
        assert!(!scope.has("a"));
        assert_eq!(scope.values.len(), 2, "the disabled entry stays");
        assert_eq!(
            scope.to_object(),
            json!({"b": "y"}).as_object().cloned().unwrap_or_default()
        );
        scope.clear();
        assert!(scope.keys().is_empty());
    }

    #[test]
    fn to_object_uses_last_values_in_first_order() {
        let scope = VariableScope::from_variables(vec![
            var(json!({"key": "a", "value": 1})),
            var(json!({"key": "b", "value": null})),
            var(json!({"key": "a", "value": 2})),
        ]);
        assert_eq!(Value::Object(scope.to_object()), json!({"a": 2, "b": null}));
    }

    #[test]
    fn export_shape() {
        let scope = VariableScope::from_file(
            file(json!([
                {"key": "host", "value": "example.com", "type": "default", "enabled": true},
                {"key": "pw", "value": "s3cret", "type": "secret", "enabled": false},
                {"key": "n", "value": "5", "type": "number"},
                {"key": "u"},
            ])),
            EnabledMode::App,
        );
        let out = scope.to_export("environment", "Newman/6.2.1");
        assert_eq!(out["id"], "e1");
        assert_eq!(out["name"], "dev");
        assert_eq!(out["_postman_variable_scope"], "environment");
        assert_eq!(out["_postman_exported_using"], "Newman/6.2.1");
        let at = out["_postman_exported_at"].as_str().unwrap_or_default();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
        assert!(at.ends_with('Z') && at.len() == 24, "{at}");
        assert_eq!(
            out["values"],
            json!([
                {"key": "host", "value": "example.com", "type": "default", "enabled": true},
                {"key": "pw", "value": "s3cret", "type": "secret", "enabled": false},
                {"key": "n", "value": 5, "type": "number", "enabled": true},
                {"key": "u", "value": "", "type": "any", "enabled": true},
            ])
        );
        let keys: Vec<&String> = out
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "id",
                "name",
                "values",
                "_postman_variable_scope",
                "_postman_exported_at",
                "_postman_exported_using"
            ]
        );
    }

    #[test]
    fn key_value_arguments() {
        assert_eq!(
            parse_key_value("a=b"),
            Ok(("a".to_owned(), Some("b".to_owned())))
        );
        assert_eq!(
            parse_key_value("url=http://x/?q=1&r=2"),
            Ok(("url".to_owned(), Some("http://x/?q=1&r=2".to_owned())))
        );
        assert_eq!(
            parse_key_value("a="),
            Ok(("a".to_owned(), Some(String::new())))
        );
        assert_eq!(parse_key_value("flag"), Ok(("flag".to_owned(), None)));
        assert_eq!(
            parse_key_value("with space=v v"),
            Ok(("with space".to_owned(), Some("v v".to_owned())))
        );
        assert!(parse_key_value("=v").is_err());
        assert!(parse_key_value("").is_err());
    }
}
