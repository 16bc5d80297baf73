#include "casesync/mutation.h"

#include <doctest/doctest.h>

#include "fixtures.h"

namespace casesync {
namespace {

using testing::CaseArgs;
using testing::kAdmin;
using testing::kAgent;
using testing::kAlba;
using testing::kAna;
using testing::kAndres;
using testing::kBeto;
using testing::kBrenda;
using testing::MemoryStore;
using testing::Mut;

// A store holding one case filed by Ana (account A) in `state`.
MemoryStore StoreWithCase(CaseState state = CaseState::kNew) {
  MemoryStore store;
  REQUIRE(store.Apply(kAna, Mut(1, "createCase", CaseArgs("case-1"))).ok());
  store.cases["case-1"].state = state;
  return store;
}

TEST_SUITE("mutation") {
  TEST_CASE("createCase files a new case numbered by the authority") {
    MemoryStore store;
    Status st = store.Apply(kAna, Mut(1, "createCase", CaseArgs("case-1")));
    REQUIRE(st.ok());
    const Case& c = store.cases.at("case-1");
    CHECK(c.number == "CS0053363");
    CHECK(c.account_id == "acc-a");
    CHECK(c.contact_id == "u-ana");
    CHECK(c.state == CaseState::kNew);
    CHECK(c.priority == kPriorityModerate);
    CHECK(c.channel == Channel::kWeb);
    CHECK(c.created_at == "2026-11-29T12:00:00.000Z");
    CHECK(c.subject == "El token quedó bloqueado");
  }

  TEST_CASE("createCase by an agent is on the agent channel") {
    MemoryStore store;
    Json args = CaseArgs("case-1");
    args["contactId"] = "u-beto";
    REQUIRE(store.Apply(kAgent, Mut(1, "createCase", args)).ok());
    CHECK(store.cases.at("case-1").channel == Channel::kAgent);
    CHECK(store.cases.at("case-1").account_id == "acc-b");
    CHECK(store.cases.at("case-1").contact_id == "u-beto");
  }

  TEST_CASE("a customer cannot file a case for someone else") {
    MemoryStore store;
    Json args = CaseArgs("case-1");
    args["contactId"] = "u-andres";
    CHECK(store.Apply(kAna, Mut(1, "createCase", args)).code() ==
          ErrorCode::kForbidden);
    CHECK(store.cases.empty());
  }

  TEST_CASE("a customer admin files only for users of the own account") {
    MemoryStore store;
    Json args = CaseArgs("case-1");
    args["contactId"] = "u-andres";
    CHECK(store.Apply(kAlba, Mut(1, "createCase", args)).ok());
    args = CaseArgs("case-2");
    args["contactId"] = "u-beto";
    CHECK(store.Apply(kAlba, Mut(2, "createCase", args)).code() ==
          ErrorCode::kNotFound);
  }

  TEST_CASE("createCase refuses a reused id, bad fields and unknown args") {
    MemoryStore store;
    REQUIRE(store.Apply(kAna, Mut(1, "createCase", CaseArgs("case-1"))).ok());
    CHECK(store.Apply(kAna, Mut(2, "createCase", CaseArgs("case-1"))).code() ==
          ErrorCode::kAlreadyExists);

    Json bad = CaseArgs("case-2");
    bad["subject"] = "   ";
    CHECK(store.Apply(kAna, Mut(3, "createCase", bad)).code() ==
          ErrorCode::kValidationFailed);

    bad = CaseArgs("case-3");
    bad["productId"] = "prd-fe-portal";  // a product of another service
    CHECK(store.Apply(kAna, Mut(4, "createCase", bad)).code() ==
          ErrorCode::kValidationFailed);

    bad = CaseArgs("case-4");
    bad["priority"] = 1;  // customers do not choose the priority
    CHECK(store.Apply(kAna, Mut(5, "createCase", bad)).code() ==
          ErrorCode::kInvalidRequest);

    bad = CaseArgs("case-5");
    bad["subject"] = 42;
    CHECK(store.Apply(kAna, Mut(6, "createCase", bad)).code() ==
          ErrorCode::kInvalidRequest);

    bad = CaseArgs("bad id with spaces");
    CHECK(store.Apply(kAna, Mut(7, "createCase", bad)).code() ==
          ErrorCode::kInvalidRequest);
    CHECK(store.cases.size() == 1);
  }

  TEST_CASE(
      "only e-mail intake on the server may leave hours and phone empty") {
    Json args = CaseArgs("case-1");
    args["contactHours"] = "";
    args["contactPhone"] = "";
    MemoryStore store;
    CHECK(store.Apply(kAna, Mut(1, "createCase", args)).code() ==
          ErrorCode::kValidationFailed);
    MutationEnv env;
    env.actor = kAna;
    env.now = "2026-11-29T12:00:00.000Z";
    env.client_id = "mailgate";
    env.mutation_id = 1;
    env.channel = Channel::kEmail;
    env.authoritative = false;  // a client cannot claim the e-mail channel
    CHECK(ApplyMutation(Mut(1, "createCase", args), env, store).code() ==
          ErrorCode::kValidationFailed);
    env.authoritative = true;
    REQUIRE(ApplyMutation(Mut(1, "createCase", args), env, store).ok());
    CHECK(store.cases.at("case-1").channel == Channel::kEmail);
    args = CaseArgs("case-2");
    args["contactPhone"] = "no es un teléfono";  // still checked when given
    env.mutation_id = 2;
    CHECK(ApplyMutation(Mut(2, "createCase", args), env, store).code() ==
          ErrorCode::kValidationFailed);
  }

  TEST_CASE("a follow-up case must name a parent the customer can see") {
    MemoryStore store = StoreWithCase(CaseState::kClosed);
    Json args = CaseArgs("case-2");
    args["parentId"] = "case-1";
    CHECK(store.Apply(kAna, Mut(2, "createCase", args)).ok());
    CHECK(store.cases.at("case-2").parent_id == "case-1");
    args = CaseArgs("case-3");
    args["parentId"] = "case-1";
    CHECK(store.Apply(kBeto, Mut(3, "createCase", args)).code() ==
          ErrorCode::kNotFound);
  }

  TEST_CASE("another account's case looks exactly like a missing one") {
    MemoryStore store = StoreWithCase();
    Json comment{{"id", "cm-1"}, {"caseId", "case-1"}, {"body", "hola"}};
    Status other = store.Apply(kBeto, Mut(2, "addComment", comment));
    Status missing = store.Apply(
        kBeto, Mut(3, "addComment",
                   Json{{"id", "cm-2"}, {"caseId", "nope"}, {"body", "x"}}));
    CHECK(other.code() == ErrorCode::kNotFound);
    CHECK(other.message() == missing.message());
    CHECK(store
              .Apply(kBrenda, Mut(4, "cancelCase",
                                  Json{{"caseId", "case-1"}, {"reason", "no"}}))
              .code() == ErrorCode::kNotFound);
    // Andrés is in the same account but is not the contact.
    CHECK(store.Apply(kAndres, Mut(5, "addComment", comment)).code() ==
          ErrorCode::kNotFound);
    // Alba administers account A and sees it.
    CHECK(store.Apply(kAlba, Mut(6, "addComment", comment)).ok());
    CHECK(store.comments.size() == 1);
  }

  TEST_CASE("a customer comment reopens a case awaiting information") {
    MemoryStore store = StoreWithCase(CaseState::kAwaitingInfo);
    REQUIRE(store
                .Apply(kAna, Mut(2, "addComment",
                                 Json{{"id", "cm-1"},
                                      {"caseId", "case-1"},
                                      {"body", "Adjunto el serial."}}))
                .ok());
    CHECK(store.cases.at("case-1").state == CaseState::kOpen);
    CHECK(store.comments.at("cm-1").author_id == "u-ana");
  }

  TEST_CASE("an agent's internal note leaves the case untouched") {
    MemoryStore store = StoreWithCase(CaseState::kAwaitingInfo);
    const Case before = store.cases.at("case-1");
    Json note{{"id", "cm-1"},
              {"caseId", "case-1"},
              {"body", "Revisar con proveedor"},
              {"visibility", "internal"}};
    CHECK(store.Apply(kAna, Mut(2, "addComment", note)).code() ==
          ErrorCode::kForbidden);
    REQUIRE(store.Apply(kAgent, Mut(3, "addComment", note)).ok());
    CHECK(store.cases.at("case-1") == before);  // not even updated_at
    CHECK(store.comments.at("cm-1").visibility == Visibility::kInternal);
  }

  TEST_CASE("a comment on a closed or canceled case is refused") {
    for (CaseState s : {CaseState::kClosed, CaseState::kCanceled}) {
      MemoryStore store = StoreWithCase(s);
      Json comment{{"id", "cm-1"}, {"caseId", "case-1"}, {"body", "¿Y?"}};
      CHECK(store.Apply(kAna, Mut(2, "addComment", comment)).code() ==
            ErrorCode::kCaseTerminal);
      CHECK(store.comments.empty());
    }
  }

  TEST_CASE("a reused comment id is refused") {
    MemoryStore store = StoreWithCase();
    Json comment{{"id", "cm-1"}, {"caseId", "case-1"}, {"body", "uno"}};
    REQUIRE(store.Apply(kAna, Mut(2, "addComment", comment)).ok());
    CHECK(store.Apply(kAna, Mut(3, "addComment", comment)).code() ==
          ErrorCode::kAlreadyExists);
  }

  TEST_CASE("the agent's path: accept, request info, resolve") {
    MemoryStore store = StoreWithCase();
    REQUIRE(
        store.Apply(kAgent, Mut(2, "acceptCase", Json{{"caseId", "case-1"}}))
            .ok());
    CHECK(store.cases.at("case-1").state == CaseState::kOpen);
    REQUIRE(store
                .Apply(kAgent, Mut(3, "requestInfo",
                                   Json{{"caseId", "case-1"},
                                        {"comment", "¿Qué serial tiene?"}}))
                .ok());
    CHECK(store.cases.at("case-1").state == CaseState::kAwaitingInfo);
    CHECK(store.comments.at(DerivedCommentId("c1", 3)).body ==
          "¿Qué serial tiene?");
    REQUIRE(store
                .Apply(kAgent, Mut(4, "resolveCase",
                                   Json{{"caseId", "case-1"},
                                        {"resolutionCode", "Desbloqueo"},
                                        {"notes", "PIN restablecido"}}))
                .ok());
    const Case& c = store.cases.at("case-1");
    CHECK(c.state == CaseState::kResolved);
    CHECK(c.resolution_code == "Desbloqueo");
    CHECK(c.resolution_notes == "PIN restablecido");
  }

  TEST_CASE("the customer accepts or rejects a solution") {
    MemoryStore store = StoreWithCase(CaseState::kResolved);
    REQUIRE(store
                .Apply(kAna, Mut(2, "rejectSolution",
                                 Json{{"caseId", "case-1"},
                                      {"comment", "Sigue bloqueado"}}))
                .ok());
    CHECK(store.cases.at("case-1").state == CaseState::kOpen);
    store.cases["case-1"].state = CaseState::kResolved;
    REQUIRE(
        store.Apply(kAna, Mut(3, "acceptSolution", Json{{"caseId", "case-1"}}))
            .ok());
    CHECK(store.cases.at("case-1").state == CaseState::kClosed);
  }

  TEST_CASE("transitions that need text refuse an empty one") {
    MemoryStore store = StoreWithCase(CaseState::kOpen);
    CHECK(store
              .Apply(kAgent, Mut(2, "requestInfo",
                                 Json{{"caseId", "case-1"}, {"comment", " "}}))
              .code() == ErrorCode::kValidationFailed);
    CHECK(store
              .Apply(kAgent, Mut(3, "resolveCase",
                                 Json{{"caseId", "case-1"},
                                      {"resolutionCode", "x"},
                                      {"notes", ""}}))
              .code() == ErrorCode::kValidationFailed);
    CHECK(store.Apply(kAna, Mut(4, "cancelCase", Json{{"caseId", "case-1"}}))
              .code() == ErrorCode::kInvalidRequest);
    CHECK(store.cases.at("case-1").state == CaseState::kOpen);
  }

  TEST_CASE("a customer cannot take agent transitions") {
    MemoryStore store = StoreWithCase(CaseState::kOpen);
    CHECK(store
              .Apply(kAna, Mut(2, "resolveCase",
                               Json{{"caseId", "case-1"},
                                    {"resolutionCode", "x"},
                                    {"notes", "y"}}))
              .code() == ErrorCode::kForbidden);
    CHECK(store
              .Apply(kAna, Mut(3, "closeCase",
                               Json{{"caseId", "case-1"}, {"notes", "y"}}))
              .code() == ErrorCode::kForbidden);
    CHECK(store
              .Apply(kAna, Mut(4, "setPriority",
                               Json{{"caseId", "case-1"}, {"priority", 1}}))
              .code() == ErrorCode::kForbidden);
    CHECK(store.cases.at("case-1").priority == kPriorityModerate);
  }

  TEST_CASE("an offline cancel that reaches a resolved case is refused") {
    MemoryStore store = StoreWithCase(CaseState::kResolved);
    Status st = store.Apply(
        kAna, Mut(2, "cancelCase",
                  Json{{"caseId", "case-1"}, {"reason", "Ya no lo necesito"}}));
    CHECK(st.code() == ErrorCode::kInvalidTransition);
    CHECK(store.cases.at("case-1").state == CaseState::kResolved);
  }

  TEST_CASE("setPriority takes 1 to 4 from agents") {
    MemoryStore store = StoreWithCase(CaseState::kOpen);
    CHECK(store
              .Apply(kAdmin, Mut(2, "setPriority",
                                 Json{{"caseId", "case-1"}, {"priority", 1}}))
              .ok());
    CHECK(store.cases.at("case-1").priority == 1);
    CHECK(store
              .Apply(kAgent, Mut(3, "setPriority",
                                 Json{{"caseId", "case-1"}, {"priority", 5}}))
              .code() == ErrorCode::kInvalidRequest);
    CHECK(store
              .Apply(kAgent, Mut(4, "setPriority",
                                 Json{{"caseId", "case-1"}, {"priority", "1"}}))
              .code() == ErrorCode::kInvalidRequest);
  }

  TEST_CASE("updateCaseContact writes only the fields sent") {
    MemoryStore store = StoreWithCase(CaseState::kAwaitingInfo);
    REQUIRE(store
                .Apply(kAna, Mut(2, "updateCaseContact",
                                 Json{{"caseId", "case-1"},
                                      {"contactPhone", "601 234 5678"}}))
                .ok());
    const Case& c = store.cases.at("case-1");
    CHECK(c.contact_phone == "601 234 5678");
    CHECK(c.contact_hours == "Lunes a viernes, 8:00 a 17:00");
    CHECK(c.state == CaseState::kOpen);  // a customer update reopens
    CHECK(store
              .Apply(kAna, Mut(3, "updateCaseContact",
                               Json{{"caseId", "case-1"},
                                    {"contactPhone", "llámeme"}}))
              .code() == ErrorCode::kValidationFailed);
    CHECK(store
              .Apply(kAna,
                     Mut(4, "updateCaseContact", Json{{"caseId", "case-1"}}))
              .code() == ErrorCode::kInvalidRequest);
  }

  TEST_CASE("an unknown mutation name is refused") {
    MemoryStore store;
    CHECK(store.Apply(kAna, Mut(1, "dropTable", Json::object())).code() ==
          ErrorCode::kUnknownMutation);
  }

  TEST_CASE("args that are not an object are refused") {
    MemoryStore store = StoreWithCase();
    CHECK(store.Apply(kAgent, Mut(2, "acceptCase", Json::array())).code() ==
          ErrorCode::kInvalidRequest);
    CHECK(store.Apply(kAgent, Mut(3, "acceptCase", Json("case-1"))).code() ==
          ErrorCode::kInvalidRequest);
  }

  TEST_CASE("form errors are reported per field before queueing") {
    Json args = CaseArgs("case-1");
    args["contactPhone"] = "abc";
    args["subject"] = "";
    CatalogIndex catalog(DefaultCatalog());
    auto errors = ValidateCreateCaseArgs(args, catalog);
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].field != errors[1].field);
    CHECK(ValidateCreateCaseArgs(CaseArgs("x"), catalog).empty());
  }
}

