// oauth-conformance interop target: panva's oidc-provider on 127.0.0.1.
//
// This is a test target, not a deployment: plain http on loopback, keys and
// cookie secrets generated fresh at every start, everything kept in memory.
// See README.md beside this file for what is configured and why.

import * as crypto from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

import UnboundedMemoryAdapter from './unbounded-adapter.mjs';

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT ?? '3100', 10);
if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) {
  console.error(`invalid PORT: ${process.env.PORT}`);
  process.exit(2);
}
const ISSUER = `http://${HOST}:${PORT}`;

// Resource servers known by name. Any other https:// resource, and any http://
// resource on a loopback host, is accepted too (JWT access token, aud = resource).
const API_RESOURCE = `${ISSUER}/api`; // JWT access tokens
const OPAQUE_API_RESOURCE = `${ISSUER}/opaque-api`; // opaque access tokens
const RESOURCE_SCOPE = 'projects:read projects:write';
const RESOURCE_AT_TTL = 3600;

// ---------------------------------------------------------------------------
// Signing keys: one RSA (RS256, used for ID tokens and JWT access tokens by
// default) and one P-256 (ES256), both generated at start-up.

function signingKey(type, options, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, use: 'sig', alg, kid: `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}` };
}

const jwks = {
  keys: [
    signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
    signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
  ],
};

// ---------------------------------------------------------------------------
// Accounts. The login name becomes the account id (the `sub`). The development
// login page accepts any login and ignores the password; checkPassword() below
// puts a real check in front of it, as every deployment has its own login.

const PEOPLE = new Map([
  ['alice', {
    password: 'alice-password',
    name: 'Alice Example',
    given_name: 'Alice',
    family_name: 'Example',
    preferred_username: 'alice',
    email: 'alice@example.test',
    email_verified: true,
  }],
  ['bob', {
    password: 'bob-password',
    name: 'Bob Example',
    given_name: 'Bob',
    family_name: 'Example',
    preferred_username: 'bob',
    email: 'bob@example.test',
    email_verified: false,
  }],
]);

async function findAccount(_ctx, accountId) {
  if (typeof accountId !== 'string' || !PEOPLE.has(accountId)) return undefined;
  const { password: _password, ...profile } = PEOPLE.get(accountId);
  return {
    accountId,
    // The library filters what we return down to the claims the granted
    // scopes (and the claims parameter) allow, so returning everything is fine.
    async claims() {
      return { sub: accountId, ...profile };
    },
  };
}

// ---------------------------------------------------------------------------
// Resource indicators (RFC 8707).


async function getResourceServerInfo(_ctx, resource) {
  const url = URL.parse(resource);
  if (!url) throw new errors.InvalidTarget('resource must be an absolute URI');

  const base = {
    scope: RESOURCE_SCOPE,
    audience: resource,
    accessTokenTTL: RESOURCE_AT_TTL,
  };

  if (resource === OPAQUE_API_RESOURCE) {
    return { ...base, accessTokenFormat: 'opaque' };
  }
  if (resource === API_RESOURCE) {
    return { ...base, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
  }
  // Only the resources this server protects (RFC 8707 §2: an unknown one is invalid_target).
  throw new errors.InvalidTarget('this authorization server issues tokens only for its /api and /opaque-api resources');
}

// ---------------------------------------------------------------------------
// Policies.

const isPublic = (client) => client.clientAuthMethod === 'none';

// CORS on the client-authenticated endpoints (token, revocation, introspection,
// PAR): public clients may call from any browser origin except the opaque
// "null" origin; confidential clients are server-side and get no CORS grant.
function clientBasedCORS(_ctx, origin, client) {
  if (origin === 'null') return false;
  return isPublic(client);
}

// Refresh tokens: issued on the authorization_code grant whenever the client
// is registered for the refresh_token grant, offline_access or not.
async function issueRefreshToken(_ctx, client, _code) {
  return client.grantTypeAllowed('refresh_token');
}

// Rotation: always for public clients (OAuth 2.1 §4.3.1), never for
// confidential clients (they authenticate, so the same RT is returned).
function rotateRefreshToken(ctx) {
  return isPublic(ctx.oidc.client);
}

// Introspection: confidential callers may introspect any token (they play the
// resource server); public callers only tokens issued to themselves.
async function introspectionAllowed(_ctx, caller, token) {
  if (isPublic(caller) && token.clientId !== caller.clientId) return false;
  return true;
}

// Revocation: only the client a token was issued to may revoke it. A public
// caller presenting someone else's token gets a silent 200 (nothing revoked);
// a confidential caller gets invalid_request.
async function revocationAllowed(_ctx, caller, token) {
  if (token.clientId === caller.clientId) return true;
  if (isPublic(caller)) return false;
  throw new errors.InvalidRequest('this client may not revoke a token issued to another client');
}

// Consent: the first-party client `conformance-trusted` is never asked for
// consent (the library's skip_consent recipe): every scope it requests is added
// to its grant. Every other client gets the consent page as usual.
const TRUSTED_CLIENT_ID = 'conformance-trusted';

async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (oidc.client.clientId !== TRUSTED_CLIENT_ID || !oidc.session.accountId) return grant;
  grant ??= new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers ?? {})) {
    const wanted = [...oidc.requestParamScopes].filter((scope) => resourceServer.scopes.has(scope));
    if (wanted.length) grant.addResourceScope(indicator, wanted.join(' '));
  }
  await grant.save();
  return grant;
}

