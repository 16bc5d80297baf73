// The CLI end to end: the real casesync binary against the real server.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli_process.h"
#include "harness.h"

namespace casesync::clitest {
namespace {

using itest::ServerProcess;

// Runs and requires exit code `want`, printing the run otherwise.
CliRun Expect(int want, uint16_t port, const std::string& dir,
              const std::vector<std::string>& args,
              const std::string& input = "") {
  CliRun r = RunCli(port, dir, args, input);
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  REQUIRE_MESSAGE(r.code == want, "casesync " << cmd << "→ " << r.code
                                              << "\nstdout: " << r.out
                                              << "\nstderr: " << r.err);
  return r;
}

void Login(uint16_t port, const std::string& dir, const itest::DemoLogin& who) {
  Expect(0, port, dir, {"login", who.email, "--password-stdin"},
         who.password + "\n");
}

const std::vector<std::string> kNewCase = {"new",
                                           "--service",
                                           "Certificado Digital",
                                           "--product",
                                           "prd-cert-token",
                                           "--issue-type",
                                           "iss-cert-token-pin",
                                           "--hours",
                                           "Lunes a viernes 8:00 a 17:00",
                                           "--phone",
                                           "3001234567",
                                           "--subject",
                                           "Token bloqueado desde la CLI",
                                           "--description",
                                           "Ingresé mal el PIN tres veces."};

TEST_SUITE("cli") {
  TEST_CASE("a case filed offline syncs, is resolved by an agent and closed") {
    ServerProcess server;
    REQUIRE_MESSAGE(server.Start(), server.Log());
    std::string customer = itest::MakeTempDir("laura");
    std::string agent = itest::MakeTempDir("sofia");
    Login(server.port(), customer, server.Demo("customer"));
    Login(server.port(), agent, server.Demo("agent"));

    // Offline: the case is queued, shown pending, without a number.
    REQUIRE(server.Stop() == 0);
    uint16_t dead = server.port();
    CliRun created = Expect(0, dead, customer, kNewCase);
    CHECK(created.out.find("pendiente") != std::string::npos);
    Json j = Expect(0, dead, customer, {"--json", "status"}).json();
    CHECK(j["pending"] == 1);
    CHECK(Expect(5, dead, customer, {"sync"}).out.find("Sin conexión") !=
          std::string::npos);
    Json listed = Expect(0, dead, customer, {"--json", "list"}).json();
    std::string case_id;
    for (const auto& c : listed) {
      if (c["subject"] == "Token bloqueado desde la CLI") {
        case_id = c["id"];
        CHECK(c["pending"] == true);
        CHECK(c["number"] == "");
      }
    }
    REQUIRE(!case_id.empty());

    // Online again: sync gives it its CS number.
    REQUIRE_MESSAGE(server.Start(), server.Log());
    uint16_t port = server.port();
    Expect(0, port, customer, {"sync"});
    Json shown = Expect(0, port, customer, {"--json", "show", case_id}).json();
    std::string number = shown["case"]["number"];
    CHECK(ParseCaseNumber(number).has_value());
    CHECK(shown["case"]["pending"] == false);
    CHECK(Expect(0, port, customer, {"--json", "status"}).json()["pending"] ==
          0);

    // The agent takes and resolves it from another data dir.
    Expect(0, port, agent, {"sync"});
    Expect(0, port, agent, {"take", number});
    Expect(0, port, agent, {"priority", number, "2"});
    Expect(0, port, agent,
           {"resolve", number, "pin-reset", "Se desbloqueó el token."});

    // The customer sees Resuelto, accepts: Cerrado.
    Expect(0, port, customer, {"sync"});
    CliRun human = Expect(0, port, customer, {"show", number});
    CHECK(human.out.find("Resuelto") != std::string::npos);
    CHECK(human.out.find("2 - Alta") != std::string::npos);
    CHECK(Expect(0, port, customer, {"accept", number}).out.find("Cerrado") !=
          std::string::npos);
    CHECK(Expect(0, port, customer, {"show", number}).out.find("Cerrado") !=
          std::string::npos);
    CHECK(Expect(0, port, customer, {"list", "--state", "closed"})
              .out.find(number) != std::string::npos);

    // A comment on the closed case is refused; its text becomes a draft.
    CliRun refused = Expect(4, port, customer,
                            {"comment", number, "Sigue fallando el token."});
    CHECK(refused.err.find("borrador") != std::string::npos);
    Json rej = Expect(0, port, customer, {"--json", "rejections"}).json();
    REQUIRE(rej["drafts"].size() == 1);
    CHECK(rej["drafts"][0]["value"]["description"] ==
          "Sigue fallando el token.");
    CHECK(rej["drafts"][0]["value"]["parentId"] == case_id);
    CHECK(Expect(0, port, customer, {"rejections"})
              .out.find("casesync new --from-draft") != std::string::npos);
  }

  TEST_CASE(
      "a comment queued offline on a case the agent closed is rejected "
      "and kept as a follow-up draft") {
    ServerProcess server;
    REQUIRE_MESSAGE(server.Start(), server.Log());
    uint16_t port = server.port();
    std::string customer = itest::MakeTempDir("andres");
    std::string agent = itest::MakeTempDir("sofia");
    Login(port, customer, server.Demo("customer", 1));
    Login(port, agent, server.Demo("agent"));
    Json created = Expect(0, port, customer,
                          [] {
                            auto a = kNewCase;
                            a.insert(a.begin(), "--json");
                            return a;
                          }())
                       .json();
    std::string number = created["number"];
    REQUIRE(ParseCaseNumber(number));
    Expect(0, port, agent, {"sync"});
    Expect(0, port, agent, {"close", number, "Duplicado de otro caso."});

    // The customer has not seen the close: the comment queues locally.
    Json queued = Expect(0, port, customer,
                         {"--json", "--no-sync", "comment", number,
                          "Adjunto más detalles del error."})
                      .json();
    CHECK(queued["pending"] == true);
    CliRun sync = Expect(0, port, customer, {"sync"});
    CHECK(sync.out.find("Sincronizado") != std::string::npos);
    Json rej = Expect(0, port, customer, {"--json", "rejections"}).json();
    REQUIRE(rej["rejections"].size() == 1);
    CHECK(rej["rejections"][0]["code"] == "case_terminal");
    std::string key = rej["rejections"][0]["draft"];
    CHECK(key.rfind("followup:", 0) == 0);
    CHECK(Expect(0, port, customer, {"show", number}).out.find("Cerrado") !=
          std::string::npos);

    // The draft becomes a follow-up case with the same text.
    Json follow =
        Expect(0, port, customer, {"--json", "new", "--from-draft", key})
            .json();
    CHECK(ParseCaseNumber(follow["number"].get<std::string>()));
    Json shown = Expect(0, port, customer,
                        {"--json", "show", follow["number"].get<std::string>()})
                     .json();
    CHECK(shown["case"]["description"] == "Adjunto más detalles del error.");
    CHECK(shown["case"]["parentId"] == created["caseId"]);
  }

  TEST_CASE("signed out, changes keep queueing and sync after a new login") {
    ServerProcess server;
    REQUIRE_MESSAGE(server.Start(), server.Log());
    uint16_t port = server.port();
    std::string dir = itest::MakeTempDir("laura");
    Login(port, dir, server.Demo("customer"));
    Expect(0, port, dir, {"logout"});
    Expect(0, port, dir, kNewCase);  // queued: "pendiente"
    CliRun sync = Expect(3, port, dir, {"sync"});
    CHECK(sync.out.find("casesync login") != std::string::npos);
    CHECK(Expect(0, port, dir, {"--json", "status"}).json()["pending"] == 1);
    Login(port, dir, server.Demo("customer"));  // the login syncs
    CHECK(Expect(0, port, dir, {"--json", "status"}).json()["pending"] == 0);
    // A data dir that never signed in does not even try.
    CliRun bad = Expect(3, port, itest::MakeTempDir("nobody"), {"sync"});
    CHECK(bad.out.find("casesync login") != std::string::npos);
  }

  TEST_CASE("usage errors and unknown cases give distinct exit codes") {
    std::string dir = itest::MakeTempDir("empty");
    CHECK(RunCli(1, dir, {"frobnicate"}).code == 2);
    CHECK(RunCli(1, dir, {"priority", "CS0000001", "9"}).code == 2);
    CHECK(RunCli(1, dir, {"show", "CS0000001"}).code == 4);
    CHECK(RunCli(1, dir, {"comment", "CS0000001", "x"}).code == 3);
    CliRun help = RunCli(1, dir, {"--help"});
    CHECK(help.code == 0);
    CHECK(help.out.find("login") != std::string::npos);
  }
}

}  // namespace
}  // namespace casesync::clitest
