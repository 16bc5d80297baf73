// A SQLite VFS whose database file lives in memory as fixed-size blocks and
// is made durable in IndexedDB by the worker (docs/web.md, "IndexedDB").
//
// IndexedDB is asynchronous and a VFS is synchronous, so durability cannot
// happen inside xSync. Instead:
//   - Before sqlite3_open the worker loads every block of the file and its
//     size from IndexedDB into `globalThis.casesyncIdb` ({name, size,
//     blocks: Map<index, Uint8Array>}); xOpen of the main database copies
//     them into the heap (and refuses to open without them: the user's cases
//     must never silently live in memory only).
//   - Writes change blocks in memory and mark them dirty; xSync does nothing.
//   - After each binding call (when no SQLite transaction is open, so the
//     blocks are a committed state) the worker takes the dirty blocks
//     (IdbTakeDirty) and writes them with the file size in ONE IndexedDB
//     transaction, then answers the call. A crash before that transaction
//     commits leaves the previous committed state in IndexedDB: IndexedDB
//     transactions are atomic.
//   - The replica runs with journal_mode=MEMORY: a rollback journal is only
//     needed to undo a transaction inside this process (the durable copy is
//     replaced atomically, so there is never a hot journal to replay).
//     Journals, temp files and statement journals live in memory and are
//     never stored.
//   - Locking is a no-op: one tab owns the database (Web Lock "casesync-db").
#include "idb_vfs.h"

#include <emscripten.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "vfs_internal.h"

namespace casesync::web {
namespace {

constexpr sqlite3_int64 kBlock = kIdbBlockSize;

// The file size loaded by the worker for `name`, or -1 when it loaded none.
EM_JS(double, JsIdbLoadedSize, (const char* name), {
  const s = globalThis.casesyncIdb;
  return s && s.name == UTF8ToString(name) ? s.size : -1;
});

// Copies block `index` into `buf`; 0 when IndexedDB has no such block.
EM_JS(int, JsIdbLoadBlock, (double index, void* buf, int n), {
  const b = globalThis.casesyncIdb.blocks.get(index);
  if (!b) return 0;
  HEAPU8.set(b.subarray(0, n), buf);
  return 1;
});

EM_JS(void, JsIdbOut, (double index, const void* buf, int n), {
  (globalThis.casesyncIdbOut = globalThis.casesyncIdbOut || []).push([
    index, HEAPU8.slice(buf, buf + n)
  ]);
});

// The main database file. One per worker (one database per profile).
struct BlockStore {
  std::string name;
  sqlite3_int64 size = 0;
  std::vector<std::unique_ptr<unsigned char[]>> blocks;  // null: all zeros
  std::vector<char> is_dirty;                            // per block
  std::vector<uint32_t> dirty;      // changed since the last take
  bool size_dirty = false;          // size changed since the last take
  std::vector<uint32_t> in_flight;  // taken, not yet confirmed stored
  bool in_flight_size = false;

  unsigned char* Block(size_t i) {
    if (blocks.size() <= i) {
      blocks.resize(i + 1);
      is_dirty.resize(i + 1, 0);
    }
    if (!blocks[i]) {
      blocks[i] = std::make_unique<unsigned char[]>(kBlock);
      std::memset(blocks[i].get(), 0, kBlock);
    }
    return blocks[i].get();
  }

