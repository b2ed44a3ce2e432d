//! Layer: bottom (depends on nothing in the crate).
//! Legitimate variants: behaviours the specifications allow and real servers show, so that the
//! harness can prove its checks do not fail on legal behaviour (the other half of `faults`).
//!
//! Every variant is off by default and can be switched on from the builder
//! (`FakeServer::builder().variant(Variant::LoginWith302)`), the fixtures file
//! (`variants = ["login-302"]` in `[server]`) or the binary (`--variant login-302`). Several
//! can be on at once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! variants {
    ($( #[doc = $summary:literal] $(#[doc = $doc:literal])* $variant:ident => $name:literal, )+) => {
        /// A behaviour the specifications allow, named in kebab-case.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Variant {
            $( #[doc = $summary] $(#[doc = $doc])* $variant, )+
        }

        impl Variant {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Variant] = &[$(Variant::$variant),+];

            /// The kebab-case name used in fixtures and flags.
            pub fn name(self) -> &'static str {
                match self { $(Variant::$variant => $name,)+ }
            }

            /// One line saying what the variant changes.
            pub fn summary(self) -> &'static str {
                match self { $(Variant::$variant => $summary.trim_ascii(),)+ }
            }
        }
    };
}

variants! {
    /// Request errors other than client_id/redirect_uri reach the client only after login (and consent).
    ///
    /// RFC 6749 §4.1.2.1 and OAuth 2.1 §4.1.2.1 say which errors go back to the client by
    /// redirect and which must not (an invalid client or redirect URI), but not when the server
    /// has to validate the rest. Many servers send the user through their login page first and
    /// report a bad `response_type`, PKCE challenge, scope, resource or prompt afterwards, with
    /// the same error code and never with a code. An invalid `client_id` or `redirect_uri` is
    /// still refused at once, on a page.
    ValidateAfterLogin => "validate-after-login",
    /// A user's approval of a client is remembered for every client, and later subsets skip consent.
    ///
    /// RFC 6749 §4.1.1 leaves how the server obtains the resource owner's approval to the
    /// server, and §10.2 only asks for other measures before repeated requests are processed
    /// without the user (exact redirect URIs and PKCE are such measures). Once a user approves
    /// scopes (and resources) for a client, later requests for a subset get a code right after
    /// login, or at once when a session exists, even for dynamically registered clients
    /// (RFC 7591 §5 asks the server to treat their metadata as self-asserted, not to ask
    /// every time). `prompt=consent` still shows the page (OIDC Core §3.1.2.1) and a denial
    /// is never remembered.
    RememberedConsent => "remembered-consent",
    /// The anti-CSRF field of the login and consent forms is named `_csrf_token`.
    ///
    /// RFC 6749 §10.12 requires CSRF protection on the authorization flow but not how a server
    /// builds its own pages: the field name is the server's choice, and frameworks differ.
    CsrfFieldName => "csrf-field-name",
    /// The login page has no cancel control; the user can only go back.
    ///
    /// Nothing in RFC 6749 or OAuth 2.1 obliges a login page to offer a way to abort; the
    /// `access_denied` error (§4.1.2.1) is for when the user refuses, and many login pages have
    /// only a sign-in button.
    LoginWithoutCancel => "login-without-cancel",
    /// Each client has one grant type (refresh_token rides along with authorization_code).
    ///
    /// RFC 7591 §2 lets the server replace requested metadata values and §3.2.1 returns the
    /// values actually registered, so registration keeps one grant type (authorization_code
    /// when requested) and answers with the effective `grant_types`. Fixture clients keep
    /// their first grant type. Any other grant at the token endpoint gets 400
    /// `unauthorized_client` (RFC 6749 §5.2).
    SingleGrantType => "single-grant-type",
    /// A confidential client authenticates only with its registered token_endpoint_auth_method.
    ///
    /// RFC 7591 §2 registers exactly one `token_endpoint_auth_method` per client, and RFC 6749
    /// §2.3.1 only requires servers to support HTTP Basic. A client using the other
    /// secret-based method gets 401 `invalid_client` at the token, introspection and
    /// revocation endpoints. Clients registered without a method use `client_secret_basic`.
    SingleAuthMethod => "single-auth-method",
    /// Introspection answers `{"active": false}` for refresh tokens.
    ///
    /// RFC 7662 §2.2 answers `active: false` for a token the caller may not introspect, and the
    /// server decides which tokens that covers; many servers only describe access tokens.
    RefreshNotIntrospectable => "refresh-not-introspectable",
    /// Active introspection answers leave out the OPTIONAL exp, iat, nbf, jti, token_type and iss.
    ///
    /// RFC 7662 §2.2 makes only `active` REQUIRED; the other members are OPTIONAL. This
    /// variant still answers `scope`, `client_id`, `sub`, `aud` and `username`.
    IntrospectionMinimal => "introspection-minimal",
    /// The token request must repeat `redirect_uri` when the authorization request had one.
    ///
    /// RFC 6749 §4.1.3: `redirect_uri` is REQUIRED in the token request if it was included in
    /// the authorization request. OAuth 2.1 dropped the parameter, but servers that implement
    /// RFC 6749 answer its absence with 400 `invalid_grant`.
    TokenRedirectUriRequired => "token-redirect-uri-required",
    /// A refresh token's lifetime starts anew at each rotation (sliding expiry).
    ///
    /// By default a rotated refresh token inherits the expiry of the one it replaces (a fixed
    /// lifetime from login). RFC 6749 §6 and OAuth 2.1 §4.3 leave refresh-token lifetime to the
    /// server, and many servers slide it: each successor lives a full
    /// `refresh_token_lifetime_secs` from its issue, so an app in daily use never signs out.
    /// Public clients keep the fixed lifetime: draft-ietf-oauth-browser-based-apps §6.3.2.3
    /// requires it for the refresh tokens of browser-based applications.
    SlidingRefresh => "sliding-refresh",
    /// A plain OAuth server: no `prompt_values_supported`, and `prompt` is ignored.
    ///
    /// `prompt` is defined by OpenID Connect Core §3.1.2.1, not by RFC 6749, whose §3.1 says
    /// the server MUST ignore unrecognized request parameters. The metadata does not advertise
    /// `prompt_values_supported`; `prompt=none` gets no `login_required`, `prompt=login`
    /// forces no login and `prompt=consent` no consent. An OpenID Provider must support
    /// `prompt` (OIDC Core §15.1), so the server presents itself as none: no `openid` in
    /// `scopes_supported`, no OpenID members and no OpenID configuration document.
    NoPrompt => "no-prompt",
    /// The login form's POST is answered with 302 Found instead of 303 See Other.
    ///
    /// RFC 6749 §1.7 allows any redirection the user agent supports; RFC 9700 §4.12 rules out
    /// only 307 (it would replay the password), and browsers follow a 302 after a POST with a
    /// GET, as they do a 303.
    LoginWith302 => "login-302",
    /// The token, registration, introspection and revocation endpoints sit on a second origin.
    ///
    /// RFC 8414 §2 gives each endpoint its own absolute URL; nothing requires them to share
    /// the issuer's origin. The metadata names them on the same listener reached through
    /// `localhost` when the issuer uses `127.0.0.1` (and the other way round), as deployments
    /// with a separate API host do. CORS behaves as before.
    SplitOrigin => "split-origin",
    /// The login and consent pages live at `/u/login/{id}` and `/interaction/{id}/consent`.
    ///
    /// RFC 6749 §3.1 leaves how the server authenticates the user and obtains consent entirely
    /// to the server. The forms post to the same paths; `/login` and `/consent` answer 404.
    OtherPaths => "other-paths",
    /// The login and consent pages are drawn by a script from JSON and submitted with fetch.
    ///
    /// RFC 6749 §3.1 leaves how the server authenticates the user and obtains consent to the
    /// server; single-page sign-in apps are common. The pages arrive as an empty shell with a
    /// script (`/assets/sign-in.js`), which asks the same URL for the page as JSON, draws the
    /// same forms, and posts them with `fetch`; the server answers a post with the next URL,
    /// and the script goes there. Nothing changes in what is checked, only in who draws the
    /// page: an HTML-form driver finds no form, a real browser signs in as before.
    ScriptPages => "js-pages",
    /// Sign-in asks for the username on one page and for the password on the next.
    ///
    /// RFC 6749 §3.1 leaves how the server authenticates the user to the server; identifier-
    /// first sign-in (the account first, then how to prove it) is what most hosted login
    /// services show. The first page (`form#identify-form`) asks for the username and offers
    /// Next and Cancel; Next answers with the password page, which carries the username in a
    /// hidden field. A wrong password shows the password page again. Nothing else changes.
    IdentifierFirst => "identifier-first",
    /// No RFC 8707: `resource` is ignored and tokens carry no resource audience.
    ///
    /// RFC 8707 is an optional extension; RFC 6749 §3.1 and §3.2 say unrecognized parameters
    /// MUST be ignored. No `invalid_target`, no narrowing, the audience is the client, and the demo MCP
    /// resource accepts any live token of this server.
    NoResourceIndicators => "no-resource-indicators",
    /// ID tokens are RS256 only: the metadata lists RS256 alone and registration refuses other algorithms.
    ///
    /// OpenID Connect Discovery §3 requires RS256 in `id_token_signing_alg_values_supported`
    /// and no other algorithm; a client registering `id_token_signed_response_alg` ES256 or
    /// EdDSA gets `invalid_client_metadata` (RFC 7591 §3.2.2; OpenID Connect Registration §3.3).
    /// JWT access tokens still use the server's `--jwt-alg`, and the JWKS still lists every key.
    Rs256IdTokens => "rs256-id-tokens",
    /// DPoP proofs must carry a server nonce, at the token endpoint and at the demo resource.
    ///
    /// RFC 9449 §8 and §9 let a server require a nonce of its own in every proof: a proof
    /// without one (or with an outdated one) gets `use_dpop_nonce` with a `DPoP-Nonce` header
    /// (400 at the token endpoint, a 401 `DPoP` challenge at the resource), and the client
    /// retries with it. Nonces change every five minutes and the previous one stays good.
    DpopNonce => "dpop-nonce",
    /// No DPoP: no `dpop_signing_alg_values_supported`, and `DPoP` headers are ignored.
    ///
    /// RFC 9449 is an optional extension; a server that does not implement it ignores the
    /// unknown header (RFC 9110 §5.1) and issues bearer tokens.
    NoDpop => "no-dpop",
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A variant name nobody has defined; the message lists the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variant `{0}`; known variants: {known}", known = known_names())]
pub struct UnknownVariant(pub String);

fn known_names() -> String {
    Variant::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
}

impl FromStr for Variant {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| UnknownVariant(s.to_string()))
    }
}

