//! Layer: surface (beside `lib`). The client checks of `oauth-conformance client`, judged
//! in-process from what a recording server received (`FakeServer::client_report`), so that a
//! client library asserts them in its own tests. The IDs, levels and titles are those of
//! `suites/clients/`; the judgement is the same, read from the journal instead of a run's
//! summary. Checks that need a scenario the test did not set up (a forged callback, an MCP
//! call) are "not judged", with the reason, never passed.

use std::fmt;

use crate::state::RecordedRequest;

/// A callback [`crate::SignIn`] delivered with a forged value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forged {
    /// A `state` the client never sent (RFC 6749 §10.12).
    State,
    /// Another issuer's `iss` (RFC 9207 §2.4).
    Iss,
}

/// The issuer a forged `iss` names.
pub const ATTACKER_ISSUER: &str = "https://attacker.example.test";

impl Forged {
    /// The callback URL with `state` (a fresh random value) or `iss` ([`ATTACKER_ISSUER`])
    /// replaced, the rest kept: what an attacker hands the client.
    pub fn apply(self, callback: &str) -> String {
        forge(callback, self)
    }
}

/// How one check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// What the client did wrong.
    Fail(String),
    /// Why the recorded requests cannot tell (the test did not exercise it).
    NotJudged(String),
}

/// One client check and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCheck {
    /// The scenario ID of `suites/clients/` (`CLI-01`).
    pub id: &'static str,
    /// `MUST`, `SHOULD` or `MAY`.
    pub level: &'static str,
    pub title: &'static str,
    pub verdict: Verdict,
}

/// The client checks judged from a recording server's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientReport {
    pub checks: Vec<ClientCheck>,
}

impl ClientReport {
    /// The checks that failed.
    pub fn failures(&self) -> Vec<&ClientCheck> {
        self.checks.iter().filter(|c| matches!(c.verdict, Verdict::Fail(_))).collect()
    }

    /// The check with this ID.
    pub fn check(&self, id: &str) -> Option<&ClientCheck> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Panic, listing every failed MUST and SHOULD check, unless none failed. A failed MAY
    /// check (a permission used outside its condition) is in [`failures`](Self::failures)
    /// and the report's text, not here.
    #[track_caller]
    pub fn assert_conformant(&self) {
        let failed: Vec<&ClientCheck> = self.failures().into_iter().filter(|c| c.level != "MAY").collect();
        if !failed.is_empty() {
            let lines: Vec<String> = failed.iter().map(|c| line(c)).collect();
            panic!("the client failed {} check(s):\n{}", failed.len(), lines.join("\n"));
        }
    }
}

fn line(c: &ClientCheck) -> String {
    let what = match &c.verdict {
        Verdict::Pass => "pass".to_string(),
        Verdict::Fail(why) => format!("FAIL: {why}"),
        Verdict::NotJudged(why) => format!("not judged: {why}"),
    };
    format!("  {} {:<6} {} — {what}", c.id, c.level, c.title)
}

impl fmt::Display for ClientReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(f, "{}", line(c))?;
        }
        Ok(())
    }
}

/// What the report is judged from.
pub(crate) struct Inputs<'a> {
    pub requests: &'a [RecordedRequest],
    /// The issuer's path (`""`, or `/tenant`), which the endpoint paths start with.
    pub base: &'a str,
    /// The demo MCP server's URL and path.
    pub mcp_url: &'a str,
    pub mcp_path: &'a str,
    /// The codes of callbacks delivered with a forged value.
    pub forged: &'a [(String, Forged)],
    /// The MCP server's 401 challenges carry `resource_metadata` / `scope` (the settings
    /// `mcp_challenge_names_metadata` / `mcp_challenge_names_scope`).
    pub challenge_names_metadata: bool,
    pub challenge_names_scope: bool,
    /// The MCP server's `scopes_supported`.
    pub resource_scopes: &'a [String],
    /// The authorization server knows `offline_access` (lists it in `scopes_supported`).
    pub offline_access_listed: bool,
    /// The MCP server redirects tool calls to another origin (`mcp_redirect_tool_calls`).
    pub redirects_tool_calls: bool,
    /// The URLs of the client ID metadata documents the server was given
    /// (`client_metadata_documents`), and whether it supports such documents (`cimd`).
    pub documents: &'a [String],
    pub documents_supported: bool,
    /// The clients with a secret registered for `client_secret_basic` (RFC 7591's default).
    pub basic_clients: &'a [String],
}

