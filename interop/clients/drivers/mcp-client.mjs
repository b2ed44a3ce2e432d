#!/usr/bin/env node
// A driver for `oauth-conformance client`: the MCP TypeScript SDK's client package
// (@modelcontextprotocol/client) used the way its documentation shows, so that the client
// scenarios judge the SDK. The driver is the application around the SDK and does only what the
// SDK leaves to applications:
//
// - it serves the loopback redirect URI and opens the authorization URL with $BROWSER;
// - it compares `state` before it hands the callback to the SDK, as `finishAuth` asks
//   ("The SDK does not validate state; compare it to your stored value before calling
//   finishAuth"); the SDK checks `iss` (RFC 9207) itself;
// - it gives the SDK OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET when set, else lets it register.
//
// Everything else (discovery from the 401, PKCE, `resource`, the token request, the retry with
// the token) is the SDK's. Exit codes: 0 connected and called `whoami`; 1 the authorization
// server answered with an error; 2 the callback was refused (state); 3 the SDK refused
// (e.g. an iss mismatch); 4 anything else.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';

const CALLBACK_TIMEOUT_MS = 30_000;

class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The loopback listener for `/callback`; resolves the first callback's query parameters. */
async function callbackListener() {
  let deliver;
  const received = new Promise((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('You can close this window.\n');
    deliver(url.searchParams);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    redirectUri: `http://127.0.0.1:${server.address().port}/callback`,
    next: () =>
      Promise.race([
        received,
        new Promise((_, reject) => setTimeout(() => reject(new Exit(4, 'no callback in time')), CALLBACK_TIMEOUT_MS).unref()),
      ]),
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

/** An in-memory OAuthClientProvider, as the SDK's examples write one. */
class Provider {
  constructor(redirectUri, browser, preregistered) {
    this.redirectUri = redirectUri;
    this.browser = browser;
    this.info = preregistered;
    this.expectedState = undefined;
  }
  get redirectUrl() {
    return this.redirectUri;
  }
  get clientMetadata() {
    return {
      client_name: 'oauth-conformance driver: @modelcontextprotocol/client',
      redirect_uris: [this.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.info?.client_secret ? 'client_secret_basic' : 'none',
    };
  }
  state() {
    this.expectedState = randomBytes(32).toString('base64url');
    return this.expectedState;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info) {
    this.info = info;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens) {
    this.savedTokens = tokens;
  }
  redirectToAuthorization(url) {
    spawn(this.browser, [url.href], { stdio: 'ignore' }).unref();
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

async function main(env) {
  if (!env.MCP_SERVER_URL || !env.BROWSER) throw new Exit(4, 'MCP_SERVER_URL and BROWSER must be set');
  const callback = await callbackListener();
  try {
    const preregistered = env.OAUTH_CLIENT_ID
      ? { client_id: env.OAUTH_CLIENT_ID, client_secret: env.OAUTH_CLIENT_SECRET || undefined, issuer: env.OAUTH_ISSUER }
      : undefined;
    const provider = new Provider(callback.redirectUri, env.BROWSER, preregistered);
    const url = new URL(env.MCP_SERVER_URL);
    const connect = async () => {
      const client = new Client({ name: 'oauth-conformance-driver', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
      await client.connect(transport);
      return { client, transport };
    };
    let connected;
    try {
      connected = await connect();
    } catch (e) {
      if (!(e instanceof UnauthorizedError)) throw e;
      const params = await callback.next();
      if (params.get('error')) throw new Exit(1, `the authorization server answered ${params.get('error')}`);
      if (params.get('state') !== provider.expectedState) throw new Exit(2, 'the callback carries another state');
      const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
      try {
        await transport.finishAuth(params);
      } catch (refused) {
        throw new Exit(3, `the SDK refused the callback: ${refused?.name ?? ''} ${refused?.message ?? refused}`);
      }
      connected = await connect();
    }
    const result = await connected.client.callTool({ name: 'whoami', arguments: {} });
    process.stdout.write(`${JSON.stringify(result.content ?? result)}\n`);
    await connected.client.close();
  } finally {
    callback.close();
  }
}

main(process.env).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`mcp-client driver: ${String(e?.message ?? e).split('\n')[0]}\n`);
    process.exit(e instanceof Exit ? e.code : 4);
  },
);
