// oauth4webapi v3 (panva) as a DPoP client (RFC 9449) of the fake server: its DPoP handles sign
// the proofs, and every answer goes through the library's own response checks.
//
// - token requests with a proof get `token_type: DPoP` and a token bound to the key: introspection
//   and the JWT access token carry `cnf.jkt`, the key's RFC 7638 thumbprint (§5, §6);
// - the token endpoint checks the proof itself (§4.3, §11.1) and takes every advertised algorithm;
// - a public client's refresh token only works with the same key (§5);
// - the demo MCP resource takes the token with the `DPoP` scheme and a proof carrying `ath`, and
//   refuses it as a bearer token, with another key's proof, a wrong `ath` or a stale proof (§7);
// - a client registered with `dpop_bound_access_tokens` must send a proof (§5.2);
// - `--variant dpop-nonce`: the library's nonce retry at the token endpoint and the resource (§8, §9);
// - `--variant no-dpop`: a client with a DPoP handle is given a bearer token and copes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as oauth from 'oauth4webapi';

import { startFakeServer } from '../lib/fake-server.mjs';
import { UserAgent } from '../lib/user-agent.mjs';

// Plain http on loopback is refused unless the request says so.
const insecure = { [oauth.allowInsecureRequests]: true };
// A public fixture client and one of its registered redirect URIs.
const PUBLIC_CLIENT = { client_id: 'conformance-public' };
const REDIRECT_URI = 'http://127.0.0.1/callback';
// A confidential fixture client allowed the client_credentials grant.
const MACHINE_CLIENT = { client_id: 'conformance-machine' };
const MACHINE_AUTH = oauth.ClientSecretBasic('machine-secret');
// The fixture client that may introspect every token.
const RESOURCE_SERVER = { client_id: 'conformance-resource-server' };
const RESOURCE_SERVER_AUTH = oauth.ClientSecretBasic('rs-secret');
// The MCP protocol revision the initialize request asks for.
const MCP_PROTOCOL_VERSION = '2025-06-18';

let server;
before(async () => {
  server = await startFakeServer();
});
after(async () => {
  await server?.stop();
});

async function discover(issuerUrl) {
  const issuer = new URL(issuerUrl);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
}

/** A fresh DPoP handle over a new key pair; EdDSA keys sign as `EdDSA`, the name the server lists. */
async function dpopHandle(client, alg = 'ES256') {
  const keyPair = await oauth.generateKeyPair(alg);
  const remapEd25519 = {
    [oauth.modifyAssertion]: (header) => {
      if (header.alg === 'Ed25519') header.alg = 'EdDSA';
    },
  };
  return { keyPair, handle: oauth.DPoP(client, keyPair, remapEd25519) };
}

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');

/**
 * RFC 7638 JWK thumbprint (SHA-256) of a public CryptoKey, computed here rather than by the
 * library: the required members in lexicographic order, no whitespace.
 */
async function thumbprint(publicKey) {
  const jwk = await crypto.subtle.exportKey('jwk', publicKey);
  const members = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] }[jwk.kty];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])));
  return b64u(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
}

async function introspect(as, token) {
  return oauth.processIntrospectionResponse(
    as,
    RESOURCE_SERVER,
    await oauth.introspectionRequest(as, RESOURCE_SERVER, RESOURCE_SERVER_AUTH, token, insecure),
  );
}

async function expectOAuthError(promise, error) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof oauth.ResponseBodyError, `expected an OAuth error response, got ${e}`);
    assert.equal(e.error, error, `error_description: ${e.error_description}`);
    return true;
  });
}

/** The 401 challenge oauth4webapi raised for a resource request, as `{ status, scheme, parameters }`. */
async function expectChallenge(promise) {
  let caught;
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, `expected a WWW-Authenticate challenge, got ${e}`);
    caught = e;
    return true;
  });
  assert.equal(caught.cause.length, 1, `one challenge: ${JSON.stringify(caught.cause)}`);
  return { status: caught.status, ...caught.cause[0], error: caught };
}