pub(crate) fn judge(i: &Inputs<'_>) -> ClientReport {
    let authorize: Vec<&RecordedRequest> =
        i.requests.iter().filter(|r| r.path == format!("{}/authorize", i.base)).collect();
    let tokens: Vec<&RecordedRequest> =
        i.requests.iter().filter(|r| r.path == format!("{}/token", i.base)).collect();
    let redemptions: Vec<&RecordedRequest> =
        tokens.iter().copied().filter(|r| r.param("grant_type") == Some("authorization_code")).collect();
    let mcp_calls = i.requests.iter().any(|r| r.path == i.mcp_path);
    let no_authorization = || Verdict::NotJudged("the client sent no authorization request".into());
    let no_token_request = || Verdict::NotJudged("the client sent no token request".into());
    let checks = vec![
        ClientCheck {
            id: "CLI-01",
            level: "MUST",
            title: "The client uses PKCE with S256 and redeems the code with its verifier",
            verdict: if authorize.is_empty() {
                no_authorization()
            } else if let Some(r) =
                authorize.iter().find(|r| r.param("code_challenge_method") != Some("S256"))
            {
                let method = r.param("code_challenge_method").unwrap_or("none");
                Verdict::Fail(format!(
                    "an authorization request with code_challenge_method {method}, not S256"
                ))
            } else if authorize.iter().any(|r| r.param("code_challenge").is_none_or(|c| c.len() < 43)) {
                Verdict::Fail(
                    "an authorization request whose code_challenge is missing or shorter than 43 characters"
                        .into(),
                )
            } else if redemptions.iter().any(|r| r.param("code_verifier").is_none_or(|v| v.len() < 43)) {
                Verdict::Fail("a code redeemed without a code_verifier of 43 characters or more".into())
            } else {
                Verdict::Pass
            },
        },
        forged_check(
            "CLI-02",
            "A redirect carrying a state the client never sent is not redeemed",
            Forged::State,
            i,
            &redemptions,
        ),
        forged_check(
            "CLI-03",
            "A redirect whose iss names another issuer is not redeemed",
            Forged::Iss,
            i,
            &redemptions,
        ),
        ClientCheck {
            id: "CLI-04",
            level: "MUST",
            title: "The client names the MCP server as resource in the authorization and token requests",
            verdict: if !mcp_calls {
                Verdict::NotJudged(
                    "the client made no call to the demo MCP server, whose URL the resource must name".into(),
                )
            } else if authorize.is_empty() {
                no_authorization()
            } else if authorize.iter().chain(&redemptions).any(|r| r.param("resource") != Some(i.mcp_url)) {
                Verdict::Fail(format!("an authorization or token request without resource={}", i.mcp_url))
            } else {
                Verdict::Pass
            },
        },
        ClientCheck {
            id: "CLI-05",
            level: "MUST",
            title: "Tokens never travel in a URL",
            verdict: if tokens.is_empty() {
                no_token_request()
            } else if let Some(r) = i
                .requests
                .iter()
                .find(|r| r.query.iter().any(|(k, _)| matches!(k.as_str(), "access_token" | "refresh_token")))
            {
                Verdict::Fail(format!("{} {} carried a token in its query", r.method, r.path))
            } else {
                Verdict::Pass
            },
        },
        ClientCheck {
            id: "CLI-07",
            level: "MUST",
            title: "A confidential client authenticates at the token endpoint with one method",
            verdict: if tokens.is_empty() {
                no_token_request()
            } else if tokens.iter().any(|r| sends_basic(r) && r.param("client_secret").is_some()) {
                Verdict::Fail(
                    "a token request with both an Authorization Basic header and client_secret in the body"
                        .into(),
                )
            } else {
                Verdict::Pass
            },
        },
        ClientCheck {
            id: "CLI-14",
            level: "MUST",
            title: "When the 401 names no resource_metadata, the client tries the protected-resource metadata's well-known URLs, path-inserted first",
            verdict: metadata_fallback(i),
        },
        refresh_check(&tokens),
        ClientCheck {
            id: "CLI-16",
            level: "SHOULD",
            title: "When the 401 names no scope, the client asks for the protected-resource metadata's scopes_supported",
            verdict: if i.challenge_names_scope {
                Verdict::NotJudged(
                    "the MCP server's 401 names its scope (the setting mcp_challenge_names_scope = false leaves it out)"
                        .into(),
                )
            } else if let Some(first) = authorize.first() {
                let asked: Vec<&str> = first.param("scope").unwrap_or("").split(' ').collect();
                match i.resource_scopes.iter().find(|s| !asked.contains(&s.as_str())) {
                    Some(missing) => Verdict::Fail(format!(
                        "without a scope in the 401, the authorization request does not ask for `{missing}` of scopes_supported"
                    )),
                    None => Verdict::Pass,
                }
            } else {
                no_authorization()
            },
        },
        ClientCheck {
            id: "CLI-20",
            level: "SHOULD",
            title: "When neither the 401 nor the protected-resource metadata names a scope, the authorization request has none",
            verdict: if !i.resource_scopes.is_empty() {
                Verdict::NotJudged(
                    "the MCP server names the scopes it needs (the setting mcp_scopes = [] names none)"
                        .into(),
                )
            } else if let Some(first) = authorize.first() {
                match first.param("scope") {
                    Some(scope) => Verdict::Fail(format!(
                        "neither the 401 nor the protected-resource metadata names a scope, yet the authorization request asks for `{scope}`"
                    )),
                    None => Verdict::Pass,
                }
            } else {
                no_authorization()
            },
        },
        refresh_grant_registered(i, &authorize),
        offline_access_unlisted(i, &authorize),
        ClientCheck {
            id: "CLI-22",
            level: "MUST",
            title: "A tool call redirected to another origin does not take the access token along",
            verdict: redirect_check(i),
        },
        document_used(i, &authorize),
        document_unsupported(i, &authorize),
        registered_basic(i, &tokens),
    ];
    ClientReport { checks }
}

