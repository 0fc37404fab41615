//! `snapman check`: lists a collection's items and warns about undefined variables, script
//! syntax errors and features snapman does not support, without sending anything.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde_json::Value;

use super::run::load_inputs;
use crate::auth::postman::SUPPORTED;
use crate::cli::CheckArgs;
use crate::collection::load::LoadedCollection;
use crate::collection::model::{Auth, Request, UrlField};
use crate::context::RunContext;
use crate::error::{EXIT_FAILURES, EXIT_OK, Error};
use crate::runner::plan::{self, PlannedItem};
use crate::runner::scripts::ScriptHost;
use crate::script::ScriptLimits;
use crate::vars::{EnabledMode, Scopes, VariableScope};

/// Names that scripts set (`pm.environment.set('x', ..)`, `postman.setGlobalVariable("x", ..)`):
/// such variables are defined at run time even though no file defines them.
fn names_set_by_scripts(items: &[PlannedItem]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let markers = [".set(", "Variable("];
    for script in items
        .iter()
        .flat_map(|i| i.prerequest.iter().chain(&i.test))
    {
        for marker in markers {
            for (at, _) in script.match_indices(marker) {
                let rest = script[at + marker.len()..].trim_start();
                let Some(quote) = rest
                    .chars()
                    .next()
                    .filter(|c| matches!(c, '"' | '\'' | '`'))
                else {
                    continue;
                };
                if let Some(end) = rest[1..].find(quote) {
                    names.insert(rest[1..1 + end].to_string());
                }
            }
        }
    }
    names
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(list) => list.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn url_text(request: &Request) -> String {
    match &request.url {
        Some(UrlField::Raw(s)) => s.clone(),
        Some(UrlField::Parts(u)) => u.raw.clone().unwrap_or_default(),
        None => String::new(),
    }
}

/// What `check` found.
pub struct CheckReport {
    /// The report text: one line per item, then warnings, then a count.
    pub text: String,
    /// Scripts that do not compile (they will fail at run time).
    pub syntax_errors: usize,
}

/// Checks the collection against the given scopes without sending anything.
pub fn check(loaded: &LoadedCollection, scopes: &Scopes) -> CheckReport {
    let items = plan::flatten(&loaded.collection);
    let set_by_scripts = names_set_by_scripts(&items);
    let mut out = String::new();
    let mut warnings = Vec::new();
    let _ = writeln!(
        out,
        "{} ({} requests) from {}",
        loaded.collection.info.name,
        items.len(),
        loaded.path.display()
    );
    let mut host = ScriptHost::new(ScriptLimits::default());
    let mut syntax_errors = 0;
    for item in &items {
        let method = item.request.method.clone().unwrap_or_else(|| "GET".into());
        let _ = writeln!(
            out,
            "  {} {method} {}",
            item.path_display(),
            url_text(&item.request)
        );
        let phases = [("pre-request", &item.prerequest), ("test", &item.test)];
        for (phase, sources) in phases {
            for source in sources {
                if let Err(e) = host.check_syntax(source) {
                    syntax_errors += 1;
                    let at = match (e.line, e.column) {
                        (Some(l), Some(c)) => format!(" at {l}:{c}"),
                        (Some(l), None) => format!(" at line {l}"),
                        _ => String::new(),
                    };
                    warnings.push(format!(
                        "{}: {phase} script{at}: {}: {}",
                        item.path_display(),
                        e.name,
                        e.message
                    ));
                }
            }
        }
        let mut texts = Vec::new();
        if let Ok(v) = serde_json::to_value(&item.request) {
            strings(&v, &mut texts);
        }
        let ancestors: Vec<Option<&Auth>> = item.ancestor_auth.iter().map(Option::as_ref).collect();
        if let Some(auth) = crate::auth::postman::effective(item.request.auth.as_ref(), &ancestors)
        {
            if !SUPPORTED.contains(&auth.kind.as_str()) {
                warnings.push(format!(
                    "{}: auth type `{}` is not supported yet; this request will fail",
                    item.path_display(),
                    auth.kind
                ));
            }
            if let Ok(v) = serde_json::to_value(auth) {
                strings(&v, &mut texts);
            }
        }
        let missing: BTreeSet<String> = texts
            .iter()
            .flat_map(|t| scopes.unresolved(t))
            .filter(|name| !set_by_scripts.contains(name))
            .collect();
        for name in missing {
            warnings.push(format!(
                "{}: variable {{{{{name}}}}} is not defined in any given scope",
                item.path_display()
            ));
        }
    }
    for w in &warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let _ = writeln!(out, "{} items, {} warnings", items.len(), warnings.len());
    CheckReport {
        text: out,
        syntax_errors,
    }
}

/// `snapman check`: loads the inputs, prints the report; exit 1 when a script does not compile.
pub fn check_command(args: &CheckArgs, ctx: &RunContext) -> Result<u8, Error> {
    let inputs = load_inputs(&args.input, ctx, EnabledMode::App)?;
    let loaded = inputs.loaded;
    let scopes = Scopes {
        environment: inputs.environment,
        globals: inputs.globals,
        collection: VariableScope::from_variables(
            loaded.collection.variable.clone().unwrap_or_default(),
        ),
        data: inputs.data.into_iter().next().unwrap_or_default(),
        ..Scopes::default()
    };
    let report = check(&loaded, &scopes);
    print!("{}", report.text);
    Ok(if report.syntax_errors > 0 {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}
