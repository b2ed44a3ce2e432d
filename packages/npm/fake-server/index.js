// Start the in-memory OAuth 2.1 authorization server `oauth-fake-server` from a JavaScript
// test suite (node:test, Vitest, Jest, Playwright): a free port on 127.0.0.1, the issuer once
// it listens, the users and clients it serves, and a stop for teardown.

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_HOPS = 20;

/** Every server this process started: a test runner that exits early still stops them. */
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The `oauth-fake-server` executable: `binary` if given, else `OAUTH_FAKE_SERVER_BIN`, else
 * the one in this platform's package (`@oauth-conformance/fake-server-<platform>-<arch>`).
 */
export function binaryPath(binary) {
  const chosen = binary ?? process.env.OAUTH_FAKE_SERVER_BIN;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`oauth-fake-server: no executable at ${chosen}`);
    return chosen;
  }
  const name = `@oauth-conformance/fake-server-${process.platform}-${process.arch}`;
  try {
    return require.resolve(`${name}/bin/oauth-fake-server`);
  } catch {
    throw new Error(
      `oauth-fake-server: no prebuilt binary for ${process.platform}-${process.arch} (the package ${name} is ` +
        'not installed); build one with `cargo build --release -p fake-server` and set OAUTH_FAKE_SERVER_BIN',
    );
  }
}

function commandLine({ fixtures, faults = [], variants = [], jwt = false, issuer, args = [] }) {
  const argv = [];
  if (fixtures) argv.push('--fixtures', fixtures);
  for (const f of faults) argv.push('--fault', f);
  for (const v of variants) argv.push('--variant', v);
  if (jwt) argv.push('--jwt');
  if (issuer) argv.push('--issuer', issuer);
  return [...argv, ...args];
}

/** The environment without `FAKE_OAUTH_*` settings, so only the options given here apply. */
function cleanEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('FAKE_OAUTH_')) delete env[key];
  return env;
}

/**
 * Start a fake server and wait until it listens.
 *
 * Options: `fixtures` (path of a fixtures TOML file), `faults` and `variants` (names, as
 * `oauth-fake-server --list-faults` / `--list-variants` print them), `jwt` (RFC 9068 access
 * tokens), `issuer` (a public base URL), `args` (more command-line arguments), `binary`.
 */
