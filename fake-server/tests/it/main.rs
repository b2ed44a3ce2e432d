//! Integration tests of the fake server over real HTTP: registration and its management API,
//! client ID metadata documents, the MCP resource, and the operator view.

mod admin;
mod admin_page;
mod cimd;
mod faults_extra;
mod management;
mod mcp;
mod registration;
mod support_extra;
