//! Layer: policy. How clients authenticate at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3; OAuth 2.1 §2.4), resolved once from the faults and variants.

use super::switches::Switches;
use crate::faults::Fault;
use crate::variants::Variant;

/// Client authentication. Each `true` boolean is the conformant choice unless its
/// documentation says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuthPolicy {
    /// Credentials in the URL query are refused (RFC 6749 §2.3.1).
    pub refuse_query_credentials: bool,
    /// A request uses exactly one authentication method (RFC 6749 §2.3).
    pub one_method_per_request: bool,
    /// `client_secret_post` is served (RFC 6749 §2.3.1; OAuth 2.1 §2.4.1).
    pub client_secret_post: bool,
    /// A confidential client must present its secret (RFC 6749 §3.2.1).
    pub confidential_needs_secret: bool,
    /// Basic credentials are form-decoded before comparing (RFC 6749 §2.3.1).
    pub form_decode_basic: bool,
    /// A client may use only the method it registered (the `single-auth-method` variant;
    /// RFC 7591 §2 registers one).
    pub registered_method_only: bool,
}

impl ClientAuthPolicy {
    pub(super) fn resolve(on: &Switches) -> ClientAuthPolicy {
        ClientAuthPolicy {
            refuse_query_credentials: !on.fault(Fault::AcceptQueryCredentials),
            one_method_per_request: !on.fault(Fault::AcceptTwoAuthMethods),
            client_secret_post: !on.fault(Fault::NoClientSecretPost),
            confidential_needs_secret: !on.fault(Fault::ConfidentialWithoutSecret),
            form_decode_basic: !on.fault(Fault::BasicNotFormDecoded),
            registered_method_only: on.variant(Variant::SingleAuthMethod),
        }
    }
}
