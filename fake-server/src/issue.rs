//! Layer: domain logic (above state).
//! Minting access tokens (opaque or RFC 9068 JWT) and OIDC ID tokens for a grant.

use serde_json::{Value, json};

use crate::config::{JwtAlg, TokenFormat};
use crate::state::{AccessToken, AppState, Client};
use crate::tokens::random_token;

/// A new access token and the record the store keeps for it.
#[derive(Debug)]
pub struct Minted {
    pub token: String,
    pub record: AccessToken,
}

/// The `sub` of a user: configured, or the username.
pub fn subject(st: &AppState, username: &str) -> String {
    st.user(username).and_then(|u| u.sub.clone()).unwrap_or_else(|| username.to_string())
}

/// Mint (but do not store) an access token, bound to the DPoP key `jkt` when one is given.
/// Signing happens outside the store lock.
pub fn mint_access_token(
    st: &AppState,
    client: &Client,
    grant_id: u64,
    username: Option<&str>,
    scopes: &[String],
    audience: Vec<String>,
    jkt: Option<&str>,
) -> Minted {
    let iat = st.clock.now();
    let exp = iat + st.settings.access_token_lifetime_secs as i64;
    let jti = random_token("", 16);
    let format = client.token_format.unwrap_or(st.settings.access_token_format);
    let token = match format {
        TokenFormat::Opaque => random_token("oat_", 32),
        TokenFormat::Jwt => {
            let sub = username.map_or_else(|| client.id.clone(), |u| subject(st, u));
            let aud = if audience.len() == 1 { json!(audience[0]) } else { json!(audience) };
            let mut claims = json!({
                "iss": st.issuer, "sub": sub, "aud": aud, "client_id": client.id,
                "scope": scopes.join(" "), "jti": jti, "iat": iat, "exp": exp,
            });
            if let Some(u) = username {
                // When the user authenticated (RFC 9068 §2.2.1), not when this token was minted:
                // a refresh must not make an old login look fresh.
                let auth_time = st.store().grants.get(&grant_id).map_or(iat, |g| g.auth_time);
                claims["auth_time"] = json!(auth_time);
                claims["username"] = json!(u);
            }
            if let Some(jkt) = jkt.filter(|_| st.policy.dpop.confirm_key) {
                // RFC 9449 §6.1: the key's thumbprint as the JWK SHA-256 confirmation method.
                claims["cnf"] = json!({ "jkt": jkt });
            }
            if !st.policy.jwt.required_claims
                && let Value::Object(m) = &mut claims
            {
                // `jti` stays: without it two tokens minted in the same second for the same
                // grant would be the same string, which breaks more than JWT-02.
                m.remove("client_id");
            }
            if !st.policy.jwt.scope_claim
                && let Value::Object(m) = &mut claims
            {
                m.remove("scope");
                m.insert("scp".into(), json!(scopes));
            }
            let typ = if st.policy.jwt.at_jwt_typ { "at+jwt" } else { "JWT" };
            st.signer.sign(st.settings.jwt_alg, typ, &claims)
        }
    };
    let record = AccessToken {
        grant_id,
        client_id: client.id.clone(),
        username: username.map(str::to_string),
        scopes: scopes.to_vec(),
        audience,
        jti,
        iat,
        exp,
        revoked_at_ms: None,
        jkt: jkt.map(str::to_string),
        resource_uses: 0,
    };
    Minted { token, record }
}

/// The algorithm of a client's ID tokens: the `id_token_signed_response_alg` it registered;
/// RS256 for a registered client that named none (OIDC Registration §2 default); the server's
/// choice for the clients of the fixtures.
pub fn id_token_alg(st: &AppState, client: &Client) -> JwtAlg {
    let registered = client.id_token_alg().filter(|_| st.policy.jwt.honour_id_token_alg);
    match registered {
        Some(alg) => alg,
        None if client.dynamic && st.policy.jwt.honour_id_token_alg => JwtAlg::Rs256,
        None => st.settings.jwt_alg,
    }
}

/// An OpenID Connect ID token (OIDC Core §2) for the client.
pub fn mint_id_token(
    st: &AppState,
    client: &Client,
    username: &str,
    nonce: Option<&str>,
    auth_time: i64,
) -> String {
    let iat = st.clock.now();
    let mut claims = json!({
        "iss": st.issuer, "sub": subject(st, username), "aud": client.id,
        "iat": iat, "exp": iat + st.settings.access_token_lifetime_secs as i64, "auth_time": auth_time,
    });
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    st.signer.sign(id_token_alg(st, client), "JWT", &claims)
}
