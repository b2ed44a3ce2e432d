//! Layer: pages (above the domain logic, below routes). Server-rendered HTML: login, consent
//! and error pages. Every value that a client or user controls goes through `escape`, and
//! every page refuses to be framed.

mod admin;
mod consent;
mod html;
mod login;

pub use admin::{AppRow, ApplicationsView, admin_login_page, applications_page};
pub use consent::{ConsentView, consent_page};
pub use html::{SIGN_IN_SCRIPT, error_page, escape, script_shell};
pub use login::{LoginView, login_page};
