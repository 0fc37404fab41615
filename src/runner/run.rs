//! Executes a planned run: iterations (one after the other, or `--parallel N` at a time, in
//! this shard's `--partition`), items, variable resolution, auth, HTTP, bail and the run
//! timeout. Emits each finished execution to an observer, in order, and returns the summary.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use crate::auth::SfSession;
use crate::auth::postman as postman_auth;
use crate::auth::postman_digest::DigestSessions;
use crate::auth::postman_oauth2::OAuth2Tokens;
use crate::collection::model::{
    Auth, Body, Collection, FormList, FormParam, Header, HeaderList, Request, UrlField,
};
use crate::error::Error;
use crate::http::call::{RequestError, SentRequest};
use crate::http::client::{ClientOptions, HttpClient};
use crate::http::spec::ProtocolSettings;
use crate::http::{build, url};
use crate::interrupt::Interrupt;
use crate::runner::learn;
use crate::runner::partition::Partition;
use crate::runner::plan::{self, PlannedItem};
use crate::runner::scripts::{Flow, ScriptContext, ScriptHost};
use crate::runner::summary::{ConsoleLine, Execution, Retention, RunSummary};
use crate::runner::{reauth, retry};
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
    /// `--retries`: how many times a request that could not connect or got 429/502/503/504 is
    /// sent again.
    pub retries: u32,
    /// `--retry-backoff`: the first retry's longest wait (doubling each time, with jitter).
    pub retry_backoff: Duration,
    /// SIGINT/SIGTERM: once triggered, no new request starts and the one in flight is cancelled.
    pub interrupt: Option<Arc<Interrupt>>,
    /// `--parallel`: iterations in flight at once (0 or 1: one after the other).
    pub parallel: usize,
    /// `--partition`: run only this shard's share of the iterations.
    pub partition: Option<Partition>,
    /// `--no-insecure-file-read`: body and form files only from inside the working directory.
    pub secure_file_read: bool,
    /// What the summary keeps of each execution after the observer has seen it.
    pub retention: Retention,
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

/// What the iterations of a run share.
struct Shared<'a> {
    opts: &'a RunOptions,
    client: &'a HttpClient,
    digest: &'a DigestSessions,
    items: &'a [PlannedItem],
    collection_name: &'a str,
    iterations: usize,
    deadline: Option<Instant>,
}

/// Why an iteration stopped the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// `--bail` after a failure.
    Bail,
    /// `--timeout` expired.
    Timeout,
    /// SIGINT or SIGTERM.
    Interrupted,
}

/// Where an iteration hands each finished execution: straight to the observer and the summary
/// (one iteration at a time), or into the iteration's own list (`--parallel`, reported in
/// iteration order once it is done).
enum Sink<'a> {
    /// Report and record at once.
    Live {
        observer: &'a mut dyn RunObserver,
        summary: &'a mut RunSummary,
    },
    /// Keep for later, each with whether its request was replayed.
    Buffered(Vec<(Execution, bool)>),
}

impl Sink<'_> {
    /// Hands on a finished execution. Newman's summary lists an item whose request was replayed
    /// (digest, NTLM) once per request sent, as the same execution object; the observer sees
    /// it once.
    fn push(&mut self, execution: Execution, replayed: bool) {
        match self {
            Sink::Live { observer, summary } => {
                observer.execution_finished(&execution);
                if replayed {
                    summary.record(execution.clone());
                }
                summary.record(execution);
            }
            Sink::Buffered(list) => list.push((execution, replayed)),
        }
    }
}

