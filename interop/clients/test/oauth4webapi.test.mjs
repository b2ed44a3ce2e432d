// oauth4webapi v3 (panva) against the fake server: RFC 8414 discovery, dynamic registration of
// a client_secret_post client, authorization code + PKCE for a resource (RFC 8707) without
// OpenID, refresh-token rotation, introspection, and revocation of the refresh token; and a
// private_key_jwt client (RFC 7523) with a WebCrypto key.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as oauth from 'oauth4webapi';

import { startFakeServer } from '../lib/fake-server.mjs';
import { UserAgent } from '../lib/user-agent.mjs';

// Plain http on loopback is refused unless the request says so.
const insecure = { [oauth.allowInsecureRequests]: true };
const REDIRECT_URI = 'http://localhost:8766/cb';
// A resource the default fixtures list under `resources`.
const RESOURCE = 'https://api.example.test';

let server;
before(async () => {
  server = await startFakeServer();
});
after(async () => {
  await server?.stop();
});

async function expectOAuthError(promise, error) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof oauth.ResponseBodyError, `expected an OAuth error response, got ${e}`);
    assert.equal(e.error, error);
    return true;
  });
}

test('registers, authorizes for a resource, rotates, introspects and revokes the refresh token', async () => {
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  assert.equal(as.issuer, server.issuer);
  assert.ok(as.code_challenge_methods_supported.includes('S256'));
  assert.ok(as.introspection_endpoint && as.revocation_endpoint && as.registration_endpoint);

  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: 'oauth4webapi interop',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'projects:read projects:write',
      },
      insecure,
    ),
  );
  assert.equal(registered.token_endpoint_auth_method, 'client_secret_post');
  assert.ok(registered.client_secret);
  const client = { client_id: registered.client_id };
  const auth = oauth.ClientSecretPost(registered.client_secret);

  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(as.authorization_endpoint);
  authorizationUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    scope: 'projects:read',
    resource: RESOURCE,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();

  const callback = await new UserAgent().authorize(authorizationUrl, REDIRECT_URI, {
    username: 'bob',
    password: 'bob-password',
  });
  // Checks state and, since the server advertises it, the RFC 9207 `iss` parameter.
  const params = oauth.validateAuthResponse(as, client, callback, state);

  const t1 = await oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, codeVerifier, {
      additionalParameters: { resource: RESOURCE },
      ...insecure,
    }),
  );
  assert.equal(t1.token_type, 'bearer', 'oauth4webapi lower-cases token_type');
  assert.equal(t1.scope, 'projects:read');
  assert.ok(t1.refresh_token);
  assert.equal(t1.id_token, undefined, 'no ID token without the openid scope');

  const introspect = async (token) =>
    oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, token, insecure));

  const a1 = await introspect(t1.access_token);
  assert.equal(a1.active, true);
  assert.equal(a1.sub, 'bob');
  assert.equal(a1.client_id, client.client_id);
  assert.equal(a1.scope, 'projects:read');
  assert.deepEqual([a1.aud].flat(), [RESOURCE], 'the token is bound to the requested resource');

  const t2 = await oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, auth, t1.refresh_token, insecure),
  );
  assert.notEqual(t2.access_token, t1.access_token);
  assert.ok(t2.refresh_token);
  assert.notEqual(t2.refresh_token, t1.refresh_token, 'refresh tokens rotate (OAuth 2.1 §4.3.1)');
  assert.equal(t2.scope, 'projects:read');
  assert.deepEqual([(await introspect(t2.access_token)).aud].flat(), [RESOURCE], 'refresh keeps the audience');

  // Revoking the refresh token (RFC 7009 §2.1) ends it and the access tokens of its grant.
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, auth, t2.refresh_token, {
      additionalParameters: { token_type_hint: 'refresh_token' },
      ...insecure,
    }),
  );
  assert.deepEqual(await introspect(t2.refresh_token), { active: false });
  assert.deepEqual(await introspect(t2.access_token), { active: false });
  await expectOAuthError(
    oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, t2.refresh_token, insecure),
    ),
    'invalid_grant',
  );
});

test('a wrong Basic secret gets 401 invalid_client with a Basic challenge', async () => {
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  const client = { client_id: 'demo-web' };
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic('not-the-secret'), 'rt_x', insecure);
  // RFC 6749 §5.2: a client that authenticated with the Authorization header gets 401 and a
  // WWW-Authenticate challenge for its scheme; oauth4webapi surfaces that as a challenge error.
  await assert.rejects(oauth.processRefreshTokenResponse(as, client, response), (e) => {
    assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, `expected a challenge, got ${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.cause[0].scheme, 'basic');
    return true;
  });
  assert.equal((await response.json()).error, 'invalid_client');
});

test('a private_key_jwt client registers its public key and authenticates with assertions', async () => {
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  assert.ok(as.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  assert.ok(as.token_endpoint_auth_signing_alg_values_supported.includes('ES256'));

  const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), kid: 'interop-1', alg: 'ES256', use: 'sig' };
  delete jwk.key_ops;
  delete jwk.ext;
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: 'oauth4webapi private_key_jwt interop',
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [jwk] },
        scope: 'projects:read',
      },
      insecure,
    ),
  );
  assert.equal(registered.token_endpoint_auth_method, 'private_key_jwt');
  assert.equal(registered.client_secret, undefined, 'a key client gets no secret');
  const client = { client_id: registered.client_id };
  // oauth4webapi addresses its assertions to the issuer identifier (RFC 10070).
  const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'interop-1' });

  const tokens = await oauth.processClientCredentialsResponse(
    as,
    client,
    await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope: 'projects:read' }), insecure),
  );
  assert.equal(tokens.scope, 'projects:read');
  const info = await oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
  );
  assert.equal(info.active, true);
  assert.equal(info.client_id, client.client_id);
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
  assert.deepEqual(
    await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure)),
    { active: false },
  );

  // The same client addressing the token endpoint, as RFC 7523 used to allow, is refused.
  const oldAudience = oauth.PrivateKeyJwt(
    { key: privateKey, kid: 'interop-1' },
    { [oauth.modifyAssertion]: (_header, payload) => { payload.aud = as.token_endpoint; } },
  );
  const refused = await oauth.clientCredentialsGrantRequest(as, client, oldAudience, new URLSearchParams(), insecure);
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error, 'invalid_client');
});
