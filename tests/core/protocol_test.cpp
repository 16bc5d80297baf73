#include "casesync/protocol.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "casesync/domain.h"
#include "casesync/status.h"

namespace casesync {
namespace {

constexpr const char* kTime = "2026-11-29T11:09:01.123Z";

// `n` nested arrays: "[[…]]".
std::string Nest(size_t n) { return std::string(n, '[') + std::string(n, ']'); }

// A push body whose first mutation carries `args` (raw JSON text).
std::string PushWithArgs(std::string_view args) {
  return R"({"clientId":"c1","mutations":[{"id":1,"name":"addComment",)"
         R"("args":)" +
         std::string(args) + R"(,"clientTime":")" + kTime + R"("}]})";
}

// A push body with `mutations` (raw JSON text) as its array.
std::string PushWithMutations(std::string_view mutations) {
  return R"({"clientId":"c1","mutations":)" + std::string(mutations) + "}";
}

// One mutation object with the given raw id text.
std::string MutationWithId(std::string_view id) {
  return R"({"id":)" + std::string(id) +
         R"(,"name":"acceptCase","args":{"caseId":"k"},"clientTime":")" +
         kTime + R"("})";
}

std::string Mutations(size_t count) {
  std::string out = "[";
  for (size_t i = 1; i <= count; ++i) {
    if (i > 1) out += ",";
    out += MutationWithId(std::to_string(i));
  }
  return out + "]";
}

Status PushStatus(std::string_view text) {
  return DecodePushRequest(text).status();
}

Status PullStatus(std::string_view text) {
  return DecodePullRequest(text).status();
}

MutationRecord SampleMutation(int64_t id, const char* name, Json args) {
  MutationRecord m;
  m.id = id;
  m.name = name;
  m.args = std::move(args);
  m.client_time = kTime;
  return m;
}

Case SampleCase() {
  Case c;
  c.id = "0b9a6c1e-1f2d-4c43-9a55-3f1c2b8e7d10";
  c.number = "CS0053363";
  c.account_id = "acc-1";
  c.contact_id = "user-1";
  c.service_id = "svc-cert";
  c.product_id = "prd-token";
  c.issue_type_id = "iss-install";
  c.contact_hours = "Lunes a viernes, 8:00 a 17:00";
  c.contact_phone = "+57 300 123 4567";
  c.subject = "No puedo instalar el token";
  c.description =
      "Al conectar el token aparece \"dispositivo desconocido\".\n"
      "Ya reinstalé el controlador. ñ á é 😀";
  c.priority = kPriorityHigh;
  c.state = CaseState::kAwaitingInfo;
  c.channel = Channel::kEmail;
  c.parent_id = "parent-1";
  c.created_at = "2026-11-29T11:09:01.123Z";
  c.updated_at = "2026-11-30T08:00:00.000Z";
  c.resolution_code = "";
  c.resolution_notes = "";
  return c;
}

}  // namespace

