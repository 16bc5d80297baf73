// The cpprestsdk implementation of http_transport.h.
//
// What cpprestsdk 2.10.18's Linux listener does, and how this file copes:
// - Sockets, request parsing, task continuations and our handler all run on
//   cpprestsdk's shared asio pool (crossplat::threadpool), which
//   InitTransport() makes one thread: the network thread. With more threads
//   asio and pplx hand nearly every step of a request to another thread
//   (docs/http.md "Threads"). Nothing here waits on a task with .get() or
//   .wait() on that thread; bodies are read with chained continuations and
//   replies are sent from whatever thread the service answers on.
// - The listener reads a request body into an unbounded in-memory buffer as
//   it arrives and sends the response only once the body is complete. So a
//   declared Content-Length over the limit is refused before reading: the
//   body is completed with an error (which closes the buffer and releases
//   the reply at once) and the 413 carries `Connection: close`. A chunked
//   body is counted while it is read and refused the same way once over the
//   limit. The client may see a connection reset instead of the 413 when it
//   is still sending (the kernel resets a socket closed with unread data).
// - A task whose exception is never observed terminates the process
//   (pplx raises SIGTRAP), so every task created here ends in a task-based
//   continuation that calls get() inside try/catch.
// - http_listener::close() drops every open connection at once, so Stop()
//   first refuses new requests and waits for the in-flight ones itself.
// - close() runs in a pplx task that waits until the connections it closed
//   have wound down, which is work for the network thread: run there, it
//   would wait for itself. So pplx's scheduler is ours (ClosingScheduler):
//   it posts to the network thread like cpprestsdk's own, and from Stop()
//   on it runs every task on a thread of its own.
#include <cpprest/http_listener.h>
#include <cpprest/uri.h>
#include <pplx/pplxinterface.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "http_transport.h"

namespace casesync::server {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

constexpr size_t kReadChunk = 64 * 1024;
// How long a 413 waits before it is sent and the connection closed
// (RefuseTooLarge).
constexpr auto kRefuseDelay = std::chrono::milliseconds(20);

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Observes a task's outcome so that a failure never terminates the process,
// then runs `done` (if any) once the task has finished either way.
template <typename T>
void Observe(pplx::task<T> task, std::function<void()> done = nullptr) {
  task.then([done = std::move(done)](pplx::task<T> t) {
    try {
      t.wait();
      t.get();
    } catch (...) {
    }
    if (done) done();
  });
}

// pplx's task scheduler. Until Closing(), a task is posted to the network
// thread, as cpprestsdk's default scheduler does; from then on each task
// runs on a new thread, so that close() can wait without holding the
// network thread (see the top of this file).
class ClosingScheduler : public pplx::scheduler_interface {
 public:
  void schedule(pplx::TaskProc_t proc, void* param) override {
    if (!closing_.load(std::memory_order_acquire)) {
      crossplat::threadpool::shared_instance().service().post(
          [proc, param] { proc(param); });
      return;
    }
    std::thread([proc, param] { proc(param); }).detach();
  }
  void Closing() { closing_.store(true, std::memory_order_release); }

