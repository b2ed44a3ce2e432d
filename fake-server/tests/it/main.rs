//! Integration tests of the fake authorization server over real HTTP: one binary, one module
//! per theme, all sharing `support`.

mod support;

mod authorize;
mod bad_input;
mod binary;
mod blocking;
mod client_credentials;
mod cors;
mod discovery;
mod faults;
mod interaction;
mod introspection;
mod jwt;
mod oauth2_client;
mod path_issuer;
mod pkce;
mod prompt;
mod refresh;
mod revocation;
mod snapshots;
mod token;
mod userinfo;
