// The CLI's HTTP transport: one blocking request at a time over cpprestsdk's
// http_client. Every exception cpprestsdk throws (bad URL, connection
// refused, timeout, TLS) is caught here and becomes a Status, so nothing
// above this file sees one.
#ifndef CASESYNC_TOOLS_CASESYNC_HTTP_CLIENT_H_
#define CASESYNC_TOOLS_CASESYNC_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "casesync/status.h"

namespace casesync::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  // `base_url`: "http://127.0.0.1:8080" (a path prefix is kept).
  // kInvalidRequest when it is not an http(s) URL.
  static Result<std::unique_ptr<HttpClient>> Create(
      const std::string& base_url);
  ~HttpClient();

  // Sends one request and waits for its answer. `token` adds
  // "Authorization: Bearer …" when not empty. kUnavailable when no HTTP
  // answer came back within `timeout`.
  Result<HttpReply> Send(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& token,
                         std::chrono::milliseconds timeout);

  const std::string& base_url() const { return base_url_; }

 private:
  explicit HttpClient(std::string base_url) : base_url_(std::move(base_url)) {}
  std::string base_url_;
};

}  // namespace casesync::cli

#endif  // CASESYNC_TOOLS_CASESYNC_HTTP_CLIENT_H_
