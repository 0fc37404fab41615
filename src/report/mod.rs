//! Reporters: the terminal, JSON (Newman's summary shape), JUnit and HTML writers.

pub mod cli;
pub mod context;
pub mod html;
pub mod json;
pub mod junit;
pub mod mask;
pub mod newman;
pub mod progress;

pub use cli::{CliReporter, CliReporterOptions};
pub use context::ReportContext;
pub use html::{html_report, write_html};
pub use json::{json_report, write_json};
pub use junit::{junit_report, junit_xml, write_junit};
