//! Executes a planned run: iterations, items, variable resolution, auth, HTTP, bail and the
//! run timeout. Emits each finished execution to an observer and returns the summary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use crate::auth::SfSession;
use crate::auth::postman as postman_auth;
use crate::auth::postman_digest::DigestSessions;
use crate::auth::postman_oauth2::OAuth2Tokens;
use crate::collection::model::{Auth, Collection, Header, HeaderList, Request, UrlField};
use crate::error::Error;
use crate::http::call::{RequestError, SentRequest};
use crate::http::client::{ClientOptions, HttpClient};
use crate::http::spec::ProtocolSettings;
use crate::http::{build, url};
use crate::runner::plan::{self, PlannedItem};
use crate::runner::reauth;
use crate::runner::scripts::{Flow, ScriptContext, ScriptHost};
use crate::runner::summary::{ConsoleLine, Execution, RunSummary};
use crate::script::{Listen, PackageRoots, ScriptLimits};
use crate::secret::Redactor;
use crate::vars::{Scopes, VariableScope};

/// Everything a run needs, already loaded and validated.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The collection.
    pub collection: Option<Collection>,
    /// Environment scope (`-e`, `--env-var`).
    pub environment: VariableScope,
    /// Globals scope (`-g`, `--global-var`).
    pub globals: VariableScope,
    /// Iteration data rows (`-d`).
    pub data: Vec<Map<String, Value>>,
    /// `-n`; defaults to the number of data rows, or 1.
    pub iteration_count: Option<usize>,
    /// `--folder` selections.
    pub folders: Vec<String>,
    /// `--delay-request`: wait before every item.
    pub delay_request: Duration,
    /// `--timeout`: limit for the whole run.
    pub timeout: Option<Duration>,
    /// `--timeout-script`: limit for each script.
    pub script_timeout: Option<Duration>,
    /// `--bail`: stop after the first failing item.
    pub bail: bool,
    /// `--ignore-redirects`.
    pub ignore_redirects: bool,
    /// TLS, timeouts and host routing for HTTP.
    pub client: ClientOptions,
    /// Base for relative file paths (`--working-dir`); `pm.require('npm:...')` reads its
    /// `node_modules`.
    pub working_dir: PathBuf,
    /// Team packages for `pm.require` (`--package-dir`).
    pub package_dir: Option<PathBuf>,
    /// Secrets met during the run (auth credentials) are registered here for every output.
    pub redactor: Redactor,
    /// The Salesforce session (`--sf-*`): a 401 on a request that carried it logs in again once.
    pub reauth: Option<Arc<SfSession>>,
    /// Tokens Postman `oauth2` blocks fetched, per configuration, for the whole run.
    pub oauth2_tokens: OAuth2Tokens,
}

/// Receives run events as they happen (the CLI reporter prints them live).
pub trait RunObserver {
    /// An iteration begins (0-based).
    fn iteration_started(&mut self, _iteration: usize, _total: usize) {}
    /// An item finished.
    fn execution_finished(&mut self, _execution: &Execution) {}
}

/// An observer that ignores everything.
pub struct NoObserver;

impl RunObserver for NoObserver {}

/// The summary and the final state of the variable scopes (for exports).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// What happened.
    pub summary: RunSummary,
    /// Scopes after the run.
    pub scopes: Scopes,
}

/// Newman's message when `--timeout` expires.
const RUN_TIMEOUT_MESSAGE: &str = "callback timed out";

