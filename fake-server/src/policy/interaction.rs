//! Layer: policy. The login and consent pages and their form posts (RFC 6749 §4.1.1, §10.12;
//! RFC 9700 §4.12), resolved once from the faults and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;
use axum::http::StatusCode;

/// Login and consent. Each `true` boolean is the conformant choice unless its documentation
/// says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionPolicy {
    /// The anti-CSRF field's name (`csrf`, or `_csrf_token` under the `csrf-field-name`
    /// variant).
    pub csrf_field: &'static str,
    /// The login page offers Cancel (off under the `login-without-cancel` variant).
    pub login_cancel: bool,
    /// The username is asked for on a page of its own, before the password (the
    /// `identifier-first` variant).
    pub identifier_first: bool,
    /// A `next` parameter never redirects (no open redirector, RFC 9700 §4.11).
    pub ignore_next: bool,
    /// The redirect after the login POST: 303 (RFC 9700 §4.12), or 302 under the `login-302`
    /// variant; never 307.
    pub after_login: StatusCode,
    /// The password is checked.
    pub check_password: bool,
    /// Consent is bound to the browser session and its anti-CSRF token (RFC 6749 §10.12).
    pub consent_csrf: bool,
    /// Approval needs a POST (RFC 6749 §10.12), never a GET link.
    pub approve_by_post_only: bool,
    /// The consent page names the client's redirect host (RFC 6749 §10.2).
    pub consent_shows_details: bool,
    /// The client's name is escaped like every other value.
    pub escape_client_name: bool,
    /// Only the scopes the user ticked are granted.
    pub honour_partial_consent: bool,
}

impl InteractionPolicy {
    pub(super) fn resolve(on: &Switches) -> InteractionPolicy {
        let fault = |f| on.fault(f);
        InteractionPolicy {
            csrf_field: if on.variant(Variant::CsrfFieldName) { "_csrf_token" } else { "csrf" },
            login_cancel: !on.variant(Variant::LoginWithoutCancel),
            identifier_first: on.variant(Variant::IdentifierFirst),
            ignore_next: !fault(Fault::LoginNextOpenRedirect),
            after_login: if fault(Fault::Redirect307AfterLogin) {
                StatusCode::TEMPORARY_REDIRECT
            } else if on.variant(Variant::LoginWith302) {
                StatusCode::FOUND
            } else {
                StatusCode::SEE_OTHER
            },
            check_password: !fault(Fault::AcceptAnyPassword),
            consent_csrf: !fault(Fault::NoConsentCsrf),
            approve_by_post_only: !fault(Fault::ConsentApproveByGet),
            consent_shows_details: !fault(Fault::ConsentPageWithoutDetails),
            escape_client_name: !fault(Fault::UnescapedClientName),
            honour_partial_consent: !fault(Fault::IgnorePartialConsent),
        }
    }
}
