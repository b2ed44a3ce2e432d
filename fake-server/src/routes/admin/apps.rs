//! Layer: routes. OAuth applications in the admin API: list (paginated, ordered), read, create, update,
//! delete and rotate a secret. The JSON follows the shape of Clerk's `oauth_application`
//! object where one exists, plus the fake server's own fields.
//!
//! Rotating a secret revokes every grant of the client: a secret is rotated because it may
//! have leaked, and whoever held it could have minted tokens or refreshed them, so those go
//! too. Changing a client between public and confidential does the same.

use crate::extract::Path;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{Page, require_admin};
use crate::client_metadata::{MAX_NAME_LEN, MAX_REDIRECT_URIS, check_redirect_uri};
use crate::error::OAuthError;
use crate::form::Params;
use crate::routes::registration::{read_json, remove_client};
use crate::state::{AppState, Client};
use crate::tokens::random_token;

/// Where a client came from: `fixture`, `admin`, `registered` (RFC 7591) or
/// `metadata_document` (CIMD).
pub fn kind(st: &AppState, c: &Client) -> &'static str {
    if st.fixture_clients.iter().any(|f| f.client_id == c.id) && !c.dynamic {
        "fixture"
    } else if c.dynamic && c.registration_token.is_some() {
        "registered"
    } else if c.dynamic {
        "metadata_document"
    } else {
        "admin"
    }
}

/// Creation time in seconds; fixtures count as created when the server started.
pub fn created_at(st: &AppState, c: &Client) -> i64 {
    if c.created_at == 0 { st.features.started_at } else { c.created_at }
}

/// The application object.
pub fn app_json(st: &AppState, c: &Client) -> Value {
    let created_ms = created_at(st, c) * 1000;
    let scopes: Vec<&str> = if c.scopes.is_empty() {
        st.scopes.iter().map(|s| s.name.as_str()).collect()
    } else {
        c.scopes.iter().map(String::as_str).collect()
    };
    json!({
        "object": "oauth_application",
        "id": c.id,
        "client_id": c.id,
        "name": c.name,
        "logo_uri": c.logo_uri,
        "public": c.is_public(),
        "scopes": scopes.join(" "),
        "redirect_uris": c.redirect_uris,
        "grant_types": c.grant_types,
        "consent_screen_enabled": c.needs_consent(),
        "dynamically_registered": c.dynamic,
        "kind": kind(st, c),
        "authorize_url": st.url("/authorize"),
        "token_fetch_url": st.url("/token"),
        "user_info_url": st.url("/userinfo"),
        "token_introspection_url": st.url("/introspect"),
        "discovery_url": format!("{}/.well-known/openid-configuration", st.issuer),
        "created_at": created_ms,
        "updated_at": st.features.updated_at(&c.id).unwrap_or(created_ms),
    })
}

/// Every client, in the order `order_by` asks for (`created_at`, `name`, `client_id`, each
/// optionally prefixed with `-` for descending; default `-created_at`).
pub fn sorted(st: &AppState, order_by: Option<&str>) -> Result<Vec<Client>, OAuthError> {
    let order = order_by.unwrap_or("-created_at");
    let (desc, field) = match order.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, order.strip_prefix('+').unwrap_or(order)),
    };
    let mut clients: Vec<Client> = st.store().clients.values().map(|c| Client::clone(c)).collect();
    // The id breaks ties so that pages never overlap or skip.
    match field {
        "created_at" => clients.sort_by(|a, b| (created_at(st, a), &a.id).cmp(&(created_at(st, b), &b.id))),
        "name" => clients.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id))),
        "client_id" => clients.sort_by(|a, b| a.id.cmp(&b.id)),
        other => {
            return Err(OAuthError::invalid_request(format!(
                "order_by `{other}` is not supported; use created_at, name or client_id, optionally with -"
            )));
        }
    }
    if desc {
        clients.reverse();
    }
    Ok(clients)
}

/// GET `/admin/api/applications?limit&offset&order_by`.
pub async fn list(State(st): State<AppState>, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let run = || -> Result<Value, OAuthError> {
        require_admin(&st, &headers)?;
        let q = Params::parse(q.unwrap_or_default().as_bytes());
        let page = Page::from_query(&q)?;
        let apps = sorted(&st, q.get("order_by")?)?;
        Ok(page.respond(apps.iter().map(|c| app_json(&st, c)).collect()))
    };
    reply(StatusCode::OK, run())
}

