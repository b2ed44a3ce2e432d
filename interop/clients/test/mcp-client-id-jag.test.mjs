// The MCP TypeScript SDK's client package (@modelcontextprotocol/client, v2) doing
// enterprise-managed authorization (ID-JAG) against two fake servers: one the enterprise
// identity provider, the other the MCP server's authorization server, which trusts the first
// (`[[server.id_jag_issuers]]` with the IdP's published JWK Set).
//
// - the user signs in at the IdP (OpenID Connect, oauth4webapi), which gives an ID token;
// - the SDK's `discoverAndRequestJwtAuthGrant` exchanges it at the IdP for an ID-JAG
//   (RFC 8693, `requested_token_type` id-jag, audience the authorization server);
// - the SDK's `CrossAppAccessProvider` with `auth()` discovers the authorization server from the
//   MCP server's protected-resource metadata and redeems the ID-JAG with the jwt-bearer grant
//   (RFC 7523); the token opens the demo MCP resource;
// - an authorization server that does not trust the IdP refuses the same ID-JAG, and the SDK
//   reports the refusal.
//
// The flow uses the `conformance-other` client. With `conformance-confidential`, whose secret
// holds characters that RFC 6749 §2.3.1 requires to be form-encoded before the Base64 of HTTP
// Basic, the SDK's jwt-bearer request is refused: version 2.4.0 Base64-encodes `id:secret`
// as it is (`btoa`). The last test pins that deviation.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { CrossAppAccessProvider, auth, discoverAndRequestJwtAuthGrant } from '@modelcontextprotocol/client';
import * as oauth from 'oauth4webapi';

import { startFakeServer } from '../lib/fake-server.mjs';
import { UserAgent } from '../lib/user-agent.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_FIXTURES = resolve(here, '../../../fixtures/fake-server.toml');
const insecure = { [oauth.allowInsecureRequests]: true };
// The same application is registered at both servers, under the same client id.
const CLIENT = { client_id: 'conformance-other' };
const CLIENT_SECRET = 'other-secret';
const REDIRECT_URI = 'https://other.example.test/callback';
const MCP_PROTOCOL_VERSION = '2025-06-18';

let idp;
let as;
let untrusting;
let dir;

