//! Origins that credentials may go to, as a target profile writes them (layer: engine, at its
//! bottom; imports nothing from the crate). Read by the profile, to validate it, by the trust
//! rules, to apply it, and by the agent, to name the profile key in its refusals.

/// The profile key that trusts another origin.
pub const TRUST_KEY: &str = "trusted_origins";

/// An origin the profile lets credentials go to: `scheme://host[:port]`, or
/// `scheme://host:*` for any port of that host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: String,
    host: String,
    /// `None` matches any port.
    port: Option<u16>,
}

impl OriginPattern {
    pub fn parse(text: &str) -> Option<OriginPattern> {
        let (head, any_port) = match text.trim_end_matches('/').strip_suffix(":*") {
            Some(h) => (h.to_string(), true),
            None => (text.trim_end_matches('/').to_string(), false),
        };
        let url = url::Url::parse(&head).ok()?;
        if !matches!(url.scheme(), "http" | "https") || url.path().len() > 1 || url.query().is_some() {
            return None;
        }
        Some(OriginPattern {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: if any_port { None } else { url.port_or_known_default() },
        })
    }

    pub fn matches(&self, url: &url::Url) -> bool {
        url.scheme() == self.scheme
            && url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
            && self.port.is_none_or(|p| url.port_or_known_default() == Some(p))
    }
}

/// Check a profile's `trusted_origins`: each an http(s) origin, optionally with port `*`.
pub fn validate_origins(origins: &[String]) -> Result<(), String> {
    match origins.iter().find(|o| OriginPattern::parse(o).is_none()) {
        Some(bad) => Err(format!(
            "`{TRUST_KEY}`: `{bad}` is not an origin (scheme://host or scheme://host:port, port `*` for any)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_origins_must_be_origins() {
        assert!(validate_origins(&["https://a.example".into(), "http://localhost:*".into()]).is_ok());
        assert!(validate_origins(&["https://a.example/path".into()]).is_err());
        assert!(validate_origins(&["a.example".into()]).is_err());
    }
}