 private:
  std::atomic<bool> closing_{false};
};

// Set by InitTransport(); null when cpprestsdk runs with its defaults (a
// listener made without InitTransport(), as in some tests).
std::shared_ptr<ClosingScheduler>& InstalledScheduler() {
  static std::shared_ptr<ClosingScheduler> scheduler;
  return scheduler;
}

// Requests received and not yet answered. Shared by the listener and every
// reply continuation, so that a continuation that finishes after Stop() gave
// up waiting (drain timeout) and the listener was destroyed still counts
// down on live memory.
class InFlightCounter {
 public:
  void Begin() {
    std::lock_guard lock(mu_);
    ++count_;
  }
  void End() {
    std::lock_guard lock(mu_);
    if (--count_ == 0) drained_.notify_all();
  }
  int64_t count() const {
    std::lock_guard lock(mu_);
    return count_;
  }
  // Waits until nothing is in flight or `timeout` passed.
  void WaitDrained(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    drained_.wait_for(lock, timeout, [this] { return count_ == 0; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable drained_;
  int64_t count_ = 0;
};

// Counts the request as in flight until it is answered.
class CppRestResponder : public Responder {
 public:
  CppRestResponder(http_request request,
                   std::shared_ptr<InFlightCounter> in_flight);
  ~CppRestResponder() override;
  void Reply(HttpResponse response) override;

 private:
  http_request request_;
  std::shared_ptr<InFlightCounter> in_flight_;
  std::atomic<bool> replied_{false};
};

class CppRestListener : public Listener {
 public:
  explicit CppRestListener(ListenerOptions options)
      : options_(std::move(options)) {}
  ~CppRestListener() override { Stop(nullptr); }

  Status Start(const std::string& host, uint16_t port,
               HttpHandler handler) override {
    handler_ = std::move(handler);
    std::string url = "http://" + host + ":" + std::to_string(port) + "/";
    try {
      http_listener_config config;
      config.set_backlog(1024);
      listener_ = std::make_unique<http_listener>(web::uri(url), config);
      listener_->support([this](http_request request) { OnRequest(request); });
      listener_->open().wait();  // main thread, before serving
    } catch (const std::exception& e) {
      listener_.reset();
      return Status(ErrorCode::kUnavailable, "cannot listen on " + host + ":" +
                                                 std::to_string(port) + ": " +
                                                 e.what());
    }
    return Status::Ok();
  }

  void Stop(const std::function<void()>& on_draining) override {
    if (stopped_.exchange(true)) return;
    stopping_ = true;
    if (on_draining) on_draining();
    in_flight_->WaitDrained(options_.drain_timeout);
    if (listener_) {
      if (auto& scheduler = InstalledScheduler()) scheduler->Closing();
      try {
        listener_->close().wait();
      } catch (...) {
      }
    }
  }
  int64_t InFlight() const override { return in_flight_->count(); }

 private:
  // Reads the body chunk by chunk (never blocking) and then calls the
  // handler.
  struct BodyRead {
    http_request request;
    HttpRequest out;
    std::shared_ptr<Responder> responder;
    concurrency::streams::streambuf<uint8_t> buffer;
    // Not zeroed first (make_unique_for_overwrite): every byte read is
    // written by getn before it is used.
    std::unique_ptr<uint8_t[]> chunk;
    size_t chunk_size = 0;
    size_t expected = 0;  // Content-Length, or kChunked
  };
  static constexpr size_t kChunked = static_cast<size_t>(-1);

  void OnRequest(http_request request) {
    auto responder = std::make_shared<CppRestResponder>(request, in_flight_);
    try {
      if (stopping_) {
        HttpResponse r = ErrorResponse(
            Status(ErrorCode::kUnavailable, "the server is shutting down"));
        r.headers.emplace_back("Connection", "close");
        responder->Reply(std::move(r));
        return;
      }
      auto body = std::make_shared<BodyRead>();
      body->request = request;
      body->responder = responder;
      Status s = Convert(request, &body->out);
      if (!s.ok()) {
        responder->Reply(ErrorResponse(s));
        return;
      }
      const auto& headers = request.headers();
      uint64_t declared = 0;
      bool has_length =
          headers.match(web::http::header_names::content_length, declared);
      bool chunked =
          Lower(body->out.Header("transfer-encoding")).find("chunked") !=
          std::string::npos;
      if (has_length && declared > options_.max_body_bytes) {
        RefuseTooLarge(body);
        return;
      }
      if (!chunked && (!has_length || declared == 0)) {
        Dispatch(body);
        return;
      }
      body->expected = chunked ? kChunked : static_cast<size_t>(declared);
      body->out.body.reserve(chunked ? kReadChunk : declared);
      body->chunk_size =
          chunked ? kReadChunk : std::min<size_t>(kReadChunk, declared);
      body->chunk = std::make_unique_for_overwrite<uint8_t[]>(body->chunk_size);
      body->buffer = request.body().streambuf();
      ReadMore(body);
    } catch (const std::exception& e) {
      responder->Reply(ErrorResponse(
          Status(ErrorCode::kInternal, "request could not be read")));
    } catch (...) {
      responder->Reply(ErrorResponse(
          Status(ErrorCode::kInternal, "request could not be read")));
    }
  }

  static Status Convert(const http_request& request, HttpRequest* out) {
    try {
      out->method = request.method();
      for (auto& c : out->method)
        c = std::toupper(static_cast<unsigned char>(c));
      const web::uri& uri = request.request_uri();
      out->path = web::uri::decode(uri.path());
      if (out->path.empty()) out->path = "/";
      for (const auto& [k, v] : web::uri::split_query(uri.query())) {
        out->query[web::uri::decode(k)] = web::uri::decode(v);
      }
      for (const auto& [k, v] : request.headers()) {
        std::string name = Lower(k);
        auto [it, inserted] = out->headers.emplace(name, v);
        if (!inserted) it->second += ", " + v;
      }
      out->remote_address = request.remote_address();
    } catch (const std::exception&) {
      return Status(ErrorCode::kInvalidRequest, "malformed request target");
    }
    return Status::Ok();
  }

  // Reads what has arrived without waiting; when the buffer is empty, goes
  // on in a continuation. A Content-Length body is complete once that many
  // bytes were read, a chunked one at the end of the stream.
  void ReadMore(const std::shared_ptr<BodyRead>& body) {
    try {
      for (;;) {
        if (body->out.body.size() == body->expected) {
          Dispatch(body);
          return;
        }
        size_t want =
            std::min(body->chunk_size, body->expected - body->out.body.size());
        auto task = body->buffer.getn(body->chunk.get(), want);
        if (!task.is_done()) {
          task.then([this, body](pplx::task<size_t> t) {
            if (Consume(body, t)) ReadMore(body);
          });
          return;
        }
        if (!Consume(body, task)) return;
      }
    } catch (...) {
      body->responder->Reply(ErrorResponse(
          Status(ErrorCode::kInternal, "request could not be read")));
    }
  }

  // Appends what a finished read returned; false when the request is
  // answered (error, too large, or complete and dispatched).
  bool Consume(const std::shared_ptr<BodyRead>& body, pplx::task<size_t>& t) {
    size_t n = 0;
    try {
      n = t.get();  // finished: does not block
    } catch (...) {
      body->responder->Reply(ErrorResponse(Status(
          ErrorCode::kInvalidRequest, "the request body was cut short")));
      return false;
    }
    if (n == 0) {
      if (body->expected != kChunked) {
        body->responder->Reply(ErrorResponse(Status(
            ErrorCode::kInvalidRequest, "the request body was cut short")));
      } else {
        Dispatch(body);
      }
      return false;
    }
    if (body->out.body.size() + n > options_.max_body_bytes) {
      RefuseTooLarge(body);
      return false;
    }
    body->out.body.append(reinterpret_cast<const char*>(body->chunk.get()), n);
    return true;
  }

  void RefuseTooLarge(const std::shared_ptr<BodyRead>& body) {
    // Completing the request body with an error (the listener's own
    // internal call, public in http_msg.h) closes its buffer, so the listener
    // stops storing what still arrives, and releases the reply at once:
    // without it the reply would wait for a body that may never end. With
    // Connection: close the listener then drops the connection.
    try {
      body->request._get_impl()->_complete(
          0,
          std::make_exception_ptr(std::length_error("request body too large")));
    } catch (...) {
    }
    HttpResponse r = ErrorResponse(
        Status(ErrorCode::kPayloadTooLarge,
               "the request body is larger than " +
                   std::to_string(options_.max_body_bytes) + " bytes"));
    r.headers.emplace_back("Connection", "close");
    // cpprestsdk races here. Its connection reads the body on one thread: a
    // write into the body buffer that began before _complete() goes on to
    // issue the next socket read. Meanwhile, on another thread, the 413 is
    // written and Connection: close closes the socket, and boost's reactor
    // starts that read on a freed descriptor: SIGSEGV. It happened to about
    // 1 in 50 such requests sent in a loop on 2 cores, at any pool size.
    // After _complete() every later write into the buffer fails and the
    // reader stops, so the reply waits kRefuseDelay on a timer (no thread
    // blocked) for a read already on its way to be issued first; an issued
    // read is cancelled safely by the close.
    auto timer = std::make_shared<boost::asio::steady_timer>(
        crossplat::threadpool::shared_instance().service(), kRefuseDelay);
    timer->async_wait([timer, responder = body->responder,
                       r = std::move(r)](const boost::system::error_code&) {
      responder->Reply(r);
    });
  }

  void Dispatch(const std::shared_ptr<BodyRead>& body) {
    auto responder = std::move(body->responder);
    try {
      handler_(std::move(body->out), responder);
    } catch (const std::exception&) {
      responder->Reply(
          ErrorResponse(Status(ErrorCode::kInternal, "internal error")));
    } catch (...) {
      responder->Reply(
          ErrorResponse(Status(ErrorCode::kInternal, "internal error")));
    }
  }

  ListenerOptions options_;
  HttpHandler handler_;
  std::unique_ptr<http_listener> listener_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::shared_ptr<InFlightCounter> in_flight_ =
      std::make_shared<InFlightCounter>();
};

CppRestResponder::CppRestResponder(http_request request,
                                   std::shared_ptr<InFlightCounter> in_flight)
    : request_(std::move(request)), in_flight_(std::move(in_flight)) {
  in_flight_->Begin();
}

CppRestResponder::~CppRestResponder() {
  if (!replied_) {
    Reply(ErrorResponse(
        Status(ErrorCode::kInternal, "the request was not answered")));
  }
}

// The request stays in flight until its reply task finishes (the response
// is written out), not merely until the reply is queued: Stop() drains on
// that count, and closing the listener earlier cut long-poll answers sent
// during shutdown. The continuation holds the counter itself, never the
// listener: after a drain timeout the listener may be gone when it runs.
void CppRestResponder::Reply(HttpResponse r) {
  if (replied_.exchange(true)) return;
  auto end = [in_flight = in_flight_] { in_flight->End(); };
  try {
    http_response response(static_cast<web::http::status_code>(r.status));
    if (r.status != 304) {
      response.set_body(std::move(r.body), r.content_type);
    }
    for (auto& [name, value] : r.headers) {
      response.headers().add(name, value);
    }
    Observe(request_.reply(response), end);
    return;
  } catch (...) {
  }
  try {
    Observe(request_.reply(web::http::status_codes::InternalError), end);
  } catch (...) {
    end();
  }
}

}  // namespace

std::unique_ptr<Listener> NewCppRestListener(ListenerOptions options) {
  return std::make_unique<CppRestListener>(std::move(options));
}

bool InitTransport() {
  static std::once_flag once;
  static bool done = false;
  std::call_once(once, [] {
    // The scheduler first: a one-thread pool without it could not close.
    try {
      auto scheduler = std::make_shared<ClosingScheduler>();
      pplx::set_ambient_scheduler(scheduler);
      InstalledScheduler() = std::move(scheduler);
    } catch (...) {
      return;  // pplx was already in use: cpprestsdk's defaults stay
    }
    try {
      crossplat::threadpool::initialize_with_threads(1);
      done = true;
    } catch (...) {
      // The pool was already made, with cpprestsdk's default size.
    }
  });
  return done;
}

}  // namespace casesync::server
