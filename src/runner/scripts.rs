//! Runs an item's pre-request and test scripts through the embedded engine, maps the run's
//! variable scopes to and from the engine's plain data, and serves `pm.sendRequest` through
//! snapman's HTTP layer on a side runtime (the run's own runtime is busy running the script).

use std::sync::mpsc;

use serde_json::Value;

use crate::collection::model::{Request, RequestField};
use crate::http::build;
use crate::http::call::ReceivedResponse;
use crate::http::client::{ClientOptions, HttpClient};
use crate::http::spec::ProtocolSettings;
use crate::runner::plan::PlannedItem;
use crate::runner::summary::{Execution, ScriptError};
use crate::script::{
    Listen, ScriptInput, ScriptLimits, ScriptOutput, ScriptResponse, ScriptRuntime, ScriptScopes,
};
use crate::vars::{Scopes, VariableScope};

/// What the scripts of one phase decided about the flow of the run.
#[derive(Debug, Default, Clone)]
pub struct Flow {
    /// `setNextRequest`: `Some(None)` stops the iteration, `Some(Some(x))` jumps to `x`.
    pub next_request: Option<Option<String>>,
    /// `pm.execution.skipRequest()` was called in a pre-request script.
    pub skip_request: bool,
}

/// The run's script engine (created on first use) and the side channel for `pm.sendRequest`.
pub struct ScriptHost {
    limits: ScriptLimits,
    engine: Option<ScriptRuntime>,
    side: Option<SideHttp>,
    client_options: ClientOptions,
}

/// A second runtime and client that serve `pm.sendRequest` while the run's runtime is blocked.
struct SideHttp {
    runtime: tokio::runtime::Runtime,
    client: std::sync::Arc<HttpClient>,
}

/// Facts about the run that every script sees (`pm.info`, `pm.environment.name`, ...).
pub struct ScriptContext<'a> {
    /// The item being run.
    pub item: &'a PlannedItem,
    /// 0-based iteration.
    pub iteration: usize,
    /// Total iterations.
    pub iteration_count: usize,
    /// Collection name.
    pub collection_name: &'a str,
    /// The cookie jar's cookies for the request URL (`pm.cookies`, `responseCookies`).
    pub cookies: Vec<(String, String)>,
}

impl ScriptHost {
    /// A host that creates its engine lazily, with these limits.
    pub fn new(limits: ScriptLimits, client_options: ClientOptions) -> Self {
        ScriptHost {
            limits,
            engine: None,
            side: None,
            client_options,
        }
    }

    fn engine(&mut self) -> Result<&mut ScriptRuntime, String> {
        if self.engine.is_none() {
            self.engine = Some(ScriptRuntime::new(self.limits).map_err(|e| e.to_string())?);
        }
        self.engine
            .as_mut()
            .ok_or_else(|| "script engine unavailable".to_string())
    }

    /// Runs `sources` in order for one phase, applying each script's effects before the next.
    /// `request` is the request scripts see (and, before the request, may change).
    #[expect(
        clippy::too_many_arguments,
        reason = "a phase reads and writes each of these run parts; bundling them would only rename them"
    )]
    pub fn run_phase(
        &mut self,
        listen: Listen,
        sources: &[String],
        ctx: &ScriptContext<'_>,
        scopes: &mut Scopes,
        request: &mut Request,
        response: Option<&ReceivedResponse>,
        execution: &mut Execution,
    ) -> Flow {
        let mut flow = Flow::default();
        if sources.is_empty() {
            return flow;
        }
        let script_response = response.map(to_script_response);
        let client_options = self.client_options.clone();
        for source in sources {
            let input = ScriptInput {
                listen,
                source: source.clone(),
                item_id: ctx.item.id.clone(),
                item_name: ctx.item.name.clone(),
                item_path: ctx.item.folder_path.clone(),
                iteration: ctx.iteration,
                iteration_count: ctx.iteration_count,
                collection_name: ctx.collection_name.to_string(),
                environment_name: scopes.environment.name.clone(),
                request: serde_json::to_value(&*request).unwrap_or(Value::Null),
                response: script_response.clone(),
                variables: to_script_scopes(scopes),
                cookies: ctx.cookies.clone(),
            };
            if let Err(message) = self.engine() {
                execution.script_errors.push(ScriptError {
                    listen: listen.as_str().to_string(),
                    name: "EngineError".into(),
                    message,
                    line: None,
                    column: None,
                });
                return flow;
            }
            let side = &mut self.side;
            let current: &Scopes = scopes;
            let mut send = |req: Value| send_request(side, &client_options, current, req);
            let output = match self.engine.as_mut() {
                Some(engine) => engine.run(&input, &mut send),
                None => return flow,
            };
            apply(output, listen, scopes, request, execution, &mut flow);
        }
        flow
    }

    /// Syntax check of one script, for `snapman check`.
    pub fn check_syntax(&mut self, source: &str) -> Result<(), ScriptError> {
        match self.engine() {
            Ok(engine) => engine.check_syntax(source),
            Err(message) => Err(ScriptError {
                listen: String::new(),
                name: "EngineError".into(),
                message,
                line: None,
                column: None,
            }),
        }
    }
}

