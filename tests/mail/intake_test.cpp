// The intake rules of DESIGN §6 beyond the corpus: threading against closed
// cases, the answer rate limit, notifications from pushes, auto-close.
#include "mail/intake.h"

#include <doctest/doctest.h>

#include <string>

#include "casesync/lifecycle.h"
#include "mail/mail_message.h"
#include "mail/notifications.h"
#include "mail_fixtures.h"

namespace casesync::server::testing {
namespace {

constexpr int64_t kDay = 86'400'000;

std::string Message(const std::string& from, const std::string& subject,
                    const std::string& body, const std::string& id,
                    const std::string& extra_headers = "") {
  return "From: " + from +
         "\nTo: soporte@mesa.example.co\nSubject: " + subject +
         "\nMessage-ID: <" + id + ">\n" + extra_headers +
         "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" +
         body + "\n";
}

void PushOk(Service& s, const Session& who, const std::string& client,
            int64_t id, const std::string& name, Json args) {
  auto r = PushAs(s, who, client, {Mut(id, name, std::move(args))});
  REQUIRE(r.ok());
  REQUIRE(r->last_mutation_id == id);
}

TEST_SUITE("mail intake") {
  TEST_CASE("a reply to a closed case opens a follow-up with the same text") {
    MailWorld w;
    Session agent = LoginAs(*w.service, "agente@desk.example.co");
    PushOk(*w.service, agent, "ag-1", 1, "closeCase",
           Json{{"caseId", kCaseId}, {"notes", "Resuelto por teléfono."}});
    auto o = w.Receive(Message("ana@a.example.co",
                               "Re: [CS0000001] No puedo ingresar al portal",
                               "Volvió a fallar hoy.", "closed-1@a.example.co",
                               "In-Reply-To: <n-0001@mesa.example.co>\n"));
    CHECK(o.outcome == "followup_created");
    CHECK(o.case_number == "CS0000002");
    auto c = w.GetCaseByNumber("CS0000002");
    REQUIRE(c);
    CHECK(c->parent_id == kCaseId);
    CHECK(c->description == "Volvió a fallar hoy.");
    CHECK(w.Query("SELECT kind FROM notifications WHERE case_id='" + c->id +
                  "'") == "case_received");
  }

  TEST_CASE("a case token threads only for people who may see the case") {
    MailWorld w;
    // Beto (account B) cannot add to Ana's case: his mail is a new case.
    auto beto = w.Receive(Message("beto@b.example.co",
                                  "RE: [CS0000001] No puedo ingresar",
                                  "Yo también.", "beto-1@b.example.co"));
    CHECK(beto.outcome == "case_created");
    CHECK(beto.case_number == "CS0000002");
    // Alba, customer admin of account A, may.
    auto alba = w.Receive(Message("alba@a.example.co",
                                  "RE: [CS0000001] No puedo ingresar",
                                  "Lo reviso con Ana.", "alba-1@a.example.co"));
    CHECK(alba.outcome == "comment_added");
    CHECK(alba.case_number == "CS0000001");
    // Alba's comment and the agent's e-mail answer are public comments,
    // both mailed to Ana.
    auto agent = w.Receive(
        Message("agente@desk.example.co", "RE: [CS0000001] No puedo ingresar",
                "Ana, ya restablecimos su acceso.", "agent-1@desk.example.co"));
    CHECK(agent.outcome == "comment_added");
    CHECK(w.Count("SELECT count(*) FROM notifications WHERE kind='comment' "
                  "AND to_addr='ana@a.example.co'") == 2);
  }

  TEST_CASE("a forward opens a new case even with a token") {
    MailWorld w;
    auto o = w.Receive(Message("ana@a.example.co",
                               "RV: [CS0000001] No puedo ingresar",
                               "Reenvío para otro tema.", "fw-1@a.example.co",
                               "In-Reply-To: <n-0001@mesa.example.co>\n"));
    CHECK(o.outcome == "case_created");
    CHECK(o.case_number == "CS0000002");
  }

  TEST_CASE("a flood from one address gets a bounded number of answers") {
    MailWorld w;
    int answered = 0;
    for (int i = 0; i < 20; ++i) {
      auto o =
          w.Receive(Message("andres@a.example.co", "Caso " + std::to_string(i),
                            "texto", "flood-" + std::to_string(i) + "@x.co"));
      CHECK(o.outcome == "case_created");  // nothing is lost
      answered += o.answered ? 1 : 0;
    }
    CHECK(answered == 5);
    // An hour later the sender is answered again.
    w.clock.Advance(3'600'001);
    CHECK(w.Receive(Message("andres@a.example.co", "Otro", "texto",
                            "flood-late@x.co"))
              .answered);
  }

  TEST_CASE("auto-replies and lists from unknown senders create nobody") {
    MailWorld w;
    for (const char* headers :
         {"Auto-Submitted: auto-generated\n", "Precedence: bulk\n",
          "Precedence: junk\n", "X-Autoreply: yes\n", "X-Autorespond: 1\n",
          "Return-Path: <>\n", "List-Unsubscribe: <mailto:u@l.co>\n"}) {
      CAPTURE(headers);
      auto o = w.Receive(Message("robot@desconocido.example", "Hola", "x",
                                 std::string("robot-") + headers + "@d.co",
                                 headers));
      CHECK(o.outcome.rfind("ignored_", 0) == 0);
      CHECK(!o.answered);
    }
    CHECK(w.Count("SELECT count(*) FROM users WHERE email LIKE "
                  "'%desconocido%'") == 0);
    // "Auto-Submitted: no" is a person.
    auto person = w.Receive(Message("persona@desconocido.example", "Hola", "x",
                                    "person-1@d.co", "Auto-Submitted: no\n"));
    CHECK(person.outcome == "case_created");
    CHECK(person.user_created);
  }

  TEST_CASE("pushes queue mail to the contact; internal notes never") {
    MailWorld w;
    Session agent = LoginAs(*w.service, "agente@desk.example.co");
    PushOk(*w.service, agent, "ag-1", 1, "addComment",
           Json{{"id", "cm-1"},
                {"caseId", kCaseId},
                {"body", "Nota interna"},
                {"visibility", "internal"}});
    PushOk(*w.service, agent, "ag-1", 2, "acceptCase",
           Json{{"caseId", kCaseId}});
    PushOk(*w.service, agent, "ag-1", 3, "addComment",
           Json{{"id", "cm-2"},
                {"caseId", kCaseId},
                {"body", "Pruebe <b>ahora</b> & avísenos."}});
    PushOk(*w.service, agent, "ag-1", 4, "resolveCase",
           Json{{"caseId", kCaseId},
                {"resolutionCode", "solved"},
                {"notes", "Se restableció la clave."}});
    CHECK(w.Count("SELECT count(*) FROM notifications WHERE body LIKE "
                  "'%Nota interna%'") == 0);
    CHECK(w.Count("SELECT count(*) FROM notifications WHERE "
                  "kind='state_changed' AND case_id='" +
                  std::string(kCaseId) + "'") == 3);  // seeded + 2
    CHECK(w.Count("SELECT count(*) FROM notifications WHERE kind='comment'") ==
          1);
    // Ana's own comment queues nothing.
    Session ana = LoginAs(*w.service, "ana@a.example.co");
    PushOk(*w.service, ana, "ana-1", 2, "addComment",
           Json{{"id", "cm-3"}, {"caseId", kCaseId}, {"body", "Gracias"}});
    CHECK(w.Count("SELECT count(*) FROM notifications") == 4);

    // Sent: text and HTML, escaped, with our headers and the token.
    auto report = w.mail->SendDue();
    REQUIRE(report.ok());
    CHECK(report->sent == 3);  // the seeded one was sent before
    std::vector<std::string> sent = w.Outbox();
    REQUIRE(sent.size() == 3);
    std::string comment;
    for (const auto& m : sent) {
      if (m.find("X-Casesync: comment") != std::string::npos) comment = m;
    }
    REQUIRE(!comment.empty());
    mail::ParsedMessage p = mail::ParseMessage(comment);
    CHECK(p.subject == "[CS0000001] No puedo ingresar al portal");
    CHECK(p.auto_submitted == "auto-replied");
    CHECK(p.message_id.find("@mesa.example.co") != std::string::npos);
    CHECK(p.text.find("Pruebe <b>ahora</b> & avísenos.") != std::string::npos);
    CHECK(comment.find("multipart/alternative") != std::string::npos);
    CHECK(comment.find("&lt;b&gt;ahora&lt;/b&gt; &amp;") != std::string::npos);
    CHECK(comment.find("English") != std::string::npos);
    // Our own mail fed back in is ignored.
    CHECK(w.Receive(comment).outcome == "ignored_own");
    // A reply to it threads by its Message-ID.
    auto reply = w.Receive(Message("ana@a.example.co", "Re: otra cosa",
                                   "Funcionó.", "reply-2@a.example.co",
                                   "In-Reply-To: <" + p.message_id + ">\n"));
    CHECK(reply.outcome == "comment_added");
    CHECK(reply.case_number == "CS0000001");
  }

  TEST_CASE("a case filed for a customer mails them, with args kept as text") {
    // As the HTTP push decodes them: args deferred as text with the index
    // of their members, which tells whether a contactId is named.
    MailWorld w;
    Session agent = LoginAs(*w.service, "agente@desk.example.co");
    Session ana = LoginAs(*w.service, "ana@a.example.co");
    auto push = [&](const Session& who, const std::string& client,
                    const std::string& args) {
      std::string text = R"({"clientId":")" + client +
                         R"(","mutations":[{"id":1,"name":"createCase",)"
                         R"("clientTime":"2026-11-29T10:00:00.000Z","args":)" +
                         args + "}]}";
      auto request = DecodePushRequest(text, ArgsDecoding::kDeferArgs);
      REQUIRE(request.ok());
      REQUIRE(request->mutations.size() == 1);
      REQUIRE(!request->mutations[0].args_text.empty());
      auto r = w.service->Push(who, *request);
      REQUIRE(r.ok());
      REQUIRE(r->last_mutation_id == 1);
      return request->mutations[0].args_index.empty();
    };
    auto received = [&w] {
      return w.Count(
          "SELECT count(*) FROM notifications WHERE kind='case_received'");
    };
    // CaseArgs(id) with `extra` members appended to its text.
    auto args = [](const std::string& id, const std::string& extra) {
      Json a = CaseArgs(id);
      a["subject"] = "Sin contactId";
      std::string text = DumpJson(a);
      return text.substr(0, text.size() - 1) + extra + "}";
    };
    const int64_t before = received();
    // Filed for Ana by the agent: mailed.
    CHECK(!push(agent, "ag-1", args("for-ana", R"(,"contactId":"u-ana")")));
    CHECK(received() == before + 1);
    // The agent's own case (with "contactId" in a value only), and Ana's
    // for herself: nobody is mailed.
    CHECK(!push(agent, "ag-2", args("own", "")));
    CHECK(!push(ana, "ana-2", args("hers", R"(,"contactId":"u-ana")")));
    CHECK(received() == before + 1);
    CHECK(w.Count("SELECT count(*) FROM cases WHERE id IN "
                  "('for-ana','own','hers')") == 3);
    // A key spelled with an escape has no index: the text is read.
    CHECK(push(agent, "ag-3", args("escaped", R"(,"contact\u0049d":"u-ana")")));
    CHECK(received() == before + 2);
  }

  TEST_CASE("a resolved case gets a reminder at N/2 days and closes at N") {
    MailWorld w;
    Session agent = LoginAs(*w.service, "agente@desk.example.co");
    PushOk(*w.service, agent, "ag-1", 1, "resolveCase",
           Json{{"caseId", kCaseId},
                {"resolutionCode", "solved"},
                {"notes", "Listo."}});
    auto head0 = w.service->store().Head();
    REQUIRE(head0.ok());
    w.clock.Advance(3 * kDay);
    CHECK(*w.mail->RunAutoClose() == 0);
    CHECK(w.Count("SELECT count(*) FROM notifications WHERE "
                  "kind='auto_close_reminder'") == 0);
    w.clock.Advance(kDay / 2 + 1);  // 3.5 days of 7
    CHECK(*w.mail->RunAutoClose() == 0);
    CHECK(*w.mail->RunAutoClose() == 0);  // once only
    CHECK(w.Count("SELECT count(*) FROM notifications WHERE "
                  "kind='auto_close_reminder'") == 1);
    w.clock.Advance(4 * kDay);
    CHECK(*w.mail->RunAutoClose() == 1);
    auto c = w.GetCase(kCaseId);
    REQUIRE(c);
    CHECK(c->state == CaseState::kClosed);
    CHECK(*w.service->store().Head() > *head0);  // a sequenced write
    CHECK(w.Count("SELECT count(*) FROM notifications WHERE "
                  "kind='auto_closed'") == 1);
    // Ana's pull sees it closed.
    Session ana = LoginAs(*w.service, "ana@a.example.co");
    Pulled p = PullFresh(*w.service, ana, "ana-9");
    CHECK(p.tables["cases"][kCaseId]["state"] == "closed");
  }

  TEST_CASE("activity on a resolved case restarts its clock") {
    MailWorld w;
    Session agent = LoginAs(*w.service, "agente@desk.example.co");
    PushOk(*w.service, agent, "ag-1", 1, "resolveCase",
           Json{{"caseId", kCaseId},
                {"resolutionCode", "solved"},
                {"notes", "Listo."}});
    w.clock.Advance(6 * kDay);
    Session ana = LoginAs(*w.service, "ana@a.example.co");
    PushOk(*w.service, ana, "ana-1", 2, "addComment",
           Json{{"id", "cm-9"}, {"caseId", kCaseId}, {"body", "Un momento"}});
    w.clock.Advance(2 * kDay);
    CHECK(*w.mail->RunAutoClose() == 0);
    CHECK(w.GetCase(kCaseId)->state == CaseState::kResolved);
  }
}

TEST_SUITE("mail passwords") {
  TEST_CASE("temporary passwords are 14 characters without look-alikes") {
    std::string p = mail::TemporaryPassword();
    CHECK(p.size() == 14);
    CHECK(p[4] == '-');
    CHECK(p.find_first_of("0O1lI") == std::string::npos);
    CHECK(CheckPasswordStrength(p).ok());
  }
}

}  // namespace
}  // namespace casesync::server::testing
