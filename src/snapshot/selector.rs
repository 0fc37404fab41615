//! Redaction selectors in insta's style: which parts of a JSON body a redaction replaces.
//!
//! | selector                 | matches                                              |
//! | ------------------------ | ---------------------------------------------------- |
//! | `.field`                 | the key `field` of an object                         |
//! | `["key with space"]`     | any key of an object, written as a string            |
//! | `[2]`, `[-1]`            | one array element (negative counts from the end)     |
//! | `[]`                     | every array element                                  |
//! | `[1:3]`, `[:2]`, `[1:]`  | a range of array elements, end exclusive             |
//! | `.*`                     | any one key or element                               |
//! | `.**`                    | any number of levels, zero included                  |
//! | `.`                      | the whole body                                       |
//!
//! Segments chain (`.records[].effectiveDate`, `.**.reservationTime`), and several selectors
//! separated by commas match when any of them does (`.a, .b`).

use std::fmt;
use std::str::FromStr;

/// A parsed selector: one or more alternatives, each a chain of segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    source: String,
    alternatives: Vec<Vec<Segment>>,
}

/// One step of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(i64),
    All,
    Range(Option<i64>, Option<i64>),
    Wildcard,
    DeepWildcard,
}

/// One step of the path from a JSON body's root to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathItem {
    /// An object key.
    Key(String),
    /// An array element, with the array's length (for negative indices and ranges).
    Index {
        /// The element's position.
        index: usize,
        /// The array's length.
        len: usize,
    },
}

/// A selector that does not parse; names the column (1-based, in characters) of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid selector `{selector}` at column {column}: {message}")]
pub struct SelectorError {
    /// The selector as written.
    pub selector: String,
    /// 1-based column of the offending character.
    pub column: usize,
    /// What was expected there.
    pub message: String,
}

/// Parses a selector such as `.records[].effectiveDate` or `.**.reservationTime`.
pub fn parse_selector(s: &str) -> Result<Selector, SelectorError> {
    let mut parser = Parser {
        source: s,
        chars: s.chars().collect(),
        pos: 0,
    };
    let alternatives = parser.selectors()?;
    Ok(Selector {
        source: s.to_string(),
        alternatives,
    })
}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_selector(s)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Selector {
    /// True when the selector selects the value at `path` (root first).
    pub fn is_match(&self, path: &[PathItem]) -> bool {
        self.alternatives.iter().any(|segs| matches(segs, path))
    }
}

fn matches(segs: &[Segment], path: &[PathItem]) -> bool {
    match segs.split_first() {
        None => path.is_empty(),
        Some((Segment::DeepWildcard, rest)) => {
            (0..=path.len()).any(|skip| matches(rest, &path[skip..]))
        }
        Some((seg, rest)) => match path.split_first() {
            Some((item, tail)) => seg.matches(item) && matches(rest, tail),
            None => false,
        },
    }
}

/// Resolves a possibly negative index against a length, clamped to `0..=len`.
fn resolve(i: i64, len: usize) -> usize {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let abs = if i < 0 { len_i.saturating_add(i) } else { i };
    usize::try_from(abs.clamp(0, len_i)).unwrap_or(len)
}

impl Segment {
    fn matches(&self, item: &PathItem) -> bool {
        match (self, item) {
            (Segment::Key(k), PathItem::Key(key)) => k == key,
            (Segment::Index(i), PathItem::Index { index, len }) => {
                let len_i = i64::try_from(*len).unwrap_or(i64::MAX);
                let abs = if *i < 0 { len_i.saturating_add(*i) } else { *i };
                usize::try_from(abs).is_ok_and(|a| a == *index)
            }
            (Segment::All, PathItem::Index { .. }) => true,
            (Segment::Range(start, end), PathItem::Index { index, len }) => {
                let start = resolve(start.unwrap_or(0), *len);
                let end = end.map_or(*len, |e| resolve(e, *len));
                (start..end).contains(index)
            }
            (Segment::Wildcard | Segment::DeepWildcard, _) => true,
            _ => false,
        }
    }
}

