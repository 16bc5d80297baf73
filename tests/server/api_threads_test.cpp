// Which thread runs a route (api.h "Threads"): the transport calls Handle()
// on its one network thread, so the routes that may take long (password
// hashing, mail, files, large pushes) must be handed to the workers, and the
// rest answered on the calling thread without a hand-over.
#include <atomic>
#include <future>
#include <latch>
#include <thread>

#include "api.h"
#include "server_fixtures.h"
#include "worker_pool.h"

namespace casesync::server::testing {
namespace {

// Records the thread that replied and the status.
class ThreadRecorder : public Responder {
 public:
  void Reply(HttpResponse response) override {
    if (done_.exchange(true)) return;
    promise_.set_value({std::this_thread::get_id(), response.status});
  }
  std::future<std::pair<std::thread::id, int>> Future() {
    return promise_.get_future();
  }

 private:
  std::atomic<bool> done_{false};
  std::promise<std::pair<std::thread::id, int>> promise_;
};

// Keeps the body of a reply given on the calling thread.
class BodyRecorder : public Responder {
 public:
  void Reply(HttpResponse response) override { body = response.body; }
  std::string body;
};

HttpRequest Request(std::string method, std::string path,
                    std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.remote_address = "127.0.0.1";
  return r;
}

struct Answer {
  bool before_return = false;  // replied before Handle() returned
  std::thread::id thread;
  int status = 0;
};

// Hands `request` to the Api; the future gives the thread that replied and
// the status.
std::future<std::pair<std::thread::id, int>> Start(Api& api,
                                                   HttpRequest request) {
  auto recorder = std::make_shared<ThreadRecorder>();
  auto future = recorder->Future();
  // The Api holds the only reference from here until it replies.
  api.Handle(std::move(request), std::move(recorder));
  return future;
}

Answer Send(Api& api, HttpRequest request) {
  auto future = Start(api, std::move(request));
  Answer a;
  a.before_return =
      future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  REQUIRE(future.wait_for(std::chrono::seconds(30)) ==
          std::future_status::ready);
  auto [thread, status] = future.get();
  a.thread = thread;
  a.status = status;
  return a;
}

// The Api, its service and its workers. The workers are joined before the
// Api goes: a task may still be finishing (metrics, the access log) after
// its reply was seen, as in the server, which joins them before its Api
// ends (main.cpp).
struct ApiWorld {
  FakeClock clock;
  std::string dir = FreshDir("api-threads");
  std::unique_ptr<Service> service;
  std::unique_ptr<WorkerPool> workers = std::make_unique<WorkerPool>(2);
  std::unique_ptr<Api> api;
  explicit ApiWorld(bool with_workers) {
    SeedPeople(dir, {}, HashCost::kMinimum);
    service = OpenService(Options(dir, &clock));
    ApiOptions o;
    o.access_log = false;
    o.workers = with_workers ? workers.get() : nullptr;
    api = std::make_unique<Api>(*service, o);
  }
  ~ApiWorld() {
    workers.reset();
    api.reset();
  }
};

std::string Padded(size_t size) {
  // A body of exactly `size` bytes; its content is rejected (401: no token)
  // before it is read, so only its size matters here.
  return std::string(size, ' ');
}

TEST_SUITE("api threads") {
  TEST_CASE("slow routes run on the workers, the rest where Handle is called") {
    ApiWorld w(true);
    Api& api = *w.api;
    const auto caller = std::this_thread::get_id();

    struct Case {
      const char* method;
      const char* path;
      std::string body;
      bool on_worker;
      int status;
    };
    const std::string login = Json{
        {"email", "ana@cliente-a.com.co"},
        {"password",
         "incorrecta-1"}}.dump();
    const Case cases[] = {
        {"GET", "/healthz", "", false, 200},
        {"GET", "/metrics", "", false, 200},
        {"GET", "/api/v1/auth/me", "", false, 401},
        {"POST", "/api/v1/auth/logout", "", false, 401},
        {"GET", "/api/v1/catalog", "", false, 401},
        {"POST", "/api/v1/sync/pull", "{}", false, 401},
        {"GET", "/api/v1/sync/poke", "", false, 401},
        {"POST", "/api/v1/sync/push", Padded(kInlinePushBytes), false, 401},
        {"GET", "/api/v1/nowhere", "", false, 404},
        {"DELETE", "/api/v1/sync/push", "", false, 405},
        {"POST", "/api/v1/sync/push", Padded(kInlinePushBytes + 1), true, 401},
        {"POST", "/api/v1/auth/login", login, true, 401},
        {"POST", "/api/v1/auth/register", "{}", true, 400},
        {"POST", "/api/v1/auth/password", "{}", true, 401},
        {"POST", "/api/v1/auth/reset", "{}", true, 400},
        {"POST", "/api/v1/auth/reset/confirm", "{}", true, 400},
        {"POST", "/api/v1/mail/inbound", "{}", true, 404},
        {"GET", "/index.html", "", true, 200},
    };
    for (const auto& c : cases) {
      std::string what = std::string(c.method) + " " + c.path + " (" +
                         std::to_string(c.body.size()) + " bytes)";
      CAPTURE(what);
      Answer a = Send(api, Request(c.method, c.path, c.body));
      CHECK(a.status == c.status);
      if (c.on_worker) {
        CHECK(a.thread != caller);
      } else {
        CHECK(a.thread == caller);
        CHECK(a.before_return);
      }
    }
  }

  TEST_CASE("a push goes to the workers while another push is there") {
    ApiWorld w(true);
    Api& api = *w.api;
    const auto caller = std::this_thread::get_id();
    // Both workers wait on `release`, so the large push stays queued.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::latch started(static_cast<std::ptrdiff_t>(w.workers->threads()));
    for (size_t i = 0; i < w.workers->threads(); ++i) {
      w.workers->Post([released, &started] {
        started.count_down();
        released.wait();
      });
    }
    started.wait();  // every worker is held, none is left to take a task
    auto large_answer = Start(api, Request("POST", "/api/v1/sync/push",
                                           Padded(kInlinePushBytes + 1)));
    // A small push, inline otherwise, is queued behind it.
    auto small_answer = Start(api, Request("POST", "/api/v1/sync/push", "{}"));
    CHECK(small_answer.wait_for(std::chrono::milliseconds(0)) ==
          std::future_status::timeout);
    // Both wait in the queue, and /metrics (inline) says so.
    auto metrics = std::make_shared<BodyRecorder>();
    api.Handle(Request("GET", "/metrics"), metrics);
    CHECK(metrics->body.find("\ncasesync_http_worker_queue 2\n") !=
          std::string::npos);
    release.set_value();
    REQUIRE(large_answer.wait_for(std::chrono::seconds(30)) ==
            std::future_status::ready);
    REQUIRE(small_answer.wait_for(std::chrono::seconds(30)) ==
            std::future_status::ready);
    CHECK(large_answer.get().first != caller);
    CHECK(small_answer.get().first != caller);
    // Once both are done (every worker has finished its task, which ends
    // after the reply), a small push is inline again.
    std::latch idle(static_cast<std::ptrdiff_t>(w.workers->threads()) + 1);
    for (size_t i = 0; i < w.workers->threads(); ++i) {
      w.workers->Post([&idle] { idle.arrive_and_wait(); });
    }
    idle.arrive_and_wait();
    Answer after = Send(api, Request("POST", "/api/v1/sync/push", "{}"));
    CHECK(after.thread == caller);
    CHECK(after.before_return);
  }

  TEST_CASE("without workers every route runs where Handle is called") {
    ApiWorld w(false);
    Api& api = *w.api;
    const auto caller = std::this_thread::get_id();
    for (std::string path : {"/api/v1/auth/login", "/index.html", "/healthz"}) {
      CAPTURE(path);
      Answer a =
          Send(api, Request(path[1] == 'a' ? "POST" : "GET", path, "{}"));
      CHECK(a.thread == caller);
      CHECK(a.before_return);
    }
  }
}

}  // namespace
}  // namespace casesync::server::testing