/** client_credentials for the machine client with `handle`, through oauth4webapi's checks. */
async function machineToken(as, handle, parameters = {}) {
  return oauth.processClientCredentialsResponse(
    as,
    MACHINE_CLIENT,
    await oauth.clientCredentialsGrantRequest(as, MACHINE_CLIENT, MACHINE_AUTH, new URLSearchParams(parameters), {
      DPoP: handle,
      ...insecure,
    }),
  );
}

/**
 * Authorization code + PKCE for the public client, the user signing in and approving on the
 * fake server's pages, the code redeemed with `handle`'s proof.
 */
async function userToken(as, handle, resource) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(as.authorization_endpoint);
  authorizationUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: PUBLIC_CLIENT.client_id,
    redirect_uri: REDIRECT_URI,
    scope: 'projects:read',
    resource,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  const callback = await new UserAgent().authorize(authorizationUrl, REDIRECT_URI);
  const params = oauth.validateAuthResponse(as, PUBLIC_CLIENT, callback, state);
  return oauth.processAuthorizationCodeResponse(
    as,
    PUBLIC_CLIENT,
    await oauth.authorizationCodeGrantRequest(as, PUBLIC_CLIENT, oauth.None(), params, REDIRECT_URI, codeVerifier, {
      DPoP: handle,
      ...insecure,
    }),
  );
}

async function refresh(as, refreshToken, handle) {
  const response = await oauth.refreshTokenGrantRequest(as, PUBLIC_CLIENT, oauth.None(), refreshToken, {
    DPoP: handle,
    ...insecure,
  });
  return oauth.processRefreshTokenResponse(as, PUBLIC_CLIENT, response);
}

/**
 * One JSON-RPC request to the demo MCP resource through `protectedResourceRequest`: with a DPoP
 * handle the library sends `Authorization: DPoP` and a proof with `ath`, without one `Bearer`.
 * Resolves to `{ response, body }`; a challenge rejects with oauth4webapi's error.
 */
async function mcpRequest(issuer, accessToken, message, { handle, sessionId } = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (sessionId) {
    headers['mcp-session-id'] = sessionId;
    headers['mcp-protocol-version'] = MCP_PROTOCOL_VERSION;
  }
  const response = await oauth.protectedResourceRequest(
    accessToken,
    'POST',
    new URL(`${issuer}/mcp`),
    headers,
    JSON.stringify({ jsonrpc: '2.0', ...message }),
    { DPoP: handle, ...insecure },
  );
  const text = await response.text();
  return { response, body: text ? JSON.parse(text) : undefined };
}

const initialize = {
  id: 1,
  method: 'initialize',
  params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'oauth4webapi-dpop', version: '0.0.0' } },
};
const whoami = { id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } };

/** Run `attempt` again after each DPoP nonce error (the handle has cached the new nonce). */
async function retryingNonce(attempt, maxRetries = 2) {
  let nonceErrors = 0;
  for (;;) {
    try {
      return { result: await attempt(), nonceErrors };
    } catch (e) {
      if (!oauth.isDPoPNonceError(e) || nonceErrors === maxRetries) throw e;
      nonceErrors++;
    }
  }
}

test('client_credentials with a DPoP proof gets a DPoP token bound to the key thumbprint', async () => {
  const as = await discover(server.issuer);
  assert.ok(as.dpop_signing_alg_values_supported?.includes('ES256'), `metadata: ${as.dpop_signing_alg_values_supported}`);

  const { keyPair, handle } = await dpopHandle(MACHINE_CLIENT);
  const jkt = await thumbprint(keyPair.publicKey);
  assert.equal(await handle.calculateThumbprint(), jkt, 'the library and RFC 7638 agree on the thumbprint');

  const tokens = await machineToken(as, handle);
  // §5: the response says DPoP; oauth4webapi lower-cases token_type.
  assert.equal(tokens.token_type, 'dpop');
  assert.equal(tokens.scope, 'projects:read');

  const info = await introspect(as, tokens.access_token);
  assert.equal(info.active, true);
  assert.equal(info.client_id, MACHINE_CLIENT.client_id);
  assert.equal(info.token_type, 'DPoP');
  // §6.2: introspection names the key the token is bound to.
  assert.deepEqual(info.cnf, { jkt });

  // A second key gets a second binding: the thumbprint follows the proof, not the client.
  const second = await dpopHandle(MACHINE_CLIENT);
  const other = await machineToken(as, second.handle);
  assert.equal((await introspect(as, other.access_token)).cnf?.jkt, await thumbprint(second.keyPair.publicKey));
  assert.notEqual(await thumbprint(second.keyPair.publicKey), jkt);

  // Without a proof the same client gets an unbound bearer token (DPoP is the client's choice).
  const plain = await machineToken(as, undefined);
  assert.equal(plain.token_type, 'bearer');
  const plainInfo = await introspect(as, plain.access_token);
  assert.equal(plainInfo.token_type, 'Bearer');
  assert.equal(plainInfo.cnf, undefined);
});

