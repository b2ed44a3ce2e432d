"""Start the in-memory OAuth 2.1 authorization server ``oauth-fake-server`` from Python tests.

>>> from oauth_fake_server import start
>>> with start() as server:
...     server.issuer                       # 'http://127.0.0.1:41234'
...     server.client("demo-spa")           # the fixtures' clients, users and scopes
...     server.sign_in(authorization_url)   # plays the user; returns the redirect URL

With pytest, the ``oauth_fake_server`` fixture does this for every test (see
``oauth_fake_server.pytest_plugin``).
"""

from ._server import FakeServer, FakeServerError, binary_path, start

__all__ = ["FakeServer", "FakeServerError", "binary_path", "start"]
