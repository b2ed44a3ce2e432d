//! Layer: state. State of the features beyond the core flows: cached client ID metadata documents, the HTTP
//! client that fetches them, operator sessions, MCP sessions and application change times.
//!
//! Kept apart from the protocol store so that resetting the store (admin "reset") and these
//! caches stay separate decisions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::store::Validated;

/// Upper bound on remembered MCP sessions; the oldest is forgotten first.
const MAX_MCP_SESSIONS: usize = 1000;

/// A signed-in operator of the Applications page.
#[derive(Debug, Clone)]
pub struct AdminSession {
    /// Anti-forgery token every form of the page must echo.
    pub csrf: String,
    pub expires: i64,
}

/// A cached outcome. Only successes are cached, unless the `cimd-caches-errors` fault is on.
#[derive(Debug, Clone)]
pub struct CachedDocument {
    pub result: Result<Validated, String>,
    pub expires: i64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Features {
    /// When the server started (seconds); shown as the creation time of fixture clients.
    pub started_at: i64,
    cimd_cache: Mutex<HashMap<String, CachedDocument>>,
    fetcher: OnceLock<Result<reqwest::Client, String>>,
    admin_sessions: Mutex<HashMap<String, AdminSession>>,
    /// MCP session id → creation time (seconds).
    mcp_sessions: Mutex<HashMap<String, i64>>,
    /// client id → last change by the operator or RFC 7592 (milliseconds).
    updated_at: Mutex<HashMap<String, i64>>,
    /// The built-in MCP resource has moved to the authorization server `mcp_moves_to` names.
    mcp_moved: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these maps leaves it usable; poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Features {
    pub fn new(started_at: i64) -> Features {
        Features {
            started_at,
            cimd_cache: Mutex::default(),
            fetcher: OnceLock::new(),
            admin_sessions: Mutex::default(),
            mcp_sessions: Mutex::default(),
            updated_at: Mutex::default(),
            mcp_moved: AtomicBool::new(false),
        }
    }

    /// Has the built-in MCP resource moved to another authorization server?
    pub fn mcp_moved(&self) -> bool {
        self.mcp_moved.load(Ordering::SeqCst)
    }

    pub fn move_mcp(&self) {
        self.mcp_moved.store(true, Ordering::SeqCst);
    }

    pub fn cimd_cache(&self) -> MutexGuard<'_, HashMap<String, CachedDocument>> {
        lock(&self.cimd_cache)
    }

    /// The HTTP client for metadata documents, built on first use with `build`.
    pub fn fetcher(
        &self,
        build: impl FnOnce() -> Result<reqwest::Client, String>,
    ) -> Result<reqwest::Client, String> {
        self.fetcher.get_or_init(build).clone()
    }

    pub fn admin_sessions(&self) -> MutexGuard<'_, HashMap<String, AdminSession>> {
        lock(&self.admin_sessions)
    }

    /// Remember a new MCP session, forgetting the oldest when full.
    pub fn add_mcp_session(&self, id: String, now: i64) {
        let mut sessions = lock(&self.mcp_sessions);
        if sessions.len() >= MAX_MCP_SESSIONS
            && let Some(oldest) = sessions.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(id, now);
    }

    pub fn has_mcp_session(&self, id: &str) -> bool {
        lock(&self.mcp_sessions).contains_key(id)
    }

    pub fn end_mcp_session(&self, id: &str) -> bool {
        lock(&self.mcp_sessions).remove(id).is_some()
    }

    pub fn touch(&self, client_id: &str, now_ms: i64) {
        lock(&self.updated_at).insert(client_id.to_string(), now_ms);
    }

    pub fn updated_at(&self, client_id: &str) -> Option<i64> {
        lock(&self.updated_at).get(client_id).copied()
    }

    pub fn forget(&self, client_id: &str) {
        lock(&self.updated_at).remove(client_id);
    }

    /// Drop cached documents and MCP sessions (admin "reset"); operators stay signed in.
    pub fn reset(&self) {
        self.cimd_cache().clear();
        lock(&self.mcp_sessions).clear();
        lock(&self.updated_at).clear();
    }
}
