//! Plain-data input and output of one script execution, so the runner maps its own scopes and
//! request model to and from the sandbox without knowing anything about JavaScript.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use crate::http::cookies::NewCookie;
use crate::runner::summary::{Assertion, ConsoleLine, ScriptError};

/// Which event a script listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// A pre-request script.
    Prerequest,
    /// A test script.
    Test,
}

impl Listen {
    /// Postman's name of the event (`prerequest` or `test`).
    pub fn as_str(self) -> &'static str {
        match self {
            Listen::Prerequest => "prerequest",
            Listen::Test => "test",
        }
    }
}

/// Everything one script sees.
#[derive(Debug, Clone)]
pub struct ScriptInput {
    /// Pre-request or test.
    pub listen: Listen,
    /// The script text (`exec` lines joined with `\n`).
    pub source: String,
    /// The item's id (`pm.info.requestId`).
    pub item_id: String,
    /// The item's name (`pm.info.requestName`).
    pub item_name: String,
    /// Names from the collection down to the item (`pm.execution.location`).
    pub item_path: Vec<String>,
    /// 0-based iteration.
    pub iteration: usize,
    /// Number of iterations in the run.
    pub iteration_count: usize,
    /// Collection name.
    pub collection_name: String,
    /// Environment name (`pm.environment.name`), when an environment is loaded.
    pub environment_name: Option<String>,
    /// Postman request JSON text (the collection model's `Request`, serialised). After a
    /// pre-request script that changed it the runner sends the one in [`ScriptOutput::request`].
    pub request: String,
    /// The response, for test scripts.
    pub response: Option<ScriptResponse>,
    /// Variable scopes before the script.
    pub variables: ScriptScopes,
    /// Cookies of the current response (`pm.cookies`), name and value.
    pub cookies: Vec<(String, String)>,
}

/// A response as scripts see it (`pm.response`, and what `pm.sendRequest` hands back).
#[derive(Debug, Clone, Default)]
pub struct ScriptResponse {
    /// Status code.
    pub code: u16,
    /// Reason phrase (`OK`).
    pub status: String,
    /// Headers in received order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (decoded as UTF-8, lossily, for `text()`).
    pub body: Vec<u8>,
    /// Response time in milliseconds.
    pub response_time_ms: u64,
    /// Response size in bytes.
    pub response_size: usize,
}

/// The variable scopes: ordered, enabled entries only. Precedence for `pm.variables` is
/// local > data > environment > collection > globals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptScopes {
    /// Globals.
    pub globals: Vec<(String, Value)>,
    /// Collection variables.
    pub collection: Vec<(String, Value)>,
    /// Environment.
    pub environment: Vec<(String, Value)>,
    /// The current data row (`pm.iterationData`); a script's changes to it last for that script
    /// only (as in Newman), so it comes back unchanged.
    pub data: Map<String, Value>,
    /// Local variables (`pm.variables.set`).
    pub local: Vec<(String, Value)>,
}

/// What a script produced.
#[derive(Debug, Clone)]
pub struct ScriptOutput {
    /// Scopes after the script (sets, unsets and clears applied).
    pub variables: ScriptScopes,
    /// The request as the script left it through `pm.request`; `None` when it did not change it.
    pub request: Option<Value>,
    /// Assertions in completion order (`pm.test`, then legacy `tests[...]`).
    pub assertions: Vec<Assertion>,
    /// A syntax error, an uncaught exception or a timeout, with the position in the user's script.
    pub error: Option<ScriptError>,
    /// Console output, not yet masked.
    pub console: Vec<ConsoleLine>,
    /// `setNextRequest`: `Some(Some(name_or_id))`, `Some(None)` for `null`, `None` when not called.
    pub next_request: Option<Option<String>>,
    /// `pm.execution.skipRequest()` was called (pre-request scripts only).
    pub skip_request: bool,
}

/// Resource caps for every script of a runtime.
#[derive(Debug, Clone, Copy)]
pub struct ScriptLimits {
    /// Per-script wall-clock budget (including timers and `pm.sendRequest` waits); `None` = none.
    pub timeout: Option<Duration>,
    /// Heap cap of the runtime in bytes.
    pub memory_bytes: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            timeout: None,
            memory_bytes: 256 * 1024 * 1024,
        }
    }
}

/// One `pm.cookies.jar()` call, with its URL as the script wrote it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum JarCall {
    /// `get(url, name)`: the value, or `undefined`.
    Get {
        /// The URL.
        url: String,
        /// Cookie name.
        name: String,
    },
    /// `getAll(url)`: the cookies a request to `url` would carry.
    GetAll {
        /// The URL.
        url: String,
    },
    /// `set(url, name, value)` or `set(url, cookie)`: the cookie as stored.
    Set {
        /// The URL.
        url: String,
        /// The cookie.
        cookie: NewCookie,
    },
    /// `unset(url, name)`.
    Unset {
        /// The URL.
        url: String,
        /// Cookie name.
        name: String,
    },
    /// `clear(url)`: every cookie of the URL's host.
    Clear {
        /// The URL.
        url: String,
    },
}

/// What a script reaches outside the sandbox: the network (`pm.sendRequest`) and the run's
/// cookie jar (`pm.cookies.jar()`). The runner implements it with snapman's HTTP layer on the
/// run's own tokio runtime: the engine awaits it between JavaScript jobs, so no second runtime
/// and no blocking wait are ever needed.
pub trait ScriptIo {
    /// Sends one request: Postman request JSON in, the response or an error text out.
    fn send(&mut self, request: Value) -> impl Future<Output = Result<ScriptResponse, String>>;

    /// Runs one cookie jar call: the JSON value its callback receives, or an error text.
    fn cookie_jar(&mut self, call: JarCall) -> Result<Value, String>;
}

/// A synchronous function serves `pm.sendRequest` at once, with no cookie jar (tests, or a
/// runner without network access).
impl<F: FnMut(Value) -> Result<ScriptResponse, String>> ScriptIo for F {
    fn send(&mut self, request: Value) -> impl Future<Output = Result<ScriptResponse, String>> {
        std::future::ready(self(request))
    }

    fn cookie_jar(&mut self, _call: JarCall) -> Result<Value, String> {
        Err("no cookie jar in this runner".to_string())
    }
}
