//! The engine: scenario files, steps, matchers, the user agent and everything that drives a
//! target through a run. It imports the result model ([`crate::model`]) and nothing from the
//! render or command layers.

pub mod agent;
pub mod browser;
pub mod cleanup;
pub mod expect;
pub mod interact;
pub mod jwks;
pub mod manual;
pub mod origin;
pub mod profile;
pub mod retry;
pub mod run;
pub mod steps;
pub mod suite;
pub mod target;
pub mod template;
pub mod trust;
