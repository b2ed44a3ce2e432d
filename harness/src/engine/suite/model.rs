//! The scenario model: what a scenario file says once it has been read and validated.

use std::fmt;

use serde::Serialize;

use crate::engine::expect::Check;
use crate::engine::steps::StepKind;
pub use crate::model::level::Level;

/// Where something was written: for error messages and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A precondition; unmet means the scenario is skipped with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Requirement {
    /// An authorization-server metadata member must be present (`registration_endpoint`).
    Metadata(String),
    /// A metadata member must be `true` or contain a value (`metadata:code_challenge_methods_supported=S256`).
    MetadataValue(String, String),
    /// A feature the target profile can turn off (`feature:refresh-tokens`).
    Feature(String),
    /// A client role the profile must define (`client:other`), or one of its fields
    /// (`client:public.name`).
    Client(String),
    /// A test user must be configured (`user`).
    User,
    /// A protected resource URL must be configured (`resource`).
    Resource,
    /// A second resource indicator must be configured (`other_resource`).
    OtherResource,
    /// The profile must name the initial access token the server requires to register
    /// (`registration_token`).
    RegistrationToken,
    /// The server's clock must be controllable (the embedded fake server).
    Clock,
    /// The profile must name Clerk's Backend API URL and secret key (`clerk_api`).
    ClerkApi,
    /// The MCP profile at or after a version (`mcp>=2025-11-25`).
    McpAtLeast(String),
    /// The MCP profile before a version (`mcp<2025-11-25`).
    McpBefore(String),
    /// A profile option must have this value (`option:client_auth=oauth2.1`).
    Option(String, String),
    /// Any one of these (`metadata:prompt_values_supported=none | metadata:scopes_supported=openid`),
    /// for requirements a server meets in more than one way.
    AnyOf(Vec<Requirement>),
    /// A requirement of the identity provider of enterprise-managed authorization
    /// (`idp:user`, `idp:metadata:...`): the profile's `[idp]`, or the target itself when it
    /// names none.
    Idp(Box<Requirement>),
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Metadata(m) => write!(f, "{m}"),
            Requirement::MetadataValue(m, v) => write!(f, "metadata:{m}={v}"),
            Requirement::Feature(x) => write!(f, "feature:{x}"),
            Requirement::Client(c) => write!(f, "client:{c}"),
            Requirement::User => f.write_str("user"),
            Requirement::Resource => f.write_str("resource"),
            Requirement::OtherResource => f.write_str("other_resource"),
            Requirement::RegistrationToken => f.write_str("registration_token"),
            Requirement::Clock => f.write_str("clock"),
            Requirement::ClerkApi => f.write_str("clerk_api"),
            Requirement::McpAtLeast(v) => write!(f, "mcp>={v}"),
            Requirement::McpBefore(v) => write!(f, "mcp<{v}"),
            Requirement::Option(k, v) => write!(f, "option:{k}={v}"),
            Requirement::AnyOf(all) => {
                let parts: Vec<String> = all.iter().map(ToString::to_string).collect();
                f.write_str(&parts.join(" | "))
            }
            Requirement::Idp(r) => write!(f, "idp:{r}"),
        }
    }
}

impl Requirement {
    /// Parse the `requires` syntax; `None` means the text is not a requirement.
    pub fn parse(s: &str) -> Option<Requirement> {
        let s = s.trim();
        if s.contains('|') {
            let all = s.split('|').map(Requirement::parse).collect::<Option<Vec<_>>>()?;
            return (all.len() > 1).then_some(Requirement::AnyOf(all));
        }
        if let Some(rest) = s.strip_prefix("idp:") {
            // The IdP's metadata, clients and user; nothing of the run (MCP version, options).
            return match Requirement::parse(rest)? {
                r @ (Requirement::Metadata(_)
                | Requirement::MetadataValue(..)
                | Requirement::Client(_)
                | Requirement::User) => Some(Requirement::Idp(Box::new(r))),
                _ => None,
            };
        }
        if let Some(rest) = s.strip_prefix("metadata:") {
            return Some(match rest.split_once('=') {
                Some((k, v)) => Requirement::MetadataValue(k.to_string(), v.to_string()),
                None => Requirement::Metadata(rest.to_string()),
            });
        }
        if let Some(rest) = s.strip_prefix("feature:") {
            return valid_word(rest).then(|| Requirement::Feature(rest.to_string()));
        }
        if let Some(rest) = s.strip_prefix("client:") {
            return valid_word(rest).then(|| Requirement::Client(rest.to_string()));
        }
        if let Some(rest) = s.strip_prefix("option:") {
            let (k, v) = rest.split_once('=')?;
            return Some(Requirement::Option(k.to_string(), v.to_string()));
        }
        if let Some(v) = s.strip_prefix("mcp>=") {
            return Some(Requirement::McpAtLeast(v.to_string()));
        }
        if let Some(v) = s.strip_prefix("mcp<") {
            return Some(Requirement::McpBefore(v.to_string()));
        }
        match s {
            "user" => Some(Requirement::User),
            "resource" => Some(Requirement::Resource),
            "other_resource" => Some(Requirement::OtherResource),
            "registration_token" => Some(Requirement::RegistrationToken),
            "clock" => Some(Requirement::Clock),
            "clerk_api" => Some(Requirement::ClerkApi),
            _ if valid_word(s) => Some(Requirement::Metadata(s.to_string())),
            _ => None,
        }
    }
}

