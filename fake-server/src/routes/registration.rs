//! Layer: routes. Dynamic client registration (RFC 7591) and its management API (RFC 7592): register, read,
//! replace and delete a client with its registration access token.
//!
//! Limits: a 16 KiB body, at most 20 redirect URIs, bounded strings (`client_metadata`), and
//! at most `max_registered_clients` self-registered clients. Reaching that maximum answers
//! 403 `access_denied`: the request is valid but this server's policy refuses it, and
//! repeating it will not help until clients are deleted (RFC 7591 §3.2.2 defines no code for
//! it; 429 or 503 would wrongly invite a retry).

use crate::extract::Path;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use crate::client_metadata::{Source, validate};
use crate::config::RegistrationPolicy;
use crate::error::OAuthError;
use crate::form::read_body;
use crate::lookup::bearer_token;
use crate::state::{AppState, Client};
use crate::tokens::random_token;

/// Largest registration or update body.
pub const MAX_REGISTRATION_BODY: usize = 16 * 1024;

/// Members a client must not send in an RFC 7592 update (§2.2).
const FORBIDDEN_IN_UPDATE: &[&str] = &[
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

/// POST `/register`.
pub async fn register(State(st): State<AppState>, req: Request) -> Response {
    match handle_register(&st, req).await {
        Ok((status, body)) => json_no_store(&st, status, body),
        Err(e) => e.into_response(),
    }
}

async fn handle_register(st: &AppState, req: Request) -> Result<(StatusCode, Value), OAuthError> {
    check_initial_token(st, req.headers())?;
    let input = read_json(req).await?;
    let v = validate(st, &input, Source::Registration)?;
    let policy = &st.policy.registration;
    let issue_secret = v.uses_secret() || (v.is_public() && !policy.no_secret_for_public_clients);
    let id = if policy.opaque_client_ids {
        random_token("dyn_", 16)
    } else {
        format!("https://clients.example.test/{}", random_token("dyn_", 16))
    };
    let client = Client {
        secret: issue_secret.then(|| random_token("dcs_", 32)),
        registration_token: Some(random_token("rat_", 32)),
        ..Client::dynamic(id.clone(), st.clock.now())
    };
    let mut client = v.apply_to(st.scopes_for_unscoped_clients(), client);
    if !policy.consent_for_registered_clients {
        // Registered like an operator's client with consent off: nothing forces the screen.
        client.dynamic = false;
        client.consent = false;
    }
    {
        let mut store = st.store();
        let max = st.settings.max_registered_clients;
        if store.clients.values().filter(|c| c.dynamic).count() >= max {
            return Err(limit_reached(max));
        }
        store.clients.insert(id, std::sync::Arc::new(client.clone()));
    }
    let status = if policy.status_created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, client_information(st, &client, Some(&input))))
}

/// The error when the store already holds `max` self-registered clients.
pub fn limit_reached(max: usize) -> OAuthError {
    OAuthError::new(
        StatusCode::FORBIDDEN,
        "access_denied",
        format!(
            "this server already holds its maximum of {max} dynamically registered clients \
             (setting max_registered_clients); delete some through RFC 7592 or the admin API"
        ),
    )
}

