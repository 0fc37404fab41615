//! Secrets as a type, and the redactor every output writer passes its text through.
//!
//! The [`Redactor`] holds every secret value a run knows: what snapman minted or exchanged, auth
//! block credentials, `secret`-typed variables, and every value it *learns* from fields whose
//! name says it is a secret (`access_token`, `client_secret`, `password`, ...) in requests,
//! responses and variables. Outputs pass through [`Redactor::redact`], which replaces every
//! occurrence of every known value with [`MASK`], finding long secrets through an index of the
//! sequences at their end and short ones with a few Aho-Corasick automata whose sizes double
//! (see [`Matcher`]), so learning a secret per request stays cheap.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use memchr::memmem::Finder;
use serde_json::Value;

/// The text that replaces a secret in any output.
pub const MASK: &str = "[redacted]";

/// A value that never prints: `Debug` and `Display` show [`MASK`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the code that must use it (signing, headers).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Values shorter than this are not masked: masking `a` or `1` would garble every output.
const MIN_SECRET_LEN: usize = 4;

/// Values learnt from their names (not declared secret) are masked from this length on.
pub const MIN_LEARNED_LEN: usize = 6;

/// Secrets at least this long are masked in JSON keys too.
const MIN_KEY_SECRET_LEN: usize = 12;

/// Field, parameter, header and variable names that hold secrets, compared after lower-casing
/// and dropping `_`, `-`, `.` and spaces: a name holds a secret when it contains one of these.
pub const DEFAULT_SECRET_NAMES: [&str; 11] = [
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "assertion",
    "apikey",
    "signature",
    "privatekey",
    "credential",
    "authorization",
];

/// Names that contain a secret word but describe one (`token_type`, `signature_method`,
/// `expires_in`, `token_url`): their values are not secrets.
const DESCRIPTIVE_PARTS: [&str; 8] = [
    "type", "method", "url", "uri", "expir", "length", "count", "name",
];

/// Normalised names that contain a secret word and still hold none (Postman's per-request
/// nonce header).
const NOT_SECRET_NAMES: [&str; 1] = ["postmantoken"];

/// Lower-case, without `_`, `-`, `.` and spaces.
fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The known secrets and the matcher built from them.
#[derive(Default)]
struct State {
    /// Every secret registered, for duplicate checks.
    seen: HashSet<String>,
    /// Every value given to [`Redactor::add`], whose forms are all in `seen`.
    added: HashSet<String>,
    /// Secrets registered since the matcher was last built.
    pending: Vec<String>,
    /// The current matcher; extended with `pending` when that is not empty.
    matcher: Option<Arc<Matcher>>,
}

/// Short secrets kept out of automata until there are this many: a handful of substring
/// searches costs less than building an automaton after every request.
const TAIL_LIMIT: usize = 16;

/// Levels with fewer secrets than this use the NFA that is cheapest to build.
const SMALL_LEVEL: usize = 256;

/// Names whose verdict [`Redactor::is_secret_name`] remembers; past it the memory starts afresh.
const NAME_CACHE_LIMIT: usize = 4096;

/// One automaton over a batch of secrets.
struct Level {
    patterns: Vec<String>,
    automaton: AhoCorasick,
}

impl Level {
    fn new(patterns: Vec<String>) -> Option<Level> {
        // Standard matching reports overlapping matches, so that the union of every secret's
        // occurrences is masked (a secret that contains or overlaps another is masked whole).
        // NFAs: a DFA searches a little faster but costs far more to build, and levels are
        // built often; small levels, built most often, skip the contiguous layout too.
        let kind = if patterns.len() < SMALL_LEVEL {
            AhoCorasickKind::NoncontiguousNFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&patterns)
            .ok()?;
        Some(Level {
            patterns,
            automaton,
        })
    }
}

/// Secrets at least this long are found through their last this-many bytes (see
/// [`SuffixIndex`]).
const SUFFIX_LEN: usize = 8;

/// Length of the byte sequences ("grams") [`SuffixIndex`] looks up.
const GRAM: usize = 4;

/// The text is looked up at every [`STRIDE`]th position: an occurrence of a secret covers
/// `STRIDE` consecutive gram positions inside its last [`SUFFIX_LEN`] bytes, so exactly one of
/// them is looked up.
const STRIDE: usize = SUFFIX_LEN - GRAM + 1;

/// Bits of [`SuffixIndex`]'s filter, as a power of two (65,536 bits: 8 KiB).
const FILTER_BITS: u32 = 16;

