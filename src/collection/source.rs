//! Reading input files (BOM and UTF-16 detection) and errors that point into their text.
//!
//! A positioned error renders like this:
//!
//! ```text
//! broken/item-number.json:3:11: invalid type: integer `5`, expected a sequence
//!    3 |   "item": 5
//!      |           ^
//!      = at item
//! ```

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;

/// Lines longer than this are shown as a window around the column.
const MAX_SHOWN_LINE: usize = 160;
/// Characters kept on each side of the column when a line is cut.
const WINDOW: usize = 60;

/// Why an input file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read at all.
    #[error("failed to read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file was read but its content is not valid; the error points into it.
    #[error("{0}")]
    Source(#[from] SourceError),
}

impl From<LoadError> for Error {
    fn from(err: LoadError) -> Self {
        match err {
            LoadError::Read { path, source } => Error::Read { path, source },
            LoadError::Source(e) => Error::Input(e.to_string()),
        }
    }
}

/// A place in a file: 1-based line and column (in characters) plus the line's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The text of that line, without its line ending.
    pub line_text: String,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to the text and to a char boundary).
    pub fn at_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        Position {
            line: text[..line_start].matches('\n').count() + 1,
            column: text[line_start..offset].chars().count() + 1,
            line_text: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
        }
    }

    /// The position of a 1-based line and byte column as serde_json reports them.
    pub fn at_line_col(text: &str, line: usize, column: usize) -> Position {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        Position::at_offset(text, line_start + column.saturating_sub(1))
    }
}

/// An error about an input file, optionally positioned, rendered as `path:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// The file.
    pub path: PathBuf,
    /// Where in the file, when known.
    pub position: Option<Position>,
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// Extra context shown below the source line (e.g. the item path).
    pub note: Option<String>,
}

impl SourceError {
    /// An error about the file as a whole.
    pub fn whole_file(path: &Path, message: impl Into<String>) -> SourceError {
        SourceError {
            path: path.to_path_buf(),
            position: None,
            message: message.into(),
            note: None,
        }
    }

    /// An error at byte `offset` of `text`.
    pub fn at_offset(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        SourceError {
            path: path.to_path_buf(),
            position: Some(Position::at_offset(text, offset)),
            message: message.into(),
            note: None,
        }
    }

    /// The same error with a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> SourceError {
        self.note = Some(note.into());
        self
    }
}

impl std::error::Error for SourceError {}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        let Some(pos) = &self.position else {
            write!(f, "{path}: {}", self.message)?;
            if let Some(note) = &self.note {
                write!(f, "\n  = {note}")?;
            }
            return Ok(());
        };
        writeln!(f, "{path}:{}:{}: {}", pos.line, pos.column, self.message)?;
        let gutter = pos.line.to_string().len() + 2;
        let (shown, caret_col) = shown_line(&pos.line_text, pos.column);
        let pad: String = shown
            .chars()
            .take(caret_col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{:>gutter$} | {shown}", pos.line)?;
        write!(f, "{:>gutter$} | {pad}^", "")?;
        if let Some(note) = &self.note {
            write!(f, "\n{:>gutter$} = {note}", "")?;
        }
        Ok(())
    }
}

/// The part of a line to show and the caret's column in it: long lines (minified JSON) are cut
/// to a window around the column.
fn shown_line(line: &str, column: usize) -> (String, usize) {
    let len = line.chars().count();
    if len <= MAX_SHOWN_LINE {
        return (line.to_string(), column.min(len + 1));
    }
    let start = column.saturating_sub(WINDOW + 1);
    let end = (column + WINDOW).min(len);
    let mut shown: String = line.chars().skip(start).take(end - start).collect();
    let mut caret = column - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if end < len {
        shown.push('…');
    }
    (shown, caret)
}

/// The decoded text of an input file.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// The file as given.
    pub path: PathBuf,
    /// Its content, decoded and without a byte order mark.
    pub text: String,
}