/// Runs the collection.
pub async fn run(opts: RunOptions, observer: &mut dyn RunObserver) -> Result<RunOutcome, Error> {
    let collection = opts
        .collection
        .clone()
        .ok_or_else(|| Error::Usage("no collection given".into()))?;
    let items =
        plan::select(&collection, &opts.folders).map_err(|e| Error::Usage(e.to_string()))?;
    let client = HttpClient::new(&opts.client).map_err(|e| Error::Usage(e.to_string()))?;
    let digest = DigestSessions::default();
    let iterations = opts
        .iteration_count
        .unwrap_or_else(|| opts.data.len().max(1));
    let mut scopes = Scopes {
        globals: opts.globals.clone(),
        collection: VariableScope::from_variables(collection.variable.clone().unwrap_or_default()),
        environment: opts.environment.clone(),
        ..Scopes::default()
    };
    let started = SystemTime::now();
    let deadline = opts.timeout.map(|t| Instant::now() + t);
    let mut executions = Vec::new();
    let mut run_error = None;
    let mut host = ScriptHost::new(ScriptLimits {
        timeout: opts.script_timeout,
        ..ScriptLimits::default()
    })
    .with_packages(PackageRoots {
        team_dir: opts.package_dir.clone(),
        node_modules: opts.working_dir.join("node_modules"),
    });
    'iterations: for iteration in 0..iterations {
        observer.iteration_started(iteration, iterations);
        scopes.data = opts
            .data
            .get(iteration.min(opts.data.len().saturating_sub(1)))
            .cloned()
            .unwrap_or_default();
        let mut position = 0;
        while let Some(item) = items.get(position) {
            if !opts.delay_request.is_zero() {
                tokio::time::sleep(opts.delay_request).await;
            }
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                run_error = Some(RUN_TIMEOUT_MESSAGE.to_string());
                break 'iterations;
            }
            let ctx = ScriptContext {
                item,
                iteration,
                iteration_count: iterations,
                collection_name: &collection.info.name,
                cookies: Vec::new(),
            };
            let step = execute(
                &opts,
                &client,
                &digest,
                &mut scopes,
                &mut host,
                &ctx,
                position,
            );
            let (execution, flow, replayed) = match remaining {
                Some(left) => match tokio::time::timeout(left, step).await {
                    Ok(done) => done,
                    Err(_) => {
                        run_error = Some(RUN_TIMEOUT_MESSAGE.to_string());
                        break 'iterations;
                    }
                },
                None => step.await,
            };
            observer.execution_finished(&execution);
            let failed = execution.failed();
            // Newman's summary lists an item whose request was replayed (digest) once per
            // request sent, as the same execution object.
            if replayed {
                executions.push(execution.clone());
            }
            executions.push(execution);
            if failed && opts.bail {
                break 'iterations;
            }
            position = match flow.next_request {
                None => position + 1,
                Some(None) => break,
                Some(Some(target)) => match find_next(&items, &target) {
                    Some(next) => next,
                    None => break,
                },
            };
        }
    }
    let summary = RunSummary {
        collection_name: collection.info.name.clone(),
        collection_id: collection.info.postman_id.clone(),
        started,
        completed: SystemTime::now(),
        iterations,
        executions,
        run_error,
    };
    Ok(RunOutcome { summary, scopes })
}

/// The item `setNextRequest(target)` names: ids first, then names (the last item of that name).
fn find_next(items: &[PlannedItem], target: &str) -> Option<usize> {
    items
        .iter()
        .position(|i| i.id == target)
        .or_else(|| items.iter().rposition(|i| i.name == target))
}

/// Resolves every string value inside a JSON value (not the keys).
pub(crate) fn resolve_value(scopes: &Scopes, value: &mut Value) {
    match value {
        Value::String(s) if s.contains("{{") => *s = scopes.resolve(s),
        Value::Array(list) => list.iter_mut().for_each(|v| resolve_value(scopes, v)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_value(scopes, v)),
        _ => {}
    }
}

fn resolved<T: serde::Serialize + serde::de::DeserializeOwned + Clone>(
    scopes: &Scopes,
    input: &T,
) -> T {
    match serde_json::to_value(input) {
        Ok(mut v) => {
            resolve_value(scopes, &mut v);
            serde_json::from_value(v).unwrap_or_else(|_| input.clone())
        }
        Err(_) => input.clone(),
    }
}

fn settings_for(opts: &RunOptions, item: &PlannedItem) -> ProtocolSettings {
    let mut settings = ProtocolSettings {
        follow_redirects: !opts.ignore_redirects,
        ..ProtocolSettings::default()
    };
    for layer in &item.protocol {
        settings.apply(layer);
    }
    settings
}