/** A JSON value as a TOML inline value (strings, numbers, booleans, arrays, objects). */
function toml(v) {
  if (Array.isArray(v)) return `[${v.map(toml).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k} = ${toml(x)}`).join(', ')} }`;
  return JSON.stringify(v);
}

before(async () => {
  idp = await startFakeServer();
  const meta = await (await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).json();
  const jwks = await (await fetch(meta.jwks_uri)).json();
  dir = mkdtempSync(join(tmpdir(), 'id-jag-'));
  const fixtures = join(dir, 'as.toml');
  const trust = `\n[[server.id_jag_issuers]]\nissuer = ${JSON.stringify(idp.issuer)}\njwks = ${toml(jwks)}\n`;
  writeFileSync(fixtures, readFileSync(DEFAULT_FIXTURES, 'utf8') + trust);
  as = await startFakeServer({ fixtures });
  untrusting = await startFakeServer();
});
after(async () => {
  await Promise.all([idp?.stop(), as?.stop(), untrusting?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let cachedIdToken;
/**
 * Sign in at the IdP with OpenID Connect (code + PKCE) once and return the ID token (the IdP
 * remembers the consent, so a second sign-in would not show the page the user agent expects).
 */
async function idToken() {
  cachedIdToken ??= await signIn();
  return cachedIdToken;
}

async function signIn() {
  return idTokenFor(CLIENT.client_id, oauth.ClientSecretBasic(CLIENT_SECRET), REDIRECT_URI);
}

/** Sign in at the IdP as `clientId` (code + PKCE, OpenID Connect) and return the ID token. */
async function idTokenFor(clientId, clientAuth, redirectUri) {
  const issuer = new URL(idp.issuer);
  const meta = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
  );
  const client = { client_id: clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const callback = await new UserAgent().authorize(url, redirectUri);
  const params = oauth.validateAuthResponse(meta, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(meta, client, clientAuth, params, redirectUri, verifier, insecure);
  return (await oauth.processAuthorizationCodeResponse(meta, client, response, { requireIdToken: true })).id_token;
}

/**
 * A provider whose ID-JAGs come from the IdP, and what each assertion call was given. `idToken`
 * is the subject token, or a function that gives it; the same client is registered at both.
 */
function provider(server, idToken, seen, client = CLIENT.client_id, secret = CLIENT_SECRET) {
  return new CrossAppAccessProvider({
    clientId: client,
    clientSecret: secret,
    expectedIssuer: server.issuer,
    assertion: async (ctx) => {
      seen.push(ctx);
      const grant = await discoverAndRequestJwtAuthGrant({
        idpUrl: idp.issuer,
        audience: ctx.authorizationServerUrl,
        resource: ctx.resourceUrl,
        idToken: typeof idToken === 'function' ? await idToken() : idToken,
        clientId: client,
        // In the body (client_secret_post), where the SDK form-encodes it.
        clientSecret: secret,
        scope: 'projects:read',
        fetchFn: ctx.fetchFn,
      });
      return grant.jwtAuthGrant;
    },
  });
}

function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

test('the SDK exchanges an ID token at the IdP and redeems the ID-JAG at the trusting authorization server', async () => {
  const token = await idToken();
  const seen = [];
  const p = provider(as, token, seen);
  const result = await auth(p, { serverUrl: `${as.issuer}/mcp`, scope: 'projects:read' });
  assert.equal(result, 'AUTHORIZED');

  // The SDK found the authorization server and the resource from the MCP server's metadata.
  assert.equal(seen.length, 1);
  assert.equal(new URL(seen[0].authorizationServerUrl).href, new URL(as.issuer).href);
  assert.equal(seen[0].resourceUrl, `${as.issuer}/mcp`);

  const tokens = p.tokens();
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(tokens.refresh_token, undefined, 'no refresh token for an ID-JAG (draft §4.4.3)');
  assert.deepEqual(tokens.scope.split(' '), ['projects:read']);

  // The ID-JAG the IdP issued names the authorization server and the client there.
  const grant = await discoverAndRequestJwtAuthGrant({
    idpUrl: idp.issuer,
    audience: as.issuer,
    resource: `${as.issuer}/mcp`,
    idToken: token,
    clientId: CLIENT.client_id,
    clientSecret: CLIENT_SECRET,
    scope: 'projects:read',
  });
  const [header] = grant.jwtAuthGrant.split('.');
  assert.equal(JSON.parse(Buffer.from(header, 'base64url')).typ, 'oauth-id-jag+jwt');
  const claims = payload(grant.jwtAuthGrant);
  assert.equal(claims.iss, idp.issuer);
  assert.equal(claims.aud, as.issuer);
  assert.equal(claims.client_id, CLIENT.client_id);

  // The access token opens the MCP server it was issued for.
  const mcp = await fetch(`${as.issuer}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MCP_PROTOCOL_VERSION,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'id-jag', version: '1' } },
    }),
  });
  assert.equal(mcp.status, 200, await mcp.clone().text());
});

test('an authorization server that does not trust the IdP refuses its ID-JAG, and the SDK says so', async () => {
  const token = await idToken();
  const seen = [];
  await assert.rejects(auth(provider(untrusting, token, seen), { serverUrl: `${untrusting.issuer}/mcp` }), (e) => {
    assert.match(String(e?.message ?? e), /invalid_grant|not trusted/i);
    return true;
  });
  // The SDK retries once after invalid_grant, then gives up: no loop.
  assert.ok(seen.length >= 1 && seen.length <= 2, `asked for an ID-JAG ${seen.length} times`);
});

test('SDK 2.4.0 sends HTTP Basic credentials without form-encoding them (RFC 6749 §2.3.1), so a secret with reserved characters is refused', async () => {
  // The ID-JAG is issued for conformance-confidential; only the client authentication differs.
  const seen = [];
  let confidentialToken;
  const token = async () => (confidentialToken ??= await confidentialIdToken());
  const p = provider(as, token, seen, 'conformance-confidential', 's3cr:t+/%val ue');
  await assert.rejects(auth(p, { serverUrl: `${as.issuer}/mcp` }), (e) => {
    assert.equal(e?.code, 'invalid_client', String(e));
    return true;
  });
  assert.ok(seen.length >= 1, 'the ID-JAG was obtained; the redemption was refused');
});

/** An ID token issued to conformance-confidential by the IdP (oauth4webapi form-encodes its Basic credentials). */
function confidentialIdToken() {
  return idTokenFor('conformance-confidential', oauth.ClientSecretBasic('s3cr:t+/%val ue'), 'https://client.example.test/callback');
}
