// The flawed MCP client (flawed-client/client.mjs) against the fake server's demo MCP resource,
// with the fake server recording every request it gets. Without faults the client goes from the
// 401 to whoami as alice and stops on a denial; with each fault, the recorded requests (or the
// client's going ahead with a tampered callback) show exactly the flaw it was built to have.
//
// The user is a small BROWSER program written into a temporary directory: it plays alice on the
// login and consent pages with lib/user-agent.mjs, then GETs the client's callback, optionally
// after tampering with it (OPENER_TAMPER=state|iss) or after denying (OPENER_DECISION=deny).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startRecordingFakeServer } from '../lib/fake-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLIENT = resolve(here, '../flawed-client/client.mjs');
const USER_AGENT = pathToFileURL(resolve(here, '../lib/user-agent.mjs')).href;
const RUN_TIMEOUT_MS = 30_000;
const ATTACKER_ISSUER = 'https://attacker.example.test';

/** The BROWSER program: argv[2] is the authorization URL. */
const OPENER = `#!/usr/bin/env node
import { appendFileSync } from 'node:fs';
import { UserAgent, scrapeForm } from ${JSON.stringify(USER_AGENT)};

const log = (line) => process.env.OPENER_LOG && appendFileSync(process.env.OPENER_LOG, line + '\\n');
setTimeout(() => { log('done ' + process.pid); process.exit(3); }, 20000).unref();
log('pid ' + process.pid);
try {
  if (process.argv.length !== 3) throw new Error('expected exactly one argument, got ' + (process.argv.length - 2));
  const url = process.argv[2];
  log('open ' + url);
  const redirectUri = new URL(url).searchParams.get('redirect_uri');
  const ua = new UserAgent();
  let step = await ua.follow(url, undefined, redirectUri);
  if (!step.redirectedTo) {
    const login = scrapeForm(await step.response.text(), 'login-form', step.url);
    const post = ua.submit(login, 'action=login', { username: 'alice', password: 'alice-password' });
    step = await ua.follow(post.url, post.init, redirectUri);
  }
  if (!step.redirectedTo) {
    const consent = scrapeForm(await step.response.text(), 'consent-form', step.url);
    const post = ua.submit(consent, 'decision=' + (process.env.OPENER_DECISION || 'approve'));
    step = await ua.follow(post.url, post.init, redirectUri);
  }
  if (!step.redirectedTo) throw new Error('the server did not redirect to the client: ' + step.response.status);
  const callback = step.redirectedTo;
  if (process.env.OPENER_TAMPER === 'state') callback.searchParams.set('state', 'tampered-' + Date.now());
  if (process.env.OPENER_TAMPER === 'iss') callback.searchParams.set('iss', ${JSON.stringify(ATTACKER_ISSUER)});
  log('callback ' + callback.href);
  const answer = await fetch(callback, { signal: AbortSignal.timeout(10000) });
  log('callback answered ' + answer.status);
  await answer.text();
} catch (e) {
  log('error ' + (e.stack || e));
  process.exitCode = 1;
}
log('done ' + process.pid);
// Idle keep-alive connections would hold the process open a few seconds more.
process.exit();
`;

let dir;
let opener;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flawed-client-'));
  opener = join(dir, 'open-browser.mjs');
  writeFileSync(opener, OPENER);
  chmodSync(opener, 0o755);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fake server that records requests, with an admin key to read them. */
const recordingServer = startRecordingFakeServer;

/** `--fixtures` for the bundled fixtures with these lines added to their `[server]` table. */
function serverWith(...lines) {
  const bundled = readFileSync(resolve(here, '../../../fixtures/fake-server.toml'), 'utf8');
  assert.ok(bundled.includes('\n[server]\n'), 'the bundled fixtures have a [server] table');
  const file = join(dir, `fixtures-${randomBytes(6).toString('hex')}.toml`);
  writeFileSync(file, bundled.replace('\n[server]\n', `\n[server]\n${lines.join('\n')}\n`));
  return ['--fixtures', file];
}

/** The bundled fixtures with an MCP server that needs no scope: its 401 and metadata name none. */
function serverNamingNoScope() {
  const bundled = readFileSync(resolve(here, '../../../fixtures/fake-server.toml'), 'utf8');
  const line = /^mcp_scopes = .*$/m;
  assert.match(bundled, line, 'the bundled fixtures set mcp_scopes');
  const file = join(dir, `fixtures-${randomBytes(6).toString('hex')}.toml`);
  writeFileSync(file, bundled.replace(line, 'mcp_scopes = []'));
  return ['--fixtures', file];
}

