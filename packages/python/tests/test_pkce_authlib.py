"""The installed wheel as a user has it: the ``oauth_fake_server`` pytest fixture (from the
package's pytest plugin, no conftest.py), a complete authorization-code flow with PKCE through
Authlib, the user played by ``sign_in``, and the helpers tests lean on."""

import subprocess

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from oauth_fake_server import FakeServerError, binary_path, start


def metadata(server):
    return httpx.get(server.metadata_url, timeout=10).raise_for_status().json()


def spa(server, **kwargs):
    client = server.client("demo-spa")
    assert client["client_secret"] is None
    return OAuth2Client(
        client_id=client["client_id"],
        redirect_uri=client["redirect_uris"][0],
        scope="openid profile offline_access",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
        timeout=10,
        **kwargs,
    )


def test_a_public_client_signs_a_user_in_with_pkce_and_refreshes(oauth_fake_server):
    meta = metadata(oauth_fake_server)
    assert "S256" in meta["code_challenge_methods_supported"]
    with spa(oauth_fake_server) as client:
        verifier = generate_token(48)
        url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
        redirect = oauth_fake_server.sign_in(url)
        assert redirect.startswith(client.redirect_uri + "?")
        token = client.fetch_token(
            meta["token_endpoint"], authorization_response=redirect, state=state, code_verifier=verifier
        )
        assert token["token_type"].lower() == "bearer"
        keys = KeySet.import_key_set(httpx.get(meta["jwks_uri"], timeout=10).json())
        id_token = jwt.decode(token["id_token"], keys)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": oauth_fake_server.issuer},
            aud={"essential": True, "value": "demo-spa"},
        ).validate(id_token.claims)

        refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
        assert refreshed["access_token"] != token["access_token"]


def test_a_user_who_denies_consent_sends_access_denied(oauth_fake_server):
    meta = metadata(oauth_fake_server)
    with spa(oauth_fake_server) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=generate_token(48), prompt="consent"
        )
        redirect = oauth_fake_server.sign_in(url, username="bob", consent="deny")
    assert "error=access_denied" in redirect


def test_advance_moves_the_clock_past_the_code_lifetime(oauth_fake_server):
    meta = metadata(oauth_fake_server)
    with spa(oauth_fake_server) as client:
        verifier = generate_token(48)
        url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
        redirect = oauth_fake_server.sign_in(url)
        oauth_fake_server.advance(3600)
        with pytest.raises(Exception, match="invalid_grant"):
            client.fetch_token(
                meta["token_endpoint"], authorization_response=redirect, state=state, code_verifier=verifier
            )


@pytest.mark.oauth_fake_server(faults=["advertise-plain-pkce"], jwt=True)
def test_a_marker_passes_options_to_the_fixture(oauth_fake_server):
    meta = metadata(oauth_fake_server)
    assert "plain" in meta["code_challenge_methods_supported"]
    web = oauth_fake_server.client("demo-web")
    token = httpx.post(
        meta["token_endpoint"],
        data={"grant_type": "client_credentials"},
        auth=(web["client_id"], web["client_secret"]),
        timeout=10,
    ).json()
    assert token["access_token"].count(".") == 2, token


def test_a_bad_option_is_an_error_that_says_why_and_stop_ends_the_process():
    with pytest.raises(FakeServerError, match="no-such-fault"):
        start(faults=["no-such-fault"])
    server = start()
    server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.metadata_url, timeout=5)


def test_the_wheel_installs_the_executable():
    out = subprocess.run([binary_path(), "--list-variants"], capture_output=True, text=True, check=True)
    assert out.stdout.strip()
