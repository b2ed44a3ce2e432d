//! CLI arguments and the target profile → validated settings, in one place (layer:
//! commands). Reads the clap types of [`crate::commands::cli`]; the part that names the
//! target is the engine's [`TargetSettings`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::commands::cli::{FailOn, RunArgs, SelectArgs, TargetArgs};
use crate::engine::agent::Limits;
use crate::engine::interact::Driver;
use crate::engine::suite::{Level, LoadError, Scenario};
pub use crate::engine::target::{LATEST_MCP, MCP_VERSIONS, TargetSettings};
use crate::model::baseline::Baseline;

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The target and how to reach it.
    pub target: TargetSettings,
    pub jobs: usize,
    pub fail_on: Level,
    pub baseline: Option<Baseline>,
    /// Leave the clients the run registered on the target (`--keep-clients`).
    pub keep_clients: bool,
}

impl Settings {
    /// Resolve `run` arguments; an `Err` is a usage or configuration error (exit code 2).
    pub fn from_run_args(args: &RunArgs) -> Result<Settings, String> {
        let mut s = Settings::from_target_args(&args.target)?;
        s.jobs = args.jobs.clamp(1, 64);
        s.fail_on = match args.fail_on {
            FailOn::Must => Level::Must,
            FailOn::Should => Level::Should,
        };
        s.baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
        Ok(s)
    }

    pub fn from_target_args(t: &TargetArgs) -> Result<Settings, String> {
        let (profile_text, profile_label) = match &t.profile {
            Some(p) => match crate::engine::profile::BUILTIN_PROFILES.iter().find(|(n, _)| n == p) {
                Some((name, text)) => (text.to_string(), Some(name.to_string())),
                None => {
                    let text =
                        std::fs::read_to_string(p).map_err(|e| format!("cannot read profile {p}: {e}"))?;
                    (text, Some(p.clone()))
                }
            },
            None if t.issuer.is_none() => {
                let text = crate::engine::profile::BUILTIN_PROFILES[0].1;
                (text.to_string(), Some("fake-server".to_string()))
            }
            None => (String::new(), None),
        };
        // Validate the profile now (with a dummy issuer) so mistakes are usage errors.
        let parsed = crate::engine::profile::Profile::parse(&profile_text, Some("http://127.0.0.1"))
            .map_err(|e| format!("profile {}: {e}", profile_label.as_deref().unwrap_or("")))?;
        let issuer = t.issuer.clone().or(parsed.issuer.clone());
        if let Some(i) = &issuer {
            let u = url::Url::parse(i).map_err(|_| format!("--issuer `{i}` is not an absolute URL"))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(format!("--issuer `{i}` must be an http(s) URL"));
            }
        }
        let mut faults = Vec::new();
        for name in &t.faults {
            faults.push(name.parse::<fake_server::Fault>().map_err(|e| e.to_string())?);
        }
        if issuer.is_some() && !faults.is_empty() {
            return Err("--fault applies only to the bundled fake server (drop --issuer)".into());
        }
        let mut variants = Vec::new();
        for name in &t.variants {
            variants.push(name.parse::<fake_server::Variant>().map_err(|e| e.to_string())?);
        }
        if issuer.is_some() && !variants.is_empty() {
            return Err("--variant applies only to the bundled fake server (drop --issuer)".into());
        }
        let fake_issuer_path = match t.fake_issuer_path.as_deref().map(|p| p.trim_end_matches('/')) {
            _ if issuer.is_some() && t.fake_issuer_path.is_some() => {
                return Err(
                    "--fake-issuer-path applies only to the bundled fake server (drop --issuer)".into()
                );
            }
            Some("") | None => None,
            Some(p) if !p.starts_with('/') || p.contains(['?', '#', ' ']) => {
                return Err(format!("--fake-issuer-path `{p}` must be a path like /tenant"));
            }
            Some(p) => Some(p.to_string()),
        };
        let fake_registration_token = match &t.fake_registration_token {
            Some(_) if issuer.is_some() => {
                return Err(
                    "--fake-registration-token applies only to the bundled fake server (drop --issuer)"
                        .into(),
                );
            }
            Some(tok) if tok.is_empty() || tok.contains(|c: char| c.is_whitespace() || c.is_control()) => {
                return Err("--fake-registration-token must be a non-empty token without spaces".into());
            }
            other => other.clone(),
        };
        if t.timeout == 0 {
            return Err("--timeout must be at least 1 second".into());
        }
        if t.budget == Some(0) {
            return Err("--budget must be at least 1 second".into());
        }
        let deadline = t.budget.map(|b| std::time::Instant::now() + Duration::from_secs(b));
        Ok(Settings {
            target: TargetSettings {
                issuer,
                profile_text,
                profile_label,
                resource: t.resource.clone(),
                mcp_version: t.mcp_version.clone(),
                faults,
                variants,
                fake_issuer_path,
                fake_registration_token,
                driver: match t.driver.as_deref() {
                    Some("browser") => Some(Driver::Browser),
                    Some("form") => Some(Driver::Form),
                    Some("manual") => Some(Driver::Manual),
                    _ => None,
                },
                browser: t.browser.clone(),
                manual_timeout: Duration::from_secs(t.manual_timeout.max(1)),
                person: None,
                client: None,
                limits: Limits { timeout: Duration::from_secs(t.timeout), deadline, ..Limits::default() },
            },
            jobs: 8,
            fail_on: Level::Must,
            baseline: None,
            keep_clients: t.keep_clients,
        })
    }
}

