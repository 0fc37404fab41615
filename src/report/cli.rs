//! The terminal reporter: Newman-style lines while the run goes, then a summary table and the
//! numbered failure list.
//!
//! ```text
//! Iteration 1/2
//!
//! ❏ Users
//! ↳ Get user
//!   GET http://127.0.0.1:3000/users/1 [200 OK, 512B, 35ms]
//!   ✓ Status code is 200
//!   1. Body has name
//! ```
//!
//! Failed assertions are numbered; request and script errors are numbered too and marked with
//! `✗`, so runtime errors stand apart from assertion failures. Console lines are shown for every
//! request (as Newman does); `verbose` adds the request and response heads and bodies.
//! Every piece of text goes through the [`Redactor`] before it is written. Write errors are
//! ignored: a closed terminal must not stop the run.

use std::io::Write;

use anstyle::{AnsiColor, Style};

use crate::cli::CliReporterArgs;
use crate::http::call::{ReceivedResponse, SentRequest};
use crate::report::context::{
    Failure, FailureKind, ResponseStats, execution_failures, first_failures, millis, run_duration,
};
use crate::runner::summary::{Count, Execution, RunSummary};
use crate::secret::Redactor;

/// Bodies longer than this many bytes are cut in verbose output.
const BODY_LIMIT: usize = 2048;

/// How the terminal reporter prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CliReporterOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Show request and response heads and bodies.
    pub verbose: bool,
    /// Use `✓ ✗ → ↳ ❏` and box drawing; otherwise ASCII.
    pub unicode: bool,
}