/// CLI-22: what followed the MCP server's redirect of a tool call to another origin carries no
/// token (RFC 6750 §5.3: client implementations must not leak bearer tokens to unintended
/// parties).
fn redirect_check(i: &Inputs<'_>) -> Verdict {
    if !i.redirects_tool_calls {
        return Verdict::NotJudged(
            "the MCP server answers tool calls itself (the setting mcp_redirect_tool_calls = true redirects them)"
                .into(),
        );
    }
    let calls_tool = |m: &serde_json::Value| m.get("method").and_then(|v| v.as_str()) == Some("tools/call");
    let called = i.requests.iter().any(|r| {
        r.path == i.mcp_path
            && r.header("authorization").is_some()
            && match &r.json {
                Some(serde_json::Value::Array(batch)) => batch.iter().any(calls_tool),
                Some(m) => calls_tool(m),
                None => false,
            }
    });
    if !called {
        return Verdict::NotJudged("the client called no tool with a token".into());
    }
    let moved = format!("{}/moved", i.mcp_path);
    let leaked = i
        .requests
        .iter()
        .filter(|r| r.path == moved)
        .any(|r| r.header("authorization").is_some() || r.query.iter().any(|(k, _)| k == "access_token"));
    if leaked {
        Verdict::Fail("the client followed the redirect to another origin with its access token".into())
    } else {
        Verdict::Pass
    }
}

/// CLI-24: with a client ID metadata document the server supports, the client signs in with
/// its URL and does not register (MCP 2025-11-25 Client Registration Approaches).
fn document_used(i: &Inputs<'_>, authorize: &[&RecordedRequest]) -> ClientCheck {
    let verdict = if i.documents.is_empty() || !i.documents_supported {
        Verdict::NotJudged(
            "the server knows no client ID metadata document (the setting client_metadata_documents) or does not support them"
                .into(),
        )
    } else if let Some(first) = authorize.first() {
        let registered =
            i.requests.iter().any(|r| r.method == "POST" && r.path == format!("{}/register", i.base));
        match first.param("client_id") {
            Some(id) if i.documents.iter().any(|d| d == id) && !registered => Verdict::Pass,
            _ if registered => Verdict::Fail(
                "the client registered although the server supports client ID metadata documents and knows its document".into(),
            ),
            id => Verdict::Fail(format!(
                "the first authorization request names client_id `{}`, not one of the client ID metadata documents the server knows",
                id.unwrap_or("")
            )),
        }
    } else {
        Verdict::NotJudged("the client sent no authorization request".into())
    };
    ClientCheck {
        id: "CLI-24",
        level: "SHOULD",
        title: "Given a client ID metadata document, the client signs in with its URL where the authorization server supports documents, instead of registering",
        verdict,
    }
}

/// CLI-25: where the server does not support client ID metadata documents, no authorization
/// request names one as `client_id` (MCP 2025-11-25 Client Registration Approaches).
fn document_unsupported(i: &Inputs<'_>, authorize: &[&RecordedRequest]) -> ClientCheck {
    let verdict = if i.documents.is_empty() || i.documents_supported {
        Verdict::NotJudged(
            "the server supports client ID metadata documents (the setting cimd = false turns them off) or knows none"
                .into(),
        )
    } else if authorize.is_empty() {
        Verdict::NotJudged("the client sent no authorization request".into())
    } else {
        match authorize
            .iter()
            .filter_map(|r| r.param("client_id"))
            .find(|id| i.documents.iter().any(|d| d == id))
        {
            Some(id) => Verdict::Fail(format!(
                "the client signed in with its client ID metadata document `{id}` at a server that does not support documents"
            )),
            None => Verdict::Pass,
        }
    };
    ClientCheck {
        id: "CLI-25",
        level: "SHOULD",
        title: "Where the authorization server does not support client ID metadata documents, the client does not sign in with its document's URL",
        verdict,
    }
}

