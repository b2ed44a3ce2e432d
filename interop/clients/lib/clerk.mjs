// What the Clerk SDK tests share: a fake server whose admin key is a Clerk-style secret key,
// the settings that point Clerk's SDKs at it, a user's token from the code flow, and the
// operator calls (revocation, moving the clock) the tests make between two verifications.

import { createHash, randomBytes } from 'node:crypto';

import { startFakeServer } from './fake-server.mjs';
import { UserAgent } from './user-agent.mjs';

export const SECRET_KEY = 'sk_test_oauth_fake_server';
const CLIENT_ID = 'demo-web';
const CLIENT_SECRET = 'demo-web-secret';
const REDIRECT_URI = 'http://localhost:3000/callback';

/** A fake server with a known admin key (the secret key Clerk's SDKs send). */
export function startClerkFake(args = []) {
  return startFakeServer({ args: ['--admin-key', SECRET_KEY, ...args] });
}

/**
 * The settings Clerk's backend SDKs need: the Backend API URL is the issuer (the SDK adds
 * `/v1`), the secret key is the admin key, and the publishable key names the fake server's
 * host the way Clerk encodes its Frontend API host (`pk_test_` + base64 of `host$`).
 */
export function clerkSettings(issuer) {
  const host = new URL(issuer).host;
  return {
    secretKey: SECRET_KEY,
    apiUrl: issuer,
    publishableKey: `pk_test_${Buffer.from(`${host}$`).toString('base64')}`,
  };
}

/** alice's access token for `demo-web`, bound to the demo MCP resource. */
export async function userToken(issuer) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${issuer}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid projects:read',
    resource: `${issuer}/mcp`,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    // The consent is remembered after the first grant; the scripted user expects the page.
    prompt: 'consent',
  });
  const callback = await new UserAgent().authorize(url, REDIRECT_URI);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic() },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`token request: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

function basic() {
  return `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
}

/** Revoke a token at the RFC 7009 endpoint; resolves to the status. */
export async function revoke(issuer, token) {
  const response = await fetch(`${issuer}/revoke`, {
    method: 'POST',
    headers: { authorization: basic() },
    body: new URLSearchParams({ token }),
  });
  return response.status;
}

/** Move the fake server's clock forward through the admin API. */
export async function advanceClock(issuer, seconds) {
  const response = await fetch(`${issuer}/admin/api/clock/advance`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ seconds }),
  });
  if (response.status !== 200) throw new Error(`advancing the clock: ${response.status} ${await response.text()}`);
}