/// The symbols of one character set.
#[derive(Debug, Clone, Copy)]
struct Symbols {
    ok: &'static str,
    error: &'static str,
    root: &'static str,
    sub: &'static str,
    folder: &'static str,
    console_top: &'static str,
    console_line: &'static str,
    console_bottom: &'static str,
    /// Table corners and joints: `[top-left, top-mid, top-right, left, mid, right, bottom-left, bottom-right, joint-up]`.
    joints: [&'static str; 9],
    horizontal: &'static str,
    vertical: &'static str,
}

const UNICODE: Symbols = Symbols {
    ok: "✓",
    error: "✗",
    root: "→",
    sub: "↳",
    folder: "❏",
    console_top: "┌",
    console_line: "│",
    console_bottom: "└",
    joints: ["┌", "┬", "┐", "├", "┼", "┤", "└", "┘", "┴"],
    horizontal: "─",
    vertical: "│",
};

const ASCII: Symbols = Symbols {
    ok: "ok",
    error: "x",
    root: "->",
    sub: "-",
    folder: "#",
    console_top: "+",
    console_line: "|",
    console_bottom: "+",
    joints: ["+", "+", "+", "+", "+", "+", "+", "+", "+"],
    horizontal: "-",
    vertical: "|",
};

/// Widths of the summary table's three columns, as in Newman.
const COLUMNS: [usize; 3] = [25, 19, 18];

/// Streams per-request lines as the run goes, then the summary table and failures.
#[derive(Debug)]
pub struct CliReporter<W: Write> {
    out: W,
    opts: CliReporterOptions,
    redactor: Redactor,
    symbols: Symbols,
    /// The folder path of the last item printed; `None` before the first item of an iteration.
    folder: Option<Vec<String>>,
    /// Failures numbered so far.
    failures: usize,
    /// Newman's `--reporter-cli-*` options.
    sections: CliReporterArgs,
}

impl<W: Write> CliReporter<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W, opts: CliReporterOptions, redactor: Redactor) -> Self {
        Self {
            out,
            opts,
            redactor,
            symbols: if opts.unicode { UNICODE } else { ASCII },
            folder: None,
            failures: 0,
            sections: CliReporterArgs::default(),
        }
    }

    /// Applies Newman's `--reporter-cli-*` options (parts left out, timestamps added).
    pub fn with_sections(mut self, sections: CliReporterArgs) -> Self {
        self.sections = sections;
        self
    }

    /// `[11/30/2026, 10:05:03 AM] ` (Node's `toLocaleString`) with `--reporter-cli-show-timestamps`.
    fn timestamp(&self, time_only: bool) -> String {
        if !self.sections.show_timestamps {
            return String::new();
        }
        let now = chrono::Local::now();
        let text = if time_only {
            now.format("[%-I:%M:%S %p]")
        } else {
            now.format("[%-m/%-d/%Y, %-I:%M:%S %p]")
        };
        let grey = Style::new().fg_color(Some(AnsiColor::BrightBlack.into()));
        format!("{} ", self.paint(grey, &text.to_string()))
    }

    /// The writer back, for tests that print into a buffer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Banner and collection name.
    pub fn run_started(&mut self, collection_name: &str) {
        if !self.sections.no_banner {
            self.line("snapman");
            self.line("");
        }
        self.line(collection_name);
    }

    /// `Iteration 2/3` (`iteration` is 0-based, like [`Execution::iteration`]); nothing for a
    /// single-iteration run.
    pub fn iteration_started(&mut self, iteration: usize, total: usize) {
        self.folder = None;
        if total > 1 {
            let text = self.paint(
                Style::new()
                    .underline()
                    .fg_color(Some(AnsiColor::BrightBlack.into())),
                &format!("Iteration {}/{}", iteration + 1, total),
            );
            self.line("");
            self.line(&text);
        }
    }

    /// The lines of one finished request: folder and item name, request line, errors,
    /// console output and assertions.
    pub fn execution_finished(&mut self, e: &Execution) {
        let s = self.symbols;
        self.line("");
        if self.folder.as_ref() != Some(&e.folder_path) {
            if !e.folder_path.is_empty() {
                self.line(&format!("{} {}", s.folder, e.folder_path.join(" / ")));
            }
            self.folder = Some(e.folder_path.clone());
        }
        let marker = if e.folder_path.is_empty() {
            s.root
        } else {
            s.sub
        };
        self.line(&format!("{marker} {}", e.item_name));

        let failures = execution_failures(e);
        let is_script = |listen: &'static str| move |f: &&Failure| matches!(f.kind, FailureKind::Script(x) if x.listen == listen);
        for f in failures.iter().filter(is_script("prerequest")) {
            self.error_line(f);
        }
        self.request_line(e);
        for f in failures
            .iter()
            .filter(|f| matches!(f.kind, FailureKind::Request(_)))
        {
            self.error_line(f);
        }
        if self.opts.verbose {
            if let Some(r) = &e.request {
                self.request_details(r);
            }
            if let Some(r) = &e.response {
                self.response_details(r);
            }
        }
        if !self.sections.no_console {
            self.console(e);
        }
        for a in &e.assertions {
            let failed = a.error.is_some();
            if failed {
                self.failures += 1;
            }
            let hidden =
                self.sections.no_assertions || (self.sections.no_success_assertions && !failed);
            if hidden {
                continue;
            }
            let stamp = self.timestamp(true);
            let text = if failed {
                let red = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
                format!(
                    "  {}",
                    self.paint(red, &format!("{}. {}", self.failures, a.name))
                )
            } else if a.skipped {
                let grey = Style::new().fg_color(Some(AnsiColor::BrightBlack.into()));
                format!("  {}", self.paint(grey, &format!("- {} (skipped)", a.name)))
            } else {
                let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
                format!("  {} {}", self.paint(green, s.ok), a.name)
            };
            self.line(&format!("{stamp}{text}"));
        }
        for f in failures.iter().filter(is_script("test")) {
            self.error_line(f);
        }
    }

    /// The summary table, timings, the numbered failure list, and notes on scripts not run and
    /// on a run error.
    pub fn run_finished(&mut self, summary: &RunSummary) {
        if !self.sections.no_summary {
            self.line("");
            self.summary_table(summary);
        }
        let (failures, more) = first_failures(summary);
        if !failures.is_empty() && !self.sections.no_failures {
            self.line("");
            self.failure_list(summary, &failures);
            if more > 0 {
                self.line("");
                self.line(&format!(
                    "{more} more failure(s) not listed here: only the first {} are kept to the \
                     end of the run; each was printed, numbered, where it happened above",
                    failures.len()
                ));
            }
        }
        if let Some(message) = &summary.run_error {
            let red = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
            let text = self.paint(red, &format!("run error: {message}"));
            self.line("");
            self.line(&text);
        }
        let _ = self.out.flush();
    }

    /// Writes one redacted line.
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", self.redactor.redact(text));
    }

    /// `text` redacted and, with colours on, wrapped in `style`.
    fn paint(&self, style: Style, text: &str) -> String {
        let text = self.redactor.redact(text);
        if self.opts.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text
        }
    }

    fn error_line(&mut self, f: &Failure) {
        self.failures += 1;
        let text = match f.kind {
            FailureKind::Script(s) => format!("{} in {}-script: {}", s.name, s.listen, s.message),
            _ => f.message(),
        };
        let red = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
        let text = format!("{}. {} {text}", self.failures, self.symbols.error);
        let text = format!("  {}", self.paint(red, &text));
        self.line(&text);
    }

    fn request_line(&mut self, e: &Execution) {
        let Some(r) = &e.request else { return };
        let grey = Style::new().fg_color(Some(AnsiColor::BrightBlack.into()));
        let outcome = match (&e.response, &e.request_error) {
            (Some(resp), _) => self.paint(
                grey,
                &format!(
                    "[{} {}, {}, {}]",
                    resp.code,
                    resp.status,
                    format_bytes(resp.response_size),
                    format_ms(millis(resp.response_time))
                ),
            ),
            (None, Some(_)) => self.paint(
                Style::new().fg_color(Some(AnsiColor::Red.into())),
                "[errored]",
            ),
            (None, None) => String::new(),
        };
        let head = self.paint(grey, &format!("{} {}", r.method, r.url));
        let stamp = self.timestamp(false);
        self.line(format!("  {stamp}{head} {outcome}").trim_end());
        if !e.retries.is_empty() {
            let reasons: Vec<&str> = e.retries.iter().map(|r| r.reason.as_str()).collect();
            let label = if e.flaky() { "flaky: " } else { "" };
            let text = format!(
                "  {label}retried {} time(s) after {}",
                e.retries.len(),
                reasons.join(", ")
            );
            let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
            let text = self.paint(yellow, &text);
            self.line(&text);
        }
    }

    fn request_details(&mut self, r: &SentRequest) {
        self.line(&format!("    > {} {}", r.method, r.url));
        for (k, v) in &r.headers {
            self.line(&format!("    > {k}: {v}"));
        }
        if let Some(body) = &r.body {
            self.line("    >");
            for l in body_lines(body) {
                self.line(&format!("    > {l}"));
            }
        }
    }

    fn response_details(&mut self, r: &ReceivedResponse) {
        self.line(&format!("    < {} {}", r.code, r.status));
        for (k, v) in &r.headers {
            self.line(&format!("    < {k}: {v}"));
        }
        if !r.body.is_empty() {
            self.line("    <");
            for l in body_lines(&r.body) {
                self.line(&format!("    < {l}"));
            }
        }
    }

    fn console(&mut self, e: &Execution) {
        if e.console.is_empty() {
            return;
        }
        let s = self.symbols;
        self.line(&format!("  {}", s.console_top));
        for c in &e.console {
            let prefix = if c.level == "log" {
                String::new()
            } else {
                format!("{}: ", c.level)
            };
            for l in c.text.lines() {
                self.line(format!("  {} {prefix}{l}", s.console_line).trim_end());
            }
        }
        self.line(&format!("  {}", s.console_bottom));
    }

    fn rule(&mut self, left: &str, joint: &str, right: &str, widths: &[usize]) {
        let h = self.symbols.horizontal;
        let cells: Vec<String> = widths.iter().map(|w| h.repeat(*w)).collect();
        self.line(&format!("{left}{}{right}", cells.join(joint)));
    }

    fn summary_table(&mut self, summary: &RunSummary) {
        let s = self.symbols;
        let j = s.joints;
        let v = s.vertical;
        let stats = summary.stats();
        let times = ResponseStats::of(summary);
        let full_rows = [
            format!(
                "total run duration: {}",
                format_ms(millis(run_duration(summary)))
            ),
            format!(
                "total data received: {} (approx)",
                format_bytes(times.bytes)
            ),
            format!(
                "average response time: {} [min: {}, max: {}, s.d.: {}]",
                format_ms(times.response.average),
                format_ms(times.response.min),
                format_ms(times.response.max),
                format_ms(times.response.sd)
            ),
        ];
        let inner = full_rows
            .iter()
            .map(|r| r.chars().count() + 2)
            .chain([COLUMNS.iter().sum::<usize>() + 2])
            .max()
            .unwrap_or_default();
        let widths = [COLUMNS[0], COLUMNS[1], inner - 2 - COLUMNS[0] - COLUMNS[1]];
        let cell = |text: &str, width: usize| format!("{text:>w$} ", w = width - 1);

        self.rule(j[0], j[1], j[2], &widths);
        self.line(&format!(
            "{v}{}{v}{}{v}{}{v}",
            cell("", widths[0]),
            cell("executed", widths[1]),
            cell("failed", widths[2])
        ));
        let rows: [(&str, Count); 5] = [
            ("iterations", stats.iterations),
            ("requests", stats.requests),
            ("test-scripts", stats.test_scripts),
            ("prerequest-scripts", stats.prerequest_scripts),
            ("assertions", stats.assertions),
        ];
        for (label, count) in rows {
            self.rule(j[3], j[4], j[5], &widths);
            let colour = if count.failed > 0 {
                AnsiColor::Red
            } else {
                AnsiColor::Green
            };
            let label = self.paint(
                Style::new().fg_color(Some(colour.into())),
                &cell(label, widths[0]),
            );
            let failed = cell(&count.failed.to_string(), widths[2]);
            let failed = if count.failed > 0 {
                self.paint(Style::new().fg_color(Some(AnsiColor::Red.into())), &failed)
            } else {
                failed
            };
            self.line(&format!(
                "{v}{label}{v}{}{v}{failed}{v}",
                cell(&count.total.to_string(), widths[1])
            ));
        }
        for (i, text) in full_rows.iter().enumerate() {
            if i == 0 {
                self.rule(j[3], j[8], j[5], &widths);
            } else {
                self.rule(j[3], s.horizontal, j[5], &[inner]);
            }
            self.line(&format!("{v} {text:<w$}{v}", w = inner - 1));
        }
        self.rule(j[6], s.horizontal, j[7], &[inner]);
    }

    fn failure_list(&mut self, summary: &RunSummary, failures: &[Failure]) {
        let number_width = failures.len().to_string().len() + 1;
        let rows: Vec<(Vec<String>, Vec<String>)> =
            failures.iter().map(|f| failure_row(summary, f)).collect();
        let name_width = rows
            .iter()
            .flat_map(|(names, _)| names.iter().map(|n| n.chars().count()))
            .chain(["failure".len()])
            .max()
            .unwrap_or_default();
        let red = Style::new()
            .underline()
            .fg_color(Some(AnsiColor::Red.into()));
        let header = format!(
            " {}  {}  {}",
            self.paint(red, &format!("{:>number_width$}", "#")),
            self.paint(red, &format!("{:<name_width$}", "failure")),
            self.paint(red, "detail")
        );
        self.line(&header);
        for (i, (names, details)) in rows.iter().enumerate() {
            self.line("");
            let height = names.len().max(details.len());
            for k in 0..height {
                let number = if k == 0 {
                    format!("{}.", i + 1)
                } else {
                    String::new()
                };
                let name = names.get(k).map_or("", String::as_str);
                let detail = details.get(k).map_or("", String::as_str);
                let text = format!(" {number:>number_width$}  {name:<name_width$}  {detail}");
                self.line(text.trim_end());
            }
        }
    }
}

