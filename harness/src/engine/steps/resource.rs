//! `resource`: call the protected resource (an MCP server) with or without a bearer token.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, StepError, http_result};
use crate::engine::agent::{Body, Request};

/// A request to the protected resource.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The URL; the profile's `resource` when unset.
    pub url: Option<String>,
    pub token: Option<String>,
    /// Send the token as `?access_token=` instead of a header (to prove it is refused).
    #[serde(default)]
    pub token_in_query: bool,
    /// `POST` (default, MCP) or another method.
    pub method: Option<String>,
    /// A JSON-RPC body; an MCP `initialize` request when unset and the method is POST.
    pub json: Option<Value>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub origin: Option<String>,
    /// Send the token with the `DPoP` scheme and a proof (RFC 9449 §7), made as this says.
    pub dpop: Option<Box<super::dpop::DpopSpec>>,
}

impl Resource {
    pub async fn run(&self, ctx: &mut Ctx<'_>) -> Result<Value, StepError> {
        let url = match &self.url {
            Some(u) => ctx.str(u)?,
            None => ctx.str("{resource}")?,
        };
        let method = self.method.clone().unwrap_or_else(|| "POST".into()).to_ascii_uppercase();
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| StepError::Prerequisite(format!("bad HTTP method `{method}`")))?;
        let mut u =
            url::Url::parse(&url).map_err(|_| StepError::Prerequisite(format!("`{url}` is not a URL")))?;
        let token = ctx.opt(&self.token)?;
        if let (true, Some(t)) = (self.token_in_query, &token) {
            u.query_pairs_mut().append_pair("access_token", t);
        }
        let body = if method == reqwest::Method::POST {
            let json = match &self.json {
                Some(j) => crate::engine::template::resolve_value(j, &ctx.vars)?,
                None => initialize(&ctx.env.mcp_version),
            };
            Body::Json(json)
        } else {
            Body::None
        };
        let mut req = Request { method, url: u.into(), headers: Vec::new(), body }
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", ctx.env.mcp_version.clone());
        if let (false, Some(t)) = (self.token_in_query, &token) {
            let scheme = if self.dpop.is_some() { "DPoP" } else { "Bearer" };
            req = req.header("authorization", format!("{scheme} {t}"));
        }
        for (k, v) in &self.headers {
            req = req.header(k, ctx.str(v)?);
        }
        if let Some(o) = ctx.opt(&self.origin)? {
            req = req.header("origin", o);
        }
        let (resp, dpop) = match &self.dpop {
            Some(spec) => {
                let (resp, info) = spec.send(ctx, req, token.as_deref()).await?;
                (resp, Some(info))
            }
            None => (ctx.agent.send(req).await?, None),
        };
        let mut out = http_result(&resp);
        out["challenge"] = parse_challenge(resp.header("www-authenticate").unwrap_or(""));
        if let Some(info) = dpop {
            out["dpop"] = info;
        }
        Ok(out)
    }
}

/// An MCP `initialize` request.
pub fn initialize(version: &str) -> Value {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": { "name": "oauth-conformance", "version": env!("CARGO_PKG_VERSION") },
        },
    })
}

/// The parameters of a `Bearer` challenge (RFC 6750 §3) as an object, plus `scheme`. The
/// attributes MCP clients read are always there, `null` when absent, so a scenario can pass
/// `{r.challenge.resource_metadata}` on (as empty text) whether or not the server sent it.
pub fn parse_challenge(header: &str) -> Value {
    let mut out = parse_attributes(header);
    for key in ["scheme", "realm", "error", "error_description", "scope", "resource_metadata"] {
        out.entry(key).or_insert(Value::Null);
    }
    Value::Object(out)
}

fn parse_attributes(header: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.is_empty() {
        out.insert("scheme".into(), Value::String(scheme.to_string()));
    }
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else { break };
        let key = key.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            match end {
                Some(i) => (q[..i].replace("\\\"", "\""), &q[i + 1..]),
                None => (q.to_string(), ""),
            }
        } else {
            let i = after.find(',').unwrap_or(after.len());
            (after[..i].trim().to_string(), &after[i..])
        };
        out.insert(key, Value::String(value));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse_challenge;
    use serde_json::json;

    #[test]
    fn bearer_challenges_are_split_into_their_parameters() {
        let v = parse_challenge(
            r#"Bearer error="insufficient_scope", scope="a b", resource_metadata="https://h/.well-known/oauth-protected-resource/mcp""#,
        );
        assert_eq!(v["scheme"], json!("Bearer"));
        assert_eq!(v["error"], json!("insufficient_scope"));
        assert_eq!(v["scope"], json!("a b"));
        assert_eq!(v["resource_metadata"], json!("https://h/.well-known/oauth-protected-resource/mcp"));
        assert_eq!(parse_challenge("Bearer realm=x")["realm"], json!("x"));
    }

    #[test]
    fn the_attributes_clients_read_are_null_when_absent() {
        let v = parse_challenge("");
        for key in ["scheme", "error", "scope", "resource_metadata"] {
            assert_eq!(v[key], serde_json::Value::Null, "{key}");
        }
        assert_eq!(parse_challenge("Bearer")["scheme"], json!("Bearer"));
    }
}
