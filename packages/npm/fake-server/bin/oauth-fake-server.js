#!/usr/bin/env node
// `npx oauth-fake-server ...`: runs this platform's prebuilt binary with the same arguments.

import { spawn } from 'node:child_process';

import { binaryPath } from '../index.js';

let bin;
try {
  bin = binaryPath();
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