// ---------------------------------------------------------------------------
// Static clients.

const ALL_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'projects:read', 'projects:write'];

const clients = [
  {
    client_id: 'conformance-confidential',
    client_secret: 's3cr:t+/%val',
    client_name: 'Conformance confidential client',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted as well
    redirect_uris: ['https://client.example.test/callback'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    scope: ALL_SCOPES.join(' '),
  },
  {
    client_id: 'conformance-public',
    client_name: 'Conformance public client',
    // "native" gives loopback redirect URIs port-agnostic matching (RFC 8252 §7.3).
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost:5173/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: ALL_SCOPES.join(' '),
  },
  {
    client_id: 'conformance-query',
    client_secret: 'query-s3cret-value',
    client_name: 'Conformance client with a query in its redirect URI',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['https://client.example.test/cb?tenant=a'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: ALL_SCOPES.join(' '),
  },
  {
    client_id: TRUSTED_CLIENT_ID,
    client_secret: 'trusted-s3cret-value',
    client_name: 'Conformance first-party client',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['https://client.example.test/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: ALL_SCOPES.join(' '),
  },
  {
    // A resource server: introspects tokens, never takes part in a user's flow.
    client_id: 'conformance-resource-server',
    client_secret: 'rs-s3cret-value',
    client_name: 'Conformance resource server',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    response_types: [],
    scope: RESOURCE_SCOPE,
  },
  {
    client_id: 'conformance-other',
    client_secret: 'other-s3cret-value',
    client_name: 'Conformance other confidential client',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['https://other.example.test/callback'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    scope: ALL_SCOPES.join(' '),
  },
];

// ---------------------------------------------------------------------------

const configuration = {
  adapter: UnboundedMemoryAdapter,
  clients,
  jwks,
  findAccount,
  scopes: ALL_SCOPES,
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
  },
  pkce: {
    // S256 is the only method the library accepts; we make it mandatory for
    // every client, confidential ones included (OAuth 2.1).
    required: () => true,
  },
  responseTypes: ['code'],
  clientBasedCORS,
  loadExistingGrant,
  issueRefreshToken,
  rotateRefreshToken,
  ttl: {
    AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600,
    AuthorizationCode: 60,
    ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 24 * 3600,
    Grant: 14 * 24 * 3600,
    RefreshToken: 14 * 24 * 3600,
  },
  features: {
    devInteractions: { enabled: true },
    registration: {
      enabled: true,
      initialAccessToken: false,
    },
    registrationManagement: {
      enabled: true,
      rotateRegistrationAccessToken: true,
    },
    introspection: { enabled: true, allowedPolicy: introspectionAllowed },
    revocation: { enabled: true, allowedPolicy: revocationAllowed },
    clientCredentials: { enabled: true },
    // RFC 9449, with the defaults: no server nonces, proofs accepted for 300 s (`iatTolerance`
    // is the allowed clock skew), `dpop_jkt` honoured. DPOP_NONCE=1 makes every proof carry a
    // server nonce (RFC 9449 §8), for running the DPoP suite against that configuration too.
    dPoP: process.env.DPOP_NONCE === '1'
      ? { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true }
      : { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No default audience: a request without `resource` gets an opaque
      // token for the userinfo endpoint, as in plain OpenID Connect.
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      // When the token request omits `resource`, the granted resource is used
      // only if `openid` is not among the scopes (otherwise the access token
      // is for the userinfo endpoint). Send `resource` to the token endpoint
      // to be explicit.
      useGrantedResource: async () => false,
      getResourceServerInfo,
    },
  },
};

const provider = new Provider(ISSUER, configuration);

// Diagnostics only: record counts of the adapter (to confirm nothing is
// evicted during load runs). Not an OAuth endpoint.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/__stats') {
    ctx.body = UnboundedMemoryAdapter.stats();
    return undefined;
  }
  return next();
});

// The login check the development pages leave out: the POST of the login form
// must name a known account and its password. A wrong one is answered with the
// login page again (the request is turned into the GET that renders it), so no
// code is issued to an unauthenticated user.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path) || !ctx.is('application/x-www-form-urlencoded')) {
    return next();
  }
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const raw = Buffer.concat(chunks).toString('utf8');
  // The library reads an already consumed body from req.body (it logs a one-time note).
  ctx.req.body = raw;
  const form = new URLSearchParams(raw);
  if (form.get('prompt') === 'login') {
    const person = PEOPLE.get(form.get('login') ?? '');
    if (!person || person.password !== form.get('password')) {
      ctx.method = 'GET';
      delete ctx.req.body;
    }
  }
  return next();
});

// Anti-framing on every HTML page (login, consent, errors, form_post): the
// library leaves security headers to the deployment (its examples put helmet in
// front of it), so we set them here.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.response.is('html')) {
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', "frame-ancestors 'none'");
  }
});

for (const event of ['server_error', 'grant.error', 'authorization.error', 'registration_create.error', 'introspection.error', 'revocation.error']) {
  provider.on(event, (_ctx, err) => {
    const detail = err.error_description ? ` (${err.error_description})` : '';
    console.error(`[${new Date().toISOString()}] ${event}: ${err.message}${detail}`);
  });
}

const server = provider.listen(PORT, HOST, () => {
  console.log(`oidc-provider ${ISSUER} listening (node ${process.version})`);
});

function shutdown(signal) {
  console.log(`received ${signal}, closing`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
