// The packed npm package as a user installs it: startFakeServer() from
// @oauth-conformance/fake-server, a complete authorization-code flow with PKCE through
// oauth4webapi, the user played by server.signIn(), and the helpers that tests lean on.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { startFakeServer } from '@oauth-conformance/fake-server';
import * as oauth from 'oauth4webapi';

const insecure = { [oauth.allowInsecureRequests]: true };

let server;
before(async () => {
  server = await startFakeServer();
});
after(async () => {
  await server?.stop();
});

/** Discovery, then an authorization URL for the public SPA client of the default fixtures. */
async function authorization(client, verifier, extra = {}) {
  const issuer = new URL(server.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0],
    scope: 'openid profile offline_access',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st-1',
    ...extra,
  });
  return { as, url };
}

test('a public client signs a user in with PKCE and refreshes its token', async () => {
  const client = server.client('demo-spa');
  assert.equal(client.client_secret, null);
  const verifier = oauth.generateRandomCodeVerifier();
  const { as, url } = await authorization(client, verifier);

  const redirect = new URL(await server.signIn(url));
  assert.equal(redirect.origin + redirect.pathname, client.redirect_uris[0]);
  const params = oauth.validateAuthResponse(as, client, redirect, 'st-1');

  const response = await oauth.authorizationCodeGrantRequest(
    as, client, oauth.None(), params, client.redirect_uris[0], verifier, insecure,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  assert.equal(claims.iss, server.issuer);
  assert.equal(claims.aud, client.client_id);
  assert.ok(tokens.refresh_token);

  const refreshed = await oauth.processRefreshTokenResponse(
    as, client,
    await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, insecure),
  );
  assert.notEqual(refreshed.access_token, tokens.access_token);
});

test('a user who denies consent sends the client access_denied', async () => {
  const client = server.client('demo-spa');
  const { as, url } = await authorization(client, oauth.generateRandomCodeVerifier(), { prompt: 'consent' });
  const redirect = new URL(await server.signIn(url, { username: 'bob', consent: 'deny' }));
  assert.equal(redirect.searchParams.get('error'), 'access_denied');
  assert.throws(() => oauth.validateAuthResponse(as, client, redirect, 'st-1'), (e) => e.error === 'access_denied');
});

test('advance() moves the server clock: a code older than its lifetime is refused', async () => {
  const client = server.client('demo-spa');
  const verifier = oauth.generateRandomCodeVerifier();
  const { as, url } = await authorization(client, verifier);
  const params = oauth.validateAuthResponse(as, client, new URL(await server.signIn(url)), 'st-1');
  await server.advance(3600);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, oauth.None(), params, client.redirect_uris[0], verifier, insecure,
  );
  await assert.rejects(
    oauth.processAuthorizationCodeResponse(as, client, response),
    (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant',
  );
});

test('faults switch on a deliberate violation; unknown names are refused with the reason', async () => {
  await assert.rejects(startFakeServer({ faults: ['no-such-fault'] }), /no-such-fault/);
  const faulty = await startFakeServer({ faults: ['advertise-plain-pkce'] });
  try {
    const m = await (await fetch(faulty.metadataUrl)).json();
    assert.ok(m.code_challenge_methods_supported.includes('plain'), JSON.stringify(m));
  } finally {
    await faulty.stop();
  }
  await faulty.stop();
  await assert.rejects(fetch(faulty.metadataUrl));
});

test('the package puts oauth-fake-server on the PATH of npm scripts and npx', () => {
  const listed = execFileSync('node_modules/.bin/oauth-fake-server', ['--list-variants'], { encoding: 'utf8' });
  assert.match(listed, /^\S+\s+\S/m);
  const seed = JSON.parse(execFileSync('node_modules/.bin/oauth-fake-server', ['--print-fixtures'], { encoding: 'utf8' }));
  assert.deepEqual(seed.users.map((u) => u.username), server.users.map((u) => u.username));
});
