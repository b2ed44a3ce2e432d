// @clerk/backend (Clerk's JavaScript backend SDK) pointed at the fake server: the two ways an
// app verifies an OAuth access token, `idPOAuthAccessToken.verify` and
// `authenticateRequest(request, { acceptsToken: 'oauth_token' })`. A live token is accepted;
// a wrong audience, a revoked token (on the very next request), an expired one (the fake
// server's clock moved through its admin API) and an unknown one are refused.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createClerkClient } from '@clerk/backend';

import { advanceClock, clerkSettings, revoke, startClerkFake, userToken } from '../lib/clerk.mjs';

let server;
let jwtServer;
before(async () => {
  [server, jwtServer] = await Promise.all([startClerkFake(), startClerkFake(['--jwt'])]);
});
after(async () => {
  await Promise.all([server?.stop(), jwtServer?.stop()]);
});

/** What an API route does with an incoming request, as in Clerk's announcement. */
async function authenticate(clerk, issuer, token) {
  const request = new Request(`${issuer}/api/example`, { headers: { authorization: `Bearer ${token}` } });
  return clerk.authenticateRequest(request, { acceptsToken: 'oauth_token' });
}

async function assertRefusedByVerify(clerk, token, status) {
  await assert.rejects(clerk.idPOAuthAccessToken.verify(token), (e) => {
    assert.equal(e.status, status, `${e}`);
    assert.ok(Array.isArray(e.errors) && e.errors.length > 0, 'a Clerk error list');
    return true;
  });
}

test('a live opaque token is accepted by verify and authenticateRequest, a revoked one on the very next request is not', async () => {
  const clerk = createClerkClient(clerkSettings(server.issuer));
  const { access_token: token } = await userToken(server.issuer);
  assert.ok(token.startsWith('oat_'), 'an opaque token the SDK routes to the verification endpoint');

  const verified = await clerk.idPOAuthAccessToken.verify(token, { audience: `${server.issuer}/mcp` });
  assert.equal(verified.subject, 'alice');
  assert.deepEqual(verified.scopes, ['openid', 'projects:read']);
  const live = await authenticate(clerk, server.issuer, token);
  assert.equal(live.isAuthenticated, true, `${live.reason}: ${live.message}`);
  assert.equal(live.tokenType, 'oauth_token');
  assert.equal(live.toAuth().userId, 'alice');

  assert.equal(await revoke(server.issuer, token), 200);
  const after = await authenticate(clerk, server.issuer, token);
  assert.equal(after.isAuthenticated, false, 'a revoked token must not authenticate');
  assert.equal(after.reason, 'token-invalid');
  assert.equal(after.toAuth().userId, null);
  await assertRefusedByVerify(clerk, token, 404);
});

test('a token for another audience is refused by verify with an audience', async () => {
  const clerk = createClerkClient(clerkSettings(server.issuer));
  const { access_token: token } = await userToken(server.issuer);
  await assert.rejects(clerk.idPOAuthAccessToken.verify(token, { audience: 'https://api.other.example' }), /audience/i);
  await clerk.idPOAuthAccessToken.verify(token, { audience: `${server.issuer}/mcp` });
});

test('an expired token is refused once the fake server clock passes its lifetime', async () => {
  const clerk = createClerkClient(clerkSettings(server.issuer));
  const { access_token: token, expires_in: lifetime } = await userToken(server.issuer);
  assert.equal((await authenticate(clerk, server.issuer, token)).isAuthenticated, true);
  await advanceClock(server.issuer, lifetime + 1);
  const expired = await authenticate(clerk, server.issuer, token);
  assert.equal(expired.isAuthenticated, false, 'an expired token must not authenticate');
  assert.equal(expired.reason, 'token-invalid');
  await assertRefusedByVerify(clerk, token, 404);
});

test('an unknown token and a wrong secret key are refused', async () => {
  const clerk = createClerkClient(clerkSettings(server.issuer));
  const unknown = await authenticate(clerk, server.issuer, 'oat_this_token_was_never_issued');
  assert.equal(unknown.isAuthenticated, false);
  assert.equal(unknown.reason, 'token-invalid');

  const { access_token: token } = await userToken(server.issuer);
  const wrongKey = createClerkClient({ ...clerkSettings(server.issuer), secretKey: 'sk_test_wrong' });
  const refused = await authenticate(wrongKey, server.issuer, token);
  assert.equal(refused.isAuthenticated, false);
  assert.equal(refused.reason, 'secret-key-invalid');
});

test('verify accepts a live JWT access token and refuses it once revoked', async () => {
  const clerk = createClerkClient(clerkSettings(jwtServer.issuer));
  const { access_token: token } = await userToken(jwtServer.issuer);
  assert.equal(token.split('.').length, 3, 'a JWT access token');
  const verified = await clerk.idPOAuthAccessToken.verify(token, { audience: `${jwtServer.issuer}/mcp` });
  assert.equal(verified.subject, 'alice');
  assert.equal(await revoke(jwtServer.issuer, token), 200);
  await assertRefusedByVerify(clerk, token, 404);
});
