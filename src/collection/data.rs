//! Iteration data files: a JSON array of objects, or CSV read the way Newman reads it.
//!
//! Newman tries JSON first and falls back to CSV (`csv-parse` with `columns`, `trim`, `relax`,
//! `relax_column_count`, `bom`), casting unquoted cells with `csvAutoParse`:
//!
//! ```text
//! id, name , code,  price
//! 007, Ann , "007", 1e3      ->  {"id": 7, "name": "Ann", "code": "007", "price": 1000}
//! ```
//!
//! The `csv` crate cannot tell a quoted cell from an unquoted one, nor skip blanks before an
//! opening quote (` "foo" ` is `foo` in Newman), and both decide the result here, so the
//! tokenizer below is our own; it follows RFC 4180 plus those two Newman rules.

use std::path::Path;

use serde_json::{Map, Value};

use super::locate::{Segment, error_at};
use super::source::{LoadError, SourceError, describe, json_syntax_error, read_source};

/// One data row: column name -> value.
pub type DataRow = Map<String, Value>;

/// Largest integer a JS number holds exactly (2^53).
const JS_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Reads a data file; see [`parse_data`].
pub fn load_data_file(path: &Path) -> Result<Vec<DataRow>, LoadError> {
    let source = read_source(path)?;
    parse_data(&source.text, path)
}

/// Parses data text (for tests and stdin): JSON array of objects first, CSV otherwise.
///
/// JSON values keep their types. Text that starts with `[` or `{` but is not valid JSON is
/// reported as a JSON error (Newman would silently read it as CSV).
pub fn parse_data(text: &str, path: &Path) -> Result<Vec<DataRow>, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(SourceError::whole_file(path, "data file is empty").into());
    }
    let looks_json = trimmed.starts_with('[') || trimmed.starts_with('{');
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(rows)) => json_rows(rows, text, path),
        Ok(other @ Value::Object(_)) => {
            let message = "data file holds a JSON object; expected an array of objects, \
                           one per iteration";
            Err(error_at(&other, text, path, &[], message).into())
        }
        Err(e) if looks_json => Err(json_syntax_error(text, path, &e).into()),
        _ => csv_rows(text, path),
    }
}

fn json_rows(rows: Vec<Value>, text: &str, path: &Path) -> Result<Vec<DataRow>, LoadError> {
    let root = Value::Array(Vec::new());
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| match row {
            Value::Object(map) => Ok(map),
            other => {
                let message = format!(
                    "data row [{i}] is {}; expected an object of variables",
                    describe(&other)
                );
                Err(error_at(&root, text, path, &[Segment::Index(i)], message).into())
            }
        })
        .collect()
}

/// One CSV cell as written.
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    text: String,
    quoted: bool,
    /// Byte offset where the cell starts.
    start: usize,
}

fn csv_rows(text: &str, path: &Path) -> Result<Vec<DataRow>, LoadError> {
    let records = tokenize(text)
        .map_err(|(offset, message)| SourceError::at_offset(path, text, offset, message))?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return Ok(Vec::new());
    };
    let rows = records
        .map(|record| {
            header
                .iter()
                .zip(record)
                .map(|(name, cell)| (name.text.clone(), auto_parse(cell)))
                .collect()
        })
        .collect();
    Ok(rows)
}

/// Rows of a CSV data file whose cell count differs from the header's. Newman reads them
/// anyway (a short row lacks the last columns, a long row's extra cells are dropped), and so
/// does snapman; these are the warnings that say so, each at its row. Empty for JSON data and
/// for files that do not tokenize (their load error says why).
pub fn ragged_rows(path: &Path) -> Vec<SourceError> {
    let Ok(source) = super::source::read_source(path) else {
        return Vec::new();
    };
    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        return Vec::new();
    }
    let Ok(records) = tokenize(text) else {
        return Vec::new();
    };
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return Vec::new();
    };
    records
        .enumerate()
        .filter(|(_, record)| record.len() != header.len())
        .map(|(index, record)| {
            let at = record.first().map_or(text.len(), |c| c.start);
            let what = if record.len() > header.len() {
                "the extra cells are ignored"
            } else {
                "the missing columns are left undefined"
            };
            let message = format!(
                "row {} has {} cell(s) but the header has {} column(s); {what}, as in Newman",
                index + 1,
                record.len(),
                header.len()
            );
            SourceError::at_offset(path, text, at, message)
        })
        .collect()
}

