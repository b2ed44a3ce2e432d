#!/usr/bin/env node
// A driver for `oauth-conformance client`: the MCP TypeScript SDK 1.x (@modelcontextprotocol/sdk)
// used the way its example OAuth client does, so that the client scenarios judge the SDK. The
// driver is the application around the SDK (lib.mjs): the loopback redirect URI, $BROWSER, and
// the `state` comparison (the provider's `state()` makes the SDK send one; checking it is the
// application's part). OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET, when set, are given to the SDK.
//
// `finishAuth(code)` of 1.x takes only the code: the SDK never sees the callback's `iss`, and
// its example client reads nothing but `code` and `error`. This driver does the same, which is
// what CLI-03 judges (2.x, in mcp-client.mjs, checks `iss` itself).

import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { mcpFlow, run } from './lib.mjs';

run('mcp-sdk', (env) =>
  mcpFlow(env, {
    Client,
    StreamableHTTPClientTransport,
    UnauthorizedError,
    clientName: 'oauth-conformance driver: @modelcontextprotocol/sdk',
    finish: (transport, params) => transport.finishAuth(params.get('code')),
  }),
);