test('a JWT access token carries cnf.jkt, which oauth4webapi checks against the proof at a resource', async () => {
  const as = await discover(server.issuer);
  // A fixture client whose access tokens are RFC 9068 JWTs.
  const client = { client_id: 'conformance-jwt' };
  const auth = oauth.ClientSecretBasic('jwt-secret');
  const resource = `${server.issuer}/mcp`;
  const { keyPair, handle } = await dpopHandle(client);
  const tokens = await oauth.processClientCredentialsResponse(
    as,
    client,
    await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ resource }), { DPoP: handle, ...insecure }),
  );
  assert.equal(tokens.token_type, 'dpop');
  assert.equal(tokens.access_token.split('.').length, 3, 'a JWT access token');

  // The request a resource would receive, as oauth4webapi's client side builds it.
  const sent = async (proofHandle) => {
    let request;
    const capture = (url, init) => {
      request = new Request(url, init);
      return Promise.resolve(new Response(null, { status: 204 }));
    };
    await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(resource), undefined, null, {
      DPoP: proofHandle,
      [oauth.customFetch]: capture,
      ...insecure,
    });
    return request;
  };

  // oauth4webapi's resource-server side: the JWT's signature against the server's JWKS, iss, aud,
  // exp, and with requireDPoP the proof's htm, htu, ath and that its key is the token's cnf.jkt.
  const claims = await oauth.validateJwtAccessToken(as, await sent(handle), resource, { requireDPoP: true, ...insecure });
  assert.deepEqual(claims.cnf, { jkt: await thumbprint(keyPair.publicKey) });
  assert.equal(claims.client_id, client.client_id);

  const thief = await dpopHandle(client);
  await assert.rejects(
    oauth.validateJwtAccessToken(as, await sent(thief.handle), resource, { requireDPoP: true, ...insecure }),
    (e) => e instanceof oauth.OperationProcessingError && /confirmation mismatch/.test(e.message),
  );
});

