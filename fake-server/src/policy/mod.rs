//! Layer: policy (above config, faults and variants; below state). What each endpoint does,
//! decided once when the server starts from the configured faults and variants.
//!
//! Handlers read named decisions (`if policy.verify_pkce { ... }`) instead of asking about
//! faults, so each endpoint reads as the specification it implements. The fault set is fixed
//! for a server's lifetime (it comes from the builder, the fixtures file or the command line,
//! and nothing changes it afterwards), so the policies never go stale. `Default` is the
//! conformant server with no fault and no variant.

mod authorize;
mod cimd;
mod client_auth;
mod cors;
mod discovery;
mod dpop;
mod idjag;
mod interaction;
mod registration;
mod resource;
mod switches;
mod token;
mod tokens;

pub use authorize::AuthorizePolicy;
pub use cimd::CimdPolicy;
pub use client_auth::ClientAuthPolicy;
pub use cors::CorsPolicy;
pub use discovery::DiscoveryPolicy;
pub use dpop::{DpopPolicy, PROOF_MAX_AGE};
pub use idjag::IdJagPolicy;
pub use interaction::InteractionPolicy;
pub use registration::ClientRegistrationPolicy;
pub use resource::{AssertionPolicy, JwtPolicy, ResourcePolicy};
pub use token::{CodeReuseRevocation, TokenPolicy};
pub use tokens::{IntrospectionPolicy, LookupPolicy, RevocationPolicy};

use crate::faults::{Fault, Faults};
use crate::variants::{Variant, Variants};
use switches::Switches;

/// Every endpoint's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    pub discovery: DiscoveryPolicy,
    pub authorize: AuthorizePolicy,
    pub interaction: InteractionPolicy,
    pub cors: CorsPolicy,
    pub token: TokenPolicy,
    pub client_auth: ClientAuthPolicy,
    pub lookup: LookupPolicy,
    pub introspection: IntrospectionPolicy,
    pub revocation: RevocationPolicy,
    pub registration: ClientRegistrationPolicy,
    pub cimd: CimdPolicy,
    pub jwt: JwtPolicy,
    pub assertion: AssertionPolicy,
    pub resource: ResourcePolicy,
    pub dpop: DpopPolicy,
    pub requests: RequestPolicy,
    pub pages: PagePolicy,
    pub idjag: IdJagPolicy,
}

impl Default for Policies {
    fn default() -> Policies {
        Policies::resolve(&Faults::default(), &Variants::default())
    }
}

impl Policies {
    /// The decisions a server with these faults and variants makes.
    pub fn resolve(faults: &Faults, variants: &Variants) -> Policies {
        let on = Switches::new(faults, *variants);
        Policies {
            discovery: DiscoveryPolicy::resolve(&on),
            authorize: AuthorizePolicy::resolve(&on),
            interaction: InteractionPolicy::resolve(&on),
            cors: CorsPolicy::resolve(&on),
            token: TokenPolicy::resolve(&on),
            client_auth: ClientAuthPolicy::resolve(&on),
            lookup: LookupPolicy::resolve(&on),
            introspection: IntrospectionPolicy::resolve(&on),
            revocation: RevocationPolicy::resolve(&on),
            registration: ClientRegistrationPolicy::resolve(&on),
            cimd: CimdPolicy::resolve(&on),
            jwt: JwtPolicy::resolve(&on),
            assertion: AssertionPolicy::resolve(&on),
            resource: ResourcePolicy::resolve(&on),
            dpop: DpopPolicy::resolve(&on),
            requests: RequestPolicy::resolve(&on),
            pages: PagePolicy::resolve(&on),
            idjag: IdJagPolicy::resolve(&on),
        }
    }
}

/// Scopes and resource indicators, checked alike at the authorization and token endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPolicy {
    /// An unknown or disallowed scope is `invalid_scope` (RFC 6749 §3.3), not dropped.
    pub refuse_unknown_scopes: bool,
    /// Resource indicators are absolute URIs this server serves (RFC 8707 §2).
    pub check_resources: bool,
    /// `resource` parameters are read at all (RFC 8707); off under `no-resource-indicators`,
    /// which ignores them as RFC 6749 §3.1 asks of unrecognized parameters.
    pub resource_indicators: bool,
}

impl RequestPolicy {
    fn resolve(on: &Switches) -> RequestPolicy {
        RequestPolicy {
            refuse_unknown_scopes: !on.fault(Fault::IgnoreUnknownScope),
            check_resources: !on.fault(Fault::IgnoreResource),
            resource_indicators: !on.variant(Variant::NoResourceIndicators),
        }
    }
}

/// The HTML pages of the flow and of the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePolicy {
    /// Pages carry the anti-framing headers (RFC 6749 §10.13).
    pub refuse_framing: bool,
    /// Login and consent live at `/u/login/{id}` and `/interaction/{id}/consent` (the
    /// `other-paths` variant) instead of `/login` and `/consent`.
    pub other_paths: bool,
    /// Login and consent pages arrive as a shell that a script fills from JSON, and their
    /// forms are posted with `fetch` (the `js-pages` variant).
    pub script_rendered: bool,
}

impl PagePolicy {
    fn resolve(on: &Switches) -> PagePolicy {
        PagePolicy {
            refuse_framing: !on.fault(Fault::FrameablePages),
            other_paths: on.variant(Variant::OtherPaths),
            script_rendered: on.variant(Variant::ScriptPages),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policies_are_those_of_a_server_without_faults_or_variants() {
        let p = Policies::default();
        assert!(p.token.verify_pkce && p.token.single_use_codes && p.token.rotate_refresh_tokens);
        assert!(p.authorize.require_pkce && p.authorize.send_iss && p.pages.refuse_framing);
    }

    #[test]
    fn a_fault_changes_only_the_decision_it_names() {
        let p = Policies::resolve(&Faults::from_list(&[Fault::SkipVerifierCheck]), &Variants::default());
        assert!(!p.token.verify_pkce);
        assert_eq!(p.authorize, Policies::default().authorize);
        let relaxed = TokenPolicy { verify_pkce: true, ..p.token.clone() };
        assert_eq!(relaxed, Policies::default().token);
    }
}
