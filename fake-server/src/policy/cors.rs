//! Layer: policy. Cross-origin access for browser clients (Fetch §3.2 CORS protocol; OAuth 2.1
//! §3.2, BBA §6.1), resolved once from the faults.

use super::switches::Switches;
use crate::faults::Fault;

/// CORS. Each `true` boolean is the conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsPolicy {
    /// CORS on discovery, JWKS, introspection, revocation and userinfo too, not only on the
    /// token endpoint.
    pub beyond_token: bool,
    /// CORS on the token endpoint (browser clients redeem codes there).
    pub on_token: bool,
    /// Error responses carry CORS headers too, so browsers can read them.
    pub on_errors: bool,
    /// Preflights need no credentials (Fetch: preflights never carry them).
    pub anonymous_preflight: bool,
    /// Preflights allow the `Authorization` header.
    pub allow_authorization_header: bool,
    /// The registration preflight allows PUT and DELETE (RFC 7592).
    pub registration_methods_complete: bool,
    /// MCP preflights allow the current MCP headers.
    pub current_mcp_headers: bool,
    /// `WWW-Authenticate` is exposed, so browser clients can read challenges.
    pub expose_www_authenticate: bool,
    /// `DPoP-Nonce` is exposed too, so browser clients can read the nonce to use.
    pub expose_dpop_nonce: bool,
    /// Only configured origins are allowed, not any that asks.
    pub configured_origins_only: bool,
    /// An allowed origin is echoed; `*` never goes with credentials (Fetch §3.2.5).
    pub no_wildcard_with_credentials: bool,
    /// `Vary: Origin` goes with an echoed origin.
    pub vary_origin: bool,
}

impl CorsPolicy {
    pub(super) fn resolve(on: &Switches) -> CorsPolicy {
        let fault = |f| on.fault(f);
        CorsPolicy {
            beyond_token: !fault(Fault::NoCorsBeyondToken),
            on_token: !fault(Fault::NoCorsOnToken),
            on_errors: !fault(Fault::NoCorsOnErrors),
            anonymous_preflight: !fault(Fault::PreflightRequiresAuth),
            allow_authorization_header: !fault(Fault::PreflightWithoutAuthorizationHeader),
            registration_methods_complete: !fault(Fault::RegistrationPreflightOmitsPutDelete),
            current_mcp_headers: !fault(Fault::McpCorsOldHeaders),
            expose_www_authenticate: !fault(Fault::NoExposeWwwAuthenticate),
            expose_dpop_nonce: !fault(Fault::DpopNonceNotExposed),
            configured_origins_only: !fault(Fault::ReflectAnyOrigin),
            no_wildcard_with_credentials: !fault(Fault::WildcardWithCredentials),
            vary_origin: !fault(Fault::NoVaryOrigin),
        }
    }
}
