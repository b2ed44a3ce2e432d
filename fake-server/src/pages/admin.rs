//! Layer: pages. The operator's pages: sign-in with the admin key, and the Applications list with its
//! consent toggles. No JavaScript; every state change is a POST form carrying a CSRF token.

use axum::http::StatusCode;

use super::html::{Page, escape};

/// Extra styles for the wider operator pages (the shared sheet is sized for a dialog).
const WIDE: &str = "<style>body{max-width:64rem}table{border-collapse:collapse;width:100%;font-size:.92rem}\
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #dde2ea;vertical-align:top}\
td form{display:inline}nav.pages{display:flex;gap:1rem;align-items:center;margin-top:1rem}\
header.bar{display:flex;justify-content:space-between;align-items:center}</style>";

pub fn admin_login_page(action: &str, csrf: &str, error: Option<&str>, frameable: bool) -> Page {
    let error_html = error
        .map(|e| format!("<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Operator sign-in</h1>\
         <p class=\"muted\">Enter the admin key the server printed when it started.</p>{error_html}\
         <form method=\"post\" action=\"{action}\" id=\"admin-login-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Admin key <input type=\"password\" name=\"key\" autocomplete=\"current-password\" autofocus></label>\
         <div class=\"row\"><button class=\"primary\" type=\"submit\">Sign in</button></div></form>",
        action = escape(action),
        csrf = escape(csrf),
    );
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    Page::new(status, "Operator sign-in", body, frameable)
}

/// One application in the list.
#[derive(Debug)]
pub struct AppRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub public: bool,
    pub consent: bool,
    /// Dynamic clients always show consent, so they get no toggle.
    pub can_toggle: bool,
    pub created_at: i64,
    pub redirect_uris: Vec<String>,
}

/// The Applications page.
#[derive(Debug)]
pub struct ApplicationsView<'a> {
    pub base: &'a str,
    pub csrf: &'a str,
    pub rows: Vec<AppRow>,
    /// 1-based.
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub notice: Option<&'a str>,
    pub frameable: bool,
}

pub fn applications_page(v: &ApplicationsView<'_>) -> Page {
    let rows: String = v.rows.iter().map(|r| row(v, r)).collect();
    let link = |p: usize, label: &str, id: &str| {
        format!("<a id=\"{id}\" href=\"{}/admin/applications?page={p}\">{label}</a>", escape(v.base))
    };
    let prev = if v.page > 1 { link(v.page - 1, "&larr; Previous", "prev-page") } else { String::new() };
    let next = if v.page < v.pages { link(v.page + 1, "Next &rarr;", "next-page") } else { String::new() };
    let notice =
        v.notice.map(|n| format!("<p class=\"warn\" role=\"status\">{}</p>", escape(n))).unwrap_or_default();
    let body = format!(
        "{WIDE}<header class=\"bar\"><h1>Applications</h1>\
         <form method=\"post\" action=\"{base}/admin/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">Sign out</button></form></header>{notice}\
         <table id=\"applications\"><thead><tr><th>Name</th><th>Client ID</th><th>Type</th><th>Origin</th>\
         <th>Consent screen</th><th>Created</th></tr></thead><tbody>{rows}</tbody></table>\
         <nav class=\"pages\">{prev}<span id=\"page-info\">Page {page} of {pages} · {total} applications</span>{next}</nav>",
        base = escape(v.base),
        csrf = escape(v.csrf),
        page = v.page,
        pages = v.pages.max(1),
        total = v.total,
    );
    Page::new(StatusCode::OK, "Applications", body, v.frameable)
}

fn row(v: &ApplicationsView<'_>, r: &AppRow) -> String {
    let consent = if !r.can_toggle {
        "<span class=\"muted\">Always (dynamic client)</span>".to_string()
    } else {
        let (label, value, button) =
            if r.consent { ("On", "off", "Turn off") } else { ("Off", "on", "Turn on") };
        let id: String = url::form_urlencoded::byte_serialize(r.id.as_bytes()).collect();
        format!(
            "{label} <form method=\"post\" action=\"{base}/admin/applications/{id}/consent\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"page\" value=\"{page}\">\
             <button type=\"submit\" name=\"consent\" value=\"{value}\">{button}</button></form>",
            base = escape(v.base),
            id = escape(&id),
            csrf = escape(v.csrf),
            page = v.page,
        )
    };
    let redirects: String =
        r.redirect_uris.iter().map(|u| format!("<br><small class=\"muted\">{}</small>", escape(u))).collect();
    format!(
        "<tr class=\"application\"><td><strong class=\"app-name\">{name}</strong>{redirects}</td>\
         <td><code class=\"client-id\">{id}</code></td><td>{kind}</td><td>{origin}</td>\
         <td class=\"consent\">{consent}</td><td>{created}</td></tr>",
        name = escape(&r.name),
        id = escape(&r.id),
        kind = if r.public { "public" } else { "confidential" },
        origin = escape(r.kind),
        created = utc(r.created_at),
    )
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the epoch (civil-from-days, proleptic Gregorian).
pub fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn dates_are_rendered_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    }
}
