//! Integration tests of the fake authorization server over real HTTP: one binary, one module
//! per theme. `support` serves the core flows, `support_extra` registration, CIMD, MCP and the
//! operator view.

mod support;
mod support_extra;

mod admin;
mod admin_page;
mod authorize;
mod bad_input;
mod binary;
mod blocking;
mod cimd;
mod clerk_verify;
mod client_credentials;
mod cors;
mod discovery;
mod faults;
mod faults_extra;
mod faults_registration;
mod faults_verify;
mod fuzz;
mod hardening_limits;
mod hardening_redirects;
mod idjag;
mod interaction;
mod introspection;
mod journal;
mod jwt;
mod jwt_algs;
mod management;
mod mcp;
mod oauth2_client;
mod path_issuer;
mod pkce;
mod private_key_jwt;
mod prompt;
mod races;
mod refresh;
mod registration;
mod revocation;
mod slow_clients;
mod snapshots;
mod token;
mod userinfo;
mod variants_authorize;
mod variants_clients;
mod variants_config;
mod variants_pages;
mod variants_tokens;
