// @clerk/express pointed at the fake server: `clerkMiddleware` and a route guarded the way
// Clerk's announcement guards one (`acceptsToken: 'oauth_token'`, 401 unless authenticated).
// The route serves a live token's user, and refuses a revoked token on the very next request,
// an expired one, an unknown one and a request without a token.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { clerkMiddleware, getAuth } from '@clerk/express';
import express from 'express';

import { advanceClock, clerkSettings, revoke, startClerkFake, userToken } from '../lib/clerk.mjs';

let server;
let api;
let apiUrl;
before(async () => {
  server = await startClerkFake();
  const app = express();
  app.use(clerkMiddleware(clerkSettings(server.issuer)));
  app.get('/api/example', (req, res) => {
    const { userId, isAuthenticated } = getAuth(req, { acceptsToken: 'oauth_token' });
    if (!isAuthenticated) return res.status(401).json({ error: 'Unauthorized' });
    res.json({ userId });
  });
  api = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    listening.once('error', reject);
  });
  apiUrl = `http://127.0.0.1:${api.address().port}/api/example`;
});
after(async () => {
  await new Promise((resolve) => (api ? api.close(resolve) : resolve()));
  await server?.stop();
});

async function call(token) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const response = await fetch(apiUrl, { headers });
  return { status: response.status, body: await response.json() };
}

test('the guarded route serves a live token and refuses it on the very next request after revocation', async () => {
  const { access_token: token } = await userToken(server.issuer);
  assert.deepEqual(await call(token), { status: 200, body: { userId: 'alice' } });
  assert.equal(await revoke(server.issuer, token), 200);
  assert.deepEqual(await call(token), { status: 401, body: { error: 'Unauthorized' } });
});

test('the guarded route refuses an expired token, an unknown token and no token', async () => {
  const { access_token: token, expires_in: lifetime } = await userToken(server.issuer);
  assert.equal((await call(token)).status, 200);
  await advanceClock(server.issuer, lifetime + 1);
  assert.equal((await call(token)).status, 401, 'expired');
  assert.equal((await call('oat_this_token_was_never_issued')).status, 401, 'unknown');
  assert.equal((await call(undefined)).status, 401, 'no token');
});
