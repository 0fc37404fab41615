//! Variables whose values refer back to themselves (`a = {{b}}`, `b = {{a}}`): Newman resolves
//! such references a fixed number of times and sends what is left, so a run does the same, but
//! says so first, naming the file, line and column where the cycle starts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::collection::source::SourceError;

/// One variable definition: its name, value and the file that defines it.
#[derive(Debug, Clone)]
pub struct Definition {
    /// Variable name.
    pub name: String,
    /// Its value as text.
    pub value: String,
    /// The file it comes from (collection, environment or globals).
    pub file: PathBuf,
}

/// The `{{name}}` references in `text` (dynamic `{{$...}}` variables left out).
fn references(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            break;
        };
        let name = &after[..close];
        if !name.is_empty() && !name.starts_with('$') && !name.contains("{{") {
            out.push(name);
        }
        rest = &after[close + 2..];
    }
    out
}

/// Every cycle among `definitions` (each given once, from the name where it is first met), as
/// a warning placed at that variable's definition.
pub fn cycle_warnings(definitions: &[Definition]) -> Vec<SourceError> {
    let by_name: BTreeMap<&str, &Definition> =
        definitions.iter().map(|d| (d.name.as_str(), d)).collect();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    let mut warnings = Vec::new();
    for start in by_name.keys() {
        if reported.contains(start) {
            continue;
        }
        let Some(path) = find_cycle(start, &by_name) else {
            continue;
        };
        reported.extend(path.iter().copied());
        let chain = path.join(" → ");
        let def = by_name[start];
        warnings.push(place(
            def,
            &format!(
                "variable `{start}` refers to itself ({chain} → {start}); its references stay \
                 unresolved, as in Newman"
            ),
        ));
    }
    warnings
}

/// The names on a path from `start` back to `start`, if there is one.
fn find_cycle<'a>(
    start: &'a str,
    by_name: &BTreeMap<&'a str, &'a Definition>,
) -> Option<Vec<&'a str>> {
    let mut stack: Vec<(&'a str, Vec<&'a str>)> = vec![(start, vec![start])];
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    while let Some((name, path)) = stack.pop() {
        let Some(def) = by_name.get(name) else {
            continue;
        };
        for next in references(&def.value) {
            if next == start {
                return Some(path);
            }
            if let Some((key, _)) = by_name.get_key_value(next)
                && seen.insert(key)
            {
                let mut longer = path.clone();
                longer.push(key);
                stack.push((key, longer));
            }
        }
    }
    None
}

/// A warning at the definition of `def` in its file (the whole file when it cannot be found).
fn place(def: &Definition, message: &str) -> SourceError {
    let text = std::fs::read_to_string(&def.file).unwrap_or_default();
    match key_offset(&text, &def.name) {
        Some(at) => SourceError::at_offset(&def.file, &text, at, message),
        None => SourceError::whole_file(Path::new(&def.file), message),
    }
}

/// Where `"key": "<name>"` is written in a variable list.
fn key_offset(text: &str, name: &str) -> Option<usize> {
    let quoted = serde_json::to_string(name).ok()?;
    let mut from = 0;
    while let Some(found) = text[from..].find("\"key\"") {
        let at = from + found;
        let rest = text[at + 5..].trim_start();
        if let Some(value) = rest.strip_prefix(':')
            && value.trim_start().starts_with(&quoted)
        {
            return Some(at);
        }
        from = at + 5;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, value: &str) -> Definition {
        Definition {
            name: name.into(),
            value: value.into(),
            file: PathBuf::from("nowhere.json"),
        }
    }

    #[test]
    fn cycles_are_found_once_and_chains_without_cycles_are_not() {
        let defs = [
            def("a", "{{b}}"),
            def("b", "x{{a}}"),
            def("c", "{{d}}"),
            def("d", "plain {{$guid}}"),
            def("self", "{{self}}"),
        ];
        let found: Vec<String> = cycle_warnings(&defs)
            .iter()
            .map(|w| w.to_string())
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("`a` refers to itself (a → b → a)"),
            "{found:?}"
        );
        assert!(
            found[1].contains("`self` refers to itself (self → self)"),
            "{found:?}"
        );
    }

    #[test]
    fn the_definition_is_located() {
        let text = "{\n  \"values\": [\n    {\"key\": \"a\", \"value\": \"{{a}}\"}\n  ]\n}\n";
        assert_eq!(key_offset(text, "a"), text.find("\"key\""));
        assert_eq!(key_offset(text, "b"), None);
    }
}