/// An `http://` or `https://` URL given as an input path (collection, `-e`, `-g`, `-d`).
pub fn remote_url(path: &Path) -> Option<&str> {
    let text = path.to_str()?;
    let lower = text.get(..8)?.to_ascii_lowercase();
    (lower.starts_with("http://") || lower == "https://").then_some(text)
}

/// How long fetching a remote input may take.
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Fetches a remote input before the run, as Newman does; any failure (unreachable, non-2xx)
/// is an error naming the URL.
fn fetch(url: &str) -> Result<Vec<u8>, io::Error> {
    let url = url.to_string();
    // A thread of its own, so that this works whether or not the caller is inside a runtime.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(FETCH_TIMEOUT)
                .build()
                .map_err(io::Error::other)?;
            let response =
                client.get(&url).send().await.map_err(|e| {
                    io::Error::other(format!("cannot fetch it: {}", error_chain(&e)))
                })?;
            let status = response.status();
            if !status.is_success() {
                return Err(io::Error::other(format!("the server answered {status}")));
            }
            let body = response.bytes().await.map_err(io::Error::other)?;
            Ok(body.to_vec())
        })
    })
    .join()
    .unwrap_or_else(|_| Err(io::Error::other("the download thread failed")))
}

/// An error and its sources, joined, without repeats.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Reads `path` (or fetches it, when it is an http(s) URL), detecting UTF-8/UTF-16 byte order
/// marks and BOM-less UTF-16 as Newman does.
///
/// A directory, an unreadable file and an empty (or all-whitespace) file are errors naming the path.
pub fn read_source(path: &Path) -> Result<SourceText, LoadError> {
    let read_err = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = if let Some(url) = remote_url(path) {
        fetch(url).map_err(read_err)?
    } else {
        if fs::metadata(path).map_err(read_err)?.is_dir() {
            return Err(SourceError::whole_file(path, "is a directory, expected a file").into());
        }
        fs::read(path).map_err(read_err)?
    };
    let text = decode_text(&bytes, path)?;
    if text.trim().is_empty() {
        return Err(SourceError::whole_file(path, "file is empty").into());
    }
    Ok(SourceText {
        path: path.to_path_buf(),
        text,
    })
}

/// Decodes file bytes: a UTF-8 or UTF-16 BOM decides; without one, NUL-byte patterns reveal
/// UTF-16LE/BE; then UTF-8, and Latin-1 (what Newman's detector falls back to) for anything else.
pub fn decode(bytes: &[u8]) -> String {
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8_or_latin1(rest),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => match utf16_without_bom(bytes) {
            Some(true) => utf16(bytes, u16::from_le_bytes),
            Some(false) => utf16(bytes, u16::from_be_bytes),
            None => utf8_or_latin1(bytes),
        },
    }
}

/// [`decode`] for input files, refusing what is not text: binary files (an executable, an
/// archive: NUL or other control bytes where no UTF-16 is detected) and invalid UTF-8, which is
/// placed at its line and column instead of being read as Latin-1.
pub fn decode_text(bytes: &[u8], path: &Path) -> Result<String, SourceError> {
    let utf16 =
        matches!(bytes, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..]) || utf16_without_bom(bytes).is_some();
    if utf16 {
        return Ok(decode(bytes));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let control = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C);
    if let Some(at) = body.iter().position(control) {
        let head: Vec<String> = body.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return Err(SourceError::whole_file(
            path,
            format!(
                "binary file, not text (byte {at} is 0x{:02x}; it starts with {}); expected a \
                 JSON or CSV file",
                body[at],
                head.join(" ")
            ),
        ));
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let lossy = String::from_utf8_lossy(body);
            Err(SourceError::at_offset(
                path,
                &lossy,
                at,
                format!(
                    "invalid UTF-8 (byte 0x{:02x}); save the file as UTF-8",
                    body[at]
                ),
            ))
        }
    }
}

