#!/usr/bin/env node
// A small MCP client doing MCP authorization (2025-06-18 and later) with switchable faults, so
// that every check of the client conformance mode can be shown to fail. Without faults it does
// what a careful client does; each fault named in FLAWED_CLIENT_FAULTS breaks exactly one
// behaviour. See README.md in this folder for the interface.
//
// Exit codes: 0 success (the whoami result on stdout); 1 the authorization server answered the
// authorization request with an error; 2 the callback was refused (state, iss or no code);
// 3 discovered metadata was refused (issuer mismatch, no S256, wrong resource); 4 anything else.
//
// Only Node's standard library: node:http, node:https, node:crypto, node:child_process.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const FAULTS = [
  'no-pkce',
  'plain-pkce',
  'ignore-state',
  'ignore-iss',
  'no-resource',
  'token-in-query',
  'retry-on-deny',
  'double-client-auth',
  'register-anyway',
  'ignore-challenge-scope',
  'no-application-type',
  'skip-resource-metadata',
  'append-well-known',
  'no-step-up',
  'no-prm-fallback',
  'stale-refresh-token',
  'no-scope-fallback',
  'trust-metadata-resource',
  'no-refresh-grant-type',
  'offline-access-unlisted',
  'scope-when-undefined',
  'endless-step-up',
  'token-follows-redirect',
  'keep-client-on-new-server',
  'register-despite-document',
  'document-unadvertised',
  'secret-in-body',
  'token-redirect-uri-differs',
];
const MAX_RETRIES_ON_DENY = 3;
// Under the fault endless-step-up: enough step-ups to be a loop to any user, few enough that
// the client still ends when run alone.
const ENDLESS_STEP_UPS = 12;
const NETWORK_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;
const MCP_PROTOCOL_VERSION = '2025-06-18';
const CLIENT_NAME = 'oauth-conformance flawed client';

/** A failure with the exit code it ends in; its message is one line for stderr. */
class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const fail = (message) => new Exit(4, message);

// ---------------------------------------------------------------------------------------------
// Configuration