/// Whether the request authenticates with an `Authorization: Basic` header (`get`: a header
/// of the client's is not ASCII for sure).
fn sends_basic(r: &RecordedRequest) -> bool {
    r.header("authorization").and_then(|h| h.get(..6)).is_some_and(|p| p.eq_ignore_ascii_case("basic "))
}

/// CLI-26: a client registered for `client_secret_basic` does not send its secret in the
/// token request body instead (RFC 6749 §2.3.1: body credentials are NOT RECOMMENDED).
fn registered_basic(i: &Inputs<'_>, tokens: &[&RecordedRequest]) -> ClientCheck {
    let in_body = tokens.iter().find(|r| {
        r.param("client_secret").is_some()
            && !sends_basic(r)
            && r.param("client_id").is_some_and(|id| i.basic_clients.iter().any(|c| c == id))
    });
    let verdict = match in_body {
        Some(r) => Verdict::Fail(format!(
            "client `{}` is registered for client_secret_basic and sent its secret in the token request body",
            r.param("client_id").unwrap_or("")
        )),
        None if tokens.iter().any(|r| sends_basic(r)) => Verdict::Pass,
        None => Verdict::NotJudged(
            "no token request authenticated a client registered for client_secret_basic".into(),
        ),
    };
    ClientCheck {
        id: "CLI-26",
        level: "SHOULD",
        title: "A client registered for HTTP Basic authenticates at the token endpoint with HTTP Basic, not with its secret in the body",
        verdict,
    }
}

/// Whether any authorization request asked for `offline_access`.
fn asks_offline_access(authorize: &[&RecordedRequest]) -> bool {
    authorize.iter().any(|r| r.param("scope").unwrap_or("").split(' ').any(|w| w == "offline_access"))
}

/// CLI-18: a client that asks for `offline_access` wants refresh tokens, and registers the
/// `refresh_token` grant (MCP 2026-07-28 Refresh Tokens; RFC 7591 §2).
fn refresh_grant_registered(i: &Inputs<'_>, authorize: &[&RecordedRequest]) -> ClientCheck {
    let registration = i
        .requests
        .iter()
        .find(|r| r.method == "POST" && r.path == format!("{}/register", i.base))
        .and_then(|r| r.json.as_ref());
    let verdict = match registration {
        None => Verdict::NotJudged("the client did not register itself".into()),
        Some(_) if !asks_offline_access(authorize) => Verdict::NotJudged(
            "the client did not ask for offline_access, so whether it wants refresh tokens cannot be seen"
                .into(),
        ),
        Some(body) => {
            let grants = body.get("grant_types").and_then(serde_json::Value::as_array);
            if grants.is_some_and(|g| g.iter().any(|v| v == "refresh_token")) {
                Verdict::Pass
            } else {
                Verdict::Fail(
                    "the client asked for offline_access but registered without the refresh_token grant type"
                        .into(),
                )
            }
        }
    };
    ClientCheck {
        id: "CLI-18",
        level: "SHOULD",
        title: "A client that asks for offline_access registers the refresh_token grant type",
        verdict,
    }
}

/// CLI-19: `offline_access` only when the authorization server lists it (the condition of the
/// MAY in MCP 2026-07-28 Refresh Tokens).
fn offline_access_unlisted(i: &Inputs<'_>, authorize: &[&RecordedRequest]) -> ClientCheck {
    let verdict = if i.offline_access_listed {
        Verdict::NotJudged(
            "the authorization server lists offline_access (the builder's without_scope(\"offline_access\") removes it)"
                .into(),
        )
    } else if authorize.is_empty() {
        Verdict::NotJudged("the client sent no authorization request".into())
    } else if asks_offline_access(authorize) {
        Verdict::Fail(
            "the client asked for offline_access, which the authorization server's scopes_supported does not list"
                .into(),
        )
    } else {
        Verdict::Pass
    };
    ClientCheck {
        id: "CLI-19",
        level: "MAY",
        title: "The client asks for offline_access only when the authorization server lists it",
        verdict,
    }
}

