//! The run plan: the collection's request items flattened depth-first, each with what it
//! inherits (auth, scripts, protocol settings), and `--folder` selection.

use serde_json::{Map, Value};

use crate::collection::model::{Auth, Collection, Event, Item, Request, RequestField};

/// One runnable request item with everything it inherits.
#[derive(Debug, Clone)]
pub struct PlannedItem {
    /// Postman id, or a generated one when the export has none.
    pub id: String,
    /// Item name.
    pub name: String,
    /// Names of the enclosing folders, outermost first.
    pub folder_path: Vec<String>,
    /// The request (URL shorthand expanded).
    pub request: Request,
    /// Auth blocks of the enclosing folders (innermost first) then the collection's.
    pub ancestor_auth: Vec<Option<Auth>>,
    /// Pre-request scripts in run order: collection, folders (outermost first), item.
    pub prerequest: Vec<String>,
    /// Test scripts in run order: collection, folders, item.
    pub test: Vec<String>,
    /// Enabled `prerequest` events on the way (collection, folders, item), empty ones included:
    /// what Newman counts as pre-request scripts.
    pub prerequest_events: usize,
    /// Enabled `test` events on the way, counted the same way.
    pub test_events: usize,
    /// `protocolProfileBehavior` objects, root to leaf.
    pub protocol: Vec<Map<String, Value>>,
    /// Saved example responses of the item.
    pub examples: Vec<Value>,
}

impl PlannedItem {
    /// `Folder › Sub › Request`.
    pub fn path_display(&self) -> String {
        let mut parts = self.folder_path.clone();
        parts.push(self.name.clone());
        parts.join(" › ")
    }
}

/// `--folder` named something that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("Unable to find a folder or request: {0}")]
pub struct FolderNotFound(pub String);

fn scripts(events: Option<&Vec<Event>>, listen: &str) -> Vec<String> {
    events
        .map(|list| {
            list.iter()
                .filter(|e| e.listen == listen)
                .filter_map(Event::enabled_source)
                .collect()
        })
        .unwrap_or_default()
}

/// Enabled events listening to `listen`, whatever their source.
fn event_count(events: Option<&Vec<Event>>, listen: &str) -> usize {
    events.map_or(0, |list| {
        list.iter()
            .filter(|e| e.listen == listen && e.disabled != Some(true))
            .count()
    })
}

struct Inherited {
    folders: Vec<String>,
    auth: Vec<Option<Auth>>,
    prerequest: Vec<String>,
    test: Vec<String>,
    prerequest_events: usize,
    test_events: usize,
    protocol: Vec<Map<String, Value>>,
}

/// The id of an item that has none in the export, from its place in the tree (indices from
/// the collection down): the same in every run and in every report of the collection.
pub fn generated_id(trail: &[usize]) -> String {
    let seed = trail
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(".");
    stable_id(&format!("snapman item {seed}"))
}

