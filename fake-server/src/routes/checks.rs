//! Layer: routes. The authorization request's parameters beyond `client_id` and `redirect_uri`: response
//! type, PKCE, scope, resources and prompt. Errors here go back to the client by redirect
//! (RFC 6749 §4.1.2.1), at once or, under the `validate-after-login` variant, after login.

use crate::form::Params;
use crate::state::{AppState, Client, Prompt};
use crate::tokens::is_pkce_value;

/// What a valid request asks for.
#[derive(Debug)]
pub struct Checked {
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    pub challenge: Option<String>,
    pub method: Option<String>,
    pub prompt: Prompt,
    /// The error to send once the user has signed in (`validate-after-login`).
    pub deferred_error: Option<(String, String)>,
}

impl Checked {
    /// What can be read of an invalid request, carrying its error: enough to show the login
    /// and consent pages as the server would for a valid one.
    pub fn lenient(st: &AppState, p: &Params, client: &Client, error: (&str, String)) -> Checked {
        Checked {
            scopes: requested_scopes(st, client, p.first("scope")).unwrap_or_default(),
            resources: Vec::new(),
            challenge: None,
            method: None,
            prompt: parse_prompt(st, p.first("prompt")).unwrap_or_default(),
            deferred_error: Some((error.0.to_string(), error.1)),
        }
    }
}

/// Under `validate-after-login`, is this request's error shown only after login? Not with
/// `prompt=none`, which allows no page at all (unless `no-prompt` ignores it).
pub fn defer(st: &AppState, p: &Params) -> bool {
    let policy = &st.policy.authorize;
    let no_page = p.first("prompt").is_some_and(|v| v.split(' ').any(|x| x == "none"));
    policy.validate_after_login && (!no_page || !policy.knows_prompt)
}

/// Check everything after the redirect URI is trusted: (error code, description) on failure.
pub fn validate(st: &AppState, p: &Params, client: &Client) -> Result<Checked, (&'static str, String)> {
    let policy = &st.policy.authorize;
    if let Some(dup) = p.duplicate().filter(|_| policy.refuse_duplicate_params) {
        return Err(("invalid_request", format!("parameter `{dup}` was sent more than once")));
    }
    if !policy.ignore_unknown_params
        && let Some(unknown) = p.names().find(|n| !KNOWN.contains(n))
    {
        return Err(("invalid_request", format!("unknown parameter `{unknown}`")));
    }
    match p.first("response_type") {
        None if !policy.require_response_type => {}
        None => return Err(("invalid_request", "response_type is required".into())),
        Some("code") => {}
        Some("token") if !policy.code_response_type_only => {}
        Some(other) => {
            let code = if policy.report_unsupported_response_type {
                "unsupported_response_type"
            } else {
                "invalid_request"
            };
            return Err((code, format!("response_type `{other}` is not supported; use `code`")));
        }
    }
    if !client.allows_grant("authorization_code") {
        return Err(("unauthorized_client", "this client may not use the authorization code grant".into()));
    }
    let (challenge, method) = check_pkce(st, p).map_err(|d| ("invalid_request", d))?;
    if !policy.scope_optional && p.first("scope").is_none() {
        return Err(("invalid_request", "scope is required".into()));
    }
    let scopes = requested_scopes(st, client, p.first("scope")).map_err(|d| ("invalid_scope", d))?;
    let resources: Vec<String> = if st.policy.requests.resource_indicators {
        p.all("resource").map(str::to_string).collect()
    } else {
        Vec::new()
    };
    check_resources(st, &resources).map_err(|d| ("invalid_target", d))?;
    let prompt = parse_prompt(st, p.first("prompt")).map_err(|d| ("invalid_request", d))?;
    Ok(Checked { scopes, resources, challenge, method, prompt, deferred_error: None })
}

/// Parameters this endpoint understands (consulted only when unknown ones are refused).
const KNOWN: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
    "prompt",
    "nonce",
    "dpop_jkt",
    "login_hint",
    "max_age",
    "ui_locales",
];

/// PKCE (RFC 7636 §4.3, §4.4.1; OAuth 2.1 §4.1.1): S256 required for every client.
fn check_pkce(st: &AppState, p: &Params) -> Result<(Option<String>, Option<String>), String> {
    let policy = &st.policy.authorize;
    let challenge = p.first("code_challenge");
    let method = p.first("code_challenge_method");
    let Some(challenge) = challenge else {
        if !policy.require_pkce {
            return Ok((None, None));
        }
        return Err("code_challenge is required (PKCE with S256)".into());
    };
    let method = match method {
        Some("S256") => "S256",
        // RFC 7636 §4.3: no method means `plain`.
        None | Some("plain") if !policy.refuse_plain_pkce => "plain",
        None => return Err("code_challenge_method is required and must be S256 (absent means plain)".into()),
        Some("plain") => return Err("code_challenge_method `plain` is not allowed; use S256".into()),
        Some(_) if !policy.refuse_unknown_pkce_method => "S256",
        Some(other) => return Err(format!("code_challenge_method `{other}` is not supported; use S256")),
    };
    if !is_pkce_value(challenge) && policy.check_challenge_syntax {
        return Err("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]".into());
    }
    Ok((Some(challenge.to_string()), Some(method.to_string())))
}

fn parse_prompt(st: &AppState, value: Option<&str>) -> Result<Prompt, String> {
    let mut prompt = Prompt::default();
    if !st.policy.authorize.honour_prompt {
        return Ok(prompt);
    }
    for v in value.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
        match v {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => return Err(format!("prompt value `{other}` is not supported")),
        }
    }
    if prompt.none && (prompt.login || prompt.consent) {
        return Err("prompt=none cannot be combined with other values".into());
    }
    Ok(prompt)
}

/// Scopes for a request: the default set when none is named; unknown or disallowed scopes are
/// an error (RFC 6749 §3.3) unless a fault drops them.
pub fn requested_scopes(st: &AppState, client: &Client, scope: Option<&str>) -> Result<Vec<String>, String> {
    let Some(scope) = scope else {
        return Ok(client.default_scopes.clone());
    };
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        let known = st.scope(s).is_some();
        let allowed = client.scopes.is_empty() || client.scopes.iter().any(|c| c == s);
        if !(known && allowed) {
            if !st.policy.requests.refuse_unknown_scopes {
                continue;
            }
            return Err(if known {
                format!("scope `{s}` is not allowed for this client")
            } else {
                format!("scope `{s}` is unknown")
            });
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Resource indicators (RFC 8707 §2): absolute URIs without fragment, served by this server.
pub fn check_resources(st: &AppState, resources: &[String]) -> Result<(), String> {
    if !st.policy.requests.check_resources {
        return Ok(());
    }
    for r in resources {
        match url::Url::parse(r) {
            Ok(u) if u.fragment().is_none() && r.contains("://") => {}
            _ => return Err(format!("resource `{r}` must be an absolute URI without a fragment")),
        }
        if !st.known_resource(r) {
            return Err(format!("resource `{r}` is not served by this authorization server"));
        }
    }
    Ok(())
}
