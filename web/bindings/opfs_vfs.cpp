// A SQLite VFS whose files are OPFS FileSystemSyncAccessHandles.
//
// createSyncAccessHandle() is asynchronous, SQLite's VFS is synchronous: the
// worker opens one handle per file *before* sqlite3_open (the database and its
// rollback journal, web/src/worker.ts) and puts them in
// `globalThis.casesyncOpfs` (file name → handle). The VFS then calls
// read/write/flush/truncate/getSize on them synchronously through EM_JS.
//
// Consequences:
//   - Files must not be deleted (their handles stay open): xDelete truncates
//     to 0 instead. The worker opens the database, `-journal` (used by the
//     migrations at open) and `-wal`: the replica then runs in
//     locking_mode=EXCLUSIVE + journal_mode=WAL (exclusive mode needs no
//     shared memory, which this VFS does not provide).
//   - Files the worker did not open (temp files, statement journals) live in
//     memory: they never need to survive a crash.
//   - Locking is a no-op: one tab owns the database (Web Lock "casesync-db"),
//     and a sync access handle is exclusive anyway.
//   - xSync is handle.flush(): the durability point of a commit.
//   - The WAL is also kept in memory (written through): SQLite reads it
//     back at every checkpoint and whenever a page has left its cache, and
//     each read would be an OPFS round trip.
#include "opfs_vfs.h"

#include <emscripten.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "vfs_internal.h"

namespace casesync::web {
namespace {

// The handle table lives in JS; ids are indexes into casesyncOpfsIds.
EM_JS(int, JsOpfsFind, (const char* name), {
  const files = globalThis.casesyncOpfs;
  const n = UTF8ToString(name);
  if (!files || !files[n]) return -1;
  const ids = (globalThis.casesyncOpfsIds = globalThis.casesyncOpfsIds || []);
  let i = ids.indexOf(files[n]);
  if (i < 0) {
    ids.push(files[n]);
    i = ids.length - 1;
  }
  return i;
});

EM_JS(int, JsOpfsRead, (int id, void* buf, int n, double offset), {
  try {
    return globalThis.casesyncOpfsIds[id].read(HEAPU8.subarray(buf, buf + n),
                                               {at : offset});
  } catch (e) {
    console.error("opfs read", e);
    return -1;
  }
});

EM_JS(int, JsOpfsWrite, (int id, const void* buf, int n, double offset), {
  try {
    return globalThis.casesyncOpfsIds[id].write(HEAPU8.subarray(buf, buf + n),
                                                {at : offset});
  } catch (e) {
    console.error("opfs write", e);
    return -1;
  }
});

EM_JS(int, JsOpfsFlush, (int id), {
  try {
    globalThis.casesyncOpfsIds[id].flush();
    return 0;
  } catch (e) {
    console.error("opfs flush", e);
    return -1;
  }
});

EM_JS(int, JsOpfsTruncate, (int id, double size), {
  try {
    globalThis.casesyncOpfsIds[id].truncate(size);
    return 0;
  } catch (e) {
    console.error("opfs truncate", e);
    return -1;
  }
});

EM_JS(double, JsOpfsSize, (int id), {
  try {
    return globalThis.casesyncOpfsIds[id].getSize();
  } catch (e) {
    console.error("opfs getSize", e);
    return -1;
  }
});

// Each sync access handle call costs a round trip (~0.3-0.8 ms measured in
// headless Chromium, whatever the size), so contiguous writes are gathered
// and handed to OPFS in one write() at the next xSync, read, truncate or
// non-contiguous write: a WAL commit becomes one write + one flush.
struct OpfsFile {
  sqlite3_file base;
  int id;  // JS handle id, or -1: in memory
  // Owned. In-memory files: their content. The WAL on OPFS: a copy of it
  // (written through), so reads never cost an OPFS call; a checkpoint
  // reads back every frame it copies, ~18 round trips per commit's worth.
  std::vector<unsigned char>* mem;
  std::vector<unsigned char>* pending;  // owned, writes not yet in OPFS
  sqlite3_int64 pending_offset;
  sqlite3_int64 size;  // the file's size including pending writes
  std::vector<std::vector<char>>* shm;  // owned: WAL index regions
};

constexpr size_t kMaxPending = 8 << 20;

bool FlushPending(OpfsFile* file) {
  if (!file->pending || file->pending->empty()) return true;
  int n = static_cast<int>(file->pending->size());
  int put = JsOpfsWrite(file->id, file->pending->data(), n,
                        static_cast<double>(file->pending_offset));
  file->pending->clear();
  return put == n;
}

int Close(sqlite3_file* f) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  bool ok = FlushPending(file);
  delete file->mem;
  delete file->pending;
  delete file->shm;
  file->mem = nullptr;
  file->pending = nullptr;
  file->shm = nullptr;
  return ok ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  if (file->mem) return vfs::ReadMemory(*file->mem, buf, n, offset);
  if (!FlushPending(file)) return SQLITE_IOERR_WRITE;
  int got = JsOpfsRead(file->id, buf, n, static_cast<double>(offset));
  if (got < 0) return SQLITE_IOERR_READ;
  if (got < n) {
    std::memset(static_cast<char*>(buf) + got, 0, n - got);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  if (file->id >= 0) {
    auto& p = *file->pending;
    if (!p.empty() && (offset != file->pending_offset +
                                     static_cast<sqlite3_int64>(p.size()) ||
                       p.size() + n > kMaxPending)) {
      if (!FlushPending(file)) return SQLITE_IOERR_WRITE;
    }
    if (p.empty()) file->pending_offset = offset;
    const auto* bytes = static_cast<const unsigned char*>(buf);
    p.insert(p.end(), bytes, bytes + n);
    if (file->mem) vfs::WriteMemory(*file->mem, buf, n, offset);
    file->size = std::max(file->size, offset + n);
    return SQLITE_OK;
  }
  vfs::WriteMemory(*file->mem, buf, n, offset);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  if (file->id >= 0) {
    if (!FlushPending(file)) return SQLITE_IOERR_WRITE;
    file->size = size;
    if (file->mem) file->mem->resize(size);
    return JsOpfsTruncate(file->id, static_cast<double>(size)) == 0
               ? SQLITE_OK
               : SQLITE_IOERR_TRUNCATE;
  }
  file->mem->resize(size);
  return SQLITE_OK;
}

int Sync(sqlite3_file* f, int /*flags*/) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  if (file->id < 0) return SQLITE_OK;
  if (!FlushPending(file)) return SQLITE_IOERR_WRITE;
  return JsOpfsFlush(file->id) == 0 ? SQLITE_OK : SQLITE_IOERR_FSYNC;
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  if (file->id < 0) {
    *size = static_cast<sqlite3_int64>(file->mem->size());
    return SQLITE_OK;
  }
  *size = file->size;  // one writer: the size is known without asking
  return SQLITE_OK;
}

int DeviceCharacteristics(sqlite3_file*) {
  // Writing part of a sector never damages the rest of it (OPFS is a
  // regular file). Nothing stronger is claimed: no atomic or ordered writes.
  return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

// The WAL index ("shared memory") in the heap: one connection per file
// (the Web Lock), so nothing is shared and locks are no-ops. This lets a
// database that is already in WAL mode be opened before the replica sets
// locking_mode=EXCLUSIVE.
int ShmMap(sqlite3_file* f, int region, int size, int extend,
           void volatile** out) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  if (!file->shm) file->shm = new std::vector<std::vector<char>>();
  auto& regions = *file->shm;
  if (static_cast<int>(regions.size()) <= region) {
    if (!extend) {
      *out = nullptr;
      return SQLITE_OK;
    }
    regions.resize(region + 1);
  }
  if (regions[region].empty()) regions[region].assign(size, 0);
  *out = regions[region].data();
  return SQLITE_OK;
}
int ShmLock(sqlite3_file*, int, int, int) { return SQLITE_OK; }
void ShmBarrier(sqlite3_file*) {}
int ShmUnmap(sqlite3_file* f, int) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  delete file->shm;
  file->shm = nullptr;
  return SQLITE_OK;
}

