//! `snapman check`: lists a collection's items and warns about what will certainly fail at run
//! time, without sending anything: undefined variables, script syntax errors (each script once,
//! where it is written), `require` of modules snapman lacks, unsupported auth, empty methods and
//! URLs, items with neither a request nor items, and body files that do not exist.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::run::load_inputs;
use crate::auth::postman::SUPPORTED;
use crate::cli::CheckArgs;
use crate::collection::load::LoadedCollection;
use crate::collection::model::{Auth, Event, FormList, Item, Request, UrlField};
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
                if let Some(name) = leading_string_literal(&script[at + marker.len()..]) {
                    names.insert(name.to_string());
                }
            }
        }
    }
    names
}

/// The contents of the string literal (`'...'`, `"..."` or `` `...` ``) that `text` starts with,
/// after white space.
fn leading_string_literal(text: &str) -> Option<&str> {
    let rest = text.trim_start();
    let quote = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))?;
    rest[1..].find(quote).map(|end| &rest[1..1 + end])
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

/// The modules `require` finds in snapman's sandbox: the keys of the module table in the
/// engine's `core.js`, read from the source so the two cannot drift apart.
fn sandbox_modules() -> Vec<String> {
    let core = include_str!("../script/js/core.js");
    let Some(start) = core.find("var modules = {") else {
        return Vec::new();
    };
    let body = &core[start..];
    let end = body.find("\n    };").unwrap_or(body.len());
    body[..end]
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (key, _) = line.trim().split_once(':')?;
            let key = key.trim().trim_matches('\'').trim_matches('"');
            (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
        })
        .collect()
}

/// Newman's error for a request without a URL.
const REQUEST_URL_EMPTY: &str = "\"request url is empty\"";

/// Module names a script passes to `require('...')` (not `pm.require`).
fn required_modules(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in source.match_indices("require(") {
        if source[..at].ends_with('.') {
            continue;
        }
        if let Some(name) = leading_string_literal(&source[at + "require(".len()..]) {
            out.push(name.to_string());
        }
    }
    out
}

/// One script checked where it is written: `who` names the collection, folder or item.
fn check_event_scripts(
    events: Option<&Vec<Event>>,
    who: &str,
    host: &mut ScriptHost,
    modules: &[String],
    warnings: &mut Vec<String>,
) -> usize {
    let mut syntax_errors = 0;
    for event in events.into_iter().flatten() {
        let Some(source) = event.enabled_source() else {
            continue;
        };
        let phase = if event.listen == "prerequest" {
            "pre-request"
        } else {
            event.listen.as_str()
        };
        if let Err(e) = host.check_syntax(&source) {
            syntax_errors += 1;
            let at = match (e.line, e.column) {
                (Some(l), Some(c)) => format!(" at {l}:{c}"),
                (Some(l), None) => format!(" at line {l}"),
                _ => String::new(),
            };
            warnings.push(format!(
                "{who}: {phase} script{at}: {}: {}",
                e.name, e.message
            ));
        }
        for module in required_modules(&source) {
            if !modules.contains(&module) {
                warnings.push(format!(
                    "{who}: {phase} script requires `{module}`, which snapman's sandbox does not \
                     have; the script will fail at run time"
                ));
            }
        }
    }
    syntax_errors
}

/// Walks folders and items in order, checking each one's own scripts and (for items without a
/// request or items) its shape.
fn check_tree(
    items: &[Item],
    path: &mut Vec<String>,
    host: &mut ScriptHost,
    modules: &[String],
    warnings: &mut Vec<String>,
) -> usize {
    let mut syntax_errors = 0;
    for item in items {
        path.push(item.name.clone());
        let who = path.join(" › ");
        syntax_errors += check_event_scripts(item.event.as_ref(), &who, host, modules, warnings);
        match &item.item {
            Some(children) => {
                syntax_errors += check_tree(children, path, host, modules, warnings);
            }
            None if item.request.is_none() => warnings.push(format!(
                "{who}: has neither `request` nor `item`; it runs as a request with no URL and \
                 fails ({REQUEST_URL_EMPTY})"
            )),
            None => {}
        }
        path.pop();
    }
    syntax_errors
}

