//! Layer: bottom. Constructors and `with_*` setters for the configuration types, which are
//! `#[non_exhaustive]` so that new fields do not break library users.

use super::{ClientConfig, ScopeConfig, TokenFormat, UserConfig, default_grant_types};

impl ClientConfig {
    /// A public client (no secret; PKCE only, OAuth 2.1 §2.1) with the default grant types
    /// (`authorization_code`, `refresh_token`), consent shown, and its id as its name.
    ///
    /// ```
    /// use fake_server::ClientConfig;
    /// let spa = ClientConfig::public("my-spa", ["http://localhost:5173/callback"]).with_name("My SPA");
    /// assert!(spa.client_secret.is_none());
    /// ```
    pub fn public(
        client_id: impl Into<String>,
        redirect_uris: impl IntoIterator<Item = impl Into<String>>,
    ) -> ClientConfig {
        let client_id = client_id.into();
        ClientConfig {
            name: client_id.clone(),
            client_id,
            client_secret: None,
            logo_uri: None,
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            grant_types: default_grant_types(),
            consent: true,
            access_token_format: None,
            introspect_any: false,
        }
    }

    /// A confidential client authenticating with `secret` (RFC 6749 §2.3.1), otherwise as
    /// [`ClientConfig::public`].
    ///
    /// ```
    /// use fake_server::ClientConfig;
    /// let web = ClientConfig::confidential("web", "s3cret", ["https://app.example/cb"])
    ///     .with_grant_types(["authorization_code", "refresh_token", "client_credentials"]);
    /// assert!(!format!("{web:?}").contains("s3cret"));
    /// ```
    pub fn confidential(
        client_id: impl Into<String>,
        secret: impl Into<String>,
        redirect_uris: impl IntoIterator<Item = impl Into<String>>,
    ) -> ClientConfig {
        ClientConfig { client_secret: Some(secret.into()), ..ClientConfig::public(client_id, redirect_uris) }
    }

    /// The name the consent page shows.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> ClientConfig {
        self.name = name.into();
        self
    }

    /// The logo the consent page shows (an absolute http(s) URL).
    #[must_use]
    pub fn with_logo_uri(mut self, logo_uri: impl Into<String>) -> ClientConfig {
        self.logo_uri = Some(logo_uri.into());
        self
    }

    /// Scopes the client may ask for (every known scope when empty).
    #[must_use]
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> ClientConfig {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Scopes granted when a request names none (RFC 6749 §3.3).
    #[must_use]
    pub fn with_default_scopes(
        mut self,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> ClientConfig {
        self.default_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The grant types the client may use.
    #[must_use]
    pub fn with_grant_types(
        mut self,
        grant_types: impl IntoIterator<Item = impl Into<String>>,
    ) -> ClientConfig {
        self.grant_types = grant_types.into_iter().map(Into::into).collect();
        self
    }

    /// Show the consent page (`true`, the default) or skip it for this client.
    #[must_use]
    pub fn with_consent(mut self, consent: bool) -> ClientConfig {
        self.consent = consent;
        self
    }

    /// This client's access-token format instead of the server's.
    #[must_use]
    pub fn with_access_token_format(mut self, format: TokenFormat) -> ClientConfig {
        self.access_token_format = Some(format);
        self
    }

    /// Let this client introspect tokens issued to other clients (a resource server).
    #[must_use]
    pub fn with_introspect_any(mut self, introspect_any: bool) -> ClientConfig {
        self.introspect_any = introspect_any;
        self
    }
}

impl UserConfig {
    /// A user who logs in with `username` and `password`; the subject is derived from the
    /// username.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> UserConfig {
        UserConfig {
            username: username.into(),
            password: password.into(),
            sub: None,
            name: None,
            email: None,
        }
    }

    /// A stable subject identifier instead of the derived one.
    #[must_use]
    pub fn with_sub(mut self, sub: impl Into<String>) -> UserConfig {
        self.sub = Some(sub.into());
        self
    }

    /// The `name` claim.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> UserConfig {
        self.name = Some(name.into());
        self
    }

    /// The `email` claim.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> UserConfig {
        self.email = Some(email.into());
        self
    }
}

impl ScopeConfig {
    /// A scope with the sentence the consent page shows for it.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> ScopeConfig {
        ScopeConfig { name: name.into(), description: description.into(), claims: Vec::new() }
    }

    /// User claims this scope releases at the userinfo endpoint.
    #[must_use]
    pub fn with_claims(mut self, claims: impl IntoIterator<Item = impl Into<String>>) -> ScopeConfig {
        self.claims = claims.into_iter().map(Into::into).collect();
        self
    }
}