fn new_execution(item: &PlannedItem, iteration: usize, position: usize) -> Execution {
    Execution {
        id: uuid::Uuid::new_v4().to_string(),
        item_id: item.id.clone(),
        item_name: item.name.clone(),
        folder_path: item.folder_path.clone(),
        iteration,
        position,
        request: None,
        response: None,
        request_error: None,
        assertions: Vec::new(),
        script_errors: Vec::new(),
        console: Vec::new(),
        prerequest_scripts: 0,
        test_scripts: 0,
    }
}

async fn execute(
    opts: &RunOptions,
    client: &HttpClient,
    digest: &DigestSessions,
    scopes: &mut Scopes,
    host: &mut ScriptHost,
    ctx: &ScriptContext<'_>,
    position: usize,
) -> (Execution, Flow, bool) {
    let item = ctx.item;
    let mut execution = new_execution(item, ctx.iteration, position);
    let mut request = item.request.clone();
    prefetch_oauth2_token(opts, scopes, item, &mut request).await;
    let mut flow = host
        .run_phase(
            client,
            Listen::Prerequest,
            &item.prerequest,
            ctx,
            scopes,
            &mut request,
            None,
            &mut execution,
        )
        .await;
    if flow.skip_request {
        return (execution, flow, false);
    }
    let mut sent: Request = resolved(scopes, &request);
    // A variable name split across URL parts (`{{host.{{n}}}}` over host labels) only resolves
    // once the parts are joined, as postman-runtime resolves the URL string again.
    if let Some(u @ UrlField::Parts(_)) = &sent.url {
        let whole = url::assemble(u, &|s| s.to_string());
        if whole.contains("{{") {
            let again = scopes.resolve(&whole);
            if again != whole {
                sent.url = Some(UrlField::Raw(again));
            }
        }
    }
    let replayed = send_item(opts, client, digest, scopes, item, &sent, &mut execution).await;
    reauth::apply_refreshed(opts, scopes);
    if item.test.is_empty() {
        return (execution, flow, replayed);
    }
    if let Some(r) = &execution.request {
        sent.header = Some(HeaderList::List(sent_headers(r)));
    }
    let test_ctx = ScriptContext {
        cookies: execution
            .request
            .as_ref()
            .map(|r| client.cookies_for(&r.url))
            .unwrap_or_default(),
        ..*ctx
    };
    // The scripts read the response while they record into the execution: lend it out
    // rather than copy the body.
    let response = execution.response.take();
    let tests = host
        .run_phase(
            client,
            Listen::Test,
            &item.test,
            &test_ctx,
            scopes,
            &mut sent,
            response.as_ref(),
            &mut execution,
        )
        .await;
    execution.response = response;
    if tests.next_request.is_some() {
        flow.next_request = tests.next_request;
    }
    (execution, flow, replayed)
}

/// The headers test scripts see on `pm.request`: those sent (auth and system ones included),
/// plus `Host`, as postman-runtime records them.
fn sent_headers(sent: &SentRequest) -> Vec<Header> {
    let header = |key: &str, value: &str| Header {
        key: key.to_string(),
        value: Some(Value::String(value.to_string())),
        disabled: None,
        extra: Map::new(),
    };
    let mut out: Vec<Header> = sent.headers.iter().map(|(k, v)| header(k, v)).collect();
    let authority = sent
        .url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .map(|a| a.rsplit_once('@').map_or(a, |(_, h)| h));
    if let Some(host) = authority.filter(|h| !h.is_empty()) {
        if !sent
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            out.push(header("Host", host));
        }
    }
    out
}

