//! Built-in step kinds, one file each. A step performs OAuth-aware HTTP through the scenario's
//! user agent and returns its result as JSON, which later steps and matchers reference.
//!
//! Layer: engine; imports `engine::agent`, `engine::cleanup`, `engine::interact`,
//! `engine::profile`, `engine::template`, `engine::trust`; never the render or commands layers.

pub mod assertion;
mod authorize;
mod client;
mod consent;
mod discover;
pub mod dpop;
mod flow;
mod host;
mod introspect;
mod journey;
mod login;
mod preflight;
pub mod program;
mod register;
mod request;
mod resource;
mod revoke;
mod sign;
mod token;
mod userinfo;
mod verify_jwt;
mod wait;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::engine::agent::{Agent, AgentError, Limits, Response};
use crate::engine::interact::{InteractError, InteractionProfile};
use crate::engine::profile::Profile;
use crate::engine::template::{self, TemplateError};

pub use client::string_list;
pub use discover::{WellKnown, well_known as discover_url};
pub use journey::Journey;

/// Moves the target's clock (only the embedded fake server has one).
pub type ClockHandle = Arc<dyn Fn(Duration) + Send + Sync>;

/// What every scenario of a run shares.
#[derive(Clone)]
pub struct Env {
    pub issuer: String,
    /// Authorization-server metadata, or `Null` when discovery failed.
    pub metadata: Value,
    pub profile: Profile,
    pub interaction: InteractionProfile,
    pub clock: Option<ClockHandle>,
    /// The target is the bundled fake server the harness started (and configured: it fetches
    /// client metadata documents the harness hosts on loopback).
    pub embedded: bool,
    pub limits: Limits,
    pub mcp_version: String,
    /// What the run created on the target (clients, tokens), for the clean-up.
    pub ledger: Arc<crate::engine::cleanup::Ledger>,
    /// Where credentials may go, and the origins contacted.
    pub trust: Arc<crate::engine::trust::Trust>,
    /// The headless browser of the browser interaction driver, one for the run.
    pub browser: Option<Arc<crate::engine::browser::Browser>>,
    /// The person who signs in under the manual interaction driver.
    pub person: Option<Arc<crate::engine::manual::Person>>,
    /// The client program under test (`oauth-conformance client`), for `run_client` steps.
    pub client: Option<Arc<program::ClientRun>>,
    /// The identity provider of enterprise-managed authorization (the profile's `[idp]` or
    /// `bundled_idp`), where steps with `at = "idp"` go; `None`: the target plays that role.
    pub idp: Option<Box<Env>>,
}

impl Env {
    /// Where a step with `at = "idp"` runs: the identity provider, or the target itself.
    pub fn idp(&self) -> &Env {
        self.idp.as_deref().unwrap_or(self)
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").field("issuer", &self.issuer).field("mcp_version", &self.mcp_version).finish()
    }
}

/// The state of one running scenario.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub agent: Agent,
    pub vars: Map<String, Value>,
    /// The last authorization journey, which `login` and `consent` steps continue.
    pub journey: Option<Journey>,
    /// The name of the step being run (its `as`).
    pub step: String,
    /// Servers started by `host` steps; they stop when the scenario ends.
    pub hosts: Vec<host::Hosted>,
    /// The scenario's browser tab (its own browser context), under the browser driver.
    pub tab: Option<crate::engine::browser::Tab>,
    /// The scenario's ID, for what the manual driver asks of the person.
    pub scenario: String,
    /// Pages kept for the report, should the scenario not pass.
    pub attachments: Vec<crate::model::outcome::Attachment>,
    /// The scenario's DPoP keys and the nonces servers gave it.
    pub dpop: dpop::DpopState,
}

/// Why a step produced no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Interact(#[from] InteractError),
    /// Something this step depends on did not happen (no code, no metadata, ...).
    #[error("{0}")]
    Prerequisite(String),
    /// The person of the manual driver gave no answer: the run could not be done as asked
    /// (an error, even in a setup step).
    #[error("{0}")]
    NoAnswer(String),
    /// The step needs something the target profile does not provide (a test user to log in):
    /// the scenario is skipped with this reason unless an earlier expectation already failed.
    #[error("{0}")]
    Unmet(String),
}

