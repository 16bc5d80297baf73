// The browser benchmark (issue 4), in headless Chromium against the real
// casesync-server. Prints figures; never fails on a slow result.
//
//   node tools/bench/web_bench.mjs [--quick]     (tools/bench/run web)
//
// What it measures, all inside one Chromium:
//   - the physical floor: one 4 KiB OPFS write + flush (sync access handle,
//     dedicated worker), p50/p99;
//   - durable local create+commit (ReplicaHandle.mutate('createCase') on the
//     OPFS VFS, synchronous=FULL, locking EXCLUSIVE, journal_mode=WAL) at
//     1,000 and 50,000 local cases (filled by applyPull of synthetic pages),
//     p50/p99, measured in the same worker as the floor;
//   - the IndexedDB backend: one 4 KiB put + commit (durability 'strict') as
//     its floor, and the durable create+commit at 1,000 cases (mutate, then
//     the worker's flush of the changed blocks, web/src/idb_store.ts bundled
//     here from source exactly as the app's worker uses it);
//   - first sync of 10,000 server cases (pull pages over HTTP + applyPull):
//     rows/s and time to a usable list (first page applied + first list
//     query answered);
//   - filter + sort of 10,000 cases (listCases: state + search + order, one
//     page of 50, and the whole result);
//   - cold and warm load of the app (to the sign-in form; warm: service
//     worker and HTTP cache filled, signed in, to the case list);
//   - sizes of core.wasm, core.js and the bundles, raw and gzip -9.
// The bench worker is injected with page.route() (it is not shipped in
// web/dist) and uses dist/core.js exactly as the app does.
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';

import {
  chromiumAvailable,
  DEMO,
  launch,
  pushCases,
  repo,
  startServer,
} from '../../tests/web/harness.mjs';

const quick = process.argv.includes('--quick');
const SERVER_CASES = quick ? 2000 : 10000;
const SAMPLES = quick ? 50 : 200;
const dist = process.env.CASESYNC_WEB_DIST ?? path.join(repo, 'web/dist');

if (!chromiumAvailable()) {
  console.log('web bench: /usr/bin/chromium or playwright-core missing');
  process.exit(0);
}

// ------------------------------------------------------------- bench worker

const BENCH_HTML = `<!doctype html><meta charset="utf-8"><title>bench</title>
<script type="module">
const w = new Worker('/bench-worker.js', {type: 'module'});
let next = 1; const waiting = new Map();
// A message posted while a module worker still runs its top-level await
// closed the page in this Chromium: define bench() only once it says ready.
const api = (op, arg) => new Promise((resolve, reject) => {
  const id = next++; waiting.set(id, {resolve, reject}); w.postMessage({id, op, arg}); });
w.onmessage = (e) => { if (e.data.ready) { window.bench = api; return; }
  const {id, result, error} = e.data;
  const p = waiting.get(id); waiting.delete(id);
  error ? p.reject(new Error(error)) : p.resolve(result); };
</script>`;

