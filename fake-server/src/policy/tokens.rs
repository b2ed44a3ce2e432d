//! Layer: policy. What the server says about the tokens it issued: finding them, introspection
//! (RFC 7662), revocation (RFC 7009) and userinfo, resolved once from the faults and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// Finding an issued token by its value. Each `true` boolean is the conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupPolicy {
    /// An expired token is inactive (RFC 7662 §2.2).
    pub expired_tokens_inactive: bool,
    /// `token_type_hint` only orders the search (RFC 7009 §2.1, RFC 7662 §2.1): a token of the
    /// other type is still found.
    pub hint_orders_search_only: bool,
    /// The userinfo endpoint refuses revoked tokens (OIDC Core §5.3.3; RFC 6750 §3.1).
    pub userinfo_honours_revocation: bool,
}

/// The introspection endpoint (RFC 7662). Each `true` boolean is the conformant choice unless
/// its documentation says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectionPolicy {
    /// Callers must authenticate (RFC 7662 §2.1).
    pub require_client_auth: bool,
    /// A caller that fails to authenticate gets `invalid_client` (RFC 7662 §2.3), not
    /// `active: false`.
    pub bad_auth_is_error: bool,
    /// A client sees only its own tokens (RFC 7662 §4), unless configured to see all.
    pub only_own_tokens: bool,
    /// `exp` and `iat` are numbers (RFC 7662 §2.2).
    pub times_as_numbers: bool,
    /// An unknown token is `active: false` (RFC 7662 §2.2), not an error.
    pub unknown_is_inactive: bool,
    /// An inactive token's answer is `{"active": false}` alone (RFC 7662 §2.2 SHOULD NOT
    /// say more).
    pub inactive_is_bare: bool,
    /// `active` is a JSON boolean (RFC 7662 §2.2).
    pub active_is_boolean: bool,
    /// Refresh tokens are described too (off under `refresh-not-introspectable`: a server may
    /// decline to, RFC 7662 §2.2).
    pub describe_refresh_tokens: bool,
    /// Only `active` and the claims a resource server needs (the `introspection-minimal`
    /// variant: RFC 7662 §2.2 requires only `active`).
    pub minimal_response: bool,
}

/// The revocation endpoint (RFC 7009). Each `true` boolean is the conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationPolicy {
    /// Callers must authenticate (RFC 7009 §2.1).
    pub require_client_auth: bool,
    /// An unknown token is answered with 200 (RFC 7009 §2.2).
    pub unknown_token_is_ok: bool,
    /// A client may revoke only its own tokens (RFC 7009 §2.1).
    pub only_own_tokens: bool,
    /// Revoking a refresh token revokes its grant's access tokens too (RFC 7009 §2.1 SHOULD).
    pub refresh_revokes_grant: bool,
    /// Milliseconds before a revocation takes effect (0; RFC 7009 §2 asks for at once).
    pub delay_ms: i64,
}

impl LookupPolicy {
    pub(super) fn resolve(on: &Switches) -> LookupPolicy {
        LookupPolicy {
            expired_tokens_inactive: !on.fault(Fault::ExpiredTokensActive),
            hint_orders_search_only: !on.fault(Fault::TrustTokenTypeHint),
            userinfo_honours_revocation: !on.fault(Fault::UserinfoIgnoresRevocation),
        }
    }
}

impl IntrospectionPolicy {
    pub(super) fn resolve(on: &Switches) -> IntrospectionPolicy {
        IntrospectionPolicy {
            require_client_auth: !on.fault(Fault::AnonymousIntrospection),
            bad_auth_is_error: !on.fault(Fault::IntrospectionBadAuthInactive),
            only_own_tokens: !on.fault(Fault::IntrospectionShowsOtherClients),
            times_as_numbers: !on.fault(Fault::IntrospectionTimesAsStrings),
            unknown_is_inactive: !on.fault(Fault::IntrospectUnknownIs400),
            inactive_is_bare: !on.fault(Fault::VerboseInactive),
            active_is_boolean: !on.fault(Fault::ActiveAsString),
            describe_refresh_tokens: !on.variant(Variant::RefreshNotIntrospectable),
            minimal_response: on.variant(Variant::IntrospectionMinimal),
        }
    }
}

impl RevocationPolicy {
    pub(super) fn resolve(on: &Switches) -> RevocationPolicy {
        RevocationPolicy {
            require_client_auth: !on.fault(Fault::AnonymousRevocation),
            unknown_token_is_ok: !on.fault(Fault::RevokeUnknownIs400),
            only_own_tokens: !on.fault(Fault::CrossClientRevocation),
            refresh_revokes_grant: !on.fault(Fault::NoRevocationCascade),
            delay_ms: if on.fault(Fault::DelayedRevocation) { 30_000 } else { 0 },
        }
    }
}
