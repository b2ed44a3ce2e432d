//! Layer: policy. The token endpoint's decisions (RFC 6749 §3.2, §4.1.3, §5, §6; OAuth 2.1
//! §3.2, §4.1.3, §4.3; RFC 7636 §4.6), resolved once from the faults and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// What the token endpoint does. Each `true` boolean is the conformant choice unless its
/// documentation says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPolicy {
    // ------------------------------------------------------------------ the request
    /// Token requests are POST only (RFC 6749 §3.2).
    pub post_only: bool,
    /// The body is `application/x-www-form-urlencoded` only (RFC 6749 §3.2); JSON is refused.
    pub form_body_only: bool,
    /// A parameter sent twice is `invalid_request` (RFC 6749 §3.2).
    pub refuse_duplicate_params: bool,
    /// Unknown parameters are ignored (RFC 6749 §3.2), not refused.
    pub ignore_unknown_params: bool,
    /// The resource-owner password grant is not served (OAuth 2.1 §10, removed).
    pub no_password_grant: bool,
    /// An unknown grant type is `unsupported_grant_type` (RFC 6749 §5.2), not `invalid_request`.
    pub report_unsupported_grant_type: bool,
    /// `client_credentials` is for confidential clients only (RFC 6749 §4.4).
    pub confidential_client_credentials: bool,
    /// Public clients may redeem codes (OAuth 2.1 §2.1, with PKCE).
    pub serve_public_clients: bool,

    // ------------------------------------------------------------------ authorization code
    /// A missing `code` is `invalid_request` (RFC 6749 §5.2), not `invalid_grant`.
    pub missing_code_is_invalid_request: bool,
    /// A code is redeemed only by the client it was issued to (RFC 6749 §4.1.3).
    pub bind_code_to_client: bool,
    /// The verifier must match the challenge (RFC 7636 §4.6).
    pub verify_pkce: bool,
    /// A verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1).
    pub check_verifier_syntax: bool,
    /// `.` and `~` are verifier characters like any other unreserved one (RFC 7636 §4.1).
    pub verifier_allows_dot_and_tilde: bool,
    /// A verifier for a code issued without a challenge is refused (RFC 9700 §2.1.1).
    pub refuse_pkce_downgrade: bool,
    /// A code is redeemed once (RFC 6749 §4.1.2).
    pub single_use_codes: bool,
    /// A replayed code revokes what it produced (RFC 6749 §4.1.2; OAuth 2.1 §4.1.3).
    pub revoke_on_code_reuse: bool,
    /// ... but only when the replay is otherwise valid (OAuth 2.1 §7.5.2: a bad replay must
    /// not let anyone revoke another's tokens).
    pub revoke_only_on_valid_replay: bool,
    /// What a replay revokes.
    pub code_reuse_revokes: CodeReuseRevocation,
    /// A `redirect_uri` that is sent must be that of the authorization request (RFC 6749
    /// §4.1.3; OAuth 2.1 §4.1.3).
    pub bind_code_to_redirect_uri: bool,
    /// `redirect_uri` is required whenever the authorization request had one (RFC 6749
    /// §4.1.3; `false` is OAuth 2.1, which lets clients leave it out). On under the
    /// `token-redirect-uri-required` variant, and under a fault.
    pub redirect_uri_required_when_sent: bool,

    // ------------------------------------------------------------------ refresh tokens
    /// `resource` is accepted when refreshing (RFC 8707 §2.2).
    pub refresh_accepts_resource: bool,
    /// A refresh token is used only by the client it was issued to (RFC 6749 §6).
    pub bind_refresh_to_client: bool,
    /// A rotated refresh token that comes back revokes the grant (OAuth 2.1 §4.3.1).
    pub detect_refresh_reuse: bool,
    /// A refresh may not ask for scopes outside the grant (RFC 6749 §6).
    pub refuse_scope_widening: bool,
    /// A refresh that asks for fewer scopes gets fewer (RFC 6749 §6).
    pub narrow_scope_on_refresh: bool,
    /// Refresh tokens are rotated (OAuth 2.1 §4.3.1).
    pub rotate_refresh_tokens: bool,
    /// A narrowed refresh leaves the grant's scopes as they were (RFC 6749 §6: the original
    /// scope stays available).
    pub keep_grant_scope_on_refresh: bool,
    /// A rotated refresh token never outlives the one it replaces (BBA §6.3.2.3; OAuth 2.1
    /// §4.3.3)...
    pub successor_within_lifetime: bool,
    /// ... except that confidential clients' successors get a full lifetime (the
    /// `sliding-refresh` variant; the browser-app MUST binds public clients only).
    pub sliding_refresh_for_confidential: bool,
    /// A refresh failure with `invalid_grant` answers 401 instead of 400 (RFC 6749 §5.2 says
    /// 400; `true` only under a fault).
    pub refresh_invalid_grant_as_401: bool,

    // ------------------------------------------------------------------ tokens and audience
    /// A resource asked for at the token endpoint must be among those authorized (RFC 8707
    /// §2.2).
    pub resources_within_grant: bool,
    /// The requested resources become the audience (RFC 8707 §2.2; RFC 9068 §3).
    pub audience_from_resource: bool,
    /// The `scope` reported is that of the token (RFC 6749 §5.1); `false` only under a fault
    /// that narrows a resource's token silently.
    pub report_actual_scope: bool,

    // ------------------------------------------------------------------ the response
    /// `token_type` is `Bearer` (RFC 6750 §4).
    pub bearer_token_type: bool,
    /// `expires_in` is a number (RFC 6749 §5.1).
    pub expires_in_number: bool,
    /// The response carries `scope` (RFC 6749 §5.1).
    pub include_scope: bool,
    /// The response is `application/json` (RFC 6749 §5.1).
    pub json_content_type: bool,
    /// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
    pub no_store: bool,
    /// A failed Basic authentication is 401 with `WWW-Authenticate` (RFC 6749 §5.2).
    pub challenge_on_invalid_client: bool,
    /// Errors are JSON (RFC 6749 §5.2), not HTML.
    pub json_errors: bool,
    /// Errors keep their 4xx status (RFC 6749 §5.2), never 200.
    pub error_status: bool,
}