const BENCH_WORKER = `
import createCore from '/core.js';
import {IdbBlockStore, IdbFlusher} from '/bench-idb.js';
const core = await createCore();
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const stats = (a) => ({p50: pct(a, 50), p99: pct(a, 99), n: a.length});
const J = (s) => { if (s === undefined) return {}; const r = JSON.parse(s);
  if (!r.ok) throw new Error(JSON.stringify(r.error)); return r; };
const root = await navigator.storage.getDirectory();
globalThis.casesyncOpfs = {};
async function openFiles(name) {
  for (const n of [name, name + '-journal', name + '-wal']) {
    try { await root.removeEntry(n); } catch {}
    const fh = await root.getFileHandle(n, {create: true});
    globalThis.casesyncOpfs[n] = counted(n, await fh.createSyncAccessHandle());
  }
}
// Per-file counts and time of each sync access handle call (what a commit
// costs in OPFS calls).
const io = {};
function counted(name, h) {
  const w = {};
  for (const m of ['read', 'write', 'flush', 'truncate', 'getSize', 'close']) {
    w[m] = (...a) => {
      const k = (name.endsWith('-journal') ? 'journal.' : name.endsWith('-wal') ? 'wal.' : 'db.') + m;
      const t0 = performance.now();
      try { return h[m](...a); } finally {
        const e = (io[k] = io[k] || {n: 0, ms: 0, bytes: 0}); e.n++; e.ms += performance.now() - t0;
        if (m === 'write' || m === 'read') e.bytes += a[0].byteLength;
      }
    };
  }
  return w;
}
function ioReset() { for (const k of Object.keys(io)) delete io[k]; }
function ioPer(n) {
  const out = {};
  for (const [k, v] of Object.entries(io)) {
    out[k] = {calls: +(v.n / n).toFixed(2), ms: +(v.ms / n).toFixed(3), kb: +(v.bytes / n / 1024).toFixed(1)};
  }
  return out;
}
function closeFiles(name) {
  for (const n of [name, name + '-journal', name + '-wal']) {
    globalThis.casesyncOpfs[n]?.close(); delete globalThis.casesyncOpfs[n];
  }
  globalThis.casesyncOpfsIds = [];
}
async function openReplica(name, user, extra = {}) {
  await openFiles(name);
  const r = new core.ReplicaHandle();
  J(r.open(JSON.stringify({path: name, clientId: crypto.randomUUID(), storage: 'opfs', ...extra})));
  J(r.setActor(JSON.stringify(user), ''));
  return r;
}
const now = () => new Date().toISOString();
// Fills a replica with the catalog and n synthetic cases (pages of 5000);
// after each page, settle() (the IndexedDB flush).
async function fill(r, {n, user, catalogRows, product, issue}, settle) {
  J(r.applyPull(JSON.stringify({cursor: 'c0', lastMutationId: 0, more: false,
    rejections: [], patch: catalogRows.map((row) => ({op: 'put', table: 'catalog', row}))}), now()));
  await settle();
  for (let i = 0; i < n; i += 5000) {
    const patch = [];
    for (let k = i; k < Math.min(n, i + 5000); k++) {
      patch.push({op: 'put', table: 'cases', row: {
        id: 'local-' + k, number: 'CS' + String(1000000 + k).padStart(7, '0'),
        accountId: user.accountId, contactId: user.id, serviceId: product.parentId,
        productId: product.id, issueTypeId: issue.id, contactHours: 'Lunes a viernes',
        contactPhone: '+57 310 555 0101', subject: 'Caso local ' + k,
        description: 'Descripción ' + k, priority: 3, state: 'open', channel: 'web',
        parentId: '', createdAt: now(), updatedAt: now(),
        resolutionCode: '', resolutionNotes: ''}});
    }
    J(r.applyPull(JSON.stringify({cursor: 'c' + (i + 1), lastMutationId: 0, more: false,
                                  rejections: [], patch}), now()));
    await settle();
  }
}
// Times samples of createCase; with \`durable\`, each ends when it resolves.
async function creates(r, {product, issue, samples}, durable) {
  const t = [];
  for (let i = 0; i < samples; i++) {
    const args = JSON.stringify({id: crypto.randomUUID(), serviceId: product.parentId,
      productId: product.id, issueTypeId: issue.id, contactHours: 'Lunes a viernes',
      contactPhone: '+57 310 555 0101', subject: 'Nuevo ' + i, description: 'Texto ' + i});
    const t0 = performance.now();
    J(r.mutate('createCase', args, now()));
    if (durable) await durable();
    t.push(performance.now() - t0);
  }
  return stats(t);
}
async function freshIdb(name) {
  await new Promise((resolve) => {
    const d = indexedDB.deleteDatabase(name);
    d.onsuccess = d.onerror = d.onblocked = () => resolve();
  });
}
const ops = {
  async idbFloor(samples) {
    await freshIdb('bench-floor');
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('bench-floor', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('blocks');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const t = [];
    for (let i = 0; i < samples; i++) {
      const block = new Uint8Array(4096).fill(i & 255);
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        const tx = db.transaction('blocks', 'readwrite', {durability: 'strict'});
        tx.objectStore('blocks').put(block, Math.floor(Math.random() * 256));
        tx.oncomplete = resolve;
        tx.onabort = tx.onerror = () => reject(tx.error);
      });
      t.push(performance.now() - t0);
    }
    db.close();
    return stats(t);
  },
  async createIdb(arg) {
    const name = 'idb-create-' + arg.n + '.db';
    await freshIdb('casesync-' + name);
    const store = await IdbBlockStore.open(name);
    globalThis.casesyncIdb = await store.load();
    let flushes = 0, blocks = 0;
    const counted = {write(b, size, bs) { flushes++; blocks += b.length; return store.write(b, size, bs); }};
    const flusher = new IdbFlusher(core, counted);
    const r = new core.ReplicaHandle();
    J(r.open(JSON.stringify({path: name, clientId: crypto.randomUUID(), storage: 'idb'})));
    delete globalThis.casesyncIdb;
    J(r.setActor(JSON.stringify(arg.user), ''));
    const fill0 = performance.now();
    await fill(r, arg, () => flusher.durable());
    const fillMs = performance.now() - fill0;
    flushes = 0; blocks = 0;
    const create = await creates(r, arg, () => flusher.durable());
    const perCommit = {flushes: flushes / arg.samples, blocks: blocks / arg.samples};
    r.close(); r.delete(); store.close();
    return {n: arg.n, fillMs, create, perCommit};
  },
  async floor(samples) {
    const fh = await root.getFileHandle('floor.bin', {create: true});
    const h = await fh.createSyncAccessHandle();
    const buf = new Uint8Array(4096).fill(7);
    h.truncate(1 << 20);
    const t = [];
    for (let i = 0; i < samples; i++) {
      const at = (Math.floor(Math.random() * 256)) * 4096;
      const t0 = performance.now();
      h.write(buf, {at}); h.flush();
      t.push(performance.now() - t0);
    }
    h.close();
    return stats(t);
  },
  // Through the core's SyncEngine exactly as web/src/worker.ts drives it:
  // with pipelinePulls the next page is asked for (syncTakePrefetch) before
  // the current one is stored (syncApplyStaged); without, one request at a
  // time.
  async firstSync({token, user, name, pipeline}) {
    const r = await openReplica(name, user, {pipelinePulls: pipeline});
    const send = (method, path, body) => fetch(path, {method,
      body: method === 'GET' ? undefined : body,
      headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + token},
    }).then(async (res) => ({status: res.status, body: new Uint8Array(await res.arrayBuffer())}));
    let prefetched = null;
    ioReset();
    const t0 = performance.now();
    let usableMs = 0, netMs = 0, applyMs = 0;
    const waits = [];  // per answer: how long the worker waited for it
    let decodeMs = 0, storeMs = 0;  // pipelined pages: syncOnResponse, syncApplyStaged
    r.syncStart();
    for (;;) {
      let answer;
      if (prefetched) {
        answer = prefetched;
        prefetched = null;
      } else {
        const step = J(r.syncNext(0));
        // After the last page the engine (watch mode) would poke: done.
        if (step.kind !== 'request' || step.method === 'GET') break;
        answer = send(step.method, step.path, step.body);
      }
      const n0 = performance.now();
      const a = await answer;
      const a0 = performance.now();
      netMs += a0 - n0;
      waits.push(a0 - n0);
      if (a.status !== 200) throw new Error('sync answered ' + a.status);
      J(r.syncOnResponse(a.status, a.body, now()));
      const next = J(r.syncTakePrefetch()).request;
      if (next) {
        decodeMs += performance.now() - a0;
        prefetched = send('POST', next.path, next.body);
        await new Promise((resolve) => setTimeout(resolve, 0));  // as the worker
        const s0 = performance.now();
        J(r.syncApplyStaged(now()));
        storeMs += performance.now() - s0;
      }
      applyMs += performance.now() - a0;
      if (!usableMs) {
        J(r.listCases(JSON.stringify({limit: 50})));
        usableMs = performance.now() - t0;
      }
    }
    const totalMs = performance.now() - t0;
    const opfs = ioPer(1);  // OPFS calls of the whole first sync
    // What the worker does next, when its loop goes idle: the checkpoint
    // the sync's commits did not pay inline (not part of totalMs).
    const c0 = performance.now();
    const checkpointFrames = J(r.idleCheckpoint()).frames;
    const checkpointMs = performance.now() - c0;
    const progress = J(r.syncStatus()).status.progress;
    const rows = progress.rows, pages = progress.pages;
    // filter + sort over the synced cases
    const count = Object.values(J(r.countByState()).counts).reduce((a, b) => a + b, 0);
    const q = (o) => JSON.stringify(o);
    const fs50 = [], fsAll = [], sortOnly = [], keysetNumber = [],
          offsetUpdated = [], keysetUpdated = [];
    // The row before a deep page, as the list's Siguiente passes it ("after",
    // keyset paging) for the two orders: by number and the default, updated.
    const rowAt = (order) =>
        J(r.listCases(q({order, limit: 1, offset: 4999}))).items[0];
    const afterNumber = rowAt('numberDesc'), afterUpdated = rowAt('updatedDesc');
    for (let i = 0; i < 30; i++) {
      let t = performance.now();
      J(r.listCases(q({state: 'new', search: 'factura', order: 'numberDesc', limit: 50})));
      fs50.push(performance.now() - t);
      t = performance.now();
      J(r.listCases(q({search: 'factura', order: 'updatedAsc'})));
      fsAll.push(performance.now() - t);
      t = performance.now();
      J(r.listCases(q({order: 'numberDesc', limit: 50, offset: 5000})));
      sortOnly.push(performance.now() - t);
      t = performance.now();
      J(r.listCases(q({order: 'numberDesc', limit: 50, after: afterNumber})));
      keysetNumber.push(performance.now() - t);
      t = performance.now();
      J(r.listCases(q({order: 'updatedDesc', limit: 50, offset: 5000})));
      offsetUpdated.push(performance.now() - t);
      t = performance.now();
      J(r.listCases(q({order: 'updatedDesc', limit: 50, after: afterUpdated})));
      keysetUpdated.push(performance.now() - t);
    }
    const matched = J(r.listCases(q({search: 'factura', order: 'updatedAsc'}))).items.length;
    r.close(); r.delete(); closeFiles(name);
    return {rows, pages, totalMs, usableMs, netMs, applyMs, waits, decodeMs, storeMs, checkpointFrames, checkpointMs, count, matched, opfs,
            filterSort50: stats(fs50), filterSortAll: stats(fsAll), sortPage: stats(sortOnly),
            keysetNumber: stats(keysetNumber), offsetUpdated: stats(offsetUpdated),
            keysetUpdated: stats(keysetUpdated)};
  },
  async create({n, user, catalogRows, product, issue, samples}) {
    const name = 'create-' + n + '.db';
    const r = await openReplica(name, user);
    const fill0 = performance.now();
    await fill(r, {n, user, catalogRows, product, issue}, async () => {});
    const fillMs = performance.now() - fill0;
    ioReset();
    const create = await creates(r, {product, issue, samples}, null);
    const perCommit = ioPer(samples);
    r.close(); r.delete(); closeFiles(name);
    return {n, fillMs, create, perCommit};
  },
};
onmessage = async (e) => {
  const {id, op, arg} = e.data;
  try { postMessage({id, result: await ops[op](arg)}); }
  catch (err) { postMessage({id, error: String(err && err.stack || err)}); }
};
postMessage({ready: true});
`;

