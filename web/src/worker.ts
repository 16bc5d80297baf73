// The dedicated worker: owns core.wasm, the local database and the network.
//
// Ownership: one tab at a time holds the Web Lock "casesync-db" and opens the
// database (OPFS sync access handles are exclusive anyway). The worker of any
// other tab forwards its RPC calls to the owner over the BroadcastChannel
// "casesync-rpc" and waits on the lock; when the owner's tab closes, the lock
// frees and the next tab opens the database itself (docs/web.md).
//
// Network: the core's SyncEngine (sync_engine.h) decides what to send; this
// file makes the fetch() calls, sleeps when told to and wakes early on
// `online`, a new mutation or syncNow().
import type {
  Api,
  ApiError,
  AppStatus,
  Method,
  RpcEvent,
  RpcRequest,
  RpcResponse,
  User,
} from './rpc';

import {IdbBlockStore, IdbFlusher} from './idb_store';

// core.js is emitted by emscripten next to this file in dist/.
// @ts-ignore: no type declarations for the generated module
import createCore from './core.js';

interface ReplicaHandle {
  [name: string]: (...a: unknown[]) => string;
}

const DB_PATH = 'casesync.db';
const LOCK = 'casesync-db';
const channel = new BroadcastChannel('casesync-rpc');

let core: {
  ReplicaHandle: new () => ReplicaHandle;
  labels(): string;
  idbTakeDirty(): number;
  idbFlushDone(ok: boolean): void;
} | null = null;
let replica: ReplicaHandle | null = null;
let owner = false;
let storage: AppStatus['storage'] = 'remote';
let persisted = false;
let session: AppStatus['session'] = 'none';
let user: User | null = null;
let token = '';
let phase = 'idle';
let online = navigator.onLine;
const firstSync = {active: false, rows: 0, pages: 0};

class Fail extends Error {
  constructor(public code: string, message: string) {
    super(message);
  }
}

// Calls a binding method; its JSON answer is {ok, …} or {ok:false, error}.
function call<T = Record<string, unknown>>(name: string, ...args: unknown[]): T {
  if (!replica) throw new Fail('unavailable', 'database not open');
  const text = replica[name](...args);
  if (text === undefined) return {} as T;  // void methods
  const r = JSON.parse(text);
  if (!r.ok) throw new Fail(r.error.code, r.error.message);
  return r as T;
}

const now = () => new Date().toISOString();
const uuid = () => crypto.randomUUID();

function emit(event: RpcEvent['event'], data: unknown): void {
  (self as unknown as Worker).postMessage({event, data} satisfies RpcEvent);
  if (owner) channel.postMessage({event, data});
}

// ---------------------------------------------------------------- opening

// OPFS through sync access handles: 'ok'; 'unsupported' where this browser
// has no such handles (IndexedDB is used instead); 'failed' where it has
// them but they stay busy or broken. A failure never falls back to
// IndexedDB: this device's cases would then be split between two
// databases, the OPFS one out of sight. The worker of a page that is
// closing (a reload, a takeover) can hold the handles a moment after its
// Web Lock is released, so a busy handle is retried for about ten seconds.
async function openOpfs(): Promise<'ok' | 'unsupported' | 'failed'> {
  // deno-lint-ignore no-explicit-any
  const fileHandle = (globalThis as any).FileSystemFileHandle;
  if (!navigator.storage?.getDirectory ||
      typeof fileHandle?.prototype?.createSyncAccessHandle !== 'function') {
    return 'unsupported';
  }
  let root: FileSystemDirectoryHandle;
  try {
    root = await navigator.storage.getDirectory();
  } catch (e) {
    console.warn('OPFS refused (e.g. a private window)', e);
    return 'unsupported';
  }
  for (let attempt = 0;; attempt++) {
    const handles: Record<string, {close(): void}> = {};
    try {
      for (const name of [DB_PATH, `${DB_PATH}-journal`, `${DB_PATH}-wal`]) {
        const fh = await root.getFileHandle(name, {create: true});
        // deno-lint-ignore no-explicit-any
        handles[name] = await (fh as any).createSyncAccessHandle();
      }
      (globalThis as Record<string, unknown>).casesyncOpfs = handles;
      return 'ok';
    } catch (e) {
      for (const h of Object.values(handles)) {
        try {
          h.close();
        } catch {
          // already closed
        }
      }
      if (attempt >= 40) {
        console.warn('OPFS unavailable, running in memory', e);
        return 'failed';
      }
      await new Promise((r) => setTimeout(r, 50 + 10 * attempt));
    }
  }
}

