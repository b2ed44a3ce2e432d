"""Settings of the django-oauth-toolkit interop target.

A test target only: it listens on 127.0.0.1, the secret key and the OpenID Connect signing key are
made anew at every start, and the SQLite database is a fresh copy of the seeded one (start.sh).

Environment (set by start.sh):
  DOT_PORT  the port; the issuer is http://127.0.0.1:$DOT_PORT
  DOT_DB    the SQLite file to use
"""
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BASE_DIR = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("DOT_PORT", "3200"))
ISSUER = f"http://127.0.0.1:{PORT}"

SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # first, so its login and consent templates win over the toolkit's own
    "conformance",
    "corsheaders",
    "oauth2_provider",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "confsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

# SQLite with a busy timeout and immediate write transactions, so the harness's concurrent
# requests wait for each other instead of failing with "database is locked".
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DOT_DB", str(BASE_DIR.parent / "artifacts" / "seed.sqlite3")),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

LOGIN_URL = "/accounts/login/"
# The site has no page of its own to land on after a login without `next`.
LOGIN_REDIRECT_URL = "/accounts/login/"
X_FRAME_OPTIONS = "DENY"

# Client secrets and user passwords are hashed (the toolkit hashes secrets by default) with the
# cheap hasher Django recommends for test suites. The default, PBKDF2 with 1,000,000 iterations,
# costs about a second per client authentication on a small machine, and the harness's concurrent
# requests then run into its 15 s timeout. Nothing the harness can observe depends on the hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING"},
        "oauth2_provider": {"handlers": ["console"], "level": "WARNING"},
    },
}


def _signing_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OIDC_RSA_PRIVATE_KEY": _signing_key(),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    # Public clients use the token endpoint with `none` (client_id alone), so it is listed too.
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post", "none"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post", "none"],
    "SCOPES": {
        "openid": "Sign you in (OpenID Connect)",
        "profile": "See your name and user name",
        "email": "See your email address",
        "read": "Read your projects",
        "write": "Change your projects",
    },
    # A request without `scope` gets read access (RFC 6749 §3.3 default scope).
    "DEFAULT_SCOPES": ["read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 14 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "PKCE_REQUIRED": True,
    # The library's RFC 9700 gates, all switched to the behaviour it will default to in 4.0.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # Open dynamic registration (RFC 7591), as MCP clients need; RFC 7592 management stays on.
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),
}

# CORS (django-cors-headers) on the endpoints a browser-based client calls with fetch: token,
# revocation, introspection, userinfo, registration, metadata and JWKS. Not on /authorize/ or the
# login page, which a browser navigates to. These endpoints take no cookies, so any origin may call.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/(token|revoke_token|introspect|userinfo|register)/.*$|^/\.well-known/.*$"
CORS_EXPOSE_HEADERS = ["WWW-Authenticate"]