// ------------------------------------------------------------------ main

// web/src/idb_store.ts as an ES module, bundled with the app's esbuild.
async function bundleIdbStore() {
  const require = createRequire(path.join(repo, 'web/package.json'));
  const {build} = require('esbuild');
  const out = await build({entryPoints: [path.join(repo, 'web/src/idb_store.ts')],
                           bundle: true, format: 'esm', target: 'es2022', write: false,
                           logLevel: 'warning'});
  return out.outputFiles[0].text;
}

function size(file) {
  const b = fs.readFileSync(path.join(dist, file));
  return {raw: b.length, gzip: zlib.gzipSync(b, {level: 9}).length};
}

const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);

async function main() {
  const srv = await startServer();
  const browser = await launch();
  try {
    console.log(`web bench: Chromium headless, ${SERVER_CASES} server cases` +
                `${quick ? ' (--quick)' : ''}`);
    const seed = await pushCases(srv.url, DEMO.sofia, SERVER_CASES);
    console.log(`  seeded ${SERVER_CASES} cases on the server in ${f1(seed.ms / 1000)} s`);
    const me = await (await fetch(`${srv.url}/api/v1/auth/me`, {
      headers: {Authorization: `Bearer ${seed.token}`},
    })).json();
    const user = me.user;
    const cat = await (await fetch(`${srv.url}/api/v1/catalog`, {
      headers: {Authorization: `Bearer ${seed.token}`},
    })).json();
    const catalogRows = cat.items ?? cat.catalog ?? cat;

    const ctx = await browser.newContext({serviceWorkers: 'block'});
    await ctx.route('**/bench.html', (r) => r.fulfill({
      body: BENCH_HTML, contentType: 'text/html'}));
    await ctx.route('**/bench-worker.js', (r) => r.fulfill({
      body: BENCH_WORKER, contentType: 'text/javascript'}));
    const idbModule = await bundleIdbStore();
    await ctx.route('**/bench-idb.js', (r) => r.fulfill({
      body: idbModule, contentType: 'text/javascript'}));
    const page = await ctx.newPage();
    page.on('console', (m) => m.type() === 'error' && console.log('console:', m.text()));
    page.on('crash', () => console.log('page crashed'));
    page.on('pageerror', (e) => console.log('pageerror:', e.message));
    await page.goto(`${srv.url}/bench.html`);
    await page.waitForFunction(() => !!window.bench);
    const run = (op, arg) => page.evaluate(([op, arg]) => window.bench(op, arg), [op, arg]);

    const floor = await run('floor', SAMPLES);
    console.log('\nDurable local create+commit (OPFS VFS, synchronous=FULL, locking EXCLUSIVE, journal WAL)');
    console.log(`  4 KiB OPFS write+flush (floor)        p50 ${f2(floor.p50)} ms  p99 ${f2(floor.p99)} ms`);
    for (const n of quick ? [1000, 10000] : [1000, 50000]) {
      const c = await run('create', {n, user, catalogRows, product: seed.product,
                                     issue: seed.issue, samples: SAMPLES});
      console.log(`  createCase at ${String(n).padStart(6)} cases        p50 ${f2(c.create.p50)} ms  p99 ${
          f2(c.create.p99)} ms  = ${f2(c.create.p50 / floor.p50)}x floor (target <= 1.5x)` +
          `  [fill ${f1(c.fillMs)} ms]`);
      console.log(`    OPFS calls per create: ${Object.entries(c.perCommit).map(([k, v]) =>
          `${k} ${v.calls}× ${f2(v.ms)} ms`).join(', ')}`);
    }

    const idbFloor = await run('idbFloor', SAMPLES);
    console.log('\nDurable local create+commit (IndexedDB VFS: blocks in memory, journal MEMORY,' +
                ' one strict IDB transaction per commit)');
    console.log(`  4 KiB IDB put+commit (floor, strict)  p50 ${f2(idbFloor.p50)} ms  p99 ${f2(idbFloor.p99)} ms`);
    const ci = await run('createIdb', {n: 1000, user, catalogRows, product: seed.product,
                                       issue: seed.issue, samples: SAMPLES});
    console.log(`  createCase at ${String(ci.n).padStart(6)} cases        p50 ${f2(ci.create.p50)} ms  p99 ${
        f2(ci.create.p99)} ms  = ${f2(ci.create.p50 / idbFloor.p50)}x IDB floor, ${
        f2(ci.create.p50 / floor.p50)}x OPFS floor  [fill ${f1(ci.fillMs)} ms]`);
    console.log(`    per create: ${f2(ci.perCommit.flushes)} IDB transactions, ${
        f2(ci.perCommit.blocks)} blocks of 4 KiB`);

    // The first sync is noisy (±20% between runs here): several runs, each
    // into a new database, and the median one reported in full.
    // Alternating the app's pipelined pulls with one request at a time.
    const syncs = [], serial = [];
    for (let i = 0; i < (quick ? 1 : 5); i++) {
      syncs.push(await run('firstSync', {token: seed.token, user, name: `sync-${i}.db`, pipeline: true}));
      if (i < 3) {
        serial.push(await run('firstSync', {token: seed.token, user, name: `serial-${i}.db`, pipeline: false}));
      }
    }
    const rate = (x) => Math.round(x.rows / (x.totalMs / 1000));
    const median = (xs) => [...xs].sort((a, b) => a.totalMs - b.totalMs)[Math.floor(xs.length / 2)];
    const s = median(syncs), q1 = median(serial);
    console.log(`\nFirst sync (${s.rows} rows, ${s.pages} pages, ${s.count} cases) through the SyncEngine, ` +
                `median of ${syncs.length} runs each into a new database`);
    console.log(`  every run: ${syncs.map(rate).join(', ')} rows/s`);
    console.log(`  total ${f1(s.totalMs)} ms = ${Math.round(s.rows / (s.totalMs / 1000))} rows/s` +
                ` (target >= 30000)  [waiting for answers ${f1(s.netMs)} ms, decode + store ${f1(s.applyMs)} ms` +
                ` = ${Math.round(s.rows / (s.applyMs / 1000))} rows/s]`);
    console.log(`  pages that ran ahead: decode + checks ${f1(s.decodeMs)} ms, store ${f1(s.storeMs)} ms`);
    console.log(`  waits per answer: ${s.waits.map(f1).join(', ')} ms (pipelined); ` +
                `${q1.waits.map(f1).join(', ')} ms (one at a time)`);
    console.log(`  one request at a time (no prefetch), median of ${serial.length}: ${f1(q1.totalMs)} ms = ` +
                `${rate(q1)} rows/s [every run: ${serial.map(rate).join(', ')}; waiting ${f1(q1.netMs)} ms, ` +
                `decode + store ${f1(q1.applyMs)} ms]`);
    console.log(`  time to a usable list (first page applied + list) ${f1(s.usableMs)} ms`);
    console.log(`  then, with the worker idle: WAL checkpoint of ${s.checkpointFrames} frames ${f1(s.checkpointMs)} ms` +
                ` (one at a time: ${q1.checkpointFrames} frames ${f1(q1.checkpointMs)} ms)`);
    const opfsLine = (x) => Object.entries(x.opfs).map(([k, v]) =>
        `${k} ${v.calls}× ${f1(v.ms)} ms${v.kb ? ` ${Math.round(v.kb)} KiB` : ''}`).join(', ');
    console.log(`  OPFS calls in all: ${opfsLine(s)}`);
    console.log(`  OPFS calls in all (one at a time): ${opfsLine(q1)}`);
    console.log(`\nFilter + sort of ${s.count} cases (target <= 16 ms)`);
    console.log(`  state+search+sort, page of 50          p50 ${f2(s.filterSort50.p50)} ms  p99 ${f2(s.filterSort50.p99)} ms`);
    console.log(`  search+sort, all ${String(s.matched).padStart(5)} matches         p50 ${f2(s.filterSortAll.p50)} ms  p99 ${f2(s.filterSortAll.p99)} ms`);
    console.log(`  sort, page of 50 at offset 5000        p50 ${f2(s.sortPage.p50)} ms  p99 ${f2(s.sortPage.p99)} ms`);
    const line = (label, st) => console.log(
        `  ${label.padEnd(38)} p50 ${f2(st.p50)} ms  p99 ${f2(st.p99)} ms`);
    line('by number, page of 50 after row 5000', s.keysetNumber);
    line('by updated, page of 50 at offset 5000', s.offsetUpdated);
    line('by updated, page of 50 after row 5000', s.keysetUpdated);
    await ctx.close();

    // Cold and warm load of the real app.
    const load = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const c = await browser.newContext();
      const p = await c.newPage();
      let t0 = performance.now();
      await p.goto(srv.url);
      await p.waitForSelector('#email');
      const cold = performance.now() - t0;
      await p.fill('#email', DEMO.laura.email);
      await p.fill('#password', DEMO.laura.password);
      await p.click('#login button[type=submit]');
      await p.waitForSelector('table.cases');
      await p.waitForFunction(() => !!navigator.serviceWorker.controller);
      t0 = performance.now();
      await p.reload();
      await p.waitForSelector('table.cases');
      const warm = performance.now() - t0;
      load.push({cold, warm});
      await c.close();
    }
    const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(`\nApp load (median of ${load.length})`);
    console.log(`  cold (empty cache, to the sign-in form)          ${f1(med(load.map((l) => l.cold)))} ms`);
    console.log(`  warm (service worker, signed in, to the list)    ${f1(med(load.map((l) => l.warm)))} ms`);

    console.log('\nSizes (web/dist)');
    const build = JSON.parse(fs.readFileSync(path.join(dist, 'build.json'), 'utf8'));
    const files = ['core.wasm', 'core.js',
                   ...build.assets.filter((a) => /^\/(app|worker)-.*\.js$/.test(a))
                       .map((a) => a.slice(1)), 'sw.js'];
    for (const f of files) {
      const z = size(f);
      console.log(`  ${f.padEnd(24)} ${f1(z.raw / 1000).padStart(8)} KB raw  ${
          f1(z.gzip / 1000).padStart(7)} KB gzip -9`);
    }
  } finally {
    await browser.close();
    await srv.stop();
  }
}

await main();
