// The MCP TypeScript SDK's client package (@modelcontextprotocol/client 2.4.0) with DPoP
// (RFC 9449; the MCP DPoP profile, SEP-1932) against the fake server: an OAuthClientProvider
// whose `dpop()` returns a DpopSession, the SDK's own discovery, registration, PKCE and token
// request, then `initialize` and `whoami` through StreamableHTTPClientTransport.
//
// - the token request carries a proof and the answer is `token_type: DPoP`, bound to the
//   session's key (introspection's `cnf.jkt` is the session's thumbprint);
// - every MCP request uses the `DPoP` scheme with a fresh proof (a new `jti` each time) and no
//   `Bearer`;
// - `--variant dpop-nonce`: the SDK answers `use_dpop_nonce` at the token endpoint and at the
//   MCP server by signing again with the server's nonce, and the flow still ends in `whoami`.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Client, DpopSession, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';

import { Provider } from '../drivers/lib.mjs';
import { startRecordingFakeServer } from '../lib/fake-server.mjs';
import { UserAgent } from '../lib/user-agent.mjs';

// Never listened on: the user agent stops at the redirect and hands the URL over.
const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** The drivers' in-memory provider with DPoP; the user signs in through the fake server's pages. */
class DpopProvider extends Provider {
  constructor(session) {
    super(REDIRECT_URI, undefined, undefined, 'SDK DPoP client');
    this.session = session;
    this.callback = undefined;
  }
  dpop() {
    return this.session;
  }
  async redirectToAuthorization(url) {
    this.callback = await new UserAgent().authorize(url, REDIRECT_URI);
  }
}

const header = (r, name) => r.headers.find(([k]) => k === name)?.[1];

/** Connect through the SDK, sign in when it asks, and call whoami; the recorded requests. */
async function run(server) {
  const session = await DpopSession.create();
  const provider = new DpopProvider(session);
  const url = new URL(`${server.issuer}/mcp`);
  const connect = async () => {
    const client = new Client({ name: 'sdk-dpop', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    return client;
  };
  let client;
  try {
    client = await connect();
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
    const params = new URL(provider.callback).searchParams;
    assert.equal(params.get('state'), provider.expectedState);
    await new StreamableHTTPClientTransport(url, { authProvider: provider }).finishAuth(params);
    client = await connect();
  }
  const whoami = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return { session, provider, whoami, requests: await server.requests() };
}

for (const variant of [[], ['--variant', 'dpop-nonce']]) {
  const label = variant.length ? ' (server nonces)' : '';
  test(`the SDK gets a DPoP-bound token and presents it with a proof per MCP request${label}`, async (t) => {
    const server = await startRecordingFakeServer(variant);
    t.after(() => server.stop());
    const { session, provider, whoami, requests } = await run(server);
    assert.match(JSON.stringify(whoami.content), /alice/);
    assert.equal(provider.tokens().token_type.toLowerCase(), 'dpop');

    const tokenRequests = requests.filter((r) => r.path === '/token');
    assert.ok(tokenRequests.length >= 1 && tokenRequests.every((r) => header(r, 'dpop')), 'every token request has a proof');

    const mcp = requests.filter((r) => r.path === '/mcp' && header(r, 'authorization'));
    assert.ok(mcp.length >= 2, 'initialize and tools/call went with the token');
    for (const r of mcp) {
      assert.match(header(r, 'authorization'), /^DPoP /, 'the DPoP scheme, never Bearer');
      assert.ok(header(r, 'dpop'), 'a proof on every MCP request');
    }
    const jtis = mcp.map((r) => JSON.parse(Buffer.from(header(r, 'dpop').split('.')[1], 'base64url')).jti);
    assert.equal(new Set(jtis).size, jtis.length, 'a fresh proof each time');

    // The server bound the token to the session's key.
    const introspection = await fetch(`${server.issuer}/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('conformance-resource-server:rs-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ token: provider.tokens().access_token }),
    }).then((r) => r.json());
    assert.equal(introspection.active, true);
    assert.equal(introspection.cnf?.jkt, session.thumbprint);

    if (variant.length) {
      // The nonce retry: some proof carried the server's nonce at each endpoint.
      const nonceOf = (r) => JSON.parse(Buffer.from(header(r, 'dpop').split('.')[1], 'base64url')).nonce;
      assert.ok(tokenRequests.some(nonceOf), 'a token request proof with the server nonce');
      assert.ok(mcp.some(nonceOf), 'an MCP request proof with the server nonce');
    }
  });
}
