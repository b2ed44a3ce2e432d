#!/usr/bin/env bash
# Seed a running glewlwyd through its admin REST API (setup.sh runs this against a server it
# started on a fresh database): the OpenID Connect plugin instance `oidc`, the scopes, the test
# users and the clients the target profile fixtures/profiles/glewlwyd.toml names.
#   seed.sh BASE_URL ISSUER_PORT KEY_PEM PUB_PEM
# BASE_URL is where the seeding server answers; ISSUER_PORT the port the issuer will name (the
# seeded database is copied for every start, and start.sh makes the issuer follow its port).
# Logs in as the package's default administrator (admin / password) with a session cookie.
set -euo pipefail

base="$1"
issuer_port="$2"
key_pem="$3"
pub_pem="$4"
jar="$(mktemp)"
trap 'rm -f "${jar}"' EXIT

# One JSON request; fails with the server's answer on anything but 200.
call() {
  local method="$1" path="$2" body="${3:-}" code out
  out="$(mktemp)"
  code="$(curl -s -o "${out}" -w '%{http_code}' -b "${jar}" -c "${jar}" -X "${method}" \
    -H 'Content-Type: application/json' ${body:+--data-binary "${body}"} "${base}${path}")"
  if [[ "${code}" != 200 ]]; then
    echo "seed.sh: ${method} ${path} answered ${code}: $(cat "${out}")" >&2
    rm -f "${out}"
    return 1
  fi
  rm -f "${out}"
}

# A PEM file as one JSON string body (newlines escaped).
pem_json() { awk 'BEGIN { ORS = "" } { print $0 "\\n" }' "$1"; }

call POST /api/auth/ '{"username":"admin","password":"password"}'

# Scopes: `openid` exists (the package's schema); `profile` and `email` are granted on a password
# login, as is `openid`.
for s in profile email; do
  call POST /api/scope/ "{\"name\":\"${s}\",\"display_name\":\"${s}\",\"description\":\"OpenID Connect ${s} claims\",\"password_required\":true,\"password_max_age\":0,\"scheme\":{}}"
done
call PUT /api/scope/openid '{"name":"openid","display_name":"Open ID","description":"Open ID Connect scope","password_required":true,"password_max_age":0,"scheme":{}}'

issuer="http://127.0.0.1:${issuer_port}/api/oidc"
plugin="$(cat <<JSON
{
  "module": "oidc",
  "name": "oidc",
  "display_name": "OpenID Connect",
  "parameters": {
    "iss": "${issuer}",
    "oauth-as-iss-id": true,
    "jwt-type": "rsa",
    "jwt-key-size": "256",
    "key": "$(pem_json "${key_pem}")",
    "cert": "$(pem_json "${pub_pem}")",
    "jwks-show": true,
    "jwks-x5c": [],
    "access-token-duration": 3600,
    "refresh-token-duration": 1209600,
    "code-duration": 600,
    "refresh-token-rolling": true,
    "refresh-token-one-use": "always",
    "client-refresh-token-one-use-parameter": "refresh-token-one-use",
    "allow-non-oidc": true,
    "auth-type-code-enabled": true,
    "auth-type-code-revoke-replayed": true,
    "auth-type-token-enabled": false,
    "auth-type-id-token-enabled": false,
    "auth-type-none-enabled": false,
    "auth-type-password-enabled": false,
    "auth-type-client-enabled": true,
    "auth-type-device-enabled": false,
    "auth-type-refresh-enabled": true,
    "scope": [],
    "additional-parameters": [],
    "claims": [],
    "service-documentation": "",
    "op-policy-uri": "",
    "op-tos-uri": "",
    "request-parameter-allow": false,
    "request-uri-allow-https-non-secure": false,
    "request-parameter-allow-encrypted": false,
    "request-parameter-ietf-strict": false,
    "secret-type": "public",
    "address-claim": {"type": "no", "formatted": "", "street_address": "", "locality": "", "region": "", "postal_code": "", "country": "", "mandatory": false},
    "name-claim": "on-demand",
    "name-claim-scope": ["profile"],
    "email-claim": "on-demand",
    "email-claim-scope": ["email"],
    "scope-claim": "no",
    "scope-claim-scope": [],
    "allowed-scope": ["openid", "profile", "email"],
    "pkce-allowed": true,
    "pkce-method-plain-allowed": false,
    "pkce-required": true,
    "pkce-required-public-client": true,
    "pkce-scopes": [],
    "introspection-revocation-allowed": true,
    "introspection-revocation-auth-scope": [],
    "introspection-revocation-allow-target-client": true,
    "register-client-allowed": true,
    "register-client-auth-scope": [],
    "register-client-credentials-scope": [],
    "register-client-token-one-use": true,
    "register-client-management-allowed": true,
    "register-resource-specify-allowed": false,
    "register-resource-default": [],
    "register-default-properties": {},
    "session-management-allowed": false,
    "client-pubkey-parameter": "",
    "client-jwks-parameter": "jwks",
    "client-jwks_uri-parameter": "jwks_uri",
    "request-maximum-exp": 3600,
    "encrypt-out-token-allow": false,
    "client-cert-source": "no",
    "oauth-dpop-allowed": true,
    "oauth-dpop-iat-duration": 60,
    "resource-allowed": false,
    "oauth-rar-allowed": false,
    "oauth-par-allowed": false,
    "oauth-ciba-allowed": false,
    "prompt-continue-client-property": "",
    "restrict-scope-client-property": ""
  }
}
JSON
)"
call POST /api/mod/plugin/ "${plugin}"