/// The failure and detail column lines of one failure.
fn failure_row(summary: &RunSummary, f: &Failure) -> (Vec<String>, Vec<String>) {
    let e = f.execution;
    let mut names = vec![f.name().to_string()];
    if summary.iterations > 1 {
        names.push(format!("iteration: {}", e.iteration + 1));
    }
    let mut details = Vec::new();
    if let FailureKind::Assertion(_, a) = f.kind {
        details.push(a.name.clone());
    }
    details.extend(f.message().lines().map(str::to_string));
    details.push(format!("at {}", f.at()));
    let mut inside = format!("inside \"{}\"", e.item_name);
    if let Some(parent) = e.folder_path.last() {
        inside.push_str(&format!(" of \"{parent}\""));
    }
    details.push(inside);
    (names, details)
}

/// A body for verbose output: text lines (cut after [`BODY_LIMIT`] bytes), or its size when binary.
fn body_lines(body: &[u8]) -> Vec<String> {
    let text = match std::str::from_utf8(body) {
        Ok(t) if !t.contains('\0') => t,
        _ => return vec![format!("<binary body, {}>", format_bytes(body.len()))],
    };
    let mut cut = text.len().min(BODY_LIMIT);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut lines: Vec<String> = text[..cut].lines().map(str::to_string).collect();
    if cut < text.len() {
        lines.push(format!("... ({} more)", format_bytes(text.len() - cut)));
    }
    lines
}