/// What a replayed authorization code revokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeReuseRevocation {
    /// The whole grant: every access and refresh token the code produced.
    Grant,
    /// The access tokens only (a fault: the refresh token survives).
    AccessTokensOnly,
    /// The refresh tokens only (a fault: the access token survives).
    RefreshTokensOnly,
}

impl TokenPolicy {
    pub(super) fn resolve(on: &Switches) -> TokenPolicy {
        let fault = |f| on.fault(f);
        TokenPolicy {
            post_only: !fault(Fault::AcceptGetTokenRequest),
            form_body_only: !fault(Fault::AcceptJsonTokenRequest),
            refuse_duplicate_params: !fault(Fault::AcceptDuplicateTokenParams),
            ignore_unknown_params: !fault(Fault::StrictTokenParams),
            no_password_grant: !fault(Fault::AcceptPasswordGrant),
            report_unsupported_grant_type: !fault(Fault::WrongUnsupportedGrantError),
            confidential_client_credentials: !fault(Fault::PublicClientCredentials),
            serve_public_clients: !fault(Fault::PublicClientRefused),

            missing_code_is_invalid_request: !fault(Fault::MissingCodeIsInvalidGrant),
            bind_code_to_client: !fault(Fault::CodeNotClientBound),
            verify_pkce: !fault(Fault::SkipVerifierCheck),
            check_verifier_syntax: !fault(Fault::LaxPkceSyntax),
            verifier_allows_dot_and_tilde: !fault(Fault::VerifierCharsetTooStrict),
            refuse_pkce_downgrade: !fault(Fault::PkceDowngrade),
            single_use_codes: !fault(Fault::ReusableCodes),
            revoke_on_code_reuse: !fault(Fault::NoRevokeOnCodeReuse),
            revoke_only_on_valid_replay: !fault(Fault::RevokeOnBadReplay),
            code_reuse_revokes: if fault(Fault::CodeReuseKeepsRefreshToken) {
                CodeReuseRevocation::AccessTokensOnly
            } else if fault(Fault::CodeReuseKeepsAccessToken) {
                CodeReuseRevocation::RefreshTokensOnly
            } else {
                CodeReuseRevocation::Grant
            },
            bind_code_to_redirect_uri: !fault(Fault::CodeNotRedirectBound),
            redirect_uri_required_when_sent: fault(Fault::TokenRequiresRedirectUri)
                || on.variant(Variant::TokenRedirectUriRequired),

            refresh_accepts_resource: !fault(Fault::RefreshRejectsResource),
            bind_refresh_to_client: !fault(Fault::RefreshNotClientBound),
            detect_refresh_reuse: !fault(Fault::NoReuseDetection),
            refuse_scope_widening: !fault(Fault::ScopeWideningOnRefresh),
            narrow_scope_on_refresh: !fault(Fault::RefreshIgnoresScope),
            rotate_refresh_tokens: !fault(Fault::NoRefreshRotation),
            keep_grant_scope_on_refresh: !fault(Fault::RefreshKeepsNarrowScope),
            successor_within_lifetime: !fault(Fault::RotatedRefreshExtendsLifetime),
            sliding_refresh_for_confidential: on.variant(Variant::SlidingRefresh),
            refresh_invalid_grant_as_401: fault(Fault::InvalidGrantAs401),

            resources_within_grant: !fault(Fault::IgnoreResource),
            audience_from_resource: !fault(Fault::AudienceIgnoresResource),
            report_actual_scope: !fault(Fault::ResourceDownscopeUnreported),

            bearer_token_type: !fault(Fault::WrongTokenType),
            expires_in_number: !fault(Fault::ExpiresInAsString),
            include_scope: !fault(Fault::OmitScopeInResponse),
            json_content_type: !fault(Fault::TokenWrongContentType),
            no_store: !fault(Fault::NoCacheControl),
            challenge_on_invalid_client: !fault(Fault::NoWwwAuthenticateOnBasic),
            json_errors: !fault(Fault::HtmlErrors),
            error_status: !fault(Fault::ErrorsWithStatus200),
        }
    }
}
