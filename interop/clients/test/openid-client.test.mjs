// openid-client v6 (panva) against the fake server: discovery, dynamic registration, the
// authorization code flow with PKCE and a signature-checked ID token, userinfo, refresh-token rotation with reuse
// detection, introspection and revocation. Every call goes through the library's own validation.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as client from 'openid-client';

import { startFakeServer } from '../lib/fake-server.mjs';
import { UserAgent } from '../lib/user-agent.mjs';

// The fake server runs on plain http on loopback; openid-client refuses http unless told.
const insecure = { execute: [client.allowInsecureRequests] };
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';

let server;
before(async () => {
  server = await startFakeServer();
});
after(async () => {
  await server?.stop();
});

/** openid-client throws ResponseBodyError for OAuth error responses; return its `error`. */
async function oauthError(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof client.ResponseBodyError, `expected an OAuth error response, got ${e}`);
    return e.error;
  }
  assert.fail('expected an OAuth error response, the call succeeded');
}

test('discovers the server by OpenID Connect and RFC 8414 well-known URLs', async () => {
  for (const algorithm of ['oidc', 'oauth2']) {
    const config = await client.discovery(new URL(server.issuer), 'demo-spa', undefined, client.None(), {
      ...insecure,
      algorithm,
    });
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, server.issuer, algorithm);
    assert.equal(meta.authorization_endpoint, `${server.issuer}/authorize`);
    assert.equal(meta.token_endpoint, `${server.issuer}/token`);
    assert.equal(meta.registration_endpoint, `${server.issuer}/register`);
    assert.ok(meta.supportsPKCE('S256'));
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
  }
});

test('registers a client, signs in with PKCE, refreshes, introspects and revokes', async () => {
  const config = await client.dynamicClientRegistration(
    new URL(server.issuer),
    {
      client_name: 'openid-client interop',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    undefined,
    // The library skips ID token signature checks for tokens fetched straight from the token
    // endpoint (OpenID Connect Core §3.1.3.7 item 6 lets TLS stand in); ask for them, so the
    // ID token is verified against the server's JWKS.
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
  );
  const registered = config.clientMetadata();
  assert.match(registered.client_id, /\S{8,}/);
  assert.ok(registered.client_secret, 'a confidential client gets a secret');
  assert.equal(registered.token_endpoint_auth_method, 'client_secret_basic');
  assert.deepEqual(registered.redirect_uris, [REDIRECT_URI]);

  // Authorization code + PKCE (S256), with state and nonce.
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await new UserAgent().authorize(authorizationUrl, REDIRECT_URI);
  assert.equal(callback.searchParams.get('iss'), server.issuer, 'RFC 9207 iss in the response');

  // The library checks state, iss, the code exchange, and the ID token (its signature against
  // the JWKS, iss, aud, exp, iat, nonce).
  const t1 = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  assert.equal(t1.token_type.toLowerCase(), 'bearer');
  assert.ok(t1.access_token);
  assert.ok(t1.refresh_token, 'a refresh token for a client with the refresh_token grant');
  const claims = t1.claims();
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.iss, server.issuer);
  assert.equal(claims.aud, registered.client_id);

  const userinfo = await client.fetchUserInfo(config, t1.access_token, claims.sub);
  assert.equal(userinfo.sub, 'alice');
  assert.equal(userinfo.email, 'alice@example.test');
  assert.equal(userinfo.name, 'Alice Example');

  // Refresh: a new access token and a rotated refresh token (OAuth 2.1 §4.3.1).
  const t2 = await client.refreshTokenGrant(config, t1.refresh_token);
  assert.ok(t2.access_token);
  assert.notEqual(t2.access_token, t1.access_token);
  assert.ok(t2.refresh_token, 'a rotated refresh token');
  assert.notEqual(t2.refresh_token, t1.refresh_token);

  const active = await client.tokenIntrospection(config, t2.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, registered.client_id);
  assert.equal(active.sub, 'alice');
  assert.deepEqual(active.scope.split(' ').sort(), ['email', 'openid', 'profile']);
  assert.equal((await client.tokenIntrospection(config, t2.refresh_token)).active, true);

  // Revocation (RFC 7009), then the token is inactive at once.
  await client.tokenRevocation(config, t2.access_token, { token_type_hint: 'access_token' });
  assert.deepEqual(await client.tokenIntrospection(config, t2.access_token), { active: false });

  // The rotated-out refresh token comes back: refused, and the whole grant is revoked
  // (reuse detection, OAuth 2.1 §4.3.1), so the newest refresh token dies with it.
  assert.equal(await oauthError(client.refreshTokenGrant(config, t1.refresh_token)), 'invalid_grant');
  assert.equal((await client.tokenIntrospection(config, t2.refresh_token)).active, false);
  assert.equal(await oauthError(client.refreshTokenGrant(config, t2.refresh_token)), 'invalid_grant');
});
