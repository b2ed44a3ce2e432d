//! Layer: policy. The authorization endpoint's decisions (RFC 6749 §3.1, §4.1.1, §4.1.2;
//! OAuth 2.1 §4.1; RFC 7636 §4.3; RFC 9207; OIDC Core §3.1.2.1), resolved once from the faults
//! and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// What the authorization endpoint does. Each `true` boolean is the conformant choice unless
/// its documentation says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizePolicy {
    // ------------------------------------------------------------------ client and redirect URI
    /// An invalid client or redirect URI is shown on a page, never redirected to (RFC 6749
    /// §4.1.2.1).
    pub page_for_untrusted_redirect: bool,
    /// A parameter sent without a value counts as absent (RFC 6749 §3.1).
    pub empty_params_are_absent: bool,
    /// A client with a single registered redirect URI may leave `redirect_uri` out (RFC 6749
    /// §3.1.2.3).
    pub single_redirect_uri_is_default: bool,
    /// A client with several registered redirect URIs must send one (RFC 6749 §3.1.2.3).
    pub require_redirect_uri_when_several: bool,
    /// The response goes to the redirect URI as requested (for loopback, with its port).
    pub redirect_to_requested_uri: bool,
    /// Dynamically registered clients are held to their registered redirect URIs too.
    pub enforce_dynamic_redirect_uris: bool,
    /// How a requested redirect URI is compared with the registered ones.
    pub redirect_matching: RedirectMatching,

    // ------------------------------------------------------------------ the other parameters
    /// A parameter sent twice is `invalid_request` (RFC 6749 §3.1).
    pub refuse_duplicate_params: bool,
    /// Unknown parameters are ignored (RFC 6749 §3.1), not refused.
    pub ignore_unknown_params: bool,
    /// `response_type` is required (RFC 6749 §4.1.1).
    pub require_response_type: bool,
    /// Only `response_type=code` is served (OAuth 2.1 §4.1.1); `token` is refused.
    pub code_response_type_only: bool,
    /// An unsupported response type is `unsupported_response_type` (RFC 6749 §4.1.2.1).
    pub report_unsupported_response_type: bool,
    /// Every request carries a PKCE challenge (OAuth 2.1 §4.1.1).
    pub require_pkce: bool,
    /// `plain` (or no method, which means `plain`) is refused: S256 only (OAuth 2.1 §4.1.1).
    pub refuse_plain_pkce: bool,
    /// An unknown challenge method is refused rather than taken for S256 (RFC 7636 §4.4.1).
    pub refuse_unknown_pkce_method: bool,
    /// A challenge must be 43 to 128 unreserved characters (RFC 7636 §4.2).
    pub check_challenge_syntax: bool,
    /// `scope` may be left out (RFC 6749 §3.3: the server then uses a default).
    pub scope_optional: bool,
    /// `prompt` is read and honoured (OIDC Core §3.1.2.1).
    pub honour_prompt: bool,
    /// `prompt=login` asks the user to sign in again (OIDC Core §3.1.2.1).
    pub honour_prompt_login: bool,
    /// The server knows OIDC `prompt` at all (off under the `no-prompt` variant).
    pub knows_prompt: bool,
    /// Errors other than client and redirect URI reach the client only after login (the
    /// `validate-after-login` variant; either order is allowed).
    pub validate_after_login: bool,

    // ------------------------------------------------------------------ consent and the code
    /// The user is asked before a client gets a code (RFC 6749 §4.1.1; §10.2).
    pub ask_consent: bool,
    /// An approval is remembered for every client, so later subsets skip consent (the
    /// `remembered-consent` variant; by default only for clients whose identity is assured).
    pub remember_consent_for_every_client: bool,
    /// Bytes of randomness in a code (RFC 6749 §10.10: codes must be unguessable).
    pub code_bytes: usize,
    /// Codes carry nothing of the request (RFC 6749 §10.10); `false` appends the challenge.
    pub opaque_codes: bool,
    /// Codes live minutes (RFC 6749 §4.1.2: at most ten recommended), not a day.
    pub short_lived_codes: bool,
    /// A code carries the scopes of this authorization, whatever the user granted the client
    /// before (a step-up widens the grant).
    pub scopes_from_this_request: bool,

    // ------------------------------------------------------------------ the response
    /// `state` is echoed exactly (RFC 6749 §4.1.2).
    pub echo_state: bool,
    /// A request without `state` gets a response without `state`.
    pub omit_absent_state: bool,
    /// Errors by redirect keep `state` too (RFC 6749 §4.1.2.1).
    pub error_keeps_state: bool,
    /// `iss` goes with every response (RFC 9207 §2).
    pub send_iss: bool,
    /// The code goes to the redirect URI exactly as registered (RFC 6749 §3.1.2).
    pub redirect_uri_verbatim: bool,
    /// The redirect URI's own query is kept (RFC 6749 §3.1.2).
    pub keep_registered_query: bool,
    /// `error_description` holds only the characters RFC 6749 §4.1.2.1 allows.
    pub sanitize_error_description: bool,
    /// A denial goes back to the client as `access_denied` (RFC 6749 §4.1.2.1), not to a page
    /// of the server.
    pub deny_redirects_to_client: bool,
    /// A denial of a request without `state` still reaches the client.
    pub deny_without_state: bool,
    /// A denial keeps `state` (RFC 6749 §4.1.2.1).
    pub deny_keeps_state: bool,
    /// A denial carries only the parameters RFC 6749 §4.1.2.1 defines (and `iss`).
    pub deny_only_defined_params: bool,
    /// No CORS headers on the authorization endpoint: it is navigated to, never fetched.
    pub no_cors: bool,
}