/// `Some(little_endian)` when the bytes look like BOM-less UTF-16 text (mostly ASCII, so every
/// other byte is NUL).
fn utf16_without_bom(bytes: &[u8]) -> Option<bool> {
    if bytes.len() < 2 || bytes.len() % 2 != 0 {
        return None;
    }
    let pairs = bytes.len() / 2;
    let zeros_at = |parity: usize| {
        bytes
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    if odd * 2 > pairs && even == 0 {
        Some(true)
    } else if even * 2 > pairs && odd == 0 {
        Some(false)
    } else {
        None
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| unit([pair[0], pair[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn utf8_or_latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// Parses JSON text, turning a syntax error into a positioned [`SourceError`].
pub fn parse_json(text: &str, path: &Path) -> Result<Value, SourceError> {
    serde_json::from_str(text).map_err(|e| json_syntax_error(text, path, &e))
}

/// A serde_json syntax error placed at its line and column.
pub fn json_syntax_error(text: &str, path: &Path, e: &serde_json::Error) -> SourceError {
    SourceError {
        path: path.to_path_buf(),
        position: Some(Position::at_line_col(text, e.line(), e.column())),
        message: format!("invalid JSON: {}", serde_message(e)),
        note: None,
    }
}

/// serde_json's message without its trailing ` at line L column C`.
pub fn serde_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// A short description of a JSON value's type, for messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_bom_and_utf16_both_ways() {
        assert_eq!(decode(b"\xEF\xBB\xBF{}"), "{}");
        assert_eq!(decode(b"\xFF\xFE{\0}\0"), "{}");
        assert_eq!(decode(b"\xFE\xFF\0{\0}"), "{}");
        assert_eq!(decode(b"{\0\"\0}\0"), "{\"}");
        assert_eq!(decode(b"\0{\0\"\0}"), "{\"}");
        assert_eq!(decode("{\"é\": 1}".as_bytes()), "{\"é\": 1}");
        assert_eq!(decode(b"caf\xE9"), "café");
    }

    #[test]
    fn positions_count_characters_and_lines() {
        let text = "{\n  \"é\": x\n}";
        let pos = Position::at_line_col(text, 2, 10);
        assert_eq!((pos.line, pos.column), (2, 9));
        assert_eq!(pos.line_text, "  \"é\": x");
        let pos = Position::at_offset(text, 0);
        assert_eq!((pos.line, pos.column), (1, 1));
    }

    #[test]
    fn renders_path_line_col_line_and_caret() {
        let err = SourceError::at_offset(Path::new("a.json"), "{\n  \"item\": 5\n}", 12, "bad")
            .with_note("at item");
        assert_eq!(
            err.to_string(),
            "a.json:2:11: bad\n  2 |   \"item\": 5\n    |           ^\n    = at item"
        );
        let whole = SourceError::whole_file(Path::new("d"), "file is empty");
        assert_eq!(whole.to_string(), "d: file is empty");
    }

    #[test]
    fn cuts_long_lines_around_the_column() {
        let line = format!("{}X{}", "a".repeat(300), "b".repeat(300));
        let (shown, caret) = shown_line(&line, 301);
        assert_eq!(shown.chars().nth(caret - 1), Some('X'));
        assert!(shown.starts_with('…') && shown.ends_with('…'));
    }

    #[test]
    fn syntax_errors_keep_serde_positions() {
        let err = parse_json("{\n  \"a\": 1,\n}", Path::new("c.json")).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("c.json:3:1: invalid JSON: trailing comma"),
            "{shown}"
        );
    }

    #[test]
    fn reading_a_directory_or_empty_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_source(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
        let empty = dir.path().join("empty.json");
        fs::write(&empty, " \n").unwrap();
        let err = read_source(&empty).unwrap_err().to_string();
        assert!(err.ends_with("empty.json: file is empty"), "{err}");
        let missing = read_source(&dir.path().join("nope.json")).unwrap_err();
        assert!(matches!(missing, LoadError::Read { .. }));
    }
}
