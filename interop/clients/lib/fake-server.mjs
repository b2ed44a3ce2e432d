// Starts the `oauth-fake-server` binary on a free port and stops it again.
//
// The binary comes from FAKE_SERVER_BIN (default: the workspace's debug build). With
// `--port 0 --quiet` it prints the issuer URL as its first stdout line once it listens.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_BIN = resolve(here, '../../../target/debug/oauth-fake-server');
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** Every server this process started, so a crash or early exit still stops them. */
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Start a fake server. `fixtures` is a path to a fixtures TOML file (optional).
 * Resolves to `{ issuer, stop, output }`; `output()` is what it printed so far, for failures.
 */
export async function startFakeServer({ fixtures, args = [] } = {}) {
  const bin = process.env.FAKE_SERVER_BIN ? resolve(process.env.FAKE_SERVER_BIN) : DEFAULT_BIN;
  if (!existsSync(bin)) {
    throw new Error(`fake server binary not found at ${bin}; run \`cargo build -p fake-server\` or set FAKE_SERVER_BIN`);
  }
  const argv = ['--port', '0', '--quiet', ...(fixtures ? ['--fixtures', fixtures] : []), ...args];
  const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;

  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  exited.then(() => running.delete(child));

  const issuer = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`fake server did not start in ${START_TIMEOUT_MS} ms\n${output()}`)), START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        res(stdout.slice(0, nl).trim());
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`fake server exited early (code ${code}, signal ${signal})\n${output()}`));
    });
  });
  if (!/^https?:\/\/127\.0\.0\.1:\d+/.test(issuer)) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line from the fake server: ${JSON.stringify(issuer)}`);
  }

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGINT is the graceful shutdown the binary listens for; SIGKILL if it hangs.
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  return { issuer, stop, output };
}

/**
 * Start a fake server that records every request (`--record-requests`); `requests()` lists
 * them through the admin API, without the admin API's own requests.
 */
export async function startRecordingFakeServer(args = []) {
  const adminKey = randomBytes(16).toString('hex');
  const server = await startFakeServer({ args: ['--record-requests', '--admin-key', adminKey, ...args] });
  return {
    ...server,
    async requests() {
      const response = await fetch(`${server.issuer}/admin/api/requests`, {
        headers: { authorization: `Bearer ${adminKey}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 200) throw new Error(`the admin API answered ${response.status}`);
      // The admin API's own requests, at the root or under an issuer path, are not the client's.
      return (await response.json()).filter((r) => !/^(\/[^/]+)?\/admin\//.test(r.path));
    },
  };
}
