#ifndef CASESYNC_VERSION_H_
#define CASESYNC_VERSION_H_

namespace casesync {

// The library version, "MAJOR.MINOR.PATCH". The string is static.
const char* Version();

}  // namespace casesync

#endif  // CASESYNC_VERSION_H_