/// Secrets of [`SUFFIX_LEN`] bytes or more, by the [`STRIDE`] grams that start in their last
/// [`SUFFIX_LEN`] bytes. A search reads a gram at every [`STRIDE`]th position of the text, tests
/// one bit of a filter for it, looks it up only when the bit is set, and compares the secrets
/// that have it where they would stand. Adding a secret costs O(1) and a search O(text)
/// whatever the number of secrets: a run that learns a token per iteration adds thousands (an
/// automaton over them had to be rebuilt, at best O(log n) times a secret, and the builds were
/// a twentieth of such a run's CPU). Suffixes, not prefixes: tokens of one issuer share their
/// first bytes (`00D...!`), rarely their last.
#[derive(Clone, Default)]
struct SuffixIndex {
    secrets: HashSet<Box<[u8]>>,
    /// Gram -> where it stands in secrets: (offset of the gram, secret length), each pair
    /// once. A hit compares the text there with the secrets by hash, so secrets that share
    /// their ending (`tok_1_suffix`, `tok_2_suffix`) cost one lookup, not one comparison each.
    by_gram: HashMap<u32, Vec<(u32, u32)>, BuildHasherDefault<GramHasher>>,
    /// One bit per hashed gram; empty until the first secret.
    filter: Vec<u64>,
}

/// Hashes a gram (a `u32`) with one multiplication.
#[derive(Default)]
struct GramHasher(u64);

impl Hasher for GramHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b) ^ (self.0 as u32));
        }
    }

    fn write_u32(&mut self, gram: u32) {
        self.0 = gram_hash(gram);
    }
}

