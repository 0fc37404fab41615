//! The write edge of the file reporters: every byte a report writes passes through the run's
//! [`Redactor`] here, as it is written, whatever the builder before it did.
//!
//! - JSON (the JSON report): each piece of the document is masked as a JSON value just before
//!   it is serialised ([`MaskedJson`]), so keys keep their names and a Node `Buffer`'s bytes
//!   are masked as text.
//! - Markup (JUnit XML, the HTML page): [`MarkupMasker`] reads the markup as it is written and
//!   masks text, attribute values, comments, CDATA and the content of `<script>` and `<style>`,
//!   never element or attribute names. Text and attribute values are masked in their decoded
//!   form (`&amp;`, `&lt;`, `&#x3D;`, `&apos;` ... read as the characters they stand for), so a
//!   secret is found however the builder escaped it, and the characters that held it are
//!   replaced.
//!
//! Both are one pass of the redactor's matcher over each piece: linear in the output. Under
//! `--show-secrets` the bytes go through unchanged. Exports are written elsewhere and never
//! masked.

use std::cell::Cell;
use std::io::{self, Write};
use std::path::Path;

use serde::ser::{Serialize, Serializer};
use serde_json::Value;

use crate::error::Error;
use crate::secret::{MASK, Redactor};

/// Masks the pieces of a JSON document as they are serialised, and remembers whether any
/// secret was masked.
pub struct MaskedJson<'r> {
    redactor: &'r Redactor,
    masked: Cell<bool>,
}

impl<'r> MaskedJson<'r> {
    /// Masking with `redactor`.
    pub fn new(redactor: &'r Redactor) -> Self {
        MaskedJson {
            redactor,
            masked: Cell::new(false),
        }
    }

    /// `value` with its secrets masked (see [`Redactor::redact_json`]).
    pub fn value(&self, mut value: Value) -> Value {
        if self.redactor.redact_json(&mut value) {
            self.masked.set(true);
        }
        value
    }

    /// A JSON array of the values `items` makes, each masked and serialised in turn (only one
    /// exists at a time).
    pub fn each<F, I>(&self, items: F) -> Each<'_, 'r, F>
    where
        F: Fn() -> I,
        I: Iterator<Item = Value>,
    {
        Each { mask: self, items }
    }

    /// Whether a secret was masked in any piece so far.
    pub fn masked(&self) -> bool {
        self.masked.get()
    }
}

/// See [`MaskedJson::each`].
pub struct Each<'m, 'r, F> {
    mask: &'m MaskedJson<'r>,
    items: F,
}

impl<F, I> Serialize for Each<'_, '_, F>
where
    F: Fn() -> I,
    I: Iterator<Item = Value>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.items)().map(|v| self.mask.value(v)))
    }
}

/// Writes `document` (whose pieces mask themselves, see [`MaskedJson`]) as indented JSON to
/// `path`, atomically, without building it whole.
pub fn write_masked_json(path: &Path, document: &impl Serialize) -> Result<(), Error> {
    crate::atomic::write_with(path, |w| {
        serde_json::to_writer_pretty(&mut *w, document)?;
        w.write_all(b"\n")
    })
}

/// Writes markup (XML, HTML) made by `fill` to `path`, atomically, masked as it is written.
pub fn write_masked_markup(
    path: &Path,
    redactor: &Redactor,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    crate::atomic::write_with(path, |w| {
        let mut masker = MarkupMasker::new(w, redactor);
        fill(&mut masker)?;
        masker.finish()
    })
}

