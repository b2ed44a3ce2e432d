//! Layer: domain logic (above state and client_metadata).
//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document; MCP
//! 2025-11-25): a `client_id` that is an https URL names a JSON document describing a public
//! client. The authorization endpoint resolves it before its usual checks; the resulting
//! client is kept in the store so the token endpoint can find it synchronously.

pub(crate) mod fetch;

use serde_json::Value;

use crate::client_metadata::{Source, Validated, validate};
use crate::error::OAuthError;
use crate::form::Params;
pub use crate::state::CachedDocument;
use crate::state::{AppState, Client};

/// Upper bound on cached documents; the entry closest to expiry goes first.
const MAX_CACHED: usize = 1000;

/// Does this client_id name a metadata document (rather than a registered client)?
pub fn is_document_id(st: &AppState, client_id: &str) -> bool {
    if !st.settings.cimd
        || !st.policy.cimd.fetch_documents
        || !(client_id.starts_with("https://") || client_id.starts_with("http://"))
    {
        return false;
    }
    // A fixture or admin-created client that happens to have a URL as its id stays itself.
    st.store().clients.get(client_id).is_none_or(|c| c.dynamic && c.registration_token.is_none())
}

/// Before `/authorize` validates: resolve a metadata-document client into the store. The
/// error is a sentence for the error page (CIMD §4.3: a failed fetch aborts the request).
pub async fn prepare(st: &AppState, p: &Params) -> Result<(), OAuthError> {
    let Some(client_id) = p.first("client_id") else { return Ok(()) };
    if !is_document_id(st, client_id) {
        return Ok(());
    }
    // Our own HTTP client failing is our fault, not the document's.
    st.features.fetcher(|| fetch::build_client(st)).map_err(OAuthError::server_error)?;
    let v = match resolve(st, client_id).await {
        Ok(v) => v,
        Err(e) if !st.policy.cimd.fetch_failure_aborts && e.starts_with(fetch::FETCH_FAILED) => {
            admit_unfetched(st, client_id, p)?
        }
        Err(e) => {
            return Err(OAuthError::invalid_client(format!(
                "the client metadata document at {client_id} cannot be used: {e}"
            )));
        }
    };
    let mut client = {
        let store = st.store();
        let existing = store.clients.get(client_id).map(|c| Client::clone(c));
        let max = st.settings.max_registered_clients;
        if existing.is_none() && store.clients.values().filter(|c| c.dynamic).count() >= max {
            return Err(OAuthError::invalid_client(format!(
                "this server already knows its maximum of {max} dynamic clients (max_registered_clients)"
            )));
        }
        existing.unwrap_or_else(|| Client::dynamic(client_id.to_string(), st.clock.now()))
    };
    client = v.apply_to(st.scopes_for_unscoped_clients(), client);
    if !st.policy.cimd.check_redirect_uri
        && let Some(uri) = p.first("redirect_uri")
        && !client.redirect_uris.iter().any(|r| r == uri)
    {
        client.redirect_uris.push(uri.to_string());
    }
    st.store().clients.insert(client_id.to_string(), std::sync::Arc::new(client));
    Ok(())
}

/// The `cimd-fetch-failure-ignored` fault: a client made up from the request itself.
fn admit_unfetched(st: &AppState, id: &str, p: &Params) -> Result<Validated, OAuthError> {
    let host = url::Url::parse(id).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
    let doc = serde_json::json!({
        "client_name": host,
        "redirect_uris": p.first("redirect_uri").into_iter().collect::<Vec<_>>(),
        "token_endpoint_auth_method": "none",
    });
    let doc = doc.as_object().cloned().unwrap_or_default();
    validate(st, &doc, Source::Document)
}

/// The validated document for `id`, from the cache or freshly fetched.
pub async fn resolve(st: &AppState, id: &str) -> Result<Validated, String> {
    let now = st.clock.now();
    let cached = st.policy.cimd.cache_documents;
    if let Some(hit) = st.features.cimd_cache().get(id).filter(|c| cached && c.expires > now) {
        return hit.result.clone();
    }
    let outcome = load(st, id).await;
    let ttl = match &outcome {
        Ok((_, ttl)) => *ttl,
        Err(_) if !st.policy.cimd.never_cache_errors => fetch::DEFAULT_TTL,
        // CIMD §4.4: errors and invalid documents are never cached.
        Err(_) => 0,
    };
    let result = outcome.map(|(v, _)| v);
    if ttl > 0 && cached {
        let mut cache = st.features.cimd_cache();
        cache.retain(|_, c| c.expires > now);
        if cache.len() >= MAX_CACHED
            && let Some(k) = cache.iter().min_by_key(|(_, c)| c.expires).map(|(k, _)| k.clone())
        {
            cache.remove(&k);
        }
        cache.insert(id.to_string(), CachedDocument { result: result.clone(), expires: now + ttl });
    }
    result
}

async fn load(st: &AppState, id: &str) -> Result<(Validated, i64), String> {
    let u = fetch::check_url(st, id)?;
    let fetched = match st.settings.client_metadata_documents.get(id) {
        Some(Value::Object(document)) => {
            fetch::Fetched { document: document.clone(), ttl: fetch::DEFAULT_TTL }
        }
        Some(_) => return Err("the document the server was given for this URL is not a JSON object".into()),
        None => fetch::fetch(st, &u).await?,
    };
    let doc = fetched.document;
    match doc.get("client_id") {
        Some(Value::String(s)) if s == id => {}
        _ if !st.policy.cimd.client_id_matches_url => {}
        Some(Value::String(s)) => {
            return Err(format!("the document's client_id `{s}` differs from its URL"));
        }
        _ => return Err("the document has no client_id".into()),
    }
    if st.policy.cimd.refuse_shared_secret
        && let Some(k) = ["client_secret", "client_secret_expires_at"].iter().find(|k| doc.contains_key(**k))
    {
        return Err(format!("the document contains `{k}`; metadata-document clients have no shared secret"));
    }
    if doc.get("redirect_uris").and_then(Value::as_array).is_none_or(|a| a.is_empty()) {
        return Err("the document lists no redirect_uris".into());
    }
    if doc.get("client_name").and_then(Value::as_str).is_none_or(|n| n.is_empty())
        && st.policy.cimd.require_client_name
    {
        return Err("the document has no client_name".into());
    }
    let mut v = validate(st, &doc, Source::Document).map_err(|e| e.description.into_owned())?;
    v.metadata.insert("client_id".into(), Value::String(id.to_string()));
    Ok((v, fetched.ttl))
}