fn gram_hash(gram: u32) -> u64 {
    u64::from(gram).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The gram starting at `at`.
fn gram(bytes: &[u8], at: usize) -> u32 {
    let mut g = [0u8; GRAM];
    g.copy_from_slice(&bytes[at..at + GRAM]);
    u32::from_le_bytes(g)
}

impl SuffixIndex {
    fn filter_slot(gram: u32) -> (usize, u64) {
        let bit = gram_hash(gram) >> (64 - FILTER_BITS);
        ((bit / 64) as usize, 1 << (bit % 64))
    }

    fn insert(&mut self, secret: String) {
        let bytes = secret.as_bytes();
        let (Ok(len), true) = (
            u32::try_from(bytes.len()),
            self.secrets.insert(bytes.into()),
        ) else {
            return;
        };
        if self.filter.is_empty() {
            self.filter = vec![0; 1 << (FILTER_BITS - 6)];
        }
        let first = bytes.len() - SUFFIX_LEN;
        for at in first..first + STRIDE {
            let g = gram(bytes, at);
            let (word, bit) = Self::filter_slot(g);
            self.filter[word] |= bit;
            // `at` < the length, which fits.
            let place = (u32::try_from(at).unwrap_or(u32::MAX), len);
            let list = self.by_gram.entry(g).or_default();
            if !list.contains(&place) {
                list.push(place);
            }
        }
    }

    /// Calls `found(start, end)` for every occurrence, overlapping ones included, until it
    /// returns `false`.
    fn each_match(&self, text: &str, mut found: impl FnMut(usize, usize) -> bool) {
        if self.secrets.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        let mut at = 0;
        while at + GRAM <= bytes.len() {
            let g = gram(bytes, at);
            let (word, bit) = Self::filter_slot(g);
            if self.filter[word] & bit != 0 {
                for &(offset, len) in self.by_gram.get(&g).into_iter().flatten() {
                    let Some(start) = at.checked_sub(offset as usize) else {
                        continue;
                    };
                    let end = start + len as usize;
                    if bytes
                        .get(start..end)
                        .is_some_and(|candidate| self.secrets.contains(candidate))
                        && !found(start, end)
                    {
                        return;
                    }
                }
            }
            at += STRIDE;
        }
    }

    fn is_match(&self, text: &str) -> bool {
        let mut any = false;
        self.each_match(text, |_, _| {
            any = true;
            false
        });
        any
    }
}

/// Every known secret. Those of [`SUFFIX_LEN`] bytes or more sit in a [`SuffixIndex`]; shorter
/// ones (a few passwords) go to a list searched one by one, and from there to automata whose
/// sizes at least double from the newest to the oldest (as a binary counter merges its digits),
/// so that a secret is built into a new automaton only O(log n) times and a search visits
/// O(log n) automata.
#[derive(Clone, Default)]
struct Matcher {
    levels: Vec<Arc<Level>>,
    /// Fewer than [`TAIL_LIMIT`] secrets not yet in an automaton, each with its searcher.
    tail: Arc<Vec<Finder<'static>>>,
    long: SuffixIndex,
}

impl Matcher {
    /// This matcher with `fresh` secrets added: long ones to the index, short ones to the
    /// tail, which becomes an automaton when full, merging levels of comparable size.
    fn with(mut self, fresh: Vec<String>) -> Matcher {
        let (long, short): (Vec<String>, Vec<String>) =
            fresh.into_iter().partition(|s| s.len() >= SUFFIX_LEN);
        for secret in long {
            self.long.insert(secret);
        }
        if short.is_empty() {
            return self;
        }
        if self.tail.len() + short.len() < TAIL_LIMIT {
            Arc::make_mut(&mut self.tail)
                .extend(short.iter().map(|s| Finder::new(s.as_bytes()).into_owned()));
            return self;
        }
        let mut patterns: Vec<String> = self
            .tail
            .iter()
            .map(|f| String::from_utf8_lossy(f.needle()).into_owned())
            .chain(short)
            .collect();
        self.tail = Arc::default();
        while self
            .levels
            .last()
            .is_some_and(|last| last.patterns.len() <= patterns.len())
        {
            if let Some(last) = self.levels.pop() {
                let mut merged = last.patterns.clone();
                merged.append(&mut patterns);
                patterns = merged;
            }
        }
        if let Some(level) = Level::new(patterns) {
            self.levels.push(Arc::new(level));
        }
        self
    }

    fn is_match(&self, text: &str) -> bool {
        self.long.is_match(text)
            || self.tail.iter().any(|f| f.find(text.as_bytes()).is_some())
            || self.levels.iter().any(|l| l.automaton.is_match(text))
    }

    /// Every occurrence of the tail's secrets, overlapping ones included.
    fn tail_matches<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.tail.iter().flat_map(move |finder| {
            let mut from = 0;
            std::iter::from_fn(move || {
                let at = from + finder.find(text.as_bytes().get(from..)?)?;
                from = at + 1;
                Some((at, at + finder.needle().len()))
            })
        })
    }

    /// The byte ranges of `text` to mask: every match at least `min_len` long, overlapping
    /// ones joined, in order.
    fn spans(&self, text: &str, min_len: usize) -> Vec<(usize, usize)> {
        let mut found: Vec<(usize, usize)> = self
            .levels
            .iter()
            .flat_map(|l| l.automaton.find_overlapping_iter(text))
            .map(|m| (m.start(), m.end()))
            .chain(self.tail_matches(text))
            .filter(|(start, end)| end - start >= min_len)
            .collect();
        self.long.each_match(text, |start, end| {
            if end - start >= min_len {
                found.push((start, end));
            }
            true
        });
        found.sort_unstable();
        let mut joined: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            match joined.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => joined.push((start, end)),
            }
        }
        joined
    }

    /// `text` with the spans at least `min_len` long replaced by [`MASK`]; `None` when there is
    /// none.
    fn mask(&self, text: &str, min_len: usize) -> Option<String> {
        let spans = self.spans(text, min_len);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in spans {
            out.push_str(&text[last..start]);
            out.push_str(MASK);
            last = end;
        }
        out.push_str(&text[last..]);
        Some(out)
    }
}

/// What a redactor shares between its clones.
struct Inner {
    state: RwLock<State>,
    /// Extra secret names (`--secret-names`), normalised.
    names: RwLock<Vec<String>>,
    /// `false` under `--show-secrets`: outputs are written as they are.
    masking: AtomicBool,
    /// Credentials snapman minted or exchanged itself (kept out of exports).
    minted: RwLock<HashSet<String>>,
    /// [`Redactor::is_secret_name`]'s verdicts: the same header, field and variable names are
    /// asked about after every request.
    name_verdicts: RwLock<HashMap<String, bool>>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            state: RwLock::default(),
            names: RwLock::default(),
            masking: AtomicBool::new(true),
            minted: RwLock::default(),
            name_verdicts: RwLock::default(),
        }
    }
}

/// The set of secret strings known to a run; shared, so values learnt mid-run (tokens) count too.
#[derive(Clone, Default)]
pub struct Redactor {
    inner: Arc<Inner>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.read_state().seen.len();
        f.debug_struct("Redactor").field("secrets", &count).finish()
    }
}