// Everything a MemoryStore holds, as comparable text.
std::string Dump(const MemoryStore& store) {
  std::string out;
  for (const auto& [id, c] : store.cases) out += DumpJson(CaseToJson(c)) + "\n";
  for (const auto& [id, c] : store.comments) {
    out += id + " " + c.case_id + " " + c.author_id + " " + c.body + " " +
           VisibilityName(c.visibility) + "\n";
  }
  return out + "writes " + std::to_string(store.writes);
}

TEST_SUITE("mutation args as text") {
  TEST_CASE("deferred args text acts exactly as the args tree") {
    // Each text runs as every mutation, as a customer of the case's account,
    // one of another account and an agent, against the same stored case:
    // the tree (nlohmann's parse of the text), the text itself
    // (MutationRecord::args_text) and the text with the index of its
    // members (args_index, both as the server's decoder leaves them) must
    // give the same status and the same store.
    const std::vector<std::string> texts = {
        R"({"id":"case-2","serviceId":"svc-cert","productId":"prd-cert-token",)"
        R"("issueTypeId":"iss-cert-token-pin","contactHours":"8 a 17",)"
        R"("contactPhone":"3001234567","subject":"Token","description":"PIN"})",
        R"({"id":"case-2","serviceId":"svc-cert","productId":"prd-cert-token",)"
        R"("issueTypeId":"iss-cert-token-pin","contactHours":"8 a 17",)"
        R"("contactPhone":"3001234567","sub\u006aect":"T\u00f3ken \"x\"",)"
        R"("description":"l\u00ednea\nsegunda","contactId":"u-andres"})",
        R"({"id":"case-2","serviceId":"svc-cert","productId":"prd-cert-token",)"
        R"("issueTypeId":"iss-cert-token-pin","contactHours":"8 a 17",)"
        R"("contactPhone":"3001234567","subject":"T","description":"D",)"
        R"("parentId":"case-1","zz":1,"aa":2})",
        R"({"id":7,"subject":null,"description":{"a":[1]},"serviceId":true})",
        R"({"caseId":"case-1","priority":2})",
        R"({"caseId":"case-1","priority":2.0})",
        R"({"caseId":"case-1","priority":1e0})",
        R"({"caseId":"case-1","priority":"2"})",
        R"({"caseId":"case-1","priority":-0})",
        R"({"caseId":"case-1","priority":18446744073709551615})",
        R"({"caseId":"case-1","priority":9223372036854775808})",
        R"({"caseId":"case-1","priority":18446744073709551616})",
        R"({"caseId":"case-1","priority":null})",
        R"({"caseId":"case-1","priority":false})",
        R"({"id":"k-1","caseId":"case-1","body":"Hola","visibility":"internal"})",
        R"({"id":"k-1","caseId":"case-1","body":"Hola"})",
        R"({"id":"k-1","caseId":"case-1","body":5})",
        R"({"caseId":"case-1","reason":"Ya no","notes":"n","comment":"c",)"
        R"("resolutionCode":"fixed","contactPhone":"3001234567"})",
        R"({"caseId":"case-1","contactHours":null,"contactPhone":"3001234567"})",
        R"({"caseId":"case-1"})",
        R"({"caseId":"case-\u0031"})",
        R"({"c\u0061seId":"case-1","reason":"x"})",
        R"({"caseId":["case-1"]})",
        R"({})",
        R"([])",
        R"("text")",
        R"(null)",
    };
    const char* names[] = {"createCase", "updateCaseContact", "addComment",
                           "cancelCase", "acceptSolution",    "rejectSolution",
                           "acceptCase", "requestInfo",       "resolveCase",
                           "closeCase",  "setPriority"};
    int agreed = 0, applied = 0, indexed = 0;
    for (CaseState state :
         {CaseState::kNew, CaseState::kOpen, CaseState::kResolved}) {
      for (const std::string& text : texts) {
        Result<Json> tree = ParseJson(text);
        REQUIRE(tree.ok());
        for (const char* name : names) {
          for (const Actor* actor : {&kAna, &kBeto, &kAgent}) {
            INFO(name, " as ", actor->user_id, " in ", CaseStateName(state),
                 ": ", text);
            MemoryStore by_tree = StoreWithCase(state);
            MemoryStore by_text = StoreWithCase(state);
            Status a = by_tree.Apply(*actor, Mut(2, name, *tree));
            MutationRecord deferred = Mut(2, name, Json());
            deferred.args_text = text;
            Status b = by_text.Apply(*actor, deferred);
            CHECK(b.code() == a.code());
            CHECK(b.message() == a.message());
            CHECK(Dump(by_text) == Dump(by_tree));
            if (tree->is_object()) {
              // The decoder refuses args that are not objects.
              Result<PushRequest> decoded = DecodePushRequest(
                  R"({"clientId":"c1","mutations":[{"id":2,"name":")" +
                      std::string(name) + R"(","args":)" + text +
                      R"(,"clientTime":"2026-11-29T10:00:00.000Z"}]})",
                  ArgsDecoding::kDeferArgs);
              REQUIRE(decoded.ok());
              const MutationRecord& m = decoded->mutations.at(0);
              REQUIRE(m.args_text == text);
              // Keys with escapes are not indexed; the text is scanned.
              bool plain_keys = true;
              for (const auto& item : tree->items()) {
                plain_keys = plain_keys &&
                             text.find('"' + item.key() + "\":") != text.npos;
              }
              CHECK(m.args_index.empty() == (tree->empty() || !plain_keys));
              if (!m.args_index.empty()) ++indexed;
              MemoryStore by_index = StoreWithCase(state);
              Status c = by_index.Apply(*actor, m);
              CHECK(c.code() == a.code());
              CHECK(c.message() == a.message());
              CHECK(Dump(by_index) == Dump(by_tree));
            }
            ++agreed;
            if (a.ok()) ++applied;
          }
        }
      }
    }
    // The texts reach the mutators' writes, not only their refusals.
    CHECK(applied >= 20);
    CHECK(agreed == 3 * static_cast<int>(texts.size()) * 11 * 3);
    CHECK(indexed == 3 * (static_cast<int>(texts.size()) - 6) * 11 * 3);
  }
}

}  // namespace
}  // namespace casesync