test('the token endpoint takes every advertised algorithm and checks the proof', async () => {
  const as = await discover(server.issuer);
  const algorithms = as.dpop_signing_alg_values_supported;
  assert.deepEqual([...algorithms].sort(), ['ES256', 'EdDSA', 'PS256', 'RS256']);
  for (const alg of algorithms) {
    const { keyPair, handle } = await dpopHandle(MACHINE_CLIENT, alg);
    const tokens = await machineToken(as, handle);
    assert.equal(tokens.token_type, 'dpop', alg);
    assert.equal((await introspect(as, tokens.access_token)).cnf?.jkt, await thumbprint(keyPair.publicKey), alg);
  }
  // An algorithm the metadata does not list is refused (§4.3 item 5).
  if (!algorithms.includes('ES384')) {
    await expectOAuthError(machineToken(as, (await dpopHandle(MACHINE_CLIENT, 'ES384')).handle), 'invalid_dpop_proof');
  }

  // Proofs that do not match the request (§4.3), with the library's own hook to alter them.
  const { keyPair } = await dpopHandle(MACHINE_CLIENT);
  const altered = (change) => oauth.DPoP(MACHINE_CLIENT, keyPair, { [oauth.modifyAssertion]: change });
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', (await dpopHandle(MACHINE_CLIENT)).keyPair.publicKey);
  const wrong = {
    'alg is none (item 5, §11.6)': (header) => {
      header.alg = 'none';
    },
    'alg is HS256, a symmetric algorithm (item 5, §11.6)': (header) => {
      header.alg = 'HS256';
    },
    'jwk is not the key that signed (item 6)': (header) => {
      header.jwk = { kty, crv, x, y };
    },
    'typ is not dpop+jwt (item 4, §11.5)': (header) => {
      header.typ = 'JWT';
    },
    'htm is another method (item 8)': (_h, payload) => {
      payload.htm = 'GET';
    },
    'htu is another URL (item 9)': (_h, payload) => {
      payload.htu = `${server.issuer}/elsewhere`;
    },
    'iat is an hour old (item 11, §11.1)': (_h, payload) => {
      payload.iat -= 3600;
    },
  };
  for (const [what, change] of Object.entries(wrong)) {
    await assert.rejects(machineToken(as, altered(change)), (e) => {
      assert.ok(e instanceof oauth.ResponseBodyError, `${what}: ${e}`);
      assert.equal(e.status, 400, what);
      assert.equal(e.error, 'invalid_dpop_proof', what);
      return true;
    }, `accepted a proof whose ${what}`);
  }
  // The same proof twice: the second is a replay (§11.1).
  const jti = b64u(crypto.getRandomValues(new Uint8Array(16)));
  const replaying = altered((_h, payload) => {
    payload.jti = jti;
    payload.iat = Math.floor(Date.now() / 1000);
  });
  assert.equal((await machineToken(as, replaying)).token_type, 'dpop');
  await expectOAuthError(machineToken(as, replaying), 'invalid_dpop_proof');
});

test('a public client gets a DPoP-bound code-flow token whose refresh token needs the same key', async () => {
  const as = await discover(server.issuer);
  const { keyPair, handle } = await dpopHandle(PUBLIC_CLIENT);
  const jkt = await thumbprint(keyPair.publicKey);

  const t1 = await userToken(as, handle, `${server.issuer}/mcp`);
  assert.equal(t1.token_type, 'dpop');
  assert.ok(t1.refresh_token);
  const a1 = await introspect(as, t1.access_token);
  assert.equal(a1.sub, 'alice');
  assert.equal(a1.client_id, PUBLIC_CLIENT.client_id);
  assert.deepEqual(a1.cnf, { jkt });

  // The same handle refreshes: a new access token bound to the same key, a rotated refresh token.
  const t2 = await refresh(as, t1.refresh_token, handle);
  assert.equal(t2.token_type, 'dpop');
  assert.notEqual(t2.access_token, t1.access_token);
  assert.ok(t2.refresh_token && t2.refresh_token !== t1.refresh_token);
  assert.deepEqual((await introspect(as, t2.access_token)).cnf, { jkt });

  // §5: a public client's refresh token is bound to the key; another key, or no proof, is refused.
  const other = await dpopHandle(PUBLIC_CLIENT);
  await expectOAuthError(refresh(as, t2.refresh_token, other.handle), 'invalid_grant');
  await expectOAuthError(refresh(as, t2.refresh_token, undefined), 'invalid_grant');
});