impl Redactor {
    /// An empty redactor.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process's redactor: commands register with it, and error messages printed by
    /// `main` pass through it.
    pub fn global() -> &'static Redactor {
        static GLOBAL: OnceLock<Redactor> = OnceLock::new();
        GLOBAL.get_or_init(Redactor::new)
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Turns masking off (`--show-secrets`) or back on.
    pub fn set_masking(&self, on: bool) {
        self.inner.masking.store(on, Ordering::Relaxed);
    }

    /// Adds names (as `--secret-names` gives them) whose values count as secrets.
    pub fn add_secret_names<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let mut list = self.inner.names.write().unwrap_or_else(|e| e.into_inner());
        for n in names {
            let n = normalise_name(n);
            if !n.is_empty() && !list.contains(&n) {
                list.push(n);
            }
        }
        self.inner
            .name_verdicts
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether a field, parameter, header or variable called `name` holds a secret.
    pub fn is_secret_name(&self, name: &str) -> bool {
        let verdicts = &self.inner.name_verdicts;
        if let Some(&known) = verdicts.read().unwrap_or_else(|e| e.into_inner()).get(name) {
            return known;
        }
        let verdict = self.judge_name(name);
        let mut cache = verdicts.write().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= NAME_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(name.to_owned(), verdict);
        verdict
    }

    /// [`Redactor::is_secret_name`], worked out.
    fn judge_name(&self, name: &str) -> bool {
        let n = normalise_name(name);
        let extra = self.inner.names.read().unwrap_or_else(|e| e.into_inner());
        if extra.iter().any(|e| n.contains(e.as_str())) {
            return true;
        }
        DEFAULT_SECRET_NAMES.iter().any(|s| n.contains(s))
            && !DESCRIPTIVE_PARTS.iter().any(|d| n.contains(d))
            && !NOT_SECRET_NAMES.contains(&n.as_str())
    }

    /// Registers a secret value (and each line of a multi-line one, such as a PEM key), with
    /// the forms it takes once encoded in a URL, a JSON string or HTML/XML text.
    pub fn add(&self, secret: &str) {
        // A value added before was registered with all its forms (learning sees the same token
        // after every request).
        if self.read_state().added.contains(secret) {
            return;
        }
        let mut forms = Vec::new();
        let mut push = |s: &str| {
            let s = s.trim();
            if s.len() >= MIN_SECRET_LEN && !s.contains("{{") {
                forms.push(s.to_string());
            }
        };
        push(secret);
        if secret.contains('\n') {
            secret
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .for_each(&mut push);
        }
        let encoded: Vec<String> = forms.iter().flat_map(|s| encodings(s)).collect();
        forms.extend(encoded);
        let mut state = self.write_state();
        state.added.insert(secret.to_owned());
        for f in forms {
            if state.seen.insert(f.clone()) {
                state.pending.push(f);
            }
        }
    }

    /// Registers a credential snapman minted or exchanged itself (a JWT, an access token):
    /// masked like any secret, and written to exports only when asked (`--export-secrets`).
    pub fn add_minted(&self, secret: &str) {
        self.add(secret);
        self.inner
            .minted
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(secret.to_string());
    }

    /// Whether `value` is a credential snapman minted itself.
    pub fn is_minted(&self, value: &str) -> bool {
        self.inner
            .minted
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(value)
    }

    /// The matcher over the current secrets, extended when secrets were added since the last
    /// call.
    fn matcher(&self) -> Option<Arc<Matcher>> {
        {
            let state = self.read_state();
            if state.pending.is_empty() {
                return state.matcher.clone();
            }
        }
        let mut state = self.write_state();
        if !state.pending.is_empty() {
            let fresh = std::mem::take(&mut state.pending);
            // Extended in place when no output holds the current matcher (the usual case).
            let current = state
                .matcher
                .take()
                .map(|m| Arc::try_unwrap(m).unwrap_or_else(|shared| (*shared).clone()))
                .unwrap_or_default();
            state.matcher = Some(Arc::new(current.with(fresh)));
        }
        state.matcher.clone()
    }

    /// `text` with every registered secret replaced by [`MASK`], in one pass.
    pub fn redact(&self, text: &str) -> String {
        self.redact_cow(text).into_owned()
    }