/// An `oauth2` auth that fetches its own token gets it before the pre-request scripts run, as
/// in the Postman app (where the token is fetched in the Authorization tab), so scripts see it
/// through `pm.request.auth`. A failed fetch is reported when the request is sent.
async fn prefetch_oauth2_token(
    opts: &RunOptions,
    scopes: &Scopes,
    item: &PlannedItem,
    request: &mut Request,
) {
    let ancestors: Vec<Option<&Auth>> = item.ancestor_auth.iter().map(Option::as_ref).collect();
    let Some(auth) = postman_auth::effective(request.auth.as_ref(), &ancestors) else {
        return;
    };
    if auth.kind != "oauth2" {
        return;
    }
    let auth = resolved(scopes, auth);
    if let Ok(Some(filled)) = opts
        .oauth2_tokens
        .fill(&auth, &opts.client, &opts.redactor)
        .await
    {
        request.auth = Some(filled);
    }
}

/// Builds, authorises and sends one resolved request, recording the outcome.
async fn send_item(
    opts: &RunOptions,
    client: &HttpClient,
    digest_sessions: &DigestSessions,
    scopes: &Scopes,
    item: &PlannedItem,
    request: &Request,
    execution: &mut Execution,
) -> bool {
    let ancestors: Vec<Option<&Auth>> = item.ancestor_auth.iter().map(Option::as_ref).collect();
    let auth =
        postman_auth::effective(request.auth.as_ref(), &ancestors).map(|a| resolved(scopes, a));
    let built = build::build(request, settings_for(opts, item), &opts.working_dir);
    let mut spec = match built {
        Ok((spec, warnings)) => {
            execution
                .console
                .extend(warnings.into_iter().map(|text| ConsoleLine {
                    level: "warn".into(),
                    text,
                }));
            spec
        }
        Err(e) => {
            execution.request_error = Some(RequestError {
                code: "EINVALIDREQUEST".into(),
                message: format!("{}: {e}", item.path_display()),
            });
            return false;
        }
    };
    if let Some(auth) = &auth {
        for secret in postman_auth::secrets(auth) {
            opts.redactor.add(&secret);
        }
        if let Err(e) = postman_auth::authorize(
            &mut spec,
            auth,
            &opts.oauth2_tokens,
            &opts.client,
            &opts.redactor,
        )
        .await
        {
            execution.request_error = Some(RequestError {
                code: e.code().into(),
                message: format!("{}: {e}", item.path_display()),
            });
            return false;
        }
        // The credential as sent (e.g. base64 of `user:password`) is a secret too.
        if let Some((_, value)) = spec
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            opts.redactor
                .add(value.split_once(' ').map_or(value.as_str(), |(_, c)| c));
        }
    }
    let digest = auth.as_ref().filter(|a| a.kind == "digest");
    let owner = auth_owner(request.auth.as_ref(), &ancestors, item);
    if let Some(a) = digest {
        digest_sessions.sign(&mut spec, a, &owner);
    }
    let outcome = client.send(&spec).await;
    let mut outcome = reauth::resend_on_401(opts, client, &spec, outcome, execution).await;
    // Digest auth answers a 401 challenge by replaying the request once, signed.
    let replay = match (digest, &outcome.response) {
        (Some(a), Ok(r)) => digest_sessions.replay(&spec, a, &owner, r),
        _ => None,
    };
    let replayed = replay.is_some();
    if let Some(next) = replay {
        outcome = client.send(&next).await;
    }
    execution.request = Some(outcome.request);
    match outcome.response {
        Ok(r) => execution.response = Some(r),
        Err(e) => execution.request_error = Some(e),
    }
    replayed
}

/// Where the effective auth block lives: the request itself, or the folder (by path) or the
/// collection it was inherited from.
fn auth_owner(own: Option<&Auth>, ancestors: &[Option<&Auth>], item: &PlannedItem) -> String {
    let real = |a: &Option<&Auth>| a.is_some_and(|a| a.kind != "inherit" && !a.kind.is_empty());
    if real(&own) {
        return format!("item {}", item.id);
    }
    let index = ancestors.iter().position(real).unwrap_or(ancestors.len());
    let depth = ancestors.len().saturating_sub(1).saturating_sub(index);
    let path = item.folder_path.get(..depth).unwrap_or_default();
    format!("folder {}", path.join("\u{1f}"))
}