/// CLI-14: without `resource_metadata` in the 401, the first metadata document the client asks
/// for is the MCP server's protected-resource metadata at its RFC 9728 §3.1 URL.
fn metadata_fallback(i: &Inputs<'_>) -> Verdict {
    if i.challenge_names_metadata {
        return Verdict::NotJudged(
            "the MCP server's challenges name resource_metadata (the setting mcp_challenge_names_metadata = false leaves it out)"
                .into(),
        );
    }
    let expected = format!("/.well-known/oauth-protected-resource{}", i.mcp_path);
    let first = i.requests.iter().find(|r| r.method == "GET" && r.path.contains("/.well-known/"));
    match first {
        None => Verdict::NotJudged("the client fetched no metadata document".into()),
        Some(r) if r.path == expected => Verdict::Pass,
        Some(r) => Verdict::Fail(format!(
            "without resource_metadata in the 401, the first metadata request was {}, not {expected}",
            r.path
        )),
    }
}

/// CLI-15: a refresh token, once exchanged, is never presented again (RFC 6749 §6).
fn refresh_check(tokens: &[&RecordedRequest]) -> ClientCheck {
    let presented: Vec<Option<&str>> = tokens
        .iter()
        .filter(|r| r.param("grant_type") == Some("refresh_token"))
        .map(|r| r.param("refresh_token"))
        .collect();
    let stale = presented.iter().enumerate().any(|(n, rt)| rt.is_some() && presented[..n].contains(rt));
    let verdict = if presented.len() < 2 {
        Verdict::NotJudged(
            "the client refreshed fewer than twice (the setting mcp_token_uses = 1 makes it refresh at every request)"
                .into(),
        )
    } else if stale {
        Verdict::Fail(
            "a refresh request presented a refresh token an earlier refresh had already exchanged".into(),
        )
    } else {
        Verdict::Pass
    };
    ClientCheck {
        id: "CLI-15",
        level: "MUST",
        title: "After a rotation the client refreshes with the newest refresh token, never a used one",
        verdict,
    }
}

fn forged_check(
    id: &'static str,
    title: &'static str,
    kind: Forged,
    i: &Inputs<'_>,
    redemptions: &[&RecordedRequest],
) -> ClientCheck {
    let codes: Vec<&str> = i.forged.iter().filter(|(_, k)| *k == kind).map(|(c, _)| c.as_str()).collect();
    let what = match kind {
        Forged::State => "state",
        Forged::Iss => "iss",
    };
    let verdict = if codes.is_empty() {
        Verdict::NotJudged(format!(
            "no callback with a forged {what} was delivered (SignIn::approve().forge_{what}())"
        ))
    } else if redemptions.iter().any(|r| r.param("code").is_some_and(|c| codes.contains(&c))) {
        Verdict::Fail(format!("the client redeemed a code that came back with a forged {what}"))
    } else {
        Verdict::Pass
    };
    ClientCheck { id, level: "MUST", title, verdict }
}

fn forge(callback: &str, kind: Forged) -> String {
    let Ok(mut u) = url::Url::parse(callback) else { return callback.to_string() };
    let (name, value) = match kind {
        Forged::State => ("state", format!("forged-{}", crate::tokens::random_token("", 12))),
        Forged::Iss => ("iss", ATTACKER_ISSUER.to_string()),
    };
    let mut pairs: Vec<(String, String)> = u.query_pairs().into_owned().filter(|(k, _)| k != name).collect();
    pairs.push((name.to_string(), value));
    u.query_pairs_mut().clear().extend_pairs(&pairs);
    u.into()
}