    /// [`Redactor::redact`] without a copy when nothing is masked.
    pub fn redact_cow<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.inner.masking.load(Ordering::Relaxed) {
            return Cow::Borrowed(text);
        }
        let Some(m) = self.matcher() else {
            return Cow::Borrowed(text);
        };
        if !m.is_match(text) {
            return Cow::Borrowed(text);
        }
        m.mask(text, 0).map_or(Cow::Borrowed(text), Cow::Owned)
    }

    /// Whether outputs are masked (not under `--show-secrets`).
    pub fn is_masking(&self) -> bool {
        self.inner.masking.load(Ordering::Relaxed)
    }

    /// The byte ranges of `text` that hold a secret (overlapping ones joined), in order; none
    /// when masking is off. For writers that mask text they must first decode (markup).
    pub fn secret_spans(&self, text: &str) -> Vec<(usize, usize)> {
        if !self.is_masking() {
            return Vec::new();
        }
        match self.matcher() {
            Some(m) if m.is_match(text) => m.spans(text, 0),
            _ => Vec::new(),
        }
    }

    /// A JSON object key, masked only where a long secret (a token, not a word such as
    /// `password` that happens to be someone's password) appears in it: a key holding a token
    /// would leak it, and a renamed ordinary key would change the document's shape.
    pub fn redact_key<'t>(&self, key: &'t str) -> Cow<'t, str> {
        if !self.inner.masking.load(Ordering::Relaxed) {
            return Cow::Borrowed(key);
        }
        let Some(m) = self.matcher() else {
            return Cow::Borrowed(key);
        };
        if !m.is_match(key) {
            return Cow::Borrowed(key);
        }
        m.mask(key, MIN_KEY_SECRET_LEN)
            .map_or(Cow::Borrowed(key), Cow::Owned)
    }

    /// Masks every string (and number) value of a JSON document in place; keys keep their
    /// names (see [`Redactor::redact_key`]), as do the `key` fields of Postman's key/value
    /// lists, and the structure stays as it is. A Node `Buffer` (`{"type": "Buffer", "data":
    /// [bytes]}`) is masked in its bytes, read as text. Returns whether anything was masked.
    pub fn redact_json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => {
                if let Cow::Owned(masked) = self.redact_cow(s) {
                    *s = masked;
                    return true;
                }
                false
            }
            Value::Number(n) => {
                let text = n.to_string();
                if let Cow::Owned(masked) = self.redact_cow(&text) {
                    *value = Value::String(masked);
                    return true;
                }
                false
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |masked, v| self.redact_json(v) | masked),
            Value::Object(map) if map.get("type").is_some_and(|t| t == "Buffer") => {
                self.redact_buffer(map)
            }
            Value::Object(map) => {
                let mut masked = false;
                let leaking = map
                    .keys()
                    .any(|k| matches!(self.redact_key(k), Cow::Owned(_)));
                if leaking {
                    masked = true;
                    let entries = std::mem::take(map);
                    for (k, v) in entries {
                        map.insert(self.redact_key(&k).into_owned(), v);
                    }
                }
                for (k, v) in map.iter_mut() {
                    masked |= match v {
                        // Postman's `{key, value}` lists (variables, headers, query, form):
                        // a `key` is a name, kept like an object key.
                        Value::String(name) if k == "key" => {
                            if let Cow::Owned(masked) = self.redact_key(name) {
                                *name = masked;
                                true
                            } else {
                                false
                            }
                        }
                        _ => self.redact_json(v),
                    };
                }
                masked
            }
            Value::Bool(_) | Value::Null => false,
        }
    }

    /// A Buffer's bytes with the secrets masked: read as text (lossily when not UTF-8: a
    /// masked binary body is replaced by its masked text, never left leaking).
    fn redact_buffer(&self, buffer: &mut serde_json::Map<String, Value>) -> bool {
        let bytes: Vec<u8> = buffer
            .get("data")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .filter_map(|b| u8::try_from(b).ok())
                    .collect()
            })
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        match self.redact_cow(&text) {
            Cow::Owned(out) => {
                buffer.insert("data".into(), Value::from(out.into_bytes()));
                true
            }
            Cow::Borrowed(_) => false,
        }
    }

    /// Learns the values of secret-named fields anywhere in a JSON document.
    pub fn learn_json(&self, value: &Value) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| self.learn_json(v)),
            Value::Object(map) => {
                for (k, v) in map {
                    if self.is_secret_name(k) {
                        self.add_leaves(v);
                    } else {
                        self.learn_json(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// Registers a value learnt from a secret-looking name (not declared secret): at least
    /// [`MIN_LEARNED_LEN`] characters, so that placeholders such as `test` or `true` in sample
    /// collections do not mask ordinary words in every report.
    pub fn add_learned(&self, value: &str) {
        if value.trim().chars().count() >= MIN_LEARNED_LEN {
            self.add(value);
        }
    }

    /// Registers a credential; of `Bearer abc` (an auth scheme, then the credential), only the
    /// credential, so the scheme word stays readable and the credential is masked wherever it
    /// appears.
    pub fn add_credential(&self, value: &str) {
        const SCHEMES: [&str; 11] = [
            "bearer",
            "basic",
            "digest",
            "oauth",
            "token",
            "hawk",
            "ntlm",
            "negotiate",
            "jwt",
            "aws4-hmac-sha256",
            "eg1-hmac-sha256",
        ];
        let value = value.trim();
        match value.split_once(' ') {
            Some((scheme, credential))
                if SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) =>
            {
                self.add_learned(credential)
            }
            _ => self.add_learned(value),
        }
    }

    /// Registers every string and number inside `value`.
    fn add_leaves(&self, value: &Value) {
        match value {
            Value::String(s) => self.add_credential(s),
            Value::Number(n) => self.add_learned(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.add_leaves(v)),
            Value::Object(map) => map.values().for_each(|v| self.add_leaves(v)),
            Value::Bool(_) | Value::Null => {}
        }
    }

    /// Learns the values of secret-named parameters of `a=1&b=2` text (a form body or a query).
    pub fn learn_form(&self, text: &str) {
        for pair in text.split('&') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            let key = percent_decode(k);
            if self.is_secret_name(&key) {
                self.add_learned(v);
                self.add_learned(&percent_decode(v));
            }
        }
    }

    /// Learns from a URL's query string.
    pub fn learn_url(&self, url: &str) {
        if let Some((_, query)) = url.split_once('?') {
            self.learn_form(query.split('#').next().unwrap_or_default());
        }
    }

    /// Learns from headers: credentials of `Authorization`-like headers and secret-named ones.
    pub fn learn_headers<'h>(&self, headers: impl IntoIterator<Item = (&'h str, &'h str)>) {
        for (name, value) in headers {
            if self.is_secret_name(name) {
                self.add_credential(value);
            }
        }
    }

    /// Learns from a body: a JSON document's secret fields, or a form body's secret parameters.
    pub fn learn_body(&self, body: &[u8]) {
        let Ok(text) = std::str::from_utf8(body) else {
            return;
        };
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                self.learn_json(&v);
            }
        } else if text.contains('=') && !text.contains(char::is_whitespace) {
            self.learn_form(text);
        }
    }
}

