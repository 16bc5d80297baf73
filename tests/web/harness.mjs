// Shared by the browser tests and the web benchmark: starts the real
// casesync-server on a free port with a temporary data directory, and a
// headless Chromium through playwright-core (TOOLCHAIN.md flags).
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
export const repo = path.resolve(here, '../..');
const require = createRequire(path.join(repo, 'web/package.json'));

export const CHROMIUM = process.env.CASESYNC_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync',
];

export const DEMO = {
  laura: {email: 'laura.gomez@caliconfort.com.co', password: 'Calidemo-2026'},
  carlos: {email: 'carlos.ramirez@caliconfort.com.co', password: 'Caliadmin-2026'},
  sofia: {email: 'sofia.agente@mesadeayuda.co', password: 'Agentedemo-2026'},
};

export function chromiumAvailable() {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
    require.resolve('playwright-core');
    return true;
  } catch {
    return false;
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// Starts casesync-server --demo; returns {url, stop(), dataDir}.
export async function startServer({server, web, env = {}} = {}) {
  server = server ?? process.env.CASESYNC_SERVER_BIN ??
      path.join(repo, 'build/native/server/casesync-server');
  web = web ?? process.env.CASESYNC_WEB_DIST ?? path.join(repo, 'web/dist');
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'casesync-web-'));
  const proc = spawn(server, ['--listen', `127.0.0.1:${port}`, '--data', dataDir,
                              '--web', web, '--demo', '--log-level', 'warn'],
                     {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  // Use localhost: OPFS and service workers need a secure context.
  const url = `http://localhost:${port}`;
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${log}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, port, dataDir, log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
      fs.rmSync(dataDir, {recursive: true, force: true});
    },
  };
}

export async function launch() {
  const {chromium} = require('playwright-core');
  return chromium.launch({executablePath: CHROMIUM, args: CHROMIUM_ARGS,
                          headless: true});
}

// The server's API, for checks and for the agent side of a story.
export async function apiLogin(base, who) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({email: who.email, password: who.password}),
  });
  if (!r.ok) throw new Error(`login ${r.status} ${await r.text()}`);
  return (await r.json()).token;
}

// Every case the session may see, through a fresh pull.
export async function serverCases(base, token) {
  const cases = new Map();
  let cursor = null;
  const clientId = `test-${Math.random().toString(16).slice(2)}`;
  for (;;) {
    const r = await fetch(`${base}/api/v1/sync/pull`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json', Authorization: `Bearer ${token}`},
      body: JSON.stringify({clientId, cursor}),
    });
    const j = await r.json();
    for (const op of j.patch) {
      if (op.table === 'cases' && op.op === 'put') cases.set(op.row.id, op.row);
    }
    cursor = j.cursor;
    if (!j.more) break;
  }
  return [...cases.values()];
}
