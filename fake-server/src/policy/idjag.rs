//! Layer: policy. Enterprise-managed authorization (draft-ietf-oauth-identity-assertion-authz-grant;
//! MCP Enterprise-Managed Authorization): the identity provider's token exchange that issues
//! ID-JAGs and the authorization server's jwt-bearer grant that redeems them, resolved once
//! from the faults.

use super::switches::Switches;
use crate::faults::Fault;

/// Both roles. Each `true` boolean is the conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdJagPolicy {
    /// `grant_types_supported` lists the jwt-bearer grant next to the advertised profile
    /// (draft §7.2).
    pub advertise_jwt_bearer: bool,
    /// Issued ID-JAGs carry `typ` `oauth-id-jag+jwt` (draft §3).
    pub id_jag_typ: bool,
    /// The subject token's audience must be the client that asks for the exchange (draft §4.3.3).
    pub check_subject_audience: bool,
    /// `aud` must be this server's issuer identifier (draft §4.4.1).
    pub check_audience: bool,
    /// The signature must verify with a trusted issuer's keys (RFC 7523 §3 items 1 and 9).
    pub trusted_issuers_only: bool,
    /// An expired ID-JAG is refused (RFC 7523 §3 item 4).
    pub check_expiry: bool,
    /// `client_id` must be the authenticated client (draft §4.4.1).
    pub check_client: bool,
    /// Granted scopes are those requested that the ID-JAG also holds (MCP EMA §7.2.1).
    pub scope_within_grant: bool,
    /// A `jti` is accepted once (RFC 7523 §3 item 7).
    pub single_use: bool,
    /// The access token is restricted to the ID-JAG's `resource` (MCP EMA §5.1).
    pub audience_from_resource: bool,
    /// No refresh token comes with the access token (draft §4.4.3).
    pub no_refresh_token: bool,
}

impl IdJagPolicy {
    pub(super) fn resolve(on: &Switches) -> IdJagPolicy {
        let fault = |f| on.fault(f);
        IdJagPolicy {
            advertise_jwt_bearer: !fault(Fault::IdJagGrantTypeNotAdvertised),
            id_jag_typ: !fault(Fault::IdJagWrongTyp),
            check_subject_audience: !fault(Fault::IdJagSubjectTokenUnchecked),
            check_audience: !fault(Fault::IdJagAnyAudience),
            trusted_issuers_only: !fault(Fault::IdJagAnyIssuer),
            check_expiry: !fault(Fault::IdJagExpiryIgnored),
            check_client: !fault(Fault::IdJagClientUnchecked),
            scope_within_grant: !fault(Fault::IdJagScopeEscalation),
            single_use: !fault(Fault::IdJagReplay),
            audience_from_resource: !fault(Fault::IdJagResourceIgnored),
            no_refresh_token: !fault(Fault::IdJagRefreshToken),
        }
    }
}
