//! The Chrome DevTools Protocol over one WebSocket: commands with ids and their answers, and
//! the events of each attached target, in flattened sessions.
//!
//! Layer: engine, at its bottom (beside the agent); imports nothing else from the crate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// A CDP message larger than this ends the connection (screenshots are the largest).
const MAX_MESSAGE: usize = 64 << 20;

/// What went wrong talking to the browser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdpError {
    #[error("the browser answered {method} with an error: {message}")]
    Command { method: String, message: String },
    #[error("the browser did not answer {method} within {secs} s")]
    Timeout { method: String, secs: u64 },
    #[error("the connection to the browser is closed")]
    Closed,
    #[error("cannot connect to the browser at {url}: {reason}")]
    Connect { url: String, reason: String },
}

/// An event of one session: its method and parameters.
#[derive(Debug, Clone)]
pub struct Event {
    pub method: String,
    pub params: Value,
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;
type Sessions = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Event>>>>;

/// A connection to the browser's DevTools endpoint.
#[derive(Debug)]
pub struct Connection {
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    sessions: Sessions,
    next_id: AtomicU64,
    timeout: Duration,
    reader: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

impl Connection {
    /// Connect to `ws://…/devtools/browser/…`; every command waits at most `timeout`.
    pub async fn open(url: &str, timeout: Duration) -> Result<Connection, CdpError> {
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), false);
        let (ws, _) = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| CdpError::Connect { url: url.into(), reason: "timed out".into() })?
            .map_err(|e| CdpError::Connect { url: url.into(), reason: e.to_string() })?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut outgoing) = mpsc::unbounded_channel::<Message>();
        let writer = tokio::spawn(async move {
            while let Some(m) = outgoing.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let sessions: Sessions = Arc::default();
        let (p, s) = (pending.clone(), sessions.clone());
        let reader = tokio::spawn(async move {
            while let Some(Ok(m)) = stream.next().await {
                let Message::Text(text) = m else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                if let Some(id) = v.get("id").and_then(Value::as_u64) {
                    let answer = match v.get("error") {
                        Some(e) => {
                            Err(e.get("message").and_then(Value::as_str).unwrap_or("error").to_string())
                        }
                        None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
                    };
                    if let Some(tx) = p.lock().ok().and_then(|mut p| p.remove(&id)) {
                        let _ = tx.send(answer);
                    }
                } else if let Some(method) = v.get("method").and_then(Value::as_str) {
                    let session = v.get("sessionId").and_then(Value::as_str).unwrap_or("");
                    let event = Event {
                        method: method.into(),
                        params: v.get("params").cloned().unwrap_or(Value::Null),
                    };
                    if let Some(tx) = s.lock().ok().and_then(|s| s.get(session).cloned()) {
                        let _ = tx.send(event);
                    }
                }
            }
            // The browser went away: every waiting command learns it at once.
            if let Ok(mut p) = p.lock() {
                p.clear();
            }
        });
        Ok(Connection { out, pending, sessions, next_id: AtomicU64::new(1), timeout, reader, writer })
    }

    /// Send a command (to a session, or to the browser with `None`) and wait for its result.
    pub async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().map_err(|_| CdpError::Closed)?.insert(id, tx);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.out.send(Message::text(msg.to_string())).map_err(|_| CdpError::Closed)?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(message))) => Err(CdpError::Command { method: method.into(), message }),
            Ok(Err(_)) => Err(CdpError::Closed),
            Err(_) => {
                if let Ok(mut p) = self.pending.lock() {
                    p.remove(&id);
                }
                Err(CdpError::Timeout { method: method.into(), secs: self.timeout.as_secs() })
            }
        }
    }

    /// Receive the events of `session` from now on.
    pub fn subscribe(&self, session: &str) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut s) = self.sessions.lock() {
            s.insert(session.to_string(), tx);
        }
        rx
    }

    /// Stop delivering the events of `session`.
    pub fn unsubscribe(&self, session: &str) {
        if let Ok(mut s) = self.sessions.lock() {
            s.remove(session);
        }
    }
}