user() {
  call POST /api/user/ "{\"username\":\"$1\",\"password\":\"$2\",\"name\":\"$3\",\"email\":\"$4\",\"enabled\":true,\"scope\":[\"g_profile\",\"openid\",\"profile\",\"email\"]}"
}
user alice alice-password "Alice Example" alice@example.test
user bob bob-password "Bob Example" bob@example.test

# client ID NAME SECRET REDIRECT_URIS_JSON AUTHORIZATION_TYPES_JSON SCOPES_JSON
# An empty SECRET makes a public client (no secret, token endpoint method `none`).
client() {
  local id="$1" name="$2" secret="$3" redirects="$4" types="$5" scopes="$6" conf
  if [[ -n "${secret}" ]]; then
    conf="\"confidential\":true,\"client_secret\":\"${secret}\",\"token_endpoint_auth_method\":[\"client_secret_basic\",\"client_secret_post\"]"
  else
    conf="\"confidential\":false,\"token_endpoint_auth_method\":[\"none\"]"
  fi
  call POST /api/client/ "{\"client_id\":\"${id}\",\"name\":\"${name}\",\"description\":\"${name}\",\"enabled\":true,${conf},\"redirect_uri\":${redirects},\"authorization_type\":${types},\"scope\":${scopes}}"
}
# glewlwyd lets a client introspect and revoke only when it may use client_credentials
# (`introspection-revocation-allow-target-client`), so the confidential clients have that grant
# too, with the scopes it gets them.
code='["code","refresh_token","client_credentials"]'
client conformance-confidential "Conformance confidential client" 's3cr:t+/%val' \
  '["https://client.example.test/callback"]' "${code}" '["openid","profile"]'
client conformance-other "Conformance other confidential client" other-s3cret-value \
  '["https://other.example.test/callback"]' "${code}" '["openid"]'
client conformance-public "Conformance public client" "" \
  '["http://127.0.0.1/callback","http://localhost:5173/callback"]' '["code","refresh_token"]' '[]'
client conformance-query "Conformance client with a query in its redirect URI" query-s3cret-value \
  '["https://client.example.test/cb?tenant=a"]' "${code}" '["openid"]'
client conformance-machine "Conformance machine client" machine-s3cret-value \
  '[]' '["client_credentials"]' '["openid","profile"]'
client conformance-resource-server "Conformance resource server" rs-s3cret-value \
  '[]' '["client_credentials"]' '[]'
# alice has granted every pre-registered client the three scopes, as a user who signed in to
# them before: the login app then goes straight to "Continue" for them. Grants are per user and
# client and the run is concurrent, so a grant given by one scenario would otherwise change
# what the next one sees; clients the run registers meet the grant page.
rm -f "${jar}"
call POST /api/auth/ '{"username":"alice","password":"alice-password"}'
for id in conformance-confidential conformance-other conformance-public conformance-query; do
  call PUT "/api/auth/grant/${id}" '{"scope":"openid profile email"}'
done
echo "seed.sh: seeded ${base} (issuer ${issuer})"