/// Load the scenarios a command selects.
pub fn select(args: &SelectArgs) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let dirs: Vec<&Path> = args.suites.iter().map(PathBuf::as_path).collect();
    let all = crate::engine::suite::load(&dirs, !args.no_builtin)?;
    Ok(filter(all, &args.only))
}

/// The server scenarios a command selects, then the client scenarios (`list`, `explain`).
pub fn select_all(args: &SelectArgs) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let mut all = select(args)?;
    let dirs: Vec<&Path> = args.suites.iter().map(PathBuf::as_path).collect();
    let clients = crate::engine::suite::load_clients(&dirs, !args.no_builtin)?;
    all.extend(filter(clients, &args.only));
    Ok(all)
}

/// Keep the scenarios whose id equals or starts with a pattern, or whose area equals one.
pub fn filter(all: Vec<Scenario>, only: &[String]) -> Vec<Scenario> {
    if only.is_empty() {
        return all;
    }
    all.into_iter()
        .filter(|s| {
            only.iter().any(|p| s.id == *p || s.id.starts_with(p.as_str()) || s.area.eq_ignore_ascii_case(p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_path(issuer: Option<&str>, path: &str) -> Result<Settings, String> {
        let args = TargetArgs {
            issuer: issuer.map(str::to_string),
            fake_issuer_path: Some(path.to_string()),
            timeout: 15,
            ..TargetArgs::default()
        };
        Settings::from_target_args(&args)
    }

    #[test]
    fn a_fake_issuer_path_is_a_path_for_the_bundled_server_only() {
        assert_eq!(with_path(None, "/tenant/").unwrap().target.fake_issuer_path.as_deref(), Some("/tenant"));
        assert_eq!(with_path(None, "/").unwrap().target.fake_issuer_path, None);
        assert!(with_path(None, "tenant").is_err());
        assert!(with_path(Some("https://as.example"), "/tenant").is_err());
    }

    #[test]
    fn a_budget_sets_a_deadline_and_zero_is_refused() {
        let with = |budget: Option<u64>| {
            Settings::from_target_args(&TargetArgs { timeout: 15, budget, ..TargetArgs::default() })
        };
        assert!(with(None).unwrap().target.limits.deadline.is_none());
        let deadline = with(Some(60)).unwrap().target.limits.deadline.expect("a deadline");
        assert!(deadline > std::time::Instant::now() + Duration::from_secs(50));
        assert!(with(Some(0)).unwrap_err().contains("--budget"));
    }

    #[test]
    fn a_fake_registration_token_is_a_plain_token_for_the_bundled_server_only() {
        let with = |issuer: Option<&str>, token: &str| {
            let args = TargetArgs {
                issuer: issuer.map(str::to_string),
                fake_registration_token: Some(token.to_string()),
                timeout: 15,
                ..TargetArgs::default()
            };
            Settings::from_target_args(&args)
        };
        assert_eq!(with(None, "t0k").unwrap().target.fake_registration_token.as_deref(), Some("t0k"));
        assert!(with(None, "").is_err());
        assert!(with(None, "two words").is_err());
        assert!(with(Some("https://as.example"), "t0k").unwrap_err().contains("drop --issuer"));
    }
}
