//! Layer: pages. The login form.

use axum::http::StatusCode;

use super::html::{Page, escape, setup_note};

/// What the login page shows.
#[derive(Debug)]
pub struct LoginView<'a> {
    pub action: &'a str,
    pub request: &'a str,
    /// Name of the anti-CSRF hidden field.
    pub csrf_field: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub error: Option<&'a str>,
    /// The demo accounts, listed: this server exists for development, its users are no secret.
    pub demo_users: &'a [(&'a str, &'a str)],
    /// Offer a Cancel button (off under the `login-without-cancel` variant).
    pub cancel: bool,
    pub frameable: bool,
    /// The admin page, named in the line that says where the page's settings live.
    pub admin_url: &'a str,
    /// Identifier-first sign-in: `None` shows the page that asks for the username only,
    /// `Some(name)` the page that asks for this user's password.
    pub identifier_first: Option<Option<&'a str>>,
}

/// The login page for a pending request, with an optional error message.
pub fn login_page(v: &LoginView<'_>) -> Page {
    let error_html = v
        .error
        .map(|e| format!("<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let users: String = v
        .demo_users
        .iter()
        .map(|(u, p)| format!("<li><code>{}</code> / <code>{}</code></li>", escape(u), escape(p)))
        .collect();
    let cancel = if v.cancel {
        "<button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button>"
    } else {
        ""
    };
    // Identifier-first: the username page posts `action=next` from a form of its own; the
    // password page keeps the username in a hidden field.
    let (form_id, fields, press) = match v.identifier_first {
        None => (
            "login-form",
            "<label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\" autofocus></label>\
             <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>"
                .to_string(),
            ("login", "Sign in"),
        ),
        Some(None) => (
            "identify-form",
            "<label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\" autofocus></label>"
                .to_string(),
            ("next", "Next"),
        ),
        Some(Some(user)) => (
            "login-form",
            format!(
                "<p>Signing in as <strong id=\"username-shown\">{u}</strong></p>\
                 <input type=\"hidden\" name=\"username\" value=\"{u}\">\
                 <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" autofocus></label>",
                u = escape(user)
            ),
            ("login", "Sign in"),
        ),
    };
    let body = format!(
        "<h1>Sign in</h1>\
         <p class=\"muted\">to continue to <strong id=\"client-name\">{client}</strong></p>{error_html}\
         <form method=\"post\" action=\"{action}\" id=\"{form_id}\">\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\
         <input type=\"hidden\" name=\"{csrf_field}\" value=\"{csrf}\">\
         {fields}\
         <div class=\"row\"><button class=\"primary\" type=\"submit\" name=\"action\" value=\"{value}\">{label}</button>\
         {cancel}</div>\
         </form><details class=\"muted\"><summary>Demo accounts</summary><ul>{users}</ul></details>{note}",
        note = setup_note(v.admin_url),
        client = escape(v.client_name),
        action = escape(v.action),
        request = escape(v.request),
        csrf_field = escape(v.csrf_field),
        csrf = escape(v.csrf),
        value = press.0,
        label = press.1,
    );
    Page::new(StatusCode::OK, "Sign in", body, v.frameable)
}
