// Transport-independent helpers of http_transport.h.
#include "http_transport.h"

#include <sys/resource.h>

namespace casesync::server {

const std::string& HttpRequest::Header(const std::string& lower_name) const {
  static const std::string kEmpty;
  auto it = headers.find(lower_name);
  return it == headers.end() ? kEmpty : it->second;
}

HttpResponse ErrorResponse(const Status& status, const Json& extra) {
  HttpResponse r;
  r.status = HttpStatusFor(status.code());
  r.body = EncodeError(status, extra);
  if (status.code() == ErrorCode::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return r;
}

Result<uint64_t> RaiseOpenFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return Status(ErrorCode::kUnavailable, "getrlimit(RLIMIT_NOFILE) failed");
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
  }
  return static_cast<uint64_t>(lim.rlim_cur);
}

}  // namespace casesync::server
