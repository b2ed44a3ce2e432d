//! Layer: state. The requests the server received, in order, when recording is on
//! (`record_requests`): what a test of a client judges, the way wiremock keeps what its mock
//! server received.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

/// The most requests kept; the oldest goes first.
pub const MAX_RECORDED: usize = 10_000;

/// One request as the server received it.
#[derive(Clone, Serialize, PartialEq)]
pub struct RecordedRequest {
    /// When it arrived, milliseconds since the Unix epoch (wall clock).
    pub at_ms: i64,
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query's parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers that say how a client called (names lowercase): `authorization`, `dpop`,
    /// `content-type`, `origin`, `accept`, `mcp-protocol-version`, `mcp-session-id`.
    pub headers: Vec<(String, String)>,
    /// An `application/x-www-form-urlencoded` body's parameters, decoded, in order.
    pub form: Vec<(String, String)>,
    /// A JSON body.
    pub json: Option<Value>,
}

impl RecordedRequest {
    /// The first value of a query or form parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().chain(&self.form).find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of a recorded header (name in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Credentials a request carries stay out of `Debug` output: only names are shown.
impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |pairs: &[(String, String)]| pairs.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        f.debug_struct("RecordedRequest")
            .field("at_ms", &self.at_ms)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &names(&self.query))
            .field("headers", &names(&self.headers))
            .field("form", &names(&self.form))
            .field("json", &self.json.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The recorded requests.
#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<VecDeque<RecordedRequest>>,
}

impl Journal {
    pub fn record(&self, r: RecordedRequest) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_RECORDED {
            entries.pop_front();
        }
        entries.push_back(r);
    }

    /// Every recorded request, oldest first.
    pub fn all(&self) -> Vec<RecordedRequest> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
