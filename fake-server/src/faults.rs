//! Layer: bottom (depends on nothing in the crate).
//! Deliberate protocol violations. Each variant breaks exactly one behaviour so that the
//! harness can prove each of its checks is able to fail (the kill matrix).
//!
//! Every fault is off by default and can be switched on from the builder
//! (`FakeServer::builder().fault(Fault::ReusableCodes)`), the fixtures file
//! (`faults = ["reusable-codes"]`) or the binary (`--fault reusable-codes`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! faults {
    ($( $(#[doc = $doc:literal])+ $variant:ident => $name:literal, )+) => {
        /// A deliberate violation of the specifications, named in kebab-case.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Fault {
            /// Every fault, in declaration order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The kebab-case name used in fixtures, flags and scenario files.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)+ }
            }

            /// One sentence saying what the fault breaks.
            pub fn description(self) -> &'static str {
                match self { $(Fault::$variant => concat!($($doc),+).trim_ascii(),)+ }
            }
        }
    };
}

faults! {
    // ------------------------------------------------------------------ discovery
    /// Metadata `issuer` gets a trailing slash, so it no longer equals the issuer URL (DISC-04).
    WrongIssuerInMetadata => "wrong-issuer-in-metadata",
    /// `code_challenge_methods_supported` is left out of the metadata (DISC-08).
    NoPkceMethodsInMetadata => "no-pkce-methods-in-metadata",
    /// Metadata advertises `plain` as a PKCE method (DISC-09).
    AdvertisePlainPkce => "advertise-plain-pkce",
    /// Metadata carries an empty array member (DISC-06).
    EmptyArrayInMetadata => "empty-array-in-metadata",
    /// Metadata is served as `text/plain` (DISC-03).
    MetadataWrongContentType => "metadata-wrong-content-type",
    /// The OpenID configuration document differs from the OAuth metadata (DISC-16).
    OidcConfigurationMissing => "oidc-configuration-missing",
    /// `token_endpoint_auth_methods_supported` omits `none` (DISC-10).
    NoNoneAuthMethod => "no-none-auth-method",
    /// `grant_types_supported` is left out of the metadata (DISC-11).
    NoGrantTypesInMetadata => "no-grant-types-in-metadata",
    /// The revocation endpoint is not advertised although it works (DISC-12).
    RevocationNotAdvertised => "revocation-not-advertised",
    /// Metadata does not claim `authorization_response_iss_parameter_supported` (DISC-13).
    IssNotAdvertised => "iss-not-advertised",
    /// The JWKS publishes a key without `kid`/`use` and a wrong modulus (JWT-03).
    BrokenJwks => "broken-jwks",
    /// The JWKS also lists a key that is no key: an RSA key whose `n` is not base64url
    /// (JWT-03.keys).
    JwksGarbageKey => "jwks-garbage-key",
    /// The JWKS lists the signing key twice under one `kid` (JWT-03.kid).
    JwksDuplicateKid => "jwks-duplicate-kid",
    /// The JWKS publishes the signing key with private members (`d` and the CRT values)
    /// (JWT-03.private).
    JwksPrivateKey => "jwks-private-key",
    /// The signing key in the JWKS says `use` `enc` while its `alg` is RS256 (DISC-07.jwks).
    JwksUseMismatch => "jwks-use-mismatch",
    /// The JWKS publishes the RSA key only, although tokens are also signed with the ES256 and
    /// EdDSA keys (DCR-20, DCR-20.eddsa).
    JwksRsaOnly => "jwks-rsa-only",
    /// With an issuer path, the RFC 8414 document is served at `{issuer}/.well-known/…`
    /// (appended, the Keycloak pattern) instead of with the well-known segment inserted before
    /// the path (DISC-01, DISC-02). Shows only with an issuer path.
    MetadataPathAppended => "metadata-path-appended",
    /// Metadata advertises an `end_session_endpoint` on plain http at a non-loopback host, as
    /// behind a TLS-terminating proxy (DISC-07).
    HttpEndpointInMetadata => "http-endpoint-in-metadata",
    /// `response_types_supported` is left out of the metadata (DISC-05).
    NoResponseTypesInMetadata => "no-response-types-in-metadata",
    /// `scopes_supported` is left out of the metadata (DISC-05.scopes).
    NoScopesInMetadata => "no-scopes-in-metadata",
    /// The introspection endpoint is not advertised although it works (DISC-12.introspection).
    IntrospectionNotAdvertised => "introspection-not-advertised",
    /// The OpenID configuration lacks `subject_types_supported` and
    /// `id_token_signing_alg_values_supported` (DISC-17).
    OidcMetadataIncomplete => "oidc-metadata-incomplete",
    /// The OpenID configuration omits `code_challenge_methods_supported`, the Cognito and
    /// Entra ID pattern (DISC-18).
    NoPkceMethodsInOidcConfiguration => "no-pkce-methods-in-oidc-configuration",

    // ------------------------------------------------------- authorization endpoint
    /// A requested redirect URI matches when it merely starts with a registered one (AUTHZ-06).
    PrefixRedirectMatch => "prefix-redirect-match",
    /// Redirect URIs compare case-insensitively and ignore a trailing slash (AUTHZ-06).
    LooseRedirectMatch => "loose-redirect-match",
    /// Loopback redirect URIs must match their port exactly (AUTHZ-08).
    LoopbackPortStrict => "loopback-port-strict",
    /// An unknown client or bad redirect URI is answered with a redirect instead of a page (AUTHZ-05, AUTHZ-07).
    RedirectOnInvalidClient => "redirect-on-invalid-client",
    /// A missing redirect URI is accepted for clients with several registered (AUTHZ-11).
    DefaultRedirectForMultiple => "default-redirect-for-multiple",
    /// The registered redirect URI's own query is dropped from the callback (AUTHZ-12).
    DropRegisteredQuery => "drop-registered-query",
    /// Authorization requests without a code challenge are accepted (AUTHZ-14, AUTHZ-15).
    PkceOptional => "pkce-optional",
    /// `code_challenge_method=plain` is accepted (AUTHZ-17, AUTHZ-18).
    AcceptPlainPkce => "accept-plain-pkce",
    /// Challenge and verifier syntax (43–128 unreserved characters) is not checked (AUTHZ-19).
    LaxPkceSyntax => "lax-pkce-syntax",
    /// `state` is not echoed on the success redirect (AUTHZ-22).
    NoStateEcho => "no-state-echo",
    /// `iss` is left out of authorization responses (AUTHZ-26).
    NoIss => "no-iss",
    /// Unknown scopes are dropped silently instead of `invalid_scope` (AUTHZ-27, TOK-20).
    IgnoreUnknownScope => "ignore-unknown-scope",
    /// A repeated authorization parameter is accepted (AUTHZ-03).
    AcceptDuplicateParams => "accept-duplicate-params",
    /// `response_type=token` (implicit) is accepted as if it were `code` (AUTHZ-04).
    AcceptTokenResponseType => "accept-token-response-type",
    /// An unknown authorization parameter is refused (AUTHZ-02).
    RejectUnknownParams => "reject-unknown-params",
    /// The post-login redirect uses 307, which replays the password to the client (AUTHZ-28).
    Redirect307AfterLogin => "redirect-307-after-login",
    /// Codes are short (64 bits of randomness) (AUTHZ-24).
    ShortCodes => "short-codes",
    /// `resource` values are not validated (RI-02, RI-03).
    IgnoreResource => "ignore-resource",
    /// `prompt` is ignored (CONS-07..09).
    IgnorePrompt => "ignore-prompt",
    /// An existing session is reused even with `prompt=login` (CONS-09).
    IgnorePromptLogin => "ignore-prompt-login",
    /// A parameter sent with an empty value counts as sent: `redirect_uri=` is compared (and
    /// refused) and `state=` is echoed (AUTHZ-03.empty-redirect-uri, AUTHZ-03.empty-state).
    EmptyParamsCount => "empty-params-count",
    /// A missing `response_type` is taken to mean `code` (AUTHZ-04).
    DefaultResponseType => "default-response-type",
    /// An unknown `response_type` gets `invalid_request` instead of `unsupported_response_type`
    /// (AUTHZ-04.token, AUTHZ-04.unknown).
    WrongUnsupportedResponseTypeError => "wrong-unsupported-response-type-error",
    /// A requested redirect URI matches when its host equals a registered one's (AUTHZ-06.*,
    /// AUTHZ-08.path, AUTHZ-10, AUTHZ-12.fragment).
    HostOnlyRedirectMatch => "host-only-redirect-match",
    /// Registered redirect URIs are used as unanchored patterns: a requested URI matches when
    /// it contains a registered one without its scheme (AUTHZ-06.subdomain and others).
    UnanchoredRedirectMatch => "unanchored-redirect-match",
    /// `redirect_uri` is required even from a client that registered only one (AUTHZ-11.single).
    RedirectUriAlwaysRequired => "redirect-uri-always-required",
    /// Responses go to the registered redirect URI instead of the requested one, so a loopback
    /// client's port is lost (AUTHZ-08, AUTHZ-09).
    RedirectToRegisteredUri => "redirect-to-registered-uri",
    /// The success redirect goes to the redirect URI with a `/` appended to its path, not to
    /// the exact URI (AUTHZ-21).
    CallbackUriNormalized => "callback-uri-normalized",
    /// An unknown `code_challenge_method` is treated as S256 (AUTHZ-17.s512).
    UnknownPkceMethodAsS256 => "unknown-pkce-method-as-s256",
    /// Codes carry the code challenge in clear (AUTHZ-20).
    CodeEmbedsChallenge => "code-embeds-challenge",
    /// Errors about the request's parameters are redirected without `state` (denials and
    /// `prompt=none` errors keep it) (AUTHZ-22.error).
    ErrorDropsState => "error-drops-state",
    /// When no `state` was sent, the callback carries `state=undefined` (AUTHZ-22.absent).
    UndefinedStateEcho => "undefined-state-echo",
    /// Error descriptions repeat request values unfiltered, including `"` and `\`
    /// (AUTHZ-25).
    UnsafeErrorDescription => "unsafe-error-description",
    /// A request without `scope` is refused with `invalid_request` instead of getting the
    /// default scope or `invalid_scope` (AUTHZ-27).
    MissingScopeInvalidRequest => "missing-scope-invalid-request",

    // ----------------------------------------------------------- consent and pages
    /// Consent is skipped for clients configured to show it (AUTHZ-13, CONS-06).
    SkipConsent => "skip-consent",
    /// The consent approval is accepted without a valid CSRF token (CONS-12).
    NoConsentCsrf => "no-consent-csrf",
    /// HTML pages omit `X-Frame-Options` and `frame-ancestors` (CONS-11).
    FrameablePages => "frameable-pages",
    /// Denial redirects without `state` (CONS-01).
    DenyDropsState => "deny-drops-state",
    /// Denial ends on an error page of the server instead of the client's redirect URI (CONS-02).
    DenyToServerPage => "deny-to-server-page",
    /// Denial adds an unrelated `session_state` parameter (CONS-10).
    ExtraErrorParams => "extra-error-params",
    /// A partial approval still grants every requested scope (CONS-15).
    IgnorePartialConsent => "ignore-partial-consent",
    /// Client names are written into the consent page without escaping.
    UnescapedClientName => "unescaped-client-name",
    /// Denying a request that carried no `state` ends in a 500 error (CONS-01).
    DenyWithoutStateFails => "deny-without-state-fails",
    /// A GET of the consent URL with `decision=approve` grants consent (CONS-12).
    ConsentApproveByGet => "consent-approve-by-get",
    /// The consent page names the client by its id and does not say where the answer goes (CONS-03, CONS-04).
    ConsentPageWithoutDetails => "consent-page-without-details",
    /// Any password signs the user in (AUTHZ-13).
    AcceptAnyPassword => "accept-any-password",
    /// The login page follows a `next` parameter to any URL (AUTHZ-29).
    LoginNextOpenRedirect => "login-next-open-redirect",

    // --------------------------------------------------------------- token endpoint
    /// Any `code_verifier` is accepted (CODE-05, CODE-06).
    SkipVerifierCheck => "skip-verifier-check",
    /// A code can be redeemed more than once (CODE-01).
    ReusableCodes => "reusable-codes",
    /// A replayed code is refused but its tokens stay valid (CODE-02).
    NoRevokeOnCodeReuse => "no-revoke-on-code-reuse",
    /// A replayed code revokes the access tokens it produced but not the refresh token, which
    /// keeps minting new ones (CODE-02.refresh).
    CodeReuseKeepsRefreshToken => "code-reuse-keeps-refresh-token",
    /// A replayed code revokes the refresh token it produced but not the access token
    /// (CODE-02).
    CodeReuseKeepsAccessToken => "code-reuse-keeps-access-token",
    /// A replay with a wrong verifier still revokes the first tokens (CODE-03).
    RevokeOnBadReplay => "revoke-on-bad-replay",
    /// Codes can be redeemed by any client (CODE-04).
    CodeNotClientBound => "code-not-client-bound",
    /// The token request's `redirect_uri` is not compared (CODE-08).
    CodeNotRedirectBound => "code-not-redirect-bound",
    /// Codes live for a day (AUTHZ-23).
    LongLivedCodes => "long-lived-codes",
    /// Token responses lack `Cache-Control: no-store` (TOK-16).
    NoCacheControl => "no-cache-control",
    /// `unsupported_grant_type` errors come with status 200 (TOK-17).
    ErrorsWithStatus200 => "errors-with-status-200",
    /// `invalid_grant` for a refresh token is sent with status 401 (TOK-19).
    InvalidGrantAs401 => "invalid-grant-as-401",
    /// `unsupported_grant_type` errors are an HTML page instead of JSON (TOK-17, TOK-18, TOK-22).
    HtmlErrors => "html-errors",
    /// A failed HTTP Basic authentication answers 400 without `WWW-Authenticate` (TOK-10).
    NoWwwAuthenticateOnBasic => "no-www-authenticate-on-basic",
    /// HTTP Basic credentials are not form-decoded after Base64 (TOK-05).
    BasicNotFormDecoded => "basic-not-form-decoded",
    /// `client_secret_post` is refused (TOK-04).
    NoClientSecretPost => "no-client-secret-post",
    /// Confidential clients may call the token endpoint without a secret (TOK-07).
    ConfidentialWithoutSecret => "confidential-without-secret",
    /// Basic and body credentials together are accepted (TOK-09).
    AcceptTwoAuthMethods => "accept-two-auth-methods",
    /// Client credentials in the URL query are accepted and used (TOK-08).
    AcceptQueryCredentials => "accept-query-credentials",
    /// Unknown grant types get `invalid_request` (TOK-18).
    WrongUnsupportedGrantError => "wrong-unsupported-grant-error",
    /// `grant_type=password` is served (TOK-22).
    AcceptPasswordGrant => "accept-password-grant",
    /// Public clients may use `client_credentials` (TOK-21).
    PublicClientCredentials => "public-client-credentials",
    /// `expires_in` is sent as a string (TOK-14).
    ExpiresInAsString => "expires-in-as-string",
    /// `scope` is left out of token responses even when it differs from the request (TOK-15).
    OmitScopeInResponse => "omit-scope-in-response",
    /// `token_type` is `mac` (TOK-13).
    WrongTokenType => "wrong-token-type",
    /// A repeated token request parameter is accepted (TOK-03).
    AcceptDuplicateTokenParams => "accept-duplicate-token-params",
    /// JSON bodies at the token endpoint are served (TOK-02).
    AcceptJsonTokenRequest => "accept-json-token-request",
    /// Token requests sent as GET with query parameters are served (TOK-02).
    AcceptGetTokenRequest => "accept-get-token-request",
    /// Unknown token parameters and parameters with an empty value are refused (TOK-03).
    StrictTokenParams => "strict-token-params",
    /// Successful token responses are labelled `text/plain` (TOK-12).
    TokenWrongContentType => "token-wrong-content-type",
    /// A public client's valid code is refused with `invalid_client` (TOK-06).
    PublicClientRefused => "public-client-refused",
    /// A code grant without `code` gets `invalid_grant` instead of `invalid_request` (TOK-18).
    MissingCodeIsInvalidGrant => "missing-code-is-invalid-grant",
    /// Requests without a code challenge get a code, and the token endpoint ignores a
    /// `code_verifier` sent for such a code: the PKCE downgrade (CODE-07, AUTHZ-14, AUTHZ-15).
    PkceDowngrade => "pkce-downgrade",
    /// `code_verifier` values with `.` or `~` are refused, although RFC 7636 §4.1 allows them
    /// (AUTHZ-16).
    VerifierCharsetTooStrict => "verifier-charset-too-strict",
    /// The token request must repeat `redirect_uri`, which OAuth 2.1 clients never send
    /// (CODE-08.omitted).
    TokenRequiresRedirectUri => "token-requires-redirect-uri",

    // ------------------------------------------------------------- refresh tokens
    /// Public clients keep the same refresh token (TOK-25).
    NoRefreshRotation => "no-refresh-rotation",
    /// A rotated refresh token keeps working and reuse revokes nothing (TOK-26).
    NoReuseDetection => "no-reuse-detection",
    /// A refresh may widen the scope beyond the grant (TOK-27).
    ScopeWideningOnRefresh => "scope-widening-on-refresh",
    /// A refresh token works for any client (TOK-23).
    RefreshNotClientBound => "refresh-not-client-bound",
    /// A new refresh token keeps only the down-scoped scope (TOK-28).
    RefreshKeepsNarrowScope => "refresh-keeps-narrow-scope",
    /// A refresh asking for a narrower scope gets the whole grant's scope (TOK-27).
    RefreshIgnoresScope => "refresh-ignores-scope",
    /// A rotated refresh token lives a full lifetime from its rotation, outliving the one it replaced (TOK-29).
    RotatedRefreshExtendsLifetime => "rotated-refresh-extends-lifetime",

    // --------------------------------------------------- introspection, revocation
    /// Revocation through the revocation endpoint takes effect only after 30 seconds (REV-09, INT-10, TOK-24).
    DelayedRevocation => "delayed-revocation",
    /// Revoking a refresh token leaves the grant's access tokens active (REV-10).
    NoRevocationCascade => "no-revocation-cascade",
    /// A client can revoke another client's token (REV-04).
    CrossClientRevocation => "cross-client-revocation",
    /// Revoking an unknown token answers 400 (REV-05).
    RevokeUnknownIs400 => "revoke-unknown-is-400",
    /// The token type hint is trusted, so a wrong hint misses the token (REV-06, INT-08).
    TrustTokenTypeHint => "trust-token-type-hint",
    /// Introspection works without client authentication (INT-02).
    AnonymousIntrospection => "anonymous-introspection",
    /// Inactive tokens are introspected with extra members (INT-06).
    VerboseInactive => "verbose-inactive",
    /// Expired tokens introspect as active (INT-09).
    ExpiredTokensActive => "expired-tokens-active",
    /// Introspection of an unknown token answers 400 (INT-05).
    IntrospectUnknownIs400 => "introspect-unknown-is-400",
    /// Introspection answers `"active": "true"` as a string (INT-04).
    ActiveAsString => "active-as-string",
    /// Access tokens get the client id as audience even when a resource was requested (RI-04, JWT-05).
    AudienceIgnoresResource => "audience-ignores-resource",
    /// JWT access tokens carry `typ: JWT` instead of `at+jwt` (JWT-01).
    JwtWrongTyp => "jwt-wrong-typ",
    /// JWT access tokens lack `client_id` (JWT-02).
    JwtMissingClaims => "jwt-missing-claims",
    /// ID tokens are signed with the server's algorithm whatever the client registered as
    /// `id_token_signed_response_alg` (DCR-20, DCR-20.eddsa).
    IdTokenAlgIgnored => "id-token-alg-ignored",
    /// Userinfo accepts revoked tokens.
    UserinfoIgnoresRevocation => "userinfo-ignores-revocation",
    /// Introspection with wrong client credentials answers 200 `{"active": false}` instead of 401 (INT-03).
    IntrospectionBadAuthInactive => "introspection-bad-auth-inactive",
    /// Any authenticated client may introspect tokens issued to other clients (INT-09).
    IntrospectionShowsOtherClients => "introspection-shows-other-clients",
    /// Introspection of an access token sends `exp` and `iat` as strings instead of JSON numbers (INT-07).
    IntrospectionTimesAsStrings => "introspection-times-as-strings",
    /// Revocation works without client authentication, for anyone's token (REV-03).
    AnonymousRevocation => "anonymous-revocation",
    /// The MCP resource checks JWT access tokens by signature and expiry alone, so a revoked JWT keeps working there (REV-09.jwt-resource).
    ResourceIgnoresJwtRevocation => "resource-ignores-jwt-revocation",
    /// JWT access tokens carry their scopes as an `scp` array instead of the `scope` string (JWT-04).
    JwtScpInsteadOfScope => "jwt-scp-instead-of-scope",
    /// The refresh grant refuses any `resource` parameter with `invalid_target` (RI-01).
    RefreshRejectsResource => "refresh-rejects-resource",
    /// The Clerk-compatible verification endpoint answers a revoked or expired access token
    /// with 200 and `"revoked": true` / `"expired": true`, which Clerk's SDKs read as valid
    /// (REV-09.clerk-verify, REV-10.clerk-verify, INT-09.clerk-verify).
    VerifyReportsRevokedAsValid => "verify-reports-revoked-as-valid",

    // ------------------------------------------------ protected-resource metadata, MCP CORS
    /// Protected-resource metadata sits at `<resource>/.well-known/oauth-protected-resource` (appended, not inserted), and the 401 names that URL (PRM-01, PRM-04).
    PrmPathAppended => "prm-path-appended",
    /// Protected-resource metadata leaves out `authorization_servers` (PRM-06).
    PrmNoAuthorizationServers => "prm-no-authorization-servers",
    /// Protected-resource metadata leaves out `scopes_supported` (PRM-08).
    PrmNoScopesSupported => "prm-no-scopes-supported",
    /// Protected-resource metadata lists `offline_access` among `scopes_supported` (PRM-08.offline-access).
    PrmOfflineAccessScope => "prm-offline-access-scope",
    /// The MCP resource's 401 challenge names no `scope` (MCP-RS-02).
    McpNoScopeInChallenge => "mcp-no-scope-in-challenge",
    /// MCP preflights allow only the headers of MCP versions before 2026-07-28, not `mcp-method` and `mcp-name` (CORS-12.v2026).
    McpCorsOldHeaders => "mcp-cors-old-headers",

    // ---------------------------------------------------------------------- CORS
    /// The token endpoint sends no CORS headers on actual responses (CORS-02, CORS-03).
    NoCorsOnToken => "no-cors-on-token",
    /// Token error responses carry no CORS headers (CORS-02).
    NoCorsOnErrors => "no-cors-on-errors",
    /// Preflights are refused with 401 (CORS-04).
    PreflightRequiresAuth => "preflight-requires-auth",
    /// Preflights do not allow the `authorization` header (CORS-05).
    PreflightWithoutAuthorizationHeader => "preflight-without-authorization-header",
    /// The authorization endpoint sends `Access-Control-Allow-Origin: *` (CORS-01).
    CorsOnAuthorize => "cors-on-authorize",
    /// `Access-Control-Allow-Origin: *` with `Access-Control-Allow-Credentials: true` (CORS-07).
    WildcardWithCredentials => "wildcard-with-credentials",
    /// Reflected origins come without `Vary: Origin` (CORS-10).
    NoVaryOrigin => "no-vary-origin",
    /// `WWW-Authenticate` is not exposed to browsers (CORS-11).
    NoExposeWwwAuthenticate => "no-expose-www-authenticate",
    /// Origins outside the allow-list are reflected too (CORS-06).
    ReflectAnyOrigin => "reflect-any-origin",
    /// Only the token endpoint answers CORS; metadata, JWKS, revocation, introspection and userinfo do not (CORS-08).
    NoCorsBeyondToken => "no-cors-beyond-token",

    // ---------------------------------------------------------------------- DPoP
    /// `dpop_signing_alg_values_supported` also lists HS256, a symmetric algorithm (DPOP-01).
    DpopAdvertisesHs256 => "dpop-advertises-hs256",
    /// DPoP proofs with `alg` `none` or an HMAC algorithm are accepted unverified (DPOP-08,
    /// DPOP-08.none).
    DpopAcceptsSymmetric => "dpop-accepts-symmetric",
    /// A proof's signature is not verified with the key in its `jwk` header (DPOP-07).
    DpopSignatureUnchecked => "dpop-signature-unchecked",
    /// A proof's `htm` is not compared with the request's method (DPOP-05).
    DpopHtmUnchecked => "dpop-htm-unchecked",
    /// A proof's `htu` is not compared with the request's URL (DPOP-04).
    DpopHtuUnchecked => "dpop-htu-unchecked",
    /// A proof's `iat` is not checked, so proofs of any age are accepted (DPOP-06, MCP-DPOP-01).
    DpopIatUnchecked => "dpop-iat-unchecked",
    /// A proof's `jti` is not remembered, so a proof can be replayed (DPOP-09).
    DpopJtiUnchecked => "dpop-jti-unchecked",
    /// Tokens bound to a proof key are announced with `token_type` Bearer (DPOP-02).
    DpopTokenTypeBearer => "dpop-token-type-bearer",
    /// Introspection and JWT access tokens leave out `cnf.jkt` for DPoP-bound tokens (DPOP-03,
    /// DPOP-03.jwt).
    DpopNoCnf => "dpop-no-cnf",
    /// A public client's refresh token is not bound to its proof key (DPOP-10).
    DpopRefreshUnbound => "dpop-refresh-unbound",
    /// A client registered with `dpop_bound_access_tokens` true gets tokens without a proof
    /// (DPOP-11).
    DpopBoundClientUnenforced => "dpop-bound-client-unenforced",
    /// CORS responses expose `WWW-Authenticate` but not `DPoP-Nonce`, so a browser client
    /// cannot read the nonce it must use (CORS-11.dpop).
    DpopNonceNotExposed => "dpop-nonce-not-exposed",
    /// A code requested with `dpop_jkt` is redeemed with a proof of any key, or none (DPOP-17).
    DpopJktIgnored => "dpop-jkt-ignored",
    /// Under the `dpop-nonce` variant, any nonce is accepted, not only the server's (DPOP-12).
    DpopNonceUnchecked => "dpop-nonce-unchecked",
    /// The resource does not compare a proof's `ath` with the token's hash (DPOP-13).
    DpopAthUnchecked => "dpop-ath-unchecked",
    /// The resource accepts a proof made with a key other than the token's (DPOP-14).
    DpopResourceIgnoresKey => "dpop-resource-ignores-key",
    /// The resource accepts a DPoP-bound token sent with the Bearer scheme (DPOP-15).
    DpopTokenAsBearer => "dpop-token-as-bearer",
    /// The resource's DPoP challenge leaves out `algs` (DPOP-16).
    DpopNoAlgsInChallenge => "dpop-no-algs-in-challenge",
    /// The demo MCP resource accepts proofs up to a day old (MCP-DPOP-01).
    DpopResourceWideIat => "dpop-resource-wide-iat",
    // ---------------------- registration, metadata documents, MCP resource, operator view
    /// Registration accepts redirect URIs with a fragment (DCR-14, AUTHZ-12).
    DcrAcceptsFragmentRedirect => "dcr-accepts-fragment-redirect",
    /// Registration accepts plain `http` redirect URIs on hosts other than loopback (DCR-15, AUTHZ-10).
    DcrAcceptsHttpRedirect => "dcr-accepts-http-redirect",
    /// Registration refuses loopback `http` redirect URIs, as some servers do (DCR-15).
    DcrRejectsLoopback => "dcr-rejects-loopback",
    /// Clients that registered themselves (RFC 7591) skip the consent page (CONS-05, CONS-06).
    DcrSkipsConsent => "dcr-skips-consent",
    /// A successful registration answers 200 instead of 201 Created (DCR-04).
    RegistrationReturns200 => "registration-returns-200",
    /// A registration that issues a secret leaves out `client_secret_expires_at` (DCR-06).
    NoClientSecretExpiresAt => "no-client-secret-expires-at",
    /// The registration response leaves out defaulted and unknown metadata (DCR-08, DCR-11).
    DcrDropsMetadata => "dcr-drops-metadata",
    /// Registration refuses metadata members it does not know (DCR-09).
    DcrRejectsUnknownMetadata => "dcr-rejects-unknown-metadata",
    /// Clients registered with `token_endpoint_auth_method: none` still get a secret (DCR-07).
    DcrSecretForPublicClient => "dcr-secret-for-public-client",
    /// The registration endpoint works but metadata does not advertise it (DISC-12).
    RegistrationNotAdvertised => "registration-not-advertised",
    /// The RFC 7592 configuration endpoint accepts any registration access token, or none (MGMT-02).
    ManagementTokenNotChecked => "management-token-not-checked",
    /// RFC 7592 DELETE answers 204 but the client and its tokens keep working (MGMT-07, TOK-24).
    ManagementDeleteKeepsClient => "management-delete-keeps-client",
    /// An RFC 7592 update may set a client secret of the client's choosing (MGMT-05).
    PutAcceptsClientSecret => "put-accepts-client-secret",
    /// A metadata document whose `client_id` differs from its URL is accepted (CIMD-03).
    CimdClientIdMismatchAccepted => "cimd-client-id-mismatch-accepted",
    /// Any redirect URI is accepted for a metadata-document client (CIMD-05).
    CimdRedirectNotChecked => "cimd-redirect-not-checked",
    /// Metadata-document fetches follow HTTP redirects (CIMD-02).
    CimdFollowsRedirects => "cimd-follows-redirects",
    /// Metadata documents are fetched from loopback and private addresses (CIMD-08).
    CimdFetchesPrivateAddresses => "cimd-fetches-private-addresses",
    /// A failed metadata-document fetch is cached, so a retry fails too (CIMD-10).
    CimdCachesErrors => "cimd-caches-errors",
    /// Metadata documents declaring shared-secret authentication are accepted (CIMD-06).
    CimdAcceptsSharedSecret => "cimd-accepts-shared-secret",
    /// Metadata leaves out `client_id_metadata_document_supported` although CIMD works (DISC-14).
    CimdNotAdvertised => "cimd-not-advertised",
    /// Protected-resource metadata names the resource with a trailing slash (PRM-04, PRM-05).
    PrmResourceTrailingSlash => "prm-resource-trailing-slash",
    /// The MCP resource accepts tokens issued for another audience (MCP-RS-06, RI-04).
    ResourceIgnoresAudience => "resource-ignores-audience",
    /// The MCP resource answers 401 without `WWW-Authenticate` (PRM-09, MCP-RS-01).
    McpNoWwwAuthenticate => "mcp-no-www-authenticate",
    /// The MCP resource puts `error="invalid_token"` in the challenge even when no token was sent (MCP-RS-03).
    McpErrorWithoutToken => "mcp-error-without-token",
    /// The MCP resource accepts `?access_token=` in the query string (MCP-RS-04).
    McpTokenInQuery => "mcp-token-in-query",
    /// The MCP resource serves tokens that lack its required scope (MCP-RS-08).
    McpScopeNotChecked => "mcp-scope-not-checked",
    /// A new authorization of a client in a browser session that already got it a code gets
    /// that first code's scopes, not the ones requested: a step-up never widens (MCP-RS-08.step-up).
    ReauthorizationKeepsOldScope => "reauthorization-keeps-old-scope",
    /// CORS preflights to the MCP endpoint are refused with 401 (CORS-12).
    McpPreflightRequiresAuth => "mcp-preflight-requires-auth",
    /// `client_id_issued_at` is sent as a string instead of a number of seconds (DCR-05).
    DcrIssuedAtAsString => "dcr-issued-at-as-string",
    /// An unsupported `token_endpoint_auth_method` is registered as `client_secret_basic` while the response shows the requested one (DCR-10).
    DcrHidesReplacedValues => "dcr-hides-replaced-values",
    /// `grant_types` and `response_types` that disagree are registered as sent (DCR-12).
    DcrAcceptsInconsistentTypes => "dcr-accepts-inconsistent-types",
    /// Clients that registered themselves may use any redirect URI at the authorization endpoint (DCR-13).
    DcrRedirectNotEnforced => "dcr-redirect-not-enforced",
    /// A client of the authorization code grant may register without `redirect_uris` (DCR-14.no-redirect-uris).
    DcrAllowsMissingRedirectUris => "dcr-allows-missing-redirect-uris",
    /// Redirect URIs whose scheme runs code or reads local data (`javascript:`, `data:`) are registered (DCR-15.schemes).
    DcrAcceptsDangerousSchemes => "dcr-accepts-dangerous-schemes",
    /// `jwks` and `jwks_uri` go unchecked: both together, a `jwks` that is no JWK Set, a non-https `jwks_uri` (DCR-17, DCR-14.jwks).
    DcrSkipsJwksChecks => "dcr-skips-jwks-checks",
    /// Registration and management responses carrying secrets lack `Cache-Control: no-store` (DCR-18).
    RegistrationCacheable => "registration-cacheable",
    /// Generated client_ids are https URLs, which metadata-document client_ids can collide with (DCR-19).
    DcrUrlClientId => "dcr-url-client-id",
    /// Registration and read responses leave out `registration_client_uri` but keep the registration access token (MGMT-01).
    ManagementUriMissing => "management-uri-missing",
    /// The configuration endpoint answers 404 for a client that does not exist, telling which ids do (MGMT-04).
    ManagementUnknownClient404 => "management-unknown-client-404",
    /// An RFC 7592 update is merged into the registration instead of replacing it (MGMT-05).
    PutMergesMetadata => "put-merges-metadata",
    /// An RFC 7592 update may name another client_id or carry members only the server sets (MGMT-05.checks).
    PutSkipsChecks => "put-skips-checks",
    /// Preflights to the registration endpoints allow only GET and POST, not PUT and DELETE (CORS-09.management).
    RegistrationPreflightOmitsPutDelete => "registration-preflight-omits-put-delete",
    /// URL client_ids are looked up like registered ids and never fetched, although metadata advertises support (CIMD-01).
    CimdNotFetched => "cimd-not-fetched",
    /// A metadata document served with a status other than 200 (and not a redirect) is used (CIMD-02.status).
    CimdIgnoresStatus => "cimd-ignores-status",
    /// A metadata document without `client_name` is accepted (CIMD-04).
    CimdAcceptsIncompleteDocument => "cimd-accepts-incomplete-document",
    /// client_id URLs with dot segments, user information, a fragment or no path are fetched (CIMD-07).
    CimdLaxUrlForm => "cimd-lax-url-form",
    /// Metadata documents of any size are read (CIMD-09).
    CimdNoSizeLimit => "cimd-no-size-limit",
    /// Metadata documents are fetched again on every request, whatever their `Cache-Control` says (CIMD-10.cache).
    CimdNeverCached => "cimd-never-cached",
    /// When a metadata document cannot be fetched, the client is admitted with the requested redirect URI (CIMD-11).
    CimdFetchFailureIgnored => "cimd-fetch-failure-ignored",
    /// A client assertion whose `aud` is the token endpoint URL (RFC 7523's old rule) is accepted (TOK-30).
    AssertionAudienceEndpoint => "assertion-audience-endpoint",
    /// A client assertion whose `aud` is an array holding the issuer is accepted (TOK-30.array).
    AssertionAudienceArray => "assertion-audience-array",
    /// Client assertions are not checked against the client's registered keys (TOK-30.signature).
    AssertionSignatureUnchecked => "assertion-signature-unchecked",
    /// Expired client assertions are accepted (TOK-30.expired).
    AssertionExpiryUnchecked => "assertion-expiry-unchecked",
    /// Under `registration = "token"`, any initial access token, or none, is accepted (DCR-03).
    RegistrationTokenNotChecked => "registration-token-not-checked",
    /// An access token for a resource leaves out the OpenID Connect scopes, while the token response still reports them all (RI-06).
    ResourceDownscopeUnreported => "resource-downscope-unreported",

    // ------------------------------------------- enterprise-managed authorization (ID-JAG)
    /// Metadata lists the ID-JAG grant profile but leaves the jwt-bearer grant out of
    /// `grant_types_supported` (IDJAG-01).
    IdJagGrantTypeNotAdvertised => "id-jag-grant-type-not-advertised",
    /// ID-JAGs are issued with `typ` `JWT` instead of `oauth-id-jag+jwt`, which the server's
    /// own jwt-bearer grant then refuses (IDJAG-02, IDJAG-04).
    IdJagWrongTyp => "id-jag-wrong-typ",
    /// The token exchange issues an ID-JAG for an ID token issued to another client (IDJAG-03).
    IdJagSubjectTokenUnchecked => "id-jag-subject-token-unchecked",
    /// Access tokens are not restricted to the ID-JAG's `resource` but to the client, so the
    /// MCP resource refuses them (IDJAG-04).
    IdJagResourceIgnored => "id-jag-resource-ignored",
    /// An ID-JAG whose `aud` names another authorization server is redeemed (IDJAG-05).
    IdJagAnyAudience => "id-jag-any-audience",
    /// An ID-JAG whose `client_id` is another client is redeemed (IDJAG-06).
    IdJagClientUnchecked => "id-jag-client-unchecked",
    /// An expired ID-JAG is redeemed (IDJAG-07).
    IdJagExpiryIgnored => "id-jag-expiry-ignored",
    /// ID-JAGs are redeemed without checking their signature or whether their issuer is
    /// trusted (IDJAG-08).
    IdJagAnyIssuer => "id-jag-any-issuer",
    /// Requested scopes the ID-JAG does not hold are granted too (IDJAG-09).
    IdJagScopeEscalation => "id-jag-scope-escalation",
    /// An ID-JAG's `jti` is not recorded, so the same ID-JAG is redeemed again (IDJAG-10).
    IdJagReplay => "id-jag-replay",
    /// A redeemed ID-JAG also yields a refresh token (IDJAG-11).
    IdJagRefreshToken => "id-jag-refresh-token",
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name nobody has defined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}` (see `oauth-fake-server --list-faults`)")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL.iter().copied().find(|f| f.name() == s).ok_or_else(|| UnknownFault(s.to_string()))
    }
}

impl Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The set of faults a server runs with; a bit set, because it is consulted on hot paths.
/// Four words leave room for 256 faults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults([u64; FAULT_WORDS]);

/// Words of the bit set: room for 256 faults.
const FAULT_WORDS: usize = 4;

impl Faults {
    pub fn from_list(list: &[Fault]) -> Faults {
        let mut set = Faults::default();
        for f in list {
            set.insert(*f);
        }
        set
    }

    fn slot(fault: Fault) -> (usize, u64) {
        let bit = fault as usize;
        (bit / 64, 1u64 << (bit % 64))
    }

    pub fn insert(&mut self, fault: Fault) {
        let (word, mask) = Self::slot(fault);
        self.0[word] |= mask;
    }

    /// Is this fault switched on?
    pub fn has(&self, fault: Fault) -> bool {
        let (word, mask) = Self::slot(fault);
        self.0[word] & mask != 0
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

impl Fault {
    /// Faults that only show when the issuer has a path (`FakeServer::builder().issuer_path`):
    /// a kill matrix must run them against such a server.
    pub fn needs_issuer_path(self) -> bool {
        matches!(self, Fault::MetadataPathAppended)
    }

    /// Shows only on a server that requires an initial access token to register.
    pub fn needs_registration_token(self) -> bool {
        matches!(self, Fault::RegistrationTokenNotChecked)
    }

    /// Shows only on a server that requires DPoP nonces (the `dpop-nonce` variant).
    pub fn needs_dpop_nonce(self) -> bool {
        matches!(self, Fault::DpopNonceUnchecked | Fault::DpopNonceNotExposed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_round_trips_through_its_name_and_fits_the_bit_set() {
        assert!(Fault::ALL.len() <= FAULT_WORDS * 64);
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>().unwrap(), *f);
            assert!(!f.description().is_empty());
        }
    }

    #[test]
    fn unknown_fault_names_are_refused() {
        assert!("no-such-fault".parse::<Fault>().is_err());
    }

    #[test]
    fn the_set_reports_only_what_was_inserted() {
        let set = Faults::from_list(&[Fault::NoIss]);
        assert!(set.has(Fault::NoIss));
        assert!(!set.has(Fault::ReusableCodes));
        let last = *Fault::ALL.last().unwrap();
        let set = Faults::from_list(&[last]);
        assert!(set.has(last) && !set.has(Fault::ALL[0]) && !set.is_empty());
    }

    #[test]
    fn faults_past_the_first_128_have_bits_of_their_own() {
        let last = *Fault::ALL.last().unwrap();
        assert!(last as usize >= 128, "this test wants a fault beyond bit 127");
        let set = Faults::from_list(&[last]);
        assert!(set.has(last));
        assert!(Fault::ALL.iter().filter(|f| **f != last).all(|f| !set.has(*f)));
    }
}
