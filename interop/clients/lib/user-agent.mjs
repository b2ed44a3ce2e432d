// A scripted user for the fake server's login and consent pages: plain `fetch` with manual
// redirects and a tiny cookie jar, so the tests see every hop the way a browser would take it.
//
// The form scraping is deliberately narrow: it knows the fake server's markup
// (`form#login-form`, `form#consent-form`) and throws with the page when that markup changes.

import assert from 'node:assert/strict';

const MAX_HOPS = 10;

/** Cookies per host, honouring only what the fake server uses (Path=/, no Domain). */
class CookieJar {
  #byHost = new Map();

  store(url, response) {
    const host = new URL(url).host;
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const jar = this.#byHost.get(host) ?? new Map();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
      this.#byHost.set(host, jar);
    }
  }

  header(url) {
    const jar = this.#byHost.get(new URL(url).host);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" };
const unescapeHtml = (s) => s.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_, e) => ENTITIES[e]);

function attributes(tag) {
  const attrs = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g)) {
    attrs[m[1].toLowerCase()] = m[2] === undefined ? '' : unescapeHtml(m[2]);
  }
  return attrs;
}

/**
 * The form with `id` in `html`: its action (absolute, resolved against `pageUrl`), the fields a
 * browser would submit before a button is pressed (hidden and text inputs, checked boxes), and
 * the submit buttons as `name=value` strings.
 */
export function scrapeForm(html, id, pageUrl) {
  const open = [...html.matchAll(/<form\b[^>]*>/gi)].find((m) => attributes(m[0]).id === id);
  if (!open) throw new Error(`no form#${id} on ${pageUrl}; page was:\n${html.slice(0, 2000)}`);
  const attrs = attributes(open[0]);
  const end = html.indexOf('</form>', open.index);
  const inner = html.slice(open.index + open[0].length, end < 0 ? undefined : end);
  const fields = [];
  for (const m of inner.matchAll(/<input\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    if (!a.name) continue;
    const type = (a.type ?? 'text').toLowerCase();
    if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
    fields.push([a.name, a.value ?? '']);
  }
  const buttons = [...inner.matchAll(/<button\b[^>]*>/gi)]
    .map((m) => attributes(m[0]))
    .filter((a) => a.name)
    .map((a) => `${a.name}=${a.value ?? ''}`);
  return {
    action: new URL(attrs.action ?? '', pageUrl).href,
    method: (attrs.method ?? 'get').toLowerCase(),
    fields,
    buttons,
  };
}

export class UserAgent {
  jar = new CookieJar();
  /** Every request this agent made, as `METHOD url -> status`, for failure messages. */
  trail = [];

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.jar.store(url, response);
    this.trail.push(`${init.method ?? 'GET'} ${url} -> ${response.status}`);
    return response;
  }

  /**
   * Follow redirects from `url` until one points at `stopAt` (a redirect URI prefix) or a page
   * answers. Returns `{ url, response }` for a page, or `{ redirectedTo }` for `stopAt`.
   */
  async follow(url, init, stopAt) {
    let response = await this.request(url, init);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      if (![301, 302, 303, 307, 308].includes(response.status)) return { url, response };
      const next = new URL(response.headers.get('location'), url).href;
      if (stopAt && next.startsWith(stopAt)) return { redirectedTo: new URL(next) };
      url = next;
      response = await this.request(url);
    }
    throw new Error(`more than ${MAX_HOPS} redirects:\n${this.trail.join('\n')}`);
  }

  submit(form, button, extra = {}) {
    assert.ok(form.buttons.includes(button), `the form has no button ${button}; it has ${form.buttons.join(', ')}`);
    const body = new URLSearchParams(form.fields);
    for (const [k, v] of Object.entries(extra)) body.set(k, v);
    const [name, value] = button.split('=');
    body.append(name, value);
    return { url: form.action, init: { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } } };
  }

  /**
   * Play the user: open `authorizationUrl`, sign in, approve consent, and return the URL the
   * server finally redirects to (which starts with `redirectUri`).
   */
  async authorize(authorizationUrl, redirectUri, { username = 'alice', password = 'alice-password' } = {}) {
    const fail = (what, page) => new Error(`${what}\n${this.trail.join('\n')}\n${page ?? ''}`.slice(0, 4000));
    let step = await this.follow(String(authorizationUrl), undefined, redirectUri);
    if (step.redirectedTo) throw fail('the server redirected back without asking the user to sign in');
    let html = await step.response.text();
    if (step.response.status !== 200) throw fail(`expected the login page, got ${step.response.status}`, html);

    const login = scrapeForm(html, 'login-form', step.url);
    const loginPost = this.submit(login, 'action=login', { username, password });
    step = await this.follow(loginPost.url, loginPost.init, redirectUri);
    if (step.redirectedTo) throw fail('the server skipped the consent page');
    html = await step.response.text();
    if (step.response.status !== 200) throw fail(`expected the consent page, got ${step.response.status}`, html);

    const consent = scrapeForm(html, 'consent-form', step.url);
    const consentPost = this.submit(consent, 'decision=approve');
    step = await this.follow(consentPost.url, consentPost.init, redirectUri);
    if (!step.redirectedTo) throw fail('approving consent did not redirect to the client', await step.response.text());
    return step.redirectedTo;
  }
}
