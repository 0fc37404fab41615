//! Postman `{{var}}` substitution over the scope stack (postman-collection `Substitutor`).
//!
//! A token is `{{` + any run of characters other than `{` and `}` + `}}` (regex
//! `{{([^{}]*?)}}`), so `{{a b}}`, `{{a.b}}`, `{{a/b}}` and `{{vault:x}}` are all tokens and
//! names are never trimmed. Each pass replaces every token found in the string, innermost
//! first by construction (a token cannot contain braces); the string is re-scanned until a
//! pass finds no token or 19 passes have run. Unresolved tokens stay as written, and values are
//! inserted raw (no escaping).
//!
//! A value that refers to itself more than once (`a = {{a}}{{a}}`) would double the string on
//! every pass (4 references: 4^19 copies), so the passes after the first may add at most
//! [`GROWTH_LIMIT`] bytes in all: the pass that would go past it is dropped and the string is
//! returned as the previous pass left it, tokens still literal. (`run` warns about such cycles
//! before it starts.)

use serde_json::{Map, Value};

use crate::vars::convert::js_string;
use crate::vars::dynamic::dynamic_value;
use crate::vars::scope::VariableScope;

/// How many passes one string gets (`Substitutor.VARS_SUBREPLACE_LIMIT`).
const PASS_LIMIT: usize = 19;

/// How many bytes the passes after the first may add to a string, in all (see the module doc).
pub const GROWTH_LIMIT: usize = 64 * 1024 * 1024;

/// All scopes of a run, precedence: local > data > environment > collection > globals > dynamic.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    /// `-g`, `--global-var`, `pm.globals`.
    pub globals: VariableScope,
    /// `collection.variable[]`, `pm.collectionVariables`.
    pub collection: VariableScope,
    /// `-e`, `--env-var`, `pm.environment`.
    pub environment: VariableScope,
    /// The current iteration's data row, a plain object (`pm.iterationData`).
    pub data: Map<String, Value>,
    /// `pm.variables.set`; kept for the rest of the run.
    pub local: VariableScope,
}

/// What the scope stack says about one name.
enum Found {
    /// A scope defines it and it becomes this text.
    Text(String),
    /// A scope defines it, but its value cannot be inserted (a data-row `null`): the token stays.
    Literal,
    /// No scope defines it.
    Missing,
}

impl Scopes {
    /// The variable scopes below the data row, highest precedence first.
    fn lists_below_data(&self) -> [&VariableScope; 3] {
        [&self.environment, &self.collection, &self.globals]
    }

    /// Looks `key` up through every scope, dynamic variables last.
    fn find(&self, key: &str) -> Found {
        if let Some(text) = self.local.lookup_text(key) {
            return Found::Text(text);
        }
        if let Some(value) = self.data.get(key) {
            // The SDK inserts only strings, numbers and booleans from plain objects; `null`
            // stops the search and keeps the token (objects and arrays go through `toString`).
            return match value {
                Value::Null => Found::Literal,
                other => Found::Text(js_string(other)),
            };
        }
        for scope in self.lists_below_data() {
            if let Some(text) = scope.lookup_text(key) {
                return Found::Text(text);
            }
        }
        match dynamic_value(key) {
            Some(text) => Found::Text(text),
            None => Found::Missing,
        }
    }

    /// The string a `{{key}}` token becomes, or None when no scope defines it (token stays literal).
    pub fn lookup(&self, key: &str) -> Option<String> {
        match self.find(key) {
            Found::Text(text) => Some(text),
            Found::Literal | Found::Missing => None,
        }
    }

    /// The raw value by precedence (for pm.variables.get).
    ///
    /// The first scope that defines `key` decides: a defined entry with an undefined value gives
    /// `None` without looking further, as `pm.variables.get` does. Dynamic variables are not
    /// included.
    pub fn get(&self, key: &str) -> Option<Value> {
        if let Some(var) = self.local.entry(key) {
            return var.value.clone();
        }
        if let Some(value) = self.data.get(key) {
            return Some(value.clone());
        }
        self.lists_below_data()
            .into_iter()
            .find_map(|scope| scope.entry(key))
            .and_then(|var| var.value.clone())
    }

