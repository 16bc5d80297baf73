// Sessions over HTTP: login, remember, me, logout, forced change, reset.
#include <doctest/doctest.h>

#include <regex>

#include "casesync/domain.h"
#include "harness.h"

namespace casesync::itest {
namespace {

int64_t Ms(const Json& iso) {
  auto t = ParseIsoTime(iso.get<std::string>());
  REQUIRE(t.has_value());
  return *t;
}

TEST_SUITE("auth over http") {
  TEST_CASE("login returns a token, the user and mustChangePassword") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer");
    Json body = {{"email", d.email}, {"password", d.password}};
    HttpResult r = Http(s.port(), "POST", "/api/v1/auth/login", DumpJson(body));
    REQUIRE(r.status == 200);
    Json j = r.json();
    CHECK(j["token"].is_string());
    CHECK(j["token"].get<std::string>().size() >= 32);
    CHECK(j["user"]["email"] == d.email);
    CHECK(j["mustChangePassword"].is_boolean());
    CHECK(r.headers["content-type"].find("application/json") == 0);
    CHECK(r.headers["cache-control"] == "no-store");
  }

  TEST_CASE("a wrong password and an unknown e-mail get the same 401") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer_admin");
    HttpResult a = Http(
        s.port(), "POST", "/api/v1/auth/login",
        DumpJson(Json{{"email", d.email}, {"password", "wrong-password-1"}}));
    HttpResult b = Http(s.port(), "POST", "/api/v1/auth/login",
                        DumpJson(Json{{"email", "nobody@example.invalid"},
                                      {"password", "wrong-password-1"}}));
    CHECK(a.status == 401);
    CHECK(b.status == 401);
    CHECK(a.ErrorCode() == "unauthenticated");
    CHECK(a.json()["error"]["message"] == b.json()["error"]["message"]);
  }

  TEST_CASE("me answers for a token; logout revokes it") {
    auto& s = Shared();
    DemoLogin d = s.Demo("agent");
    std::string token = Login(s.port(), d.email, d.password);
    HttpResult me =
        Http(s.port(), "GET", "/api/v1/auth/me", "", {.token = token});
    REQUIRE(me.status == 200);
    CHECK(me.json()["user"]["email"] == d.email);
    CHECK(me.json()["user"]["role"] == "agent");
    CHECK(me.body.find("password") == std::string::npos);

    HttpResult out =
        Http(s.port(), "POST", "/api/v1/auth/logout", "", {.token = token});
    CHECK(out.status == 200);
    me = Http(s.port(), "GET", "/api/v1/auth/me", "", {.token = token});
    CHECK(me.status == 401);
    CHECK(me.ErrorCode() == "unauthenticated");
    CHECK(me.headers["www-authenticate"] == "Bearer");
  }