/// Runs the collection: iterations one after the other, or `--parallel N` at a time.
pub async fn run(opts: RunOptions, observer: &mut dyn RunObserver) -> Result<RunOutcome, Error> {
    let collection = opts
        .collection
        .clone()
        .ok_or_else(|| Error::Usage("no collection given".into()))?;
    let iterations = opts
        .iteration_count
        .unwrap_or_else(|| opts.data.len().max(1));
    let items = plan_items(&opts, &collection, iterations)?;
    let client = HttpClient::new(&opts.client).map_err(|e| Error::Usage(e.to_string()))?;
    let digest = DigestSessions::default();
    let mut scopes = Scopes {
        globals: opts.globals.clone(),
        collection: VariableScope::from_variables(collection.variable.clone().unwrap_or_default()),
        environment: opts.environment.clone(),
        ..Scopes::default()
    };
    learn::learn_scopes(&opts.redactor, &scopes);
    for row in &opts.data {
        learn::learn_row(&opts.redactor, row);
    }
    let mut summary = RunSummary::new(
        &collection.info.name,
        collection.info.postman_id.clone(),
        SystemTime::now(),
        opts.retention,
    );
    summary.iterations = iterations;
    let shared = Shared {
        opts: &opts,
        client: &client,
        digest: &digest,
        items: &items,
        collection_name: &collection.info.name,
        iterations,
        deadline: opts.timeout.map(|t| Instant::now() + t),
    };
    let selected: Vec<usize> = (0..iterations)
        .filter(|i| {
            opts.partition
                .is_none_or(|p| p.keeps_iteration(*i, iterations))
        })
        .collect();
    let mut stop = None;
    if opts.parallel > 1 && selected.len() > 1 {
        stop = run_parallel(&shared, &selected, &mut scopes, observer, &mut summary).await;
    } else {
        let hosts = ScriptHosts::new(&opts);
        for &iteration in &selected {
            observer.iteration_started(iteration, iterations);
            scopes.data = data_row(&opts, iteration);
            let mut sink = Sink::Live {
                observer: &mut *observer,
                summary: &mut summary,
            };
            stop = run_iteration(&shared, iteration, &mut scopes, &hosts, &mut sink).await;
            if stop.is_some() {
                break;
            }
        }
    }
    summary.completed = SystemTime::now();
    summary.run_error = match stop {
        Some(Stop::Timeout) => Some(RUN_TIMEOUT_MESSAGE.to_string()),
        Some(Stop::Interrupted) => opts.interrupt.as_ref().map(|i| i.message()),
        Some(Stop::Bail) | None => None,
    };
    Ok(RunOutcome { summary, scopes })
}

/// The items a run sends: `--folder`'s selection, then `--partition`'s share of it when the run
/// is split by top-level entry.
pub fn plan_items(
    opts: &RunOptions,
    collection: &Collection,
    iterations: usize,
) -> Result<Vec<PlannedItem>, Error> {
    let items = plan::select(collection, &opts.folders).map_err(|e| Error::Usage(e.to_string()))?;
    Ok(match opts.partition {
        Some(p) => p.select_items(items, iterations),
        None => items,
    })
}

/// The run's script engines. A script phase takes one for as long as it runs (its
/// `pm.sendRequest` waits included) and gives it back: scripts that never wait all run on one
/// engine, as in a sequential run, and `--parallel` iterations whose scripts overlap in a wait
/// start more (each engine is a QuickJS runtime with the prelude loaded, 2 MB and a few ms).
struct ScriptHosts<'a> {
    opts: &'a RunOptions,
    idle: RefCell<Vec<ScriptHost>>,
}

impl<'a> ScriptHosts<'a> {
    fn new(opts: &'a RunOptions) -> Self {
        ScriptHosts {
            opts,
            idle: RefCell::new(Vec::new()),
        }
    }

    /// The engine used last, or a new one when all are busy.
    fn take(&self) -> ScriptHost {
        self.idle.borrow_mut().pop().unwrap_or_else(|| {
            ScriptHost::new(ScriptLimits {
                timeout: self.opts.script_timeout,
                ..ScriptLimits::default()
            })
            .with_packages(PackageRoots {
                team_dir: self.opts.package_dir.clone(),
                node_modules: self.opts.working_dir.join("node_modules"),
            })
        })
    }

    fn put(&self, host: ScriptHost) {
        self.idle.borrow_mut().push(host);
    }
}

/// The data row of `iteration` (the last row again when there are more iterations than rows).
fn data_row(opts: &RunOptions, iteration: usize) -> Map<String, Value> {
    opts.data
        .get(iteration.min(opts.data.len().saturating_sub(1)))
        .cloned()
        .unwrap_or_default()
}

