//! Layer: policy. The access tokens the server mints (RFC 9068), the client assertions it
//! accepts (RFC 7523, RFC 10070) and the demo protected resource (RFC 6750, RFC 9728, MCP
//! authorization), resolved once from the faults and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// JWT access tokens (RFC 9068). Each `true` boolean is the conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtPolicy {
    /// Every claim RFC 9068 §2.2 requires is present (`client_id` among them).
    pub required_claims: bool,
    /// Scopes go in `scope` (RFC 9068 §2.2.3), not `scp`.
    pub scope_claim: bool,
    /// The header's `typ` is `at+jwt` (RFC 9068 §2.1).
    pub at_jwt_typ: bool,
    /// A client's ID tokens are signed with the `id_token_signed_response_alg` it registered
    /// (OIDC Registration §2).
    pub honour_id_token_alg: bool,
}

/// Client assertions for `private_key_jwt` (RFC 7523 §3). Each `true` boolean is the
/// conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionPolicy {
    /// The signature is verified with the client's registered keys.
    pub verify_signature: bool,
    /// An expired assertion is refused.
    pub check_expiry: bool,
    /// `aud` is the issuer identifier only (RFC 10070), not an endpoint URL.
    pub issuer_audience_only: bool,
    /// `aud` is a single string (RFC 10070), not an array.
    pub single_audience: bool,
}

/// The demo protected resource (the MCP endpoint) and its metadata. Each `true` boolean is the
/// conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicy {
    /// The metadata is at `/.well-known/oauth-protected-resource{path}` (RFC 9728 §3.1).
    pub metadata_path_inserted: bool,
    /// `resource` is the resource identifier exactly (RFC 9728 §3.3).
    pub exact_resource: bool,
    /// `scopes_supported` is published (RFC 9728 §2).
    pub advertise_scopes: bool,
    /// `scopes_supported` lists only what the resource needs (no `offline_access`).
    pub resource_scopes_only: bool,
    /// `authorization_servers` is published (RFC 9728 §2; MCP requires it).
    pub advertise_authorization_servers: bool,
    /// Challenges carry `scope` (MCP authorization, scope selection).
    pub scope_in_challenge: bool,
    /// A 401 carries `WWW-Authenticate` (RFC 6750 §3; RFC 9728 §5.1).
    pub www_authenticate: bool,
    /// Tokens in the query are not accepted (RFC 6750 §2.3; MCP forbids them).
    pub refuse_query_token: bool,
    /// A request without a token gets no `error` attribute (RFC 6750 §3.1).
    pub no_error_without_token: bool,
    /// A revoked JWT is refused like an opaque token.
    pub honour_jwt_revocation: bool,
    /// The token's audience must name this resource (RFC 8707 §2; MCP); not checked under the
    /// `no-resource-indicators` variant, where tokens name no resource.
    pub check_audience: bool,
    /// The token must carry the resource's scopes (RFC 6750 §3.1 `insufficient_scope`).
    pub check_scope: bool,
    /// MCP preflights need no credentials.
    pub anonymous_preflight: bool,
    /// The admin token check reports a revoked token as revoked.
    pub verify_reports_revocation: bool,
}

impl JwtPolicy {
    pub(super) fn resolve(on: &Switches) -> JwtPolicy {
        JwtPolicy {
            required_claims: !on.fault(Fault::JwtMissingClaims),
            scope_claim: !on.fault(Fault::JwtScpInsteadOfScope),
            at_jwt_typ: !on.fault(Fault::JwtWrongTyp),
            honour_id_token_alg: !on.fault(Fault::IdTokenAlgIgnored),
        }
    }
}

impl AssertionPolicy {
    pub(super) fn resolve(on: &Switches) -> AssertionPolicy {
        AssertionPolicy {
            verify_signature: !on.fault(Fault::AssertionSignatureUnchecked),
            check_expiry: !on.fault(Fault::AssertionExpiryUnchecked),
            issuer_audience_only: !on.fault(Fault::AssertionAudienceEndpoint),
            single_audience: !on.fault(Fault::AssertionAudienceArray),
        }
    }
}

impl ResourcePolicy {
    pub(super) fn resolve(on: &Switches) -> ResourcePolicy {
        let fault = |f| on.fault(f);
        ResourcePolicy {
            metadata_path_inserted: !fault(Fault::PrmPathAppended),
            exact_resource: !fault(Fault::PrmResourceTrailingSlash),
            advertise_scopes: !fault(Fault::PrmNoScopesSupported),
            resource_scopes_only: !fault(Fault::PrmOfflineAccessScope),
            advertise_authorization_servers: !fault(Fault::PrmNoAuthorizationServers),
            scope_in_challenge: !fault(Fault::McpNoScopeInChallenge),
            www_authenticate: !fault(Fault::McpNoWwwAuthenticate),
            refuse_query_token: !fault(Fault::McpTokenInQuery),
            no_error_without_token: !fault(Fault::McpErrorWithoutToken),
            honour_jwt_revocation: !fault(Fault::ResourceIgnoresJwtRevocation),
            check_audience: !fault(Fault::ResourceIgnoresAudience)
                && !on.variant(Variant::NoResourceIndicators),
            check_scope: !fault(Fault::McpScopeNotChecked),
            anonymous_preflight: !fault(Fault::McpPreflightRequiresAuth),
            verify_reports_revocation: !fault(Fault::VerifyReportsRevokedAsValid),
        }
    }
}