fn reply(status: StatusCode, r: Result<Value, OAuthError>) -> Response {
    match r {
        Ok(v) => (status, axum::Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

fn find(st: &AppState, id: &str) -> Result<Client, OAuthError> {
    st.store()
        .clients
        .get(id)
        .map(|c| Client::clone(c))
        .ok_or_else(|| OAuthError::not_found("no such application"))
}

/// GET `/admin/api/applications/{id}`.
pub async fn read(State(st): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let r = require_admin(&st, &headers).and_then(|()| find(&st, &id)).map(|c| app_json(&st, &c));
    reply(StatusCode::OK, r)
}

/// The fields create and update accept, each checked.
#[derive(Debug, Default)]
struct Changes {
    name: Option<String>,
    logo_uri: Option<Option<String>>,
    redirect_uris: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    consent: Option<bool>,
    public: Option<bool>,
}

fn changes(st: &AppState, m: &Map<String, Value>) -> Result<Changes, OAuthError> {
    let bad = |d: &str| OAuthError::invalid_request(d.to_string());
    let mut c = Changes::default();
    if let Some(v) = m.get("name") {
        let n = v.as_str().map(str::trim).filter(|n| !n.is_empty() && n.len() <= MAX_NAME_LEN);
        let n = n.ok_or_else(|| bad("name must be a non-empty string of at most 200 characters"))?;
        crate::client_metadata::check_display_text("name", n)
            .map_err(|e| OAuthError::invalid_request(e.description))?;
        c.name = Some(n.to_string());
    }
    if let Some(v) = m.get("logo_uri") {
        c.logo_uri = Some(match v {
            Value::Null => None,
            Value::String(u) if url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "https" | "http")) => {
                Some(u.clone())
            }
            _ => return Err(bad("logo_uri must be an absolute http(s) URL or null")),
        });
    }
    if let Some(v) = m.get("redirect_uris") {
        let list: Vec<String> = v
            .as_array()
            .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect())
            .ok_or_else(|| bad("redirect_uris must be an array of strings"))?;
        if list.len() > MAX_REDIRECT_URIS {
            return Err(bad("at most 20 redirect URIs"));
        }
        for u in &list {
            check_redirect_uri(st, u).map_err(OAuthError::invalid_redirect_uri)?;
        }
        c.redirect_uris = Some(list);
    }
    if let Some(v) = m.get("scopes") {
        let list: Vec<String> = match v {
            Value::String(s) => s.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect(),
            Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => return Err(bad("scopes must be a space-separated string or an array")),
        };
        if let Some(u) = list.iter().find(|s| st.scope(s).is_none()) {
            return Err(OAuthError::invalid_scope(format!("scope `{u}` is unknown")));
        }
        c.scopes = Some(list);
    }
    let flag = |k: &str| -> Result<Option<bool>, OAuthError> {
        m.get(k).map(|v| v.as_bool().ok_or_else(|| bad(&format!("{k} must be true or false")))).transpose()
    };
    c.consent = flag("consent_screen_enabled")?;
    c.public = flag("public")?;
    Ok(c)
}

/// POST `/admin/api/applications`: 201 with the secret, shown this once.
pub async fn create(State(st): State<AppState>, req: Request) -> Response {
    let run = async {
        require_admin(&st, req.headers())?;
        let body = read_json(req).await?;
        let ch = changes(&st, &body)?;
        let name = ch.name.clone().ok_or_else(|| OAuthError::invalid_request("name is required"))?;
        let public = ch.public.unwrap_or(false);
        let mut grant_types = vec!["authorization_code".to_string(), "refresh_token".to_string()];
        if !public && !st.policy.registration.single_grant_type {
            grant_types.push("client_credentials".into());
        }
        let client = Client {
            id: random_token("app_", 12),
            secret: (!public).then(|| random_token("sec_", 32)),
            name,
            logo_uri: ch.logo_uri.clone().flatten(),
            redirect_uris: ch.redirect_uris.clone().unwrap_or_default(),
            scopes: ch.scopes.clone().unwrap_or_default(),
            default_scopes: Vec::new(),
            grant_types,
            consent: ch.consent.unwrap_or(true),
            token_format: None,
            introspect_any: false,
            dynamic: false,
            metadata: Map::new(),
            registration_token: None,
            created_at: st.clock.now(),
            jwks: None,
        };
        st.store().clients.insert(client.id.clone(), std::sync::Arc::new(client.clone()));
        Ok(with_secret(&st, &client))
    };
    reply(StatusCode::CREATED, run.await)
}