TEST_SUITE("protocol") {
  TEST_CASE("a push request survives encode and decode unchanged") {
    PushRequest in;
    in.client_id = "client_A-9";
    in.mutations.push_back(SampleMutation(
        7, "createCase",
        Json{
            {"id", "case-1"},
            {"subject", "Factura rechazada por la DIAN ñ 😀"},
            {"nested", Json{{"list", Json::array({1, 2.5, true, nullptr})}}}}));
    in.mutations.push_back(SampleMutation(
        8, "setPriority", Json{{"caseId", "case-1"}, {"priority", 1}}));
    in.mutations.push_back(SampleMutation(9, "acceptCase", Json::object()));
    Result<PushRequest> out = DecodePushRequest(EncodePushRequest(in));
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    CHECK(out->client_id == in.client_id);
    CHECK(out->mutations == in.mutations);
  }

  TEST_CASE("a push request with no mutations is valid") {
    Result<PushRequest> out =
        DecodePushRequest(R"({"clientId":"c","mutations":[]})");
    REQUIRE(out.ok());
    CHECK(out->mutations.empty());
  }

  TEST_CASE("the push request encoding is the camelCase wire format") {
    PushRequest in;
    in.client_id = "c1";
    in.mutations.push_back(
        SampleMutation(1, "acceptCase", Json{{"caseId", "k1"}}));
    CHECK(EncodePushRequest(in) ==
          R"({"clientId":"c1","mutations":[{"args":{"caseId":"k1"},)"
          R"("clientTime":"2026-11-29T11:09:01.123Z","id":1,)"
          R"("name":"acceptCase"}]})");
  }

  TEST_CASE("a mutation without args is encoded with an empty args object") {
    MutationRecord m = SampleMutation(1, "acceptCase", Json());
    CHECK(MutationToJson(m)["args"] == Json::object());
  }

  TEST_CASE("a push response survives encode and decode unchanged") {
    for (int64_t id : {int64_t{0}, int64_t{42}, INT64_MAX}) {
      Result<PushResponse> out =
          DecodePushResponse(EncodePushResponse(PushResponse{id}));
      REQUIRE(out.ok());
      CHECK(out->last_mutation_id == id);
    }
    CHECK(EncodePushResponse(PushResponse{3}) == R"({"lastMutationId":3})");
  }

  TEST_CASE(
      "a pull request survives encode and decode with and without cursor") {
    PullRequest initial{"c1", std::nullopt};
    CHECK(EncodePullRequest(initial) == R"({"clientId":"c1","cursor":null})");
    Result<PullRequest> a = DecodePullRequest(EncodePullRequest(initial));
    REQUIRE(a.ok());
    CHECK(a->client_id == "c1");
    CHECK_FALSE(a->cursor.has_value());

    PullRequest later{"c1", std::string(kMaxCursorLength, 'z')};
    Result<PullRequest> b = DecodePullRequest(EncodePullRequest(later));
    REQUIRE(b.ok());
    CHECK(b->cursor == later.cursor);
    CHECK_FALSE(b->ahead);

    // Pipelined: "applied" present, a cursor or null.
    PullRequest ahead{"c1", "p2", true, "p1"};
    CHECK(EncodePullRequest(ahead) ==
          R"({"applied":"p1","clientId":"c1","cursor":"p2"})");
    Result<PullRequest> c = DecodePullRequest(EncodePullRequest(ahead));
    REQUIRE(c.ok());
    CHECK(c->ahead);
    CHECK(c->applied == "p1");
    CHECK(c->cursor == "p2");
    Result<PullRequest> d =
        DecodePullRequest(R"({"clientId":"c1","cursor":"p1","applied":null})");
    REQUIRE(d.ok());
    CHECK(d->ahead);
    CHECK_FALSE(d->applied.has_value());
  }

  TEST_CASE("a NUL byte anywhere in a pull response refuses it") {
    PullResponse in;
    in.cursor = "c1";
    std::string text = EncodePullResponse(in);
    REQUIRE(DecodePullResponse(text).ok());
    for (size_t at : {text.size(), text.size() / 2, size_t{0}}) {
      CAPTURE(at);
      std::string bad = text;
      bad.insert(at, 1, '\0');
      Result<PullResponse> typed = DecodePullResponse(bad, PullRows::kTyped);
      Result<PullResponse> dom = DecodePullResponseDom(bad);
      CHECK(typed.status().code() == ErrorCode::kMalformedJson);
      CHECK(dom.status().code() == ErrorCode::kMalformedJson);
      CHECK(typed.status().message() == dom.status().message());
    }
  }

  TEST_CASE("a pull response survives encode and decode unchanged") {
    PullResponse in;
    in.cursor = "seq:1234";
    in.last_mutation_id = 9;
    in.patch.push_back({PatchOpKind::kClear, "", Json()});
    in.patch.push_back({PatchOpKind::kClear, kTableCases, Json()});
    in.patch.push_back(
        {PatchOpKind::kPut, kTableCases, CaseToJson(SampleCase())});
    in.patch.push_back(
        {PatchOpKind::kDel, kTableComments, Json{{"id", "cm-1"}}});
    in.rejections.push_back(
        {8, ErrorCode::kCaseTerminal, "El caso está cerrado.",
         SampleMutation(
             8, "addComment",
             Json{{"id", "cm-2"}, {"caseId", "k"}, {"body", "hola"}})});
    in.more = true;

    Result<PullResponse> out = DecodePullResponse(EncodePullResponse(in));
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    CHECK(out->cursor == in.cursor);
    CHECK(out->last_mutation_id == in.last_mutation_id);
    CHECK(out->more);
    REQUIRE(out->patch.size() == in.patch.size());
    for (size_t i = 0; i < in.patch.size(); ++i) {
      CHECK(out->patch[i].op == in.patch[i].op);
      CHECK(out->patch[i].table == in.patch[i].table);
      CHECK(out->patch[i].row == in.patch[i].row);
    }
    REQUIRE(out->rejections.size() == 1);
    CHECK(out->rejections[0].mutation_id == 8);
    CHECK(out->rejections[0].code == ErrorCode::kCaseTerminal);
    CHECK(out->rejections[0].message == "El caso está cerrado.");
    CHECK(out->rejections[0].mutation == in.rejections[0].mutation);
  }

  TEST_CASE("a pull response clear may omit its table to mean every table") {
    Result<PullResponse> out = DecodePullResponse(
        R"({"cursor":"c","lastMutationId":0,"patch":[{"op":"clear"}],)"
        R"("rejections":[],"more":false})");
    REQUIRE(out.ok());
    REQUIRE(out->patch.size() == 1);
    CHECK(out->patch[0].op == PatchOpKind::kClear);
    CHECK(out->patch[0].table.empty());
  }

  TEST_CASE("a pull response with a malformed patch or rejection is refused") {
    auto decode = [](std::string_view patch, std::string_view rejections) {
      return DecodePullResponse(R"({"cursor":"c","lastMutationId":1,"patch":)" +
                                std::string(patch) + R"(,"rejections":)" +
                                std::string(rejections) + R"(,"more":false})")
          .status();
    };
    const std::string rejected_mutation =
        R"({"id":1,"name":"acceptCase","args":{},"clientTime":")" +
        std::string(kTime) + R"("})";
    struct Row {
      const char* what;
      std::string patch;
      std::string rejections;
    };
    const std::vector<Row> rows = {
        {"op not in put/del/clear",
         R"([{"op":"upsert","table":"cases","row":{"id":"a"}}])", "[]"},
        {"op missing", R"([{"table":"cases","row":{"id":"a"}}])", "[]"},
        {"unknown table",
         R"([{"op":"put","table":"tickets","row":{"id":"a"}}])", "[]"},
        {"put without a table", R"([{"op":"put","row":{"id":"a"}}])", "[]"},
        {"put row not an object", R"([{"op":"put","table":"cases","row":[1]}])",
         "[]"},
        {"put row without id",
         R"([{"op":"put","table":"cases","row":{"subject":"x"}}])", "[]"},
        {"del row id a number",
         R"([{"op":"del","table":"cases","row":{"id":5}}])", "[]"},
        {"clear of an unknown table", R"([{"op":"clear","table":"x"}])", "[]"},
        {"clear with a row", R"([{"op":"clear","table":"","row":{"id":"a"}}])",
         "[]"},
        {"unknown patch op field", R"([{"op":"clear","why":"x"}])", "[]"},
        {"rejection code not a string", "[]",
         R"([{"mutationId":1,"code":7,"message":"m","mutation":)" +
             rejected_mutation + "}]"},
        {"rejection without mutation", "[]",
         R"([{"mutationId":1,"code":"forbidden","message":"m"}])"},
        {"rejection id differs from its mutation", "[]",
         R"([{"mutationId":2,"code":"forbidden","message":"m","mutation":)" +
             rejected_mutation + "}]"},
    };
    for (const Row& row : rows) {
      INFO(row.what);
      Status status = decode(row.patch, row.rejections);
      CHECK(status.code() == ErrorCode::kInvalidRequest);
    }
  }

  TEST_CASE(
      "a rejection with an unknown error code reads as internal and keeps its "
      "message") {
    Result<PullResponse> out = DecodePullResponse(
        R"({"cursor":"c","lastMutationId":1,"patch":[],"more":false,)"
        R"("rejections":[{"mutationId":1,"code":"from_the_future",)"
        R"("message":"Mensaje nuevo","mutation":{"id":1,"name":"acceptCase",)"
        R"("args":{},"clientTime":"2026-11-29T11:09:01Z"}}]})");
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    REQUIRE(out->rejections.size() == 1);
    CHECK(out->rejections[0].code == ErrorCode::kInternal);
    CHECK(out->rejections[0].message == "Mensaje nuevo");
  }

  TEST_CASE("a poke response survives encode and decode unchanged") {
    PokeResponse in{true, "seq:77"};
    CHECK(EncodePokeResponse(in) == R"({"changed":true,"cursor":"seq:77"})");
    Result<PokeResponse> out = DecodePokeResponse(EncodePokeResponse(in));
    REQUIRE(out.ok());
    CHECK(out->changed);
    CHECK(out->cursor == "seq:77");
    CHECK(DecodePokeResponse(R"({"changed":1,"cursor":"x"})").status().code() ==
          ErrorCode::kInvalidRequest);
  }

  TEST_CASE("an error body survives encode and decode with its extra fields") {
    Status gap(ErrorCode::kMutationGap, "expected mutation 5");
    std::string body = EncodeError(gap, Json{{"expectedId", 5}});
    CHECK(body == R"({"error":{"code":"mutation_gap","expectedId":5,)"
                  R"("message":"expected mutation 5"}})");
    Status out = DecodeError(body);
    CHECK(out.code() == ErrorCode::kMutationGap);
    CHECK(out.message() == "expected mutation 5");

    for (ErrorCode code : {ErrorCode::kMalformedJson, ErrorCode::kCaseTerminal,
                           ErrorCode::kStorage, ErrorCode::kInternal}) {
      Status round = DecodeError(EncodeError(Status(code, "m ñ")));
      CHECK(round.code() == code);
      CHECK(round.message() == "m ñ");
    }
  }

  TEST_CASE("extra error fields cannot overwrite code or message") {
    Json extra{{"code", "ok"}, {"message", "spoof"}};
    Status out =
        DecodeError(EncodeError(Status(ErrorCode::kForbidden, "no"), extra));
    CHECK(out.code() == ErrorCode::kForbidden);
    CHECK(out.message() == "no");
  }

  TEST_CASE("a body that is not an error body decodes as invalid request") {
    CHECK(DecodeError("").code() == ErrorCode::kInvalidRequest);
    CHECK(DecodeError("<html>502</html>").code() == ErrorCode::kInvalidRequest);
    CHECK(DecodeError(R"({"error":"x"})").code() == ErrorCode::kInvalidRequest);
    CHECK(DecodeError(R"({"error":{"code":"forbidden"}})").code() ==
          ErrorCode::kInvalidRequest);
    Status unknown =
        DecodeError(R"({"error":{"code":"new_code","message":"m"}})");
    CHECK(unknown.code() == ErrorCode::kInternal);
    CHECK(unknown.message() == "m");
    CHECK(DecodeError(R"({"error":{"code":"ok","message":"m"}})").code() ==
          ErrorCode::kInternal);
  }

  TEST_CASE("a case row survives encode and decode unchanged") {
    Case in = SampleCase();
    Result<Case> out = CaseFromJson(CaseToJson(in));
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    CHECK(*out == in);

    in.parent_id.clear();
    in.resolution_code = "RES-01";
    in.resolution_notes = "Se reinstaló el controlador.";
    in.state = CaseState::kResolved;
    Json j = CaseToJson(in);
    CHECK(j["parentId"].is_null());
    CHECK(j["state"] == "resolved");
    CHECK(j["priority"] == 2);
    Result<Case> again = CaseFromJson(j);
    REQUIRE(again.ok());
    CHECK(*again == in);
  }

  TEST_CASE("a case row has exactly the camelCase fields of the protocol") {
    Json j = CaseToJson(SampleCase());
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    CHECK(keys == std::vector<std::string>{
                      "accountId", "channel", "contactHours", "contactId",
                      "contactPhone", "createdAt", "description", "id",
                      "issueTypeId", "number", "parentId", "priority",
                      "productId", "resolutionCode", "resolutionNotes",
                      "serviceId", "state", "subject", "updatedAt"});
  }

  TEST_CASE("a case row with only an id reads with defaults") {
    Result<Case> out = CaseFromJson(Json{{"id", "k"}, {"futureField", 1}});
    REQUIRE(out.ok());
    Case expected;
    expected.id = "k";
    CHECK(*out == expected);
  }

  TEST_CASE(
      "a case row with a wrong type or enum value is refused naming the "
      "field") {
    struct Row {
      const char* field;
      Json value;
    };
    const std::vector<Row> rows = {
        {"priority", 0},    {"priority", 5},      {"priority", "3"},
        {"priority", 2.5},  {"state", "pending"}, {"state", 1},
        {"channel", "fax"}, {"subject", 7},       {"parentId", 3},
        {"id", ""},         {"id", nullptr},      {"createdAt", Json::array()},
    };
    for (const Row& row : rows) {
      Json j = CaseToJson(SampleCase());
      j[row.field] = row.value;
      INFO(row.field, " = ", row.value.dump());
      Status status = CaseFromJson(j).status();
      CHECK(status.code() == ErrorCode::kInvalidRequest);
      CHECK(status.message().find(row.field) != std::string::npos);
    }
    CHECK(CaseFromJson(Json::array()).status().code() ==
          ErrorCode::kInvalidRequest);
  }

  TEST_CASE("a comment row survives encode and decode unchanged") {
    Comment in{"cm-1",
               "case-1",
               "user-1",
               "Adjunto el RUT.\nGracias",
               Visibility::kInternal,
               kTime};
    Json j = CommentToJson(in);
    CHECK(j["visibility"] == "internal");
    CHECK(j["caseId"] == "case-1");
    Result<Comment> out = CommentFromJson(j);
    REQUIRE(out.ok());
    CHECK(*out == in);
    j["visibility"] = "secret";
    CHECK(CommentFromJson(j).status().code() == ErrorCode::kInvalidRequest);
  }

  TEST_CASE("a catalog row survives encode and decode unchanged") {
    CatalogItem service{CatalogKind::kService, "svc-1", "",
                        "Certificado Digital", 1,       true};
    CatalogItem issue{CatalogKind::kIssueType, "iss-9", "prd-3",
                      "Error al firmar",       -2,      false};
    for (const CatalogItem& in : {service, issue}) {
      Json j = CatalogItemToJson(in);
      CHECK(j["parentId"].is_null() == in.parent_id.empty());
      Result<CatalogItem> out = CatalogItemFromJson(j);
      REQUIRE(out.ok());
      CHECK(out->kind == in.kind);
      CHECK(out->id == in.id);
      CHECK(out->parent_id == in.parent_id);
      CHECK(out->name == in.name);
      CHECK(out->sort == in.sort);
      CHECK(out->active == in.active);
    }
    Json bad = CatalogItemToJson(service);
    bad["kind"] = "category";
    CHECK(CatalogItemFromJson(bad).status().code() ==
          ErrorCode::kInvalidRequest);
    bad = CatalogItemToJson(service);
    bad["active"] = "yes";
    CHECK(CatalogItemFromJson(bad).status().code() ==
          ErrorCode::kInvalidRequest);
    bad = CatalogItemToJson(service);
    bad["sort"] = int64_t{1} << 40;
    CHECK(CatalogItemFromJson(bad).status().code() ==
          ErrorCode::kInvalidRequest);
  }

  TEST_CASE("a user row survives encode and decode unchanged") {
    User in{"user-1",
            "acc-1",
            "ana@calicon.co",
            "Ana Gómez",
            "300 123 4567",
            Role::kCustomerAdmin,
            UserStatus::kPending};
    Json j = UserToJson(in);
    CHECK(j["role"] == "customer_admin");
    Result<User> out = UserFromJson(j);
    REQUIRE(out.ok());
    CHECK(out->id == in.id);
    CHECK(out->account_id == in.account_id);
    CHECK(out->email == in.email);
    CHECK(out->name == in.name);
    CHECK(out->phone == in.phone);
    CHECK(out->role == in.role);
    CHECK(out->status == in.status);
    j["role"] = "root";
    CHECK(UserFromJson(j).status().code() == ErrorCode::kInvalidRequest);
  }

  TEST_CASE("an account row survives encode and decode unchanged") {
    Account in{"acc-1",
               "TRANSPORTES CALICONFORT S.A.S.",
               "900123456-7",
               {"calicon.co", "caliconfort.com"}};
    Result<Account> out = AccountFromJson(AccountToJson(in));
    REQUIRE(out.ok());
    CHECK(out->id == in.id);
    CHECK(out->name == in.name);
    CHECK(out->tax_id == in.tax_id);
    CHECK(out->domains == in.domains);
    Json bad = AccountToJson(in);
    bad["domains"] = Json::array({"a.co", 3});
    Status status = AccountFromJson(bad).status();
    CHECK(status.code() == ErrorCode::kInvalidRequest);
    CHECK(status.message().find("domains[1]") != std::string::npos);
  }

  TEST_CASE("every mutation name maps to its wire string and back") {
    const std::vector<std::string> names = {
        "createCase",     "updateCaseContact", "addComment", "cancelCase",
        "acceptSolution", "rejectSolution",    "acceptCase", "requestInfo",
        "resolveCase",    "closeCase",         "setPriority"};
    for (size_t i = 0; i < names.size(); ++i) {
      MutationName n = static_cast<MutationName>(i);
      CHECK(names[i] == MutationNameString(n));
      CHECK(MutationNameFromString(names[i]) == n);
    }
    CHECK_FALSE(MutationNameFromString("CreateCase").has_value());
    CHECK_FALSE(MutationNameFromString("").has_value());
  }

  TEST_CASE("only the five protocol tables are patch tables") {
    for (const char* t :
         {"cases", "comments", "catalog", "users", "accounts"}) {
      CHECK(IsPatchTable(t));
    }
    CHECK_FALSE(IsPatchTable(""));
    CHECK_FALSE(IsPatchTable("Cases"));
    CHECK_FALSE(IsPatchTable("sessions"));
  }

  TEST_CASE(
      "malformed push and pull requests are refused with the right code") {
    using Decoder = Status (*)(std::string_view);
    struct Row {
      const char* what;
      Decoder decode;
      std::string body;
      ErrorCode expected;
    };
    const std::string ok_mutation = MutationWithId("1");
    const std::vector<Row> rows = {
        // Not JSON, or not an object.
        {"empty body", PushStatus, "", ErrorCode::kMalformedJson},
        {"whitespace only", PushStatus, "  \n", ErrorCode::kMalformedJson},
        {"null", PushStatus, "null", ErrorCode::kInvalidRequest},
        {"array top level", PushStatus, "[]", ErrorCode::kInvalidRequest},
        {"string top level", PushStatus, R"("x")", ErrorCode::kInvalidRequest},
        {"trailing garbage", PushStatus, PushWithMutations("[]") + " x",
         ErrorCode::kMalformedJson},
        {"two objects", PushStatus, PushWithMutations("[]") + "{}",
         ErrorCode::kMalformedJson},
        {"truncated", PushStatus, R"({"clientId":"c1","mutations":[)",
         ErrorCode::kMalformedJson},
        {"single quotes", PushStatus, "{'clientId':'c1'}",
         ErrorCode::kMalformedJson},
        {"comment", PushStatus, "/* hi */" + PushWithMutations("[]"),
         ErrorCode::kMalformedJson},
        {"raw newline inside a string", PushStatus,
         "{\"clientId\":\"c\n1\",\"mutations\":[]}", ErrorCode::kMalformedJson},
        {"NaN literal", PushStatus, PushWithArgs(R"({"x":NaN})"),
         ErrorCode::kMalformedJson},
        {"number overflowing a double", PushStatus,
         PushWithArgs(R"({"x":1e400})"), ErrorCode::kMalformedJson},
        {"lone surrogate escape", PushStatus, PushWithArgs(R"({"x":"\ud800"})"),
         ErrorCode::kMalformedJson},
        {"lone low surrogate escape", PushStatus,
         PushWithArgs(R"({"x":"\udc00"})"), ErrorCode::kMalformedJson},
        // Top-level fields.
        {"unknown top-level field", PushStatus,
         R"({"clientId":"c1","mutations":[],"extra":1})",
         ErrorCode::kInvalidRequest},
        {"duplicate key", PushStatus,
         R"({"clientId":"c1","clientId":"c2","mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"clientId missing", PushStatus, R"({"mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"clientId a number", PushStatus, R"({"clientId":1,"mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"clientId null", PushStatus, R"({"clientId":null,"mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"clientId empty", PushStatus, R"({"clientId":"","mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"clientId with spaces", PushStatus,
         R"({"clientId":"my client","mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"clientId with NUL", PushStatus,
         R"({"clientId":"c\u0000","mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"clientId too long", PushStatus,
         R"({"clientId":")" + std::string(kMaxClientIdLength + 1, 'a') +
             R"(","mutations":[]})",
         ErrorCode::kInvalidRequest},
        {"mutations missing", PushStatus, R"({"clientId":"c1"})",
         ErrorCode::kInvalidRequest},
        {"mutations an object", PushStatus, PushWithMutations("{}"),
         ErrorCode::kInvalidRequest},
        {"too many mutations", PushStatus,
         PushWithMutations(Mutations(kMaxMutationsPerPush + 1)),
         ErrorCode::kPayloadTooLarge},
        // One mutation.
        {"mutation a number", PushStatus, PushWithMutations("[1]"),
         ErrorCode::kInvalidRequest},
        {"unknown mutation field", PushStatus,
         PushWithMutations(
             R"([{"id":1,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + R"(","user":"admin"}])"),
         ErrorCode::kInvalidRequest},
        {"id missing", PushStatus,
         PushWithMutations(R"([{"name":"acceptCase","args":{},"clientTime":")" +
                           std::string(kTime) + R"("}])"),
         ErrorCode::kInvalidRequest},
        {"id 0", PushStatus, PushWithMutations("[" + MutationWithId("0") + "]"),
         ErrorCode::kInvalidRequest},
        {"id -0", PushStatus,
         PushWithMutations("[" + MutationWithId("-0") + "]"),
         ErrorCode::kInvalidRequest},
        {"negative id", PushStatus,
         PushWithMutations("[" + MutationWithId("-1") + "]"),
         ErrorCode::kInvalidRequest},
        {"float id", PushStatus,
         PushWithMutations("[" + MutationWithId("1.0") + "]"),
         ErrorCode::kInvalidRequest},
        {"exponent id", PushStatus,
         PushWithMutations("[" + MutationWithId("1e0") + "]"),
         ErrorCode::kInvalidRequest},
        {"string id", PushStatus,
         PushWithMutations("[" + MutationWithId(R"("1")") + "]"),
         ErrorCode::kInvalidRequest},
        {"id 2^63", PushStatus,
         PushWithMutations("[" + MutationWithId("9223372036854775808") + "]"),
         ErrorCode::kInvalidRequest},
        {"id 2^64", PushStatus,
         PushWithMutations("[" + MutationWithId("18446744073709551616") + "]"),
         ErrorCode::kInvalidRequest},
        {"ids skip one", PushStatus,
         PushWithMutations("[" + MutationWithId("1") + "," +
                           MutationWithId("3") + "]"),
         ErrorCode::kInvalidRequest},
        {"ids repeat", PushStatus,
         PushWithMutations("[" + MutationWithId("1") + "," +
                           MutationWithId("1") + "]"),
         ErrorCode::kInvalidRequest},
        {"ids descend", PushStatus,
         PushWithMutations("[" + MutationWithId("2") + "," +
                           MutationWithId("1") + "]"),
         ErrorCode::kInvalidRequest},
        {"unknown mutation name", PushStatus,
         PushWithMutations(R"([{"id":1,"name":"deleteCase","args":{},)"
                           R"("clientTime":"2026-11-29T11:09:01Z"}])"),
         ErrorCode::kUnknownMutation},
        {"mutation name a number", PushStatus,
         PushWithMutations(R"([{"id":1,"name":3,"args":{},)"
                           R"("clientTime":"2026-11-29T11:09:01Z"}])"),
         ErrorCode::kInvalidRequest},
        {"args an array", PushStatus, PushWithArgs("[]"),
         ErrorCode::kInvalidRequest},
        {"args null", PushStatus, PushWithArgs("null"),
         ErrorCode::kInvalidRequest},
        {"args a string", PushStatus, PushWithArgs(R"("{}")"),
         ErrorCode::kInvalidRequest},
        {"clientTime not a time", PushStatus,
         PushWithMutations(R"([{"id":1,"name":"acceptCase","args":{},)"
                           R"("clientTime":"yesterday"}])"),
         ErrorCode::kInvalidRequest},
        {"clientTime a number", PushStatus,
         PushWithMutations(R"([{"id":1,"name":"acceptCase","args":{},)"
                           R"("clientTime":1764414541000}])"),
         ErrorCode::kInvalidRequest},
        // Encoding.
        {"invalid UTF-8 in a string", PushStatus,
         PushWithArgs("{\"body\":\"caf\xff\"}"), ErrorCode::kInvalidUtf8},
        {"invalid UTF-8 in a key", PushStatus,
         PushWithArgs("{\"b\xc3\":\"x\"}"), ErrorCode::kInvalidUtf8},
        {"overlong encoding of '/'", PushStatus,
         PushWithArgs("{\"body\":\"\xc0\xaf\"}"), ErrorCode::kInvalidUtf8},
        {"UTF-8 encoded surrogate", PushStatus,
         PushWithArgs("{\"body\":\"\xed\xa0\x80\"}"), ErrorCode::kInvalidUtf8},
        {"Latin-1 text", PushStatus,
         PushWithArgs("{\"body\":\"Descripci\xf3n\"}"),
         ErrorCode::kInvalidUtf8},
        // Limits.
        {"nesting depth 17", PushStatus,
         PushWithArgs("{\"x\":" + Nest(kMaxJsonDepth - 3) + "}"),
         ErrorCode::kTooDeep},
        {"100000 open brackets", PushStatus, std::string(100000, '['),
         ErrorCode::kTooDeep},
        {"2 MiB body", PushStatus, std::string(2 << 20, ' ') + "{}",
         ErrorCode::kPayloadTooLarge},
        {"70 KiB string value", PushStatus,
         PushWithArgs("{\"body\":\"" + std::string(70 * 1024, 'a') + "\"}"),
         ErrorCode::kPayloadTooLarge},
        {"70 KiB key", PushStatus,
         PushWithArgs("{\"" + std::string(70 * 1024, 'k') + "\":1}"),
         ErrorCode::kPayloadTooLarge},
        // Pull requests.
        {"pull cursor missing", PullStatus, R"({"clientId":"c1"})",
         ErrorCode::kInvalidRequest},
        {"pull cursor a number", PullStatus, R"({"clientId":"c1","cursor":5})",
         ErrorCode::kInvalidRequest},
        {"pull cursor too long", PullStatus,
         R"({"clientId":"c1","cursor":")" +
             std::string(kMaxCursorLength + 1, 'z') + R"("})",
         ErrorCode::kInvalidRequest},
        {"pull unknown field", PullStatus,
         R"({"clientId":"c1","cursor":null,"since":0})",
         ErrorCode::kInvalidRequest},
        {"pull clientId with a slash", PullStatus,
         R"({"clientId":"../c1","cursor":null})", ErrorCode::kInvalidRequest},
        {"NUL after a push", PushStatus,
         R"({"clientId":"c1","mutations":[]})" + std::string("\0junk", 5),
         ErrorCode::kMalformedJson},
        {"NUL after a pull request", PullStatus,
         R"({"clientId":"c1","cursor":null})" + std::string("\0", 1),
         ErrorCode::kMalformedJson},
        {"raw NUL inside a string", PushStatus,
         std::string("{\"clientId\":\"c\0\",\"mutations\":[]}", 32),
         ErrorCode::kMalformedJson},
        {"pull applied a number", PullStatus,
         R"({"clientId":"c1","cursor":"a","applied":1})",
         ErrorCode::kInvalidRequest},
        {"pull applied too long", PullStatus,
         R"({"clientId":"c1","cursor":"a","applied":")" +
             std::string(kMaxCursorLength + 1, 'z') + R"("})",
         ErrorCode::kInvalidRequest},
    };
    CHECK(rows.size() >= 30);
    for (const Row& row : rows) {
      INFO(row.what);
      Status status = row.decode(row.body);
      INFO(status.ToString());
      CHECK(status.code() == row.expected);
      // Messages never echo large input.
      CHECK(status.message().size() <= 300);
    }
  }

  TEST_CASE("nesting depth 16 is accepted and 17 is refused") {
    CHECK(ParseJson(Nest(kMaxJsonDepth)).ok());
    CHECK(ParseJson(Nest(kMaxJsonDepth + 1)).status().code() ==
          ErrorCode::kTooDeep);
    // Brackets inside strings do not count.
    CHECK(ParseJson("[\"" + std::string(100, '[') + "\"]").ok());
    CHECK(ParseJson("[\"\\\"" + std::string(100, '{') + "\"]").ok());
    // A push whose args reach exactly depth 16 is fine.
    CHECK(PushStatus(PushWithArgs("{\"x\":" + Nest(kMaxJsonDepth - 4) + "}"))
              .ok());
  }

  TEST_CASE(
      "a string of exactly the limit is accepted and one byte more is "
      "refused") {
    auto body = [](size_t n) { return "[\"" + std::string(n, 'a') + "\"]"; };
    CHECK(ParseJson(body(kMaxStringBytes)).ok());
    CHECK(ParseJson(body(kMaxStringBytes + 1)).status().code() ==
          ErrorCode::kPayloadTooLarge);
  }

  TEST_CASE("a body over max_bytes is refused before it is parsed") {
    std::string junk(kMaxBodyBytes + 1, '\xff');  // not even UTF-8
    CHECK(ParseJson(junk).status().code() == ErrorCode::kPayloadTooLarge);
    CHECK(ParseJson("[1]", 2).status().code() == ErrorCode::kPayloadTooLarge);
    CHECK(ParseJson("[1]", 3).ok());
  }

  TEST_CASE("a 1000-mutation push at the limit is accepted") {
    Result<PushRequest> out =
        DecodePushRequest(PushWithMutations(Mutations(kMaxMutationsPerPush)));
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    CHECK(out->mutations.size() == kMaxMutationsPerPush);
    CHECK(out->mutations.back().id == 1000);
  }

  TEST_CASE("a push may start at any id and the largest int64 id is accepted") {
    Result<PushRequest> out = DecodePushRequest(
        PushWithMutations("[" + MutationWithId("9223372036854775806") + "," +
                          MutationWithId("9223372036854775807") + "]"));
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    CHECK(out->mutations[1].id == INT64_MAX);
  }

  TEST_CASE("error messages name the offending field") {
    Status gap = PushStatus(PushWithMutations("[" + MutationWithId("1") + "," +
                                              MutationWithId("3") + "]"));
    CHECK(gap.message().find("mutations[1].id") != std::string::npos);
    Status unknown =
        PushStatus(R"({"clientId":"c1","mutations":[],"mutatoins":[]})");
    CHECK(unknown.message().find("\"mutatoins\"") != std::string::npos);
    Status time = PushStatus(PushWithMutations(
        R"([{"id":1,"name":"acceptCase","args":{},"clientTime":"ayer"}])"));
    CHECK(time.message().find("mutations[0].clientTime") != std::string::npos);
    Status name = PushStatus(PushWithMutations(
        R"([{"id":1,"name":"dropTables","args":{},"clientTime":")" +
        std::string(kTime) + R"("}])"));
    CHECK(name.code() == ErrorCode::kUnknownMutation);
    CHECK(name.message().find("dropTables") != std::string::npos);
  }

  TEST_CASE("a malformed body is described by position without echoing it") {
    Status truncated = ParseJson("{\"a\":").status();
    CHECK(truncated.code() == ErrorCode::kMalformedJson);
    CHECK(truncated.message().find("line 1, column 6") != std::string::npos);

    // An unterminated 500 KiB string: the parser's "last read" token would
    // be the whole string.
    std::string huge = "[\"" + std::string(500 * 1024, 'q');
    Status status = ParseJson(huge).status();
    CHECK(status.code() == ErrorCode::kMalformedJson);
    CHECK(status.message().size() <= 300);
  }

  TEST_CASE("an escaped NUL is valid JSON and reaches the args unchanged") {
    // JSON allows \u0000; the codec passes it through and the text
    // validators of the mutators (validation.h) refuse control characters.
    Result<PushRequest> out =
        DecodePushRequest(PushWithArgs(R"({"body":"a\u0000b"})"));
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    const Json& body = out->mutations[0].args["body"];
    REQUIRE(body.is_string());
    CHECK(body.get<std::string>() == std::string("a\0b", 3));
    // And it goes back out escaped, not raw.
    CHECK(EncodePushRequest(*out).find("\\u0000") != std::string::npos);
  }

  TEST_CASE("a surrogate pair escape decodes to one code point") {
    Result<Json> out = ParseJson(R"(["\ud83d\ude00"])");
    REQUIRE(out.ok());
    CHECK((*out)[0].get<std::string>() == "😀");
  }

  TEST_CASE("a UTF-8 byte order mark before the body is ignored") {
    // nlohmann skips a leading BOM (RFC 8259 §8.1 allows ignoring it).
    CHECK(PushStatus("\xEF\xBB\xBF" + PushWithMutations("[]")).ok());
  }

  TEST_CASE("dumping JSON with invalid UTF-8 replaces it instead of throwing") {
    Json j = std::string("caf\xff");
    CHECK(DumpJson(j) == "\"caf\xEF\xBF\xBD\"");
  }
}

}  // namespace casesync
