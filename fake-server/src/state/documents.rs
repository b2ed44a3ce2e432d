//! Layer: state. The discovery documents and JWKS, serialized once: they never change while a
//! server runs, and they are its most requested responses. Built by the metadata routes.

use axum::body::Bytes;

/// The serialized documents a server serves unchanged all its life.
#[derive(Debug)]
pub struct Documents {
    pub oauth: Bytes,
    /// `None` under the `oidc-configuration-missing` fault.
    pub openid: Option<Bytes>,
    pub jwks: Bytes,
}