/** The bundled fixtures without the offline_access scope: not listed, refused when asked for. */
function serverWithoutOfflineAccess() {
  const bundled = readFileSync(resolve(here, '../../../fixtures/fake-server.toml'), 'utf8');
  const block = /\n\[\[scopes\]\]\nname = "offline_access"\n[^\[]*/;
  assert.match(bundled, block, 'the bundled fixtures have an offline_access scope');
  const file = join(dir, `fixtures-${randomBytes(6).toString('hex')}.toml`);
  writeFileSync(file, bundled.replace(block, '\n'));
  return ['--fixtures', file];
}

/** The URL of the client's own metadata document, which only the fake server's settings hold. */
const DOCUMENT_URL = 'https://flawed-client.example/oauth-client.json';

/**
 * The bundled fixtures with the client's metadata document known to the server; with
 * `supported` false, the server does not support documents at all (`cimd = false`).
 */
function serverKnowingDocument({ supported = true } = {}) {
  const document = {
    client_id: DOCUMENT_URL,
    client_name: 'flawed client (document)',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
  };
  const toml = Object.entries(document)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  const args = serverWith(`client_metadata_documents = { ${JSON.stringify(DOCUMENT_URL)} = { ${toml} } }`);
  const file = args[1];
  const fixtures = readFileSync(file, 'utf8');
  const line = /^cimd = true\b.*$/m;
  assert.match(fixtures, line, 'the bundled fixtures switch documents on');
  writeFileSync(file, fixtures.replace(line, `cimd = ${supported}`));
  return args;
}

/**
 * A confidential client registered by an operator beforehand: a loopback redirect URI (any
 * port, RFC 8252 §7.3) and client_secret_basic. Resolves to the registration response.
 */
async function registerConfidential(server) {
  const registration = await fetch(`${server.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'pre-registered confidential client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }),
  });
  assert.equal(registration.status, 201);
  return registration.json();
}

/**
 * The client run with `faults` as the confidential client `registerConfidential` makes; with
 * its first token request (asserted to exist).
 */
async function confidentialRun(t, faults) {
  const server = await recordingServer();
  t.after(() => server.stop());
  const { client_id: id, client_secret: secret } = await registerConfidential(server);
  const run = await runClient(server, { faults, env: { OAUTH_CLIENT_ID: id, OAUTH_CLIENT_SECRET: secret } });
  const reqs = await server.requests();
  const why = describeRun(run, reqs);
  const token = reqs.find((r) => r.path === '/token');
  assert.ok(token, why);
  return { run, reqs, why, id, secret, token };
}

/** Clients still running; killed when the test process ends, whatever happened. */
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Whether `pid` is a live process (an unreaped zombie counts as ended). */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return existsSync('/proc/self') ? false : true;
  }
}

/** The openers a run started (they share one log) that are still running. */
function openersStillRunning(log) {
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  return lines.filter((l) => l.startsWith('pid ')).map((l) => Number(l.slice(4))).filter(alive);
}

/** Give a run's openers a moment to end after their client did, then stop them. */
async function stopOpeners(log) {
  for (let i = 0; i < 60 && openersStillRunning(log).length; i++) await new Promise((r) => setTimeout(r, 50));
  for (const pid of openersStillRunning(log)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Run the client against `server`; resolves to `{ code, stdout, stderr, browser }`. */
function runClient(server, { faults = [], decision = 'approve', tamper = '', env = {} } = {}) {
  const log = join(dir, `opener-${randomBytes(6).toString('hex')}.log`);
  const child = spawn(process.execPath, [CLIENT], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      MCP_SERVER_URL: `${server.issuer}/mcp`,
      OAUTH_ISSUER: server.issuer,
      BROWSER: opener,
      FLAWED_CLIENT_FAULTS: faults.join(','),
      FLAWED_CLIENT_TIMEOUT_MS: '15000',
      OPENER_DECISION: decision,
      OPENER_TAMPER: tamper,
      OPENER_LOG: log,
      ...env,
    },
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`the client did not finish in ${RUN_TIMEOUT_MS} ms\nstderr: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('error', rej);
    child.once('close', async (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      await stopOpeners(log);
      const browser = existsSync(log) ? readFileSync(log, 'utf8') : '(the browser was not started)\n';
      res({ code: code ?? signal, stdout, stderr, browser });
    });
  });
}

const param = (pairs, name) => pairs.find(([k]) => k === name)?.[1];
const has = (pairs, name) => pairs.some(([k]) => k === name);
const authorizeRequests = (reqs) => reqs.filter((r) => r.method === 'GET' && r.path === '/authorize');
const codeRedemptions = (reqs) => reqs.filter((r) => r.method === 'POST' && r.path === '/token' && param(r.form, 'grant_type') === 'authorization_code');
const mcpRequests = (reqs) => reqs.filter((r) => r.path === '/mcp');
const describeRun = (run, reqs) =>
  `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}\nbrowser:\n${run.browser}requests:\n${(reqs ?? [])
    .map((r) => `${r.method} ${r.path}${r.query.length ? `?${new URLSearchParams(r.query)}` : ''}`)
    .join('\n')}`;

/**
 * One case: a fresh recording fake server (stopped when the test ends), one client run against
 * it, and every request the server got.
 */
