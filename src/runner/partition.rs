//! `--partition count:M/N` and `hash:M/N`: run one shard of a suite on each of N CI machines,
//! as cargo-nextest splits tests. A run with several iterations is split by iteration; a
//! single-iteration run is split by top-level entry (a top-level folder with everything in it,
//! or a top-level request), so a folder's requests stay together and in order.
//!
//! - `count:M/N` takes every N-th unit starting with the M-th (1-based): even shards.
//! - `hash:M/N` takes the units whose name (iteration number, or top-level folder name) hashes
//!   to M: a unit stays on its shard when others are added or removed.

use std::str::FromStr;

use md5::{Digest, Md5};

use crate::runner::plan::PlannedItem;

/// How units are assigned to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Round robin by position.
    Count,
    /// By a stable hash of the unit's name.
    Hash,
}

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Round robin or hash.
    pub scheme: Scheme,
    /// This shard, 1-based.
    pub shard: usize,
    /// How many shards.
    pub total: usize,
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || format!("`{s}`: expected count:M/N or hash:M/N, with 1 <= M <= N");
        let (scheme, rest) = s.split_once(':').ok_or_else(usage)?;
        let scheme = match scheme {
            "count" => Scheme::Count,
            "hash" => Scheme::Hash,
            _ => return Err(usage()),
        };
        let (m, n) = rest.split_once('/').ok_or_else(usage)?;
        let shard: usize = m.trim().parse().map_err(|_| usage())?;
        let total: usize = n.trim().parse().map_err(|_| usage())?;
        if shard == 0 || total == 0 || shard > total {
            return Err(usage());
        }
        Ok(Self {
            scheme,
            shard,
            total,
        })
    }
}

/// A stable 64-bit hash (the first 8 bytes of MD5), the same on every machine.
fn stable_hash(name: &str) -> u64 {
    let digest = Md5::digest(name.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

impl Partition {
    /// True when this run is split by iteration (it has more than one), else by top-level entry.
    pub fn splits_iterations(&self, iterations: usize) -> bool {
        iterations > 1
    }

    /// Whether the unit at `index` named `name` belongs to this shard.
    pub fn keeps(&self, index: usize, name: &str) -> bool {
        let slot = match self.scheme {
            Scheme::Count => index % self.total,
            Scheme::Hash => (stable_hash(name) % self.total as u64) as usize,
        };
        slot == self.shard - 1
    }

    /// Whether iteration `iteration` (0-based) of a run of `iterations` is this shard's.
    pub fn keeps_iteration(&self, iteration: usize, iterations: usize) -> bool {
        !self.splits_iterations(iterations) || self.keeps(iteration, &(iteration + 1).to_string())
    }

    /// This shard's items of a run of `iterations`: all of them when it splits iterations,
    /// else those of the top-level entries it keeps.
    pub fn select_items(&self, items: Vec<PlannedItem>, iterations: usize) -> Vec<PlannedItem> {
        if self.splits_iterations(iterations) {
            return items;
        }
        let key = |item: &PlannedItem| {
            item.folder_path
                .first()
                .cloned()
                .unwrap_or_else(|| item.name.clone())
        };
        let mut units: Vec<String> = Vec::new();
        for item in &items {
            let k = key(item);
            if units.last() != Some(&k) {
                units.push(k);
            }
        }
        let mut unit = 0;
        let mut last: Option<String> = None;
        items
            .into_iter()
            .filter(|item| {
                let k = key(item);
                if last.as_ref().is_some_and(|l| *l != k) {
                    unit += 1;
                }
                last = Some(k.clone());
                self.keeps(unit, &k)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::collection::model::Collection;
    use crate::runner::plan::flatten;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            "count:2/3".parse(),
            Ok(Partition {
                scheme: Scheme::Count,
                shard: 2,
                total: 3
            })
        );
        assert!("hash:1/1".parse::<Partition>().is_ok());
        for bad in ["count:0/3", "count:4/3", "slice:1/2", "count:1", "hash:a/b"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_every_iteration_once() {
        for scheme in ["count", "hash"] {
            let shards: Vec<Partition> = (1..=3)
                .map(|m| {
                    format!("{scheme}:{m}/3")
                        .parse()
                        .unwrap_or_else(|e| panic!("{e}"))
                })
                .collect();
            for i in 0..20 {
                let owners = shards.iter().filter(|p| p.keeps_iteration(i, 20)).count();
                assert_eq!(owners, 1, "{scheme} iteration {i}");
            }
        }
        let first: Partition = "count:1/2".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(first.keeps_iteration(0, 4) && !first.keeps_iteration(1, 4));
        assert!(first.keeps_iteration(1, 1), "one iteration is never split");
    }

    #[test]
    fn single_iteration_runs_split_by_top_level_entry() {
        let c: Collection = serde_json::from_value(json!({
            "info": {"name": "c"},
            "item": [
                {"name": "A", "item": [{"name": "a1", "request": "h/1"}, {"name": "a2", "request": "h/2"}]},
                {"name": "top", "request": "h/t"},
                {"name": "B", "item": [{"name": "b1", "request": "h/3"}]}
            ]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let names = |p: &str| -> Vec<String> {
            let p: Partition = p.parse().unwrap_or_else(|e| panic!("{e}"));
            p.select_items(flatten(&c), 1)
                .into_iter()
                .map(|i| i.name)
                .collect()
        };
        assert_eq!(names("count:1/2"), ["a1", "a2", "b1"]);
        assert_eq!(names("count:2/2"), ["top"]);
        let mut all = names("hash:1/2");
        all.extend(names("hash:2/2"));
        all.sort();
        assert_eq!(all, ["a1", "a2", "b1", "top"]);
    }
}
