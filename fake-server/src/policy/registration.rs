//! Layer: policy. Dynamic client registration and management (RFC 7591, RFC 7592) and the
//! client metadata rules they share with metadata documents, resolved once from the faults
//! and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// Registration, management and client metadata. Each `true` boolean is the conformant choice
/// unless its documentation says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRegistrationPolicy {
    // ------------------------------------------------------------------ registration
    /// Under `registration = "token"`, the initial access token is checked (RFC 7591 §3).
    pub check_initial_token: bool,
    /// Public clients get no secret (RFC 7591 §2: `none` means no secret).
    pub no_secret_for_public_clients: bool,
    /// Issued client ids are opaque, not URLs (which would read as metadata documents).
    pub opaque_client_ids: bool,
    /// Registered clients still meet the consent page (RFC 7591 §5: metadata is
    /// self-asserted).
    pub consent_for_registered_clients: bool,
    /// A registration answers 201 Created (RFC 7591 §3.2.1).
    pub status_created: bool,
    /// `client_id_issued_at` is a number (RFC 7591 §3.2.1).
    pub issued_at_as_number: bool,
    /// `client_secret_expires_at` goes with an issued secret (RFC 7591 §3.2.1).
    pub secret_expiry_shown: bool,
    /// `registration_client_uri` goes with the registration access token (RFC 7592 §3).
    pub management_uri_shown: bool,
    /// The response shows what was registered (RFC 7591 §3.2.1), not what was sent.
    pub echo_registered_values: bool,
    /// Responses carry `Cache-Control: no-store` (RFC 7591 §3.2.1).
    pub no_store: bool,

    // ------------------------------------------------------------------ management (RFC 7592)
    /// An unknown client looks like a bad token (RFC 7592 §2.1: 401), not 404.
    pub unknown_client_is_unauthorized: bool,
    /// The registration access token is checked (RFC 7592 §2).
    pub check_management_token: bool,
    /// An update is checked like a registration (RFC 7592 §2.2).
    pub check_updates: bool,
    /// A client cannot choose its secret in an update (RFC 7592 §2.2).
    pub refuse_chosen_secret: bool,
    /// An update replaces the metadata (RFC 7592 §2.2), it does not merge into it.
    pub update_replaces_metadata: bool,
    /// A deleted client is gone (RFC 7592 §2.3).
    pub delete_removes_client: bool,

    // ------------------------------------------------------------------ client metadata
    /// Unknown metadata is ignored (RFC 7591 §2), not refused.
    pub ignore_unknown_metadata: bool,
    /// A metadata-document client cannot use a shared secret (CIMD §4.1).
    pub documents_are_public: bool,
    /// An unsupported authentication method is refused, not silently replaced (RFC 7591
    /// §3.2.1 lets the server replace values, but the response must show it).
    pub refuse_unsupported_auth_method: bool,
    /// `response_types` and `grant_types` must agree (RFC 7591 §2.1).
    pub consistent_types: bool,
    /// A client of the code grant must register redirect URIs (RFC 7591 §2).
    pub require_redirect_uris: bool,
    /// Registered `jwks` are checked (RFC 7591 §2).
    pub check_jwks: bool,
    /// Each client keeps one grant type (the `single-grant-type` variant).
    pub single_grant_type: bool,
    /// `id_token_signed_response_alg` may only be RS256 (the `rs256-id-tokens` variant).
    pub rs256_id_tokens_only: bool,

    // ------------------------------------------------------------------ redirect URIs
    /// `javascript:`, `data:` and the like are refused (RFC 6749 §10.6; RFC 9700 §4.1.1).
    pub refuse_dangerous_schemes: bool,
    /// Redirect URIs have no fragment (RFC 6749 §3.1.2).
    pub refuse_fragments: bool,
    /// Loopback http redirect URIs are allowed (RFC 8252 §7.3).
    pub allow_loopback_http: bool,
    /// Plain http is refused except on loopback (OAuth 2.1 §2.3.1; RFC 9700 §2.6).
    pub refuse_plain_http: bool,
}

impl ClientRegistrationPolicy {
    pub(super) fn resolve(on: &Switches) -> ClientRegistrationPolicy {
        let fault = |f| on.fault(f);
        ClientRegistrationPolicy {
            check_initial_token: !fault(Fault::RegistrationTokenNotChecked),
            no_secret_for_public_clients: !fault(Fault::DcrSecretForPublicClient),
            opaque_client_ids: !fault(Fault::DcrUrlClientId),
            consent_for_registered_clients: !fault(Fault::DcrSkipsConsent),
            status_created: !fault(Fault::RegistrationReturns200),
            issued_at_as_number: !fault(Fault::DcrIssuedAtAsString),
            secret_expiry_shown: !fault(Fault::NoClientSecretExpiresAt),
            management_uri_shown: !fault(Fault::ManagementUriMissing),
            echo_registered_values: !fault(Fault::DcrDropsMetadata),
            no_store: !fault(Fault::RegistrationCacheable),

            unknown_client_is_unauthorized: !fault(Fault::ManagementUnknownClient404),
            check_management_token: !fault(Fault::ManagementTokenNotChecked),
            check_updates: !fault(Fault::PutSkipsChecks),
            refuse_chosen_secret: !fault(Fault::PutAcceptsClientSecret),
            update_replaces_metadata: !fault(Fault::PutMergesMetadata),
            delete_removes_client: !fault(Fault::ManagementDeleteKeepsClient),

            ignore_unknown_metadata: !fault(Fault::DcrRejectsUnknownMetadata),
            documents_are_public: !fault(Fault::CimdAcceptsSharedSecret),
            refuse_unsupported_auth_method: !fault(Fault::DcrHidesReplacedValues),
            consistent_types: !fault(Fault::DcrAcceptsInconsistentTypes),
            require_redirect_uris: !fault(Fault::DcrAllowsMissingRedirectUris),
            check_jwks: !fault(Fault::DcrSkipsJwksChecks),
            single_grant_type: on.variant(Variant::SingleGrantType),
            rs256_id_tokens_only: on.variant(Variant::Rs256IdTokens),

            refuse_dangerous_schemes: !fault(Fault::DcrAcceptsDangerousSchemes),
            refuse_fragments: !fault(Fault::DcrAcceptsFragmentRedirect),
            allow_loopback_http: !fault(Fault::DcrRejectsLoopback),
            refuse_plain_http: !fault(Fault::DcrAcceptsHttpRedirect),
        }
    }
}
