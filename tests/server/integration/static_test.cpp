// The web app's files: types, caching, CSP, and no way out of --web DIR.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.h"

namespace casesync::itest {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const char kCsp[] =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src "
    "'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

TEST_SUITE("static files") {
  TEST_CASE("the web app is served with types, caching and a CSP") {
    std::string root = MakeTempDir("webroot");
    std::string web = root + "/dist";
    REQUIRE(mkdir(web.c_str(), 0755) == 0);
    REQUIRE(mkdir((web + "/assets").c_str(), 0755) == 0);
    Write(root + "/secret.txt", "TOP-SECRET");
    Write(web + "/index.html", "<!doctype html><title>casesync</title>");
    Write(web + "/sw.js", "self.addEventListener('fetch', () => {});");
    Write(web + "/assets/app-1a2b3c4d.js", "export {};");
    Write(web + "/assets/core-9f8e7d6c.wasm", std::string("\0asm\1\0\0\0", 8));
    Write(web + "/assets/style.css", "body{}");
    Write(web + "/manifest.webmanifest", "{}");
    Write(web + "/icon.svg", "<svg/>");
    Write(web + "/logo.png", "\x89PNG");
    Write(web + "/favicon.ico", "ico");
    Write(web + "/mod.mjs", "export {};");
    Write(web + "/data.json", "{}");
    REQUIRE(symlink((root + "/secret.txt").c_str(),
                    (web + "/leak.txt").c_str()) == 0);

    ServerProcess::Options o;
    o.web_dir = web;
    o.demo = false;
    ServerProcess server(o);
    REQUIRE(server.Start());
    uint16_t port = server.port();

    struct Want {
      std::string path, type, cache;
    };
    for (const auto& w : std::vector<Want>{
             {"/", "text/html; charset=utf-8", "no-cache"},
             {"/index.html", "text/html; charset=utf-8", "no-cache"},
             {"/sw.js", "text/javascript; charset=utf-8", "no-cache"},
             {"/assets/app-1a2b3c4d.js", "text/javascript; charset=utf-8",
              "public, max-age=31536000, immutable"},
             {"/assets/core-9f8e7d6c.wasm", "application/wasm",
              "public, max-age=31536000, immutable"},
             {"/assets/style.css", "text/css; charset=utf-8", "no-cache"},
             {"/manifest.webmanifest", "application/manifest+json", "no-cache"},
             {"/icon.svg", "image/svg+xml", "no-cache"},
             {"/logo.png", "image/png", "no-cache"},
             {"/favicon.ico", "image/x-icon", "no-cache"},
             {"/mod.mjs", "text/javascript; charset=utf-8", "no-cache"},
             {"/data.json", "application/json", "no-cache"}}) {
      CAPTURE(w.path);
      HttpResult r = Http(port, "GET", w.path);
      CHECK(r.status == 200);
      CHECK(r.headers["content-type"] == w.type);
      CHECK(r.headers["cache-control"] == w.cache);
      CHECK(r.headers["content-security-policy"] == kCsp);
      CHECK(r.headers["x-content-type-options"] == "nosniff");
      CHECK(r.headers["referrer-policy"] == "no-referrer");
    }
    HttpResult wasm = Http(port, "GET", "/assets/core-9f8e7d6c.wasm");
    CHECK(wasm.body == std::string("\0asm\1\0\0\0", 8));

    SUBCASE("an unchanged file answers 304 to its ETag") {
      HttpResult first = Http(port, "GET", "/sw.js");
      REQUIRE(!first.headers["etag"].empty());
      HttpResult again =
          Http(port, "GET", "/sw.js", "",
               {.headers = {"If-None-Match: " + first.headers["etag"]}});
      CHECK(again.status == 304);
      CHECK(again.body.empty());
    }
    SUBCASE("client-side routes get the app shell, missing files 404") {
      HttpResult nav = Http(port, "GET", "/casos/123", "",
                            {.headers = {"Accept: text/html"}});
      CHECK(nav.status == 200);
      CHECK(nav.body.find("casesync") != std::string::npos);
      HttpResult missing = Http(port, "GET", "/assets/missing.js");
      CHECK(missing.status == 404);
      CHECK(missing.ErrorCode() == "route_not_found");
    }
    SUBCASE("no path leads outside the web directory") {
      for (const std::string path :
           {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
            "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt",
            "/assets/..%2f..%2fsecret.txt", "/%2e%2e%5csecret.txt", "/leak.txt",
            "//etc/passwd", "/assets/%00.js", "/./index.html"}) {
        CAPTURE(path);
        HttpResult r = Http(port, "GET", path, "", {.path_as_is = true});
        CHECK(r.body.find("TOP-SECRET") == std::string::npos);
        CHECK(r.body.find("root:") == std::string::npos);
        CHECK(r.status >= 400);
      }
      std::string raw = RawHttp(
          port, "GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
          1000);
      CHECK(raw.find("root:") == std::string::npos);
    }
    SUBCASE("only GET for files") {
      HttpResult r = Http(port, "POST", "/index.html", "{}");
      CHECK(r.status == 405);
      CHECK(r.headers["allow"] == "GET");
    }
  }

  TEST_CASE("without a built web app a Spanish page says so") {
    ServerProcess::Options o;
    o.demo = false;
    ServerProcess server(o);
    REQUIRE(server.Start());
    HttpResult r = Http(server.port(), "GET", "/");
    CHECK(r.status == 200);
    CHECK(r.headers["content-type"] == "text/html; charset=utf-8");
    CHECK(r.body.find("todavía no está") != std::string::npos);
    CHECK(r.body.find("<script") == std::string::npos);
    CHECK(r.headers["content-security-policy"] == kCsp);
  }

  TEST_CASE("healthz and metrics") {
    auto& s = Shared();
    HttpResult h = Http(s.port(), "GET", "/healthz");
    CHECK(h.status == 200);
    CHECK(h.json()["status"] == "ok");
    Http(s.port(), "GET", "/api/v1/nothing");
    HttpResult m = Http(s.port(), "GET", "/metrics");
    CHECK(m.status == 200);
    CHECK(m.headers["content-type"].find("text/plain") == 0);
    CHECK(m.body.find("casesync_http_requests_total{route=\"/healthz\","
                      "status=\"200\"}") != std::string::npos);
    CHECK(m.body.find("casesync_http_requests_total{route=\"unmatched\","
                      "status=\"404\"}") != std::string::npos);
    CHECK(m.body.find("casesync_http_request_duration_seconds_bucket{route="
                      "\"/healthz\",le=\"+Inf\"}") != std::string::npos);
    for (const char* name :
         {"casesync_sync_pushes_total", "casesync_sync_mutations_applied_total",
          "casesync_sync_mutations_rejected_total",
          "casesync_sync_pull_rows_total", "casesync_sync_open_long_polls"}) {
      CHECK(m.body.find(name) != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace casesync::itest