    /// Postman substitution of every `{{...}}` in `input` (nested, re-scanned, 19 passes max, dynamic vars, unresolved left literal, no escaping).
    pub fn resolve(&self, input: &str) -> String {
        let mut current = input.to_owned();
        // The first pass is never cut short: its size is what the scopes hold.
        let mut budget = usize::MAX;
        for _ in 0..PASS_LIMIT {
            let Some((next, tokens)) = self.pass(&current, budget) else {
                // Self-multiplying references: keep what the last whole pass gave.
                return current;
            };
            // With no token, or no change, later passes would give the same string again.
            if tokens == 0 || next == current {
                return next;
            }
            if budget == usize::MAX {
                budget = next.len().saturating_add(GROWTH_LIMIT);
            }
            current = next;
        }
        current
    }

    /// One substitution pass; returns the new string and how many tokens it saw, or None when
    /// the new string would be longer than `budget` bytes.
    fn pass(&self, input: &str, budget: usize) -> Option<(String, usize)> {
        let mut out = String::with_capacity(input.len().min(budget));
        let mut rest = 0;
        let mut count = 0;
        for (start, end) in tokens(input) {
            count += 1;
            out.push_str(&input[rest..start]);
            let name = &input[start + 2..end - 2];
            match self.find(name) {
                Found::Text(text) => {
                    if out.len().saturating_add(text.len()) > budget {
                        return None;
                    }
                    out.push_str(&text);
                }
                Found::Literal | Found::Missing => out.push_str(&input[start..end]),
            }
            rest = end;
        }
        out.push_str(&input[rest..]);
        if out.len() > budget {
            return None;
        }
        Some((out, count))
    }

