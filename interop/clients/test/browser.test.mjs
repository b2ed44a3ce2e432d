// Headless Chromium (Debian's `chromium`, driven by playwright-core) runs a single-page app
// served from another origin than the fake server: the public-client PKCE flow with a user
// clicking through login and consent, and a token exchange whose cross-origin `fetch` the
// browser's own CORS check must allow. A copy of the app on an origin outside the server's
// `cors_origins` must be blocked by that same check.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startFakeServer } from '../lib/fake-server.mjs';
import { startStaticServer } from '../lib/static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(here, '..', 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const SCOPE = 'openid profile email projects:read';

let spa; // the app's origin, listed in cors_origins
let other; // the same app on an origin the server does not list
let server;
let profileDir;
let context; // one browser, a fresh profile; cookies are cleared between tests

before(async () => {
  spa = await startStaticServer();
  other = await startStaticServer();
  profileDir = await mkdtemp(join(tmpdir(), 'interop-chromium-'));
  const template = await readFile(join(here, '..', 'fixtures', 'browser.toml'), 'utf8');
  const fixtures = join(profileDir, 'fake-server.toml');
  await writeFile(fixtures, template.replaceAll('{{SPA_ORIGIN}}', spa.origin).replaceAll('{{OTHER_ORIGIN}}', other.origin));
  server = await startFakeServer({ fixtures });
  // playwright wants the profile directory as an argument, not as --user-data-dir.
  context = await chromium.launchPersistentContext(join(profileDir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 720, height: 900 },
  });
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  await context?.close();
  await server?.stop();
  await spa?.close();
  await other?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

/** Run `body` with a fresh page; on failure keep a screenshot of where it stopped. */
async function withPage(name, body) {
  const { page, consoleLines } = await newPage();
  try {
    await body(page, consoleLines);
  } catch (e) {
    await page.screenshot({ path: join(ARTIFACTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await page.close();
  }
}

/** A fresh page with its console captured, for the failure messages. */
async function newPage() {
  await context.clearCookies();
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e}`));
  return { page, consoleLines };
}

/** Open the app on `origin`, press Sign in, sign in as alice and return on the consent page. */
async function throughLogin(page, origin) {
  const start = new URL('/index.html', origin);
  start.search = new URLSearchParams({ issuer: server.issuer, client_id: 'interop-spa', scope: SCOPE });
  await page.goto(start.href);
  await Promise.all([page.waitForURL(`${server.issuer}/login?**`), page.click('#sign-in')]);
  await page.fill('form#login-form input[name="username"]', 'alice');
  await page.fill('form#login-form input[name="password"]', 'alice-password');
  await Promise.all([
    page.waitForURL(`${server.issuer}/consent?**`),
    page.click('form#login-form button[name="action"][value="login"]'),
  ]);
}

/** Approve consent and wait until the callback page reports success or failure. */
async function approve(page, origin) {
  await Promise.all([
    page.waitForURL(`${origin}/callback.html**`),
    page.click('form#consent-form button[name="decision"][value="approve"]'),
  ]);
  await page.waitForSelector('#result:not([hidden]), #error:not([hidden])', { timeout: 10_000 });
}

test('an app on an allowed origin signs in with PKCE and reads the token across origins', async () => {
  await withPage('allowed-origin', async (page, consoleLines) => {
    await throughLogin(page, spa.origin);

    // The consent page, as the user sees it.
    await page.waitForFunction(() => document.getElementById('client-logo')?.complete);
    await page.screenshot({ path: join(ARTIFACTS, 'consent.png'), fullPage: true });
    assert.equal(await page.textContent('#client-name'), 'Interop Browser App');
    const logoWidth = await page.$eval('#client-logo', (img) => img.naturalWidth);
    assert.ok(logoWidth > 0, 'the client logo loaded');
    assert.deepEqual(await page.$$eval('.scope-description', (els) => els.map((e) => e.textContent)), [
      'Confirm who you are',
      'See your name and username',
      'See your email address',
      'View your projects',
    ]);
    assert.equal(await page.textContent('#redirect-host'), '127.0.0.1');
    assert.ok(await page.isVisible('button[name="decision"][value="approve"]'), 'an Allow button');
    assert.ok(await page.isVisible('button[name="decision"][value="deny"]'), 'a Deny button');

    await approve(page, spa.origin);
    const failure = await page.textContent('#error');
    assert.equal(await page.isHidden('#error'), true, `the app reported: ${failure}\n${consoleLines.join('\n')}`);
    assert.equal(await page.textContent('#token-type'), 'Bearer');
    assert.match(await page.textContent('#access-token'), /^\S{8}… \(\d+ characters\)$/);
    assert.deepEqual((await page.textContent('#scope')).split(' ').sort(), SCOPE.split(' ').sort());
    assert.equal(await page.textContent('#user-sub'), 'alice');
    assert.equal(await page.textContent('#user-name'), 'Alice Example');
  });
});

test('the same app on an origin outside cors_origins is blocked by the browser', async () => {
  await withPage('blocked-origin', async (page, consoleLines) => {
    await throughLogin(page, other.origin);
    await approve(page, other.origin);
    const log = consoleLines.join('\n');
    assert.equal(await page.isHidden('#result'), true, 'the app must not get a token');
    assert.equal(await page.getAttribute('#error', 'data-name'), 'TypeError', `the fetch must fail; console:\n${log}`);
    assert.match(log, /has been blocked by CORS policy/, 'Chromium names CORS as the reason');
  });

  // The server did answer; only the missing Access-Control-Allow-Origin made the browser refuse.
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { origin: other.origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=authorization_code&code=x&client_id=interop-spa&code_verifier=x',
  });
  assert.equal(response.headers.get('access-control-allow-origin'), null);
  const allowed = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { origin: spa.origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=authorization_code&code=x&client_id=interop-spa&code_verifier=x',
  });
  assert.equal(allowed.headers.get('access-control-allow-origin'), spa.origin);
});