/// The `code` of a callback URL.
pub(crate) fn code_of(callback: &str) -> Option<String> {
    url::Url::parse(callback).ok()?.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(
        path: &str,
        query: &[(&str, &str)],
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> RecordedRequest {
        let pairs = |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        RecordedRequest {
            at_ms: 0,
            method: if form.is_empty() { "GET" } else { "POST" }.into(),
            path: path.into(),
            query: pairs(query),
            headers: pairs(headers),
            form: pairs(form),
            json: None,
        }
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const MCP: &str = "http://127.0.0.1:1/mcp";

    fn good_flow() -> Vec<RecordedRequest> {
        vec![
            req("/mcp", &[], &[("x", "y")], &[]),
            req(
                "/authorize",
                &[("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("resource", MCP)],
                &[],
                &[],
            ),
            req(
                "/token",
                &[],
                &[
                    ("grant_type", "authorization_code"),
                    ("code", "c1"),
                    ("code_verifier", VERIFIER),
                    ("resource", MCP),
                ],
                &[("authorization", "Basic eDp5")],
            ),
        ]
    }

    /// The good flow, then two refreshes presenting `first` and `second`.
    fn refreshing(first: &str, second: &str) -> Vec<RecordedRequest> {
        let mut flow = good_flow();
        for rt in [first, second] {
            flow.push(req(
                "/token",
                &[],
                &[("grant_type", "refresh_token"), ("refresh_token", rt), ("resource", MCP)],
                &[("authorization", "Basic eDp5")],
            ));
        }
        flow
    }

    /// What the bundled server gives the judge: challenges that name the metadata and the
    /// scope, a resource that needs no scope, `offline_access` listed. Tests change fields.
    fn inputs(requests: &[RecordedRequest]) -> Inputs<'_> {
        Inputs {
            requests,
            base: "",
            mcp_url: MCP,
            mcp_path: "/mcp",
            forged: &[],
            challenge_names_metadata: true,
            challenge_names_scope: true,
            resource_scopes: &[],
            offline_access_listed: true,
            redirects_tool_calls: false,
            documents: &[],
            documents_supported: true,
            basic_clients: &[],
        }
    }

    fn judged(requests: &[RecordedRequest], forged: &[(String, Forged)]) -> ClientReport {
        judge(&Inputs { forged, ..inputs(requests) })
    }

    #[test]
    fn without_resource_metadata_or_scope_in_the_401_the_fallbacks_are_judged() {
        let scopes = ["projects:read".to_string()];
        let judge_with = |requests: &[RecordedRequest]| {
            judge(&Inputs {
                challenge_names_metadata: false,
                challenge_names_scope: false,
                resource_scopes: &scopes,
                ..inputs(requests)
            })
        };
        let verdict = |r: &ClientReport, id: &str| r.check(id).map(|c| c.verdict.clone());
        let prm = req("/.well-known/oauth-protected-resource/mcp", &[], &[], &[]);
        let asm = req("/.well-known/oauth-authorization-server", &[], &[], &[]);
        let mut good = good_flow();
        good.insert(1, prm.clone());
        good.insert(2, asm.clone());
        good[3].query.push(("scope".into(), "projects:read offline_access".into()));
        let report = judge_with(&good);
        assert_eq!(verdict(&report, "CLI-14"), Some(Verdict::Pass), "{report}");
        assert_eq!(verdict(&report, "CLI-16"), Some(Verdict::Pass), "{report}");
        // The authorization server's metadata first, and no scope: each fails its check.
        let mut bad = good_flow();
        bad.insert(1, asm);
        bad.insert(2, prm);
        let report = judge_with(&bad);
        let failed: Vec<&str> = report.failures().iter().map(|c| c.id).collect();
        assert_eq!(failed, ["CLI-14", "CLI-16"], "{report}");
        // With the default server both are not judged.
        let report = judged(&bad, &[]);
        for id in ["CLI-14", "CLI-16"] {
            assert!(matches!(verdict(&report, id), Some(Verdict::NotJudged(_))), "{id}");
        }
    }

    #[test]
    fn a_careful_client_passes_what_was_exercised_and_the_rest_is_not_judged() {
        let report = judged(&good_flow(), &[]);
        report.assert_conformant();
        for id in ["CLI-01", "CLI-04", "CLI-05", "CLI-07"] {
            assert_eq!(report.check(id).map(|c| &c.verdict), Some(&Verdict::Pass), "{id}\n{report}");
        }
        for id in ["CLI-02", "CLI-03", "CLI-15"] {
            assert!(matches!(report.check(id).map(|c| &c.verdict), Some(Verdict::NotJudged(_))), "{id}");
        }
        let report = judged(&refreshing("rt1", "rt2"), &[]);
        assert_eq!(report.check("CLI-15").map(|c| &c.verdict), Some(&Verdict::Pass), "{report}");
        let forged = [("other-code".to_string(), Forged::State), ("c2".to_string(), Forged::Iss)];
        let report = judged(&good_flow(), &forged);
        assert_eq!(report.check("CLI-02").map(|c| &c.verdict), Some(&Verdict::Pass));
        assert_eq!(report.check("CLI-03").map(|c| &c.verdict), Some(&Verdict::Pass));
    }

    #[test]
    fn each_mistake_fails_its_check_and_only_that_one() {
        let mutate = |i: usize, f: &dyn Fn(&mut RecordedRequest)| {
            let mut flow = good_flow();
            f(&mut flow[i]);
            flow
        };
        let plain = mutate(1, &|r| r.query[1].1 = "plain".into());
        let no_verifier = mutate(2, &|r| r.form.retain(|(k, _)| k != "code_verifier"));
        let no_resource = mutate(1, &|r| r.query.retain(|(k, _)| k != "resource"));
        let in_query = mutate(0, &|r| r.query.push(("access_token".into(), "t".into())));
        let twice = mutate(2, &|r| r.form.push(("client_secret".into(), "s".into())));
        type Case = (&'static str, Vec<RecordedRequest>, Vec<(String, Forged)>);
        let cases: [Case; 8] = [
            ("CLI-01", plain, vec![]),
            ("CLI-01", no_verifier, vec![]),
            ("CLI-02", good_flow(), vec![("c1".into(), Forged::State)]),
            ("CLI-03", good_flow(), vec![("c1".into(), Forged::Iss)]),
            ("CLI-04", no_resource, vec![]),
            ("CLI-05", in_query, vec![]),
            ("CLI-07", twice, vec![]),
            ("CLI-15", refreshing("rt1", "rt1"), vec![]),
        ];
        for (id, flow, forged) in cases {
            let report = judged(&flow, &forged);
            let failed: Vec<&str> = report.failures().iter().map(|c| c.id).collect();
            assert_eq!(failed, vec![id], "{report}");
            let panic = std::panic::catch_unwind(|| report.assert_conformant()).expect_err("it must panic");
            let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(text.contains(id), "{text}");
        }
    }

    #[test]
    fn offline_access_is_judged_against_the_registration_and_the_servers_scopes() {
        let flow = |grants: &[&str]| {
            let mut flow = good_flow();
            let mut register = req("/register", &[], &[], &[]);
            register.method = "POST".into();
            register.json = Some(serde_json::json!({ "grant_types": grants }));
            flow.insert(1, register);
            flow[2].query.push(("scope".into(), "projects:read offline_access".into()));
            flow
        };
        let scopes = ["projects:read".to_string()];
        let with = |requests: &[RecordedRequest], listed: bool| {
            judge(&Inputs { resource_scopes: &scopes, offline_access_listed: listed, ..inputs(requests) })
        };
        let verdict = |r: &ClientReport, id: &str| r.check(id).map(|c| c.verdict.clone());
        let good = with(&flow(&["authorization_code", "refresh_token"]), true);
        assert_eq!(verdict(&good, "CLI-18"), Some(Verdict::Pass), "{good}");
        assert!(matches!(verdict(&good, "CLI-19"), Some(Verdict::NotJudged(_))), "{good}");
        let no_grant = with(&flow(&["authorization_code"]), true);
        let failed: Vec<&str> = no_grant.failures().iter().map(|c| c.id).collect();
        assert_eq!(failed, ["CLI-18"], "{no_grant}");
        // Unlisted: asking for it fails the MAY check, which assert_conformant leaves out.
        let unlisted = with(&flow(&["authorization_code", "refresh_token"]), false);
        let failed: Vec<&str> = unlisted.failures().iter().map(|c| c.id).collect();
        assert_eq!(failed, ["CLI-19"], "{unlisted}");
        unlisted.assert_conformant();
        // A resource that names no scope (the default inputs): the good flow asks for none and
        // passes CLI-20; the flow that asks for offline_access fails it.
        assert_eq!(verdict(&judged(&good_flow(), &[]), "CLI-20"), Some(Verdict::Pass));
        let asked = judged(&flow(&["authorization_code", "refresh_token"]), &[]);
        let failed: Vec<&str> = asked.failures().iter().map(|c| c.id).collect();
        assert_eq!(failed, ["CLI-20"], "{asked}");
        let quiet = with(&good_flow(), false);
        assert_eq!(verdict(&quiet, "CLI-19"), Some(Verdict::Pass), "{quiet}");
        assert!(matches!(verdict(&quiet, "CLI-18"), Some(Verdict::NotJudged(_))), "{quiet}");
    }

    #[test]
    fn a_document_client_signs_in_with_its_url_only_where_documents_are_supported() {
        const DOC: &str = "https://app.example/oauth-client.json";
        let docs = [DOC.to_string()];
        let verdicts = |requests: &[RecordedRequest], supported: bool| {
            let report =
                judge(&Inputs { documents: &docs, documents_supported: supported, ..inputs(requests) });
            ["CLI-24", "CLI-25"].map(|id| report.check(id).map(|c| c.verdict.clone()))
        };
        let with_id = |id: &str| {
            let mut flow = good_flow();
            for r in flow.iter_mut().filter(|r| r.path == "/authorize") {
                r.query.push(("client_id".into(), id.into()));
            }
            flow
        };
        let mut register = req("/register", &[], &[], &[]);
        register.method = "POST".into();
        let registered = [vec![register.clone()], with_id("c1")].concat();
        let [used, unsupported] = verdicts(&with_id(DOC), true);
        assert_eq!(used, Some(Verdict::Pass));
        assert!(matches!(unsupported, Some(Verdict::NotJudged(_))));
        assert!(matches!(verdicts(&registered, true)[0], Some(Verdict::Fail(_))));
        assert!(matches!(verdicts(&with_id("c1"), true)[0], Some(Verdict::Fail(_))));
        assert!(matches!(
            verdicts(&[vec![register], with_id(DOC)].concat(), true)[0],
            Some(Verdict::Fail(_))
        ));
        assert_eq!(verdicts(&registered, false)[1], Some(Verdict::Pass));
        assert!(matches!(verdicts(&with_id(DOC), false)[1], Some(Verdict::Fail(_))));
        assert!(matches!(verdicts(&registered, false)[0], Some(Verdict::NotJudged(_))));
        let none = judge(&inputs(&with_id(DOC)));
        assert!(matches!(none.check("CLI-24").map(|c| &c.verdict), Some(Verdict::NotJudged(_))));
    }

    #[test]
    fn a_client_registered_for_basic_that_sends_its_secret_in_the_body_fails_cli_26() {
        let basic = ["web".to_string()];
        let verdict = |requests: &[RecordedRequest]| {
            judge(&Inputs { basic_clients: &basic, ..inputs(requests) })
                .check("CLI-26")
                .map(|c| c.verdict.clone())
        };
        let token = |form: &[(&str, &str)], headers: &[(&str, &str)]| {
            vec![req("/token", &[], &[&[("grant_type", "authorization_code")], form].concat(), headers)]
        };
        assert_eq!(verdict(&token(&[], &[("authorization", "Basic d2ViOnM=")])), Some(Verdict::Pass));
        let body = token(&[("client_id", "web"), ("client_secret", "s")], &[]);
        assert!(matches!(verdict(&body), Some(Verdict::Fail(_))));
        let other = token(&[("client_id", "post-client"), ("client_secret", "s")], &[]);
        assert!(matches!(verdict(&other), Some(Verdict::NotJudged(_))), "registered for client_secret_post");
        assert!(matches!(verdict(&token(&[("client_id", "spa")], &[])), Some(Verdict::NotJudged(_))));
    }

    #[test]
    fn a_token_taken_along_on_a_redirect_to_another_origin_fails_cli_22() {
        let verdict = |requests: &[RecordedRequest], on: bool| {
            let report = judge(&Inputs { redirects_tool_calls: on, ..inputs(requests) });
            report.check("CLI-22").map(|c| c.verdict.clone())
        };
        let mut call = req("/mcp", &[], &[], &[("authorization", "Bearer at1")]);
        call.method = "POST".into();
        call.json = Some(serde_json::json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call" }));
        let mut without = call.clone();
        without.path = "/mcp/moved".into();
        without.headers.clear();
        let mut with = call.clone();
        with.path = "/mcp/moved".into();
        let flow = |extra: &[RecordedRequest]| [good_flow(), vec![call.clone()], extra.to_vec()].concat();
        assert_eq!(verdict(&flow(&[without.clone()]), true), Some(Verdict::Pass));
        assert_eq!(verdict(&flow(&[]), true), Some(Verdict::Pass), "not following is fine");
        assert!(matches!(verdict(&flow(&[with.clone()]), true), Some(Verdict::Fail(_))));
        assert!(matches!(verdict(&flow(&[with]), false), Some(Verdict::NotJudged(_))), "the setting is off");
        assert!(matches!(verdict(&good_flow(), true), Some(Verdict::NotJudged(_))), "no tool call");
    }

    #[test]
    fn an_authorization_header_that_is_not_ascii_is_judged_without_a_panic() {
        let mut flow = good_flow();
        // Byte 6 falls inside the `é`: slicing there would panic.
        flow[2].headers = vec![("authorization".into(), "Basicé x".into())];
        flow[2].form.push(("client_secret".into(), "s".into()));
        let report = judged(&flow, &[]);
        assert_eq!(report.check("CLI-07").map(|c| &c.verdict), Some(&Verdict::Pass), "{report}");
    }

    #[test]
    fn forging_replaces_state_or_iss_and_keeps_the_code() {
        let cb = "https://app.test/cb?code=abc&state=s1&iss=http%3A%2F%2F127.0.0.1%3A1";
        let f = Forged::Iss.apply(cb);
        assert!(f.contains("iss=https%3A%2F%2Fattacker.example.test") && f.contains("state=s1"), "{f}");
        let s = Forged::State.apply(cb);
        assert!(!s.contains("state=s1") && s.contains("state=forged-"), "{s}");
        assert_eq!(code_of(&s).as_deref(), Some("abc"));
    }
}
