//! Layer: routes. Recording every request when `record_requests` is on: a middleware in
//! front of the whole router (the admin API serves what it kept, `admin::requests`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::clock::wall_now_ms;
use crate::state::{AppState, RecordedRequest};

/// Bodies up to this size are recorded; larger ones pass through unread.
const MAX_RECORDED_BODY: usize = 64 * 1024;

/// The headers kept with a request.
const KEPT: &[&str] =
    &["authorization", "dpop", "content-type", "origin", "accept", "mcp-protocol-version", "mcp-session-id"];

/// The middleware: `axum::middleware::from_fn_with_state(state, record)`.
pub async fn record(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if !st.settings.record_requests {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Only a body of announced, modest length is read here, so that a large or streamed one
    // still meets the endpoint's own limits and errors.
    let (body, bytes) = match length {
        Some(n) if n <= MAX_RECORDED_BODY => match axum::body::to_bytes(body, MAX_RECORDED_BODY).await {
            Ok(b) => (axum::body::Body::from(b.clone()), Some(b)),
            Err(_) => {
                return (axum::http::StatusCode::BAD_REQUEST, "the request body could not be read")
                    .into_response();
            }
        },
        _ => (body, None),
    };
    st.journal.record(describe(&parts.method, &parts.uri, &parts.headers, bytes.as_deref()));
    next.run(Request::from_parts(parts, body)).await
}

fn describe(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> RecordedRequest {
    let pairs = |b: &[u8]| form_urlencoded::parse(b).into_owned().collect::<Vec<_>>();
    let mime =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let (form, json) = match body {
        Some(b) if mime.starts_with("application/x-www-form-urlencoded") => (pairs(b), None),
        Some(b) if mime.starts_with("application/json") => {
            (Vec::new(), serde_json::from_slice::<Value>(b).ok())
        }
        _ => (Vec::new(), None),
    };
    RecordedRequest {
        at_ms: wall_now_ms(),
        method: method.to_string(),
        path: uri.path().to_string(),
        query: pairs(uri.query().unwrap_or("").as_bytes()),
        headers: KEPT
            .iter()
            .flat_map(|name| {
                headers
                    .get_all(*name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .map(|v| (name.to_string(), v.to_string()))
            })
            .collect(),
        form,
        json,
    }
}