struct Parser<'a> {
    source: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> SelectorError {
        SelectorError {
            selector: self.source.to_string(),
            column: self.pos + 1,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: char) -> Result<(), SelectorError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected `{c}`")))
        }
    }

    fn selectors(&mut self) -> Result<Vec<Vec<Segment>>, SelectorError> {
        let mut alternatives = vec![self.selector()?];
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Ok(alternatives),
                Some(',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek().is_none() {
                        return Ok(alternatives);
                    }
                    alternatives.push(self.selector()?);
                }
                Some(_) => return Err(self.error("expected `.`, `[` or `,`")),
            }
        }
    }

    fn at_selector_end(&self) -> bool {
        matches!(self.peek(), None | Some(','))
    }

    fn selector(&mut self) -> Result<Vec<Segment>, SelectorError> {
        self.skip_ws();
        if self.at_selector_end() {
            return Err(self.error("expected a selector such as `.field` or `[]`"));
        }
        // `.` alone selects the whole body.
        if self.peek() == Some('.') {
            let save = self.pos;
            self.pos += 1;
            self.skip_ws();
            if self.at_selector_end() {
                return Ok(Vec::new());
            }
            self.pos = save;
        }
        let mut segments = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some(',') => return Ok(segments),
                Some('.') => segments.push(self.dot_segment()?),
                Some('[') => segments.push(self.bracket_segment()?),
                Some(_) => return Err(self.error("expected `.`, `[` or `,`")),
            }
        }
    }

    fn dot_segment(&mut self) -> Result<Segment, SelectorError> {
        self.pos += 1;
        if self.peek() == Some('*') {
            if self.peek_at(1) == Some('*') {
                self.pos += 2;
                return Ok(Segment::DeepWildcard);
            }
            self.pos += 1;
            return Ok(Segment::Wildcard);
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '-'))
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected a key, `*` or `**` after `.`"));
        }
        Ok(Segment::Key(self.chars[start..self.pos].iter().collect()))
    }

    fn bracket_segment(&mut self) -> Result<Segment, SelectorError> {
        self.pos += 1;
        self.skip_ws();
        match self.peek() {
            Some(']') => {
                self.pos += 1;
                Ok(Segment::All)
            }
            Some('"') => {
                let key = self.string()?;
                self.expect(']')?;
                Ok(Segment::Key(key))
            }
            Some(':') => {
                self.pos += 1;
                let end = self.int()?;
                self.expect(']')?;
                Ok(Segment::Range(None, Some(end)))
            }
            _ => {
                let first = self.int()?;
                self.skip_ws();
                if self.peek() == Some(':') {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(']') {
                        self.pos += 1;
                        return Ok(Segment::Range(Some(first), None));
                    }
                    let end = self.int()?;
                    self.expect(']')?;
                    return Ok(Segment::Range(Some(first), Some(end)));
                }
                self.expect(']')?;
                Ok(Segment::Index(first))
            }
        }
    }

    fn string(&mut self) -> Result<String, SelectorError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    self.pos = open;
                    return Err(self.error("unterminated string"));
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    match self.peek_at(1) {
                        Some(c @ ('"' | '\\')) => out.push(c),
                        _ => {
                            self.pos += 1;
                            return Err(self.error("only `\\\"` and `\\\\` escapes are allowed"));
                        }
                    }
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn int(&mut self) -> Result<i64, SelectorError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse().map_err(|_| {
            self.pos = start;
            self.error("expected a number, a string, `]` or a range such as `1:3`")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PathItem {
        PathItem::Key(k.to_string())
    }

    fn idx(index: usize, len: usize) -> PathItem {
        PathItem::Index { index, len }
    }

    fn sel(s: &str) -> Selector {
        parse_selector(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn keys_and_quoted_keys() {
        assert!(sel(".a.b").is_match(&[key("a"), key("b")]));
        assert!(!sel(".a.b").is_match(&[key("a")]));
        assert!(!sel(".a.b").is_match(&[key("a"), key("b"), key("c")]));
        assert!(sel("[\"key with space\"]").is_match(&[key("key with space")]));
        assert!(sel(".a[\"say \\\"hi\\\"\"]").is_match(&[key("a"), key("say \"hi\"")]));
    }

    #[test]
    fn arrays_indices_and_ranges() {
        let s = sel(".list[].x");
        assert!(s.is_match(&[key("list"), idx(0, 3), key("x")]));
        assert!(s.is_match(&[key("list"), idx(2, 3), key("x")]));
        assert!(!s.is_match(&[key("list"), key("0"), key("x")]));
        let r = sel("[1:3]");
        let hits: Vec<usize> = (0..5).filter(|&i| r.is_match(&[idx(i, 5)])).collect();
        assert_eq!(hits, vec![1, 2]);
        let last = sel("[-1]");
        assert!(last.is_match(&[idx(4, 5)]) && !last.is_match(&[idx(3, 5)]));
        assert!(sel("[:2]").is_match(&[idx(1, 5)]) && !sel("[:2]").is_match(&[idx(2, 5)]));
        assert!(sel("[3:]").is_match(&[idx(4, 5)]) && !sel("[3:]").is_match(&[idx(2, 5)]));
    }

    #[test]
    fn wildcards() {
        let any = sel(".*");
        assert!(any.is_match(&[key("x")]) && any.is_match(&[idx(0, 1)]));
        assert!(!any.is_match(&[key("x"), key("y")]));
        let deep = sel(".**.x");
        assert!(deep.is_match(&[key("x")]));
        assert!(deep.is_match(&[key("a"), key("x")]));
        assert!(deep.is_match(&[key("a"), idx(0, 1), key("b"), key("x")]));
        assert!(!deep.is_match(&[key("x"), key("y")]));
        assert!(sel(".").is_match(&[]) && !sel(".").is_match(&[key("a")]));
        let either = sel(".a, .b,");
        assert!(either.is_match(&[key("a")]) && either.is_match(&[key("b")]));
    }

    #[test]
    fn errors_name_the_column() {
        let cases = [
            (".a[", 4, "expected a number"),
            (".a.", 4, "expected a key"),
            (".a[\"x", 4, "unterminated string"),
            (".a b", 4, "expected `.`, `[` or `,`"),
            ("", 1, "expected a selector"),
            ("[1:x]", 4, "expected a number"),
            ("[1", 3, "expected `]`"),
        ];
        for (input, column, message) in cases {
            let err = parse_selector(input).expect_err(input);
            assert_eq!(err.column, column, "{input}: {err}");
            assert!(err.message.contains(message), "{input}: {err}");
        }
        let shown = parse_selector(".a[").expect_err("bad").to_string();
        assert_eq!(
            shown,
            "invalid selector `.a[` at column 4: expected a number, a string, `]` or a range such as `1:3`"
        );
    }
}