impl Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The variants a server runs with, as bits of one word: consulted on hot paths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Variants(u64);

impl Variants {
    pub fn from_list(list: &[Variant]) -> Variants {
        Variants(list.iter().fold(0, |bits, v| bits | 1 << (*v as u32)))
    }

    /// Is this variant switched on?
    pub fn has(self, variant: Variant) -> bool {
        self.0 & (1 << (variant as u32)) != 0
    }
}

/// The one grant type a client keeps under `single-grant-type`: `authorization_code` (with
/// `refresh_token` when listed) when it is among `listed`, else the first listed.
pub(crate) fn one_grant_type(listed: &[String]) -> Vec<String> {
    let has = |g: &str| listed.iter().any(|l| l == g);
    if has("authorization_code") {
        let mut kept = vec!["authorization_code".to_string()];
        if has("refresh_token") {
            kept.push("refresh_token".to_string());
        }
        return kept;
    }
    listed.iter().take(1).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_name_and_fits_the_bit_set() {
        assert!(Variant::ALL.len() <= 64);
        for v in Variant::ALL {
            assert_eq!(v.name().parse::<Variant>().unwrap(), *v);
            assert!(!v.summary().is_empty() && !v.summary().contains('\n'));
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_list_of_known_ones() {
        let err = "no-such-variant".parse::<Variant>().unwrap_err().to_string();
        assert!(err.contains("no-such-variant") && err.contains("validate-after-login"), "{err}");
    }

    #[test]
    fn one_grant_type_keeps_the_code_grant_with_its_refresh_or_else_the_first() {
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let all = list(&["client_credentials", "authorization_code", "refresh_token"]);
        assert_eq!(one_grant_type(&all), list(&["authorization_code", "refresh_token"]));
        assert_eq!(one_grant_type(&list(&["authorization_code"])), list(&["authorization_code"]));
        assert_eq!(one_grant_type(&list(&["client_credentials"])), list(&["client_credentials"]));
    }

    #[test]
    fn the_set_reports_only_what_was_inserted() {
        let set = Variants::from_list(&[Variant::OtherPaths, Variant::NoPrompt]);
        assert!(set.has(Variant::OtherPaths) && set.has(Variant::NoPrompt));
        assert!(!set.has(Variant::ValidateAfterLogin) && !Variants::default().has(Variant::OtherPaths));
    }
}