fn valid_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// One scenario: a requirement, how to provoke it, and what must be seen.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Unique id: a SPEC.md ID, optionally with a `.variant` suffix (`AUTHZ-06.port`).
    pub id: String,
    pub title: String,
    pub level: Level,
    /// Specification sections, e.g. `RFC 7009 §2.1`.
    pub spec: String,
    /// Report group (from the file's `area`).
    pub area: String,
    /// Further SPEC.md IDs the same exchange proves.
    pub also: Vec<String>,
    pub requires: Vec<Requirement>,
    /// Fake-server faults that must make this scenario fail (the kill matrix).
    pub killed_by: Vec<String>,
    /// What a failure usually means, for `explain` and reports.
    pub explain: Option<String>,
    pub steps: Vec<Step>,
    pub expects: Vec<Expect>,
    /// Runs alone, because it moves the target's clock or otherwise disturbs other scenarios.
    pub exclusive: bool,
    pub source: Source,
}

impl Scenario {
    /// The SPEC.md ID this scenario checks (the id without its variant suffix).
    pub fn spec_id(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// Does the scenario apply under this MCP version (its `mcp>=` and `mcp<` gates)?
    pub fn applies_to_mcp(&self, version: &str) -> bool {
        self.requires.iter().all(|r| match r {
            Requirement::McpAtLeast(v) => version >= v.as_str(),
            Requirement::McpBefore(v) => version < v.as_str(),
            _ => true,
        })
    }
}

/// One action of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The name later steps and expectations use (`as = "t"`), or `step<N>`.
    pub name: String,
    pub kind: StepKind,
    /// The step goes to the identity provider rather than the target (`at = "idp"`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_idp: bool,
    pub line: usize,
}

/// One expectation about a step's result.
#[derive(Debug, Clone, Serialize)]
pub struct Expect {
    /// The step whose result is judged.
    pub step: String,
    pub check: Check,
    /// Judge `check` only when this holds (`when = { header = { ... } }`); otherwise it is moot.
    pub when: Option<Check>,
    /// A sentence shown on failure instead of the generated one.
    pub message: Option<String>,
    /// A premise rather than a requirement: when it does not hold, the scenario is skipped.
    pub assume: bool,
    pub line: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_separated_by_a_bar_are_one_requirement_met_by_any_of_them() {
        let r =
            Requirement::parse("metadata:prompt_values_supported=none | metadata:scopes_supported=openid");
        assert_eq!(
            r,
            Some(Requirement::AnyOf(vec![
                Requirement::MetadataValue("prompt_values_supported".into(), "none".into()),
                Requirement::MetadataValue("scopes_supported".into(), "openid".into()),
            ]))
        );
        assert_eq!(
            r.unwrap().to_string(),
            "metadata:prompt_values_supported=none | metadata:scopes_supported=openid"
        );
        assert_eq!(Requirement::parse("user | client:bad role"), None);
        assert_eq!(Requirement::parse("user |"), None);
    }

    #[test]
    fn idp_requirements_take_metadata_clients_and_the_user_and_nothing_of_the_run() {
        let r = Requirement::parse("idp:metadata:scopes_supported=openid");
        assert_eq!(
            r,
            Some(Requirement::Idp(Box::new(Requirement::MetadataValue(
                "scopes_supported".into(),
                "openid".into()
            ))))
        );
        assert_eq!(r.unwrap().to_string(), "idp:metadata:scopes_supported=openid");
        assert_eq!(Requirement::parse("idp:user"), Some(Requirement::Idp(Box::new(Requirement::User))));
        assert_eq!(
            Requirement::parse("idp:client:other"),
            Some(Requirement::Idp(Box::new(Requirement::Client("other".into()))))
        );
        assert_eq!(Requirement::parse("idp:mcp>=2025-11-25"), None);
        assert_eq!(Requirement::parse("idp:clock"), None);
        assert_eq!(Requirement::parse("idp:idp:user"), None);
    }

    #[test]
    fn requirements_read_mcp_gates_and_the_second_resource() {
        assert_eq!(Requirement::parse("mcp>=2025-11-25"), Some(Requirement::McpAtLeast("2025-11-25".into())));
        assert_eq!(Requirement::parse("mcp<2025-06-18"), Some(Requirement::McpBefore("2025-06-18".into())));
        assert_eq!(Requirement::parse("other_resource"), Some(Requirement::OtherResource));
        assert_eq!(Requirement::parse("clerk_api").unwrap().to_string(), "clerk_api");
        assert_eq!(Requirement::parse("other_resource").unwrap().to_string(), "other_resource");
    }

    #[test]
    fn a_scenario_applies_to_the_mcp_versions_inside_its_gates() {
        let text = "[[scenario]]\nid = \"X-01\"\ntitle = \"t\"\nlevel = \"SHOULD\"\nspec = \"s\"\n\
                    requires = [\"mcp>=2025-06-18\", \"mcp<2025-11-25\"]\n\
                    [[scenario.step]]\nrequest = { url = \"http://h/\" }\n";
        let s = &crate::engine::suite::parse_file("t.toml", text).unwrap()[0];
        let applies: Vec<&str> =
            crate::engine::target::MCP_VERSIONS.iter().copied().filter(|v| s.applies_to_mcp(v)).collect();
        assert_eq!(applies, ["2025-06-18"]);
    }
}