/// A UUID-shaped id derived from `seed` (MD5): the same text gives the same id in every run.
pub fn stable_id(seed: &str) -> String {
    use md5::{Digest, Md5};
    let hex: String = Md5::digest(seed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Every request item of the collection in run order (depth-first, array order).
pub fn flatten(collection: &Collection) -> Vec<PlannedItem> {
    let root = Inherited {
        folders: Vec::new(),
        auth: vec![collection.auth.clone()],
        prerequest: scripts(collection.event.as_ref(), "prerequest"),
        test: scripts(collection.event.as_ref(), "test"),
        prerequest_events: event_count(collection.event.as_ref(), "prerequest"),
        test_events: event_count(collection.event.as_ref(), "test"),
        protocol: collection
            .protocol_profile_behavior
            .iter()
            .cloned()
            .collect(),
    };
    let mut out = Vec::new();
    walk(&collection.item, &root, &[], &mut out);
    out
}

fn walk(items: &[Item], inherited: &Inherited, trail: &[usize], out: &mut Vec<PlannedItem>) {
    for (index, item) in items.iter().enumerate() {
        let mut here = trail.to_vec();
        here.push(index);
        let mut protocol = inherited.protocol.clone();
        protocol.extend(item.protocol_profile_behavior.iter().cloned());
        let mut prerequest = inherited.prerequest.clone();
        prerequest.extend(scripts(item.event.as_ref(), "prerequest"));
        let mut test = inherited.test.clone();
        test.extend(scripts(item.event.as_ref(), "test"));
        let prerequest_events =
            inherited.prerequest_events + event_count(item.event.as_ref(), "prerequest");
        let test_events = inherited.test_events + event_count(item.event.as_ref(), "test");
        if let Some(children) = &item.item {
            let mut folders = inherited.folders.clone();
            folders.push(item.name.clone());
            let mut auth = vec![item.auth.clone()];
            auth.extend(inherited.auth.iter().cloned());
            let next = Inherited {
                folders,
                auth,
                prerequest,
                test,
                prerequest_events,
                test_events,
                protocol,
            };
            walk(children, &next, &here, out);
        } else {
            // An item without a request runs as Newman runs it: a GET with no URL, which ends
            // in a request error in the report instead of being skipped.
            let request = item.request.as_ref().map_or_else(
                || Request {
                    method: Some("GET".into()),
                    ..Request::default()
                },
                RequestField::to_request,
            );
            out.push(PlannedItem {
                id: item
                    .id
                    .clone()
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| generated_id(&here)),
                name: item.name.clone(),
                folder_path: inherited.folders.clone(),
                request,
                ancestor_auth: inherited.auth.clone(),
                prerequest,
                test,
                prerequest_events,
                test_events,
                protocol,
                examples: item.response.clone().unwrap_or_default(),
            });
        }
    }
}

/// The items to run for `--folder` selections (each a folder or request, by id or name, found
/// breadth-first at any depth). All must exist; they run in collection order, once each.
pub fn select(
    collection: &Collection,
    folders: &[String],
) -> Result<Vec<PlannedItem>, FolderNotFound> {
    let all = flatten(collection);
    if folders.is_empty() {
        return Ok(all);
    }
    let mut chosen: Vec<Vec<String>> = Vec::new();
    for wanted in folders {
        let path = find(&collection.item, wanted).ok_or_else(|| FolderNotFound(wanted.clone()))?;
        chosen.push(path);
    }
    Ok(all
        .into_iter()
        .filter(|p| {
            let mut full = p.folder_path.clone();
            full.push(p.id.clone());
            let mut by_name = p.folder_path.clone();
            by_name.push(p.name.clone());
            chosen
                .iter()
                .any(|c| full.starts_with(c) || by_name.starts_with(c))
        })
        .collect())
}

/// The path (folder names, then the item's id or name) of the first item matching `wanted`,
/// breadth-first.
fn find(items: &[Item], wanted: &str) -> Option<Vec<String>> {
    let mut level: Vec<(Vec<String>, &Item)> = items.iter().map(|i| (Vec::new(), i)).collect();
    while !level.is_empty() {
        for (parents, item) in &level {
            if item.id.as_deref() == Some(wanted) || item.name == wanted {
                let mut path = parents.clone();
                if item.is_folder() {
                    path.push(item.name.clone());
                } else {
                    path.push(item.id.clone().unwrap_or_else(|| item.name.clone()));
                }
                return Some(path);
            }
        }
        level = level
            .into_iter()
            .flat_map(|(parents, item)| {
                let mut path = parents;
                path.push(item.name.clone());
                item.item
                    .iter()
                    .flatten()
                    .map(move |child| (path.clone(), child))
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collection() -> Collection {
        serde_json::from_value(json!({
            "info": {"name": "c"},
            "auth": {"type": "bearer"},
            "event": [{"listen": "prerequest", "script": {"exec": ["// c"]}}],
            "item": [
                {"name": "A", "item": [
                    {"name": "A1", "request": "http://h/a1",
                     "event": [{"listen": "test", "script": {"exec": "pm.test('x')"}}]},
                    {"name": "Inner", "auth": {"type": "noauth"}, "item": [
                        {"name": "I1", "id": "id-i1", "request": {"url": "h/i1"}}]}
                ]},
                {"name": "B", "request": "h/b"},
                {"name": "I1", "request": "h/other-i1"}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn flattens_depth_first_with_inheritance() {
        let items = flatten(&collection());
        let names: Vec<_> = items.iter().map(PlannedItem::path_display).collect();
        assert_eq!(names, ["A › A1", "A › Inner › I1", "B", "I1"]);
        assert_eq!(items[0].prerequest, ["// c"]);
        assert_eq!(items[0].test, ["pm.test('x')"]);
        let kinds: Vec<_> = items[1]
            .ancestor_auth
            .iter()
            .map(|a| a.as_ref().map(|a| a.kind.clone()))
            .collect();
        assert_eq!(kinds, [Some("noauth".into()), None, Some("bearer".into())]);
    }

    #[test]
    fn folder_selection_breadth_first_in_collection_order() {
        let c = collection();
        let names = |f: &[&str]| -> Vec<String> {
            select(&c, &f.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap()
                .iter()
                .map(PlannedItem::path_display)
                .collect()
        };
        assert_eq!(names(&["I1"]), ["I1"]);
        assert_eq!(names(&["B", "Inner"]), ["A › Inner › I1", "B"]);
        assert_eq!(names(&["id-i1"]), ["A › Inner › I1"]);
        assert_eq!(names(&["A", "A1"]), ["A › A1", "A › Inner › I1"]);
        assert!(
            select(&c, &["nope".into()])
                .unwrap_err()
                .to_string()
                .contains("nope")
        );
    }
}
