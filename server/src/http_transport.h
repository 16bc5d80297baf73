// casesync-server's own small HTTP transport interface. Handlers (api.cpp)
// see only these types; the cpprestsdk listener (http_cpprest.cpp) is one
// implementation and can be replaced without touching them.
//
// Contract of a Listener:
// - The handler is called on the transport's network thread once the whole
//   body has arrived (at most ListenerOptions::max_body_bytes; larger bodies
//   are answered 413 by the transport, without reaching the handler, and the
//   connection is closed). With the cpprestsdk listener after
//   InitTransport() that is one thread for every connection.
// - The handler must not block for long: every other connection waits
//   meanwhile. It replies at once, keeps the Responder and replies later
//   from any thread (long polls), or hands the work to a thread of its own
//   (WorkerPool) that replies when done.
// - A Responder replies exactly once; further Reply() calls are ignored. A
//   Responder dropped without a reply answers 500 (internal) by itself.
// - Stop() refuses new requests with 503, calls `on_draining` (the service
//   answers its long polls there), waits for in-flight requests to be
//   answered (bounded by drain_timeout), then closes every connection.
#ifndef CASESYNC_SERVER_HTTP_TRANSPORT_H_
#define CASESYNC_SERVER_HTTP_TRANSPORT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casesync/protocol.h"
#include "casesync/status.h"

namespace casesync::server {

struct HttpRequest {
  std::string method;  // upper case: "GET", "POST", ...
  std::string path;    // percent-decoded, without the query: "/api/v1/catalog"
  std::map<std::string, std::string> query;    // decoded names and values
  std::map<std::string, std::string> headers;  // lower-case names
  std::string remote_address;                  // "127.0.0.1"
  std::string body;                            // raw bytes

  // The value of a header by lower-case name; "" when absent.
  const std::string& Header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class Responder {
 public:
  virtual ~Responder() = default;
  // Sends `response`. Thread-safe; only the first call has an effect.
  virtual void Reply(HttpResponse response) = 0;
};

using HttpHandler =
    std::function<void(HttpRequest request, std::shared_ptr<Responder>)>;

struct ListenerOptions {
  size_t max_body_bytes = kMaxBodyBytes;
  std::chrono::milliseconds drain_timeout{30000};
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Binds host:port and starts serving. Errors: kUnavailable (bind failed).
  virtual Status Start(const std::string& host, uint16_t port,
                       HttpHandler handler) = 0;
  // See the contract above. Idempotent; called by the destructor too.
  virtual void Stop(const std::function<void()>& on_draining = {}) = 0;
  // Requests received but not yet answered.
  virtual int64_t InFlight() const = 0;
};

// The cpprestsdk (http_listener) implementation.
std::unique_ptr<Listener> NewCppRestListener(ListenerOptions options = {});

// Makes cpprestsdk's shared asio pool one thread (the network thread, which
// runs every handler unless the handler hands the work on: api.h) and installs
// the pplx scheduler that lets the listener close with that one thread. Call
// before anything uses cpprestsdk; later calls do nothing. Returns false when
// cpprestsdk was already in use and keeps its default pool.
bool InitTransport();

// Raises the soft RLIMIT_NOFILE to the hard limit (every connection is a file
// descriptor). Returns the new soft limit, or kUnavailable.
Result<uint64_t> RaiseOpenFileLimit();

// A JSON error response: status from HttpStatusFor, body from EncodeError.
HttpResponse ErrorResponse(const Status& status, const Json& extra = Json());

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_HTTP_TRANSPORT_H_
