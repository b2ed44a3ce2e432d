from django.apps import AppConfig


class ConformanceConfig(AppConfig):
    """The login and consent templates and the `seed` command."""

    name = "conformance"
