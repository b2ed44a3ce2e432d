//! Layer: domain logic (above state).
//! What a redirect URI and a text shown to users may contain: RFC 3986 URIs written only with
//! URI characters (so the registered string is the one a browser is sent to), and names free
//! of control, bidi and invisible characters (so a name reads as what it is).

use crate::error::OAuthError;
use crate::state::AppState;

/// Schemes that run code or read local data when a browser navigates to them.
const DANGEROUS_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "vbscript",
    "about",
    "blob",
    "filesystem",
    "view-source",
    "ftp",
    "ws",
    "wss",
];

/// A redirect URI this server will register (OAuth 2.1 §2.3.1, §8.4; RFC 8252 §7; RFC 9700
/// §2.6): an RFC 3986 absolute URI made only of URI characters (no whitespace, controls or
/// non-ASCII, so what is stored is what a browser is sent to), no fragment, no userinfo;
/// https with a host, loopback http on any port, or a private-use reverse-domain scheme
/// (`com.example.app:/cb`) for native apps.
pub fn check_redirect_uri(st: &AppState, uri: &str) -> Result<(), String> {
    let shown = printable(uri);
    let Some(scheme) = scheme_of(uri) else {
        return Err(format!("redirect URI `{shown}` is not an absolute URI (RFC 3986 §4.3)"));
    };
    let scheme = scheme.to_ascii_lowercase();
    if DANGEROUS_SCHEMES.contains(&scheme.as_str()) {
        if !st.policy.registration.refuse_dangerous_schemes {
            return Ok(());
        }
        return Err(format!("redirect URI scheme `{scheme}:` is not allowed"));
    }
    uri_characters(uri).map_err(|why| format!("redirect URI `{shown}` {why}"))?;
    if uri.contains('#') && st.policy.registration.refuse_fragments {
        return Err(format!("redirect URI `{uri}` must not have a fragment"));
    }
    let hierarchical = uri[scheme.len() + 1..].strip_prefix("//");
    if let Some(rest) = hierarchical {
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if authority.contains('@') {
            return Err(format!("redirect URI `{uri}` must not carry user information"));
        }
    }
    if matches!(scheme.as_str(), "http" | "https")
        && hierarchical.is_none_or(|r| r.starts_with(['/', '?', '#']))
    {
        return Err(format!(
            "redirect URI `{uri}` needs an authority: `{scheme}://host/path` (RFC 3986 §3.2)"
        ));
    }
    let parsed = url::Url::parse(uri).map_err(|_| format!("redirect URI `{uri}` is not an absolute URI"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("redirect URI `{uri}` must not carry user information"));
    }
    match scheme.as_str() {
        "https" if parsed.host().is_some() => Ok(()),
        "https" => Err(format!("redirect URI `{uri}` has no host")),
        "http" if is_loopback_host(&parsed) => {
            if !st.policy.registration.allow_loopback_http {
                return Err(format!("redirect URI `{uri}` must use https"));
            }
            Ok(())
        }
        "http" if !st.policy.registration.refuse_plain_http => Ok(()),
        "http" => Err(format!(
            "redirect URI `{uri}` must use https; plain http is allowed only for localhost, 127.0.0.1 and [::1]"
        )),
        // OAuth 2.1 §2.3.1: private-use schemes are reverse domain names of the app's publisher.
        other if other.contains('.') => Ok(()),
        other => Err(format!(
            "redirect URI scheme `{other}:` is neither https, loopback http nor a reverse-domain \
             private-use scheme such as `com.example.app:`"
        )),
    }
}

/// The scheme of an absolute URI: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` before `:`
/// (RFC 3986 §3.1).
fn scheme_of(uri: &str) -> Option<&str> {
    let (scheme, _) = uri.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some(scheme)
}

/// Only the characters RFC 3986 §2 allows in a URI, and `%` only before two hex digits.
fn uri_characters(uri: &str) -> Result<(), &'static str> {
    let bytes = uri.as_bytes();
    for (i, c) in uri.char_indices() {
        let ok = c.is_ascii_alphanumeric()
            || "-._~:/?#[]@!$&'()*+,;=".contains(c)
            || (c == '%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if ok {
            continue;
        }
        return Err(if c.is_whitespace() || c.is_control() || is_invisible(c) {
            "contains whitespace, a control or an invisible character"
        } else if c == '%' {
            "has a `%` that is not followed by two hex digits"
        } else if c.is_ascii() {
            "contains a character URIs do not allow; percent-encode it"
        } else {
            "contains a non-ASCII character; percent-encode it"
        });
    }
    Ok(())
}

/// `s` with controls and invisible characters shown as `\u{..}` escapes, for error messages.
pub fn printable(s: &str) -> String {
    s.chars()
        .take(300)
        .map(
            |c| {
                if c.is_control() || is_invisible(c) { c.escape_unicode().to_string() } else { c.to_string() }
            },
        )
        .collect()
}

/// Characters that change how text around them is displayed without being seen: bidi
/// controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), zero-width characters
/// (U+200B–U+200D, U+2060–U+2064, U+FEFF), soft hyphen and other format characters
/// (Unicode category Cf), and the interlinear annotation and tag characters.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{0600}'..='\u{0605}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{08E2}'
            | '\u{110BD}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Text shown to a user (a client's name on the consent page): refused when it holds control
/// characters or invisible ones that could make it read as something else.
pub fn check_display_text(member: &str, text: &str) -> Result<(), OAuthError> {
    if let Some(c) = text.chars().find(|c| c.is_control() || is_invisible(*c)) {
        return Err(OAuthError::invalid_client_metadata(format!(
            "`{member}` contains {} (U+{:04X}): control, bidi and invisible characters could make it \
             read as another name",
            if c.is_control() { "a control character" } else { "an invisible or bidi character" },
            c as u32
        )));
    }
    Ok(())
}

/// `localhost`, `127.0.0.1` or `[::1]` (RFC 8252 §7.3, and `localhost` as MCP clients use it).
pub fn is_loopback_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{is_invisible, printable, scheme_of, uri_characters};

    #[test]
    fn only_uri_characters_and_well_formed_escapes_pass() {
        assert!(uri_characters("https://a.example/cb;p=1?x=%7e&y=[1]#f").is_ok());
        for bad in [
            "https://a.example/c b",
            "https://a.example/\tcb",
            "https://a.example/%g0",
            "https://a.example/é",
        ] {
            assert!(uri_characters(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_scheme_starts_with_a_letter_and_holds_only_scheme_characters() {
        assert_eq!(scheme_of("com.example.app:/cb"), Some("com.example.app"));
        assert_eq!(scheme_of("1http://a"), None);
        assert_eq!(scheme_of("/relative"), None);
    }

    #[test]
    fn invisible_characters_are_shown_escaped_in_messages() {
        assert!(is_invisible('\u{202E}') && is_invisible('\u{FEFF}') && !is_invisible('é'));
        assert_eq!(printable("a\u{202E}b"), "a\\u{202e}b");
    }
}
