// The IndexedDB backend's JS half (the C++ half: web/bindings/idb_vfs.cpp).
//
// IndexedDB database `casesync-<file>` (version 1):
//   store `blocks`  key: block index (number) → Uint8Array of 4096 bytes
//   store `meta`    key: 'size' → the SQLite file's size in bytes
// A flush writes every block a commit changed AND the size in one readwrite
// transaction with durability 'strict' (fsync before `complete`); blocks
// past the end of a file that shrank are deleted in the same transaction.
// IndexedDB transactions are atomic, so after a crash the stored file is the
// last flushed commit, never a mix.
//
// IdbFlusher: the worker calls durable() after each binding call and answers
// the UI only once it resolves ("saved locally" is then true). Calls that
// change the database while a flush is in flight wait for the next one,
// which takes their blocks: flushes run one at a time, in order, each a
// committed state that includes every earlier one (group commit).

const BLOCKS = 'blocks';
const META = 'meta';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error);
  });
}

export interface LoadedFile {
  name: string;
  size: number;
  blocks: Map<number, Uint8Array>;
}

export class IdbBlockStore {
  private storedSize = 0;

  private constructor(private db: IDBDatabase, readonly file: string) {}

  // Opens (creating) the IndexedDB database of `file`; throws where
  // IndexedDB is missing or refused (e.g. some private modes).
  static async open(file: string): Promise<IdbBlockStore> {
    const r = indexedDB.open(`casesync-${file}`, 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore(BLOCKS);
      r.result.createObjectStore(META);
    };
    return new IdbBlockStore(await request(r), file);
  }

  // Every stored block and the size, as idb_vfs.cpp reads them at open.
  async load(): Promise<LoadedFile> {
    const tx = this.db.transaction([BLOCKS, META], 'readonly');
    const [size, keys, values] = await Promise.all([
      request(tx.objectStore(META).get('size')),
      request(tx.objectStore(BLOCKS).getAllKeys()),
      request(tx.objectStore(BLOCKS).getAll()),
    ]);
    const blocks = new Map<number, Uint8Array>();
    keys.forEach((k, i) => blocks.set(k as number, values[i] as Uint8Array));
    this.storedSize = (size as number | undefined) ?? 0;
    return {name: this.file, size: this.storedSize, blocks};
  }

  // Stores `blocks` and `size` atomically; resolves once committed.
  async write(blocks: Array<[number, Uint8Array]>, size: number,
              blockSize: number): Promise<void> {
    const tx = this.db.transaction([BLOCKS, META], 'readwrite',
                                   {durability: 'strict'});
    const finished = done(tx);
    const store = tx.objectStore(BLOCKS);
    for (const [i, b] of blocks) store.put(b, i);
    if (size < this.storedSize) {
      store.delete(IDBKeyRange.lowerBound(Math.ceil(size / blockSize)));
    }
    tx.objectStore(META).put(size, 'size');
    await finished;
    this.storedSize = size;
  }

  close(): void {
    this.db.close();
  }
}

// What the flusher needs of core.js (embind functions of idb_vfs.h).
export interface IdbCore {
  idbTakeDirty(): number;
  idbFlushDone(ok: boolean): void;
}

export const IDB_BLOCK_SIZE = 4096;  // kIdbBlockSize in idb_vfs.h

type Waiter = {resolve: () => void; reject: (e: unknown) => void};

export class IdbFlusher {
  private waiting: Waiter[] = [];
  private running = false;

  constructor(private core: IdbCore, private store: IdbBlockStore) {}

  // Resolves when everything committed so far is in IndexedDB.
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({resolve, reject});
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    const g = globalThis as {casesyncIdbOut?: Array<[number, Uint8Array]>};
    while (this.waiting.length) {
      const batch = this.waiting.splice(0);
      g.casesyncIdbOut = [];
      const size = this.core.idbTakeDirty();
      const blocks = g.casesyncIdbOut;
      g.casesyncIdbOut = [];
      if (size < 0) {
        for (const w of batch) w.resolve();
        continue;
      }
      try {
        await this.store.write(blocks, size, IDB_BLOCK_SIZE);
        this.core.idbFlushDone(true);
        for (const w of batch) w.resolve();
      } catch (e) {
        // The blocks are marked changed again: the next flush retries them.
        this.core.idbFlushDone(false);
        for (const w of batch) w.reject(e);
      }
    }
    this.running = false;
  }
}