/// Splits CSV text into records. Errors carry a byte offset.
///
/// Blanks around cells are trimmed (also before an opening quote), `""` inside quotes is a
/// quote, quotes inside unquoted cells are literal, and blank lines are skipped.
fn tokenize(text: &str) -> Result<Vec<Vec<Cell>>, (usize, String)> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut chars = text.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| matches!(c, ' ' | '\t')).is_some() {}
        let start = chars.peek().map_or(text.len(), |(at, _)| *at);
        let cell = match chars.peek() {
            Some(&(open, '"')) => {
                chars.next();
                let mut cell = String::new();
                loop {
                    match chars.next() {
                        None => return Err((open, "quote not closed".to_string())),
                        Some((_, '"')) if chars.next_if(|(_, c)| *c == '"').is_some() => {
                            cell.push('"');
                        }
                        Some((_, '"')) => break,
                        Some((_, c)) => cell.push(c),
                    }
                }
                while chars.next_if(|(_, c)| matches!(c, ' ' | '\t')).is_some() {}
                if let Some(&(at, c)) = chars
                    .peek()
                    .filter(|(_, c)| !matches!(c, ',' | '\n' | '\r'))
                {
                    let message = format!(
                        "invalid closing quote: found `{c}` after a quoted cell, \
                         expected a comma or the end of the line"
                    );
                    return Err((at, message));
                }
                Cell {
                    text: cell,
                    quoted: true,
                    start,
                }
            }
            _ => {
                let mut cell = String::new();
                while let Some((_, c)) = chars.next_if(|(_, c)| !matches!(c, ',' | '\n' | '\r')) {
                    cell.push(c);
                }
                Cell {
                    text: cell.trim_end_matches([' ', '\t']).to_string(),
                    quoted: false,
                    start,
                }
            }
        };
        record.push(cell);
        match chars.next() {
            Some((_, ',')) => continue,
            Some((_, '\r')) => {
                chars.next_if(|(_, c)| *c == '\n');
            }
            Some(_) | None => {}
        }
        let blank = matches!(record.as_slice(), [only] if !only.quoted && only.text.is_empty());
        if blank {
            record.clear();
        } else {
            records.push(std::mem::take(&mut record));
        }
        if chars.peek().is_none() {
            return Ok(records);
        }
    }
}

/// Newman's `csvAutoParse`: quoted cells stay strings; unquoted ones matching `isInt` become
/// `parseInt(v)`, those passing `isFloat` (`v - parseFloat(v) + 1 >= 0`) become `parseFloat(v)`.
fn auto_parse(cell: Cell) -> Value {
    if cell.quoted {
        return Value::String(cell.text);
    }
    let s = cell.text.as_str();
    let number = if is_int(s) {
        s.parse::<f64>().ok()
    } else {
        let whole = js_number(s);
        let prefix = js_parse_float(s);
        (whole - prefix + 1.0 >= 0.0).then_some(prefix)
    };
    match number {
        Some(n) => js_number_value(n).unwrap_or(Value::String(cell.text)),
        None => Value::String(cell.text),
    }
}

/// Newman's `isInt`: `/^(-|\+)?([1-9]+[0-9]*)$/`.
fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    digits.starts_with(|c: char| ('1'..='9').contains(&c))
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A JS double as JSON: integral values within 2^53 become integers (so `-0` is `0`, and `7`
/// is not `7.0`); others stay floats. Non-finite numbers have no JSON form.
fn js_number_value(n: f64) -> Option<Value> {
    if n.fract() == 0.0 && n.abs() < JS_SAFE_INTEGER {
        #[expect(clippy::cast_possible_truncation, reason = "integral and below 2^53")]
        return Some(Value::from(n as i64));
    }
    serde_json::Number::from_f64(n).map(Value::Number)
}

/// JS `Number(string)`: the whole string must be a numeric literal (blank is 0).
fn js_number(s: &str) -> f64 {
    let s = s.trim();
    if s.is_empty() {
        return 0.0;
    }
    let radix = match s.get(..2).map(str::to_ascii_lowercase).as_deref() {
        Some("0x") => Some(16),
        Some("0o") => Some(8),
        Some("0b") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = &s[2..];
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return f64::NAN;
        }
        return digits.chars().fold(0.0, |acc, c| {
            acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
        });
    }
    match decimal_prefix(s) {
        Some(len) if len == s.len() => parse_decimal(s),
        _ => f64::NAN,
    }
}

/// JS `parseFloat`: the longest decimal literal at the start, or NaN.
fn js_parse_float(s: &str) -> f64 {
    let s = s.trim_start();
    decimal_prefix(s).map_or(f64::NAN, |len| parse_decimal(&s[..len]))
}

