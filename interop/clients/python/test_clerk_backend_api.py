"""clerk-backend-api (Clerk's Python backend SDK) pointed at the fake server.

Three ways an app verifies an OAuth access token with it: `authenticate_request` with
`accepts_token=["oauth_token"]`, the `verify_token` function it calls, and the generated API
client's `oauth_access_tokens.verify`. A live token is accepted; a revoked token (on the very
next request), an expired one (the fake server's clock moved through its admin API) and an
unknown one are refused.

Version 7.0.0's `AuthenticateRequestOptions` has no API URL: `authenticate_request` always
verifies OAuth tokens at https://api.clerk.com. The tests route it to the fake server by
wrapping the SDK's `_build_verify_token_options`, which is where the SDK chooses that URL.
Its OAuth path also has no audience check (`audience` applies to session tokens only).
"""

import dataclasses

import httpx
import pytest
from clerk_backend_api import Clerk, models
from clerk_backend_api.security import authenticaterequest
from clerk_backend_api.security.types import (
    AuthenticateRequestOptions,
    AuthErrorReason,
    TokenVerificationError,
    TokenVerificationErrorReason,
    VerifyTokenOptions,
)
from clerk_backend_api.security.verifytoken import verify_token

from conftest import SECRET_KEY


@pytest.fixture
def routed(fake_server, monkeypatch):
    """`authenticate_request` verifying at the fake server instead of api.clerk.com."""
    build = authenticaterequest._build_verify_token_options

    def to_fake_server(options, token):
        built = build(options, token)
        if isinstance(built, VerifyTokenOptions):
            return dataclasses.replace(built, api_url=fake_server.issuer)
        return built

    monkeypatch.setattr(authenticaterequest, "_build_verify_token_options", to_fake_server)
    return fake_server


def authenticate(issuer: str, token: str):
    request = httpx.Request("GET", f"{issuer}/api/example", headers={"Authorization": f"Bearer {token}"})
    options = AuthenticateRequestOptions(secret_key=SECRET_KEY, accepts_token=["oauth_token"])
    return authenticaterequest.authenticate_request(request, options)


def verify(issuer: str, token: str) -> dict:
    return verify_token(token, VerifyTokenOptions(secret_key=SECRET_KEY, api_url=issuer))


def test_a_live_token_authenticates_and_a_revoked_one_is_refused_on_the_very_next_request(routed):
    token = routed.client_token(resource=f"{routed.issuer}/mcp")["access_token"]
    assert token.startswith("oat_")
    live = authenticate(routed.issuer, token)
    assert live.is_signed_in, live.reason
    assert live.payload["subject"] == "demo-web"
    assert live.payload["aud"] == [f"{routed.issuer}/mcp"]
    assert verify(routed.issuer, token)["scopes"]

    assert routed.revoke(token) == 200
    refused = authenticate(routed.issuer, token)
    assert not refused.is_signed_in
    assert refused.reason == TokenVerificationErrorReason.TOKEN_INVALID
    with pytest.raises(TokenVerificationError):
        verify(routed.issuer, token)


def test_an_expired_token_is_refused_once_the_fake_server_clock_passes_its_lifetime(routed):
    issued = routed.client_token()
    assert authenticate(routed.issuer, issued["access_token"]).is_signed_in
    routed.advance(issued["expires_in"] + 1)
    refused = authenticate(routed.issuer, issued["access_token"])
    assert not refused.is_signed_in
    assert refused.reason == TokenVerificationErrorReason.TOKEN_INVALID


def test_an_unknown_token_and_another_token_type_are_refused(routed):
    unknown = authenticate(routed.issuer, "oat_this_token_was_never_issued")
    assert not unknown.is_signed_in
    assert unknown.reason == TokenVerificationErrorReason.TOKEN_INVALID
    token = routed.client_token()["access_token"]
    request = httpx.Request("GET", f"{routed.issuer}/api", headers={"Authorization": f"Bearer {token}"})
    options = AuthenticateRequestOptions(secret_key=SECRET_KEY, accepts_token=["session_token"])
    only_sessions = authenticaterequest.authenticate_request(request, options)
    assert only_sessions.reason == AuthErrorReason.TOKEN_TYPE_NOT_SUPPORTED


def test_the_api_clients_verify_returns_a_live_token_and_raises_for_a_revoked_one(fake_server):
    token = fake_server.client_token()["access_token"]
    with Clerk(bearer_auth=SECRET_KEY, server_url=f"{fake_server.issuer}/v1") as clerk:
        verified = clerk.oauth_access_tokens.verify(access_token=token)
        assert verified.subject == "demo-web"
        assert fake_server.revoke(token) == 200
        with pytest.raises(models.ClerkBaseError) as refused:
            clerk.oauth_access_tokens.verify(access_token=token)
        assert refused.value.status_code == 404
