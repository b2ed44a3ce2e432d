#!/usr/bin/env node
// A driver for `oauth-conformance client`: the MCP TypeScript SDK's client package
// (@modelcontextprotocol/client 2.x) used the way its documentation shows, so that the client
// scenarios judge the SDK. The driver is the application around the SDK and does only what the
// SDK leaves to applications (lib.mjs): it serves the loopback redirect URI, opens the
// authorization URL with $BROWSER, and compares `state` before it calls
// `finishAuth(searchParams)`, as the SDK asks ("The SDK does not validate state"); the SDK
// checks `iss` (RFC 9207) itself. OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET, when set, are given to
// the SDK; otherwise it registers. Discovery, PKCE, `resource` and the token requests are the
// SDK's. Exit codes: see lib.mjs (`mcpFlow`).

import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';

import { mcpFlow, run } from './lib.mjs';

run('mcp-client', (env) =>
  mcpFlow(env, {
    Client,
    StreamableHTTPClientTransport,
    UnauthorizedError,
    clientName: 'oauth-conformance driver: @modelcontextprotocol/client',
    finish: (transport, params) => transport.finishAuth(params),
  }),
);