fn parse_decimal(s: &str) -> f64 {
    let unsigned = s.trim_start_matches(['+', '-']);
    if unsigned == "Infinity" {
        return if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    s.parse().unwrap_or(f64::NAN)
}

/// Length of the longest JS `StrDecimalLiteral` at the start of `s`: sign, then `Infinity` or
/// digits with an optional fraction (at least one digit overall) and an optional exponent.
fn decimal_prefix(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if s[i..].starts_with("Infinity") {
        return Some(i + "Infinity".len());
    }
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(i);
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = digits(i + 1);
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let exp = digits(i + 1 + sign);
        if exp > 0 {
            i += 1 + sign + exp;
        }
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(text: &str) -> Vec<Value> {
        parse_data(text, Path::new("d.csv"))
            .unwrap()
            .into_iter()
            .map(Value::Object)
            .collect()
    }

    fn err(text: &str) -> String {
        parse_data(text, Path::new("d.csv"))
            .unwrap_err()
            .to_string()
    }

    fn cast(s: &str) -> Value {
        auto_parse(Cell {
            text: s.to_string(),
            quoted: false,
            start: 0,
        })
    }

    #[test]
    fn json_rows_keep_their_types() {
        let got = rows(r#"[{"a": 1, "b": true, "c": {"d": [null]}, "e": "007"}]"#);
        assert_eq!(
            got,
            vec![json!({"a": 1, "b": true, "c": {"d": [null]}, "e": "007"})]
        );
        assert!(rows("[]").is_empty());
    }

    #[test]
    fn json_errors_point_at_the_row_or_syntax() {
        let e = err("[{\"a\": 1},\n  5]");
        assert!(
            e.starts_with("d.csv:2:3: data row [1] is a number (5); expected an object"),
            "{e}"
        );
        let e = err("{\"a\": 1}");
        assert!(
            e.contains("d.csv:1:1: data file holds a JSON object"),
            "{e}"
        );
        let e = err("[{\"a\": 1},\n {\"b\" 2}]");
        assert!(
            e.starts_with("d.csv:2:7: invalid JSON: expected `:`"),
            "{e}"
        );
        assert_eq!(err(" \n"), "d.csv: data file is empty");
    }

    #[test]
    fn csv_casts_like_newman() {
        for (cell, want) in [
            ("007", json!(7)),
            ("1e3", json!(1000)),
            ("-7890", json!(-7890)),
            ("+5", json!(5)),
            ("1.50", json!(1.5)),
            (".5", json!(0.5)),
            ("+.5", json!(0.5)),
            ("-1.5e-3", json!(-0.0015)),
            ("1e", json!("1e")),
            ("5.", json!(5)),
            ("0", json!(0)),
            ("-0", json!(0)),
            ("0x10", json!(0)),
            ("12abc", json!("12abc")),
            ("1 2", json!("1 2")),
            ("", json!("")),
            ("Infinity", json!("Infinity")),
            ("1e400", json!("1e400")),
            ("NaN", json!("NaN")),
            ("inf", json!("inf")),
            ("true", json!("true")),
        ] {
            assert_eq!(cast(cell), want, "cell {cell:?}");
        }
        assert_eq!(cast("89111702272002019559"), json!(8.911170227200202e19));
    }

    #[test]
    fn csv_follows_newmans_comma_test() {
        let text = "nameWithComma,nameWithDoubleQuotes,numberWithQuotes,numberWithoutQuotes,\
                    nullValue, spaceAfterComma ,spaceBeforeComma, unescaped\n\
                    \"Abhijit, Kane\",\"Abhijit \"\"KDOS\"\" Kane\",\"00123\",7890,, \"foo\" ,\"bar\", A \"K\" B\n";
        assert_eq!(
            rows(text),
            vec![json!({
                "nameWithComma": "Abhijit, Kane",
                "nameWithDoubleQuotes": "Abhijit \"KDOS\" Kane",
                "numberWithQuotes": "00123",
                "numberWithoutQuotes": 7890,
                "nullValue": "",
                "spaceAfterComma": "foo",
                "spaceBeforeComma": "bar",
                "unescaped": "A \"K\" B"
            })]
        );
    }

    #[test]
    fn csv_handles_bom_newlines_in_quotes_ragged_rows_and_blank_lines() {
        let text = "\u{feff}c1, c2, c3\r\n\"a\nb\", x\r\n\r\n1\r\n4,5,6,7";
        assert_eq!(
            rows(text),
            vec![
                json!({"c1": "a\nb", "c2": "x"}),
                json!({"c1": 1}),
                json!({"c1": 4, "c2": 5, "c3": 6}),
            ]
        );
        assert!(rows("a,b\n").is_empty());
    }

    #[test]
    fn csv_quote_errors_have_positions() {
        let e = err("a,b\n\"x\"y,2");
        assert!(
            e.starts_with("d.csv:2:4: invalid closing quote: found `y`"),
            "{e}"
        );
        let e = err("a,b\n1,\"open");
        assert!(e.starts_with("d.csv:2:3: quote not closed"), "{e}");
    }
}
