//! Runs an item's pre-request and test scripts through the embedded engine, maps the run's
//! variable scopes to and from the engine's plain data, and serves `pm.sendRequest` through
//! the run's own HTTP client, awaited on the run's own runtime.

use serde_json::Value;

use crate::collection::model::{Request, RequestField};
use crate::http::build;
use crate::http::call::ReceivedResponse;
use crate::http::client::HttpClient;
use crate::http::spec::ProtocolSettings;
use crate::runner::plan::PlannedItem;
use crate::runner::summary::{Execution, ScriptError};
use crate::script::{
    JarCall, Listen, PackageRoots, ScriptInput, ScriptIo, ScriptLimits, ScriptOutput,
    ScriptResponse, ScriptRuntime, ScriptScopes,
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

/// The run's script engine, created on first use.
pub struct ScriptHost {
    limits: ScriptLimits,
    packages: Option<PackageRoots>,
    engine: Option<ScriptRuntime>,
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
    pub fn new(limits: ScriptLimits) -> Self {
        ScriptHost {
            limits,
            packages: None,
            engine: None,
        }
    }

    /// Where `pm.require` finds packages.
    pub fn with_packages(mut self, roots: PackageRoots) -> Self {
        self.packages = Some(roots);
        self
    }

    fn engine(&mut self) -> Result<&mut ScriptRuntime, String> {
        if self.engine.is_none() {
            let mut engine = ScriptRuntime::new(self.limits).map_err(|e| e.to_string())?;
            if let Some(roots) = self.packages.clone() {
                engine = engine.with_packages(roots).map_err(|e| e.to_string())?;
            }
            self.engine = Some(engine);
        }
        self.engine
            .as_mut()
            .ok_or_else(|| "script engine unavailable".to_string())
    }

    /// Runs `sources` in order for one phase, applying each script's effects before the next.
    /// `request` is the request scripts see (and, before the request, may change);
    /// `pm.sendRequest` goes through `client`, the run's (its cookie jar included, as Newman's).
    #[expect(
        clippy::too_many_arguments,
        reason = "a phase reads and writes each of these run parts; bundling them would only rename them"
    )]
    pub async fn run_phase(
        &mut self,
        client: &HttpClient,
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
        for source in sources {
            let input = ScriptInput {
                listen,
                source: source.clone(),
                item_id: ctx.item.id.clone(),
                item_name: ctx.item.name.clone(),
                item_path: std::iter::once(ctx.collection_name)
                    .chain(ctx.item.folder_path.iter().map(String::as_str))
                    .chain(std::iter::once(ctx.item.name.as_str()))
                    .map(str::to_owned)
                    .collect(),
                iteration: ctx.iteration,
                iteration_count: ctx.iteration_count,
                collection_name: ctx.collection_name.to_string(),
                environment_name: scopes.environment.name.clone(),
                request: serde_json::to_string(&*request).unwrap_or_default(),
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
            let mut io = RunIo {
                client,
                scopes: &*scopes,
            };
            let output = match self.engine.as_mut() {
                Some(engine) => engine.run(&input, &mut io).await,
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
        && let Some(changed) = output.request
        && let Ok(changed) = serde_json::from_value::<Request>(changed)
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

/// `pm.sendRequest` and `pm.cookies.jar()` through the run's client and its cookie jar, with the
/// scopes as they were when the script began.
struct RunIo<'a> {
    client: &'a HttpClient,
    scopes: &'a Scopes,
}

impl ScriptIo for RunIo<'_> {
    /// Builds the request (a URL string or a request object) and sends it.
    async fn send(&mut self, request: Value) -> Result<ScriptResponse, String> {
        let field: RequestField =
            serde_json::from_value(request).map_err(|e| format!("invalid request: {e}"))?;
        let mut req = field.to_request();
        if let Ok(mut v) = serde_json::to_value(&req) {
            super::run::resolve_value(self.scopes, &mut v);
            if let Ok(r) = serde_json::from_value(v) {
                req = r;
            }
        }
        let (mut spec, _) =
            build::build(&req, ProtocolSettings::default(), std::path::Path::new("."))
                .map_err(|e| e.to_string())?;
        if let Some(auth) = &req.auth {
            crate::auth::postman::apply(&mut spec, auth).map_err(|e| e.to_string())?;
        }
        match self.client.send(&spec).await.response {
            Ok(r) => {
                // A token a script fetches is a secret wherever it later appears. (The item's
                // own response is learnt with its execution, before anything is written.)
                crate::secret::Redactor::global().learn_body(&r.body);
                Ok(to_script_response(&r))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn cookie_jar(&mut self, call: JarCall) -> Result<Value, String> {
        let (JarCall::Get { url, .. }
        | JarCall::GetAll { url }
        | JarCall::Set { url, .. }
        | JarCall::Unset { url, .. }
        | JarCall::Clear { url }) = &call;
        let url = url::Url::parse(url).map_err(|e| format!("invalid URL {url}: {e}"))?;
        let jar = self.client.jar();
        let value = match call {
            JarCall::Get { name, .. } => {
                return Ok(jar.get(&url, &name).map_or(Value::Null, Value::String));
            }
            JarCall::GetAll { .. } => serde_json::to_value(jar.get_all(&url)),
            JarCall::Set { cookie, .. } => serde_json::to_value(jar.set(&url, &cookie)?),
            JarCall::Unset { name, .. } => {
                jar.unset(&url, &name);
                return Ok(Value::Null);
            }
            JarCall::Clear { .. } => {
                jar.clear(&url);
                return Ok(Value::Null);
            }
        };
        value.map_err(|e| e.to_string())
    }
}
