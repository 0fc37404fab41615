//! Secrets as a type, and the redactor every output writer passes its text through.

use std::fmt;
use std::sync::{Arc, RwLock};

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

/// The set of secret strings known to a run; shared, so values learnt mid-run (tokens) count too.
#[derive(Clone, Default, Debug)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

/// Values shorter than this are not masked: masking `a` or `1` would garble every output.
const MIN_SECRET_LEN: usize = 4;

impl Redactor {
    /// An empty redactor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret value (and each line of a multi-line one, such as a PEM key).
    pub fn add(&self, secret: &str) {
        let mut list = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        let mut push = |s: &str| {
            let s = s.trim();
            if s.len() >= MIN_SECRET_LEN && !list.iter().any(|k| k == s) {
                list.push(s.to_string());
            }
        };
        push(secret);
        if secret.contains('\n') {
            secret
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .for_each(&mut push);
        }
        // Longest first, so a secret that contains another is masked whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every registered secret replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let list = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for s in list.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
