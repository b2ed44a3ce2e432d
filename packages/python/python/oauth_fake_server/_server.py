"""The process behind :func:`start`: spawn, wait for the issuer, play the user, stop."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
HTTP_TIMEOUT = 10.0
MAX_HOPS = 20
EXE = "oauth-fake-server.exe" if os.name == "nt" else "oauth-fake-server"


class FakeServerError(RuntimeError):
    """The server could not be found, started or driven; the message says why."""


def binary_path(binary: str | os.PathLike[str] | None = None) -> str:
    """The ``oauth-fake-server`` executable: ``binary`` if given, else ``OAUTH_FAKE_SERVER_BIN``,
    else the one this package's wheel installed beside the Python interpreter's scripts."""
    chosen = binary or os.environ.get("OAUTH_FAKE_SERVER_BIN")
    if chosen:
        if not Path(chosen).is_file():
            raise FakeServerError(f"oauth-fake-server: no executable at {chosen}")
        return str(chosen)
    candidates = [Path(sysconfig.get_path("scripts")) / EXE, Path(sys.executable).parent / EXE]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(EXE)
    if found:
        return found
    raise FakeServerError(
        "oauth-fake-server: the executable is not installed beside this Python "
        f"({candidates[0]}); reinstall the oauth-fake-server wheel or set OAUTH_FAKE_SERVER_BIN"
    )


def _command_line(
    fixtures: str | os.PathLike[str] | None,
    faults: Iterable[str],
    variants: Iterable[str],
    jwt: bool,
    issuer: str | None,
    args: Sequence[str],
) -> list[str]:
    argv: list[str] = []
    if fixtures is not None:
        argv += ["--fixtures", os.fspath(fixtures)]
    for fault in faults:
        argv += ["--fault", fault]
    for variant in variants:
        argv += ["--variant", variant]
    if jwt:
        argv.append("--jwt")
    if issuer:
        argv += ["--issuer", issuer]
    return argv + list(args)


def start(
    *,
    fixtures: str | os.PathLike[str] | None = None,
    faults: Iterable[str] = (),
    variants: Iterable[str] = (),
    jwt: bool = False,
    issuer: str | None = None,
    args: Sequence[str] = (),
    binary: str | os.PathLike[str] | None = None,
    timeout: float = START_TIMEOUT,
) -> FakeServer:
    """Start a fake server on 127.0.0.1 and a free port, and wait until it listens.

    ``fixtures`` is a fixtures TOML file (users, clients, scopes, settings; the bundled
    defaults otherwise); ``faults`` and ``variants`` are names as ``oauth-fake-server
    --list-faults`` / ``--list-variants`` print them; ``jwt`` switches access tokens to RFC
    9068 JWTs. Use the result as a context manager, or call :meth:`FakeServer.stop`.
    """
    exe = binary_path(binary)
    argv = _command_line(fixtures, faults, variants, jwt, issuer, args)
    # Only the options given here apply, not FAKE_OAUTH_* settings of the environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_OAUTH_")}
    printed = subprocess.run(
        [exe, "--print-fixtures", *argv], env=env, capture_output=True, text=True, timeout=timeout
    )
    if printed.returncode != 0:
        raise FakeServerError(printed.stderr.strip() or f"oauth-fake-server exited with {printed.returncode}")
    seed = json.loads(printed.stdout)
    admin_key = "sk_test_" + secrets.token_hex(16)
    child = subprocess.Popen(
        [exe, "--port", "0", "--quiet", "--admin-key", admin_key, *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(child.stderr or ()), daemon=True).start()
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(child.stdout.readline() if child.stdout else ""))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    issuer_url = first[0].strip() if first else ""
    if not issuer_url.startswith(("http://", "https://")):
        child.kill()
        child.wait()
        why = "exited before it listened" if first else f"did not start within {timeout:g} s"
        detail = "".join(stderr).strip()
        raise FakeServerError(f"oauth-fake-server {why}" + (f": {detail}" if detail else ""))
    return FakeServer(issuer_url, seed, admin_key, child, stderr)


class FakeServer:
    """A running fake server. ``with`` or :meth:`stop` ends it."""

    def __init__(self, issuer: str, seed: dict[str, Any], admin_key: str, child: subprocess.Popen, stderr: list[str]):
        #: The issuer URL, e.g. ``http://127.0.0.1:41234``.
        self.issuer = issuer
        #: The RFC 8414 metadata URL.
        self.metadata_url = f"{issuer}/.well-known/oauth-authorization-server"
        #: The pre-registered clients (``client_id``, ``client_secret`` (None when public), ...).
        self.clients: list[dict[str, Any]] = seed["clients"]
        #: The users who can sign in (``username``, ``password``, ...).
        self.users: list[dict[str, Any]] = seed["users"]
        #: The scopes, with the sentence the consent page shows.
        self.scopes: list[dict[str, Any]] = seed["scopes"]
        #: The admin key: Bearer token of ``/admin/api/...``.
        self.admin_key = admin_key
        self._child = child
        self._stderr = stderr

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"FakeServer(issuer={self.issuer!r})"

    def output(self) -> str:
        """What the server wrote on stderr so far."""
        return "".join(self._stderr)

    def client(self, client_id: str) -> dict[str, Any]:
        """The fixtures' client with this id."""
        for c in self.clients:
            if c["client_id"] == client_id:
                return c
        known = ", ".join(c["client_id"] for c in self.clients)
        raise KeyError(f"no client {client_id!r}; the fixtures have {known}")

    def url(self, path: str) -> str:
        """A URL on the server: ``url("/token")``."""
        return self.issuer + path

    def _admin(self, path: str, body: dict[str, Any] | None = None) -> None:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url("/admin/api" + path),
            data=data if data is not None else b"",
            method="POST",
            headers={"Authorization": f"Bearer {self.admin_key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT):
                pass
        except urllib.error.HTTPError as e:
            raise FakeServerError(f"POST /admin/api{path} answered {e.code}: {e.read().decode(errors='replace')}") from e

    def advance(self, seconds: int) -> None:
        """Move the server's clock forward: codes, tokens and sessions expire as if time passed."""
        self._admin("/clock/advance", {"seconds": int(seconds)})

    def reset(self) -> None:
        """Back to the fixtures: no registered clients, sessions, grants or tokens."""
        self._admin("/reset")

    def sign_in(
        self,
        authorization_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        consent: str = "approve",
    ) -> str:
        """Play the user as a browser would: open ``authorization_url``, sign in, then approve
        (or ``consent="deny"``) on the consent page. Returns the URL the server redirects to
        (the client's redirect URI with ``code`` or ``error``, ``state`` and ``iss``); it is not
        loaded. The user is the fixtures' first unless named."""
        if consent not in ("approve", "deny"):
            raise ValueError("consent is 'approve' or 'deny'")
        user = next((u for u in self.users if username is None or u["username"] == username), None)
        name = username or (user or {}).get("username")
        secret = password or (user or {}).get("password")
        if not name or secret is None:
            raise FakeServerError("the fixtures have no such user; pass username and password")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorization_url).query)
        redirect_uri = (query.get("redirect_uri") or [None])[0]
        origin = _origin(self.issuer)

        def leaves(url: str) -> bool:
            return url.startswith(redirect_uri) if redirect_uri else _origin(url) != origin

        browser = _Browser()
        url = authorization_url
        status, location, html = browser.request(url)
        for _ in range(MAX_HOPS):
            if status in (301, 302, 303, 307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                if leaves(url):
                    return url
                status, location, html = browser.request(url)
                continue
            login = _form(html, "login-form", url)
            chosen = login or _form(html, "consent-form", url)
            if chosen is None:
                trail = "\n".join(browser.trail)
                raise FakeServerError(
                    f"sign_in met a page with neither login nor consent form ({status} {url}):\n{html[:1500]}\n{trail}"
                )
            action, fields = chosen
            answers = {"username": name, "password": secret, "action": "login"} if login else {"decision": consent}
            fields = [(k, v) for k, v in fields if k not in answers] + list(answers.items())
            url = action
            status, location, html = browser.request(url, urllib.parse.urlencode(fields).encode())
        raise FakeServerError(f"more than {MAX_HOPS} steps without reaching the redirect URI:\n" + "\n".join(browser.trail))

    def stop(self) -> None:
        """Stop the server (SIGINT, then kill after 5 s). Safe to call twice."""
        child = self._child
        if child.poll() is None:
            child.send_signal(signal.SIGINT if os.name != "nt" else signal.SIGTERM)
            try:
                child.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Browser:
    """Manual redirects and a cookie jar that keeps name=value pairs, as the pages need."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.trail: list[str] = []
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, url: str, form: bytes | None = None) -> tuple[int, str | None, str]:
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=form, headers=headers, method="POST" if form is not None else "GET")
        try:
            resp = self.opener.open(req, timeout=HTTP_TIMEOUT)
        except urllib.error.HTTPError as e:
            resp = e
        with resp:
            status = resp.status if hasattr(resp, "status") else resp.code
            for line in resp.headers.get_all("Set-Cookie") or []:
                pair, *attrs = line.split(";")
                name, eq, value = pair.partition("=")
                if not eq or not name.strip():
                    continue
                gone = value.strip() == "" or any(a.strip().lower() == "max-age=0" for a in attrs)
                if gone:
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value.strip()
            body = resp.read(1 << 20).decode("utf-8", errors="replace")
            self.trail.append(f"{'POST' if form is not None else 'GET'} {url} -> {status}")
            return status, resp.headers.get("Location"), body


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.action = ""
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside, self.found, self.action = True, True, a.get("action", "")
        elif tag == "input" and self.inside and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def _form(html: str, form_id: str, page_url: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The form ``#form_id`` of the server's own pages: its action and the fields a browser sends."""
    parser = _FormParser(form_id)
    parser.feed(html)
    if not parser.found:
        return None
    return urllib.parse.urljoin(page_url, parser.action), parser.fields
