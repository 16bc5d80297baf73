// The HTTP API of casesync-server (DESIGN.md §4, §5, docs/protocol.md): routes
// requests to the Service and encodes its answers; serves the web app.
//
//   POST /api/v1/auth/login          {email, password, remember?}
//   POST /api/v1/auth/logout         bearer
//   GET  /api/v1/auth/me             bearer
//   POST /api/v1/auth/password       bearer {oldPassword, newPassword}
//   POST /api/v1/auth/register       {email, name, phone?, password}  → 201
//   POST /api/v1/auth/reset          {email}                          → 202
//   POST /api/v1/auth/reset/confirm  {token, newPassword}
//   POST /api/v1/sync/push           bearer PushRequest
//   POST /api/v1/sync/pull           bearer PullRequest
//   GET  /api/v1/sync/poke?cursor=…  bearer, long poll
//   GET  /api/v1/catalog             bearer → {items:[…]}
//   GET  /healthz, GET /metrics
//   GET  anything else outside /api/: a file of the web app
//
// Every error is {error:{code,message}} with HttpStatusFor(code); a mutation
// gap adds error.expectedId. Unknown /api/ routes → 404 route_not_found;
// a known route with the wrong method → 405 with Allow. Sessions whose
// temporary password must be changed may only use me, logout and password.
//
// Threads: Handle() is called on the transport's network thread
// (http_transport.h). Most routes run right there, at no hand-over cost:
// push (up to kInlinePushBytes), pull, poke, catalog, me, logout, healthz,
// metrics. Routes that may take long or wait run on ApiOptions::workers:
// login, register, password, reset and reset/confirm (argon2id, tens of
// ms), mail inbound (MIME), files of the web app (disk), larger pushes, and
// any push while another is queued or running there (it would wait for the
// single writer).
// Thread-safe: routes run concurrently on the network thread and workers.
#ifndef CASESYNC_SERVER_API_H_
#define CASESYNC_SERVER_API_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http_transport.h"
#include "metrics.h"
#include "service.h"
#include "worker_pool.h"

namespace casesync::server {

struct ApiOptions {
  // Built web app (index.html, assets). "" or no index.html: a built-in page
  // says the web app is not built yet.
  std::string web_dir;
  // How long a poke waits before answering {changed:false}.
  std::chrono::milliseconds poke_timeout{25000};
  // Enables /api/v1/bench/noop (any method): a trivial handler for
  // benchmarks of the transport itself. Off in production.
  bool bench_noop_route = false;
  // One log line per request (info level).
  bool access_log = true;
  // POST /api/v1/mail/inbound (server/src/mail/inbound_http.h); unset: 404.
  std::function<HttpResponse(const HttpRequest&)> mail_inbound;
  // Where the routes that may take long run (see the top of this file).
  // Must outlive every request; null: every route runs on the calling thread.
  WorkerPool* workers = nullptr;
};

// A push body up to this size is handled on the network thread: ~170 new
// cases, a few ms of work. A larger one goes to the workers, where one
// hand-over is a small share of its work and other connections do not wait
// behind it.
constexpr size_t kInlinePushBytes = 64 * 1024;

// The Content-Security-Policy sent with every response.
extern const char kContentSecurityPolicy[];

class Api {
 public:
  // `service` must outlive the Api. `listener` (may be null) is asked for its
  // in-flight count by /metrics.
  Api(Service& service, ApiOptions options, const Listener* listener = nullptr);
  ~Api();

  void Handle(HttpRequest request, std::shared_ptr<Responder> responder);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_API_H_
