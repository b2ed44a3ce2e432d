"""The ``oauth_fake_server`` pytest fixture: a fresh fake server for each test, stopped after it.

Options come from a marker on the test, module or class::

    @pytest.mark.oauth_fake_server(faults=["advertise-plain-pkce"], jwt=True)
    def test_something(oauth_fake_server):
        ...

The marker takes the keyword arguments of :func:`oauth_fake_server.start`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import FakeServer, start


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "oauth_fake_server(**options): options for the oauth_fake_server fixture "
        "(fixtures, faults, variants, jwt, issuer, args, binary)",
    )


@pytest.fixture
def oauth_fake_server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    """A running fake authorization server on 127.0.0.1 and a free port."""
    options: dict = {}
    # The closest marker wins: a test's own over its class's over its module's.
    for marker in reversed(list(request.node.iter_markers("oauth_fake_server"))):
        options.update(marker.kwargs)
    with start(**options) as server:
        yield server
