//! Layer: routes. Discovery documents (RFC 8414, OpenID Connect Discovery 1.0) and the JWKS.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::{JwtAlg, RegistrationPolicy};
use crate::state::{AppState, Documents};

/// The authorization-server metadata; both well-known documents serve the same content.
pub fn document(st: &AppState) -> Value {
    let policy = &st.policy.discovery;
    let issuer = if policy.exact_issuer { st.issuer.clone() } else { format!("{}/", st.issuer) };
    let scopes: Vec<&str> = st.scopes.iter().map(|s| s.name.as_str()).collect();
    let mut auth_methods = vec!["client_secret_basic", "client_secret_post", "private_key_jwt"];
    if policy.advertise_none_auth {
        auth_methods.push("none");
    }
    let confidential_methods = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
    let assertion_algs = crate::assertion::ALGORITHMS;
    let mut pkce = vec!["S256"];
    if !policy.s256_only {
        pkce.push("plain");
    }
    let mut claims = vec!["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce"];
    claims.extend(st.scopes.iter().flat_map(|s| s.claims.iter().map(String::as_str)));
    let api = |path: &str| st.advertised_url(path);
    let id_token_algs: &[JwtAlg] = if policy.rs256_id_tokens_only { &[JwtAlg::Rs256] } else { &JwtAlg::ALL };
    let id_token_algs: Vec<&str> = id_token_algs.iter().map(|a| a.name()).collect();
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": st.url("/authorize"),
        "token_endpoint": api("/token"),
        "jwks_uri": st.url("/jwks"),
        "userinfo_endpoint": st.url("/userinfo"),
        "revocation_endpoint": api("/revoke"),
        "introspection_endpoint": api("/introspect"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "introspection_endpoint_auth_methods_supported": confidential_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "code_challenge_methods_supported": pkce,
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": claims,
    });
    let obj = doc.as_object_mut().expect("literal object");
    super::idjag::advertise(st, obj);
    if st.settings.registration != RegistrationPolicy::Off && policy.advertise_registration {
        obj.insert("registration_endpoint".into(), json!(api("/register")));
    }
    if st.policy.dpop.offered {
        let mut algs: Vec<&str> = crate::dpop::ALGORITHMS.to_vec();
        if !st.policy.dpop.advertise_asymmetric_only {
            algs.push("HS256");
        }
        obj.insert("dpop_signing_alg_values_supported".into(), json!(algs));
    }
    if st.settings.cimd && policy.advertise_cimd {
        obj.insert("client_id_metadata_document_supported".into(), json!(true));
    }
    if !policy.openid_provider {
        // A plain OAuth server: no `prompt`, and so no OpenID Provider, which must support it
        // (OIDC Core §15.1). It does not list `openid` or the OpenID members.
        obj.remove("prompt_values_supported");
        for member in ["subject_types_supported", "id_token_signing_alg_values_supported", "claims_supported"]
        {
            obj.remove(member);
        }
        if let Some(Value::Array(scopes)) = obj.get_mut("scopes_supported") {
            scopes.retain(|s| s != "openid");
        }
    }
    if !policy.advertise_pkce_methods {
        obj.remove("code_challenge_methods_supported");
    }
    if !policy.advertise_grant_types {
        obj.remove("grant_types_supported");
    }
    if !policy.advertise_revocation {
        obj.remove("revocation_endpoint");
        obj.remove("revocation_endpoint_auth_methods_supported");
    }
    if !policy.advertise_iss {
        obj.remove("authorization_response_iss_parameter_supported");
    }
    if !policy.advertise_introspection {
        obj.remove("introspection_endpoint");
        obj.remove("introspection_endpoint_auth_methods_supported");
    }
    if !policy.advertise_response_types {
        obj.remove("response_types_supported");
    }
    if !policy.advertise_scopes {
        obj.remove("scopes_supported");
    }
    if !policy.secure_endpoints {
        obj.insert("end_session_endpoint".into(), json!("http://as.example.test/logout"));
    }
    if !policy.no_empty_arrays {
        obj.insert("ui_locales_supported".into(), json!([]));
    }
    doc
}

fn documents(st: &AppState) -> &Documents {
    st.documents.get_or_init(|| {
        let policy = &st.policy.discovery;
        let bytes = |v: &Value| Bytes::from(serde_json::to_vec(v).unwrap_or_default());
        let oauth = document(st);
        let mut openid = oauth.clone();
        if let Some(obj) = openid.as_object_mut() {
            if !policy.openid_members_complete {
                obj.remove("subject_types_supported");
                obj.remove("id_token_signing_alg_values_supported");
            }
            if !policy.openid_lists_pkce_methods {
                obj.remove("code_challenge_methods_supported");
            }
        }
        let mut keys = st.signer.jwks();
        if !policy.sound_signing_key
            && let Some(k) = keys["keys"][0].as_object_mut()
        {
            k.remove("kid");
            k.insert("n".into(), json!("AQAB"));
        }
        if !policy.every_signing_key
            && let Some(list) = keys["keys"].as_array_mut()
        {
            list.truncate(1);
        }
        jwks_faults(st, &mut keys);
        Documents {
            oauth: bytes(&oauth),
            openid: policy.openid_configuration.then(|| bytes(&openid)),
            jwks: bytes(&keys),
        }
    })
}

/// The JWKS faults that change what the set holds besides the signing key itself.
fn jwks_faults(st: &AppState, keys: &mut Value) {
    let Some(list) = keys.get_mut("keys").and_then(Value::as_array_mut) else { return };
    let Some(signing) = list.first().cloned() else { return };
    let policy = &st.policy.discovery;
    if !policy.only_valid_keys {
        list.push(
            json!({ "kty": "RSA", "kid": "garbage", "use": "sig", "n": "not base64url!", "e": "AQAB" }),
        );
    }
    if !policy.unique_kids {
        list.push(signing.clone());
    }
    // A stand-in for private key material: the check is that such members are published at all.
    let filler = "x".repeat(342);
    if let Some(first) = list.first_mut().and_then(Value::as_object_mut) {
        if !policy.public_members_only {
            for member in ["d", "p", "q", "dp", "dq", "qi"] {
                first.insert(member.into(), json!(filler));
            }
        }
        if !policy.consistent_use {
            first.insert("use".into(), json!("enc"));
        }
    }
}

fn json_response(st: &AppState, body: Bytes) -> Response {
    let content_type = if st.policy.discovery.json_content_type { "application/json" } else { "text/plain" };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
    ];
    (headers, body).into_response()
}

/// GET `/.well-known/oauth-authorization-server[/path]`
pub async fn oauth_metadata(State(st): State<AppState>) -> Response {
    json_response(&st, documents(&st).oauth.clone())
}

/// GET `[/path]/.well-known/openid-configuration`
pub async fn openid_configuration(State(st): State<AppState>) -> Response {
    match &documents(&st).openid {
        Some(doc) => json_response(&st, doc.clone()),
        None => crate::error::OAuthError::not_found("no OpenID configuration here").into_response(),
    }
}

/// GET `/jwks`
pub async fn jwks(State(st): State<AppState>) -> Response {
    json_response(&st, documents(&st).jwks.clone())
}
