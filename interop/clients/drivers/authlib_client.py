"""A driver for `oauth-conformance client`: an MCP client built on Authlib's httpx OAuth 2.0
client, the way Authlib documents an authorization code flow with PKCE, so that the client
scenarios judge what the library does: the S256 challenge of `create_authorization_url`, the
callback check of `fetch_token(authorization_response=..., state=...)` and the token request.
The driver does what the library leaves to the application:

- MCP discovery (the 401, RFC 9728 metadata naming the authorization server) and `resource`;
- registration (RFC 7591) unless OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET are set, or
  OAUTH_CLIENT_METADATA_URL is and the server supports client ID metadata documents;
- the loopback redirect URI, and $BROWSER to open the authorization URL.

Exit codes: 0 the MCP server answered `initialize`; 1 the authorization server answered with
an error; 2 the library refused the callback; 4 anything else.
"""

import http.server
import os
import re
import secrets
import subprocess
import sys
import threading

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client

CALLBACK_TIMEOUT_S = 30
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "authlib-driver", "version": "1"},
    },
}


class Exit(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def callback_listener():
    """Serve /callback on 127.0.0.1; returns (redirect_uri, wait, close)."""
    received = {}
    done = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            if not self.path.startswith("/callback"):
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"You can close this window.\n")
            received["url"] = f"http://127.0.0.1:{self.server.server_port}{self.path}"
            done.set()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def wait():
        if not done.wait(CALLBACK_TIMEOUT_S):
            raise Exit(4, "no callback in time")
        return received["url"]

    return f"http://127.0.0.1:{server.server_port}/callback", wait, server.shutdown


def main(env):
    mcp = env.get("MCP_SERVER_URL")
    browser = env.get("BROWSER")
    if not mcp or not browser:
        raise Exit(4, "MCP_SERVER_URL and BROWSER must be set")
    http = httpx.Client(timeout=10)

    # MCP discovery: the challenge of the unauthenticated request, the resource metadata, the server.
    first = http.post(mcp, headers=MCP_HEADERS, json=INITIALIZE)
    if first.status_code != 401:
        raise Exit(4, f"the MCP server answered {first.status_code} without a token")
    named = re.search(r'resource_metadata="([^"]+)"', first.headers.get("www-authenticate", ""))
    origin = httpx.URL(mcp).copy_with(path="/", query=None).__str__().rstrip("/")
    prm_url = named.group(1) if named else f"{origin}/.well-known/oauth-protected-resource{httpx.URL(mcp).path}"
    prm = http.get(prm_url).json()
    if prm.get("resource") != mcp:
        raise Exit(4, "the protected-resource metadata is about another resource")
    issuer = (prm.get("authorization_servers") or [env.get("OAUTH_ISSUER")])[0]
    as_url = httpx.URL(issuer)
    path = as_url.path.rstrip("/")
    meta = http.get(f"{str(as_url.copy_with(path='/')).rstrip('/')}/.well-known/oauth-authorization-server{path}").json()
    if meta.get("issuer") != issuer:
        raise Exit(4, "the authorization server metadata names another issuer")

    redirect_uri, wait, close = callback_listener()
    try:
        client_id = env.get("OAUTH_CLIENT_ID")
        client_secret = env.get("OAUTH_CLIENT_SECRET") or None
        # The application chooses how the client is identified (MCP 2025-11-25 order): the given
        # client id, else its client ID metadata document where the server supports them.
        if not client_id and env.get("OAUTH_CLIENT_METADATA_URL") and meta.get("client_id_metadata_document_supported") is True:
            client_id = env["OAUTH_CLIENT_METADATA_URL"]
        if not client_id:
            registered = http.post(
                meta["registration_endpoint"],
                json={
                    "redirect_uris": [redirect_uri],
                    "token_endpoint_auth_method": "none",
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": ["code"],
                    "application_type": "native",
                    "client_name": "oauth-conformance driver: Authlib",
                },
            )
            if registered.status_code not in (200, 201):
                raise Exit(4, f"registration failed with {registered.status_code}")
            client_id = registered.json()["client_id"]
        scope = " ".join(prm.get("scopes_supported") or [])
        client = OAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method="client_secret_basic" if client_secret else "none",
            scope=scope or None,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=10,
        )
        verifier = secrets.token_urlsafe(48)
        uri, state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, resource=prm["resource"]
        )
        subprocess.Popen([browser, uri], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        callback = wait()
        error = re.search(r"[?&]error=([^&]+)", callback)
        if error:
            raise Exit(1, f"the authorization server answered {error.group(1)}")
        try:
            token = client.fetch_token(
                meta["token_endpoint"],
                authorization_response=callback,
                state=state,
                code_verifier=verifier,
                resource=prm["resource"],
            )
        except AuthlibBaseError as e:
            raise Exit(2, f"the library refused the callback or the token: {e.error}") from None
        answer = http.post(
            mcp,
            headers={**MCP_HEADERS, "authorization": f"Bearer {token['access_token']}"},
            json=INITIALIZE,
        )
        if answer.status_code != 200:
            raise Exit(4, f"the MCP server answered {answer.status_code} with the token")
        print(answer.text[:200])
    finally:
        close()


if __name__ == "__main__":
    try:
        main(os.environ)
    except Exit as e:
        print(f"authlib driver: {e}", file=sys.stderr)
        sys.exit(e.code)
    except Exception as e:  # noqa: BLE001 (one line on stderr, whatever went wrong)
        print(f"authlib driver: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
        sys.exit(4)