  void MarkDirty(uint32_t i) {
    if (i < is_dirty.size() && !is_dirty[i]) {
      is_dirty[i] = 1;
      dirty.push_back(i);
    }
  }
};

BlockStore* g_store = nullptr;  // owned; survives sqlite3_close

struct IdbFile {
  sqlite3_file base;
  BlockStore* store;                // the main database, or null
  std::vector<unsigned char>* mem;  // owned: any other file
};

int Close(sqlite3_file* f) {
  auto* file = reinterpret_cast<IdbFile*>(f);
  delete file->mem;
  file->mem = nullptr;
  return SQLITE_OK;  // the store stays: its dirty blocks still go to IDB
}

int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  auto* file = reinterpret_cast<IdbFile*>(f);
  if (!file->store) return vfs::ReadMemory(*file->mem, buf, n, offset);
  BlockStore& s = *file->store;
  auto* out = static_cast<unsigned char*>(buf);
  int got = static_cast<int>(
      std::clamp<sqlite3_int64>(s.size - offset, 0, static_cast<int64_t>(n)));
  for (int done = 0; done < got;) {
    sqlite3_int64 at = offset + done;
    size_t i = static_cast<size_t>(at / kBlock);
    int in_block = static_cast<int>(at % kBlock);
    int len = std::min(got - done, static_cast<int>(kBlock) - in_block);
    if (i < s.blocks.size() && s.blocks[i]) {
      std::memcpy(out + done, s.blocks[i].get() + in_block, len);
    } else {
      std::memset(out + done, 0, len);
    }
    done += len;
  }
  if (got < n) {
    std::memset(out + got, 0, n - got);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  auto* file = reinterpret_cast<IdbFile*>(f);
  if (!file->store) {
    vfs::WriteMemory(*file->mem, buf, n, offset);
    return SQLITE_OK;
  }
  BlockStore& s = *file->store;
  const auto* in = static_cast<const unsigned char*>(buf);
  for (int done = 0; done < n;) {
    sqlite3_int64 at = offset + done;
    auto i = static_cast<uint32_t>(at / kBlock);
    int in_block = static_cast<int>(at % kBlock);
    int len = std::min(n - done, static_cast<int>(kBlock) - in_block);
    std::memcpy(s.Block(i) + in_block, in + done, len);
    s.MarkDirty(i);
    done += len;
  }
  if (offset + n > s.size) {
    s.size = offset + n;
    s.size_dirty = true;
  }
  return SQLITE_OK;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* file = reinterpret_cast<IdbFile*>(f);
  if (!file->store) {
    file->mem->resize(size);
    return SQLITE_OK;
  }
  BlockStore& s = *file->store;
  size_t count = static_cast<size_t>((size + kBlock - 1) / kBlock);
  if (s.blocks.size() > count) {
    s.blocks.resize(count);
    s.is_dirty.resize(count);
  }
  if (size % kBlock != 0 && count > 0 && s.blocks[count - 1]) {
    // Bytes past the end read as zeros if the file grows again.
    int keep = static_cast<int>(size % kBlock);
    std::memset(s.blocks[count - 1].get() + keep, 0, kBlock - keep);
    s.MarkDirty(static_cast<uint32_t>(count - 1));
  }
  s.size = size;
  s.size_dirty = true;
  return SQLITE_OK;
}

// Durability is the worker's IndexedDB transaction after the call.
int Sync(sqlite3_file*, int) { return SQLITE_OK; }

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  auto* file = reinterpret_cast<IdbFile*>(f);
  *size = file->store ? file->store->size
                      : static_cast<sqlite3_int64>(file->mem->size());
  return SQLITE_OK;
}

int DeviceCharacteristics(sqlite3_file*) {
  return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

const sqlite3_io_methods kIoMethods = {1,
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
                                       nullptr,
                                       nullptr,
                                       nullptr,
                                       nullptr,
                                       nullptr,
                                       nullptr};

// The store for `name`: the one already in memory (a reopen), or a new one
// from the blocks the worker loaded; null when the worker loaded none.
BlockStore* StoreFor(const char* name) {
  if (g_store && g_store->name == name) return g_store;
  double size = JsIdbLoadedSize(name);
  if (size < 0) return nullptr;
  auto store = std::make_unique<BlockStore>();
  store->name = name;
  store->size = static_cast<sqlite3_int64>(size);
  size_t count = static_cast<size_t>((store->size + kBlock - 1) / kBlock);
  store->blocks.resize(count);
  store->is_dirty.assign(count, 0);
  for (size_t i = 0; i < count; ++i) {
    auto block = std::make_unique<unsigned char[]>(kBlock);
    std::memset(block.get(), 0, kBlock);
    if (JsIdbLoadBlock(static_cast<double>(i), block.get(), kBlock)) {
      store->blocks[i] = std::move(block);
    }
  }
  delete g_store;
  g_store = store.release();
  return g_store;
}

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags,
         int* out_flags) {
  auto* file = reinterpret_cast<IdbFile*>(f);
  file->base.pMethods = nullptr;
  file->store = nullptr;
  file->mem = nullptr;
  if (name && (flags & SQLITE_OPEN_MAIN_DB)) {
    file->store = StoreFor(name);
    if (!file->store) return SQLITE_CANTOPEN;
  } else {
    file->mem = new std::vector<unsigned char>();
  }
  file->base.pMethods = &kIoMethods;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

// Journals are never stored (see above): none exists after a restart.
int Delete(sqlite3_vfs*, const char*, int) { return SQLITE_OK; }

int Access(sqlite3_vfs*, const char* name, int, int* out) {
  *out = g_store && g_store->name == name && g_store->size > 0;
  return SQLITE_OK;
}

}  // namespace

int RegisterIdbVfs() {
  static int rc = [] {
    static sqlite3_vfs idb = {};
    vfs::FillVfs(idb, kIdbVfsName, sizeof(IdbFile), Open, Delete, Access);
    return sqlite3_vfs_register(&idb, 0);
  }();
  return rc;
}

double IdbTakeDirty() {
  BlockStore* s = g_store;
  if (!s || (s->dirty.empty() && !s->size_dirty)) return -1;
  for (uint32_t i : s->dirty) {
    if (i >= s->blocks.size()) continue;  // truncated away since
    s->is_dirty[i] = 0;
    JsIdbOut(i, s->Block(i), kBlock);
    s->in_flight.push_back(i);
  }
  s->dirty.clear();
  s->in_flight_size = s->in_flight_size || s->size_dirty;
  s->size_dirty = false;
  return static_cast<double>(s->size);
}

void IdbFlushDone(bool ok) {
  BlockStore* s = g_store;
  if (!s) return;
  if (!ok) {
    for (uint32_t i : s->in_flight) s->MarkDirty(i);
    s->size_dirty = s->size_dirty || s->in_flight_size;
  }
  s->in_flight.clear();
  s->in_flight_size = false;
}

}  // namespace casesync::web