  TEST_CASE("remember gives a session of about 30 days, otherwise 12 hours") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer", 1);
    std::string short_token = Login(s.port(), d.email, d.password, false);
    std::string long_token = Login(s.port(), d.email, d.password, true);
    Json a =
        Http(s.port(), "GET", "/api/v1/auth/me", "", {.token = short_token})
            .json();
    Json b = Http(s.port(), "GET", "/api/v1/auth/me", "", {.token = long_token})
                 .json();
    int64_t now = *ParseIsoTime(NowIso());
    int64_t hour = 3600 * 1000;
    CHECK(Ms(a["expiresAt"]) - now <= 12 * hour + 60000);
    CHECK(Ms(a["expiresAt"]) - now >= 11 * hour);
    CHECK(Ms(b["expiresAt"]) - now >= 29 * 24 * hour);
  }

  TEST_CASE("missing, malformed and forged tokens get 401 on every route") {
    auto& s = Shared();
    const std::vector<std::pair<std::string, std::string>> routes = {
        {"GET", "/api/v1/auth/me"},        {"POST", "/api/v1/auth/logout"},
        {"POST", "/api/v1/auth/password"}, {"POST", "/api/v1/sync/push"},
        {"POST", "/api/v1/sync/pull"},     {"GET", "/api/v1/sync/poke"},
        {"GET", "/api/v1/catalog"}};
    const std::vector<std::vector<std::string>> bad = {
        {},
        {"Authorization: Basic dXNlcjpwYXNz"},
        {"Authorization: Bearer"},
        {"Authorization: Bearer 00000000000000000000000000000000"},
        {"Authorization: Bearer " + std::string(300, 'a')},
        {"Authorization: Bearer ' OR 1=1 --"}};
    for (const auto& [method, path] : routes) {
      for (const auto& h : bad) {
        CAPTURE(path);
        CAPTURE(h.empty() ? "" : h[0]);
        HttpResult r = Http(s.port(), method, path, "{}", {.headers = h});
        CHECK(r.status == 401);
        CHECK(r.ErrorCode() == "unauthenticated");
      }
    }
  }

  TEST_CASE("login refuses unknown fields and wrong types") {
    auto& s = Shared();
    for (const std::string body :
         {R"({"email":"a@b.co","password":"x","remembr":true})",
          R"({"email":1,"password":"x"})",
          R"({"email":"a@b.co","password":"x","remember":"yes"})",
          R"({"email":"a@b.co"})", R"([])", R"("x")"}) {
      CAPTURE(body);
      HttpResult r = Http(s.port(), "POST", "/api/v1/auth/login", body);
      CHECK(r.status == 400);
      CHECK(r.ErrorCode() == "invalid_request");
    }
  }

  TEST_CASE("password reset: 202 always, one-time token, new password works") {
    auto& s = Shared();
    DemoLogin d = s.Demo("customer_admin", 1);
    HttpResult unknown =
        Http(s.port(), "POST", "/api/v1/auth/reset",
             DumpJson(Json{{"email", "nadie@example.invalid"}}));
    CHECK(unknown.status == 202);
    HttpResult r = Http(s.port(), "POST", "/api/v1/auth/reset",
                        DumpJson(Json{{"email", d.email}}));
    CHECK(r.status == 202);
    CHECK(unknown.body == r.body);

    // The mail issue sends it; here it waits in the notification queue.
    auto rows = DbQuery(s.db_path(),
                        "SELECT body FROM notifications WHERE to_addr = '" +
                            d.email + "' ORDER BY id DESC LIMIT 1");
    REQUIRE(rows.size() == 1);
    std::smatch m;
    std::string text = rows[0][0];
    REQUIRE_MESSAGE(
        std::regex_search(text, m, std::regex("[A-Za-z0-9_-]{20,}")), text);
    std::string token;
    // The longest token-like word of the message is the reset token.
    const std::regex word("[A-Za-z0-9_-]{20,}");
    for (std::sregex_iterator it(text.begin(), text.end(), word), end;
         it != end; ++it) {
      if (it->str().size() > token.size()) token = it->str();
    }

    HttpResult weak =
        Http(s.port(), "POST", "/api/v1/auth/reset/confirm",
             DumpJson(Json{{"token", token}, {"newPassword", "corta"}}));
    CHECK(weak.status == 422);
    CHECK(weak.ErrorCode() == "weak_password");

    std::string fresh = "Nueva-Clave-Segura-2026";
    HttpResult ok =
        Http(s.port(), "POST", "/api/v1/auth/reset/confirm",
             DumpJson(Json{{"token", token}, {"newPassword", fresh}}));
    REQUIRE_MESSAGE(ok.status == 200, ok.body);
    HttpResult again =
        Http(s.port(), "POST", "/api/v1/auth/reset/confirm",
             DumpJson(Json{{"token", token}, {"newPassword", fresh + "x"}}));
    CHECK(again.status >= 400);
    CHECK(again.status < 500);
    Login(s.port(), d.email, fresh);
    HttpResult old =
        Http(s.port(), "POST", "/api/v1/auth/login",
             DumpJson(Json{{"email", d.email}, {"password", d.password}}));
    CHECK(old.status == 401);
    // Put the demo password back for the other tests.
    std::string t = Login(s.port(), d.email, fresh);
    HttpResult back = Http(
        s.port(), "POST", "/api/v1/auth/password",
        DumpJson(Json{{"oldPassword", fresh}, {"newPassword", d.password}}),
        {.token = t});
    CHECK(back.status == 200);
  }

  TEST_CASE("register: a new user from an unknown domain waits as pending") {
    auto& s = Shared();
    std::string email =
        "persona-" + NewUuid().substr(0, 8) + "@desconocida.example";
    HttpResult r = Http(s.port(), "POST", "/api/v1/auth/register",
                        DumpJson(Json{{"email", email},
                                      {"name", "Persona Nueva"},
                                      {"phone", "3001234567"},
                                      {"password", "Una-Clave-Larga-2026"}}));
    REQUIRE_MESSAGE(r.status == 201, r.body);
    CHECK(r.json()["user"]["status"] == "pending");
    HttpResult login = Http(
        s.port(), "POST", "/api/v1/auth/login",
        DumpJson(Json{{"email", email}, {"password", "Una-Clave-Larga-2026"}}));
    CHECK(login.status == 403);
    CHECK(login.ErrorCode() == "account_pending");
  }

  TEST_CASE("a temporary password must be changed before syncing") {
    // A user created by the admin subcommand gets a temporary password.
    ServerProcess server;
    REQUIRE(server.Start());
    DemoLogin admin_ref = server.Demo("customer");
    std::string email = "temporal-" + NewUuid().substr(0, 8) + "@example.com";
    REQUIRE(server.Stop() == 0);
    std::string cmd =
        std::string(std::getenv("CASESYNC_SERVER_BIN")) + " admin --data '" +
        server.data_dir() + "' add-user --account '" + admin_ref.account +
        "' --email " + email +
        " --name 'Usuario Temporal' --role customer "
        "--password Temporal-Clave-2026 --temporary >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    REQUIRE(server.Start());
    HttpResult login = Http(
        server.port(), "POST", "/api/v1/auth/login",
        DumpJson(Json{{"email", email}, {"password", "Temporal-Clave-2026"}}));
    REQUIRE_MESSAGE(login.status == 200, login.body);
    std::string token = login.json()["token"];
    REQUIRE(login.json()["mustChangePassword"] == true);
    HttpResult pull = Pull(server.port(), token, "c-temp", std::nullopt);
    CHECK(pull.status == 403);
    CHECK(pull.ErrorCode() == "password_change_required");
    CHECK(Http(server.port(), "GET", "/api/v1/auth/me", "", {.token = token})
              .status == 200);
    HttpResult change =
        Http(server.port(), "POST", "/api/v1/auth/password",
             DumpJson(Json{{"oldPassword", "Temporal-Clave-2026"},
                           {"newPassword", "Definitiva-Clave-2026"}}),
             {.token = token});
    REQUIRE_MESSAGE(change.status == 200, change.body);
    HttpResult me =
        Http(server.port(), "GET", "/api/v1/auth/me", "", {.token = token});
    std::string t2 = token;
    if (me.status != 200)
      t2 = Login(server.port(), email, "Definitiva-Clave-2026");
    CHECK(Pull(server.port(), t2, "c-temp", std::nullopt).status == 200);
  }
}

}  // namespace
}  // namespace casesync::itest
