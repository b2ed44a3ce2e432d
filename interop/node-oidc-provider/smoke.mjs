// Smoke check of a running interop target (start.sh first).
//   node smoke.mjs [issuer]      default issuer: http://127.0.0.1:${PORT:-3100}
// Drives discovery, client_credentials, a full authorization code + PKCE flow
// through the development login and consent pages, refresh, introspection,
// revocation and dynamic registration, with plain HTTP requests. Prints one
// line per check and ends with "N passed, N failed"; exit code 1 on a failure.

import * as crypto from 'node:crypto';

const ISSUER = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? '3100'}`;
const CONFIDENTIAL = { id: 'conformance-confidential', secret: 's3cr:t+/%val' };
const PUBLIC_ID = 'conformance-public';
const REDIRECT = 'http://127.0.0.1:8765/callback'; // registered without a port: loopback port is ignored

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` -- ${detail}` : ''}`);
}

// RFC 6749 §2.3.1: form-urlencode id and secret before base64.
const formEncode = (s) => encodeURIComponent(s).replace(/%20/g, '+');
const basic = ({ id, secret }) => `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;
const b64url = (buf) => Buffer.from(buf).toString('base64url');

// A name-keyed cookie jar; good enough for one sequential flow.
class Jar {
  #cookies = new Map();
  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expires = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('expires='));
      if (value === '' || (expires && Date.parse(expires.slice(8)) < Date.now())) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function http(url, { jar, ...init } = {}) {
  const headers = new Headers(init.headers);
  if (jar) headers.set('cookie', jar.header());
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  if (jar) jar.store(response);
  return response;
}

const form = (fields) => new URLSearchParams(fields);
const post = (url, fields, headers = {}) => http(url, { method: 'POST', body: form(fields), headers });

async function main() {
  // Discovery
  const meta = await (await http(`${ISSUER}/.well-known/openid-configuration`)).json();
  check('openid-configuration issuer', meta.issuer === ISSUER, meta.issuer);
  const asMeta = await http(`${ISSUER}/.well-known/oauth-authorization-server`);
  check('oauth-authorization-server answers 200', asMeta.status === 200, String(asMeta.status));
  check('iss parameter advertised', meta.authorization_response_iss_parameter_supported === true);

  // client_credentials, JWT access token for the /api resource
  const cc = await post(meta.token_endpoint, {
    grant_type: 'client_credentials', scope: 'projects:read', resource: `${ISSUER}/api`,
  }, { authorization: basic(CONFIDENTIAL) });
  const ccBody = await cc.json();
  const ccClaims = ccBody.access_token ? JSON.parse(Buffer.from(ccBody.access_token.split('.')[1] ?? '', 'base64url').toString() || '{}') : {};
  check('client_credentials with resource -> JWT aud', cc.status === 200 && ccClaims.aud === `${ISSUER}/api`, JSON.stringify({ status: cc.status, aud: ccClaims.aud }));

  // Authorization code + PKCE through the dev interaction pages
  const jar = new Jar();
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  const state = b64url(crypto.randomBytes(8));
  const authz = new URL(meta.authorization_endpoint);
  authz.search = form({
    response_type: 'code', client_id: PUBLIC_ID, redirect_uri: REDIRECT,
    scope: 'openid profile email', state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();

  let url = authz.href;
  let final;
  for (let hop = 0; hop < 12 && !final; hop += 1) {
    const res = await http(url, { jar });
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.origin !== new URL(ISSUER).origin) final = next;
      url = next.href;
      continue;
    }
    const html = await res.text();
    const action = html.match(/<form[^>]*action="([^"]+)"[^>]*method="post"/)?.[1];
    const prompt = html.match(/name="prompt" value="([^"]+)"/)?.[1];
    if (!action || !prompt) throw new Error(`unexpected page at ${url} (status ${res.status})`);
    const fields = prompt === 'login' ? { prompt, login: 'alice', password: 'alice-password' } : { prompt };
    const submitted = await http(new URL(action.replaceAll('&amp;', '&'), url), { method: 'POST', body: form(fields), jar });
    url = new URL(submitted.headers.get('location'), url).href;
  }
  check('authorization redirect reached the client', !!final, final?.href);
  check('state echoed', final?.searchParams.get('state') === state);
  check('iss in authorization response', final?.searchParams.get('iss') === ISSUER);
  const code = final?.searchParams.get('code');

  const tok = await post(meta.token_endpoint, {
    grant_type: 'authorization_code', client_id: PUBLIC_ID, code, redirect_uri: REDIRECT, code_verifier: verifier,
  });
  const tokens = await tok.json();
  check('code exchange', tok.status === 200 && !!tokens.access_token && !!tokens.refresh_token, JSON.stringify(Object.keys(tokens)));

  const me = await (await http(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
  check('userinfo sub and email', me.sub === 'alice' && me.email === 'alice@example.test', JSON.stringify(me));

  const refreshed = await (await post(meta.token_endpoint, {
    grant_type: 'refresh_token', client_id: PUBLIC_ID, refresh_token: tokens.refresh_token,
  })).json();
  check('refresh rotates for public client', !!refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);

  const intro = await (await post(meta.introspection_endpoint, { token: refreshed.access_token }, { authorization: basic(CONFIDENTIAL) })).json();
  check('introspection active', intro.active === true && intro.sub === 'alice', JSON.stringify(intro));

  const rev = await post(meta.revocation_endpoint, { client_id: PUBLIC_ID, token: refreshed.refresh_token, token_type_hint: 'refresh_token' });
  check('revocation 200', rev.status === 200, String(rev.status));
  const after = await (await post(meta.introspection_endpoint, { token: refreshed.refresh_token }, { authorization: basic(CONFIDENTIAL) })).json();
  check('revoked refresh token inactive', after.active === false);

  // Dynamic registration (RFC 7591) and management (RFC 7592)
  const reg = await http(meta.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9999/cb'], token_endpoint_auth_method: 'none', client_name: 'smoke' }),
  });
  const client = await reg.json();
  check('registration 201', reg.status === 201 && !!client.client_id && !!client.registration_access_token, String(reg.status));
  const del = await http(client.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${client.registration_access_token}` } });
  check('registration delete 204', del.status === 204, String(del.status));
}

try {
  await main();
} catch (err) {
  check('smoke run completed', false, err.stack);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