/// How a requested redirect URI is compared with the registered ones: exact string
/// comparison (RFC 3986 §6.2.1; OAuth 2.1 §2.3.1), with loopback URIs matching on any port
/// (RFC 8252 §7.3). The other members are each a fault's relaxation, off by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectMatching {
    /// Loopback URIs match on any port (RFC 8252 §7.3).
    pub loopback_any_port: bool,
    /// (fault) A requested URI that starts with a registered one matches.
    pub prefix: bool,
    /// (fault) Case and a trailing slash are ignored.
    pub case_and_slash_insensitive: bool,
    /// (fault) The same host is enough.
    pub host_only: bool,
    /// (fault) The registered URI (without scheme) anywhere in the requested one is enough.
    pub substring: bool,
}

impl AuthorizePolicy {
    pub(super) fn resolve(on: &Switches) -> AuthorizePolicy {
        let fault = |f| on.fault(f);
        AuthorizePolicy {
            page_for_untrusted_redirect: !fault(Fault::RedirectOnInvalidClient),
            empty_params_are_absent: !fault(Fault::EmptyParamsCount),
            single_redirect_uri_is_default: !fault(Fault::RedirectUriAlwaysRequired),
            require_redirect_uri_when_several: !fault(Fault::DefaultRedirectForMultiple),
            redirect_to_requested_uri: !fault(Fault::RedirectToRegisteredUri),
            enforce_dynamic_redirect_uris: !fault(Fault::DcrRedirectNotEnforced),
            redirect_matching: RedirectMatching {
                loopback_any_port: !fault(Fault::LoopbackPortStrict),
                prefix: fault(Fault::PrefixRedirectMatch),
                case_and_slash_insensitive: fault(Fault::LooseRedirectMatch),
                host_only: fault(Fault::HostOnlyRedirectMatch),
                substring: fault(Fault::UnanchoredRedirectMatch),
            },

            refuse_duplicate_params: !fault(Fault::AcceptDuplicateParams),
            ignore_unknown_params: !fault(Fault::RejectUnknownParams),
            require_response_type: !fault(Fault::DefaultResponseType),
            code_response_type_only: !fault(Fault::AcceptTokenResponseType),
            report_unsupported_response_type: !fault(Fault::WrongUnsupportedResponseTypeError),
            require_pkce: !(fault(Fault::PkceOptional) || fault(Fault::PkceDowngrade)),
            refuse_plain_pkce: !fault(Fault::AcceptPlainPkce),
            refuse_unknown_pkce_method: !fault(Fault::UnknownPkceMethodAsS256),
            check_challenge_syntax: !fault(Fault::LaxPkceSyntax),
            scope_optional: !fault(Fault::MissingScopeInvalidRequest),
            honour_prompt: !(fault(Fault::IgnorePrompt) || on.variant(Variant::NoPrompt)),
            honour_prompt_login: !fault(Fault::IgnorePromptLogin),
            knows_prompt: !on.variant(Variant::NoPrompt),
            validate_after_login: on.variant(Variant::ValidateAfterLogin),

            ask_consent: !fault(Fault::SkipConsent),
            remember_consent_for_every_client: on.variant(Variant::RememberedConsent),
            code_bytes: if fault(Fault::ShortCodes) { 8 } else { 32 },
            opaque_codes: !fault(Fault::CodeEmbedsChallenge),
            short_lived_codes: !fault(Fault::LongLivedCodes),
            scopes_from_this_request: !fault(Fault::ReauthorizationKeepsOldScope),

            echo_state: !fault(Fault::NoStateEcho),
            omit_absent_state: !fault(Fault::UndefinedStateEcho),
            error_keeps_state: !fault(Fault::ErrorDropsState),
            send_iss: !fault(Fault::NoIss),
            redirect_uri_verbatim: !fault(Fault::CallbackUriNormalized),
            keep_registered_query: !fault(Fault::DropRegisteredQuery),
            sanitize_error_description: !fault(Fault::UnsafeErrorDescription),
            deny_redirects_to_client: !fault(Fault::DenyToServerPage),
            deny_without_state: !fault(Fault::DenyWithoutStateFails),
            deny_keeps_state: !fault(Fault::DenyDropsState),
            deny_only_defined_params: !fault(Fault::ExtraErrorParams),
            no_cors: !fault(Fault::CorsOnAuthorize),
        }
    }
}
