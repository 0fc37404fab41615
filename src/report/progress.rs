//! The progress bar of `snapman run` on a terminal (indicatif, on stderr): shown from the start
//! for runs of more than one iteration, or once a run has taken more than a few seconds; never
//! when stderr is not a terminal or with `--silent`. The CLI reporter's lines are printed with
//! the bar lifted, so they never mix.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a single-iteration run goes before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(3);

/// A run's progress bar.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
    shown: bool,
}

impl Progress {
    /// A bar over `requests` requests of `iterations` iterations; `wanted` is false with
    /// `--silent`. Draws only on a terminal.
    pub fn new(requests: usize, iterations: usize, wanted: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(u64::try_from(requests).unwrap_or(u64::MAX)),
            ProgressDrawTarget::hidden(),
        );
        let style = ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} requests · {msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        let mut progress = Self {
            bar,
            started: Instant::now(),
            enabled: wanted && std::io::stderr().is_terminal(),
            shown: false,
        };
        if iterations > 1 {
            progress.show();
        }
        progress
    }

    fn show(&mut self) {
        if self.enabled && !self.shown {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
            self.shown = true;
        }
    }

    /// Whether the bar is drawn.
    pub fn is_shown(&self) -> bool {
        self.shown
    }

    /// A new iteration began (0-based).
    pub fn iteration(&mut self, iteration: usize, total: usize) {
        self.bar
            .set_message(format!("iteration {}/{total}", iteration + 1));
    }

    /// Runs `print` with the bar lifted (so printed lines do not mix with it), then counts one
    /// request done.
    pub fn request_done(&mut self, print: impl FnOnce()) {
        self.bar.suspend(print);
        self.bar.inc(1);
        if self.started.elapsed() > SHOW_AFTER {
            self.show();
        }
    }

    /// Runs `print` with the bar lifted, counting nothing.
    pub fn lifted(&mut self, print: impl FnOnce()) {
        self.bar.suspend(print);
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shown_when_not_wanted() {
        let mut p = Progress::new(10, 5, false);
        let mut printed = false;
        p.request_done(|| printed = true);
        assert!(printed && !p.is_shown());
        p.finish();
    }
}
