// Differential tests of the fast pull-response decoder (DecodePullResponse,
// core/src/json_scanner.cpp + protocol.cpp) against the former DOM decoder
// (DecodePullResponseDom): over generated valid responses and systematic
// mutations of them, both must accept the same texts with the same result
// and refuse the same texts with the same error (code and message).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "casesync/domain.h"
#include "casesync/protocol.h"
#include "casesync/status.h"
#include "json_text_gen.h"

namespace casesync {
namespace {

constexpr const char* kTime = "2026-11-29T11:09:01.123Z";

std::string Describe(const Status& s) { return s.ToString(); }

// The row a kTyped put carries, as the DOM path would decode it, as Json
// (every row struct has a ToJson), or the row decoder's error.
template <typename T, typename ToJson>
std::string RowOrError(const Result<T>& row, ToJson to_json) {
  if (!row.ok()) return "error " + Describe(row.status());
  return DumpJson(to_json(*row));
}

std::string DomRow(const PatchOp& op) {
  if (op.table == kTableCases) {
    return RowOrError(CaseFromJson(op.row),
                      [](const Case& c) { return CaseToJson(c); });
  }
  if (op.table == kTableComments) {
    return RowOrError(CommentFromJson(op.row),
                      [](const Comment& c) { return CommentToJson(c); });
  }
  if (op.table == kTableCatalog) {
    return RowOrError(CatalogItemFromJson(op.row), [](const CatalogItem& c) {
      return CatalogItemToJson(c);
    });
  }
  if (op.table == kTableUsers) {
    return RowOrError(UserFromJson(op.row),
                      [](const User& u) { return UserToJson(u); });
  }
  return RowOrError(AccountFromJson(op.row),
                    [](const Account& a) { return AccountToJson(a); });
}

std::string TypedRow(const PatchOp& op) {
  struct Visitor {
    std::string operator()(const std::monostate&) { return "none"; }
    std::string operator()(const Status& s) { return "error " + Describe(s); }
    std::string operator()(const Case& c) { return DumpJson(CaseToJson(c)); }
    std::string operator()(const Comment& c) {
      return DumpJson(CommentToJson(c));
    }
    std::string operator()(const CatalogItem& c) {
      return DumpJson(CatalogItemToJson(c));
    }
    std::string operator()(const User& u) { return DumpJson(UserToJson(u)); }
    std::string operator()(const Account& a) {
      return DumpJson(AccountToJson(a));
    }
  };
  return std::visit(Visitor{}, op.decoded);
}

// Everything a decoded response holds, as comparable text.
std::string Summary(const Result<PullResponse>& r, PullRows rows) {
  if (!r.ok()) return "refused " + Describe(r.status());
  std::string out = "cursor=" + r->cursor +
                    " lmid=" + std::to_string(r->last_mutation_id) +
                    " more=" + (r->more ? "1" : "0") + "\n";
  for (const PatchOp& op : r->patch) {
    out += std::to_string(static_cast<int>(op.op)) + " " + op.table + " ";
    if (rows == PullRows::kTyped && op.op == PatchOpKind::kPut) {
      out += TypedRow(op);
    } else {
      out += DumpJson(op.row) + " / " + TypedRow(op);
    }
    out += "\n";
  }
  for (const Rejection& rej : r->rejections) {
    out += std::to_string(rej.mutation_id) + " " + ErrorCodeName(rej.code) +
           " " + rej.message + " " + DumpJson(MutationToJson(rej.mutation)) +
           "\n";
  }
  return out;
}

// The DOM decoder's answer with put rows decoded as a client would.
std::string DomTypedSummary(const Result<PullResponse>& r) {
  if (!r.ok()) return Summary(r, PullRows::kJson);
  PullResponse copy = *r;
  for (PatchOp& op : copy.patch) {
    if (op.op == PatchOpKind::kPut) {
      std::string row = DomRow(op);
      op.decoded = Status(ErrorCode::kOk, row);  // carried as text below
    }
  }
  std::string out = "cursor=" + copy.cursor +
                    " lmid=" + std::to_string(copy.last_mutation_id) +
                    " more=" + (copy.more ? "1" : "0") + "\n";
  for (const PatchOp& op : copy.patch) {
    out += std::to_string(static_cast<int>(op.op)) + " " + op.table + " ";
    if (op.op == PatchOpKind::kPut) {
      out += std::get<Status>(op.decoded).message();
    } else {
      out += DumpJson(op.row) + " / none";
    }
    out += "\n";
  }
  for (const Rejection& rej : copy.rejections) {
    out += std::to_string(rej.mutation_id) + " " + ErrorCodeName(rej.code) +
           " " + rej.message + " " + DumpJson(MutationToJson(rej.mutation)) +
           "\n";
  }
  return out;
}

// Both decoders, both row forms, on `text`: true when they agree.
bool Agree(std::string_view text) {
  Result<PullResponse> dom = DecodePullResponseDom(text);
  std::string want = Summary(dom, PullRows::kJson);
  std::string got = Summary(DecodePullResponse(text), PullRows::kJson);
  if (got != want) {
    INFO("text: ", std::string(text.substr(0, 400)));
    CHECK(got == want);
    return false;
  }
  std::string want_typed = DomTypedSummary(dom);
  std::string got_typed =
      Summary(DecodePullResponse(text, PullRows::kTyped), PullRows::kTyped);
  if (got_typed != want_typed) {
    INFO("text: ", std::string(text.substr(0, 400)));
    CHECK(got_typed == want_typed);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// A generator of valid pull responses written by hand (not by the encoder):
// keys in any order, random whitespace, strings with escapes, surrogate
// pairs and 1- to 4-byte UTF-8, absent and null optional fields, unknown
// fields, every table and op.
class ResponseGen : public JsonTextGen {
 public:
  using JsonTextGen::JsonTextGen;

  std::string Response() {
    std::vector<std::string> members;
    members.push_back(Member("cursor", Str(Text(20))));
    members.push_back(
        Member("lastMutationId", std::to_string(Pick(0, 1000000))));
    std::string patch = "[";
    int ops = Pick(0, 6);
    for (int i = 0; i < ops; ++i) {
      if (i > 0) patch += "," + Ws();
      patch += Op();
    }
    members.push_back(Member("patch", patch + Ws() + "]"));
    std::string rejections = "[";
    int count = Pick(0, 2);
    for (int i = 0; i < count; ++i) {
      if (i > 0) rejections += ",";
      rejections += RejectionText(Pick(1, 99));
    }
    members.push_back(Member("rejections", rejections + "]"));
    members.push_back(Member("more", Pick(0, 1) ? "true" : "false"));
    return Ws() + Object(members) + Ws();
  }

 private:
  // Optional members: present, absent, or (when nullable) null.
  void Maybe(std::vector<std::string>* members, std::string_view key,
             const std::string& value, bool nullable = false) {
    int p = Pick(0, 9);
    if (p == 0) return;  // absent
    if (p == 1 && nullable) {
      members->push_back(Member(key, "null"));
      return;
    }
    members->push_back(Member(key, value));
  }

  std::string CaseRow() {
    static const char* kStates[] = {"new",      "open",   "awaiting_info",
                                    "resolved", "closed", "canceled"};
    std::vector<std::string> m;
    m.push_back(Member("id", Id()));
    Maybe(&m, "number", Str("CS" + std::to_string(1000000 + Pick(0, 99999))));
    for (const char* key : {"accountId", "contactId", "serviceId", "productId",
                            "issueTypeId", "contactHours", "contactPhone",
                            "resolutionCode", "resolutionNotes"}) {
      Maybe(&m, key, StringValue(12));
    }
    Maybe(&m, "subject", StringValue(60));
    Maybe(&m, "description", StringValue(300));
    Maybe(&m, "priority", std::to_string(Pick(1, 4)));
    Maybe(&m, "state", Str(kStates[Pick(0, 5)]));
    Maybe(&m, "channel", Str(Pick(0, 1) ? "web" : "email"));
    Maybe(&m, "parentId", Id(), /*nullable=*/true);
    Maybe(&m, "createdAt", Str(kTime));
    Maybe(&m, "updatedAt", Str(kTime));
    if (Pick(0, 4) == 0) m.push_back(Member("futureField", Unknown()));
    return Object(m);
  }

  std::string CommentRow() {
    std::vector<std::string> m;
    m.push_back(Member("id", Id()));
    Maybe(&m, "caseId", Id());
    Maybe(&m, "authorId", Id());
    Maybe(&m, "body", StringValue(200));
    Maybe(&m, "visibility", Str(Pick(0, 1) ? "public" : "internal"));
    Maybe(&m, "createdAt", Str(kTime));
    return Object(m);
  }

  std::string CatalogRow() {
    std::vector<std::string> m;
    m.push_back(Member("id", Id()));
    Maybe(&m, "kind", Str(Pick(0, 1) ? "service" : "product"));
    Maybe(&m, "parentId", Id(), /*nullable=*/true);
    Maybe(&m, "name", StringValue(20));
    Maybe(&m, "sort", std::to_string(Pick(-5, 100)));
    Maybe(&m, "active", Pick(0, 1) ? "true" : "false");
    return Object(m);
  }

  std::string UserRow() {
    std::vector<std::string> m;
    m.push_back(Member("id", Id()));
    Maybe(&m, "email", Str("ana@example.co"));
    Maybe(&m, "name", StringValue(20));
    Maybe(&m, "role", Str(Pick(0, 1) ? "agent" : "customer"));
    Maybe(&m, "status", Str("active"));
    return Object(m);
  }

  std::string AccountRow() {
    std::vector<std::string> m;
    m.push_back(Member("id", Id()));
    Maybe(&m, "name", StringValue(20));
    Maybe(&m, "domains", "[" + Str("a.co") + "," + StringValue(8) + "]");
    return Object(m);
  }

  // An unknown field's value: any JSON.
  std::string Unknown() {
    switch (Pick(0, 5)) {
      case 0:
        return "null";
      case 1:
        return "-12.5e3";
      case 2:
        return "[1,{\"a\":[true,false]},\"x\"]";
      case 3:
        return "{\"nested\":{\"k\":" + StringValue(5) + "}}";
      case 4:
        return "18446744073709551615";
      default:
        return StringValue(10);
    }
  }

  std::string Op() {
    static const char* kTables[] = {"cases", "comments", "catalog", "users",
                                    "accounts"};
    int kind = Pick(0, 9);
    if (kind == 0) {
      std::vector<std::string> m = {Member("op", Str("clear"))};
      Maybe(&m, "table", Str(Pick(0, 1) ? "" : kTables[Pick(0, 4)]));
      if (Pick(0, 2) == 0) m.push_back(Member("row", "null"));
      return Object(m);
    }
    int table = kind < 6 ? 0 : Pick(0, 4);
    std::string row;
    switch (table) {
      case 0:
        row = CaseRow();
        break;
      case 1:
        row = CommentRow();
        break;
      case 2:
        row = CatalogRow();
        break;
      case 3:
        row = UserRow();
        break;
      default:
        row = AccountRow();
        break;
    }
    return Object({Member("op", Str(kind == 1 ? "del" : "put")),
                   Member("table", Str(kTables[table])), Member("row", row)});
  }

  std::string RejectionText(int id) {
    std::string mutation = Object(
        {Member("id", std::to_string(id)), Member("name", Str("addComment")),
         Member("args", "{\"caseId\":" + Id() + ",\"body\":" + StringValue(30) +
                            ",\"n\":[1,-2,3.5]}"),
         Member("clientTime", Str(kTime))});
    return Object({Member("mutationId", std::to_string(id)),
                   Member("code", Str(Pick(0, 1) ? "case_terminal" : "nuevo")),
                   Member("message", StringValue(30)),
                   Member("mutation", mutation)});
  }
};

TEST_SUITE("pull decoder") {
  TEST_CASE("the fast decoder reads generated valid responses as the DOM one") {
    ResponseGen gen(20261129);
    int accepted = 0;
    for (int i = 0; i < 300; ++i) {
      std::string text = gen.Response();
      REQUIRE(Agree(text));
      if (DecodePullResponseDom(text).ok()) ++accepted;
    }
    // The generator makes valid responses: nearly all must decode.
    CHECK(accepted >= 290);
  }

  TEST_CASE("every truncation of a response is refused the same way") {
    ResponseGen gen(7);
    for (int i = 0; i < 3; ++i) {
      std::string text = gen.Response();
      for (size_t len = 0; len <= text.size(); ++len) {
        REQUIRE(Agree(std::string_view(text).substr(0, len)));
      }
    }
  }

  TEST_CASE("byte flips and deletions give the same result or error") {
    // The two smallest of 40 responses that have a patch and a rejection,
    // so every part of the grammar is mutated in reasonable time.
    ResponseGen gen(11);
    std::vector<std::string> texts;
    while (texts.size() < 40) {
      std::string text = gen.Response();
      if (text.find("\"row\"") != std::string::npos &&
          text.find("\"mutationId\"") != std::string::npos) {
        texts.push_back(std::move(text));
      }
    }
    RequireAgreementUnderEdits(std::move(texts), Agree);
  }

  TEST_CASE("edge cases of JSON and of the grammar decode the same way") {
    auto body = [](std::string_view patch, std::string_view extra = "") {
      return R"({"cursor":"c","lastMutationId":1,"patch":)" +
             std::string(patch) + R"(,"rejections":[],"more":false)" +
             std::string(extra) + "}";
    };
    auto put = [&](std::string_view row, std::string_view table = "cases") {
      return body(R"([{"op":"put","table":")" + std::string(table) +
                  R"(","row":)" + std::string(row) + "}]");
    };
    const std::string long_string(kMaxStringBytes, 'x');
    const std::vector<std::string> texts = {
        "",
        " ",
        "{}",
        "[]",
        "null",
        "\"x\"",
        "1",
        "{",
        "}",
        "\xEF\xBB\xBF" + body("[]"),
        " \xEF\xBB\xBF" + body("[]"),
        body("[]") + " x",
        body("[]") + "\n",
        body("[]") + "{}",
        body("[]", R"(,"more":true)"),
        body("[]", R"(,"zeta":1,"alpha":2)"),
        body("[]", R"(,"x":1e400)"),
        body("[]", R"(,"x":-1e400)"),
        body("[]", R"(,"x":1e-400)"),
        body("[]", R"(,"x":01)"),
        body("[]", R"(,"x":1.)"),
        body("[]", R"(,"x":-)"),
        body("[]", R"(,"x":.5)"),
        body("[]", R"(,"x":1e)"),
        body("[]", R"(,"x":tru)"),
        body("[]", R"(,"x":nul)"),
        body("[]", R"(,"x":"\ud800")"),
        body("[]", R"(,"x":"\udc00")"),
        body("[]", R"(,"x":"\ud800\u0041")"),
        body("[]", R"(,"x":"\uZZZZ")"),
        body("[]", R"(,"x":"\a")"),
        body("[]", ",\"x\":\"a\tb\""),
        body("[]", R"(,"x":[1,])"),
        body("[]", R"(,"x":{"a":1,})"),
        body("[]", R"(,"x":{"a":1,"a":2})"),
        body("[]", R"(,"x":{"\u0061":1,"a":2})"),
        body("[]", ",\"x\":\"" + long_string + "\""),
        body("[]", ",\"x\":\"" + long_string + "x\""),
        body("[]", ",\"x\":\"" + long_string.substr(1) + "\\u00e9\""),
        body("[]", ",\"" + long_string + "y\":1"),
        body("[]", ",\"x\":\"" + long_string + "x\" garbage"),
        body("[]", R"(,"x":{"a":1,"a":2} garbage)"),
        body(std::string(15, '[') + std::string(15, ']')),
        body(std::string(16, '[') + std::string(16, ']')),
        R"({"cursor":5,"more":"x"})",
        R"({"more":"x"})",
        R"({"cursor":"c","lastMutationId":-1,"patch":[],"rejections":[],"more":false})",
        R"({"cursor":"c","lastMutationId":1.0,"patch":[],"rejections":[],"more":false})",
        R"({"cursor":"c","lastMutationId":9223372036854775808,"patch":[],"rejections":[],"more":false})",
        R"({"cursor":"c","lastMutationId":9223372036854775807,"patch":[],"rejections":[],"more":false})",
        R"({"cursor":"c","lastMutationId":-0,"patch":[],"rejections":[],"more":false})",
        R"({"cursor":"c","lastMutationId":1,"patch":{},"rejections":[],"more":false})",
        R"({"cursor":"c","lastMutationId":1,"rejections":[],"more":false})",
        R"({"cursor":")" + std::string(257, 'c') +
            R"(","lastMutationId":1,"patch":[],"rejections":[],"more":false})",
        body(R"([1])"),
        body(R"([{"op":"put"},2])"),
        body(R"([{"op":"zap","table":"cases","row":{"id":"a"}}])"),
        body(R"([{"op":"put","table":"casos","row":{"id":"a"}}])"),
        body(R"([{"op":"put","table":"cases"}])"),
        body(R"([{"op":"put","table":"cases","row":[]}])"),
        body(R"([{"op":"put","table":"cases","row":{"id":""}}])"),
        body(R"([{"op":"put","table":"cases","row":{"id":1}}])"),
        body(R"([{"op":"put","table":"cases","row":{}}])"),
        body(R"([{"op":"put","table":"cases","row":{"id":"a"},"x":1,"b":2}])"),
        body(R"([{"op":"clear","row":{"id":"a"}}])"),
        body(R"([{"op":"clear","table":"nope"}])"),
        body(R"([{"op":"clear","table":7}])"),
        body(R"([{"op":"del","table":"cases","row":{"id":"a","x":[1]}}])"),
        body(R"([{"op":1,"table":"cases","row":{"id":"a"}}])"),
        body(R"([{"table":"cases","row":{"id":"a"}}])"),
        put(R"({"id":"a","priority":7})"),
        put(R"({"id":"a","priority":"1"})"),
        put(R"({"id":"a","priority":2.0})"),
        put(R"({"id":"a","priority":18446744073709551615})"),
        put(R"({"id":"a","state":"gone"})"),
        put(R"({"id":"a","state":3})"),
        put(R"({"id":"a","parentId":null,"subject":null})"),
        put(R"({"id":"a","number":"CS1","state":"bad","priority":9})"),
        put(R"({"id":"a","visibility":"secret"})", "comments"),
        put(R"({"id":"a","sort":1e2})", "catalog"),
        put(R"({"id":"a","active":1})", "catalog"),
        put(R"({"id":"a","role":"boss"})", "users"),
        put(R"({"id":"a","domains":["a",1]})", "accounts"),
        put(R"({"id":"a","domains":"a"})", "accounts"),
        R"({"cursor":"c","lastMutationId":1,"patch":[],"rejections":[{"mutationId":1}],"more":false})",
        R"({"cursor":"c","lastMutationId":1,"patch":[],"rejections":[{"mutationId":2,"code":"x","message":"m","mutation":{"id":2,"name":"nope","args":{},"clientTime":")" +
            std::string(kTime) + R"("}}],"more":false})",
        R"({"cursor":"c","lastMutationId":1,"patch":[1],"rejections":[{"mutationId":2,"code":"x","message":"m","mutation":{"id":2,"name":"nope","args":{},"clientTime":")" +
            std::string(kTime) + R"("}}],"more":false})",
        R"({"cursor":"c","lastMutationId":1,"patch":[],"rejections":[7],"more":"x"})",
    };
    for (const std::string& text : texts) {
      REQUIRE(Agree(text));
    }
  }

  TEST_CASE("a typed put carries its row decoded, or its row's error") {
    Result<PullResponse> r = DecodePullResponse(
        R"({"cursor":"c","lastMutationId":1,"more":false,"rejections":[],)"
        R"("patch":[{"op":"put","row":{"id":"k1","subject":"T\u00edtulo",)"
        R"("priority":2,"parentId":null},"table":"cases"},)"
        R"({"op":"put","row":{"id":"k2","priority":9},"table":"cases"}]})",
        PullRows::kTyped);
    REQUIRE(r.ok());
    REQUIRE(r->patch.size() == 2);
    const Case* c = std::get_if<Case>(&r->patch[0].decoded);
    REQUIRE(c != nullptr);
    CHECK(c->id == "k1");
    CHECK(c->subject == "Título");
    CHECK(c->priority == 2);
    CHECK(r->patch[0].row.is_null());
    const Status* refused = std::get_if<Status>(&r->patch[1].decoded);
    REQUIRE(refused != nullptr);
    CHECK(refused->code() == ErrorCode::kInvalidRequest);
    CHECK(refused->message() == "priority: must be between 1 and 4");
  }
}

}  // namespace
}  // namespace casesync