const sqlite3_io_methods kIoMethods = {2,
                                       Close,
                                       Read,
                                       Write,
                                       Truncate,
                                       Sync,
                                       FileSize,
                                       vfs::Lock,
                                       vfs::Unlock,
                                       vfs::CheckReservedLock,
                                       vfs::FileControl,
                                       vfs::SectorSize,
                                       DeviceCharacteristics,
                                       ShmMap,
                                       ShmLock,
                                       ShmBarrier,
                                       ShmUnmap,
                                       /*xFetch=*/nullptr,
                                       /*xUnfetch=*/nullptr};

bool IsWal(const char* name) {
  std::string_view n(name);
  return n.size() > 4 && n.substr(n.size() - 4) == "-wal";
}

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags,
         int* out_flags) {
  auto* file = reinterpret_cast<OpfsFile*>(f);
  file->base.pMethods = nullptr;
  file->mem = nullptr;
  file->pending = nullptr;
  file->pending_offset = 0;
  file->size = 0;
  file->shm = nullptr;
  file->id = name ? JsOpfsFind(name) : -1;
  bool main_files = flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL);
  if (file->id < 0) {
    // The main database and its journal must be on OPFS: refusing here is
    // better than silently keeping the user's cases in memory.
    if (main_files && name) return SQLITE_CANTOPEN;
    file->mem = new std::vector<unsigned char>();
  } else {
    double size = JsOpfsSize(file->id);
    if (size < 0) return SQLITE_CANTOPEN;
    file->size = static_cast<sqlite3_int64>(size);
    file->pending = new std::vector<unsigned char>();
    if (IsWal(name)) {
      file->mem = new std::vector<unsigned char>(file->size);
      int n = static_cast<int>(file->size);
      if (n > 0 && JsOpfsRead(file->id, file->mem->data(), n, 0) != n) {
        delete file->mem;
        delete file->pending;
        return SQLITE_CANTOPEN;
      }
    }
  }
  file->base.pMethods = &kIoMethods;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  // The handle stays open: "deleting" a journal empties it.
  int id = JsOpfsFind(name);
  if (id < 0) return SQLITE_OK;
  if (JsOpfsTruncate(id, 0) != 0) return SQLITE_IOERR_DELETE;
  if (sync_dir && JsOpfsFlush(id) != 0) return SQLITE_IOERR_DELETE;
  return SQLITE_OK;
}

int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  int id = JsOpfsFind(name);
  *out = 0;
  if (id >= 0) {
    // An empty journal does not exist, as far as SQLite is concerned.
    *out = flags == SQLITE_ACCESS_EXISTS ? JsOpfsSize(id) > 0 : 1;
  }
  return SQLITE_OK;
}

}  // namespace

int RegisterOpfsVfs() {
  static int rc = [] {
    static sqlite3_vfs opfs = {};
    vfs::FillVfs(opfs, kOpfsVfsName, sizeof(OpfsFile), Open, Delete, Access);
    return sqlite3_vfs_register(&opfs, 0);
  }();
  return rc;
}

}  // namespace casesync::web
