// Authentication through Service (DESIGN §5): login, sessions, throttling,
// password policy and changes, registration and password reset.
#include "server_fixtures.h"

namespace casesync::server::testing {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

struct World {
  FakeClock clock;
  std::string dir;
  std::unique_ptr<Service> service;
  explicit World(std::vector<std::string> must_change = {},
                 HashCost cost = HashCost::kMinimum) {
    dir = FreshDir("auth");
    SeedPeople(dir, must_change, cost);
    auto o = Options(dir, &clock);
    o.login_failures_per_15_min = 3;
    service = OpenService(o);
  }
};

// The token of the newest password_reset notification to `email`.
std::string ResetTokenFor(const std::string& dir, const std::string& email) {
  std::string body = QueryText(
      dir,
      "SELECT body FROM notifications WHERE kind='password_reset' AND "
      "to_addr='" +
          email + "' ORDER BY id DESC LIMIT 1");
  auto nl = body.find("\n\n");
  REQUIRE(nl != std::string::npos);
  return body.substr(nl + 2, 32);
}

// Logs in and authenticates once, so that the session is in the cache.
std::string CachedToken(World& w, const char* email) {
  auto login = w.service->Login(email, kPassword, false, "10.0.0.9");
  REQUIRE(login.ok());
  REQUIRE(w.service->Authenticate(login->token).ok());
  return login->token;
}

TEST_SUITE("auth service") {
  TEST_CASE("login gives a session; logout revokes it") {
    World w;
    auto login =
        w.service->Login("  ANA@a.example.co ", kPassword, false, "10.0.0.1");
    REQUIRE(login.ok());
    CHECK(login->token.size() == 32);
    CHECK(login->session.user.id == "u-ana");
    CHECK(login->session.actor.account_id == "acc-a");
    CHECK(login->session.actor.role == Role::kCustomer);
    CHECK(login->session.session_id != login->token);
    // Only the hash is stored.
    CHECK(QueryText(w.dir, "SELECT count(*) FROM sessions WHERE token_hash='" +
                               login->token + "'") == "0");
    auto me = w.service->Authenticate(login->token);
    REQUIRE(me.ok());
    CHECK(me->user.email == "ana@a.example.co");
    REQUIRE(w.service->Logout(login->token).ok());
    CHECK(w.service->Authenticate(login->token).status().code() ==
          ErrorCode::kUnauthenticated);
    CHECK(w.service->Authenticate("forged").status().code() ==
          ErrorCode::kUnauthenticated);
    CHECK(w.service->Authenticate("").status().code() ==
          ErrorCode::kUnauthenticated);
  }

  TEST_CASE("a wrong password and an unknown e-mail look the same") {
    World w;
    auto wrong = w.service->Login("ana@a.example.co", "Otra-Clave-123", false,
                                  "10.0.0.2");
    auto unknown =
        w.service->Login("nadie@a.example.co", kPassword, false, "10.0.0.3");
    REQUIRE(!wrong.ok());
    REQUIRE(!unknown.ok());
    CHECK(wrong.status().code() == ErrorCode::kUnauthenticated);
    CHECK(unknown.status().code() == ErrorCode::kUnauthenticated);
    CHECK(wrong.status().message() == unknown.status().message());
    CHECK(wrong.status().message().find("ana") == std::string::npos);
  }

  TEST_CASE("sessions expire after 12 hours; remembered ones slide") {
    World w;
    auto plain = w.service->Login("ana@a.example.co", kPassword, false, "a");
    auto remember = w.service->Login("ana@a.example.co", kPassword, true, "a");
    REQUIRE(plain.ok());
    REQUIRE(remember.ok());
    w.clock.Advance(11 * kHour);
    CHECK(w.service->Authenticate(plain->token).ok());
    w.clock.Advance(2 * kHour);
    CHECK(w.service->Authenticate(plain->token).status().code() ==
          ErrorCode::kUnauthenticated);
    CHECK(w.service->Authenticate(remember->token).ok());
    // Used every 20 days, a remembered session never expires...
    for (int i = 0; i < 4; ++i) {
      w.clock.Advance(20 * kDay);
      CHECK(w.service->Authenticate(remember->token).ok());
    }
    // ... left alone for 31 days, it does.
    w.clock.Advance(31 * kDay);
    CHECK(w.service->Authenticate(remember->token).status().code() ==
          ErrorCode::kUnauthenticated);
  }

  TEST_CASE("logins are throttled per account and per address") {
    World w;  // 3 failures per 15 minutes
    for (int i = 0; i < 3; ++i) {
      CHECK(w.service
                ->Login("ana@a.example.co", "Mala-clave-" + std::to_string(i),
                        false, "10.0.0.9")
                .status()
                .code() == ErrorCode::kUnauthenticated);
    }
    // The account is locked even with the right password, from anywhere.
    CHECK(w.service->Login("ana@a.example.co", kPassword, false, "10.9.9.9")
              .status()
              .code() == ErrorCode::kRateLimited);
    // The address too, for any account.
    CHECK(w.service->Login("beto@b.example.co", kPassword, false, "10.0.0.9")
              .status()
              .code() == ErrorCode::kRateLimited);
    CHECK(w.service->Login("beto@b.example.co", kPassword, false, "10.0.0.8")
              .ok());
    w.clock.Advance(16 * 60 * 1000);
    CHECK(w.service->Login("ana@a.example.co", kPassword, false, "10.0.0.9")
              .ok());
  }

  TEST_CASE("a login rehashes a password hashed with other parameters") {
    World w({}, HashCost::kInteractive);  // the service hashes at kMinimum
    std::string before =
        QueryText(w.dir, "SELECT password_hash FROM users WHERE id='u-ana'");
    CHECK(NeedsRehash(before, HashCost::kMinimum));
    REQUIRE(w.service->Login("ana@a.example.co", kPassword, false, "a").ok());
    std::string after =
        QueryText(w.dir, "SELECT password_hash FROM users WHERE id='u-ana'");
    CHECK(after != before);
    CHECK(!NeedsRehash(after, HashCost::kMinimum));
    CHECK(after.rfind("$argon2id$", 0) == 0);
    REQUIRE(w.service->Login("ana@a.example.co", kPassword, false, "a").ok());
  }

  TEST_CASE("a temporary password must be changed, and a weak one is refused") {
    World w({"ana@a.example.co"});
    auto login = w.service->Login("ana@a.example.co", kPassword, false, "a");
    REQUIRE(login.ok());
    CHECK(login->session.must_change_password);
    const Session& s = login->session;
    CHECK(w.service->ChangePassword(s, kPassword, "corta").code() ==
          ErrorCode::kWeakPassword);
    CHECK(w.service->ChangePassword(s, kPassword, "1234567890").code() ==
          ErrorCode::kWeakPassword);
    CHECK(w.service->ChangePassword(s, kPassword, "Contraseña123").code() ==
          ErrorCode::kWeakPassword);
    CHECK(w.service->ChangePassword(s, kPassword, kPassword).code() ==
          ErrorCode::kWeakPassword);
    CHECK(w.service->ChangePassword(s, "no-es-la-actual", "Nueva-Clave-2026")
              .code() == ErrorCode::kUnauthenticated);
    auto other = w.service->Login("ana@a.example.co", kPassword, false, "b");
    REQUIRE(other.ok());
    REQUIRE(w.service->ChangePassword(s, kPassword, "Nueva-Clave-2026").ok());
    auto me = w.service->Authenticate(login->token);
    REQUIRE(me.ok());
    CHECK(!me->must_change_password);
    // Other sessions of the user end; the old password no longer works.
    CHECK(!w.service->Authenticate(other->token).ok());
    CHECK(!w.service->Login("ana@a.example.co", kPassword, false, "a").ok());
    CHECK(w.service->Login("ana@a.example.co", "Nueva-Clave-2026", false, "a")
              .ok());
  }

  TEST_CASE("registration joins a trusted domain's account, else waits") {
    World w;
    RegisterRequest r{"nuevo@a.example.co", "Nuevo Usuario", "3001234567",
                      "Registro-Seguro-1"};
    auto trusted = w.service->Register(r, "10.1.1.1");
    REQUIRE(trusted.ok());
    CHECK(trusted->user.status == UserStatus::kActive);
    CHECK(trusted->user.account_id == "acc-a");
    CHECK(trusted->user.role == Role::kCustomer);
    auto login =
        w.service->Login("nuevo@a.example.co", "Registro-Seguro-1", false, "x");
    REQUIRE(login.ok());

    RegisterRequest u{"alguien@desconocida.com", "Alguien", "",
                      "Registro-Seguro-2"};
    auto pending = w.service->Register(u, "10.1.1.1");
    REQUIRE(pending.ok());
    CHECK(pending->user.status == UserStatus::kPending);
    CHECK(pending->user.account_id != "acc-a");
    CHECK(w.service->Login(u.email, u.password, false, "x").status().code() ==
          ErrorCode::kAccountPending);
    // A wrong password does not reveal the pending state.
    CHECK(w.service->Login(u.email, "Otra-Clave-999", false, "x")
              .status()
              .code() == ErrorCode::kUnauthenticated);
    CHECK(QueryText(w.dir, "SELECT pending FROM accounts WHERE id='" +
                               pending->user.account_id + "'") == "1");

    // An existing e-mail: the same kind of answer, a note to the owner.
    RegisterRequest dup{"ana@a.example.co", "Impostor", "",
                        "Registro-Seguro-3"};
    auto again = w.service->Register(dup, "10.1.1.2");
    REQUIRE(again.ok());
    CHECK(again->user.status == UserStatus::kActive);
    CHECK(QueryText(w.dir,
                    "SELECT count(*) FROM notifications WHERE "
                    "kind='account_exists'") == "1");
    CHECK(w.service->Login("ana@a.example.co", kPassword, false, "y").ok());

    RegisterRequest weak{"otro@a.example.co", "Otro", "", "password123"};
    CHECK(w.service->Register(weak, "10.1.1.3").status().code() ==
          ErrorCode::kWeakPassword);
    RegisterRequest bad{"no-es-correo", "Otro", "", "Registro-Seguro-4"};
    CHECK(w.service->Register(bad, "10.1.1.3").status().code() ==
          ErrorCode::kValidationFailed);
  }

  TEST_CASE("a reset token works once, within the hour") {
    World w;
    REQUIRE(
        w.service->RequestPasswordReset("nadie@a.example.co", "1.1.1.1").ok());
    CHECK(QueryText(w.dir, "SELECT count(*) FROM notifications") == "0");
    REQUIRE(
        w.service->RequestPasswordReset("Ana@A.example.co", "1.1.1.1").ok());
    std::string token = ResetTokenFor(w.dir, "ana@a.example.co");
    CHECK(token.size() == 32);
    CHECK(QueryText(w.dir,
                    "SELECT count(*) FROM reset_tokens WHERE "
                    "token_hash='" +
                        token + "'") == "0");
    auto session = w.service->Login("ana@a.example.co", kPassword, true, "a");
    REQUIRE(session.ok());
    CHECK(w.service->ConfirmPasswordReset(token, "corta").code() ==
          ErrorCode::kWeakPassword);
    REQUIRE(w.service->ConfirmPasswordReset(token, "Restablecida-2026").ok());
    CHECK(w.service->ConfirmPasswordReset(token, "Restablecida-2027").code() ==
          ErrorCode::kUnauthenticated);
    CHECK(!w.service->Authenticate(session->token).ok());
    CHECK(w.service->Login("ana@a.example.co", "Restablecida-2026", false, "a")
              .ok());

    REQUIRE(
        w.service->RequestPasswordReset("beto@b.example.co", "1.1.1.2").ok());
    std::string late = ResetTokenFor(w.dir, "beto@b.example.co");
    w.clock.Advance(61 * 60 * 1000);
    CHECK(w.service->ConfirmPasswordReset(late, "Restablecida-2026").code() ==
          ErrorCode::kUnauthenticated);
    CHECK(
        w.service->ConfirmPasswordReset("forged", "Restablecida-2026").code() ==
        ErrorCode::kUnauthenticated);
  }

  TEST_CASE("reset tokens are logged only with log_demo_secrets") {
    FakeClock clock;
    std::string dir = FreshDir("log");
    SeedPeople(dir);
    std::vector<std::string> lines;
    auto o = Options(dir, &clock);
    o.log = [&lines](const std::string& l) { lines.push_back(l); };
    {
      auto s = OpenService(o);
      REQUIRE(s->RequestPasswordReset("ana@a.example.co", "1").ok());
    }
    for (const auto& l : lines) {
      CHECK(l.find(ResetTokenFor(dir, "ana@a.example.co")) ==
            std::string::npos);
    }
    o.log_demo_secrets = true;
    auto s = OpenService(o);
    REQUIRE(s->RequestPasswordReset("beto@b.example.co", "1").ok());
    std::string token = ResetTokenFor(dir, "beto@b.example.co");
    bool logged = false;
    for (const auto& l : lines)
      logged = logged || l.find(token) != std::string::npos;
    CHECK(logged);
  }

  // Authenticate keeps sessions in memory (token hash → session); these
  // warm that cache first, then change what it holds.
  TEST_CASE("a cached session ends at logout, password change and expiry") {
    World w;
    auto t1 = w.service->Login("ana@a.example.co", kPassword, false, "a");
    auto t2 = w.service->Login("ana@a.example.co", kPassword, false, "a");
    REQUIRE(t1.ok());
    REQUIRE(t2.ok());
    auto s1 = w.service->Authenticate(t1->token);
    REQUIRE(s1.ok());
    REQUIRE(w.service->Authenticate(t2->token).ok());
    REQUIRE(w.service->ChangePassword(*s1, kPassword, "Otra-Clave-Segura-2027")
                .ok());
    CHECK(w.service->Authenticate(t2->token).status().code() ==
          ErrorCode::kUnauthenticated);
    REQUIRE(w.service->Authenticate(t1->token).ok());
    REQUIRE(w.service->Logout(t1->token).ok());
    CHECK(w.service->Authenticate(t1->token).status().code() ==
          ErrorCode::kUnauthenticated);

    std::string t3 = CachedToken(w, "beto@b.example.co");
    w.clock.Advance(12 * kHour);
    CHECK(w.service->Authenticate(t3).status().code() ==
          ErrorCode::kUnauthenticated);
  }

  TEST_CASE("a cached session sees its user disabled or its role changed") {
    World w;
    std::string token = CachedToken(w, "andres@a.example.co");
    auto change = [&](auto edit) {
      auto tx = w.service->store().BeginWrite();
      REQUIRE(tx.ok());
      auto u = (*tx)->FindUserByEmail("andres@a.example.co");
      REQUIRE(u.ok());
      REQUIRE(u->has_value());
      edit(**u);
      REQUIRE((*tx)->PutUser(**u).ok());
      REQUIRE((*tx)->Commit().ok());
    };
    change([](UserRecord& u) { u.user.role = Role::kCustomerAdmin; });
    auto after = w.service->Authenticate(token);
    REQUIRE(after.ok());
    CHECK(after->actor.role == Role::kCustomerAdmin);
    change([](UserRecord& u) { u.user.status = UserStatus::kDisabled; });
    CHECK(w.service->Authenticate(token).status().code() ==
          ErrorCode::kUnauthenticated);
  }

  TEST_CASE("another process's revocation is seen within ten seconds") {
    World w;
    std::string token = CachedToken(w, "ana@a.example.co");
    // A second store on the same file, as casesync-server admin opens.
    auto other = OpenSqliteStore({w.dir + "/casesync.db", "FULL"});
    REQUIRE(other.ok());
    {
      auto tx = (*other)->BeginWrite();
      REQUIRE(tx.ok());
      REQUIRE((*tx)->RevokeUserSessions("u-ana", "").ok());
      REQUIRE((*tx)->Commit().ok());
    }
    w.clock.Advance(10'000);
    CHECK(w.service->Authenticate(token).status().code() ==
          ErrorCode::kUnauthenticated);
  }
}

}  // namespace
}  // namespace casesync::server::testing
