// The service worker: the app shell and core.wasm offline.
//   - install: caches every file of this build under `casesync-<hash>`;
//   - a new version waits (no automatic skipWaiting while a page uses the
//     old one): the page offers "Actualizar", which posts 'skipWaiting';
//   - activate: deletes the caches of older builds, claims the pages;
//   - /api/*, /healthz, /metrics: not handled at all (the browser goes to
//     the network; offline the worker's fetch() fails and it says so). Even
//     a pass-through respondWith() would keep a fetch event open for the
//     whole poke long-poll (25 s, one after another), and Chromium activates
//     a waiting version only when the active one has no event in flight: the
//     update offered to the user would never apply;
//   - everything else: cache first, then network; navigations get the
//     cached index.html (client-side routes).
declare const BUILD_HASH: string;
declare const ASSETS: string[];

const CACHE = `casesync-${BUILD_HASH}`;
const sw = self as unknown as ServiceWorkerGlobalScope;

sw.addEventListener('install', (e) => {
  e.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS);
    // First install (no page controlled by an older version): safe to
    // activate at once.
    if (!sw.registration.active) await sw.skipWaiting();
  })());
});

sw.addEventListener('activate', (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) {
      if (k.startsWith('casesync-') && k !== CACHE) await caches.delete(k);
    }
    await sw.clients.claim();
  })());
});

sw.addEventListener('message', (e) => {
  if (e.data === 'skipWaiting') void sw.skipWaiting();
});

sw.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/healthz' ||
      url.pathname === '/metrics') {
    return;
  }
  e.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = req.mode === 'navigate' ? '/index.html' : req;
    const hit = await cache.match(key, {ignoreSearch: req.mode === 'navigate'});
    if (hit) return hit;
    const res = await fetch(req);
    if (res.ok && req.mode !== 'navigate') await cache.put(req, res.clone());
    return res;
  })());
});
