"""URLs: the toolkit at the origin root (so the issuer is http://127.0.0.1:PORT) and a login page."""
from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import urls as dot_urls

oauth_patterns = (
    dot_urls.metadata_urlpatterns
    + dot_urls.base_urlpatterns
    + dot_urls.oidc_urlpatterns
    + dot_urls.dcr_urlpatterns
)

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("", include((oauth_patterns, "oauth2_provider"))),
]
