"""The fake server for the Clerk SDK tests: the `oauth-fake-server` binary on a free port with
a known admin key (the secret key Clerk's SDKs send), stopped when the tests end."""

import os
import subprocess
from pathlib import Path

import httpx
import pytest

SECRET_KEY = "sk_test_oauth_fake_server"
ROOT = Path(__file__).resolve().parents[3]


class FakeServer:
    def __init__(self, issuer: str):
        self.issuer = issuer
        self.http = httpx.Client(timeout=10)

    def client_token(self, resource: str | None = None) -> dict:
        """An access token for the confidential `demo-web` client (client credentials)."""
        form = {"grant_type": "client_credentials"}
        if resource:
            form["resource"] = resource
        r = self.http.post(f"{self.issuer}/token", data=form, auth=("demo-web", "demo-web-secret"))
        assert r.status_code == 200, r.text
        return r.json()

    def revoke(self, token: str) -> int:
        r = self.http.post(f"{self.issuer}/revoke", data={"token": token}, auth=("demo-web", "demo-web-secret"))
        return r.status_code

    def advance(self, seconds: int) -> None:
        r = self.http.post(
            f"{self.issuer}/admin/api/clock/advance",
            json={"seconds": seconds},
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def fake_server():
    binary = os.environ.get("FAKE_SERVER_BIN", str(ROOT / "target/debug/oauth-fake-server"))
    child = subprocess.Popen(
        [binary, "--port", "0", "--quiet", "--admin-key", SECRET_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        issuer = child.stdout.readline().strip()
        if not issuer.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake server did not start: {issuer!r} {child.stderr.read()}")
        server = FakeServer(issuer)
        yield server
        server.http.close()
    finally:
        # SIGTERM ends it at once; there is no state worth a graceful shutdown.
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
