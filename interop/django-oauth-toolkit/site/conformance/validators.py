"""The toolkit's validator, with one addition: client_credentials for named confidential clients.

django-oauth-toolkit gives each application exactly one grant type. The harness's profile roles
`confidential` and `other` are clients that use the authorization code grant and, for the token
endpoint checks that need no user, client_credentials too. Everything else is the library's code.
"""
from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ConformanceValidator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        if (
            grant_type == "client_credentials"
            and request.client.client_type == request.client.CLIENT_CONFIDENTIAL
            and request.client.client_id in settings.CLIENT_CREDENTIALS_TOO
        ):
            return True
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