fn apply(
    output: ScriptOutput,
    listen: Listen,
    scopes: &mut Scopes,
    request: &mut Request,
    execution: &mut Execution,
    flow: &mut Flow,
) {
    from_script_scopes(scopes, output.variables);
    if listen == Listen::Prerequest
        && let Ok(changed) = serde_json::from_value::<Request>(output.request)
    {
        *request = changed;
    }
    execution.assertions.extend(output.assertions);
    execution.console.extend(output.console);
    if let Some(mut error) = output.error {
        error.listen = listen.as_str().to_string();
        execution.script_errors.push(error);
    }
    if output.next_request.is_some() {
        flow.next_request = output.next_request;
    }
    flow.skip_request |= output.skip_request;
}

fn enabled_pairs(scope: &VariableScope) -> Vec<(String, Value)> {
    scope
        .keys()
        .into_iter()
        .map(|k| {
            let v = scope.get(&k).cloned().unwrap_or(Value::Null);
            (k, v)
        })
        .collect()
}

/// The run's scopes as the engine's plain data.
pub fn to_script_scopes(scopes: &Scopes) -> ScriptScopes {
    ScriptScopes {
        globals: enabled_pairs(&scopes.globals),
        collection: enabled_pairs(&scopes.collection),
        environment: enabled_pairs(&scopes.environment),
        data: scopes.data.clone(),
        local: enabled_pairs(&scopes.local),
    }
}

/// Makes `scope` hold exactly `pairs` (sets changed values, unsets removed keys).
fn sync_scope(scope: &mut VariableScope, pairs: Vec<(String, Value)>) {
    let keep: std::collections::HashSet<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    for gone in scope
        .keys()
        .into_iter()
        .filter(|k| !keep.contains(k.as_str()))
    {
        scope.unset(&gone);
    }
    for (k, v) in pairs {
        if scope.get(&k) != Some(&v) {
            scope.set(&k, v);
        }
    }
}

/// Applies the engine's scopes back to the run's.
pub fn from_script_scopes(scopes: &mut Scopes, out: ScriptScopes) {
    sync_scope(&mut scopes.globals, out.globals);
    sync_scope(&mut scopes.collection, out.collection);
    sync_scope(&mut scopes.environment, out.environment);
    sync_scope(&mut scopes.local, out.local);
    scopes.data = out.data;
}

fn to_script_response(r: &ReceivedResponse) -> ScriptResponse {
    ScriptResponse {
        code: r.code,
        status: r.status.clone(),
        headers: r.headers.clone(),
        body: r.body.clone(),
        response_time_ms: u64::try_from(r.response_time.as_millis()).unwrap_or(u64::MAX),
        response_size: r.response_size,
    }
}

/// `pm.sendRequest`: builds the request (a URL string or a request object), sends it on the
/// side runtime and waits for the answer.
fn send_request(
    side: &mut Option<SideHttp>,
    options: &ClientOptions,
    scopes: &Scopes,
    request: Value,
) -> Result<ScriptResponse, String> {
    let field: RequestField =
        serde_json::from_value(request).map_err(|e| format!("invalid request: {e}"))?;
    let mut req = field.to_request();
    if let Ok(mut v) = serde_json::to_value(&req) {
        super::run::resolve_value(scopes, &mut v);
        if let Ok(r) = serde_json::from_value(v) {
            req = r;
        }
    }
    let (mut spec, _) = build::build(&req, ProtocolSettings::default(), std::path::Path::new("."))
        .map_err(|e| e.to_string())?;
    if let Some(auth) = &req.auth {
        crate::auth::postman::apply(&mut spec, auth).map_err(|e| e.to_string())?;
    }
    if side.is_none() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let client = HttpClient::new(options).map_err(|e| e.to_string())?;
        *side = Some(SideHttp {
            runtime,
            client: std::sync::Arc::new(client),
        });
    }
    let side = side.as_ref().ok_or("no side runtime")?;
    let (tx, rx) = mpsc::channel();
    let client = std::sync::Arc::clone(&side.client);
    side.runtime.spawn(async move {
        let outcome = client.send(&spec).await;
        let _ = tx.send(outcome.response);
    });
    match rx.recv() {
        Ok(Ok(r)) => Ok(to_script_response(&r)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("pm.sendRequest was interrupted".to_string()),
    }
}