/// `--parallel N`: up to N iterations in flight at once on this thread (their network waits
/// overlap; scripts run one at a time). Each iteration starts from the scopes as they were
/// before the run and keeps its variable writes to itself; its requests run in order.
/// Iterations are reported in order, each once it and those before it are done; `scopes` ends
/// as the last iteration left it.
async fn run_parallel(
    shared: &Shared<'_>,
    selected: &[usize],
    scopes: &mut Scopes,
    observer: &mut dyn RunObserver,
    summary: &mut RunSummary,
) -> Option<Stop> {
    use futures_util::StreamExt as _;

    let initial = scopes.clone();
    let hosts = ScriptHosts::new(shared.opts);
    let stopped = std::cell::Cell::new(false);
    let mut results = futures_util::stream::iter(selected.iter().copied())
        .map(|iteration| {
            let mut own = initial.clone();
            own.data = data_row(shared.opts, iteration);
            let hosts = &hosts;
            let stopped = &stopped;
            async move {
                if stopped.get() {
                    return (iteration, own, None);
                }
                let mut sink = Sink::Buffered(Vec::new());
                let stop = run_iteration(shared, iteration, &mut own, hosts, &mut sink).await;
                if stop.is_some() {
                    stopped.set(true);
                }
                (iteration, own, Some((sink, stop)))
            }
        })
        .buffered(shared.opts.parallel);
    while let Some((iteration, own, outcome)) = results.next().await {
        let Some((Sink::Buffered(executions), stop)) = outcome else {
            break;
        };
        observer.iteration_started(iteration, shared.iterations);
        let mut live = Sink::Live {
            observer: &mut *observer,
            summary: &mut *summary,
        };
        for (e, replayed) in executions {
            live.push(e, replayed);
        }
        *scopes = own;
        if stop.is_some() {
            return stop;
        }
    }
    None
}

/// Runs the items of one iteration in order (following `setNextRequest`), handing each
/// execution to `sink` as it finishes; returns why the run must stop, if it must.
async fn run_iteration(
    shared: &Shared<'_>,
    iteration: usize,
    scopes: &mut Scopes,
    hosts: &ScriptHosts<'_>,
    sink: &mut Sink<'_>,
) -> Option<Stop> {
    let opts = shared.opts;
    let items = shared.items;
    let mut position = 0;
    while let Some(item) = items.get(position) {
        if !opts.delay_request.is_zero() {
            tokio::time::sleep(opts.delay_request).await;
        }
        if opts
            .interrupt
            .as_ref()
            .is_some_and(|i| i.signal().is_some())
        {
            return Some(Stop::Interrupted);
        }
        let remaining = shared
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        if remaining == Some(Duration::ZERO) {
            return Some(Stop::Timeout);
        }
        let ctx = ScriptContext {
            item,
            iteration,
            iteration_count: shared.iterations,
            collection_name: shared.collection_name,
            cookies: Vec::new(),
        };
        let step = execute(
            opts,
            shared.client,
            shared.digest,
            scopes,
            hosts,
            &ctx,
            position,
        );
        let step = async {
            match remaining {
                Some(left) => tokio::time::timeout(left, step)
                    .await
                    .map_err(|_| Stop::Timeout),
                None => Ok(step.await),
            }
        };
        // A stop request cancels the item in flight (dropping its request).
        let done = match &opts.interrupt {
            Some(i) => tokio::select! {
                done = step => done,
                () = i.wait() => Err(Stop::Interrupted),
            },
            None => step.await,
        };
        let (execution, flow, replayed) = match done {
            Ok(done) => done,
            Err(stop) => return Some(stop),
        };
        learn::learn_execution(&opts.redactor, &execution, scopes);
        let failed = execution.failed();
        sink.push(execution, replayed);
        if failed && opts.bail {
            return Some(Stop::Bail);
        }
        position = match flow.next_request {
            None => position + 1,
            Some(None) => break,
            Some(Some(target)) => match find_next(items, &target) {
                Some(next) => next,
                None => break,
            },
        };
    }
    None
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

/// A copy of `input` (a request, an auth block) with every `{{var}}` in its string values
/// resolved, as it is sent; `input` unchanged when it does not round-trip through JSON.
pub fn resolved<T: serde::Serialize + serde::de::DeserializeOwned + Clone>(
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
        secure_file_read: opts.secure_file_read,
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
        // Newman counts every enabled event on the way, run or empty.
        prerequest_scripts: item.prerequest_events,
        test_scripts: item.test_events,
        retries: Vec::new(),
        started: Some(SystemTime::now()),
    }
}

