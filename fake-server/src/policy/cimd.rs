//! Layer: policy. Client ID metadata documents (CIMD): which client ids name documents, how
//! they are fetched and cached and what a document must hold, resolved once from the faults.

use super::switches::Switches;
use crate::faults::Fault;

/// Metadata documents. Each `true` boolean is the conformant choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CimdPolicy {
    /// A URL client id is fetched as a document when the feature is on (CIMD §4).
    pub fetch_documents: bool,
    /// A failed fetch aborts the request (CIMD §4.3), it does not admit a made-up client.
    pub fetch_failure_aborts: bool,
    /// The redirect URI must be one the document lists (CIMD §4.2).
    pub check_redirect_uri: bool,
    /// Successful documents are cached (CIMD §4.4).
    pub cache_documents: bool,
    /// Failures are never cached (CIMD §4.4).
    pub never_cache_errors: bool,
    /// The document's `client_id` must equal its URL (CIMD §4.1).
    pub client_id_matches_url: bool,
    /// A document carrying `client_secret` is refused (CIMD §4.1).
    pub refuse_shared_secret: bool,
    /// A document must name the client (`client_name`).
    pub require_client_name: bool,
    /// Only public addresses are fetched from (CIMD §6.5).
    pub public_addresses_only: bool,
    /// The URL form is checked: https, a path, no dot segments, fragment or user information
    /// (CIMD §3).
    pub check_url_form: bool,
    /// Only a 200 response is a document (CIMD §4.3).
    pub ok_status_only: bool,
    /// Documents are size-capped (CIMD §6.6).
    pub size_limit: bool,
    /// Redirects are not followed (CIMD §4.3).
    pub no_redirects: bool,
}

impl CimdPolicy {
    pub(super) fn resolve(on: &Switches) -> CimdPolicy {
        let fault = |f| on.fault(f);
        CimdPolicy {
            fetch_documents: !fault(Fault::CimdNotFetched),
            fetch_failure_aborts: !fault(Fault::CimdFetchFailureIgnored),
            check_redirect_uri: !fault(Fault::CimdRedirectNotChecked),
            cache_documents: !fault(Fault::CimdNeverCached),
            never_cache_errors: !fault(Fault::CimdCachesErrors),
            client_id_matches_url: !fault(Fault::CimdClientIdMismatchAccepted),
            refuse_shared_secret: !fault(Fault::CimdAcceptsSharedSecret),
            require_client_name: !fault(Fault::CimdAcceptsIncompleteDocument),
            public_addresses_only: !fault(Fault::CimdFetchesPrivateAddresses),
            check_url_form: !fault(Fault::CimdLaxUrlForm),
            ok_status_only: !fault(Fault::CimdIgnoresStatus),
            size_limit: !fault(Fault::CimdNoSizeLimit),
            no_redirects: !fault(Fault::CimdFollowsRedirects),
        }
    }
}
