// The operator commands (admin.h) and the password helpers (passwords.h).
#include "admin.h"

#include <sstream>

#include "server_fixtures.h"

namespace casesync::server::testing {
namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run Admin(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = RunAdmin(args, out, err);
  return {code, out.str(), err.str()};
}

TEST_SUITE("admin") {
  TEST_CASE("accounts and users are added and listed") {
    std::string dir = FreshDir("admin");
    Run a = Admin({"--data", dir, "add-account", "--name",
                   "TRANSPORTES CALICONFORT S.A.S.", "--domain",
                   "Caliconfort.com.co", "--domain", "calic.co"});
    CHECK(a.code == kExitOk);
    CHECK(a.out.find("added") != std::string::npos);
    Run u = Admin({"--data", dir, "add-user", "--account",
                   "transportes caliconfort s.a.s.", "--email",
                   "Laura@Caliconfort.com.co", "--name", "Laura Gómez",
                   "--role", "customer_admin", "--password", "Clave-Inicial-1",
                   "--temporary"});
    CHECK_MESSAGE(u.code == kExitOk, u.err);
    Run l = Admin({"--data", dir, "list-users"});
    CHECK(l.code == kExitOk);
    CHECK(l.out.find("laura@caliconfort.com.co\tLaura Gómez\tcustomer_admin\t"
                     "active\tTRANSPORTES CALICONFORT S.A.S.\tyes") !=
          std::string::npos);
    CHECK(l.out.find("Clave-Inicial-1") == std::string::npos);
    CHECK(u.out.find("Clave-Inicial-1") == std::string::npos);

    // The server sees them: the user logs in with a forced change, and the
    // domain is trusted for registration.
    FakeClock clock;
    auto s = OpenService(Options(dir, &clock));
    auto login =
        s->Login("laura@caliconfort.com.co", "Clave-Inicial-1", false, "x");
    REQUIRE(login.ok());
    CHECK(login->session.must_change_password);
    auto reg =
        s->Register({"pedro@calic.co", "Pedro", "", "Registro-Seguro-9"}, "x");
    REQUIRE(reg.ok());
    CHECK(reg->user.status == UserStatus::kActive);
  }

  TEST_CASE("bad commands fail with clear errors and exit codes") {
    std::string dir = FreshDir("admin-bad");
    CHECK(Admin({}).code == kExitUsage);
    CHECK(Admin({"list-users"}).code == kExitUsage);  // no --data
    CHECK(Admin({"--data", dir, "frobnicate"}).code == kExitUsage);
    CHECK(Admin({"--data", dir, "add-account"}).code == kExitUsage);
    CHECK(Admin({"--data", dir, "add-user", "--email", "x@y.co"}).code ==
          kExitUsage);
    CHECK(Admin({"--data"}).code == kExitUsage);
    REQUIRE(Admin({"--data", dir, "add-account", "--name", "Uno"}).code ==
            kExitOk);
    Run dup = Admin({"--data", dir, "add-account", "--name", "UNO"});
    CHECK(dup.code == kExitDataErr);
    Run no_account = Admin({"--data", dir, "add-user", "--account", "Dos",
                            "--email", "a@uno.co", "--name", "A", "--role",
                            "customer", "--password", "Clave-Segura-77"});
    CHECK(no_account.code == kExitDataErr);
    CHECK(no_account.err.find("Dos") != std::string::npos);
    Run weak = Admin({"--data", dir, "add-user", "--account", "Uno", "--email",
                      "a@uno.co", "--name", "A", "--role", "customer",
                      "--password", "1234567890"});
    CHECK(weak.code == kExitDataErr);
    Run role = Admin({"--data", dir, "add-user", "--account", "Uno", "--email",
                      "a@uno.co", "--name", "A", "--role", "boss", "--password",
                      "Clave-Segura-77"});
    CHECK(role.code == kExitUsage);
    Run domain = Admin(
        {"--data", dir, "add-account", "--name", "Tres", "--domain", "a@b"});
    CHECK(domain.code == kExitDataErr);
  }
}

TEST_SUITE("passwords") {
  TEST_CASE("hashes verify, tokens are 128-bit hex") {
    auto h = HashPassword("Una-Clave-Larga", HashCost::kMinimum);
    REQUIRE(h.ok());
    CHECK(VerifyPassword(*h, "Una-Clave-Larga"));
    CHECK(!VerifyPassword(*h, "una-clave-larga"));
    CHECK(!VerifyPassword("garbage", "x"));
    CHECK(!VerifyPassword("", ""));
    CHECK(!NeedsRehash(*h, HashCost::kMinimum));
    CHECK(NeedsRehash(*h, HashCost::kInteractive));
    std::string t = RandomToken();
    CHECK(t.size() == 32);
    CHECK(t.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(RandomToken() != t);
    CHECK(TokenHash(t).size() == 64);
    CHECK(TokenHash(t) == TokenHash(t));
  }

  TEST_CASE("the password policy refuses short and common passwords") {
    CHECK(CheckPasswordStrength("corta").code() == ErrorCode::kWeakPassword);
    CHECK(CheckPasswordStrength("123456789").code() ==
          ErrorCode::kWeakPassword);
    CHECK(CheckPasswordStrength("QWERTYUIOP").code() ==
          ErrorCode::kWeakPassword);
    CHECK(
        CheckPasswordStrength("ana@a.example.co", "ana@a.example.co").code() ==
        ErrorCode::kWeakPassword);
    CHECK(CheckPasswordStrength("ñandú-ñandú").ok());  // 11 code points
    CHECK(CheckPasswordStrength("ñandúñand").code() ==
          ErrorCode::kWeakPassword);  // 9 code points, 11 bytes
    CHECK(CheckPasswordStrength("Correcto-Caballo-Bateria").ok());
  }
}

}  // namespace
}  // namespace casesync::server::testing
