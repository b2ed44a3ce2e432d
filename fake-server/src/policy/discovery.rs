//! Layer: policy. What the discovery documents (RFC 8414, OIDC Discovery) and the JWKS
//! (RFC 7517) publish, resolved once from the faults and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// The metadata documents and the JWKS. Each `true` boolean is the conformant choice unless
/// its documentation says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryPolicy {
    // ------------------------------------------------------------------ where and how
    /// With an issuer path, the document is at `/.well-known/oauth-authorization-server{path}`
    /// (RFC 8414 §3.1), not appended to the issuer.
    pub well_known_inserted: bool,
    /// Documents are `application/json` (RFC 8414 §3.2).
    pub json_content_type: bool,
    /// `issuer` is the issuer identifier exactly (RFC 8414 §3.3).
    pub exact_issuer: bool,
    /// Whether the server is an OpenID Provider (off under the `no-prompt` variant: no
    /// `prompt`, so no OpenID members and no `openid-configuration`, OIDC Core §15.1).
    pub openid_provider: bool,
    /// Back-channel endpoints are advertised at a second host name (the `split-origin`
    /// variant; RFC 8414 allows any URL).
    pub split_origin: bool,
    /// The OpenID configuration is served (OIDC Discovery §4).
    pub openid_configuration: bool,
    /// The OpenID configuration has the members OIDC Discovery §3 requires.
    pub openid_members_complete: bool,
    /// The OpenID configuration lists the PKCE methods like the OAuth metadata.
    pub openid_lists_pkce_methods: bool,

    // ------------------------------------------------------------------ members
    /// `token_endpoint_auth_methods_supported` lists `none` (public clients, OAuth 2.1 §2.1).
    pub advertise_none_auth: bool,
    /// `code_challenge_methods_supported` is `["S256"]` only (OAuth 2.1 §4.1.1).
    pub s256_only: bool,
    /// `code_challenge_methods_supported` is published (RFC 8414 §2; OAuth 2.1 §3.1).
    pub advertise_pkce_methods: bool,
    /// `grant_types_supported` is published (RFC 8414 §2).
    pub advertise_grant_types: bool,
    /// `response_types_supported` is published (RFC 8414 §2: REQUIRED).
    pub advertise_response_types: bool,
    /// `scopes_supported` is published (RFC 8414 §2: RECOMMENDED).
    pub advertise_scopes: bool,
    /// The revocation endpoint is advertised (RFC 8414 §2).
    pub advertise_revocation: bool,
    /// The introspection endpoint is advertised (RFC 8414 §2).
    pub advertise_introspection: bool,
    /// The registration endpoint is advertised when registration is on (RFC 8414 §2).
    pub advertise_registration: bool,
    /// Metadata-document support is advertised when it is on (CIMD §5).
    pub advertise_cimd: bool,
    /// `authorization_response_iss_parameter_supported` is claimed (RFC 9207 §3).
    pub advertise_iss: bool,
    /// Every endpoint is https or loopback (RFC 8414 §2); `false` adds a plain-http one.
    pub secure_endpoints: bool,
    /// No member is an empty array (RFC 8414 §2: omit instead).
    pub no_empty_arrays: bool,

    // ------------------------------------------------------------------ the JWKS
    /// The signing key has its `kid` and a real modulus (RFC 7517 §4).
    pub sound_signing_key: bool,
    /// Every listed key is a key (RFC 7517 §5).
    pub only_valid_keys: bool,
    /// `kid`s are unique (RFC 7517 §4.5).
    pub unique_kids: bool,
    /// Only public key members are published (RFC 7517 §9.3; RFC 7518 §6.3.2 members are
    /// private).
    pub public_members_only: bool,
    /// `use` agrees with `alg` (RFC 7517 §4.2).
    pub consistent_use: bool,
    /// `id_token_signing_alg_values_supported` is RS256 alone (the `rs256-id-tokens` variant;
    /// OIDC Discovery §3 requires only RS256), not every algorithm the server signs with.
    pub rs256_id_tokens_only: bool,
    /// Every key the server signs with is in the set (RFC 8414 §2 `jwks_uri`), not the RSA
    /// key alone.
    pub every_signing_key: bool,
}

impl DiscoveryPolicy {
    pub(super) fn resolve(on: &Switches) -> DiscoveryPolicy {
        let fault = |f| on.fault(f);
        let openid_provider = !on.variant(Variant::NoPrompt);
        DiscoveryPolicy {
            well_known_inserted: !fault(Fault::MetadataPathAppended),
            json_content_type: !fault(Fault::MetadataWrongContentType),
            exact_issuer: !fault(Fault::WrongIssuerInMetadata),
            openid_provider,
            split_origin: on.variant(Variant::SplitOrigin),
            openid_configuration: !fault(Fault::OidcConfigurationMissing) && openid_provider,
            openid_members_complete: !fault(Fault::OidcMetadataIncomplete),
            openid_lists_pkce_methods: !fault(Fault::NoPkceMethodsInOidcConfiguration),

            advertise_none_auth: !fault(Fault::NoNoneAuthMethod),
            s256_only: !fault(Fault::AdvertisePlainPkce),
            advertise_pkce_methods: !fault(Fault::NoPkceMethodsInMetadata),
            advertise_grant_types: !fault(Fault::NoGrantTypesInMetadata),
            advertise_response_types: !fault(Fault::NoResponseTypesInMetadata),
            advertise_scopes: !fault(Fault::NoScopesInMetadata),
            advertise_revocation: !fault(Fault::RevocationNotAdvertised),
            advertise_introspection: !fault(Fault::IntrospectionNotAdvertised),
            advertise_registration: !fault(Fault::RegistrationNotAdvertised),
            advertise_cimd: !fault(Fault::CimdNotAdvertised),
            advertise_iss: !fault(Fault::IssNotAdvertised),
            secure_endpoints: !fault(Fault::HttpEndpointInMetadata),
            no_empty_arrays: !fault(Fault::EmptyArrayInMetadata),

            sound_signing_key: !fault(Fault::BrokenJwks),
            only_valid_keys: !fault(Fault::JwksGarbageKey),
            unique_kids: !fault(Fault::JwksDuplicateKid),
            public_members_only: !fault(Fault::JwksPrivateKey),
            consistent_use: !fault(Fault::JwksUseMismatch),
            rs256_id_tokens_only: on.variant(Variant::Rs256IdTokens),
            every_signing_key: !fault(Fault::JwksRsaOnly),
        }
    }
}
