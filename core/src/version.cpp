#include "casesync/version.h"

namespace casesync {

const char* Version() { return "0.1.0"; }

}  // namespace casesync
