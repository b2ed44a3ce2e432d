// What the drivers share: the exit convention, the loopback redirect URI, and the MCP flow of
// the TypeScript SDK (1.x and 2.x differ only in their imports and in what `finishAuth` takes).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const CALLBACK_TIMEOUT_MS = 30_000;

/** A failure with the exit code it ends in; its message is one line for stderr. */
export class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Run `main` with the environment and exit: 0, the `Exit`'s code, or 4 with one line on stderr. */
export function run(name, main) {
  main(process.env).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${name} driver: ${String(e?.message ?? e).split('\n')[0]}\n`);
      process.exit(e instanceof Exit ? e.code : 4);
    },
  );
}

/** Open `url` with $BROWSER: one argument, no shell. */
export function openBrowser(browser, url) {
  spawn(browser, [String(url)], { stdio: 'ignore' }).unref();
}

/** The loopback redirect URI: each `next()` resolves the next callback's full URL, in order. */
export async function callbackListener() {
  const arrived = [];
  const waiting = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${server.address().port}`);
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('You can close this window.\n');
    const waiter = waiting.shift();
    if (waiter) waiter(url);
    else arrived.push(url);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    redirectUri: `http://127.0.0.1:${server.address().port}/callback`,
    next: () =>
      Promise.race([
        arrived.length ? Promise.resolve(arrived.shift()) : new Promise((resolve) => waiting.push(resolve)),
        new Promise((_, reject) => setTimeout(() => reject(new Exit(4, 'no callback in time')), CALLBACK_TIMEOUT_MS).unref()),
      ]),
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

/** An in-memory OAuthClientProvider, as the SDK's examples write one. */
export class Provider {
  constructor(redirectUri, browser, preregistered, clientName) {
    this.redirectUri = redirectUri;
    this.browser = browser;
    this.info = preregistered;
    this.clientName = clientName;
    this.expectedState = undefined;
  }
  /** The client's own client ID metadata document (OAUTH_CLIENT_METADATA_URL); the SDK uses it where the server supports documents. */
  get clientMetadataUrl() {
    return process.env.OAUTH_CLIENT_METADATA_URL || undefined;
  }
  get redirectUrl() {
    return this.redirectUri;
  }
  get clientMetadata() {
    return {
      client_name: this.clientName,
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
    openBrowser(this.browser, url.href);
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/**
 * The MCP flow through the SDK: connect and call `whoami`. Whenever the SDK stops for the user
 * (`UnauthorizedError`: the first sign-in, or a step-up after a 403 `insufficient_scope`), wait
 * for the callback, compare `state` (the SDK leaves that to the application), hand the callback
 * to `finish(transport, params)` and try again, once per sign-in. Exit codes: 1 the
 * authorization server answered with an error; 2 another state; 3 the SDK refused the callback.
 */
export async function mcpFlow(env, { Client, StreamableHTTPClientTransport, UnauthorizedError, clientName, finish }) {
  if (!env.MCP_SERVER_URL || !env.BROWSER) throw new Exit(4, 'MCP_SERVER_URL and BROWSER must be set');
  const callback = await callbackListener();
  try {
    const preregistered = env.OAUTH_CLIENT_ID
      ? { client_id: env.OAUTH_CLIENT_ID, client_secret: env.OAUTH_CLIENT_SECRET || undefined, issuer: env.OAUTH_ISSUER }
      : undefined;
    const provider = new Provider(callback.redirectUri, env.BROWSER, preregistered, clientName);
    const url = new URL(env.MCP_SERVER_URL);
    const signIn = async () => {
      const params = (await callback.next()).searchParams;
      if (params.get('error')) throw new Exit(1, `the authorization server answered ${params.get('error')}`);
      if (params.get('state') !== provider.expectedState) throw new Exit(2, 'the callback carries another state');
      try {
        await finish(new StreamableHTTPClientTransport(url, { authProvider: provider }), params);
      } catch (refused) {
        throw new Exit(3, `the SDK refused the callback: ${refused?.name ?? ''} ${refused?.message ?? refused}`);
      }
    };
    const withSignIn = async (act) => {
      try {
        return await act();
      } catch (e) {
        if (!(e instanceof UnauthorizedError)) throw e;
        await signIn();
        return act();
      }
    };
    let client;
    await withSignIn(async () => {
      client = new Client({ name: 'oauth-conformance-driver', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    });
    const result = await withSignIn(() => client.callTool({ name: 'whoami', arguments: {} }));
    process.stdout.write(`${JSON.stringify(result.content ?? result)}\n`);
    await client.close();
  } finally {
    callback.close();
  }
}
