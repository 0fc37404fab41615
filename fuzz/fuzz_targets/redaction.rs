//! The redactor masks exactly every occurrence of every secret, overlapping ones joined, as a
//! naive search finds them, whatever secrets were learnt and in which order. The input's parts
//! (split at 0xFF) are the text, then the secrets; their bytes map to a three-letter alphabet so
//! that secrets overlap, repeat, share endings and contain one another (letters need no
//! encoding, so each secret has one form). Secrets are learnt one by one with searches in
//! between, as a run learns tokens between outputs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapman::secret::Redactor;

/// Shorter values are never masked (`MIN_SECRET_LEN`).
const MIN_SECRET_LEN: usize = 4;

fn letters(bytes: &[u8]) -> String {
    bytes.iter().map(|b| ['a', 'b', 'c'][usize::from(b % 3)]).collect()
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xFF);
    let text = letters(parts.next().unwrap_or_default());
    let secrets: Vec<String> = parts
        .take(64)
        .map(letters)
        .filter(|s| s.len() >= MIN_SECRET_LEN)
        .collect();
    let redactor = Redactor::new();
    for (i, secret) in secrets.iter().enumerate() {
        redactor.add(secret);
        if i % 3 == 0 {
            let _ = redactor.redact(&text);
        }
    }
    let mut found: Vec<(usize, usize)> = secrets
        .iter()
        .flat_map(|s| {
            (0..text.len())
                .filter(|&i| text[i..].starts_with(s.as_str()))
                .map(move |i| (i, i + s.len()))
        })
        .collect();
    found.sort_unstable();
    let mut expected: Vec<(usize, usize)> = Vec::new();
    for (start, end) in found {
        match expected.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => expected.push((start, end)),
        }
    }
    assert_eq!(redactor.secret_spans(&text), expected);
});
