// The MCP TypeScript SDK's client and its OAuth machinery against the fake server's demo MCP
// resource: 401 → protected-resource metadata (RFC 9728) → authorization-server metadata →
// dynamic registration → the user's login and consent → token (bound to the resource) →
// `initialize`, `tools/list` and `tools/call`. And a machine client: the SDK's
// PrivateKeyJwtProvider (client credentials with a private_key_jwt assertion) to `initialize`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

import { startFakeServer } from '../lib/fake-server.mjs';
import { UserAgent } from '../lib/user-agent.mjs';

const REDIRECT_URI = 'http://127.0.0.1:8767/oauth/callback';

let server;
before(async () => {
  server = await startFakeServer();
});
after(async () => {
  await server?.stop();
});

/** An in-memory OAuthClientProvider, as a CLI or desktop MCP client would implement one. */
class MemoryProvider {
  client;
  tokenSet;
  verifier;
  authorizationUrl;
  expectedState = crypto.randomUUID();

  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata() {
    return {
      client_name: 'MCP SDK interop client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    return this.expectedState;
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info) {
    this.client = info;
  }
  tokens() {
    return this.tokenSet;
  }
  saveTokens(tokens) {
    this.tokenSet = tokens;
  }
  redirectToAuthorization(url) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
}

/**
 * A fetch that records `METHOD path -> status` for every request the SDK makes, and the
 * challenges of 401 answers in `challenges`.
 */
function recordingFetch(log, challenges = []) {
  return async (url, init) => {
    const response = await fetch(url, init);
    log.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} -> ${response.status}`);
    if (response.status === 401) challenges.push(response.headers.get('www-authenticate'));
    return response;
  };
}

test('the SDK client goes from 401 to an authorized initialize and tools/call', async () => {
  const mcpUrl = new URL(`${server.issuer}/mcp`);
  const provider = new MemoryProvider();
  const log = [];
  const challenges = [];
  const info = { name: 'oauth-conformance-interop', version: '0.0.0' };

  // First attempt: no token. The SDK discovers, registers and asks for the user.
  const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch(log, challenges) });
  await assert.rejects(new Client(info).connect(first), UnauthorizedError);
  const trail = `requests so far:\n${log.join('\n')}`;
  assert.equal(log[0], 'POST /mcp -> 401', trail);
  // The SDK could also find the metadata by its well-known URL; the challenge must point there.
  assert.match(challenges[0] ?? '', /^Bearer /);
  assert.ok(
    challenges[0].includes(`resource_metadata="${server.issuer}/.well-known/oauth-protected-resource/mcp"`),
    `challenge: ${challenges[0]}`,
  );
  assert.ok(log.includes('GET /.well-known/oauth-protected-resource/mcp -> 200'), trail);
  assert.ok(log.includes('GET /.well-known/oauth-authorization-server -> 200'), trail);
  assert.ok(log.includes('POST /register -> 201'), trail);

  assert.ok(provider.client?.client_id, 'the SDK saved its registration');
  assert.equal(provider.client.token_endpoint_auth_method, 'none');

  const authUrl = provider.authorizationUrl;
  assert.ok(authUrl, 'the SDK asked to send the user to the authorization endpoint');
  assert.equal(authUrl.origin + authUrl.pathname, `${server.issuer}/authorize`);
  assert.equal(authUrl.searchParams.get('client_id'), provider.client.client_id);
  assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authUrl.searchParams.get('resource'), mcpUrl.href, 'RFC 8707 resource = the MCP URL');
  assert.equal(authUrl.searchParams.get('scope'), 'projects:read', 'scope from the 401 challenge / PRM');

  // The user signs in and approves; the browser lands on our redirect URI.
  const callback = await new UserAgent().authorize(authUrl, REDIRECT_URI);
  assert.equal(callback.searchParams.get('state'), provider.expectedState);
  assert.equal(callback.searchParams.get('iss'), server.issuer);
  await first.finishAuth(callback.searchParams.get('code'));
  assert.ok(log.includes('POST /token -> 200'), `requests:\n${log.join('\n')}`);
  assert.ok(provider.tokenSet?.access_token);
  assert.ok(provider.tokenSet.refresh_token);

  // Second attempt: the saved token is accepted.
  const mcp = new Client(info);
  const second = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch(log) });
  await mcp.connect(second);
  try {
    assert.ok(second.sessionId, 'the server gave an Mcp-Session-Id');
    assert.ok(mcp.getServerVersion()?.name, 'initialize returned serverInfo');
    assert.equal(second.protocolVersion, LATEST_PROTOCOL_VERSION, 'the SDK\'s newest version was accepted');
    const { tools } = await mcp.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['whoami'],
    );
    const result = await mcp.callTool({ name: 'whoami', arguments: {} });
    const text = result.content.map((c) => c.text ?? '').join('\n');
    assert.match(text, /alice/, `whoami answered: ${text}`);
  } finally {
    await mcp.close();
  }
});

test('a machine client authenticates with private_key_jwt and initializes without a user', async () => {
  const mcpUrl = new URL(`${server.issuer}/mcp`);
  // The operator registers the client's public key once (RFC 7591 with jwks).
  const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', publicKey);
  const registration = await fetch(`${server.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'MCP SDK machine client',
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ kty, crv, x, y, alg: 'ES256', use: 'sig' }] },
      scope: 'projects:read',
    }),
  });
  assert.equal(registration.status, 201);
  const { client_id: clientId } = await registration.json();

  const provider = new PrivateKeyJwtProvider({
    clientId,
    privateKey: await crypto.subtle.exportKey('jwk', privateKey),
    algorithm: 'ES256',
    expectedIssuer: server.issuer,
    scope: 'projects:read',
  });
  const log = [];
  const mcp = new Client({ name: 'oauth-conformance-machine', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch(log) });
  // The first attempt meets the 401; the SDK gets a token with its assertion and tries again.
  await mcp.connect(transport).catch(async (e) => {
    if (!(e instanceof UnauthorizedError)) throw e;
    await mcp.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: recordingFetch(log) }));
  });
  try {
    const trail = `requests:\n${log.join('\n')}`;
    assert.equal(log[0], 'POST /mcp -> 401', trail);
    assert.ok(log.includes('POST /token -> 200'), trail);
    assert.ok(!log.some((l) => l.startsWith('POST /register')), `a registered client does not register again\n${trail}`);
    assert.ok(provider.tokens()?.access_token, 'the SDK saved the token');
    assert.ok(mcp.getServerVersion()?.name, 'initialize returned serverInfo');
    const result = await mcp.callTool({ name: 'whoami', arguments: {} });
    const text = result.content.map((c) => c.text ?? '').join('\n');
    assert.match(text, new RegExp(clientId), `whoami names the client itself: ${text}`);
  } finally {
    await mcp.close();
  }
});
