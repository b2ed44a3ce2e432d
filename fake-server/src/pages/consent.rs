//! Layer: pages. The consent page: who asks, for what, and where the answer goes.

use axum::http::StatusCode;

use super::html::{Page, escape, safe_image_url, setup_note};

/// What the consent page shows.
#[derive(Debug)]
pub struct ConsentView<'a> {
    pub action: &'a str,
    pub request: &'a str,
    /// Name of the anti-CSRF hidden field.
    pub csrf_field: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub client_id: &'a str,
    pub logo_uri: Option<&'a str>,
    pub username: &'a str,
    /// Host of the redirect URI the answer is sent to.
    pub redirect_host: &'a str,
    /// Every registered redirect URI is loopback: anyone on this machine could receive it.
    pub loopback_only: bool,
    /// Host of a client ID metadata document URL, when the client id is one.
    pub client_id_host: Option<&'a str>,
    /// (scope, human description)
    pub scopes: Vec<(&'a str, &'a str)>,
    /// Render the client name without escaping (the `unescaped-client-name` fault).
    pub raw_name: bool,
    pub frameable: bool,
    /// The admin page, named in the line that says where the page's settings live.
    pub admin_url: &'a str,
}

pub fn consent_page(v: &ConsentView<'_>) -> Page {
    let name = if v.raw_name { v.client_name.to_string() } else { escape(v.client_name) };
    let logo = v
        .logo_uri
        .and_then(safe_image_url)
        .map(|u| format!("<img class=\"logo\" id=\"client-logo\" src=\"{}\" alt=\"\">", escape(u)))
        .unwrap_or_default();
    let scopes: String = v
        .scopes
        .iter()
        .map(|(s, d)| {
            format!(
                "<li><label><input type=\"checkbox\" name=\"scope\" value=\"{s}\" checked> \
                 <span class=\"scope-description\">{d}</span> <code class=\"muted\">{s}</code></label></li>",
                s = escape(s),
                d = escape(d)
            )
        })
        .collect();
    let cimd = v
        .client_id_host
        .map(|h| {
            format!("<p class=\"muted\">Client identity published by <strong id=\"client-id-host\">{}</strong></p>", escape(h))
        })
        .unwrap_or_default();
    let loopback = if v.loopback_only {
        "<p class=\"warn\" id=\"loopback-warning\">This app only redirects to this computer \
         (localhost). Continue only if you started it yourself.</p>"
    } else {
        ""
    };
    let body = format!(
        "{logo}<h1><span id=\"client-name\">{name}</span> wants to access your account</h1>\
         <p class=\"muted\">Signed in as <strong>{user}</strong> · client <code>{client_id}</code></p>{cimd}\
         <p>It asks to:</p>\
         <form method=\"post\" action=\"{action}\" id=\"consent-form\">\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\
         <input type=\"hidden\" name=\"{csrf_field}\" value=\"{csrf}\">\
         <ul class=\"scopes\">{scopes}</ul>\
         <p>After you decide, you will be sent to <strong id=\"redirect-host\">{host}</strong>.</p>{loopback}\
         <div class=\"row\"><button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div></form>{note}",
        note = setup_note(v.admin_url),
        user = escape(v.username),
        client_id = escape(v.client_id),
        action = escape(v.action),
        request = escape(v.request),
        csrf_field = escape(v.csrf_field),
        csrf = escape(v.csrf),
        host = escape(v.redirect_host),
    );
    Page::new(StatusCode::OK, "Authorize access", body, v.frameable)
}
