// Entry point of the page: starts the worker, registers the service worker
// and renders the app (web/src/ui/app.ts).
import {WorkerClient} from './rpc';
import {startApp} from './ui/app';
import {setLang, getLang} from './ui/i18n';

declare const WORKER_URL: string;

setLang(getLang());
// `?storage=idb` (kept in localStorage; `?storage=auto` forgets it) makes the
// worker use IndexedDB even where OPFS works: for tests and support.
const asked = new URLSearchParams(location.search).get('storage');
if (asked === 'idb') localStorage.setItem('casesync.storage', 'idb');
if (asked === 'auto') localStorage.removeItem('casesync.storage');
const storage = localStorage.getItem('casesync.storage') ?? 'auto';
const worker = new Worker(WORKER_URL, {type: 'module', name: `casesync:${storage}`});
startApp(new WorkerClient(worker));

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').then((reg) => {
    // A new version waits until the user accepts it (see ui/app.ts).
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      w?.addEventListener('statechange', () => {
        if (w.state === 'installed' && navigator.serviceWorker.controller) {
          document.dispatchEvent(new CustomEvent('casesync-update', {detail: w}));
        }
      });
    });
  }).catch((e) => console.warn('service worker', e));
}