// The IndexedDB backend (web/src/idb_store.ts): blocks loaded before open,
// each commit flushed before its call is answered.
let flusher: IdbFlusher | null = null;

async function openIdb(): Promise<boolean> {
  try {
    const store = await IdbBlockStore.open(DB_PATH);
    (globalThis as Record<string, unknown>).casesyncIdb = await store.load();
    flusher = new IdbFlusher(core!, store);
    return true;
  } catch (e) {
    console.warn('IndexedDB unavailable', e);
    return false;
  }
}

// Resolves once every commit so far is durable (at once but for IndexedDB,
// where commits are durable only after the worker's flush).
function durable(): Promise<void> {
  return storage === 'idb' && flusher ? flusher.durable() : Promise.resolve();
}

// The page may ask for a backend (main.ts passes it as the worker's name,
// "casesync:idb"): tests force IndexedDB where OPFS works.
const preferred = self.name.startsWith('casesync:') ? self.name.slice(9) : '';

async function becomeOwner(): Promise<void> {
  core = core ?? await createCore();
  const opfs = preferred === 'idb' ? 'unsupported' : await openOpfs();
  if (opfs === 'ok') storage = 'opfs';
  else if (opfs === 'unsupported' && await openIdb()) storage = 'idb';
  else storage = 'memory';
  try {
    persisted = (await navigator.storage.persist?.()) ?? false;
  } catch {
    persisted = false;
  }
  replica = new core!.ReplicaHandle();
  call('open', JSON.stringify({path: DB_PATH, clientId: uuid(), storage,
                              pipelinePulls: true}));
  delete (globalThis as Record<string, unknown>).casesyncIdb;  // now in wasm
  await durable();  // the migrations of a new database
  owner = true;
  channel.postMessage({ownerReady: true});
  const meta = (k: string) => call<{value: string | null}>('getMeta', k).value;
  token = meta('token') ?? '';
  const u = meta('user');
  user = u ? JSON.parse(u) : null;
  session = user && token ? 'active' : user ? 'expired' : 'none';
  if (meta('mustChangePassword') === '1' && token) session = 'password_change';
  emit('status', status());
  emit('changed', {});
  if (session === 'active') kick();
}

function status(): AppStatus {
  let pending = 0, lastSyncAt = '', openRejections = 0;
  if (replica) {
    const s = call<{pending: number; lastSyncAt: string; openRejections: number}>(
        'syncState');
    pending = s.pending;
    lastSyncAt = s.lastSyncAt;
    openRejections = s.openRejections;
  }
  return {
    storage, owner, online, session, user, pending, lastSyncAt,
    openRejections, phase, firstSync: {...firstSync}, persisted,
  };
}

// ---------------------------------------------------------------- network

async function api(path: string, body?: unknown, method = 'POST'):
    Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {'Content-Type': 'application/json'};
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    setOnline(false);
    throw new Fail('offline', 'Sin conexión');
  }
  setOnline(true);
  const text = await res.text();
  const j = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const e = (j.error ?? {code: 'internal', message: res.statusText}) as
        ApiError;
    throw new Fail(e.code, e.message);
  }
  return j;
}

function setOnline(v: boolean): void {
  if (online === v) return;
  online = v;
  emit('status', status());
}

let running = false;
let again = false;
let wake: (() => void) | null = null;  // ends a backoff sleep early
let pokeAbort: AbortController | null = null;

// What one HTTP exchange gave: an answer, or no answer at all. The body
// stays bytes: embind copies a Uint8Array into the core's std::string as it
// is (a pull page of 5,000 rows is ~5 MB; as a JS string it would be
// decoded from UTF-8 and encoded back on this thread).
type Answer = {status: number; body: Uint8Array} | {error: string};

