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
  andres: {email: 'andres.mejia@andinas.co', password: 'Andidemo-2026'},
  paula: {email: 'paula.rojas@andinas.co', password: 'Andiadmin-2026'},
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
    url, port, dataDir, server, log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
      fs.rmSync(dataDir, {recursive: true, force: true});
    },
  };
}

// A Chromium this process owns, on a persistent profile, reached over CDP:
// unlike launch(), it can be killed (SIGKILL, no shutdown) and started
// again on the same profile, as a crash or a power cut would leave it.
// Returns {browser, context, kill()}.
export async function launchProfile(profileDir) {
  const {chromium} = require('playwright-core');
  const proc = spawn(CHROMIUM, [...CHROMIUM_ARGS, '--headless',
                                `--user-data-dir=${profileDir}`,
                                '--remote-debugging-port=0', 'about:blank'],
                     {detached: true, stdio: ['ignore', 'ignore', 'pipe']});
  const ws = await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium: ${err}`)), 30000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', () => reject(new Error(`chromium exited: ${err}`)));
  });
  const browser = await chromium.connectOverCDP(ws);
  const exited = new Promise((r) => proc.on('exit', r));
  return {
    browser, context: browser.contexts()[0],
    async kill() {
      try {
        process.kill(-proc.pid, 'SIGKILL');  // its own process group
      } catch { /* already gone */ }
      await exited;
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

// `who` files `n` cases through the API (pushes of up to 1000 createCase
// mutations, every seventh subject says "factura"); returns the token, the
// product and issue type used, and the time taken.
export async function pushCases(base, who, n) {
  const token = await apiLogin(base, who);
  const cat = await (await fetch(`${base}/api/v1/catalog`, {
    headers: {Authorization: `Bearer ${token}`},
  })).json();
  const items = cat.items ?? cat.catalog ?? cat;
  const issue = items.find((i) => i.kind === 'issue_type' && i.active !== false);
  const product = items.find((i) => i.id === issue.parentId);
  const clientId = `seed-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  let id = 1;
  const t0 = performance.now();
  while (id <= n) {
    const mutations = [];
    for (let k = 0; k < 1000 && id <= n; k++, id++) {
      mutations.push({
        id, name: 'createCase', clientTime: new Date().toISOString(),
        args: {
          id: `${clientId}-${id}`, serviceId: product.parentId,
          productId: product.id, issueTypeId: issue.id,
          contactHours: 'Lunes a viernes 8:00 a 17:00',
          contactPhone: '+57 310 555 0101',
          subject: `Caso de carga ${id} ${id % 7 === 0 ? 'factura' : 'token'}`,
          description: `Descripción del caso de carga número ${id}.`,
        },
      });
    }
    const r = await fetch(`${base}/api/v1/sync/push`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json', Authorization: `Bearer ${token}`},
      body: JSON.stringify({clientId, mutations}),
    });
    if (!r.ok) throw new Error(`push ${r.status} ${await r.text()}`);
  }
  return {token, ms: performance.now() - t0, product, issue};
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

// `casesync-server admin --data DIR ARGS…` on the running server's data.
export async function admin(srv, args) {
  const proc = spawn(srv.server, ['admin', '--data', srv.dataDir, ...args],
                     {stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const code = await new Promise((r) => proc.on('exit', r));
  if (code !== 0) throw new Error(`admin ${args.join(' ')}: ${code} ${out}`);
  return out;
}

// The text of an .eml file: headers, and each text part decoded from
// base64 or quoted-printable in its charset (UTF-8 or ISO-8859-1).
function emlText(raw) {
  let text = raw;
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  for (const part of boundary ? raw.split(`--${boundary}`) : [raw]) {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const head = part.slice(0, split);
    const body = part.slice(split).trim();
    const enc = /content-transfer-encoding:\s*(\S+)/i.exec(head)?.[1]?.toLowerCase();
    let bytes = null;
    if (enc === 'base64') {
      bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    } else if (enc === 'quoted-printable') {
      bytes = Buffer.from(body.replace(/=\r?\n/g, '').replace(
          /=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    }
    const latin1 = /charset="?(iso-8859-1|latin1)/i.test(head);
    if (bytes) text += '\n' + bytes.toString(latin1 ? 'latin1' : 'utf8');
  }
  return text;
}

// Waits for the server (no SMTP configured) to write a mail to `to` into
// DATA/outbox whose text matches `re`; returns the decoded text.
export async function outboxMail(srv, to, re, timeoutMs = 30000) {
  const dir = path.join(srv.dataDir, 'outbox');
  for (const t0 = Date.now(); Date.now() - t0 < timeoutMs;) {
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const text = emlText(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (text.toLowerCase().includes(to.toLowerCase()) && re.test(text)) return text;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail to ${to} matching ${re} in ${dir}`);
}