impl StepError {
    /// Does the error say the scenario's precondition is not met (a skip), rather than that
    /// the step failed (an error)?
    pub fn is_unmet(&self) -> bool {
        match self {
            StepError::Unmet(_) => true,
            StepError::Interact(e) => e.absent,
            _ => false,
        }
    }
}

impl<'a> Ctx<'a> {
    pub fn str(&self, text: &str) -> Result<String, StepError> {
        Ok(template::resolve_str(text, &self.vars)?)
    }

    pub fn opt(&self, text: &Option<String>) -> Result<Option<String>, StepError> {
        text.as_deref().map(|t| self.str(t)).transpose()
    }

    pub fn value(&self, text: &str) -> Result<Value, StepError> {
        Ok(template::resolve(text, &self.vars)?)
    }

    /// Bring the results of `host` steps up to date with what their servers have seen.
    pub fn refresh_hosts(&mut self) {
        for h in &self.hosts {
            h.refresh(&mut self.vars);
        }
    }

    /// An endpoint URL from the authorization-server metadata.
    pub fn endpoint(&self, member: &str) -> Result<String, StepError> {
        if self.env.metadata.is_null() {
            return Err(StepError::Prerequisite(format!(
                "no `{member}`: the metadata could not be discovered"
            )));
        }
        self.env
            .metadata
            .get(member)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| StepError::Prerequisite(format!("the metadata has no `{member}`")))
    }
}

/// The standard result of an HTTP step: status, headers, body, JSON body, and the JSON
/// body's members repeated at the top level for short references (`{t.access_token}`).
pub fn http_result(resp: &Response) -> Value {
    let json = resp.json();
    let mut out = Map::new();
    if let Some(Value::Object(m)) = &json {
        for (k, v) in m {
            out.insert(k.clone(), v.clone());
        }
    }
    out.insert("status".into(), Value::from(resp.status));
    out.insert("headers".into(), resp.headers_json());
    out.insert("url".into(), Value::String(resp.url.clone()));
    out.insert("body".into(), Value::String(resp.text()));
    out.insert("json".into(), json.unwrap_or(Value::Null));
    Value::Object(out)
}

/// Either one string or several (`resource = "x"` or `resource = ["x", "y"]`).
#[derive(Debug, Clone, serde::Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

macro_rules! step_kinds {
    ($( $variant:ident($ty:ty) => $name:literal, )+) => {
        /// One step's action and its parameters.
        #[derive(Debug, Clone, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum StepKind { $( $variant($ty), )+ }

        impl StepKind {
            /// The keys that name a step kind in scenario files.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            pub fn name(&self) -> &'static str {
                match self { $(StepKind::$variant(_) => $name,)+ }
            }

            /// Read a step's parameters; an error carries a message and a hint.
            pub fn from_toml(kind: &str, value: toml::Value) -> Result<StepKind, (String, Option<String>)> {
                match kind {
                    $($name => value.try_into::<$ty>().map(StepKind::$variant).map_err(|e| {
                        (format!("bad `{}` parameters: {}", $name, e.message().trim()), None)
                    }),)+
                    other => Err((
                        format!("unknown step kind `{other}`"),
                        Some(format!("a step is one of: {}", Self::NAMES.join(", "))),
                    )),
                }
            }

            /// Perform the step.
            pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
                match self { $(StepKind::$variant(s) => s.run(ctx).await,)+ }
            }
        }
    };
}

step_kinds! {
    Discover(discover::Discover) => "discover",
    Register(register::Register) => "register",
    Authorize(authorize::Authorize) => "authorize",
    Login(login::Login) => "login",
    Consent(consent::Consent) => "consent",
    Token(token::Token) => "token",
    Flow(flow::Flow) => "flow",
    Introspect(introspect::Introspect) => "introspect",
    Revoke(revoke::Revoke) => "revoke",
    Userinfo(userinfo::Userinfo) => "userinfo",
    Preflight(preflight::Preflight) => "preflight",
    VerifyJwt(verify_jwt::VerifyJwt) => "verify_jwt",
    Resource(resource::Resource) => "resource",
    Request(request::RawRequest) => "request",
    Wait(wait::Wait) => "wait",
    Host(host::Host) => "host",
    RunClient(program::RunClient) => "run_client",
    Sign(sign::Sign) => "sign",
}

impl StepKind {
    /// Step kinds whose parameters may refer to the step's own result (`{doc.url}` inside
    /// the document that `doc` hosts).
    pub const SELF_REFERENCING: &'static [&'static str] = &["host"];
}
