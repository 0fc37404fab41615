//! Readable diffs between a stored snapshot and a new result, returned as text.
//!
//! Shaped like insta's: labels, then hunks of changed lines with 4 lines of context, old and new
//! line numbers in a gutter, and (with colour) the changed words underlined:
//!
//! ```text
//! -old snapshot
//! +new results
//! ────────────┬───────────────────────────────────────────────────────────────────
//!     1     1 │ GET https://api.test/items
//!     2       │-HTTP 200
//!           2 │+HTTP 404
//!     3     3 │ content-type: application/json
//! ────────────┴───────────────────────────────────────────────────────────────────
//! ```
//!
//! When the two sides differ only in whitespace, trailing spaces and tabs on changed lines show
//! as `·` and `→`.

use std::time::Duration;

use anstyle::{AnsiColor, Effects, Style};
use similar::{Algorithm, ChangeTag, TextDiff};

/// Width of the rules above and below the diff.
const WIDTH: usize = 80;
/// Width of the line-number gutter, up to the `│`.
const GUTTER: usize = 12;

/// A unified, line-numbered diff of `old` against `new`; ANSI-coloured with word-level emphasis
/// when `color`, plain `-`/`+` lines otherwise.
pub fn unified_diff(old: &str, new: &str, old_label: &str, new_label: &str, color: bool) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(Duration::from_millis(500))
        .diff_lines(old, new);
    let show_ws = whitespace_only(old, new);
    let paint = Painter { color };
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let dim = Style::new().effects(Effects::DIMMED);
    let number = Style::new()
        .fg_color(Some(AnsiColor::Cyan.into()))
        .effects(Effects::DIMMED);

    let mut out = String::new();
    out.push_str(&paint.apply(red, &format!("-{old_label}")));
    out.push('\n');
    out.push_str(&paint.apply(green, &format!("+{new_label}")));
    out.push('\n');
    out.push_str(&rule('─', '┬'));
    for (idx, group) in diff.grouped_ops(4).iter().enumerate() {
        if idx > 0 {
            out.push_str(&rule('┈', '┼'));
        }
        for op in group {
            for change in diff.iter_inline_changes(op) {
                let (sign, style) = match change.tag() {
                    ChangeTag::Delete => ('-', red),
                    ChangeTag::Insert => ('+', green),
                    ChangeTag::Equal => (' ', dim),
                };
                let old_no = change
                    .old_index()
                    .map(|i| (i + 1).to_string())
                    .unwrap_or_default();
                let new_no = change
                    .new_index()
                    .map(|i| (i + 1).to_string())
                    .unwrap_or_default();
                out.push_str(&paint.apply(number, &format!("{old_no:>5} {new_no:>5} ")));
                out.push('│');
                out.push_str(&paint.apply(style, &sign.to_string()));
                let values: Vec<(bool, String)> = change
                    .values()
                    .iter()
                    .map(|(emph, s)| (*emph, s.trim_end_matches(['\n', '\r']).to_string()))
                    .collect();
                let line_len: usize = values.iter().map(|(_, s)| s.len()).sum();
                let text_end = if show_ws && change.tag() != ChangeTag::Equal {
                    let line: String = values.iter().map(|(_, s)| s.as_str()).collect();
                    line.trim_end_matches([' ', '\t']).len()
                } else {
                    line_len
                };
                let mut offset = 0;
                for (emph, text) in &values {
                    let shown = visible_from(text, text_end.saturating_sub(offset));
                    offset += text.len();
                    let style = if *emph && change.tag() != ChangeTag::Equal {
                        style.effects(Effects::UNDERLINE)
                    } else {
                        style
                    };
                    out.push_str(&paint.apply(style, &shown));
                }
                out.push('\n');
            }
        }
    }
    out.push_str(&rule('─', '┴'));
    out
}

/// A horizontal rule with a gutter junction.
fn rule(line: char, junction: char) -> String {
    let mut s: String = std::iter::repeat_n(line, GUTTER).collect();
    s.push(junction);
    s.extend(std::iter::repeat_n(line, WIDTH - GUTTER - 1));
    s.push('\n');
    s
}

/// True when the texts differ but are equal once trailing whitespace is ignored.
fn whitespace_only(old: &str, new: &str) -> bool {
    old != new
        && old
            .lines()
            .map(str::trim_end)
            .eq(new.lines().map(str::trim_end))
}

/// `text` with spaces and tabs from byte `from` on made visible.
fn visible_from(text: &str, from: usize) -> String {
    text.char_indices()
        .map(|(i, c)| match c {
            ' ' if i >= from => '·',
            '\t' if i >= from => '→',
            c => c,
        })
        .collect()
}

struct Painter {
    color: bool,
}

impl Painter {
    fn apply(&self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_diff_has_gutter_and_signs() {
        let old = "a\nb\nc\n";
        let new = "a\nB\nc\n";
        let d = unified_diff(old, new, "old snapshot", "new results", false);
        let expected = format!(
            "-old snapshot\n+new results\n{}    1     1 │ a\n    2       │-b\n          2 │+B\n    3     3 │ c\n{}",
            rule('─', '┬'),
            rule('─', '┴')
        );
        assert_eq!(d, expected);
    }

    #[test]
    fn distant_changes_make_separate_hunks() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 2\n", "line two\n")
            .replace("line 19\n", "line nineteen\n");
        let d = unified_diff(&old, &new, "o", "n", false);
        assert_eq!(d.matches('┼').count(), 1, "{d}");
        assert!(d.contains("   19       │-line 19\n"), "{d}");
        assert!(d.contains("         19 │+line nineteen\n"), "{d}");
        assert!(!d.contains("line 10"), "{d}");
    }

    #[test]
    fn color_underlines_changed_words() {
        let d = unified_diff("say hello world\n", "say goodbye world\n", "o", "n", true);
        let underlined_green = Style::new()
            .fg_color(Some(AnsiColor::Green.into()))
            .effects(Effects::UNDERLINE);
        assert!(d.contains(&format!("{underlined_green}goodbye")), "{d:?}");
        assert!(d.contains("\u{1b}["), "{d:?}");
    }

    #[test]
    fn whitespace_only_changes_are_visible() {
        let d = unified_diff("a \nb\n", "a\nb\n", "o", "n", false);
        assert!(d.contains("│-a·\n"), "{d}");
        assert!(d.contains("│+a\n"), "{d}");
    }
}
