// A SQLite VFS for browsers without OPFS sync access handles: the database
// file lives in memory as 4 KiB blocks, and the worker writes the blocks a
// commit changed to IndexedDB in one IDB transaction
// (web/bindings/idb_vfs.cpp, web/src/idb_store.ts, docs/web.md).
#ifndef CASESYNC_WEB_IDB_VFS_H_
#define CASESYNC_WEB_IDB_VFS_H_

namespace casesync::web {

// Name to pass as OpenOptions::vfs.
inline constexpr const char* kIdbVfsName = "idb-blocks";

// The unit of IndexedDB storage: one SQLite page (the replica's page size).
inline constexpr int kIdbBlockSize = 4096;

// Registers the VFS once (not as the default). Returns a SQLite result code.
int RegisterIdbVfs();

// Hands the blocks changed since the last call to JS: each one is appended
// as [index, Uint8Array copy] to `globalThis.casesyncIdbOut`. Returns the
// file size, or -1 when nothing changed. Call it only between transactions
// (the worker does, after each binding call), so the blocks are a committed
// state. The blocks stay "in flight" until IdbFlushDone.
double IdbTakeDirty();

// The in-flight blocks reached IndexedDB (`ok`), or did not: then they are
// marked changed again and go with the next IdbTakeDirty.
void IdbFlushDone(bool ok);

}  // namespace casesync::web

#endif  // CASESYNC_WEB_IDB_VFS_H_
