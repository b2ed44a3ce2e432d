from django.apps import AppConfig


class ConformanceConfig(AppConfig):
    """Templates (login, consent), the client_credentials validator and the `seed` command."""

    name = "conformance"
