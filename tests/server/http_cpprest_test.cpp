// The cpprestsdk listener (http_cpprest.cpp) at shutdown: a reply that comes
// after Stop() gave up waiting, and after the listener is gone, must not
// touch the listener (it counts down on a counter the reply itself holds).
// Meaningful above all in the sanitizer build, where the old use-after-free
// was reported.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "http_transport.h"

namespace casesync::server {
namespace {

// Sends one request and leaves the connection open; -1 when it cannot.
int SendRequest(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const char kRequest[] = "GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n";
  if (send(fd, kRequest, sizeof kRequest - 1, 0) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_SUITE("cpprest listener") {
  TEST_CASE("a reply after the drain timeout and the listener's end is safe") {
    ListenerOptions options;
    options.drain_timeout = std::chrono::milliseconds(50);
    auto listener = NewCppRestListener(options);
    std::mutex mu;
    std::shared_ptr<Responder> kept;
    std::atomic<bool> called{false};
    uint16_t port = 0;
    std::mt19937 rng(std::random_device{}());
    for (int attempt = 0; attempt < 20 && port == 0; ++attempt) {
      uint16_t p = static_cast<uint16_t>(40000 + rng() % 20000);
      Status st = listener->Start(
          "127.0.0.1", p, [&](HttpRequest, std::shared_ptr<Responder> r) {
            std::lock_guard lock(mu);
            kept = std::move(r);  // answered later, as a long poll is
            called = true;
          });
      if (st.ok()) port = p;
    }
    REQUIRE(port != 0);
    int fd = SendRequest(port);
    REQUIRE(fd >= 0);
    for (int i = 0; i < 500 && !called; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(called);
    CHECK(listener->InFlight() == 1);
    listener->Stop();  // gives up after 50 ms: the request is still open
    listener.reset();
    std::shared_ptr<Responder> late;
    {
      std::lock_guard lock(mu);
      late = std::move(kept);
    }
    HttpResponse r;
    r.body = "{}";
    late->Reply(std::move(r));
    late.reset();
    // Let the reply's continuation run on the pool.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    close(fd);
  }
}

}  // namespace
}  // namespace casesync::server