test('the demo MCP resource takes the bound token with a DPoP proof and refuses it any other way', async () => {
  const as = await discover(server.issuer);
  // RFC 9728 metadata of the resource tells clients which proof algorithms it accepts.
  const prm = await (await fetch(`${server.issuer}/.well-known/oauth-protected-resource/mcp`)).json();
  assert.deepEqual(prm.dpop_signing_alg_values_supported, as.dpop_signing_alg_values_supported);

  const { keyPair, handle } = await dpopHandle(PUBLIC_CLIENT);
  const { access_token: token } = await userToken(as, handle, `${server.issuer}/mcp`);

  // §7.1: `Authorization: DPoP <token>` and a fresh proof with `ath` for every request.
  const init = await mcpRequest(server.issuer, token, initialize, { handle });
  assert.equal(init.response.status, 200);
  assert.equal(init.body.result?.protocolVersion, MCP_PROTOCOL_VERSION, JSON.stringify(init.body));
  assert.ok(init.body.result.serverInfo?.name);
  const sessionId = init.response.headers.get('mcp-session-id');
  assert.ok(sessionId, 'the server gave an Mcp-Session-Id');
  const notified = await mcpRequest(server.issuer, token, { method: 'notifications/initialized' }, { handle, sessionId });
  assert.equal(notified.response.status, 202);
  const who = await mcpRequest(server.issuer, token, whoami, { handle, sessionId });
  assert.equal(who.response.status, 200);
  assert.deepEqual(who.body.result?.structuredContent, {
    user: 'alice',
    client_id: PUBLIC_CLIENT.client_id,
    scopes: ['projects:read'],
  });

  // §7.2: the bound token sent as a bearer token (no proof) is refused.
  const asBearer = await expectChallenge(mcpRequest(server.issuer, token, whoami, { sessionId }));
  assert.equal(asBearer.status, 401);
  assert.equal(asBearer.parameters.error, 'invalid_token');

  // §4.3 item 12: a proof made with another key than the token's.
  const thief = await dpopHandle(PUBLIC_CLIENT);
  const stolen = await expectChallenge(mcpRequest(server.issuer, token, whoami, { handle: thief.handle, sessionId }));
  assert.equal(stolen.status, 401);
  assert.equal(stolen.scheme, 'dpop');
  assert.equal(stolen.parameters.error, 'invalid_token');
  // §7.1: the DPoP challenge names the acceptable algorithms.
  assert.deepEqual(stolen.parameters.algs?.split(' '), as.dpop_signing_alg_values_supported);

  // §4.3 item 12: `ath` that is not the hash of this token, in a proof of the right key.
  const wrongAth = oauth.DPoP(PUBLIC_CLIENT, keyPair, {
    [oauth.modifyAssertion]: (_h, payload) => {
      payload.ath = b64u(crypto.getRandomValues(new Uint8Array(32)));
    },
  });
  const badAth = await expectChallenge(mcpRequest(server.issuer, token, whoami, { handle: wrongAth, sessionId }));
  assert.equal(badAth.status, 401);
  assert.equal(badAth.scheme, 'dpop');
  assert.equal(badAth.parameters.error, 'invalid_dpop_proof');

  // §11.1: a proof an hour old is refused at the resource too.
  const stale = oauth.DPoP(PUBLIC_CLIENT, keyPair, {
    [oauth.modifyAssertion]: (_h, payload) => {
      payload.iat -= 3600;
    },
  });
  const tooOld = await expectChallenge(mcpRequest(server.issuer, token, whoami, { handle: stale, sessionId }));
  assert.equal(tooOld.status, 401);
  assert.equal(tooOld.parameters.error, 'invalid_dpop_proof');

  // The rightful handle still works after all that.
  assert.equal((await mcpRequest(server.issuer, token, whoami, { handle, sessionId })).response.status, 200);
});

test('a client registered with dpop_bound_access_tokens must send a proof', async () => {
  const as = await discover(server.issuer);
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: 'oauth4webapi DPoP-bound client',
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        dpop_bound_access_tokens: true,
        scope: 'projects:read',
      },
      insecure,
    ),
  );
  assert.equal(registered.dpop_bound_access_tokens, true, 'the registration keeps the flag (§5.2)');
  const client = { client_id: registered.client_id };
  const auth = oauth.ClientSecretBasic(registered.client_secret);
  const grant = async (handle) =>
    oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), { DPoP: handle, ...insecure }),
    );

  await assert.rejects(grant(undefined), (e) => {
    assert.ok(e instanceof oauth.ResponseBodyError, `expected an OAuth error response, got ${e}`);
    assert.equal(e.status, 400);
    return true;
  });
  const { keyPair, handle } = await dpopHandle(client);
  const tokens = await grant(handle);
  assert.equal(tokens.token_type, 'dpop');
  assert.equal((await introspect(as, tokens.access_token)).cnf?.jkt, await thumbprint(keyPair.publicKey));
});