/// Markup made by `fill`, masked, as a string (for callers that keep the report in memory).
pub fn masked_markup(
    redactor: &Redactor,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<String> {
    let mut out = Vec::new();
    let mut masker = MarkupMasker::new(&mut out, redactor);
    fill(&mut masker)?;
    masker.finish()?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Where the reader of the markup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between tags: text, masked decoded.
    Text,
    /// Right after `<`, reading the name (`div`, `/td`, `!--`, `![CDATA[`).
    Name,
    /// Inside a tag, after its name: attribute names, `=`, spaces.
    Tag,
    /// Inside an attribute value quoted with this byte: masked decoded.
    Value(u8),
    /// Raw content up to this end marker (comments, CDATA, scripts, styles): masked as is.
    Raw(&'static [u8]),
}

/// Elements whose content is raw text (read up to their end tag).
const RAW_ELEMENTS: [(&[u8], &[u8]); 2] = [(b"script", b"</script"), (b"style", b"</style")];

/// A writer that masks the secrets in markup written through it (see the module docs). Only
/// the current text, attribute value or raw section is held, never the document.
pub struct MarkupMasker<'r, W: Write> {
    out: W,
    redactor: &'r Redactor,
    on: bool,
    state: State,
    /// The text, value or raw section being read.
    pending: Vec<u8>,
    /// The name of the tag being read, lower-cased.
    name: Vec<u8>,
}

impl<'r, W: Write> MarkupMasker<'r, W> {
    /// A masker writing to `out`.
    pub fn new(out: W, redactor: &'r Redactor) -> Self {
        MarkupMasker {
            out,
            redactor,
            on: redactor.is_masking(),
            state: State::Text,
            pending: Vec::new(),
            name: Vec::new(),
        }
    }

    /// Writes what is still held (the markup's last text) and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        match self.state {
            State::Text | State::Value(_) => self.flush_decoded()?,
            State::Raw(_) => self.flush_raw()?,
            State::Name | State::Tag => {}
        }
        self.out.flush()
    }

    fn flush_decoded(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&pending);
        let spans = if text.contains('&') {
            let (decoded, origin) = decode_entities(&text);
            let at = |i: usize| origin.get(i).copied().unwrap_or(text.len());
            let spans = self.redactor.secret_spans(&decoded);
            spans.iter().map(|&(s, e)| (at(s), at(e))).collect()
        } else {
            self.redactor.secret_spans(&text)
        };
        write_masked(&mut self.out, &text, &spans)?;
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }

    fn flush_raw(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&pending);
        let spans = self.redactor.secret_spans(&text);
        write_masked(&mut self.out, &text, &spans)?;
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }

    /// The end of a tag (`>`): raw content follows `<script>` and `<style>`, text anything else.
    fn tag_closed(&mut self) -> State {
        RAW_ELEMENTS
            .iter()
            .find(|(name, _)| self.name == *name)
            .map_or(State::Text, |(_, end)| State::Raw(end))
    }

    fn step(&mut self, byte: u8) -> io::Result<()> {
        match self.state {
            State::Text if byte == b'<' => {
                self.flush_decoded()?;
                self.out.write_all(b"<")?;
                self.name.clear();
                self.state = State::Name;
            }
            State::Text | State::Value(_) | State::Raw(_) => {
                self.pending.push(byte);
                match self.state {
                    State::Value(quote) if byte == quote => {
                        self.pending.pop();
                        self.flush_decoded()?;
                        self.out.write_all(&[quote])?;
                        self.state = State::Tag;
                    }
                    State::Raw(end) if ends_with_ignoring_case(&self.pending, end) => {
                        let marker = self.pending.split_off(self.pending.len() - end.len());
                        self.flush_raw()?;
                        self.out.write_all(&marker)?;
                        // `</script` goes on as a tag; `-->` and `]]>` end here.
                        self.state = if end.starts_with(b"</") {
                            self.name.clear();
                            State::Tag
                        } else {
                            State::Text
                        };
                    }
                    _ => {}
                }
            }
            State::Name | State::Tag => {
                self.out.write_all(&[byte])?;
                match byte {
                    b'>' => self.state = self.tag_closed(),
                    b'"' | b'\'' => self.state = State::Value(byte),
                    _ if self.state == State::Name && byte.is_ascii_whitespace() => {
                        self.state = State::Tag;
                    }
                    _ if self.state == State::Name => {
                        self.name.push(byte.to_ascii_lowercase());
                        if self.name == b"!--" {
                            self.state = State::Raw(b"-->");
                        } else if self.name == b"![cdata[" {
                            self.state = State::Raw(b"]]>");
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for MarkupMasker<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.on {
            return self.out.write(buf);
        }
        for &byte in buf {
            self.step(byte)?;
        }
        Ok(buf.len())
    }

    /// Flushes what was written through; the piece being read stays held until it ends.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Whether `bytes` ends with `end`, ASCII case ignored.
fn ends_with_ignoring_case(bytes: &[u8], end: &[u8]) -> bool {
    bytes.len() >= end.len() && bytes[bytes.len() - end.len()..].eq_ignore_ascii_case(end)
}

/// Writes `text` with each of `spans` (byte ranges, in order, not overlapping) replaced by
/// [`MASK`].
fn write_masked(out: &mut impl Write, text: &str, spans: &[(usize, usize)]) -> io::Result<()> {
    let mut last = 0;
    for &(start, end) in spans {
        if start < last || end > text.len() {
            continue;
        }
        out.write_all(&text.as_bytes()[last..start])?;
        out.write_all(MASK.as_bytes())?;
        last = end;
    }
    out.write_all(&text.as_bytes()[last..])
}

/// `text` with the character references of XML and HTML escaping decoded (`&amp;`, `&lt;`,
/// `&gt;`, `&quot;`, `&apos;`, `&#NN;`, `&#xHH;`; any other `&` stays as it is), and for each
/// byte of the result the offset in `text` where the character it belongs to starts.
fn decode_entities(text: &str) -> (String, Vec<usize>) {
    let mut decoded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    let mut rest = text.char_indices().peekable();
    while let Some((at, c)) = rest.next() {
        let reference = (c == '&')
            .then(|| {
                let tail = &text[at + 1..];
                let end = tail.bytes().take(12).position(|b| b == b';')?;
                Some((character(&tail[..end])?, end + 1))
            })
            .flatten();
        let (ch, skip) = reference.unwrap_or((c, 0));
        for _ in 0..skip {
            rest.next();
        }
        for _ in 0..ch.len_utf8() {
            origin.push(at);
        }
        decoded.push(ch);
    }
    (decoded, origin)
}

/// The character a reference's name (between `&` and `;`) stands for.
fn character(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(redactor: &Redactor, markup: &str) -> String {
        masked_markup(redactor, |w| {
            // Written in small pieces: a piece may end anywhere.
            for chunk in markup.as_bytes().chunks(3) {
                w.write_all(chunk)?;
            }
            Ok(())
        })
        .expect("masks")
    }

    fn redactor(secret: &str) -> Redactor {
        let r = Redactor::new();
        r.add_learned(secret);
        r
    }

    #[test]
    fn text_and_values_are_masked_names_are_not() {
        let r = redactor("testcase-secret");
        let out = masked(
            &r,
            r#"<testcase name="testcase-secret" testcase-secret="x">a testcase-secret b</testcase>"#,
        );
        assert_eq!(
            out,
            r#"<testcase name="[redacted]" testcase-secret="x">a [redacted] b</testcase>"#
        );
    }

    #[test]
    fn escaped_secrets_are_found_in_any_escaping() {
        let r = redactor("k=v'<&>\"end");
        for escaped in [
            "k=v&apos;&lt;&amp;&gt;&quot;end",
            "k&#x3D;v&#x27;&lt;&amp;&gt;&quot;end",
            "k&#61;v&#39;&lt;&amp;&gt;&#34;end",
        ] {
            let out = masked(&r, &format!("<p title=\"{escaped}\">[{escaped}]</p>"));
            assert_eq!(out, "<p title=\"[redacted]\">[[redacted]]</p>", "{escaped}");
        }
    }

    #[test]
    fn raw_sections_are_masked_as_is() {
        let r = redactor("hunter22");
        let out = masked(
            &r,
            "<!-- hunter22 --><![CDATA[x hunter22]]><SCRIPT>var a='hunter22';</SCRIPT><style>/*hunter22*/</style><p>&amp;hunter22</p>",
        );
        assert_eq!(
            out,
            "<!-- [redacted] --><![CDATA[x [redacted]]]><SCRIPT>var a='[redacted]';</SCRIPT><style>/*[redacted]*/</style><p>&amp;[redacted]</p>"
        );
    }

    #[test]
    fn nothing_changes_without_secrets_or_with_masking_off() {
        let doc = "<?xml version=\"1.0\"?><a b='c &amp; d'>e &#x3D; f &unknown; &</a>";
        assert_eq!(masked(&Redactor::new(), doc), doc);
        let r = redactor("version");
        r.set_masking(false);
        assert_eq!(masked(&r, "<a>version</a>"), "<a>version</a>");
    }
}