async fn execute(
    opts: &RunOptions,
    client: &HttpClient,
    digest: &DigestSessions,
    scopes: &mut Scopes,
    hosts: &ScriptHosts<'_>,
    ctx: &ScriptContext<'_>,
    position: usize,
) -> (Execution, Flow, bool) {
    let item = ctx.item;
    let mut execution = new_execution(item, ctx.iteration, position);
    let mut request = item.request.clone();
    prefetch_oauth2_token(opts, scopes, item, &mut request).await;
    let mut host = hosts.take();
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
    hosts.put(host);
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
    let mut host = hosts.take();
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
    hosts.put(host);
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
        match postman_auth::authorize(
            &mut spec,
            auth,
            &opts.oauth2_tokens,
            &opts.client,
            &opts.redactor,
        )
        .await
        {
            Ok(warning) => execution.console.extend(warning.map(|text| ConsoleLine {
                level: "warn".into(),
                text,
            })),
            Err(e) => {
                execution.request_error = Some(RequestError {
                    code: e.code().into(),
                    message: format!("{}: {e}", item.path_display()),
                });
                return false;
            }
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
    let outcome = retry::send_retrying(
        client,
        &spec,
        opts.retries,
        opts.retry_backoff,
        &mut execution.retries,
    )
    .await;
    let mut outcome = reauth::resend_on_401(opts, client, &spec, outcome, execution).await;
    // Digest auth answers a 401 challenge by replaying the request once, signed.
    let replay = match (digest, &outcome.response) {
        (Some(a), Ok(r)) => digest_sessions.replay(&spec, a, &owner, r),
        _ => None,
    };
    let mut replayed = replay.is_some();
    if let Some(next) = replay {
        outcome = client.send(&next).await;
    }
    // NTLM answers a 401 offering it with the negotiate and authenticate messages.
    if let Some(a) = auth.as_ref().filter(|a| a.kind == "ntlm") {
        let (last, replays, warning) =
            crate::auth::postman_ntlm::handshake(client, &spec, a, outcome).await;
        outcome = last;
        replayed |= replays > 0;
        execution.console.extend(warning.map(|text| ConsoleLine {
            level: "warn".into(),
            text,
        }));
    }
    execution.request = Some(SentRequest {
        definition: request.body.as_ref().map(reported_body),
        ..outcome.request
    });
    match outcome.response {
        Ok(r) => {
            if let Some(size) = r.truncated_from {
                execution.console.push(ConsoleLine {
                    level: "warn".into(),
                    text: format!(
                        "response body truncated by --max-body-size: {size} bytes received, the \
                         first {} kept",
                        r.body.len()
                    ),
                });
            }
            execution.response = Some(r);
        }
        Err(e) => execution.request_error = Some(e),
    }
    replayed
}

/// The definition of a sent body that reports show (see [`SentRequest::definition`]): form
/// fields as the Postman SDK reads them (a urlencoded string as its fields, a urlencoded field
/// as `key`, `value` and `disabled` only, a formdata string as no fields), without the raw text.
fn reported_body(body: &Body) -> Body {
    let query_param = |p: FormParam| FormParam {
        key: p.key,
        value: p.value,
        disabled: p.disabled,
        ..FormParam::default()
    };
    Body {
        mode: body.mode.clone(),
        raw: None,
        urlencoded: body
            .urlencoded
            .as_ref()
            .map(|list| FormList::List(list.params().into_iter().map(query_param).collect())),
        formdata: body.formdata.as_ref().map(|list| match list {
            FormList::List(fields) => FormList::List(fields.clone()),
            FormList::Text(_) => FormList::List(Vec::new()),
        }),
        file: body.file.clone(),
        graphql: body.graphql.clone(),
        options: body.options.clone(),
        disabled: body.disabled,
        extra: body.extra.clone(),
    }
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