export async function startFakeServer(options = {}) {
  const bin = binaryPath(options.binary);
  const argv = commandLine(options);
  const env = cleanEnv();
  let seed;
  try {
    const { stdout } = await run(bin, ['--print-fixtures', ...argv], { env, maxBuffer: 16 << 20 });
    seed = JSON.parse(stdout);
  } catch (e) {
    throw new Error(`oauth-fake-server: ${(e.stderr || e.message).trim()}`);
  }
  const adminKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const child = spawn(bin, ['--port', '0', '--quiet', '--admin-key', adminKey, ...argv], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  exited.then(() => running.delete(child));

  const issuer = await new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`oauth-fake-server ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, nl).trim());
      }
    });
    child.once('error', (e) => fail(`could not be started (${e.message})`));
    exited.then(({ code, signal }) => fail(`exited before it listened (code ${code}, signal ${signal})`));
  });
  return new FakeServer({ issuer, seed, adminKey, child, exited, output: () => stderr });
}

/** A running fake server. `stop()` (or `await using`) ends it. */
export class FakeServer {
  #child;
  #exited;

  constructor({ issuer, seed, adminKey, child, exited, output }) {
    /** The issuer URL, e.g. `http://127.0.0.1:41234`. */
    this.issuer = issuer;
    /** RFC 8414 metadata URL. */
    this.metadataUrl = `${issuer}/.well-known/oauth-authorization-server`;
    /** The pre-registered clients, as in the fixtures (`client_id`, `client_secret`, ...). */
    this.clients = seed.clients;
    /** The users who can sign in (`username`, `password`, ...). */
    this.users = seed.users;
    /** The scopes with the sentence the consent page shows. */
    this.scopes = seed.scopes;
    /** The admin key: Bearer for `/admin/api/...`. */
    this.adminKey = adminKey;
    /** What the server wrote on stderr so far. */
    this.output = output;
    this.#child = child;
    this.#exited = exited;
  }

  /** The client with this id; throws when the fixtures have none. */
  client(id) {
    const c = this.clients.find((c) => c.client_id === id);
    if (!c) throw new Error(`no client ${id}; the fixtures have ${this.clients.map((c) => c.client_id).join(', ')}`);
    return c;
  }

  /** A URL on the server: `url('/token')`. */
  url(path) {
    return `${this.issuer}${path}`;
  }

  async #admin(path, body) {
    const r = await fetch(this.url(`/admin/api${path}`), {
      method: 'POST',
      headers: { authorization: `Bearer ${this.adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`oauth-fake-server: POST /admin/api${path} answered ${r.status}: ${await r.text()}`);
    return r;
  }

  /** Move the server's clock forward: codes, tokens and sessions expire as if time passed. */
  async advance(seconds) {
    await this.#admin('/clock/advance', { seconds });
  }

  /** Back to the fixtures: no registered clients, sessions, grants or tokens. */
  async reset() {
    await this.#admin('/reset');
  }

  /**
   * Play the user for an authorization request, as a browser would: open `authorizationUrl`,
   * sign in on the login page and approve (or deny) on the consent page. Resolves to the URL
   * the server redirects to (the client's redirect URI with `code` or `error`, and `state`,
   * `iss`), which is not loaded. The user is the first in the fixtures unless given.
   */
  async signIn(authorizationUrl, { username, password, consent = 'approve' } = {}) {
    const user = username ? this.users.find((u) => u.username === username) : this.users[0];
    const creds = { username: username ?? user?.username, password: password ?? user?.password };
    if (!creds.username) throw new Error('oauth-fake-server: the fixtures have no user; pass username and password');
    const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri');
    const issuerOrigin = new URL(this.issuer).origin;
    const leaves = (url) => (redirectUri ? url.startsWith(redirectUri) : new URL(url).origin !== issuerOrigin);
    const jar = new Map();
    const trail = [];
    const request = async (url, init = {}) => {
      const headers = new Headers(init.headers);
      if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const r = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const line of r.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
        if (value === '' || attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))) jar.delete(name);
        else jar.set(name, value);
      }
      trail.push(`${init.method ?? 'GET'} ${url} -> ${r.status}`);
      return r;
    };
    let url = authorizationUrl;
    let response = await request(url);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      if ([301, 302, 303, 307, 308].includes(response.status)) {
        const next = new URL(response.headers.get('location'), url).href;
        if (leaves(next)) return next;
        url = next;
        response = await request(url);
        continue;
      }
      const html = await response.text();
      const login = form(html, 'login-form', url);
      const approval = login ? null : form(html, 'consent-form', url);
      const chosen = login ?? approval;
      if (!chosen) {
        throw new Error(`oauth-fake-server: signIn met a page with neither login nor consent form (${response.status} ${url}):\n${html.slice(0, 1500)}\n${trail.join('\n')}`);
      }
      const body = new URLSearchParams(chosen.fields);
      if (login) {
        body.set('username', creds.username);
        body.set('password', creds.password);
        body.set('action', 'login');
      } else {
        body.set('decision', consent);
      }
      url = chosen.action;
      response = await request(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    }
    throw new Error(`oauth-fake-server: more than ${MAX_HOPS} steps without reaching the redirect URI:\n${trail.join('\n')}`);
  }

  /** Stop the server (SIGINT, then SIGKILL after 5 s). Safe to call twice. */
  async stop() {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose]() {
    await this.stop();
  }
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", apos: "'" };
const unescape = (s) => s.replace(/&(amp|lt|gt|quot|#39|#x27|apos);/g, (_, e) => ENTITIES[e]);

function attributes(tag) {
  const out = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g)) {
    out[m[1].toLowerCase()] = m[2] === undefined ? '' : unescape(m[2]);
  }
  return out;
}

/** The form `#id` of the fake server's own pages: its action and the fields a browser sends. */
function form(html, id, pageUrl) {
  const open = [...html.matchAll(/<form\b[^>]*>/gi)].find((m) => attributes(m[0]).id === id);
  if (!open) return null;
  const end = html.indexOf('</form>', open.index);
  const inner = html.slice(open.index + open[0].length, end < 0 ? undefined : end);
  const fields = [];
  for (const m of inner.matchAll(/<input\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    const type = (a.type ?? 'text').toLowerCase();
    if (!a.name || ((type === 'checkbox' || type === 'radio') && !('checked' in a))) continue;
    fields.push([a.name, a.value ?? '']);
  }
  return { action: new URL(attributes(open[0]).action ?? '', pageUrl).href, fields };
}
