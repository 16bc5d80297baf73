// A SQLite VFS over OPFS FileSystemSyncAccessHandles
// (web/bindings/opfs_vfs.cpp).
#ifndef CASESYNC_WEB_OPFS_VFS_H_
#define CASESYNC_WEB_OPFS_VFS_H_

namespace casesync::web {

// Name to pass as OpenOptions::vfs.
inline constexpr const char* kOpfsVfsName = "opfs-sah";

// Registers the VFS once (not as the default). Returns a SQLite result code.
int RegisterOpfsVfs();

}  // namespace casesync::web

#endif  // CASESYNC_WEB_OPFS_VFS_H_
