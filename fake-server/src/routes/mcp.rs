//! Layer: routes. A minimal MCP server over the Streamable HTTP transport, answering with JSON (never SSE):
//! `initialize` (with protocol version negotiation and an `Mcp-Session-Id`),
//! `notifications/initialized`, `ping`, `tools/list` and `tools/call` for one `whoami` tool.
//! It exists so MCP clients can complete their authorization flow end to end.

use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resource::{Caller, authorize, lacking_scope};
use crate::form::read_body;
use crate::state::AppState;
use crate::tokens::random_token;

/// Protocol revisions this server speaks, newest first.
pub const PROTOCOL_VERSIONS: &[&str] =
    &["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// POST, GET or DELETE on the MCP endpoint.
pub async fn mcp(State(st): State<AppState>, RawQuery(query): RawQuery, req: Request) -> Response {
    let headers = req.headers().clone();
    if let Some(resp) = refuse_origin(&st, &headers) {
        return resp;
    }
    let caller = match authorize(&st, req.method().as_str(), &headers, query.as_deref()) {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if let Some(v) = header_str(&headers, VERSION_HEADER)
        && !PROTOCOL_VERSIONS.contains(&v)
    {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            Value::Null,
            -32600,
            &format!("unsupported MCP-Protocol-Version `{v}`"),
        );
    }
    let session = header_str(&headers, SESSION_HEADER).map(str::to_string);
    match req.method().as_str() {
        "GET" => {
            // This server never pushes messages, so it offers no SSE stream (transport spec).
            let mut resp = StatusCode::METHOD_NOT_ALLOWED.into_response();
            resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST, DELETE"));
            resp
        }
        "DELETE" => match session {
            Some(id) if st.features.end_mcp_session(&id) => StatusCode::NO_CONTENT.into_response(),
            Some(_) => rpc_error(StatusCode::NOT_FOUND, Value::Null, -32001, "unknown session"),
            None => rpc_error(StatusCode::BAD_REQUEST, Value::Null, -32600, "Mcp-Session-Id is required"),
        },
        _ => post(&st, &caller, session, req).await,
    }
}

/// MCP transport security: a browser `Origin` must be one we allow (DNS rebinding).
fn refuse_origin(st: &AppState, headers: &HeaderMap) -> Option<Response> {
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("");
    let allowed = st.settings.cors_origins.iter().any(|o| o == "*" || o == origin);
    (!allowed).then(|| {
        rpc_error(StatusCode::FORBIDDEN, Value::Null, -32600, "this Origin may not call the MCP server")
    })
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn post(st: &AppState, caller: &Caller, session: Option<String>, req: Request) -> Response {
    let body = match read_body(req, &()).await {
        Ok(b) => b,
        Err(_) => return rpc_error(StatusCode::PAYLOAD_TOO_LARGE, Value::Null, -32600, "request too large"),
    };
    let message: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return rpc_error(StatusCode::BAD_REQUEST, Value::Null, -32700, &format!("parse error: {e}"));
        }
    };
    let initializing = message.get("method").and_then(Value::as_str) == Some("initialize");
    if !initializing
        && let Some(id) = &session
        && !st.features.has_mcp_session(id)
    {
        // Transport spec: an unknown session gets 404, and the client starts a new one.
        return rpc_error(StatusCode::NOT_FOUND, Value::Null, -32001, "unknown or expired session");
    }
    if calls_a_tool(&message)
        && !st.settings.mcp_tool_scopes.is_empty()
        && let Some(refused) = lacking_scope(st, caller.with_dpop, &caller.scopes, &tool_scopes(st))
    {
        // MCP 2025-11-25 Runtime Insufficient Scope Errors: HTTP 403 with the challenge.
        return refused;
    }
    if calls_a_tool(&message) && st.settings.mcp_redirect_tool_calls {
        // Another origin: a client that follows must not take the token along.
        let to = st.second_origin(&format!("{}/moved", st.settings.mcp_path));
        let mut resp = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&to) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        return resp;
    }
    let replies: Vec<Value> = match &message {
        Value::Array(batch) => batch.iter().filter_map(|m| dispatch(caller, m)).collect(),
        single => dispatch(caller, single).into_iter().collect(),
    };
    if replies.is_empty() {
        // Only notifications or responses: accepted, nothing to say.
        return StatusCode::ACCEPTED.into_response();
    }
    let body = if message.is_array() {
        Value::Array(replies)
    } else {
        replies.into_iter().next().unwrap_or(Value::Null)
    };
    let mut resp = (StatusCode::OK, axum::Json(body)).into_response();
    if initializing {
        let id = random_token("mcp_", 16);
        st.features.add_mcp_session(id.clone(), st.clock.now());
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert(SESSION_HEADER, v);
        }
    }
    resp
}

/// Does the message (or a message of the batch) call a tool?
fn calls_a_tool(message: &Value) -> bool {
    let one = |m: &Value| m.get("method").and_then(Value::as_str) == Some("tools/call");
    match message {
        Value::Array(batch) => batch.iter().any(one),
        m => one(m),
    }
}

/// Every scope a tool call needs: the resource's, then the tools' own.
fn tool_scopes(st: &AppState) -> Vec<String> {
    let mut needed = st.settings.mcp_scopes.clone();
    for s in &st.settings.mcp_tool_scopes {
        if !needed.contains(s) {
            needed.push(s.clone());
        }
    }
    needed
}

/// Answer one JSON-RPC message; `None` for notifications and client responses.
fn dispatch(caller: &Caller, m: &Value) -> Option<Value> {
    let id = m.get("id").cloned();
    let Some(method) = m.get("method").and_then(Value::as_str) else {
        // A response to a server request (we send none) or garbage with an id.
        return id
            .filter(|_| m.get("result").is_none() && m.get("error").is_none())
            .map(|id| error_body(id, -32600, "not a JSON-RPC request"));
    };
    let id = id?;
    let params = m.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => initialize(&params),
        "ping" => json!({}),
        "tools/list" => json!({ "tools": [whoami_tool()] }),
        "tools/call" => match params.get("name").and_then(Value::as_str) {
            Some("whoami") => whoami(caller),
            _ => return Some(error_body(id, -32602, "unknown tool")),
        },
        _ => return Some(error_body(id, -32601, &format!("method `{method}` is not supported"))),
    };
    Some(json!({ "jsonrpc": "2.0", "id": id, "result": result }))
}

/// Version negotiation: echo the client's version when we speak it, else offer our newest.
fn initialize(params: &Value) -> Value {
    let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or("");
    let version = if PROTOCOL_VERSIONS.contains(&asked) { asked } else { PROTOCOL_VERSIONS[0] };
    json!({
        "protocolVersion": version,
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": { "name": "oauth-fake-server", "version": env!("CARGO_PKG_VERSION") },
        "instructions": "A demo MCP server protected by the fake authorization server. \
                         Call the whoami tool to see whom your access token represents.",
    })
}

fn whoami_tool() -> Value {
    json!({
        "name": "whoami",
        "description": "Tell whom the access token represents: user, client and scopes.",
        "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
    })
}

fn whoami(caller: &Caller) -> Value {
    let who = json!({ "user": caller.username, "client_id": caller.client_id, "scopes": caller.scopes });
    json!({ "content": [{ "type": "text", "text": who.to_string() }], "structuredContent": who, "isError": false })
}

fn error_body(id: Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

fn rpc_error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    (status, axum::Json(error_body(id, code, message))).into_response()
}