fn with_secret(st: &AppState, c: &Client) -> Value {
    let mut v = app_json(st, c);
    v["client_secret"] = json!(c.secret);
    v
}

/// PATCH `/admin/api/applications/{id}`.
pub async fn update(State(st): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let run = async {
        require_admin(&st, req.headers())?;
        let body = read_json(req).await?;
        let ch = changes(&st, &body)?;
        apply(&st, &id, ch)
    };
    reply(StatusCode::OK, run.await)
}

/// Turn the consent screen on or off (the Applications page uses this too).
pub fn set_consent(st: &AppState, id: &str, on: bool) -> Result<Value, OAuthError> {
    apply(st, id, Changes { consent: Some(on), ..Changes::default() })
}

fn apply(st: &AppState, id: &str, ch: Changes) -> Result<Value, OAuthError> {
    let mut c = find(st, id)?;
    let k = kind(st, &c);
    if k == "metadata_document" {
        return Err(OAuthError::invalid_request("this client is defined by its metadata document"));
    }
    if ch.consent == Some(false) && c.dynamic {
        // Clerk's rule, and MCP's confused-deputy advice: self-registered clients always ask.
        return Err(OAuthError::invalid_request(
            "the consent screen cannot be turned off for dynamically registered clients",
        ));
    }
    let mut revoke = false;
    if let Some(n) = ch.name {
        c.metadata.entry("client_name").and_modify(|v| *v = json!(n));
        c.name = n;
    }
    if let Some(l) = ch.logo_uri {
        c.metadata.entry("logo_uri").and_modify(|v| *v = json!(l));
        c.logo_uri = l;
    }
    if let Some(r) = ch.redirect_uris {
        c.metadata.entry("redirect_uris").and_modify(|v| *v = json!(r));
        c.redirect_uris = r;
    }
    if let Some(s) = ch.scopes {
        c.metadata.entry("scope").and_modify(|v| *v = json!(s.join(" ")));
        c.scopes = s;
    }
    if let Some(on) = ch.consent {
        c.consent = on;
    }
    if let Some(public) = ch.public.filter(|p| *p != c.is_public()) {
        c.secret = (!public).then(|| random_token("sec_", 32));
        // Either way the client now uses `none` or a secret, not its registered keys.
        c.jwks = None;
        let method = if public { "none" } else { "client_secret_basic" };
        c.metadata.entry("token_endpoint_auth_method").and_modify(|v| *v = json!(method));
        if public {
            c.grant_types.retain(|g| g != "client_credentials");
        }
        revoke = true;
    }
    let now_ms = st.clock.now_ms();
    {
        let mut store = st.store();
        if revoke {
            store.revoke_client_grants(id, now_ms);
        }
        store.clients.insert(id.to_string(), std::sync::Arc::new(c.clone()));
    }
    st.features.touch(id, now_ms);
    Ok(if revoke { with_secret(st, &c) } else { app_json(st, &c) })
}

/// DELETE `/admin/api/applications/{id}`: the client and everything issued to it.
pub async fn remove(State(st): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(e) = require_admin(&st, &headers) {
        return e.into_response();
    }
    if remove_client(&st, &id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        OAuthError::not_found("no such application").into_response()
    }
}

/// POST `/admin/api/applications/{id}/rotate_secret`: a new secret; the old one and every
/// grant of the client stop working at once.
pub async fn rotate_secret(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let run = || -> Result<Value, OAuthError> {
        require_admin(&st, &headers)?;
        let mut c = find(&st, &id)?;
        if c.secret.is_none() {
            let what = if c.is_public() { "a public client" } else { "a private_key_jwt client" };
            return Err(OAuthError::invalid_request(format!("{what} has no secret to rotate")));
        }
        c.secret = Some(random_token("sec_", 32));
        let now_ms = st.clock.now_ms();
        {
            let mut store = st.store();
            store.revoke_client_grants(&id, now_ms);
            store.clients.insert(id.clone(), std::sync::Arc::new(c.clone()));
        }
        st.features.touch(&id, now_ms);
        Ok(with_secret(&st, &c))
    };
    reply(StatusCode::OK, run())
}
