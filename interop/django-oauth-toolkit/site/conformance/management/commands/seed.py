"""Create the test users and the pre-registered clients of fixtures/profiles/django-oauth-toolkit.toml."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model

Application = get_application_model()
CODE = Application.GRANT_AUTHORIZATION_CODE
CLIENT_CREDENTIALS = Application.GRANT_CLIENT_CREDENTIALS
CONFIDENTIAL = Application.CLIENT_CONFIDENTIAL
PUBLIC = Application.CLIENT_PUBLIC

USERS = [
    ("alice", "alice-password", "Alice", "Example", "alice@example.test"),
    ("bob", "bob-password", "Bob", "Example", "bob@example.test"),
]

# client_id, name, type, grant, secret, redirect URIs, skip consent
CLIENTS = [
    ("conformance-confidential", "Conformance confidential client", CONFIDENTIAL, CODE,
     "s3cr:t+/%val", ["https://client.example.test/callback"], False),
    ("conformance-other", "Conformance other confidential client", CONFIDENTIAL, CODE,
     "other-s3cret-value", ["https://other.example.test/callback"], False),
    ("conformance-public", "Conformance public client", PUBLIC, CODE,
     "", ["http://127.0.0.1/callback", "http://localhost:5173/callback"], False),
    ("conformance-query", "Conformance client with a query in its redirect URI", CONFIDENTIAL, CODE,
     "query-s3cret-value", ["https://client.example.test/cb?tenant=a"], False),
    ("conformance-trusted", "Conformance first-party client", CONFIDENTIAL, CODE,
     "trusted-s3cret-value", ["https://client.example.test/callback"], True),
    ("conformance-resource-server", "Conformance resource server", CONFIDENTIAL, CLIENT_CREDENTIALS,
     "rs-s3cret-value", [], False),
    ("conformance-machine", "Conformance machine client", CONFIDENTIAL, CLIENT_CREDENTIALS,
     "machine-s3cret-value", [], False),
]


class Command(BaseCommand):
    help = "Create the test users and clients (idempotent: existing ones are replaced)."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, password, first, last, email in USERS:
            User.objects.filter(username=username).delete()
            User.objects.create_user(
                username=username, password=password, first_name=first, last_name=last, email=email
            )
        for client_id, name, client_type, grant, secret, uris, skip in CLIENTS:
            Application.objects.filter(client_id=client_id).delete()
            Application.objects.create(
                client_id=client_id,
                name=name,
                client_type=client_type,
                authorization_grant_type=grant,
                client_secret=secret,
                redirect_uris=" ".join(uris),
                skip_authorization=skip,
                algorithm=Application.RS256_ALGORITHM if grant == CODE else Application.NO_ALGORITHM,
            )
        self.stdout.write(f"seeded {len(USERS)} users and {len(CLIENTS)} clients")