/// Percent-decoding of a form component (`+` is a space).
fn percent_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The forms a secret takes inside outputs besides its own: percent-encoded (URLs, form bodies),
/// JSON-escaped, HTML/XML-escaped, and as JavaScript prints it in single quotes (console lines
/// and chai's messages: `'it\'s'`), when they differ from it.
fn encodings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    /// Everything but RFC 3986's unreserved characters.
    const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let strict =
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let url = percent_encoding::utf8_percent_encode(s, COMPONENT).to_string();
    let json = serde_json::to_string(s).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or_default()
        .to_string();
    let html = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    let quoted = s.replace('\\', "\\\\").replace('\'', "\\'");
    for form in [strict, url, json, html, quoted] {
        if form != s && !form.is_empty() && !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2-token".to_string());
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2-token");
    }

    #[test]
    fn redactor_masks_longest_first_and_pem_lines() {
        let r = Redactor::new();
        r.add("abcd");
        r.add("abcdefgh");
        r.add("-----BEGIN KEY-----\nLINEONE1234\nLINETWO5678\n-----END KEY-----");
        assert_eq!(r.redact("x abcdefgh y abcd"), "x [redacted] y [redacted]");
        assert_eq!(r.redact("LINETWO5678"), "[redacted]");
        assert_eq!(r.redact("ab"), "ab");
    }

    #[test]
    fn secrets_added_later_are_masked_too() {
        let r = Redactor::new();
        r.add("first-secret");
        assert_eq!(
            r.redact("first-secret second-secret"),
            "[redacted] second-secret"
        );
        r.add("second-secret");
        assert_eq!(
            r.redact("first-secret second-secret"),
            "[redacted] [redacted]"
        );
    }

    #[test]
    fn encoded_forms_are_masked() {
        let r = Redactor::new();
        r.add("p@ss w/rd\"<x>");
        assert_eq!(r.redact("?pw=p%40ss%20w%2Frd%22%3Cx%3E"), "?pw=[redacted]");
        assert_eq!(
            r.redact(r#"{"pw":"p@ss w/rd\"<x>"}"#),
            r#"{"pw":"[redacted]"}"#
        );
        assert_eq!(
            r.redact("<td>p@ss w/rd&quot;&lt;x&gt;</td>"),
            "<td>[redacted]</td>"
        );
    }

    #[test]
    fn secret_names_are_recognised_and_descriptions_are_not() {
        let r = Redactor::new();
        for name in [
            "access_token",
            "refreshToken",
            "client_secret",
            "Password",
            "client_assertion",
            "X-Api-Key",
            "oauth_signature",
            "Authorization",
        ] {
            assert!(r.is_secret_name(name), "{name}");
        }
        for name in [
            "token_type",
            "signature_method",
            "expires_in",
            "username",
            "tokenUrl",
        ] {
            assert!(!r.is_secret_name(name), "{name}");
        }
        assert!(!r.is_secret_name("pin_code"));
        r.add_secret_names(["PIN-code"]);
        assert!(r.is_secret_name("pin_code"));
    }

    #[test]
    fn learns_from_json_forms_urls_and_headers() {
        let r = Redactor::new();
        r.learn_json(&json!({"a": {"access_token": "tok-123456", "token_type": "Bearer"}}));
        r.learn_body(b"grant_type=password&client_secret=cs%2B99999&password=pw-777777");
        r.learn_url("https://h/x?access_token=url-token-1&q=1");
        r.learn_headers([("X-Auth-Token", "hdr-secret-1"), ("Accept", "text/plain")]);
        let text = "tok-123456 Bearer cs+99999 pw-777777 url-token-1 hdr-secret-1 text/plain";
        assert_eq!(
            r.redact(text),
            "[redacted] Bearer [redacted] [redacted] [redacted] [redacted] text/plain"
        );
    }

    #[test]
    fn short_learnt_values_are_not_masked_but_declared_ones_are() {
        let r = Redactor::new();
        r.learn_json(&json!({"password": "test", "token": "abc123"}));
        assert_eq!(r.redact("test abc123"), "test [redacted]");
        r.add("test");
        assert_eq!(r.redact("test"), "[redacted]");
    }

    #[test]
    fn json_values_are_masked_and_keys_kept() {
        let r = Redactor::new();
        r.add("password");
        r.add("12345678");
        r.add("a-long-token-value");
        let mut v = json!({
            "password": "password",
            "n": 12345678,
            "list": ["x password y"],
            "a-long-token-value": 1,
            "vars": [{"key": "password", "value": "password"}]
        });
        r.redact_json(&mut v);
        assert_eq!(
            v,
            json!({
                "password": "[redacted]",
                "n": "[redacted]",
                "list": ["x [redacted] y"],
                "[redacted]": 1,
                "vars": [{"key": "password", "value": "[redacted]"}]
            })
        );
    }

    #[test]
    fn masking_can_be_turned_off() {
        let r = Redactor::new();
        r.add("visible-secret");
        r.set_masking(false);
        assert_eq!(r.redact("visible-secret"), "visible-secret");
    }

    #[test]
    fn redaction_is_linear_in_secrets() {
        let r = Redactor::new();
        for i in 0..10_000 {
            r.add(&format!("secret-value-{i:05}"));
        }
        let text = "secret-value-00042 ".repeat(10_000);
        let started = std::time::Instant::now();
        let masked = r.redact(&text);
        assert_eq!(masked, "[redacted] ".repeat(10_000));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn secrets_learnt_between_outputs_stay_masked_across_levels() {
        /// Learns 300 secrets one by one, checking after each that all so far are masked;
        /// returns the text holding them.
        fn learn_300(r: &Redactor, secret: impl Fn(usize) -> String) -> String {
            let mut text = String::new();
            for i in 0..300 {
                let secret = secret(i);
                r.add(&secret);
                text.push_str(&secret);
                text.push(' ');
                assert_eq!(r.redact(&text), "[redacted] ".repeat(i + 1));
            }
            text
        }
        let r = Redactor::new();
        let text = learn_300(&r, |i| format!("token-{i:04}-value"));
        // Overlapping secrets are masked as one span.
        r.add("xy-overlap-ab");
        r.add("ab-overlap-cd-tail");
        assert_eq!(r.redact("<xy-overlap-ab-overlap-cd-tail>"), "<[redacted]>");
        // Long secrets are indexed by their suffix; short ones go through the automata.
        assert_eq!(r.matcher().map_or(0, |m| m.levels.len()), 0);
        learn_300(&r, |i| format!("k{i:04}"));
        assert_eq!(r.redact(&text), "[redacted] ".repeat(300));
        r.add("a-b1");
        assert_eq!(
            r.redact("<k0001a-b1> <xk0299-value>"),
            "<[redacted][redacted]> <x[redacted]-value>"
        );
        let levels = r.matcher().map_or(0, |m| m.levels.len());
        assert!(
            (1..=10).contains(&levels),
            "{levels} automata for 300 short secrets"
        );
    }

    #[test]
    fn suffix_index_finds_secrets_sharing_a_suffix_at_either_end_of_the_text() {
        let r = Redactor::new();
        r.add("first-0123456789");
        r.add("x-0123456789");
        r.add("8bytes!!");
        r.add("pässwörd-ünïcode");
        assert_eq!(r.redact("first-0123456789"), "[redacted]");
        assert_eq!(r.redact("a x-0123456789"), "a [redacted]");
        assert_eq!(r.redact("8bytes!!8bytes!!"), "[redacted][redacted]");
        assert_eq!(r.redact("«pässwörd-ünïcode»"), "«[redacted]»");
        assert_eq!(r.redact("short"), "short");
        assert_eq!(
            r.redact("0123456789 only the suffix"),
            "0123456789 only the suffix"
        );
        // Keys are masked only for secrets of MIN_KEY_SECRET_LEN bytes or more.
        assert_eq!(r.redact_key("k-8bytes!!"), "k-8bytes!!");
        assert_eq!(r.redact_key("k-first-0123456789"), "k-[redacted]");
    }

    #[test]
    fn suffix_index_agrees_with_a_naive_search() {
        // A small alphabet makes overlaps and shared grams common.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..200 {
            let mut index = SuffixIndex::default();
            let secrets: Vec<String> = (0..1 + next(6))
                .map(|_| (0..8 + next(6)).map(|_| ['a', 'b', 'c'][next(3)]).collect())
                .collect();
            for s in &secrets {
                index.insert(s.clone());
            }
            let text: String = (0..next(120)).map(|_| ['a', 'b', 'c'][next(3)]).collect();
            let mut expected: Vec<(usize, usize)> = secrets
                .iter()
                .collect::<HashSet<_>>()
                .into_iter()
                .flat_map(|s| {
                    (0..text.len())
                        .filter(|&i| text[i..].starts_with(s.as_str()))
                        .map(|i| (i, i + s.len()))
                        .collect::<Vec<_>>()
                })
                .collect();
            let mut found = Vec::new();
            index.each_match(&text, |start, end| {
                found.push((start, end));
                true
            });
            expected.sort_unstable();
            found.sort_unstable();
            assert_eq!(found, expected, "{secrets:?} in {text:?}");
            assert_eq!(index.is_match(&text), !expected.is_empty());
        }
    }

    #[test]
    fn overlapping_occurrences_of_one_secret_are_masked_whole() {
        let r = Redactor::new();
        r.add("abab");
        assert_eq!(r.redact("xababab y"), "x[redacted] y");
        for i in 0..TAIL_LIMIT {
            r.add(&format!("filler-{i:03}"));
        }
        assert_eq!(r.redact("xababab filler-007"), "x[redacted] [redacted]");
    }

    #[test]
    fn buffers_are_masked_in_their_bytes_and_the_result_says_so() {
        let r = Redactor::new();
        r.add("s3cr3t-value");
        let mut v = serde_json::json!({"a": ["x s3cr3t-value"], "stream": {"type": "Buffer", "data": b"x s3cr3t-value".to_vec()}});
        assert!(r.redact_json(&mut v));
        assert_eq!(v["a"][0], "x [redacted]");
        assert_eq!(
            v["stream"]["data"],
            serde_json::json!(b"x [redacted]".to_vec())
        );
        let mut plain = serde_json::json!({"a": "plain"});
        assert!(!r.redact_json(&mut plain));
    }
}
