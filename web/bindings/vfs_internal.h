// What the two browser VFSs (opfs_vfs.cpp, idb_vfs.cpp) share: the entries
// that delegate to SQLite's default VFS, the no-op locking (one owner per
// profile: the Web Lock "casesync-db"), and the in-memory file used for
// temp files and statement journals.
#ifndef CASESYNC_WEB_VFS_INTERNAL_H_
#define CASESYNC_WEB_VFS_INTERNAL_H_

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace casesync::web::vfs {

inline sqlite3_vfs* DefaultVfs() {
  static sqlite3_vfs* def = sqlite3_vfs_find(nullptr);
  return def;
}

inline int Lock(sqlite3_file*, int) { return SQLITE_OK; }
inline int Unlock(sqlite3_file*, int) { return SQLITE_OK; }
inline int CheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;
  return SQLITE_OK;
}
inline int FileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
inline int SectorSize(sqlite3_file*) { return 4096; }

// Reads `n` bytes at `offset` of an in-memory file; past its end the buffer
// is zero-filled and SQLITE_IOERR_SHORT_READ returned, as SQLite expects.
inline int ReadMemory(const std::vector<unsigned char>& m, void* buf, int n,
                      sqlite3_int64 offset) {
  int got = 0;
  if (offset < static_cast<sqlite3_int64>(m.size())) {
    got = static_cast<int>(std::min<sqlite3_int64>(
        n, static_cast<sqlite3_int64>(m.size()) - offset));
    std::memcpy(buf, m.data() + offset, got);
  }
  if (got < n) {
    std::memset(static_cast<char*>(buf) + got, 0, n - got);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

inline void WriteMemory(std::vector<unsigned char>& m, const void* buf, int n,
                        sqlite3_int64 offset) {
  if (m.size() < static_cast<size_t>(offset + n)) m.resize(offset + n);
  std::memcpy(m.data() + offset, buf, n);
}

// A VFS named `name` whose files are `File` (first member a sqlite3_file),
// opened by `open`; xDelete/xAccess by `del`/`access`; the rest delegates
// to the default VFS.
inline void FillVfs(sqlite3_vfs& vfs, const char* name, int file_size,
                    decltype(sqlite3_vfs::xOpen) open,
                    decltype(sqlite3_vfs::xDelete) del,
                    decltype(sqlite3_vfs::xAccess) access) {
  vfs.iVersion = 2;
  vfs.szOsFile = file_size;
  vfs.mxPathname = 512;
  vfs.zName = name;
  vfs.xOpen = open;
  vfs.xDelete = del;
  vfs.xAccess = access;
  vfs.xFullPathname = [](sqlite3_vfs*, const char* path, int n, char* out) {
    sqlite3_snprintf(n, out, "%s", path);
    return SQLITE_OK;
  };
  vfs.xRandomness = [](sqlite3_vfs*, int n, char* out) {
    return DefaultVfs()->xRandomness(DefaultVfs(), n, out);
  };
  vfs.xSleep = [](sqlite3_vfs*, int us) {
    return DefaultVfs()->xSleep(DefaultVfs(), us);
  };
  vfs.xCurrentTime = [](sqlite3_vfs*, double* t) {
    return DefaultVfs()->xCurrentTime(DefaultVfs(), t);
  };
  vfs.xGetLastError = [](sqlite3_vfs*, int, char*) { return 0; };
  vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* t) {
    return DefaultVfs()->xCurrentTimeInt64(DefaultVfs(), t);
  };
}

}  // namespace casesync::web::vfs

#endif  // CASESYNC_WEB_VFS_INTERNAL_H_
