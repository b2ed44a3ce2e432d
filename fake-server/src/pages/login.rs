//! The login form.

use axum::http::StatusCode;

use super::{Page, escape};

/// The login page for pending request `request`, with an optional error message and the demo
/// accounts listed (this server exists for development, so its users are no secret).
pub fn login_page(
    action: &str,
    request: &str,
    csrf: &str,
    client_name: &str,
    error: Option<&str>,
    demo_users: &[(&str, &str)],
    frameable: bool,
) -> Page {
    let error_html = error
        .map(|e| format!("<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let users: String = demo_users
        .iter()
        .map(|(u, p)| format!("<li><code>{}</code> / <code>{}</code></li>", escape(u), escape(p)))
        .collect();
    let body = format!(
        "<h1>Sign in</h1>\
         <p class=\"muted\">to continue to <strong id=\"client-name\">{client}</strong></p>{error_html}\
         <form method=\"post\" action=\"{action}\" id=\"login-form\">\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\" autofocus></label>\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\
         <div class=\"row\"><button class=\"primary\" type=\"submit\" name=\"action\" value=\"login\">Sign in</button>\
         <button type=\"submit\" name=\"action\" value=\"cancel\" formnovalidate>Cancel</button></div>\
         </form><details class=\"muted\"><summary>Demo accounts</summary><ul>{users}</ul></details>",
        client = escape(client_name),
        action = escape(action),
        request = escape(request),
        csrf = escape(csrf),
    );
    Page::new(StatusCode::OK, "Sign in", body, frameable)
}
