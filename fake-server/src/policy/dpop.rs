//! Layer: policy. DPoP (RFC 9449) at the token endpoint and at the demo resource, resolved once
//! from the faults and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// The oldest a proof may be at the demo MCP resource: the MCP DPoP profile's window
/// (SEP-1932, ±5 minutes), also used at the token endpoint.
pub const PROOF_MAX_AGE: i64 = 300;

/// What the server does with DPoP proofs. Each `true` boolean is the conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopPolicy {
    /// DPoP is offered at all; off under the `no-dpop` variant, where proofs are ignored as
    /// an unknown header and tokens are bearer tokens.
    pub offered: bool,
    /// The metadata lists asymmetric algorithms only (RFC 9449 §5.1, §4.3 item 5).
    pub advertise_asymmetric_only: bool,
    /// `none` and HMAC proofs are refused (RFC 9449 §4.3 item 5).
    pub accept_symmetric: bool,
    /// The signature is verified with the proof's `jwk` (§4.3 item 6).
    pub verify_signature: bool,
    /// `htm` must be the request's method (§4.3 item 8).
    pub check_htm: bool,
    /// `htu` must be the request's URL (§4.3 item 9).
    pub check_htu: bool,
    /// `iat` must lie within the accepted window (§4.3 item 11, §11.1).
    pub check_iat: bool,
    /// A `jti` is accepted once per URL (§11.1).
    pub track_jti: bool,
    /// A bound token's response says `token_type` `DPoP` (§5).
    pub token_type_dpop: bool,
    /// Introspection and JWT access tokens carry `cnf.jkt` (§6).
    pub confirm_key: bool,
    /// A public client's refresh token is bound to its proof key (§5).
    pub bind_public_refresh: bool,
    /// `dpop_bound_access_tokens: true` clients must send a proof (§5.2).
    pub enforce_bound_clients: bool,
    /// A code requested with `dpop_jkt` is redeemed with a proof of that key only (§10).
    pub check_dpop_jkt: bool,
    /// Every proof must carry a server nonce (§8, §9); the `dpop-nonce` variant.
    pub require_nonce: bool,
    /// A nonce must be one this server gave (§4.3 item 10).
    pub check_nonce: bool,
    /// `ath` must be the hash of the presented token (§4.3 item 12).
    pub check_ath: bool,
    /// The proof's key must be the one the token is bound to (§4.3 item 12).
    pub check_binding: bool,
    /// A bound token presented as a bearer token is refused (§7.2).
    pub refuse_bearer_use: bool,
    /// The resource's DPoP challenge names the accepted algorithms (§7.1).
    pub algs_in_challenge: bool,
    /// The oldest a proof may be at the demo resource, in seconds.
    pub resource_max_age: i64,
}

impl DpopPolicy {
    pub(super) fn resolve(on: &Switches) -> DpopPolicy {
        let fault = |f| on.fault(f);
        DpopPolicy {
            offered: !on.variant(Variant::NoDpop),
            advertise_asymmetric_only: !fault(Fault::DpopAdvertisesHs256),
            accept_symmetric: fault(Fault::DpopAcceptsSymmetric),
            verify_signature: !fault(Fault::DpopSignatureUnchecked),
            check_htm: !fault(Fault::DpopHtmUnchecked),
            check_htu: !fault(Fault::DpopHtuUnchecked),
            check_iat: !fault(Fault::DpopIatUnchecked),
            track_jti: !fault(Fault::DpopJtiUnchecked),
            token_type_dpop: !fault(Fault::DpopTokenTypeBearer),
            confirm_key: !fault(Fault::DpopNoCnf),
            bind_public_refresh: !fault(Fault::DpopRefreshUnbound),
            enforce_bound_clients: !fault(Fault::DpopBoundClientUnenforced),
            check_dpop_jkt: !fault(Fault::DpopJktIgnored),
            require_nonce: on.variant(Variant::DpopNonce),
            check_nonce: !fault(Fault::DpopNonceUnchecked),
            check_ath: !fault(Fault::DpopAthUnchecked),
            check_binding: !fault(Fault::DpopResourceIgnoresKey),
            refuse_bearer_use: !fault(Fault::DpopTokenAsBearer),
            algs_in_challenge: !fault(Fault::DpopNoAlgsInChallenge),
            resource_max_age: if fault(Fault::DpopResourceWideIat) { 86_400 } else { PROOF_MAX_AGE },
        }
    }
}
