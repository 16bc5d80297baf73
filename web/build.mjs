// Builds web/dist: the UI bundle, the worker bundle, the service worker,
// the shell (index.html, css, manifest, icons) and core.js/core.wasm copied
// from an Emscripten build tree.
//   node build.mjs [--wasm DIR]   (DIR holds core.js + core.wasm;
//                                  default ../build/wasm/web)
import {build} from 'esbuild';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const here = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(here, 'dist');
const args = process.argv.slice(2);
const wasmDir = path.resolve(
    args.includes('--wasm') ? args[args.indexOf('--wasm') + 1] :
                              path.join(here, '../build/wasm/web'));

for (const f of ['core.js', 'core.wasm']) {
  if (!fs.existsSync(path.join(wasmDir, f))) {
    console.error(`web build: ${wasmDir}/${f} missing (build casesync_web first)`);
    process.exit(1);
  }
}

const hash = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 10);
fs.rmSync(dist, {recursive: true, force: true});
fs.mkdirSync(dist, {recursive: true});

const common = {bundle: true, format: 'esm', minify: true, sourcemap: false,
                target: 'es2022', outdir: dist, entryNames: '[name]-[hash]',
                metafile: true, logLevel: 'warning'};
const out = (r) => Object.keys(r.metafile.outputs)
    .filter((f) => f.endsWith('.js')).map((f) => path.basename(f))[0];

const worker = await build({...common, entryPoints: {worker: 'src/worker.ts'},
                            external: ['./core.js'], absWorkingDir: here});
const workerFile = out(worker);
const app = await build({...common, entryPoints: {app: 'src/main.ts'},
                         absWorkingDir: here,
                         define: {WORKER_URL: JSON.stringify(`/${workerFile}`)}});
const appFile = out(app);

const css = fs.readFileSync(path.join(here, 'static/app.css'));
const cssFile = `app-${hash(css)}.css`;
fs.writeFileSync(path.join(dist, cssFile), css);

for (const f of ['core.js', 'core.wasm']) {
  fs.copyFileSync(path.join(wasmDir, f), path.join(dist, f));
}
for (const f of ['manifest.webmanifest', 'icon.svg']) {
  fs.copyFileSync(path.join(here, 'static', f), path.join(dist, f));
}
for (const size of [192, 512]) {
  fs.writeFileSync(path.join(dist, `icon-${size}.png`), iconPng(size));
}
const index = fs.readFileSync(path.join(here, 'static/index.html'), 'utf8')
    .replace('%CSS%', cssFile).replace('%APP%', appFile);
fs.writeFileSync(path.join(dist, 'index.html'), index);

const assets = ['/', '/index.html', `/${appFile}`, `/${workerFile}`,
                `/${cssFile}`, '/core.js', '/core.wasm',
                '/manifest.webmanifest', '/icon.svg', '/icon-192.png',
                '/icon-512.png'];
// The service worker's own source is part of the hash: a change to sw.ts
// alone must still give the new version a cache of its own.
const buildHash = hash(Buffer.concat([
  ...assets.filter((a) => a !== '/').map(
      (a) => fs.readFileSync(path.join(dist, a.slice(1)))),
  fs.readFileSync(path.join(here, 'src/sw.ts')),
]));
await build({...common, entryPoints: {sw: 'src/sw.ts'}, entryNames: '[name]',
             absWorkingDir: here,
             define: {BUILD_HASH: JSON.stringify(buildHash),
                      ASSETS: JSON.stringify(assets)}});
fs.writeFileSync(path.join(dist, 'build.json'),
                 JSON.stringify({hash: buildHash, assets}, null, 1));
console.log(`web build: dist/ ${buildHash} (${appFile}, ${workerFile})`);

// A PNG icon: the brand blue with a white speech bubble, drawn per pixel.
function iconPng(n) {
  const raw = Buffer.alloc((n * 4 + 1) * n);
  for (let y = 0; y < n; y++) {
    raw[y * (n * 4 + 1)] = 0;
    for (let x = 0; x < n; x++) {
      const u = x / n, v = y / n;
      const bubble = u > 0.27 && u < 0.73 && v > 0.31 && v < 0.69;
      const tail = v >= 0.69 && v < 0.78 && u > 0.31 && u < 0.31 + (0.78 - v) * 1.5;
      const white = bubble || tail;
      const o = y * (n * 4 + 1) + 1 + x * 4;
      raw[o] = white ? 255 : 11;
      raw[o + 1] = white ? 255 : 92;
      raw[o + 2] = white ? 255 : 173;
      raw[o + 3] = 255;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32 ? zlib.crc32(td) : crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(n, 0);
  ihdr.writeUInt32BE(n, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
                        chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)),
                        chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) {
    c = (crc ^ buf[i]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