/// RFC 7591 §3.2.1 / RFC 7592 §3: credentials first, then every registered member.
/// `input` (what the client sent) only matters under the `dcr-drops-metadata` fault.
pub fn client_information(st: &AppState, c: &Client, input: Option<&Map<String, Value>>) -> Value {
    let policy = &st.policy.registration;
    let mut m = Map::new();
    m.insert("client_id".into(), json!(c.id));
    if policy.issued_at_as_number {
        m.insert("client_id_issued_at".into(), json!(c.created_at));
    } else {
        m.insert("client_id_issued_at".into(), json!(c.created_at.to_string()));
    }
    if let Some(secret) = &c.secret {
        m.insert("client_secret".into(), json!(secret));
        if policy.secret_expiry_shown {
            m.insert("client_secret_expires_at".into(), json!(0));
        }
    }
    if let Some(rat) = &c.registration_token {
        m.insert("registration_access_token".into(), json!(rat));
        if policy.management_uri_shown {
            m.insert("registration_client_uri".into(), json!(configuration_uri(st, &c.id)));
        }
    }
    if !policy.echo_registered_values {
        for k in ["redirect_uris", "client_name"] {
            if let Some(v) = input.and_then(|i| i.get(k)) {
                m.insert(k.into(), v.clone());
            }
        }
        return Value::Object(m);
    }
    for (k, v) in &c.metadata {
        m.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(m)
}

/// The RFC 7592 client configuration endpoint of a client. The id is one path segment,
/// percent-encoded, so ids with reserved characters (an admin-created `a/b`) still work.
pub fn configuration_uri(st: &AppState, client_id: &str) -> String {
    let segment: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let segment = segment.replace('+', "%20");
    st.url(&format!("/register/{segment}"))
}

/// Under `registration = "token"`, the initial access token (or the admin key) as a Bearer.
fn check_initial_token(st: &AppState, headers: &HeaderMap) -> Result<(), OAuthError> {
    if st.settings.registration != RegistrationPolicy::Token || !st.policy.registration.check_initial_token {
        return Ok(());
    }
    let Some(token) = bearer_token(headers) else {
        return Err(OAuthError::invalid_token("an initial access token is required to register", false, ""));
    };
    let accepted = [st.settings.registration_token.as_deref(), Some(st.admin_key.as_str())];
    if accepted.iter().flatten().any(|a| bool::from(a.as_bytes().ct_eq(token.as_bytes()))) {
        Ok(())
    } else {
        Err(OAuthError::invalid_token("the initial access token is not valid", true, ""))
    }
}

/// A JSON object body of at most `MAX_REGISTRATION_BODY` bytes.
pub async fn read_json(req: Request) -> Result<Map<String, Value>, OAuthError> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    let body = read_body(req, &()).await?;
    if mime != "application/json" {
        return Err(OAuthError::invalid_request("send the client metadata as application/json"));
    }
    if body.len() > MAX_REGISTRATION_BODY {
        return Err(OAuthError::invalid_request(format!(
            "client metadata may be at most {MAX_REGISTRATION_BODY} bytes"
        ))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(OAuthError::invalid_request("client metadata must be a JSON object")),
        Err(e) => Err(OAuthError::invalid_request(format!("client metadata is not valid JSON: {e}"))),
    }
}

fn json_no_store(st: &AppState, status: StatusCode, body: Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if !st.policy.registration.no_store {
        return resp;
    }
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// The client a configuration request is about, if its registration access token is right.
/// Every failure looks the same, so a caller learns nothing about which clients exist.
fn managed(st: &AppState, headers: &HeaderMap, id: &str) -> Result<Client, OAuthError> {
    let token = bearer_token(headers);
    let client =
        st.store().clients.get(id).filter(|c| c.registration_token.is_some()).map(|c| Client::clone(c));
    let policy = &st.policy.registration;
    if client.is_none() && !policy.unknown_client_is_unauthorized {
        return Err(OAuthError::not_found("no such client"));
    }
    if !policy.check_management_token
        && let Some(c) = client
    {
        return Ok(c);
    }
    let Some(token) = token else {
        return Err(OAuthError::invalid_token("a registration access token is required", false, ""));
    };
    match client {
        Some(c)
            if c.registration_token
                .as_deref()
                .is_some_and(|t| bool::from(t.as_bytes().ct_eq(token.as_bytes()))) =>
        {
            Ok(c)
        }
        _ => Err(OAuthError::invalid_token("the registration access token is not valid", true, "")),
    }
}

/// GET `/register/{client_id}` (RFC 7592 §2.1).
pub async fn read(State(st): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match managed(&st, &headers, &id) {
        Ok(c) => json_no_store(&st, StatusCode::OK, client_information(&st, &c, None)),
        Err(e) => e.into_response(),
    }
}

/// PUT `/register/{client_id}` (RFC 7592 §2.2): the body replaces the whole registration.
pub async fn update(State(st): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    match handle_update(&st, &id, req).await {
        Ok(body) => json_no_store(&st, StatusCode::OK, body),
        Err(e) => e.into_response(),
    }
}

async fn handle_update(st: &AppState, id: &str, req: Request) -> Result<Value, OAuthError> {
    let current = managed(st, req.headers(), id)?;
    let input = read_json(req).await?;
    let policy = &st.policy.registration;
    let checked = policy.check_updates;
    if let Some(k) = FORBIDDEN_IN_UPDATE.iter().find(|k| checked && input.contains_key(**k)) {
        return Err(OAuthError::invalid_client_metadata(format!(
            "`{k}` is set by the server and must not be sent in an update (RFC 7592 §2.2)"
        )));
    }
    if checked && input.get("client_id").and_then(Value::as_str) != Some(current.id.as_str()) {
        return Err(OAuthError::invalid_client_metadata(
            "the update must carry client_id equal to this client's (RFC 7592 §2.2)",
        ));
    }
    let chosen = input.get("client_secret").and_then(Value::as_str).map(str::to_string);
    if let Some(given) = &chosen
        && policy.refuse_chosen_secret
    {
        let same =
            current.secret.as_deref().is_some_and(|s| bool::from(s.as_bytes().ct_eq(given.as_bytes())));
        if !same {
            return Err(OAuthError::invalid_client_metadata(
                "client_secret differs from the issued one; a client cannot choose its secret",
            ));
        }
    }
    let v = if !policy.update_replaces_metadata {
        let mut merged = current.metadata.clone();
        merged.extend(input.clone());
        validate(st, &merged, Source::Registration)?
    } else {
        validate(st, &input, Source::Registration)?
    };
    let mut client = v.apply_to(st.scopes_for_unscoped_clients(), current.clone());
    let uses_secret = client.metadata["token_endpoint_auth_method"]
        .as_str()
        .is_some_and(|m| m.starts_with("client_secret_"));
    client.secret = if !uses_secret {
        None
    } else if !policy.refuse_chosen_secret && chosen.is_some() {
        chosen
    } else {
        current.secret.clone().or_else(|| Some(random_token("dcs_", 32)))
    };
    {
        let mut store = st.store();
        if !store.clients.contains_key(id) {
            return Err(OAuthError::invalid_token("the registration access token is not valid", true, ""));
        }
        store.clients.insert(id.to_string(), std::sync::Arc::new(client.clone()));
    }
    st.features.touch(id, st.clock.now_ms());
    Ok(client_information(st, &client, Some(&input)))
}

/// DELETE `/register/{client_id}` (RFC 7592 §2.3): the client, its credentials, grants and
/// tokens are gone at once.
pub async fn delete(State(st): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(e) = managed(&st, &headers, &id) {
        return e.into_response();
    }
    if !st.policy.registration.delete_removes_client {
        // Only the registration access token changes, so the client looks deleted to RFC 7592.
        if let Some(c) = st.store().clients.get_mut(&id).map(std::sync::Arc::make_mut) {
            c.registration_token = Some(random_token("rat_", 32));
        }
    } else {
        remove_client(&st, &id);
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Forget a client with everything issued to it: grants (hence tokens), consents, codes.
pub fn remove_client(st: &AppState, id: &str) -> bool {
    let now_ms = st.clock.now_ms();
    let removed = {
        let mut store = st.store();
        let removed = store.clients.remove(id).is_some();
        store.revoke_client_grants(id, now_ms);
        store.consents.retain(|(_, client), _| client != id);
        store.codes.retain(|_, c| c.client_id != id);
        removed
    };
    st.features.forget(id);
    st.features.cimd_cache().remove(id);
    removed
}