    /// Names of `{{...}}` tokens in `input` that no scope defines and that are not dynamic variables (for `snapman check`).
    ///
    /// The string is resolved first, so names built by nesting (`{{a_{{b}}}}`) and tokens inside
    /// variable values are reported as they end up. Each name appears once, in order.
    pub fn unresolved(&self, input: &str) -> Vec<String> {
        let resolved = self.resolve(input);
        let mut names: Vec<String> = Vec::new();
        for (start, end) in tokens(&resolved) {
            let name = &resolved[start + 2..end - 2];
            if matches!(self.find(name), Found::Missing) && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        names
    }
}

/// Byte ranges of the tokens in `input`, left to right, as `/{{([^{}]*?)}}/g` finds them.
fn tokens(input: &str) -> Vec<(usize, usize)> {
    let bytes = input.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        if bytes[i] == b'{' && bytes[i + 1] == b'{' {
            let mut j = i + 2;
            while j < bytes.len() && bytes[j] != b'{' && bytes[j] != b'}' {
                j += 1;
            }
            if bytes.get(j) == Some(&b'}') && bytes.get(j + 1) == Some(&b'}') {
                found.push((i, j + 2));
                i = j + 2;
                continue;
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::model::VariableFile;
    use crate::vars::scope::EnabledMode;
    use crate::vars::scope::tests::var;
    use serde_json::json;

    fn list(values: Value) -> VariableScope {
        let values = values.as_array().cloned().unwrap_or_default();
        VariableScope::from_variables(values.into_iter().map(var).collect())
    }

    fn data(row: Value) -> Map<String, Value> {
        row.as_object().cloned().unwrap_or_default()
    }

    /// Every scope defines `who`, and most also a name of their own (`g`, `c`, `e`, `d`).
    fn stacked() -> Scopes {
        Scopes {
            globals: list(json!([{"key": "who", "value": "globals"}, {"key": "g", "value": "G"}])),
            collection: list(
                json!([{"key": "who", "value": "collection"}, {"key": "c", "value": "C"}]),
            ),
            environment: list(
                json!([{"key": "who", "value": "environment"}, {"key": "e", "value": "E"}]),
            ),
            data: data(json!({"who": "data", "d": "D"})),
            local: list(json!([{"key": "who", "value": "local"}])),
        }
    }

    #[test]
    fn precedence_across_all_scopes() {
        let mut scopes = stacked();
        assert_eq!(scopes.resolve("{{who}} {{d}}{{e}}{{c}}{{g}}"), "local DECG");
        scopes.local.clear();
        assert_eq!(scopes.lookup("who").as_deref(), Some("data"));
        scopes.data.clear();
        assert_eq!(scopes.lookup("who").as_deref(), Some("environment"));
        scopes.environment.clear();
        assert_eq!(scopes.lookup("who").as_deref(), Some("collection"));
        scopes.collection.clear();
        assert_eq!(scopes.get("who"), Some(json!("globals")));
        scopes.globals.clear();
        assert_eq!(scopes.lookup("who"), None);
    }

    #[test]
    fn disabled_entries_fall_through() {
        let mut scopes = stacked();
        scopes.local = list(json!([{"key": "who", "value": "off", "disabled": true}]));
        scopes.data.clear();
        scopes.environment = VariableScope::from_file(
            serde_json::from_value::<VariableFile>(
                json!({"values": [{"key": "who", "value": "off", "enabled": false}]}),
            )
            .expect("test file is valid"),
            EnabledMode::App,
        );
        assert_eq!(scopes.resolve("{{who}}"), "collection");
        assert_eq!(scopes.get("who"), Some(json!("collection")));
    }

    #[test]
    fn user_variable_beats_dynamic_one() {
        let scopes = Scopes {
            globals: list(json!([{"key": "$guid", "value": "mine"}])),
            ..Scopes::default()
        };
        assert_eq!(scopes.resolve("{{$guid}}"), "mine");
    }

    #[test]
    fn dynamic_values_differ_per_use() {
        let out = Scopes::default().resolve("{{$guid}} {{$guid}}");
        let (a, b) = out.split_once(' ').unwrap_or_default();
        assert_eq!(a.len(), 36, "{out}");
        assert_ne!(a, b);
        assert_eq!(
            Scopes::default().resolve("{{$nope}} {{ $guid}}"),
            "{{$nope}} {{ $guid}}"
        );
    }

    #[test]
    fn unresolved_tokens_stay_literal() {
        let scopes = stacked();
        for input in [
            "{{missing}}",
            "{{with space}}",
            "{{ who }}",
            "{{a.b}}",
            "{{path/to}}",
            "{{vault:secret}}",
            "{{}}",
            "{who}} {{who",
        ] {
            assert_eq!(scopes.resolve(input), input);
        }
        assert_eq!(scopes.resolve("{{{who}}}"), "{local}");
        let odd = Scopes {
            environment: list(json!([{"key": "a b", "value": 1}, {"key": "x:y/z.w", "value": 2}])),
            ..Scopes::default()
        };
        assert_eq!(odd.resolve("{{a b}}-{{x:y/z.w}}"), "1-2");
    }

    #[test]
    fn nesting_and_values_with_tokens() {
        let scopes = Scopes {
            environment: list(json!([
                {"key": "b", "value": "x"},
                {"key": "a_x", "value": "{{greeting}}, {{who}}"},
                {"key": "greeting", "value": "hello"},
                {"key": "who", "value": "<b>&amp;</b>"},
            ])),
            ..Scopes::default()
        };
        assert_eq!(scopes.resolve("{{a_{{b}}}}!"), "hello, <b>&amp;</b>!");
    }

    #[test]
    fn nineteen_pass_limit() {
        // Variables "0".."21" are all "", as in postman-runtime's variable-resolution test.
        let zeros: Vec<Value> = (0..=21)
            .map(|i| json!({"key": i.to_string(), "value": ""}))
            .collect();
        let scopes = Scopes {
            environment: list(Value::Array(zeros)),
            collection: list(json!([
                {"key": "world", "value": "World"},
                {"key": "helloWorld", "value": "{{22{{20{{19}}}}}}"},
                {"key": "22", "value": "disabled-variable", "disabled": true},
            ])),
            ..Scopes::default()
        };
        // Built like "{{20{{19{{...{{1{{0}}}}...}}}}": only the innermost `{{k}}` is a token, so
        // pass p (1-based) resolves "{{p-1}}" to "" and leaves "{{p}}" whole. Pass 19 resolves
        // "{{18}}"; the limit then stops, leaving "{{19}}" nested in "{{20...}}".
        let chain = |n: usize| {
            let open: String = (0..n).rev().map(|i| format!("{{{{{i}")).collect();
            format!("{open}{}", "}}".repeat(n))
        };
        assert!(chain(2) == "{{1{{0}}}}");
        assert_eq!(scopes.resolve(&chain(21)), "{{20{{19}}}}");
        assert_eq!(scopes.resolve(&chain(19)), "");
        // The limit is per string: the three parts share the 19 passes. "{{hello{{world}}}}"
        // takes 4 of them to reach "{{22}}", which is disabled and so stays.
        let mixed = format!(
            "{}{{{{xyz{}}}}}{{{{hello{{{{world}}}}}}}}",
            chain(20),
            chain(19)
        );
        assert_eq!(scopes.resolve(&mixed), "{{19}}{{xyz}}{{22}}");
    }

    /// Scopes from the fuzz target's input: the first line is the template, the rest
    /// `name=value` environment lines.
    fn fuzz_input(text: &str) -> (String, Scopes) {
        let mut lines = text.lines();
        let template = lines.next().unwrap_or_default().to_owned();
        let mut environment = VariableScope::default();
        for line in lines {
            if let Some((k, v)) = line.split_once('=') {
                environment.set(k, Value::String(v.to_string()));
            }
        }
        let scopes = Scopes {
            environment,
            ..Scopes::default()
        };
        (template, scopes)
    }

    /// Found by `cargo fuzz run template` (out of memory): `host` holds three `{{host}}`, so
    /// 19 passes would make 3^19 copies. Kept in fuzz/corpus/template/.
    #[test]
    fn self_multiplying_reference_stays_bounded() {
        let input = include_bytes!("../../fuzz/corpus/template/seed-oom-self-multiplying");
        let (template, scopes) = fuzz_input(&String::from_utf8_lossy(input));
        let out = scopes.resolve(&template);
        assert!(out.len() <= 2 * GROWTH_LIMIT, "{} bytes", out.len());
        assert!(out.contains("{{host}}"), "the cut-off tokens stay literal");

        let (template, scopes) = fuzz_input("{{a}}\na=<{{a}}{{a}}{{a}}{{a}}>");
        let out = scopes.resolve(&template);
        assert!(out.len() <= 2 * GROWTH_LIMIT, "{} bytes", out.len());
        assert!(out.starts_with("<<<"), "{}", &out[..20]);
        // A value that refers to itself once grows linearly and still gets all 19 passes.
        let (template, scopes) = fuzz_input("{{a}}\na=x{{a}}");
        assert_eq!(
            scopes.resolve(&template),
            format!("{}{{{{a}}}}", "x".repeat(19))
        );
    }

    /// Nested references to large values resolve whole; only runaway growth is cut.
    #[test]
    fn large_nested_values_resolve_whole() {
        let big = "v".repeat(1024 * 1024);
        let mut environment = VariableScope::default();
        environment.set("big", Value::String(big.clone()));
        environment.set("two", Value::String("{{big}}{{big}}".into()));
        let scopes = Scopes {
            environment,
            ..Scopes::default()
        };
        assert_eq!(
            scopes.resolve("{{two}}-{{two}}"),
            format!("{big}{big}-{big}{big}")
        );
    }

    #[test]
    fn value_conversion() {
        let scopes = Scopes {
            environment: list(json!([
                {"key": "null", "value": null},
                {"key": "int", "value": 1.0},
                {"key": "frac", "value": 0.1},
                {"key": "big", "value": 12345678901234567890_u64},
                {"key": "yes", "value": true},
                {"key": "obj", "value": {"a": 1}},
                {"key": "arr", "value": [1, "b", null]},
                {"key": "undef"},
                {"key": "typed", "value": "7", "type": "number"},
                {"key": "hidden", "value": "x", "type": "secret"},
            ])),
            data: data(
                json!({"dnull": null, "dobj": {"a": 1}, "darr": [1, [2, 3]], "dzero": 0, "dfalse": false, "null": null}),
            ),
            ..Scopes::default()
        };
        assert_eq!(
            scopes.resolve(
                "{{int}}|{{frac}}|{{big}}|{{yes}}|{{obj}}|{{arr}}|{{undef}}|{{typed}}|{{hidden}}"
            ),
            "1|0.1|12345678901234567890|true|[object Object]|1,b,||7|x"
        );
        // A data-row null keeps the token and hides lower scopes; other data values convert.
        assert_eq!(
            scopes.resolve("{{dnull}}|{{null}}|{{dobj}}|{{darr}}|{{dzero}}|{{dfalse}}"),
            "{{dnull}}|{{null}}|[object Object]|1,2,3|0|false"
        );
        let env_only = Scopes {
            data: Map::new(),
            ..scopes.clone()
        };
        assert_eq!(env_only.resolve("{{null}}"), "null");
        assert_eq!(scopes.get("null"), Some(Value::Null));
        assert_eq!(scopes.get("typed"), Some(json!(7)));
        assert_eq!(scopes.get("undef"), None);
    }

    #[test]
    fn unresolved_names_for_check() {
        let scopes = Scopes {
            environment: list(
                json!([{"key": "b", "value": "x"}, {"key": "v", "value": "{{inner}}"}]),
            ),
            data: data(json!({"n": null})),
            ..Scopes::default()
        };
        assert_eq!(
            scopes
                .unresolved("{{a_{{b}}}} {{$guid}} {{$nope}} {{v}} {{n}} {{missing}} {{missing}}"),
            vec!["a_x", "$nope", "inner", "missing"]
        );
        assert!(scopes.unresolved("plain {{b}}").is_empty());
    }
}