test('dpop-nonce: the handle learns the server nonce from use_dpop_nonce and the retries succeed', async () => {
  const nonceServer = await startFakeServer({ args: ['--variant', 'dpop-nonce'] });
  try {
    const as = await discover(nonceServer.issuer);
    const resource = `${nonceServer.issuer}/mcp`;
    const { keyPair, handle } = await dpopHandle(MACHINE_CLIENT);

    // §8: the first proof has no nonce; 400 use_dpop_nonce with a DPoP-Nonce header.
    let nonceError;
    await assert.rejects(machineToken(as, handle, { resource }), (e) => {
      assert.ok(oauth.isDPoPNonceError(e), `expected a DPoP nonce error, got ${e}`);
      nonceError = e;
      return true;
    });
    assert.equal(nonceError.status, 400);
    assert.ok(nonceError.response.headers.get('dpop-nonce'), 'the error carries a DPoP-Nonce header');
    // The same handle now signs with that nonce.
    const tokens = await machineToken(as, handle, { resource });
    assert.equal(tokens.token_type, 'dpop');
    assert.equal((await introspect(as, tokens.access_token)).cnf?.jkt, await thumbprint(keyPair.publicKey));

    // The handle that knows a nonce reaches the resource (at most one more nonce round trip).
    const first = await retryingNonce(() => mcpRequest(nonceServer.issuer, tokens.access_token, whoami, { handle }));
    assert.ok(first.nonceErrors <= 1, `nonce errors: ${first.nonceErrors}`);
    assert.equal(first.result.body.result?.structuredContent?.client_id, MACHINE_CLIENT.client_id);

    // §9: a handle of the same key that knows no nonce yet (a restarted client) is challenged
    // with 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a DPoP-Nonce header.
    const restarted = oauth.DPoP(MACHINE_CLIENT, keyPair);
    const challenge = await expectChallenge(mcpRequest(nonceServer.issuer, tokens.access_token, whoami, { handle: restarted }));
    assert.equal(challenge.status, 401);
    assert.equal(challenge.scheme, 'dpop');
    assert.equal(challenge.parameters.error, 'use_dpop_nonce');
    assert.ok(oauth.isDPoPNonceError(challenge.error));
    assert.ok(challenge.error.response.headers.get('dpop-nonce'), 'the challenge carries a DPoP-Nonce header');
    const retried = await mcpRequest(nonceServer.issuer, tokens.access_token, whoami, { handle: restarted });
    assert.equal(retried.response.status, 200);
    assert.equal(retried.body.result?.structuredContent?.client_id, MACHINE_CLIENT.client_id);

    // A nonce this server never gave is refused with a fresh one (§8).
    const forged = oauth.DPoP(MACHINE_CLIENT, keyPair, {
      [oauth.modifyAssertion]: (_h, payload) => {
        payload.nonce = 'not-a-nonce-of-this-server';
      },
    });
    await assert.rejects(machineToken(as, forged), (e) => oauth.isDPoPNonceError(e) && e.status === 400);
  } finally {
    await nonceServer.stop();
  }
});

test('no-dpop: a client with a DPoP handle gets a bearer token and uses it as one', async () => {
  const plainServer = await startFakeServer({ args: ['--variant', 'no-dpop'] });
  try {
    const as = await discover(plainServer.issuer);
    assert.equal(as.dpop_signing_alg_values_supported, undefined, 'no DPoP in the metadata');

    const { handle } = await dpopHandle(MACHINE_CLIENT);
    // The proof is ignored; the library accepts the bearer answer as it is.
    const tokens = await machineToken(as, handle, { resource: `${plainServer.issuer}/mcp` });
    assert.equal(tokens.token_type, 'bearer');
    const info = await introspect(as, tokens.access_token);
    assert.equal(info.token_type, 'Bearer');
    assert.equal(info.cnf, undefined);

    // The client follows token_type: a bearer token goes without the handle, and works.
    const who = await mcpRequest(plainServer.issuer, tokens.access_token, whoami);
    assert.equal(who.response.status, 200);
    assert.equal(who.body.result?.structuredContent?.client_id, MACHINE_CLIENT.client_id);
    // Sent with the DPoP scheme anyway, it is not a credential this resource knows.
    const refused = await expectChallenge(mcpRequest(plainServer.issuer, tokens.access_token, whoami, { handle }));
    assert.equal(refused.status, 401);
    assert.equal(refused.scheme, 'bearer');
  } finally {
    await plainServer.stop();
  }
});