function config(env) {
  const mcpUrl = env.MCP_SERVER_URL;
  if (!mcpUrl) throw fail('MCP_SERVER_URL is not set');
  if (!env.BROWSER) throw fail('BROWSER is not set');
  const faults = new Set(
    (env.FLAWED_CLIENT_FAULTS ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  );
  for (const f of faults) {
    if (!FAULTS.includes(f)) throw fail(`unknown fault ${JSON.stringify(f)}; known: ${FAULTS.join(', ')}`);
  }
  const timeout = env.FLAWED_CLIENT_TIMEOUT_MS === undefined ? 30_000 : Number(env.FLAWED_CLIENT_TIMEOUT_MS);
  if (!Number.isFinite(timeout) || timeout <= 0) throw fail('FLAWED_CLIENT_TIMEOUT_MS is not a positive number');
  return {
    mcpUrl: new URL(mcpUrl).href,
    fallbackIssuer: env.OAUTH_ISSUER || undefined,
    browser: env.BROWSER,
    clientId: env.OAUTH_CLIENT_ID || undefined,
    clientSecret: env.OAUTH_CLIENT_SECRET || undefined,
    metadataDocumentUrl: env.OAUTH_CLIENT_METADATA_URL || undefined,
    faults,
    callbackTimeoutMs: timeout,
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/**
 * One HTTP exchange, redirects not followed, the whole body read (at most MAX_BODY_BYTES) within
 * NETWORK_TIMEOUT_MS. The answer has what this client reads of a fetch Response: `status`,
 * `headers.get`, `text()`, `json()`, `body.cancel()`. node:http rather than fetch: fetch compiles
 * its HTTP parser (WebAssembly) in every process, which is most of a short run's start-up.
 */
function request(url, init = {}) {
  const u = new URL(url);
  const method = init.method ?? 'GET';
  // The URL may carry a token (fault token-in-query): name only the origin and path.
  const failed = (why) => fail(`${method} ${u.origin}${u.pathname} failed: ${why}`);
  const headers = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
  return new Promise((resolve, reject) => {
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method, headers });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'TimeoutError' })), NETWORK_TIMEOUT_MS);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(failed(e.code ?? e.name));
    });
    req.on('response', (res) => {
      const chunks = [];
      let size = 0;
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(failed(e.code ?? e.name));
      });
      res.on('data', (chunk) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(Object.assign(new Error('too large'), { code: 'BodyTooLarge' }));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: { get: (name) => [res.headers[name.toLowerCase()]].flat().filter((v) => v !== undefined).join(', ') || null },
          text: async () => text,
          json: async () => JSON.parse(text),
          body: { cancel: async () => {} },
        });
      });
    });
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** GET a JSON document; `undefined` when it is not there (any non-200 or non-JSON answer). */
async function getJson(url) {
  const response = await request(url, { headers: { accept: 'application/json' } });
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  try {
    const value = await response.json();
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parameters of the first `Bearer` challenge in a WWW-Authenticate value (RFC 9110 §11.6.1):
 * `auth-param`s with token or quoted-string values, names lower-cased. `undefined` without one.
 */
function bearerChallenge(header) {
  if (!header) return undefined;
  let i = 0;
  const s = header;
  const skip = (re) => {
    while (i < s.length && re.test(s[i])) i++;
  };
  const token = () => {
    const start = i;
    skip(/[!#$%&'*+\-.^_`|~0-9A-Za-z]/);
    return s.slice(start, i);
  };
  let current; // the parameters of the challenge being read, when it is Bearer
  let found;
  while (i < s.length) {
    skip(/[\s,]/);
    const start = i;
    const name = token();
    if (!name) {
      i++;
      continue;
    }
    skip(/[ \t]/);
    if (s[i] === '=') {
      // An auth-param of the current challenge (or token68 padding, which Bearer does not use).
      i++;
      skip(/[ \t]/);
      let value;
      if (s[i] === '"') {
        value = '';
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        value = token();
      }
      if (current) current[name.toLowerCase()] = value;
      continue;
    }
    // A new challenge: its scheme.
    if (found) break;
    i = start + name.length;
    current = name.toLowerCase() === 'bearer' ? {} : undefined;
    if (current) found = current;
  }
  return found;
}

/** The RFC 8414 §3.1 well-known URL of `issuer`, the well-known segment inserted before its path. */
function insertedWellKnown(issuer, suffix) {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}/.well-known/${suffix}${path}`;
}

// ---------------------------------------------------------------------------------------------
// Discovery

/** Steps 1–2: the 401 challenge, then the protected-resource metadata (RFC 9728). */
async function discoverResource(cfg) {
  const response = await request(cfg.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(initializeMessage(1)),
  });
  await response.body?.cancel();
  if (response.status !== 401) throw fail(`the MCP server answered the unauthenticated initialize with ${response.status}, not 401`);
  const challenge = bearerChallenge(response.headers.get('www-authenticate')) ?? {};
  // fault skip-resource-metadata: straight to OAUTH_ISSUER, no protected-resource metadata.
  if (cfg.faults.has('skip-resource-metadata') && cfg.fallbackIssuer) {
    return { challenge, resource: cfg.mcpUrl, issuer: cfg.fallbackIssuer, scopesSupported: undefined };
  }

  // fault no-prm-fallback: a challenge without resource_metadata sends the client to the MCP
  // server's origin as its authorization server (the MCP 2025-03-26 way).
  if (!challenge.resource_metadata && cfg.faults.has('no-prm-fallback')) {
    return { challenge, resource: cfg.mcpUrl, issuer: new URL(cfg.mcpUrl).origin, scopesSupported: undefined };
  }
  // RFC 9728 §5.1: the challenge names the metadata; §3.1: else its well-known URL, tried with
  // the resource's path and then at the root (as MCP asks).
  const candidates = [];
  if (challenge.resource_metadata) candidates.push(new URL(challenge.resource_metadata, cfg.mcpUrl).href);
  const wellKnown = insertedWellKnown(cfg.mcpUrl, 'oauth-protected-resource');
  const root = `${new URL(cfg.mcpUrl).origin}/.well-known/oauth-protected-resource`;
  for (const url of [wellKnown, root]) if (!candidates.includes(url)) candidates.push(url);

  let prm;
  for (const url of candidates) {
    prm = await getJson(url);
    if (prm) break;
  }
  const issuer = Array.isArray(prm?.authorization_servers) ? prm.authorization_servers[0] : undefined;
  if (!prm || typeof issuer !== 'string') {
    if (!cfg.fallbackIssuer) throw fail('no protected-resource metadata naming an authorization server, and no OAUTH_ISSUER');
    return { challenge, resource: cfg.mcpUrl, issuer: cfg.fallbackIssuer, scopesSupported: undefined };
  }
  // RFC 9728 §3.3: the metadata must be about the resource the client asked.
  // fault trust-metadata-resource: whatever resource it names is taken as this one.
  if (prm.resource !== cfg.mcpUrl && !cfg.faults.has('trust-metadata-resource')) {
    throw new Exit(3, `protected-resource metadata is about ${JSON.stringify(prm.resource)}, not ${cfg.mcpUrl}`);
  }
  const scopesSupported = Array.isArray(prm.scopes_supported) ? prm.scopes_supported.filter((s) => typeof s === 'string') : undefined;
  return { challenge, resource: prm.resource, issuer, scopesSupported };
}

/** Step 3: the authorization server's metadata (RFC 8414, then OpenID Connect Discovery). */
async function discoverServer(issuer, faults) {
  const u = new URL(issuer);
  // MCP 2025-11-25's order: RFC 8414 then OpenID Connect, path-inserted, then OpenID Connect
  // path-appended for an issuer with a path.
  const candidates = [insertedWellKnown(issuer, 'oauth-authorization-server'), insertedWellKnown(issuer, 'openid-configuration')];
  if (u.pathname !== '/') candidates.push(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  // fault append-well-known: the RFC 8414 suffix appended to the issuer, tried first
  if (faults.has('append-well-known')) candidates.unshift(`${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`);
  let meta;
  for (const url of candidates) {
    meta = await getJson(url);
    if (meta) break;
  }
  if (!meta) throw fail(`no authorization server metadata found for ${issuer}`);
  // RFC 8414 §3.3: the issuer in the document must be identical to the one it was fetched for.
  if (meta.issuer !== issuer) {
    throw new Exit(3, `authorization server metadata says issuer ${JSON.stringify(meta.issuer)}, expected ${JSON.stringify(issuer)}`);
  }
  // MCP authorization: without S256 in code_challenge_methods_supported the client must refuse.
  if (!Array.isArray(meta.code_challenge_methods_supported) || !meta.code_challenge_methods_supported.includes('S256')) {
    throw new Exit(3, 'the authorization server does not advertise PKCE S256 (code_challenge_methods_supported)');
  }
  for (const endpoint of ['authorization_endpoint', 'token_endpoint']) {
    if (typeof meta[endpoint] !== 'string') throw fail(`authorization server metadata has no ${endpoint}`);
  }
  return meta;
}

// ---------------------------------------------------------------------------------------------
// The loopback redirect URI

/** Step 5: listen on 127.0.0.1 for `/callback`; callbacks are handed to `next()` one at a time. */
async function startCallbackListener() {
  const waiting = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const waiter = waiting.shift();
    if (!waiter) {
      res.writeHead(409, { 'content-type': 'text/plain; charset=utf-8' }).end('no authorization is in progress\n');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
      .end('<!doctype html><meta charset="utf-8"><title>Signed in</title><p>You can close this window and return to the application.</p>\n');
    waiter(url.searchParams);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    next(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const at = waiting.indexOf(done);
          if (at >= 0) waiting.splice(at, 1);
          reject(fail(`no callback within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (params) => {
          clearTimeout(timer);
          resolve(params);
        };
        waiting.push(done);
      });
    },
    close() {
      if (!server.listening) return;
      server.close();
      server.closeAllConnections();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Registration, authorization, token

/** Step 4: dynamic client registration (RFC 7591) as a public native client. */
async function register(cfg, meta, redirectUri) {
  if (typeof meta.registration_endpoint !== 'string') {
    throw fail('the authorization server offers no registration_endpoint and OAUTH_CLIENT_ID is not set');
  }
  const response = await request(meta.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
      // fault no-refresh-grant-type: it wants refresh tokens (it asks for offline_access) but
      // registers the code grant alone, so a server that follows its registration issues none.
      grant_types: cfg.faults.has('no-refresh-grant-type') ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // fault no-application-type: the registration leaves it out (the server then assumes web)
      ...(cfg.faults.has('no-application-type') ? {} : { application_type: 'native' }),
      client_name: CLIENT_NAME,
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 201 && response.status !== 200) {
    throw fail(`registration failed with ${response.status}: ${oauthError(body)}`);
  }
  if (typeof body.client_id !== 'string' || !body.client_id) throw fail('the registration response has no client_id');
  return { clientId: body.client_id };
}

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

/** The `error` and `error_description` of an OAuth error body, never anything else from it. */
function oauthError(body) {
  const error = typeof body?.error === 'string' ? body.error : 'no error code';
  const description = typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
  return oneLine(`${error}${description}`);
}

const oneLine = (s) => String(s).replace(/[\r\n]+/g, ' ').slice(0, 500);

/** Step 6: a fresh authorization request (state and PKCE are new each time). */
function authorizationRequest(cfg, ctx) {
  const state = base64url(randomBytes(32));
  const verifier = base64url(randomBytes(32));
  const url = new URL(ctx.meta.authorization_endpoint);
  const q = url.searchParams;
  q.set('response_type', 'code');
  q.set('client_id', ctx.clientId);
  q.set('redirect_uri', ctx.redirectUri);
  q.set('state', state);
  if (cfg.faults.has('no-pkce')) {
    // fault: no PKCE at all
  } else if (cfg.faults.has('plain-pkce')) {
    q.set('code_challenge', verifier);
    q.set('code_challenge_method', 'plain');
  } else {
    q.set('code_challenge', base64url(createHash('sha256').update(verifier).digest()));
    q.set('code_challenge_method', 'S256');
  }
  if (!cfg.faults.has('no-resource')) q.set('resource', ctx.resource);
  if (ctx.scope) q.set('scope', ctx.scope);
  return { url: url.href, state, verifier };
}

/** Step 7: hand the URL to the user's browser: exactly one argument, no shell. */
function openBrowser(cfg, url) {
  return new Promise((resolve, reject) => {
    const child = spawn(cfg.browser, [url], { stdio: 'ignore' });
    child.once('error', (e) => reject(fail(`BROWSER could not be started: ${e.code ?? e.message}`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/**
 * Step 8: judge the callback. Returns the code, or throws the exit. An `error` ends the flow
 * with 1 (the caller may retry under the fault retry-on-deny).
 */
function judgeCallback(cfg, ctx, sent, params) {
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    throw new Exit(1, oneLine(`the authorization server answered ${error}${description ? `: ${description}` : ''}`));
  }
  if (!cfg.faults.has('ignore-state') && params.get('state') !== sent.state) {
    throw new Exit(2, 'the callback state does not match the request; not redeeming the code');
  }
  if (!cfg.faults.has('ignore-iss')) {
    // RFC 9207 §2.4: compare iss when present; require it when the server says it sends it.
    const iss = params.get('iss');
    if (iss === null && ctx.meta.authorization_response_iss_parameter_supported === true) {
      throw new Exit(2, 'the callback has no iss although the authorization server sends it; not redeeming the code');
    }
    if (iss !== null && iss !== ctx.issuer) {
      throw new Exit(2, 'the callback iss is not the issuer the request went to; not redeeming the code');
    }
  }
  const code = params.get('code');
  if (!code) throw new Exit(2, 'the callback carries neither code nor error');
  return code;
}

/** Step 9: redeem the code; resolves to the tokens. */
async function redeem(cfg, ctx, sent, code) {
  // RFC 6749 §4.1.3: the redirect URI of the authorization request, identical.
  // fault token-redirect-uri-differs: the same URI with a trailing slash added.
  const redirectUri = cfg.faults.has('token-redirect-uri-differs') ? `${ctx.redirectUri}/` : ctx.redirectUri;
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  if (!cfg.faults.has('no-pkce')) form.set('code_verifier', sent.verifier);
  return tokenRequest(cfg, ctx, form);
}

/**
 * A refresh (RFC 6749 §6), for the session's tokens after a 401 `invalid_token`. A new refresh
 * token replaces the old one, which the server has then retired.
 * fault stale-refresh-token: the first refresh token is kept and presented every time.
 */
async function refresh(cfg, ctx, tokens) {
  const fresh = await tokenRequest(cfg, ctx, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh }));
  const keep = cfg.faults.has('stale-refresh-token') || !fresh.refresh;
  return { access: fresh.access, refresh: keep ? tokens.refresh : fresh.refresh };
}

/** A token request with the client's id, `resource` and credentials; resolves to the tokens. */
async function tokenRequest(cfg, ctx, form) {
  form.set('client_id', ctx.clientId);
  if (!cfg.faults.has('no-resource')) form.set('resource', ctx.resource);
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (ctx.clientSecret && cfg.faults.has('secret-in-body')) {
    // fault secret-in-body: client_secret_post, although the client was registered for Basic.
    form.set('client_secret', ctx.clientSecret);
  } else if (ctx.clientSecret) {
    // RFC 6749 §2.3.1: both parts form-encoded before they are joined and base64-encoded.
    const enc = (s) => new URLSearchParams({ s }).toString().slice(2);
    headers.authorization = `Basic ${Buffer.from(`${enc(ctx.clientId)}:${enc(ctx.clientSecret)}`).toString('base64')}`;
    // fault: the secret in the body as well, a second authentication method in one request
    if (cfg.faults.has('double-client-auth')) form.set('client_secret', ctx.clientSecret);
  }
  const response = await request(ctx.meta.token_endpoint, { method: 'POST', headers, body: form.toString() });
  const body = await response.json().catch(() => ({}));
  const grant = form.get('grant_type');
  if (response.status !== 200) throw fail(`the ${grant} token request failed with ${response.status}: ${oauthError(body)}`);
  if (typeof body.access_token !== 'string' || !body.access_token) throw fail('the token response has no access_token');
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw fail(`the token response has token_type ${JSON.stringify(body.token_type)}, not Bearer`);
  }
  const refreshToken = typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : undefined;
  return { access: body.access_token, refresh: refreshToken };
}

// ---------------------------------------------------------------------------------------------
// MCP

function initializeMessage(id) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: CLIENT_NAME, version: '0.0.0' } },
  };
}

/** An MCP session with an access token: JSON-RPC over Streamable HTTP (JSON or SSE answers). */
class McpSession {
  #nextId = 1;
  #sessionId;
  #protocolVersion;

  /**
   * `renew(tokens)` resolves to new tokens after a 401 `invalid_token` (a refresh);
   * `relocate()` to tokens from another authorization server when the refreshed token is
   * refused too and the MCP server's metadata names a new one (undefined otherwise).
   */
  constructor(cfg, tokens, renew, relocate) {
    this.cfg = cfg;
    this.tokens = tokens;
    this.renew = renew;
    this.relocate = relocate;
  }

  async post(message) {
    let url = new URL(this.cfg.mcpUrl);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (this.cfg.faults.has('token-in-query')) url.searchParams.set('access_token', this.tokens.access);
    else headers.authorization = `Bearer ${this.tokens.access}`;
    if (this.#sessionId) headers['mcp-session-id'] = this.#sessionId;
    if (this.#protocolVersion) headers['mcp-protocol-version'] = this.#protocolVersion;
    const body = JSON.stringify(message);
    let response = await request(url.href, { method: 'POST', headers, body });
    // A 307 or 308 sends the same request elsewhere (RFC 9110 §15.4.8, §15.4.9). The token
    // goes along only to the same origin: another one is not its audience (RFC 6750 §5.3), and
    // fetch drops Authorization there too. fault token-follows-redirect: it goes along anywhere.
    for (let hops = 0; (response.status === 307 || response.status === 308) && hops < 5; hops++) {
      const location = response.headers.get('location');
      if (!location) break;
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== url.origin && !this.cfg.faults.has('token-follows-redirect')) delete headers.authorization;
      url = next;
      response = await request(url.href, { method: 'POST', headers, body });
    }
    return response;
  }

  async send(message) {
    let response = await this.post(message);
    // An expired or revoked access token: refresh once with the refresh token, and send again.
    if (response.status === 401 && this.tokens.refresh && bearerChallenge(response.headers.get('www-authenticate'))?.error === 'invalid_token') {
      await response.body?.cancel();
      this.tokens = await this.renew(this.tokens);
      response = await this.post(message);
    }
    if (response.status === 401 && bearerChallenge(response.headers.get('www-authenticate'))?.error === 'invalid_token') {
      const moved = await this.relocate?.();
      if (moved) {
        await response.body?.cancel();
        this.tokens = moved;
        response = await this.post(message);
      }
    }
    if (message.id === undefined) {
      await response.body?.cancel();
      if (response.status !== 202 && response.status !== 200) throw fail(`the MCP server answered ${message.method} with ${response.status}`);
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      const challenge = bearerChallenge(response.headers.get('www-authenticate'));
      const why = challenge?.error ? ` (${oneLine(challenge.error)})` : '';
      const refused = fail(`the MCP server answered ${message.method} with ${response.status}${why}`);
      refused.status = response.status;
      refused.challenge = challenge;
      throw refused;
    }
    this.#sessionId = response.headers.get('mcp-session-id') ?? this.#sessionId;
    const type = response.headers.get('content-type') ?? '';
    const reply = type.startsWith('text/event-stream') ? fromEventStream(await response.text(), message.id) : await response.json().catch(() => undefined);
    if (!reply || reply.id !== message.id) throw fail(`no JSON-RPC answer to ${message.method}`);
    if (reply.error) throw fail(oneLine(`${message.method} failed: ${reply.error.code} ${reply.error.message}`));
    return reply.result;
  }

  async initialize() {
    const result = await this.send(initializeMessage(this.#nextId++));
    this.#protocolVersion = result?.protocolVersion;
    await this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return result;
  }

  call(method, params) {
    return this.send({ jsonrpc: '2.0', id: this.#nextId++, method, params });
  }
}

/** The JSON-RPC response with `id` among the `data:` events of an SSE body. */
function fromEventStream(text, id) {
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data) continue;
    try {
      const message = JSON.parse(data);
      if (message?.id === id) return message;
    } catch {
      // not JSON: skip
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/** Steps 6–9: authorize (again after a refusal under the fault retry-on-deny) and redeem. */
async function signIn(cfg, ctx, listener) {
  for (let attempt = 0; ; attempt++) {
    const sent = authorizationRequest(cfg, ctx);
    const callback = listener.next(cfg.callbackTimeoutMs);
    await openBrowser(cfg, sent.url);
    const params = await callback;
    let code;
    try {
      code = judgeCallback(cfg, ctx, sent, params);
    } catch (e) {
      const retry = e instanceof Exit && e.code === 1 && cfg.faults.has('retry-on-deny') && attempt < MAX_RETRIES_ON_DENY;
      if (!retry) throw e;
      process.stderr.write(`flawed-client: ${e.message}; trying again\n`);
      continue;
    }
    return redeem(cfg, ctx, sent, code);
  }
}

async function main() {
  const cfg = config(process.env);
  const { challenge, resource, issuer, scopesSupported } = await discoverResource(cfg);
  const meta = await discoverServer(issuer, cfg.faults);
  const listener = await startCallbackListener();
  try {
    const ctx = {
      meta,
      issuer,
      resource,
      redirectUri: listener.redirectUri,
      clientSecret: cfg.clientSecret,
      // The challenge's scope first (MCP scope selection), else what the resource supports.
      // fault ignore-challenge-scope: a scope of the client's own choosing (openid) instead.
      // fault no-scope-fallback: no scope at all when the challenge names none.
      scope: cfg.faults.has('ignore-challenge-scope')
        ? 'openid'
        : challenge.scope || (scopesSupported?.length && !cfg.faults.has('no-scope-fallback') ? scopesSupported.join(' ') : undefined),
    };
    // fault scope-when-undefined: when neither the 401 nor the resource's metadata names a
    // scope, it asks for every scope the authorization server lists instead of none.
    if (!ctx.scope && !challenge.scope && !scopesSupported?.length && cfg.faults.has('scope-when-undefined') && Array.isArray(meta.scopes_supported)) {
      ctx.scope = meta.scopes_supported.filter((s) => typeof s === 'string').join(' ') || undefined;
    }
    // SEP-2207: it wants refresh tokens, so it adds offline_access to the resource's scopes
    // when the authorization server lists it (never to an empty scope: that would ask for
    // offline_access alone). fault offline-access-unlisted: adds it when the server does not.
    const listsOffline = Array.isArray(meta.scopes_supported) && meta.scopes_supported.includes('offline_access');
    if (ctx.scope && (listsOffline || cfg.faults.has('offline-access-unlisted')) && !ctx.scope.split(' ').includes('offline_access')) {
      ctx.scope = `${ctx.scope} offline_access`;
    }
    // MCP 2025-11-25 registration order: the client id it was given, else its client ID
    // metadata document's URL where the server supports documents, else dynamic registration.
    // fault register-anyway: registers although it was given a client id.
    // fault register-despite-document: registers although the server supports its document.
    // fault document-unadvertised: uses its document's URL although the server does not say
    // it supports documents.
    const given = cfg.faults.has('register-anyway') ? undefined : cfg.clientId;
    const clientIdAt = async (serverMeta) => {
      const supported = serverMeta.client_id_metadata_document_supported === true || cfg.faults.has('document-unadvertised');
      if (cfg.metadataDocumentUrl && supported && !cfg.faults.has('register-despite-document')) return cfg.metadataDocumentUrl;
      return (await register(cfg, serverMeta, listener.redirectUri)).clientId;
    };
    ctx.clientId = given ?? (await clientIdAt(meta));

    // SEP-2352 (MCP 2026-07-28): when the MCP server names another authorization server, the
    // client's credentials stay with the old one: it registers with the new one and signs in
    // there, once. fault keep-client-on-new-server: the old client id goes along.
    let relocated = false;
    const relocate = async () => {
      if (relocated) return undefined;
      const found = await discoverResource(cfg);
      if (found.issuer === ctx.issuer) return undefined;
      relocated = true;
      if (given) throw fail(`the MCP server moved to ${found.issuer}; OAUTH_CLIENT_ID belongs to ${ctx.issuer}`);
      process.stderr.write(`flawed-client: the MCP server moved to ${found.issuer}; signing in there\n`);
      ctx.meta = await discoverServer(found.issuer, cfg.faults);
      ctx.issuer = found.issuer;
      // A client ID metadata document's URL names the client at every server (SEP-2352).
      if (!cfg.faults.has('keep-client-on-new-server')) ctx.clientId = await clientIdAt(ctx.meta);
      return signIn(cfg, ctx, listener);
    };
    const mcp = new McpSession(cfg, await signIn(cfg, ctx, listener), (tokens) => refresh(cfg, ctx, tokens), relocate);
    await mcp.initialize();
    const whoami = () => mcp.call('tools/call', { name: 'whoami', arguments: {} });
    // MCP 2025-11-25 step-up: a 403 insufficient_scope names the scopes the call needs; sign
    // in again for those and the ones held (their union), then call once more. A second 403
    // ends the run: the user cannot be granted what the call needs (the retry limit).
    // fault no-step-up: the first 403 ends the run. fault endless-step-up: every 403 sends the
    // user to sign in again.
    const stepUps = cfg.faults.has('no-step-up') ? 0 : cfg.faults.has('endless-step-up') ? ENDLESS_STEP_UPS : 1;
    let result;
    for (let attempt = 0; ; attempt++) {
      try {
        result = await whoami();
        break;
      } catch (e) {
        if (e.status !== 403 || e.challenge?.error !== 'insufficient_scope' || attempt >= stepUps) throw e;
        const words = (s) => (s ?? '').split(' ').filter(Boolean);
        ctx.scope = [...new Set([...words(ctx.scope), ...words(e.challenge.scope)])].join(' ') || undefined;
        process.stderr.write(`flawed-client: the call needs more scope; signing in again for ${ctx.scope}\n`);
        mcp.tokens = await signIn(cfg, ctx, listener);
      }
    }
    if (result?.isError) throw fail('the whoami tool reported an error');
    const text = (result?.content ?? [])
      .filter((c) => c?.type === 'text')
      .map((c) => c.text)
      .join('\n');
    process.stdout.write(`${text || JSON.stringify(result?.structuredContent ?? result)}\n`);
  } finally {
    listener.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    const code = e instanceof Exit ? e.code : 4;
    process.stderr.write(`flawed-client: ${oneLine(e instanceof Exit ? e.message : `unexpected failure: ${e?.message ?? e}`)}\n`);
    process.exit(code);
  },
);
