// A single-page app doing the OAuth 2.1 authorization code flow with PKCE as a public client,
// entirely in the browser: discovery, the redirect to /authorize, and on return the token
// exchange and a userinfo call, both cross-origin `fetch` calls that CORS must allow.
// Configuration comes from the query string of index.html: ?issuer=…&client_id=…&scope=…

'use strict';

const KEY = 'interop-spa';

function base64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function signIn() {
  const q = new URLSearchParams(location.search);
  const issuer = q.get('issuer');
  const metadata = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
  if (metadata.issuer !== issuer) throw new Error(`metadata issuer ${metadata.issuer} is not ${issuer}`);
  const verifier = random();
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const flow = {
    issuer,
    clientId: q.get('client_id'),
    redirectUri: new URL('callback.html', location.href).href,
    state: random(),
    verifier,
    tokenEndpoint: metadata.token_endpoint,
    userinfoEndpoint: metadata.userinfo_endpoint,
  };
  sessionStorage.setItem(KEY, JSON.stringify(flow));
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: flow.clientId,
    redirect_uri: flow.redirectUri,
    scope: q.get('scope') ?? 'openid profile',
    state: flow.state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(url);
}

async function completeSignIn() {
  const flow = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  sessionStorage.removeItem(KEY);
  if (!flow) throw new Error('no sign-in in progress');
  const q = new URLSearchParams(location.search);
  if (q.get('error')) throw new Error(`authorization failed: ${q.get('error')}`);
  if (q.get('state') !== flow.state) throw new Error('state mismatch');
  if (q.get('iss') !== flow.issuer) throw new Error(`iss mismatch: ${q.get('iss')}`);

  // A form-encoded POST is a CORS "simple" request: no preflight, so only the
  // Access-Control-Allow-Origin of the actual response lets this page read it.
  const tokenResponse = await fetch(flow.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: q.get('code'),
      redirect_uri: flow.redirectUri,
      client_id: flow.clientId,
      code_verifier: flow.verifier,
    }),
  });
  const token = await tokenResponse.json();
  if (!tokenResponse.ok) throw new Error(`token endpoint: ${token.error}: ${token.error_description}`);
  show('token-type', token.token_type);
  show('access-token', `${token.access_token.slice(0, 8)}… (${token.access_token.length} characters)`);
  show('scope', token.scope);

  // The Authorization header makes this one preflighted.
  const userinfoResponse = await fetch(flow.userinfoEndpoint, {
    headers: { authorization: `Bearer ${token.access_token}` },
  });
  const user = await userinfoResponse.json();
  if (!userinfoResponse.ok) throw new Error(`userinfo: ${userinfoResponse.status}`);
  show('user-sub', user.sub);
  show('user-name', user.name);
  document.getElementById('result').hidden = false;
  document.getElementById('status').textContent = 'signed in';
  history.replaceState(null, '', location.pathname);
}

function show(id, text) {
  document.getElementById(id).textContent = text;
}

function report(e) {
  const el = document.getElementById('error');
  el.hidden = false;
  el.dataset.name = e.name;
  el.textContent = `${e.name}: ${e.message}`;
  const status = document.getElementById('status');
  if (status) status.textContent = 'failed';
}