/// Body files of a request that do not exist (relative to `working_dir`).
fn missing_body_files(request: &Request, working_dir: &Path) -> Vec<String> {
    let Some(body) = &request.body else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let exists = |src: &str| working_dir.join(src).is_file();
    match body.mode.as_deref() {
        Some("file") => {
            if let Some(src) = body
                .file
                .as_ref()
                .and_then(|f| f.get("src"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty() && !exists(s))
            {
                out.push(format!(
                    "file body `{src}` does not exist; the request is sent with an empty body"
                ));
            }
        }
        Some("formdata") => {
            if let Some(FormList::List(params)) = &body.formdata {
                for p in params
                    .iter()
                    .filter(|p| p.disabled != Some(true) && p.kind.as_deref() == Some("file"))
                {
                    let srcs: Vec<&str> = match &p.src {
                        Some(Value::String(s)) if !s.is_empty() => vec![s.as_str()],
                        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                        _ => Vec::new(),
                    };
                    if srcs.is_empty() {
                        out.push(format!(
                            "form-data file `{}` has no file chosen; it is sent with an empty \
                             file name and no content",
                            p.key
                        ));
                    }
                    for src in srcs.into_iter().filter(|s| !exists(s)) {
                        out.push(format!(
                            "form-data file `{}` (`{src}`) does not exist; the part is left out",
                            p.key
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// Checks the collection against the given scopes without sending anything; body files are
/// looked for under `working_dir`.
pub fn check(loaded: &LoadedCollection, scopes: &Scopes, working_dir: &Path) -> CheckReport {
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
    let modules = sandbox_modules();
    let mut syntax_errors = check_event_scripts(
        loaded.collection.event.as_ref(),
        "collection",
        &mut host,
        &modules,
        &mut warnings,
    );
    syntax_errors += check_tree(
        &loaded.collection.item,
        &mut Vec::new(),
        &mut host,
        &modules,
        &mut warnings,
    );
    for item in &items {
        let method = item.request.method.clone().unwrap_or_else(|| "GET".into());
        let _ = writeln!(
            out,
            "  {} {method} {}",
            item.path_display(),
            url_text(&item.request)
        );
        if item
            .request
            .method
            .as_deref()
            .is_some_and(|m| m.trim().is_empty())
        {
            warnings.push(format!(
                "{}: the method is empty (sent as GET)",
                item.path_display()
            ));
        }
        let has_url = item.request.url.as_ref().is_some_and(|u| {
            !crate::http::url::assemble(u, &|s| s.to_string())
                .trim()
                .is_empty()
        });
        let already_said = warnings
            .iter()
            .any(|w| w.starts_with(&format!("{}: has neither", item.path_display())));
        if !has_url && !already_said {
            warnings.push(format!(
                "{}: the URL is empty; the request will fail ({REQUEST_URL_EMPTY})",
                item.path_display()
            ));
        }
        for problem in missing_body_files(&item.request, working_dir) {
            warnings.push(format!("{}: {problem}", item.path_display()));
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
    let report = check(&loaded, &scopes, &ctx.cwd);
    print!("{}", report.text);
    Ok(if report.syntax_errors > 0 {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_module_table_is_read_from_the_engine() {
        let modules = sandbox_modules();
        for name in ["lodash", "chai", "crypto-js", "moment", "uuid"] {
            assert!(modules.iter().any(|m| m == name), "{name}: {modules:?}");
        }
    }

    #[test]
    fn required_modules_skip_pm_require() {
        let src = "const a = require('lodash'); const b = require(\"fs\"); pm.require('@team/x');";
        assert_eq!(required_modules(src), ["lodash", "fs"]);
    }
}