function send(method: string, path: string, body: string,
              signal?: AbortSignal): Promise<Answer> {
  return fetch(path, {
    method,
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
    },
    body: method === 'GET' ? undefined : body,
    signal,
  }).then(async (res): Promise<Answer> => ({
    status: res.status,
    body: new Uint8Array(await res.arrayBuffer()),
  })).catch((e) => ({error: String(e)}));  // also a body cut off midway
}

// Pipelined pulls (SyncOptions::pipeline_pulls, docs/web.md): a pull page
// that says more follow is decoded by syncOnResponse but stored only by
// syncApplyStaged; in between the next page's request is sent, so the
// network and the server work while the page is stored. The loop answers
// that request before it asks the engine for the next step.
let prefetched: {answer: Promise<Answer>; ctrl: AbortController} | null = null;

// Its answer then fails as aborted, or is never awaited.
function abortPrefetch(): void {
  prefetched?.ctrl.abort();
}

// One turn of the event loop: a fetch() started before it has left the
// worker when it returns (Chromium dispatches the request from a task).
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// Starts the sync loop, or makes the running one push what was just queued.
function kick(): void {
  if (!replica || session !== 'active') return;
  if (!running) {
    void loop();
    return;
  }
  again = true;
  wake?.();
  pokeAbort?.abort();
}

function readProgress(): void {
  const st = call<{status: {phase: string; progress: {rows: number;
                                                     pages: number}}}>(
      'syncStatus').status;
  phase = st.phase;
  if (firstSync.active) {
    firstSync.rows = st.progress.rows;
    firstSync.pages = st.progress.pages;
  }
}

async function loop(): Promise<void> {
  running = true;
  try {
    call('syncStart');
    const first = !call<{cursor: string | null}>('syncState').cursor;
    if (first) Object.assign(firstSync, {active: true, rows: 0, pages: 0});
    for (;;) {
      let answer: Promise<Answer>;
      let isPoke = false;
      let ctrl: AbortController;
      if (prefetched) {
        // The engine's request in flight: answer it first.
        answer = prefetched.answer;
        ctrl = prefetched.ctrl;
        prefetched = null;
      } else {
        if (again) {
          again = false;
          call('syncStart');
        }
        const step = call<{kind: string; method: string; path: string;
                           body: string; waitMs: number}>(
            'syncNext', Math.random() * 2 ** 52);
        readProgress();
        if (step.kind === 'done') {
          if (phase === 'needs_sign_in' || phase === 'needsSignIn' ||
              phase.includes('sign')) {
            await sessionExpired();
          }
          break;
        }
        if (step.kind === 'wait') {
          emit('status', status());
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, step.waitMs);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wake = null;
          continue;
        }
        isPoke = step.method === 'GET';
        if (isPoke) {
          // The round is over and the loop is about to wait: the moment for
          // a WAL checkpoint, off every commit's path (core_bindings.cpp).
          try {
            call('idleCheckpoint');
          } catch (e) {
            console.error('checkpoint', e);
          }
          if (firstSync.active) firstSync.active = false;
          emit('status', status());
          if (again) {
            again = false;
            call('syncOnTransportError', 'interrupted');
            call('syncStart');
            continue;
          }
        }
        // Nothing leaves before it is stored: a mutation the server saw but
        // this device lost would have its id reused by the next one.
        try {
          await durable();
        } catch (e) {
          console.error('IndexedDB flush', e);
          call('syncOnTransportError', `local storage: ${String(e)}`);
          continue;  // the engine backs off; the blocks are retried
        }
        ctrl = new AbortController();
        if (isPoke) pokeAbort = ctrl;
        answer = send(step.method, step.path, step.body, ctrl.signal);
      }
      const a = await answer;
      pokeAbort = null;
      if ('error' in a) {
        if (!ctrl.signal.aborted) setOnline(false);
        try {
          call('syncOnTransportError', a.error);
        } catch { /* only fails when closed */ }
        if (ctrl.signal.aborted) {
          again = false;
          call('syncStart');
        }
      } else {
        setOnline(true);
        call('syncOnResponse', a.status, a.body, now());
        const next = call<{request: {path: string; body: string} | null}>(
            'syncTakePrefetch').request;
        if (next) {
          const c = new AbortController();
          prefetched = {answer: send('POST', next.path, next.body, c.signal),
                        ctrl: c};
          await nextTask();
          call('syncApplyStaged', now());
        }
        // The next prefetch says this page is applied: on IndexedDB that
        // holds only once its blocks are stored.
        try {
          await durable();
        } catch (e) {
          console.error('IndexedDB flush', e);
          abortPrefetch();  // the round starts over
        }
        if (!isPoke || a.status !== 200) emit('changed', {});
      }
      readProgress();
      emit('status', status());
    }
  } catch (e) {
    console.error('sync loop', e);
  } finally {
    // A prefetch whose page was not stored is never answered (the engine
    // starts over from its stored cursor).
    abortPrefetch();
    prefetched = null;
    running = false;
    firstSync.active = false;
    emit('status', status());
  }
}

