//! Integration tests of the harness: the real CLI end to end, faults seen through it, and
//! hostile or unreachable servers.

mod browser_driver;
mod ci_action;
mod cli;
mod client_mode;
mod fake_surface;
mod hostile;
mod id_jag_idp;
mod kill_matrix;
mod layers;
mod leave_nothing;
mod manual_driver;
mod raw_server;
mod sarif;
mod snapshots_cmd;
mod support;
mod variant_matrix;
