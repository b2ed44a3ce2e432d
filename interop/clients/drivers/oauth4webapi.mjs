#!/usr/bin/env node
// A driver for `oauth-conformance client`: an MCP client built on oauth4webapi, the way the
// library's documentation writes an authorization code flow, so that the client scenarios judge
// what the library does: PKCE (`calculatePKCECodeChallenge`), the callback checks of
// `validateAuthResponse` (`state`, and `iss` where the server advertises RFC 9207), the token
// request and `protectedResourceRequest`. The driver does what the library leaves to the
// application:
//
// - MCP discovery (the 401, RFC 9728 metadata naming the authorization server) and `resource`;
// - registration (RFC 7591) unless OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET are set, or
//   OAUTH_CLIENT_METADATA_URL is and the server supports client ID metadata documents;
// - the loopback redirect URI, and $BROWSER to open the authorization URL.
//
// Exit codes: 0 the MCP server answered `initialize`; 1 the authorization server answered with
// an error; 2 the library refused the callback; 4 anything else.

import * as oauth from 'oauth4webapi';

import { Exit, callbackListener, openBrowser, run } from './lib.mjs';

const MCP_PROTOCOL_VERSION = '2025-11-25';
// Plain http on loopback, which is where the bundled server runs.
const insecure = { [oauth.allowInsecureRequests]: true };

/**
 * The quoted `resource_metadata` of the MCP server's challenge (RFC 9728 §5.1), if any: the
 * library parses challenges only inside its own response checks, so the driver reads this one.
 */
function resourceMetadataUrl(response) {
  return /resource_metadata="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'oauth4webapi-driver', version: '1' } },
});
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function main(env) {
  if (!env.MCP_SERVER_URL || !env.BROWSER) throw new Exit(4, 'MCP_SERVER_URL and BROWSER must be set');
  const mcp = new URL(env.MCP_SERVER_URL);

  // MCP discovery: the unauthenticated request's challenge, the resource metadata, the server.
  const first = await fetch(mcp, { method: 'POST', headers: mcpHeaders, body: initialize });
  await first.body?.cancel();
  if (first.status !== 401) throw new Exit(4, `the MCP server answered ${first.status} without a token`);
  // The challenge names the metadata (RFC 9728 §5.1); else the library's well-known URL (§3.1).
  const named = resourceMetadataUrl(first);
  const prm = await oauth.processResourceDiscoveryResponse(
    mcp,
    named ? await fetch(named, { headers: { accept: 'application/json' } }) : await oauth.resourceDiscoveryRequest(mcp, insecure),
  );
  const issuer = new URL(prm.authorization_servers?.[0] ?? env.OAUTH_ISSUER);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));

  const callback = await callbackListener();
  try {
    let client;
    let clientAuth;
    if (env.OAUTH_CLIENT_ID) {
      client = { client_id: env.OAUTH_CLIENT_ID };
      clientAuth = env.OAUTH_CLIENT_SECRET ? oauth.ClientSecretBasic(env.OAUTH_CLIENT_SECRET) : oauth.None();
    } else if (env.OAUTH_CLIENT_METADATA_URL && as.client_id_metadata_document_supported === true) {
      // The application chooses how the client is identified (MCP 2025-11-25 order): its client
      // ID metadata document where the server supports them, before a registration.
      client = { client_id: env.OAUTH_CLIENT_METADATA_URL };
      clientAuth = oauth.None();
    } else {
      const registered = await oauth.processDynamicClientRegistrationResponse(
        await oauth.dynamicClientRegistrationRequest(
          as,
          {
            redirect_uris: [callback.redirectUri],
            token_endpoint_auth_method: 'none',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            application_type: 'native',
            client_name: 'oauth-conformance driver: oauth4webapi',
          },
          insecure,
        ),
      );
      client = { client_id: registered.client_id };
      clientAuth = oauth.None();
    }

    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: callback.redirectUri,
      resource: prm.resource,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    // The resource's scopes, and no scope parameter at all when it lists none (MCP scope
    // selection): an empty one is not an omitted one.
    if (prm.scopes_supported?.length) url.searchParams.set('scope', prm.scopes_supported.join(' '));
    openBrowser(env.BROWSER, url.href);

    const returned = await callback.next();
    let params;
    try {
      params = oauth.validateAuthResponse(as, client, returned, state);
    } catch (e) {
      if (e instanceof oauth.AuthorizationResponseError) throw new Exit(1, `the authorization server answered ${e.error}`);
      throw new Exit(2, `the library refused the callback: ${e.message}`);
    }
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, callback.redirectUri, verifier, {
        additionalParameters: { resource: prm.resource },
        ...insecure,
      }),
    );

    const answer = await oauth.protectedResourceRequest(tokens.access_token, 'POST', mcp, new Headers(mcpHeaders), initialize, insecure);
    if (answer.status !== 200) throw new Exit(4, `the MCP server answered ${answer.status} with the token`);
    process.stdout.write(`${(await answer.text()).slice(0, 200)}\n`);
  } finally {
    callback.close();
  }
}

run('oauth4webapi', main);
