// Checks shared by the differential fuzz targets (a fast decoder against
// the DOM decoder it replaced): a broken invariant aborts, which libFuzzer
// reports as a crash with the input saved.
#ifndef CASESYNC_TESTS_FUZZ_DIFFERENTIAL_SUPPORT_H_
#define CASESYNC_TESTS_FUZZ_DIFFERENTIAL_SUPPORT_H_

#include <cstdlib>

#include "casesync/status.h"

namespace casesync::fuzz {

inline void Require(bool cond, const char* what) {
  if (!cond) {
    __builtin_printf("invariant broken: %s\n", what);
    std::abort();
  }
}

inline bool SameStatus(const Status& a, const Status& b) {
  return a.code() == b.code() && a.message() == b.message();
}

}  // namespace casesync::fuzz

#endif  // CASESYNC_TESTS_FUZZ_DIFFERENTIAL_SUPPORT_H_