async function sessionExpired(): Promise<void> {
  session = 'expired';
  emit('status', status());
}

// ---------------------------------------------------------------- the API

function signedIn(u: User, t: string, mustChange: boolean): void {
  const previous = user?.id;
  // Same user again (e.g. after expiry): keep the outbox and the clientId.
  const fresh = previous && previous !== u.id ? uuid() : '';
  if (!previous || previous !== u.id) {
    call('setActor', JSON.stringify(u), fresh);
  }
  user = u;
  token = t;
  call('setMeta', 'token', t);
  call('setMeta', 'user', JSON.stringify(u));
  call('setMeta', 'mustChangePassword', mustChange ? '1' : '0');
  session = mustChange ? 'password_change' : 'active';
  emit('status', status());
  emit('changed', {});
  kick();
}

const handlers: {[M in Method]: (...a: Parameters<Api[M]>) =>
                     ReturnType<Api[M]> | Promise<ReturnType<Api[M]>>} = {
  status,
  labels: () => JSON.parse(core!.labels()),
  async login(email, password, remember) {
    const r = await api('/api/v1/auth/login', {email, password, remember});
    const u = r.user as User;
    signedIn(u, r.token as string, !!r.mustChangePassword);
    return {mustChangePassword: !!r.mustChangePassword, user: u};
  },
  async logout() {
    try {
      await api('/api/v1/auth/logout', {});
    } catch { /* offline: the token is forgotten locally anyway */ }
    token = '';
    call('setMeta', 'token', '');
    session = user ? 'expired' : 'none';
    emit('status', status());
  },
  async changePassword(oldPassword, newPassword) {
    await api('/api/v1/auth/password', {oldPassword, newPassword});
    call('setMeta', 'mustChangePassword', '0');
    session = 'active';
    emit('status', status());
    kick();
  },
  async register(email, name, phone, password) {
    const r = await api('/api/v1/auth/register', {email, name, phone, password});
    return {user: r.user as User};
  },
  async resetRequest(email) {
    await api('/api/v1/auth/reset', {email});
  },
  async resetConfirm(t, newPassword) {
    await api('/api/v1/auth/reset/confirm', {token: t, newPassword});
  },
  listCases: (q) => call<{items: never}>('listCases', JSON.stringify(q)).items,
  counts: () => call<{counts: never}>('countByState').counts,
  getCase: (id) => call<{case: never}>('getCase', id).case,
  comments: (id) => call<{comments: never}>('listComments', id).comments,
  catalog: () => call<{items: never}>('catalog').items,
  validateCaseForm: (args) =>
      call<{errors: never}>('validateCaseForm', JSON.stringify(args)).errors,
  mutate(name, args) {
    const r = call<{mutationId: number}>(
        'mutate', name, JSON.stringify(args), now());
    emit('changed', {});
    emit('status', status());
    kick();
    return {mutationId: r.mutationId};
  },
  drafts: () => call<{drafts: never}>('drafts').drafts,
  saveDraft(key, kind, value) {
    call('saveDraft', key, kind, JSON.stringify(value), now());
  },
  deleteDraft(key) {
    call('deleteDraft', key);
  },
  rejections: () => call<{rejections: never}>('rejections').rejections,
  dismissRejection(id) {
    call('dismissRejection', id);
    emit('status', status());
    emit('changed', {});
  },
  syncNow() {
    kick();
  },
};

