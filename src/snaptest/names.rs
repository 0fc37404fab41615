//! Trial names and snapshot paths: one trial per request execution, named after its place in
//! the collection.
//!
//! A trial is named `Folder::Sub::Request`, with `#N` (1-based) appended when the run has more
//! than one iteration. Names keep the collection's spelling (only file paths are slugged). When
//! two requests share a folder path and name, the later ones get ` (2)`, ` (3)`, ... in collection
//! order, so every name is unique and stays the same from run to run:
//!
//! ```text
//! Auth::Get token
//! Inventory::Get availability#1
//! Inventory::Get availability#2
//! Inventory::Get availability (2)#1
//! ```

use std::collections::HashMap;

use crate::runner::plan::PlannedItem;

/// The identity of one trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialId {
    /// The libtest name, e.g. `Inventory::Get availability#2`.
    pub name: String,
    /// Folders then the request name, made unique: the snapshot file's place in the tree.
    pub path: Vec<String>,
    /// Folders then the request name as the collection spells them: the redaction config key.
    pub config_path: Vec<String>,
    /// 0-based position of the item in the run's item list.
    pub position: usize,
    /// 0-based iteration.
    pub iteration: usize,
    /// The 1-based iteration shown in the name and the file, when the run iterates.
    pub numbered: Option<usize>,
}

impl TrialId {
    /// The name without any prefix: `Folder::Request#2` (what a snapshot's header records).
    pub fn local_name(&self) -> String {
        let mut name = self.path.join("::");
        if let Some(n) = self.numbered {
            name.push_str(&format!("#{n}"));
        }
        name
    }
}

/// Each item's path (folders, then name), with ` (N)` added to the names of later duplicates.
pub fn unique_paths(items: &[PlannedItem]) -> Vec<Vec<String>> {
    let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
    items
        .iter()
        .map(|item| {
            let mut path = item.folder_path.clone();
            path.push(item.name.clone());
            let count = seen.entry(path.clone()).or_insert(0);
            *count += 1;
            if *count > 1
                && let Some(last) = path.last_mut()
            {
                last.push_str(&format!(" ({count})"));
            }
            path
        })
        .collect()
}

/// The trials of a run of `items` over `iterations` iterations, in run order (iteration by
/// iteration, items in collection order); `prefix` (such as a collection's stem) starts every
/// name when given.
pub fn trial_ids(items: &[PlannedItem], iterations: usize, prefix: Option<&str>) -> Vec<TrialId> {
    let paths = unique_paths(items);
    let mut ids = Vec::with_capacity(items.len() * iterations);
    for iteration in 0..iterations {
        for (position, (item, path)) in items.iter().zip(&paths).enumerate() {
            let numbered = (iterations > 1).then_some(iteration + 1);
            let mut name = path.join("::");
            if let Some(prefix) = prefix {
                name = format!("{prefix}::{name}");
            }
            if let Some(n) = numbered {
                name.push_str(&format!("#{n}"));
            }
            let mut config_path = item.folder_path.clone();
            config_path.push(item.name.clone());
            ids.push(TrialId {
                name,
                path: path.clone(),
                config_path,
                position,
                iteration,
                numbered,
            });
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::collection::model::Collection;
    use crate::runner::plan::flatten;

    fn items() -> Vec<PlannedItem> {
        let c: Collection = serde_json::from_value(json!({
            "info": {"name": "c"},
            "item": [
                {"name": "Inventory", "item": [
                    {"name": "Get: a/b", "request": "h/1"},
                    {"name": "Get: a/b", "request": "h/2"}
                ]},
                {"name": "Token", "request": "h/t"}
            ]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        flatten(&c)
    }

    #[test]
    fn names_keep_spelling_and_are_unique() {
        let names: Vec<String> = trial_ids(&items(), 1, None)
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(
            names,
            ["Inventory::Get: a/b", "Inventory::Get: a/b (2)", "Token"]
        );
    }

    #[test]
    fn iterations_are_numbered_and_prefixed() {
        let ids = trial_ids(&items(), 2, Some("demo"));
        let names: Vec<&str> = ids.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "demo::Inventory::Get: a/b#1",
                "demo::Inventory::Get: a/b (2)#1",
                "demo::Token#1",
                "demo::Inventory::Get: a/b#2",
                "demo::Inventory::Get: a/b (2)#2",
                "demo::Token#2"
            ]
        );
        assert_eq!(ids[4].path, ["Inventory", "Get: a/b (2)"]);
        assert_eq!(ids[4].config_path, ["Inventory", "Get: a/b"]);
        assert_eq!((ids[4].position, ids[4].iteration), (1, 1));
        assert_eq!(ids[4].numbered, Some(2));
        assert_eq!(ids[4].local_name(), "Inventory::Get: a/b (2)#2");
    }
}
