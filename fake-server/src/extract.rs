//! Layer: bottom, request parsing (depends on error).
//! Extractors whose rejections are OAuth errors: a malformed path segment (`%ff`, which is
//! not UTF-8) gets `invalid_request` JSON like every other malformed input, never axum's
//! plain-text rejection.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::OAuthError;

/// `axum::extract::Path` with an `OAuthError` rejection.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = OAuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => {
                let status = rejection.status();
                let why = rejection.body_text();
                let why: String = why.chars().filter(|c| !c.is_control()).take(200).collect();
                let error = OAuthError::invalid_request(format!("the request path is malformed: {why}"));
                // A path that routed but cannot be read is the client's fault (4xx); a
                // missing parameter would be ours, and stays 500.
                Err(if status.is_client_error() { error } else { error.with_status(status) })
            }
        }
    }
}