async function scenario(t, { serverArgs = [], ...options } = {}) {
  const server = await recordingServer(serverArgs);
  t.after(() => server.stop());
  const run = await runClient(server, options);
  const reqs = await server.requests();
  return { server, run, reqs, why: describeRun(run, reqs) };
}

// The cases are independent (a server each), so they run side by side.
describe('the flawed client', { concurrency: 4 }, () => {
  test('without faults, approve: from the 401 to whoami as alice, by the book', async (t) => {
    const { server, run, reqs, why } = await scenario(t);
    assert.equal(run.code, 0, why);
    assert.match(run.stdout, /"user":"alice"/, why);

    assert.equal(has(mcpRequests(reqs)[0].headers, 'authorization'), false, why);
    assert.ok(reqs.some((r) => r.method === 'GET' && r.path === '/.well-known/oauth-protected-resource/mcp'), why);
    assert.ok(reqs.some((r) => r.method === 'GET' && r.path === '/.well-known/oauth-authorization-server'), why);
    const registration = reqs.find((r) => r.method === 'POST' && r.path === '/register');
    assert.ok(registration, why);
    assert.equal(registration.json.token_endpoint_auth_method, 'none');
    assert.equal(registration.json.application_type, 'native');
    assert.deepEqual(registration.json.grant_types, ['authorization_code', 'refresh_token']);
    assert.match(registration.json.redirect_uris[0], /^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    assert.equal(authorizeRequests(reqs).length, 1, why);
    const q = authorizeRequests(reqs)[0].query;
    assert.equal(param(q, 'response_type'), 'code');
    assert.equal(param(q, 'redirect_uri'), registration.json.redirect_uris[0]);
    assert.equal(param(q, 'code_challenge_method'), 'S256');
    assert.match(param(q, 'code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.match(param(q, 'state'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(param(q, 'resource'), `${server.issuer}/mcp`);
    // The scope of the 401 challenge, and offline_access, which the authorization server lists.
    assert.equal(param(q, 'scope'), 'projects:read offline_access');

    assert.equal(codeRedemptions(reqs).length, 1, why);
    const token = codeRedemptions(reqs)[0].form;
    assert.match(param(token, 'code_verifier'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(param(token, 'redirect_uri'), param(q, 'redirect_uri'));
    assert.equal(param(token, 'client_id'), param(q, 'client_id'));
    assert.equal(param(token, 'resource'), `${server.issuer}/mcp`);

    const authorized = mcpRequests(reqs).slice(1);
    assert.ok(authorized.length >= 2, `initialize and tools/call with the token\n${why}`);
    for (const r of authorized) {
      assert.match(param(r.headers, 'authorization') ?? '', /^Bearer \S+$/, why);
      assert.equal(has(r.query, 'access_token'), false, why);
    }
    assert.ok(authorized.some((r) => r.json?.method === 'tools/call' && r.json.params?.name === 'whoami'), why);
  });

  test('without faults, deny: exit 1 with the error, and no token request', async (t) => {
    const { run, reqs, why } = await scenario(t, { decision: 'deny' });
    assert.equal(run.code, 1, why);
    assert.match(run.stderr, /access_denied/, why);
    assert.equal(authorizeRequests(reqs).length, 1, `no second attempt\n${why}`);
    assert.equal(reqs.filter((r) => r.path === '/token').length, 0, why);
  });

  test('without faults, a tampered state: exit 2, the code is not redeemed', async (t) => {
    const { run, reqs, why } = await scenario(t, { tamper: 'state' });
    assert.equal(run.code, 2, why);
    assert.match(run.browser, /callback answered 200/, why);
    assert.equal(codeRedemptions(reqs).length, 0, why);
  });

  test("without faults, another issuer's iss: exit 2, the code is not redeemed", async (t) => {
    const { run, reqs, why } = await scenario(t, { tamper: 'iss' });
    assert.equal(run.code, 2, why);
    assert.equal(codeRedemptions(reqs).length, 0, why);
  });

  test('without faults, a pre-registered public client: no registration, the same flow', async (t) => {
    const { run, reqs, why } = await scenario(t, { env: { OAUTH_CLIENT_ID: 'demo-spa' } });
    assert.equal(run.code, 0, why);
    assert.match(run.stdout, /"client_id":"demo-spa"/, why);
    assert.equal(reqs.filter((r) => r.path === '/register').length, 0, why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'client_id'), 'demo-spa');
  });

  test('without faults, a pre-registered confidential client: client_secret_basic', async (t) => {
    const { run, reqs, why, id, secret } = await confidentialRun(t, []);
    assert.ok(id && secret);
    assert.equal(run.code, 0, why);
    assert.equal(reqs.filter((r) => r.path === '/register').length, 1, `only the operator's registration\n${why}`);
    assert.equal(codeRedemptions(reqs).length, 1, why);
    const token = codeRedemptions(reqs)[0];
    const basic = (v) => encodeURIComponent(v).replace(/%20/g, '+');
    assert.equal(param(token.headers, 'authorization'), `Basic ${Buffer.from(`${basic(id)}:${basic(secret)}`).toString('base64')}`, why);
    assert.equal(has(token.form, 'client_secret'), false, why);
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'the secret is never printed');
  });

  for (const [fault, what] of [
    ['wrong-issuer-in-metadata', /issuer/],
    ['no-pkce-methods-in-metadata', /S256/],
  ]) {
    test(`without faults, a server with ${fault} is refused: exit 3 before any authorization`, async (t) => {
      const { run, reqs, why } = await scenario(t, { serverArgs: ['--fault', fault] });
      assert.equal(run.code, 3, why);
      assert.match(run.stderr, what, why);
      assert.equal(reqs.filter((r) => r.path === '/register').length, 0, why);
      assert.equal(authorizeRequests(reqs).length, 0, why);
      assert.equal(run.browser, '(the browser was not started)\n', why);
    });
  }

  test('without faults, a server with prm-resource-trailing-slash is refused: exit 3 (RFC 9728 §3.3)', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: ['--fault', 'prm-resource-trailing-slash'] });
    assert.equal(run.code, 3, why);
    assert.match(run.stderr, /protected-resource metadata/, why);
    assert.equal(authorizeRequests(reqs).length, 0, why);
  });

  for (const [fault, check] of [
    // No challenge at all: the protected-resource metadata is found at its well-known URL.
    ['mcp-no-www-authenticate', ({ reqs, why }) => assert.ok(reqs.some((r) => r.path === '/.well-known/oauth-protected-resource/mcp'), why)],
    // No scope in the challenge: the resource's scopes_supported.
    ['mcp-no-scope-in-challenge', ({ q, why }) => assert.equal(param(q, 'scope'), 'projects:read offline_access', why)],
    // No authorization server named: OAUTH_ISSUER is the fallback, the MCP URL the resource.
    ['prm-no-authorization-servers', ({ q, server, why }) => assert.equal(param(q, 'resource'), `${server.issuer}/mcp`, why)],
  ]) {
    test(`without faults, a server with ${fault}: still authorized`, async (t) => {
      const { server, run, reqs, why } = await scenario(t, { serverArgs: ['--fault', fault] });
      assert.equal(run.code, 0, why);
      assert.match(run.stdout, /"user":"alice"/, why);
      check({ q: authorizeRequests(reqs)[0].query, server, reqs, why });
    });
  }

  test('an unknown fault name is refused before anything is sent', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-such-fault'] });
    assert.equal(run.code, 4, why);
    assert.match(run.stderr, /unknown fault "no-such-fault"/);
    assert.equal(reqs.length, 0);
  });

  test('no-pkce: the authorization request has no code challenge', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-pkce'] });
    assert.equal(authorizeRequests(reqs).length, 1, why);
    const q = authorizeRequests(reqs)[0].query;
    assert.equal(has(q, 'code_challenge'), false, why);
    assert.equal(has(q, 'code_challenge_method'), false, why);
    // The fake server insists on PKCE: it answers with an error, which the client reports.
    assert.equal(run.code, 1, why);
    assert.match(run.stderr, /invalid_request/, why);
  });

  test('no-pkce, where the server lets it through: no code_verifier either', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-pkce'], serverArgs: ['--fault', 'pkce-optional'] });
    assert.equal(has(authorizeRequests(reqs)[0]?.query ?? [], 'code_challenge'), false, why);
    assert.equal(codeRedemptions(reqs).length, 1, why);
    assert.equal(has(codeRedemptions(reqs)[0].form, 'code_verifier'), false, why);
    assert.equal(run.code, 0, why);
  });

  test('plain-pkce: the challenge method is plain', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['plain-pkce'] });
    assert.equal(authorizeRequests(reqs).length, 1, why);
    const q = authorizeRequests(reqs)[0].query;
    assert.equal(param(q, 'code_challenge_method'), 'plain', why);
    assert.match(param(q, 'code_challenge'), /^[A-Za-z0-9_-]{43}$/, why);
    // Refused by the fake server like no-pkce.
    assert.equal(run.code, 1, why);
  });

  test('plain-pkce, where the server lets it through: the verifier is the challenge itself', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['plain-pkce'], serverArgs: ['--fault', 'accept-plain-pkce'] });
    assert.equal(codeRedemptions(reqs).length, 1, why);
    const q = authorizeRequests(reqs)[0].query;
    assert.equal(param(q, 'code_challenge_method'), 'plain', why);
    assert.equal(param(codeRedemptions(reqs)[0].form, 'code_verifier'), param(q, 'code_challenge'), why);
    assert.equal(run.code, 0, why);
  });

  test('ignore-state: a code with a tampered state is redeemed', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['ignore-state'], tamper: 'state' });
    assert.match(run.browser, /callback \S*state=tampered-/, why);
    assert.equal(codeRedemptions(reqs).length, 1, why);
    assert.equal(run.code, 0, why);
  });

  test("ignore-iss: a code with another issuer's iss is redeemed", async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['ignore-iss'], tamper: 'iss' });
    assert.match(run.browser, /callback \S*iss=https%3A%2F%2Fattacker\.example\.test/, why);
    assert.equal(codeRedemptions(reqs).length, 1, why);
    assert.equal(run.code, 0, why);
  });

  test('no-resource: neither the authorization nor the token request names the resource', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-resource'] });
    assert.equal(authorizeRequests(reqs).length, 1, why);
    assert.equal(codeRedemptions(reqs).length, 1, why);
    assert.equal(has(authorizeRequests(reqs)[0].query, 'resource'), false, why);
    assert.equal(has(codeRedemptions(reqs)[0].form, 'resource'), false, why);
    // A token without a resource is not for the MCP server: the fake server refuses it there.
    assert.equal(run.code, 4, why);
    assert.match(run.stderr, /401/, why);
  });

  test('token-in-query: the MCP requests carry the token in the URL, not the header', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['token-in-query'] });
    assert.equal(codeRedemptions(reqs).length, 1, why);
    assert.ok(mcpRequests(reqs).some((r) => has(r.query, 'access_token')), why);
    assert.equal(mcpRequests(reqs).filter((r) => has(r.headers, 'authorization')).length, 0, why);
    // The fake server, like MCP, takes tokens only from the header: the call is refused.
    assert.equal(run.code, 4, why);
    assert.match(run.stderr, /401/, why);
  });

  test('retry-on-deny: a denial starts the authorization again, three more times', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['retry-on-deny'], decision: 'deny' });
    assert.equal(authorizeRequests(reqs).length, 4, why);
    assert.equal(new Set(authorizeRequests(reqs).map((r) => param(r.query, 'state'))).size, 4, `a new state each time\n${why}`);
    assert.equal(reqs.filter((r) => r.path === '/token').length, 0, why);
    assert.equal(run.code, 1, why);
  });

  test('ignore-challenge-scope: the authorization request asks for openid, not the scope the challenge names', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['ignore-challenge-scope'] });
    assert.equal(param(authorizeRequests(reqs)[0].query, 'scope'), 'openid offline_access', why);
    // The token has no projects:read, so the MCP server refuses it.
    assert.equal(run.code, 4, why);
  });

  test('skip-resource-metadata: the client goes to OAUTH_ISSUER without reading the protected-resource metadata', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['skip-resource-metadata'] });
    const wellKnown = reqs.filter((r) => r.path.startsWith('/.well-known/'));
    assert.ok(wellKnown.length >= 1, why);
    assert.equal(wellKnown.filter((r) => r.path.startsWith('/.well-known/oauth-protected-resource')).length, 0, why);
    assert.equal(run.code, 0, why);
  });

  test('without faults, a tool that needs more scope: the client steps up for the union and calls again', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('mcp_tool_scopes = ["profile"]') });
    assert.equal(run.code, 0, why);
    assert.match(run.stdout, /"user":"alice"/, why);
    const scopes = authorizeRequests(reqs).map((r) => param(r.query, 'scope'));
    assert.deepEqual(scopes, ['projects:read offline_access', 'projects:read offline_access profile'], why);
    assert.equal(codeRedemptions(reqs).length, 2, why);
    const calls = mcpRequests(reqs).filter((r) => r.json?.method === 'tools/call');
    assert.equal(calls.length, 2, `the refused call and the one after the step-up\n${why}`);
    assert.notEqual(param(calls[0].headers, 'authorization'), param(calls[1].headers, 'authorization'), why);
  });

  test('no-step-up: a 403 insufficient_scope on the tool call ends the run', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-step-up'], serverArgs: serverWith('mcp_tool_scopes = ["profile"]') });
    assert.equal(run.code, 4, why);
    assert.match(run.stderr, /403 \(insufficient_scope\)/, why);
    assert.equal(authorizeRequests(reqs).length, 1, why);
  });

  test('without faults, a call still refused after the step-up ends the run: one step-up, no more', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('mcp_tool_scopes = ["profile"]', 'withheld_scopes = ["profile"]') });
    assert.equal(run.code, 4, why);
    assert.match(run.stderr, /403 \(insufficient_scope\)/, why);
    assert.equal(authorizeRequests(reqs).length, 2, why);
  });

  test('endless-step-up: every refused call sends the user to sign in again', async (t) => {
    const { run, reqs, why } = await scenario(t, {
      faults: ['endless-step-up'],
      serverArgs: serverWith('mcp_tool_scopes = ["profile"]', 'withheld_scopes = ["profile"]'),
    });
    assert.equal(run.code, 4, why);
    assert.equal(authorizeRequests(reqs).length, 13, `the first authorization and 12 step-ups\n${why}`);
  });

  test('endless-step-up: a step-up that is granted ends the loop at once', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['endless-step-up'], serverArgs: serverWith('mcp_tool_scopes = ["profile"]') });
    assert.equal(run.code, 0, why);
    assert.equal(authorizeRequests(reqs).length, 2, why);
  });

  test('without faults, a tool call redirected to another origin is followed without the token', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('mcp_redirect_tool_calls = true') });
    const moved = reqs.filter((r) => r.path === '/mcp/moved');
    assert.equal(moved.length, 1, why);
    assert.equal(param(moved[0].headers, 'authorization'), undefined, why);
    assert.equal(moved[0].json?.method, 'tools/call', `the same request, body and all\n${why}`);
    assert.equal(run.code, 4, `nothing answers there\n${why}`);
  });

  test('token-follows-redirect: the token goes along to the other origin', async (t) => {
    const { reqs, why } = await scenario(t, { faults: ['token-follows-redirect'], serverArgs: serverWith('mcp_redirect_tool_calls = true') });
    const moved = reqs.filter((r) => r.path === '/mcp/moved');
    assert.equal(moved.length, 1, why);
    assert.match(param(moved[0].headers, 'authorization') ?? '', /^Bearer /, why);
  });

  /** An MCP server that moves to a second authorization server after its first accepted request. */
  async function moving(t, options = {}) {
    // The new server ignores `resource` (RFC 8707 is optional), so it issues tokens for an MCP
    // server whose address is not known before it starts.
    const next = await recordingServer(['--variant', 'no-resource-indicators']);
    t.after(() => next.stop());
    const { server, run, reqs, why } = await scenario(t, { ...options, serverArgs: serverWith(`mcp_moves_to = "${next.issuer}"`) });
    const there = await next.requests();
    return { server, run, reqs, there, why: `${why}\nat the new server:\n${describeRun(run, there).split('requests:\n')[1]}` };
  }

  test('without faults, an MCP server that moves: the client registers with the new server and signs in there', async (t) => {
    const { run, reqs, there, why } = await moving(t);
    const before = param(authorizeRequests(reqs)[0].query, 'client_id');
    assert.equal(there.filter((r) => r.method === 'POST' && r.path === '/register').length, 1, why);
    assert.equal(authorizeRequests(there).length, 1, why);
    assert.notEqual(param(authorizeRequests(there)[0].query, 'client_id'), before, why);
    // The new server's token is refused too (the old one cannot check it): the run ends there.
    assert.equal(run.code, 4, why);
  });

  test('keep-client-on-new-server: the old client id goes to the new server', async (t) => {
    const { reqs, there, why } = await moving(t, { faults: ['keep-client-on-new-server'], env: { FLAWED_CLIENT_TIMEOUT_MS: '2000' } });
    const before = param(authorizeRequests(reqs)[0].query, 'client_id');
    assert.equal(there.filter((r) => r.path === '/register').length, 0, why);
    assert.equal(param(authorizeRequests(there)[0]?.query ?? [], 'client_id'), before, why);
  });

  test('without faults, an issuer with a path: RFC 8414 path-inserted metadata first', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('issuer_path = "/tenant"') });
    assert.equal(run.code, 0, why);
    const metadata = reqs.filter((r) => /^\/.well-known\/(oauth-authorization-server|openid-configuration)|\/\.well-known\/openid-configuration$/.test(r.path));
    assert.equal(metadata[0]?.path, '/.well-known/oauth-authorization-server/tenant', why);
  });

  test('append-well-known: for an issuer with a path, the first metadata request appends the suffix', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['append-well-known'], serverArgs: serverWith('issuer_path = "/tenant"') });
    const metadata = reqs.filter((r) => r.path.includes('/.well-known/oauth-authorization-server'));
    assert.equal(metadata[0]?.path, '/tenant/.well-known/oauth-authorization-server', why);
    // The fake server keeps RFC 8414's location only, so the client falls back and goes on.
    assert.equal(metadata[1]?.path, '/.well-known/oauth-authorization-server/tenant', why);
    assert.equal(run.code, 0, why);
  });

  test('without faults, a 401 that names no metadata: the path-inserted protected-resource URL first', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('mcp_challenge_names_metadata = false') });
    assert.equal(run.code, 0, why);
    assert.equal(has(mcpRequests(reqs)[0].headers, 'authorization'), false, why);
    const wellKnown = reqs.filter((r) => r.path.startsWith('/.well-known/'));
    assert.equal(wellKnown[0]?.path, '/.well-known/oauth-protected-resource/mcp', why);
  });

  test('no-prm-fallback: a 401 that names no metadata sends the client to the MCP server origin as its issuer', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-prm-fallback'], serverArgs: serverWith('mcp_challenge_names_metadata = false') });
    const wellKnown = reqs.filter((r) => r.path.startsWith('/.well-known/'));
    assert.equal(wellKnown[0]?.path, '/.well-known/oauth-authorization-server', why);
    assert.equal(wellKnown.filter((r) => r.path.startsWith('/.well-known/oauth-protected-resource')).length, 0, why);
    // The bundled server is its own MCP server's authorization server, so the guess works here.
    assert.equal(run.code, 0, why);
  });

  test('no-prm-fallback: a 401 that names its metadata is followed as before', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-prm-fallback'] });
    assert.equal(run.code, 0, why);
    assert.equal(reqs.filter((r) => r.path.startsWith('/.well-known/'))[0]?.path, '/.well-known/oauth-protected-resource/mcp', why);
  });

  test('without faults, tokens the MCP server accepts once: a refresh per 401, each with the newest refresh token', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('mcp_token_uses = 1') });
    assert.equal(run.code, 0, why);
    assert.match(run.stdout, /"user":"alice"/, why);
    const presented = reqs.filter((r) => r.path === '/token' && param(r.form, 'grant_type') === 'refresh_token').map((r) => param(r.form, 'refresh_token'));
    assert.equal(presented.length, 2, `initialize, notifications/initialized and tools/call with a token each\n${why}`);
    assert.equal(new Set(presented).size, 2, why);
    assert.equal(authorizeRequests(reqs).length, 1, why);
  });

  test('stale-refresh-token: the second refresh presents the first refresh token, and the server ends the grant', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['stale-refresh-token'], serverArgs: serverWith('mcp_token_uses = 1') });
    const presented = reqs.filter((r) => r.path === '/token' && param(r.form, 'grant_type') === 'refresh_token').map((r) => param(r.form, 'refresh_token'));
    assert.equal(presented.length, 2, why);
    assert.equal(presented[0], presented[1], why);
    assert.equal(run.code, 4, why);
    assert.match(run.stderr, /refresh_token token request failed with 400: invalid_grant/, why);
  });

  test('without faults, a 401 that names no scope: the scope of the resource metadata', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('mcp_challenge_names_scope = false') });
    assert.equal(run.code, 0, why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'scope'), 'projects:read offline_access', why);
  });

  test('no-scope-fallback: a 401 that names no scope leads to an authorization request without one', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-scope-fallback'], serverArgs: serverWith('mcp_challenge_names_scope = false') });
    assert.equal(has(authorizeRequests(reqs)[0].query, 'scope'), false, why);
    // The server gives a client that registered no scope the resource's scopes, so it works here.
    assert.equal(run.code, 0, why);
  });

  test('no-scope-fallback: a 401 that names its scope is followed as before', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-scope-fallback'] });
    assert.equal(run.code, 0, why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'scope'), 'projects:read offline_access', why);
  });

  test('without faults, metadata about another resource: refused before any authorization request (exit 3)', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWith('mcp_metadata_resource = "https://attacker.example.test/mcp"') });
    assert.equal(run.code, 3, why);
    assert.match(run.stderr, /attacker\.example\.test/, why);
    assert.equal(authorizeRequests(reqs).length, 0, why);
  });

  test('trust-metadata-resource: metadata about another resource is used, its resource sent on', async (t) => {
    const { reqs, why } = await scenario(t, {
      faults: ['trust-metadata-resource'],
      serverArgs: serverWith('mcp_metadata_resource = "https://attacker.example.test/mcp"'),
    });
    assert.equal(param(authorizeRequests(reqs)[0]?.query ?? [], 'resource'), 'https://attacker.example.test/mcp', why);
  });

  test('without faults, a server that does not list offline_access: the scope of the 401 alone', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverWithoutOfflineAccess() });
    assert.equal(run.code, 0, why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'scope'), 'projects:read', why);
  });

  test('offline-access-unlisted: offline_access asked for although the server does not list it, and refused', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['offline-access-unlisted'], serverArgs: serverWithoutOfflineAccess() });
    assert.equal(param(authorizeRequests(reqs)[0].query, 'scope'), 'projects:read offline_access', why);
    assert.equal(run.code, 1, why);
    assert.match(run.stderr, /invalid_scope/, why);
  });

  test('without faults, a resource that names no scope: the authorization request has none', async (t) => {
    const { run, reqs, why } = await scenario(t, { serverArgs: serverNamingNoScope() });
    assert.equal(run.code, 0, why);
    assert.equal(has(authorizeRequests(reqs)[0].query, 'scope'), false, why);
  });

  test('scope-when-undefined: a resource that names no scope gets the authorization server\'s scopes asked for', async (t) => {
    const { reqs, why } = await scenario(t, { faults: ['scope-when-undefined'], serverArgs: serverNamingNoScope() });
    const scope = param(authorizeRequests(reqs)[0]?.query ?? [], 'scope') ?? '';
    assert.ok(scope.split(' ').includes('projects:write'), why);
  });

  test('scope-when-undefined: a 401 that names its scope is followed as before', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['scope-when-undefined'] });
    assert.equal(run.code, 0, why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'scope'), 'projects:read offline_access', why);
  });

  test('no-refresh-grant-type: registered for the code grant alone, it gets no refresh token', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-refresh-grant-type'] });
    const registration = reqs.find((r) => r.method === 'POST' && r.path === '/register');
    assert.deepEqual(registration?.json?.grant_types, ['authorization_code'], why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'scope'), 'projects:read offline_access', why);
    assert.equal(run.code, 0, why);
  });

  test('no-application-type: the registration request has no application_type', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['no-application-type'] });
    const registrations = reqs.filter((r) => r.path === '/register');
    assert.equal(registrations.length, 1, why);
    assert.equal(registrations[0].json?.application_type, undefined, why);
    assert.equal(run.code, 0, why);
  });

  test('register-anyway: a client given OAUTH_CLIENT_ID registers itself all the same', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['register-anyway'], env: { OAUTH_CLIENT_ID: 'demo-spa' } });
    assert.equal(reqs.filter((r) => r.path === '/register').length, 1, why);
    assert.notEqual(param(authorizeRequests(reqs)[0].query, 'client_id'), 'demo-spa', why);
    assert.equal(run.code, 0, why);
  });

  test('without faults, given a client ID metadata document: its URL is the client id, no registration', async (t) => {
    const { run, reqs, why } = await scenario(t, { env: { OAUTH_CLIENT_METADATA_URL: DOCUMENT_URL }, serverArgs: serverKnowingDocument() });
    assert.equal(run.code, 0, why);
    assert.equal(reqs.filter((r) => r.path === '/register').length, 0, why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'client_id'), DOCUMENT_URL, why);
    assert.equal(param(codeRedemptions(reqs)[0].form, 'client_id'), DOCUMENT_URL, why);
  });

  test('without faults, a document at a server that does not support documents: it registers', async (t) => {
    const { run, reqs, why } = await scenario(t, { env: { OAUTH_CLIENT_METADATA_URL: DOCUMENT_URL }, serverArgs: serverKnowingDocument({ supported: false }) });
    assert.equal(run.code, 0, why);
    assert.equal(reqs.filter((r) => r.path === '/register').length, 1, why);
    assert.notEqual(param(authorizeRequests(reqs)[0].query, 'client_id'), DOCUMENT_URL, why);
  });

  test('register-despite-document: it registers although the server supports its document', async (t) => {
    const { run, reqs, why } = await scenario(t, {
      faults: ['register-despite-document'],
      env: { OAUTH_CLIENT_METADATA_URL: DOCUMENT_URL },
      serverArgs: serverKnowingDocument(),
    });
    assert.equal(run.code, 0, why);
    assert.equal(reqs.filter((r) => r.path === '/register').length, 1, why);
    assert.notEqual(param(authorizeRequests(reqs)[0].query, 'client_id'), DOCUMENT_URL, why);
  });

  test('document-unadvertised: it signs in with its URL where documents are not supported', async (t) => {
    const { run, reqs, why } = await scenario(t, {
      faults: ['document-unadvertised'],
      env: { OAUTH_CLIENT_METADATA_URL: DOCUMENT_URL, FLAWED_CLIENT_TIMEOUT_MS: '2000' },
      serverArgs: serverKnowingDocument({ supported: false }),
    });
    assert.notEqual(run.code, 0, why);
    assert.equal(reqs.filter((r) => r.path === '/register').length, 0, why);
    assert.equal(param(authorizeRequests(reqs)[0].query, 'client_id'), DOCUMENT_URL, why);
    assert.equal(codeRedemptions(reqs).length, 0, why);
  });

  test('secret-in-body: the given client\'s secret goes in the body instead of HTTP Basic', async (t) => {
    const { run, why, id, secret, token } = await confidentialRun(t, ['secret-in-body']);
    assert.equal(param(token.headers, 'authorization'), undefined, why);
    assert.equal(param(token.form, 'client_secret'), secret, why);
    assert.equal(param(token.form, 'client_id'), id, why);
    // The bundled server accepts either method (its single-auth-method variant would not).
    assert.equal(run.code, 0, why);
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'the secret is never printed');
  });

  test('token-redirect-uri-differs: the code is redeemed with another redirect_uri, and refused', async (t) => {
    const { run, reqs, why } = await scenario(t, { faults: ['token-redirect-uri-differs'] });
    const sent = param(authorizeRequests(reqs)[0].query, 'redirect_uri');
    const token = codeRedemptions(reqs)[0];
    assert.ok(token, why);
    assert.equal(param(token.form, 'redirect_uri'), `${sent}/`, why);
    assert.equal(run.code, 4, why);
    assert.match(run.stderr, /invalid_grant/, why);
  });

  test('double-client-auth: the token request carries the secret in the Basic header and in the body', async (t) => {
    const { why, secret, token } = await confidentialRun(t, ['double-client-auth']);
    assert.match(param(token.headers, 'authorization') ?? '', /^Basic /, why);
    assert.equal(param(token.form, 'client_secret'), secret, why);
  });
});