/// `512B`, `1.5kB`, `2.3MB` (base 1024, as Newman prints sizes).
pub(crate) fn format_bytes(n: usize) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n}B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}kB", n / 1024.0)
    } else {
        format!("{:.2}MB", n / (1024.0 * 1024.0))
    }
}

/// `35ms`, `1.2s`, `1m 5s` (pretty-ms style, as Newman prints times).
pub(crate) fn format_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{}ms", ms.round())
    } else if ms < 60_000.0 {
        format!("{:.1}s", ms / 1000.0)
    } else {
        let secs = (ms / 1000.0).round() as u64;
        format!("{}m {}s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_like_newman() {
        assert_eq!(format_bytes(512), "512B");
        assert_eq!(format_bytes(1536), "1.50kB");
        assert_eq!(format_ms(35.4), "35ms");
        assert_eq!(format_ms(1234.0), "1.2s");
        assert_eq!(format_ms(65_000.0), "1m 5s");
    }

    #[test]
    fn bodies_are_cut_and_binary_is_shown_as_size() {
        let long = "a".repeat(BODY_LIMIT + 10);
        let lines = body_lines(long.as_bytes());
        assert_eq!(lines.last().map(String::as_str), Some("... (10B more)"));
        assert_eq!(
            body_lines(&[0xff, 0xfe]),
            vec!["<binary body, 2B>".to_string()]
        );
        assert_eq!(body_lines(b"a\nb"), vec!["a".to_string(), "b".to_string()]);
    }
}