async function handle(req: RpcRequest): Promise<RpcResponse> {
  try {
    const f = handlers[req.method] as (...a: unknown[]) => unknown;
    if (!f) throw new Fail('invalid_request', `unknown method ${req.method}`);
    const result = await f(...req.args);
    // Answered only once what the call changed is stored.
    await durable().catch((e) => {
      const why = String((e as Error)?.message ?? e);
      // Bilingual like the server's messages: the UI shows it as is.
      throw new Fail('storage', `No se pudo guardar en este dispositivo (${
          why}); se reintentará. / Could not save on this device (${
          why}); it will be retried.`);
    });
    return {id: req.id, ok: true, result};
  } catch (e) {
    const code = e instanceof Fail ? e.code : 'internal';
    return {id: req.id, ok: false, error: {code, message: String(
                (e as Error).message ?? e)}};
  }
}

// ------------------------------------------------------- tabs and messages

// Calls from this tab's UI: answered here when owning the database,
// otherwise forwarded to the owner.
const tabId = uuid();
let remoteNext = 1;
// Forwarded calls still unanswered: if the owner's tab closes first, this
// worker takes over and answers them itself.
const remoteWaiting = new Map<number, RpcRequest>();  // forwarded id → call

self.onmessage = async (e: MessageEvent) => {
  const req = e.data as RpcRequest;
  if (owner || !ownerKnown) {
    await ready;
    if (owner) {
      (self as unknown as Worker).postMessage(await handle(req));
      return;
    }
  }
  const fid = remoteNext++;
  remoteWaiting.set(fid, req);
  channel.postMessage({to: 'owner', from: tabId, req: {...req, id: fid}});
};

let ownerKnown = false;
const handled = new Set<string>();
let readyResolve: () => void = () => {};
const ready = new Promise<void>((r) => (readyResolve = r));

channel.onmessage = async (e: MessageEvent) => {
  const m = e.data;
  if (m.to === 'owner' && owner) {
    // A call may arrive twice (re-sent on owner-ready): answer it once.
    const key = `${m.from}:${m.req.id}`;
    if (handled.has(key)) return;
    handled.add(key);
    const res = await handle(m.req as RpcRequest);
    channel.postMessage({to: m.from, res});
  } else if (m.to === tabId && !owner) {
    const res = m.res as RpcResponse;
    const uiReq = remoteWaiting.get(res.id);
    if (uiReq === undefined) return;
    remoteWaiting.delete(res.id);
    const uiId = uiReq.id;
    if (res.ok && res.result && typeof res.result === 'object' &&
        'owner' in (res.result as object)) {
      res.result = {...(res.result as AppStatus), owner: false,
                    storage: 'remote'};
    }
    (self as unknown as Worker).postMessage({...res, id: uiId});
  } else if (m.ownerReady && !owner) {
    // Calls sent while no tab had finished opening the database.
    for (const [fid, req] of remoteWaiting) {
      channel.postMessage({to: 'owner', from: tabId, req: {...req, id: fid}});
    }
  } else if (m.event && !owner) {
    const data = m.event === 'status' ?
        {...(m.data as AppStatus), owner: false, storage: 'remote'} : m.data;
    (self as unknown as Worker).postMessage({event: m.event, data});
  }
};

self.addEventListener('online', () => {
  online = true;
  emit('status', status());
  kick();
});
self.addEventListener('offline', () => setOnline(false));

async function main(): Promise<void> {
  core = await createCore();
  const locks = (navigator as Navigator & {locks?: LockManager}).locks;
  if (!locks) {
    await becomeOwner();
    ownerKnown = true;
    readyResolve();
    return;
  }
  // Try at once; if another tab owns it, forward meanwhile and queue for it.
  await locks.request(LOCK, {ifAvailable: true}, async (lock) => {
    if (!lock) return;
    await becomeOwner();
    ownerKnown = true;
    readyResolve();
    await new Promise(() => {});  // held until the tab closes
  }).catch(() => {});
  if (owner) return;
  ownerKnown = true;
  readyResolve();
  void locks.request(LOCK, async () => {
    await becomeOwner();  // the previous owner's tab closed: take over
    const orphans = [...remoteWaiting.values()];
    remoteWaiting.clear();
    for (const req of orphans) {
      (self as unknown as Worker).postMessage(await handle(req));
    }
    await new Promise(() => {});
  });
}

void main();
