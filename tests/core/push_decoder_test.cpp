// Differential tests of the fast push-request decoder (DecodePushRequest,
// core/src/json_scanner.cpp + protocol.cpp) against the former DOM decoder
// (DecodePushRequestDom): over generated valid requests and systematic
// mutations of them, both must accept the same texts with the same result
// (args with the same Json types, not just the same text) and refuse the
// same texts with the same error (code and message).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "casesync/protocol.h"
#include "casesync/status.h"
#include "json_text_gen.h"

namespace casesync {
namespace {

constexpr const char* kTime = "2026-11-29T11:09:01.123Z";

// A Json value with the type of every node: DumpJson alone prints an
// unsigned 1 and a signed 1 alike.
std::string Typed(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      std::string out = "{";
      for (auto it = j.begin(); it != j.end(); ++it) {
        out += DumpJson(Json(it.key())) + ":" + Typed(it.value()) + ",";
      }
      return out + "}";
    }
    case Json::value_t::array: {
      std::string out = "[";
      for (const Json& e : j) out += Typed(e) + ",";
      return out + "]";
    }
    case Json::value_t::number_unsigned:
      return "u" + DumpJson(j);
    case Json::value_t::number_integer:
      return "i" + DumpJson(j);
    case Json::value_t::number_float:
      return "f" + DumpJson(j);
    default:
      return DumpJson(j);
  }
}

// Everything a decoded request holds, as comparable text. Deferred args
// (ArgsDecoding::kDeferArgs) are summarised as the tree ArgsTree builds, and
// must be text only: a null tree, and text that is an object.
std::string Summary(const Result<PushRequest>& r) {
  if (!r.ok()) return "refused " + r.status().ToString();
  std::string out = "client=" + r->client_id + "\n";
  for (const MutationRecord& m : r->mutations) {
    Json storage;
    const Json& args = ArgsTree(m, &storage);
    if (!m.args_text.empty()) {
      if (!m.args.is_null()) out += "(deferred args with a tree) ";
      if (m.args_text.front() != '{') out += "(deferred args not an object) ";
    }
    out += std::to_string(m.id) + " " + m.name + " " + m.client_time + " " +
           Typed(args) + "\n";
  }
  return out;
}

// Everything a request decoded with deferred args holds, the args' text
// and index included, as comparable text.
std::string Exact(const PushRequest& r) {
  std::string out = "client=" + r.client_id + "\n";
  for (const MutationRecord& m : r.mutations) {
    out += std::to_string(m.id) + " " + m.name + " " + m.client_time + " " +
           m.args_text + " tree=" + DumpJson(m.args) + " index=";
    for (const ArgsMemberIndex& e : m.args_index) {
      out += std::to_string(e.key_offset) + "+" + std::to_string(e.key_size) +
             ":" + std::to_string(e.value_offset) + "+" +
             std::to_string(e.value_size) + "/" + std::to_string(e.kind) +
             (e.escaped ? "e" : "") + ",";
    }
    out += "\n";
  }
  return out;
}

int plain_accepted = 0;  // texts the plain fast path read (Agree)

// The decoders on `text` (the fast one building args trees and deferring
// them): true when they agree with the DOM decoder, and, when the plain
// path for client requests reads the text, when it gives exactly what the
// general reader gives.
bool Agree(std::string_view text) {
  std::string want = Summary(DecodePushRequestDom(text));
  std::string got = Summary(DecodePushRequest(text));
  std::string deferred =
      Summary(DecodePushRequest(text, ArgsDecoding::kDeferArgs));
  if (got != want || deferred != want) {
    INFO("text: ", std::string(text.substr(0, 400)));
    CHECK(got == want);
    CHECK(deferred == want);
    return false;
  }
  if (std::optional<PushRequest> plain = DecodePlainPushRequest(text)) {
    ++plain_accepted;
    Result<PushRequest> general =
        DecodePushRequestGeneral(text, ArgsDecoding::kDeferArgs);
    INFO("text: ", std::string(text.substr(0, 400)));
    REQUIRE(general.ok());
    CHECK(Exact(*plain) == Exact(*general));
    return Exact(*plain) == Exact(*general);
  }
  return true;
}

// ---------------------------------------------------------------------------
// A generator of valid push requests written by hand (not by the encoder):
// keys in any order, random whitespace, strings with escapes, surrogate
// pairs and 1- to 4-byte UTF-8, every mutation name with its args, and args
// values of every JSON type (numbers signed, unsigned, float, huge, tiny).
class RequestGen : public JsonTextGen {
 public:
  using JsonTextGen::JsonTextGen;

  std::string Request(int max_mutations = 6) {
    std::string mutations = "[";
    int count = Pick(0, max_mutations);
    int64_t first = Pick(1, 1000);
    for (int i = 0; i < count; ++i) {
      if (i > 0) mutations += "," + Ws();
      mutations += Mutation(first + i);
    }
    return Ws() +
           Object({Member("clientId", Str(ClientId())),
                   Member("mutations", mutations + Ws() + "]")}) +
           Ws();
  }

 private:
  std::string ClientId() {
    static const char* kChars =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    std::string out;
    int n = Pick(1, 24);
    for (int i = 0; i < n; ++i) out += kChars[Pick(0, 63)];
    return out;
  }

  // Any JSON value, nesting at most `depth` more levels.
  std::string Any(int depth) {
    static const char* kNumbers[] = {
        "0",
        "-0",
        "7",
        "-12",
        "3.25",
        "-12.5e3",
        "1E2",
        "1e-2",
        "0.0",
        "-0.0",
        "1e-400",
        "18446744073709551615",
        "18446744073709551616",
        "9223372036854775807",
        "-9223372036854775808",
        "-9223372036854775809",
        "999999999999999999",
        "-99999999999999999",
        "1000000000000000000",
        "-999999999999999999",
        "123456789012345678901234567890",
        "2.5E+10",
    };
    int kind = Pick(0, depth > 0 ? 7 : 5);
    switch (kind) {
      case 0:
        return "null";
      case 1:
        return Pick(0, 1) ? "true" : "false";
      case 2:
      case 3:
        return kNumbers[Pick(0, 17)];
      case 4:
      case 5:
        return StringValue(10);
      case 6: {
        std::string out = "[" + Ws();
        int n = Pick(0, 3);
        for (int i = 0; i < n; ++i) {
          if (i > 0) out += "," + Ws();
          out += Any(depth - 1);
        }
        return out + Ws() + "]";
      }
      default: {
        std::vector<std::string> m;
        int n = Pick(0, 3);
        for (int i = 0; i < n; ++i) {
          m.push_back(
              Member("k" + std::to_string(i) + Text(3), Any(depth - 1)));
        }
        return Object(m);
      }
    }
  }

  // The args of `name` as the web client sends them, sometimes with an
  // extra field of any type (the mutator refuses it; the decoder keeps it).
  std::string Args(std::string_view name) {
    std::vector<std::string> m;
    if (name == "createCase") {
      m.push_back(Member("id", Id()));
      for (const char* key : {"serviceId", "productId", "issueTypeId"}) {
        m.push_back(Member(key, Id()));
      }
      m.push_back(Member("contactHours", StringValue(12)));
      m.push_back(Member("contactPhone", Str("+34 600 000 000")));
      m.push_back(Member("subject", StringValue(60)));
      m.push_back(Member("description", StringValue(300)));
      if (Pick(0, 3) == 0) m.push_back(Member("parentId", Id()));
      if (Pick(0, 3) == 0) m.push_back(Member("contactId", Id()));
    } else {
      m.push_back(Member("caseId", Id()));
      if (name == "updateCaseContact") {
        m.push_back(Member("contactHours", StringValue(12)));
        if (Pick(0, 1)) m.push_back(Member("contactPhone", StringValue(12)));
      } else if (name == "addComment") {
        m.push_back(Member("id", Id()));
        m.push_back(Member("body", StringValue(200)));
        m.push_back(
            Member("visibility", Str(Pick(0, 1) ? "public" : "internal")));
      } else if (name == "cancelCase") {
        m.push_back(Member("reason", StringValue(40)));
      } else if (name == "closeCase") {
        m.push_back(Member("notes", StringValue(40)));
      } else if (name == "resolveCase") {
        m.push_back(Member("resolutionCode", Str("fixed")));
        m.push_back(Member("notes", StringValue(40)));
      } else if (name == "requestInfo" || name == "rejectSolution") {
        m.push_back(Member("comment", StringValue(40)));
      } else if (name == "setPriority") {
        m.push_back(Member("priority", std::to_string(Pick(1, 4))));
      }
    }
    if (Pick(0, 4) == 0) m.push_back(Member("extra", Any(3)));
    return Object(m);
  }

  std::string Mutation(int64_t id) {
    static const char* kNames[] = {
        "createCase",     "updateCaseContact", "addComment",  "cancelCase",
        "acceptSolution", "rejectSolution",    "acceptCase",  "requestInfo",
        "resolveCase",    "closeCase",         "setPriority",
    };
    const char* name = kNames[Pick(0, 10)];
    return Object({Member("id", std::to_string(id)), Member("name", Str(name)),
                   Member("args", Args(name)),
                   Member("clientTime", Str(kTime))});
  }
};

std::string Mutation(int64_t id, std::string_view name = "acceptCase",
                     std::string_view args = R"({"caseId":"c1"})") {
  return R"({"id":)" + std::to_string(id) + R"(,"name":")" + std::string(name) +
         R"(","args":)" + std::string(args) + R"(,"clientTime":")" + kTime +
         "\"}";
}

std::string Body(std::string_view mutations, std::string_view extra = "") {
  return R"({"clientId":"c-1","mutations":)" + std::string(mutations) +
         std::string(extra) + "}";
}

TEST_SUITE("push decoder") {
  TEST_CASE("the fast decoder reads generated valid requests as the DOM one") {
    RequestGen gen(20261129);
    int accepted = 0;
    plain_accepted = 0;
    for (int i = 0; i < 400; ++i) {
      std::string text = gen.Request();
      REQUIRE(Agree(text));
      if (DecodePushRequestDom(text).ok()) ++accepted;
    }
    // The generator makes valid requests: all must decode. Those without
    // escapes, nested args or floats take the plain path.
    CHECK(accepted == 400);
    CHECK(plain_accepted > 20);
  }

  TEST_CASE("every truncation of a request is refused the same way") {
    RequestGen gen(7);
    for (int i = 0; i < 3; ++i) {
      std::string text = gen.Request(3);
      for (size_t len = 0; len <= text.size(); ++len) {
        REQUIRE(Agree(std::string_view(text).substr(0, len)));
      }
    }
  }

  TEST_CASE("byte flips and deletions give the same result or error") {
    // The two smallest of 40 requests with two mutations, one of them with
    // args beyond strings, so every part of the grammar is mutated in
    // reasonable time.
    RequestGen gen(11);
    std::vector<std::string> texts;
    while (texts.size() < 40) {
      std::string text = gen.Request(2);
      size_t first = text.find("\"clientTime\"");
      if (text.find("\"extra\"") != std::string::npos &&
          first != std::string::npos &&
          text.find("\"clientTime\"", first + 1) != std::string::npos) {
        texts.push_back(std::move(text));
      }
    }
    RequireAgreementUnderEdits(std::move(texts), Agree);
  }

  TEST_CASE("edge cases of JSON and of the grammar decode the same way") {
    const std::string long_string(kMaxStringBytes, 'x');
    auto args = [](std::string_view value) {
      return Body("[" + Mutation(1, "acceptCase", value) + "]");
    };
    std::string many;
    std::string many_bad;
    for (size_t i = 1; i <= kMaxMutationsPerPush + 1; ++i) {
      std::string sep = i > 1 ? "," : "";
      many += sep + Mutation(static_cast<int64_t>(i));
      many_bad += sep + (i == 3 ? "7" : Mutation(static_cast<int64_t>(i)));
    }
    const std::string deep = std::string(17, '[') + std::string(17, ']');
    std::string exactly_max;
    for (size_t i = 1; i <= kMaxMutationsPerPush; ++i) {
      exactly_max += (i > 1 ? "," : "") + Mutation(static_cast<int64_t>(i));
    }
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
        "\xEF\xBB\xBF" + Body("[]"),
        " \xEF\xBB\xBF" + Body("[]"),
        Body("[]") + " x",
        Body("[]") + "\n",
        Body("[]") + "{}",
        Body("[]") + std::string("\0junk", 5),
        Body("[]", R"(,"mutations":[])"),
        Body("[]", R"(,"zeta":1,"alpha":2)"),
        Body("[]", R"(,"x":1e400)"),
        Body("[]", R"(,"x":-1e400)"),
        Body("[]", R"(,"x":1e-400)"),
        Body("[]", R"(,"x":01)"),
        Body("[]", R"(,"x":1.)"),
        Body("[]", R"(,"x":-)"),
        Body("[]", R"(,"x":.5)"),
        Body("[]", R"(,"x":1e)"),
        Body("[]", R"(,"x":tru)"),
        Body("[]", R"(,"x":nul)"),
        Body("[]", R"(,"x":"\ud800")"),
        Body("[]", R"(,"x":"\udc00")"),
        Body("[]", R"(,"x":"\ud800\u0041")"),
        Body("[]", R"(,"x":"\uZZZZ")"),
        Body("[]", R"(,"x":"\a")"),
        Body("[]", ",\"x\":\"a\tb\""),
        Body("[]", R"(,"x":[1,])"),
        Body("[]", R"(,"x":{"a":1,})"),
        Body("[]", R"(,"x":{"a":1,"a":2})"),
        Body("[]", ",\"x\":\"" + long_string + "x\""),
        Body("[]", ",\"" + long_string + "y\":1"),
        Body("[]", ",\"x\":\"" + long_string + "x\" garbage"),
        Body("[]", R"(,"x":{"a":1,"a":2} garbage)"),
        "{\"clientId\":\"c\xC3\"}",
        "{\"clientId\":\"c\xED\xA0\x80\"}",
        "{\"clientId\":\"c\xF4\x90\x80\x80\"}",
        "{\"clientId\":\"\xC0\xAF\"}",
        R"({"clientId":"c","mutations":[]})",
        R"({"clientId":"","mutations":[]})",
        R"({"clientId":"a b","mutations":[]})",
        R"({"clientId":")" + std::string(64, 'a') + R"(","mutations":[]})",
        R"({"clientId":")" + std::string(65, 'a') + R"(","mutations":[]})",
        R"({"clientId":7,"mutations":[]})",
        R"({"clientId":null,"mutations":{}})",
        R"({"mutations":[]})",
        R"({"clientId":"c"})",
        R"({"clientId":"c","mutations":{}})",
        R"({"clientId":"c","mutations":null})",
        R"({"clientId":"c","mutations":[1],"other":2})",
        R"({"mutations":[1],"clientId":"c"})",
        R"({"mutations":[1],"clientId":"c c"})",
        Body("[" + many + "]"),
        Body("[" + many_bad + "]"),
        Body("[" + exactly_max + "]"),
        Body("[" + many + "]", R"(,"clientId":"again")"),
        Body("[" + many + ",]"),
        Body("[1]"),
        Body("[[]]"),
        Body("[" + Mutation(1) + ",2]"),
        Body("[" + Mutation(1) + "," + Mutation(3) + "]"),
        Body("[" + Mutation(2) + "," + Mutation(1) + "]"),
        Body("[" + Mutation(1) + ",7," + Mutation(5) + "]"),
        Body("[" + Mutation(9223372036854775807) + "]"),
        Body(R"([{"id":0,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + "\"}]"),
        Body(R"([{"id":-1,"name":"acceptCase","args":{},"clientTime":"x"}])"),
        Body(R"([{"id":1.0,"name":"acceptCase","args":{},"clientTime":"x"}])"),
        Body(R"([{"id":"1","name":"acceptCase","args":{},"clientTime":"x"}])"),
        Body(R"([{"id":9223372036854775808,"name":"x","args":{}}])"),
        Body(R"([{"id":18446744073709551616,"name":"x","args":{}}])"),
        Body(R"([{"name":"acceptCase","args":{},"clientTime":"x"}])"),
        Body(R"([{"id":1,"args":{},"clientTime":"x"}])"),
        Body(R"([{"id":1,"name":7,"args":{},"clientTime":"x"}])"),
        Body(R"([{"id":1,"name":"deleteCase","args":{},"clientTime":"x"}])"),
        Body(R"([{"id":1,"name":"acceptCase","clientTime":"x"}])"),
        Body(R"([{"id":1,"name":"acceptCase","args":[],"clientTime":"x"}])"),
        Body(R"([{"id":1,"name":"acceptCase","args":null,"clientTime":"x"}])"),
        Body(R"([{"id":1,"name":"acceptCase","args":{}}])"),
        Body(R"([{"id":1,"name":"acceptCase","args":{},"clientTime":5}])"),
        Body(R"([{"id":1,"name":"acceptCase","args":{},"clientTime":"x"}])"),
        Body(R"([{"id":1,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + R"(","zz":1,"b":2}])"),
        Body(R"([{"id":1,"name":"nope","args":{},"extra":1}])"),
        Body(R"([{"\u0069d":1,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + "\"}]"),
        Body(R"([{"id":1,"id":1}])"),
        Body(R"([{"id":1,"name":"x","args":{"a":{"b":1,"b":2}}}])"),
        Body(std::string(15, '[') + std::string(15, ']')),
        Body(std::string(16, '[') + std::string(16, ']')),
        args(R"({"caseId":"c1","n":[1,-2,3.5,-0,-0.0,1e-400,1E2]})"),
        args(
            R"({"caseId":"c1","big":18446744073709551615,"huge":18446744073709551616})"),
        args(
            R"({"caseId":"c1","min":-9223372036854775808,"below":-9223372036854775809})"),
        args(R"({"caseId":"c1","x":{"y":{"z":[null,true,false,{}]}}})"),
        args(R"({"caseId":"\ud83d\ude00\u00e9\/\"","":"empty key"})"),
        args(R"({"caseId":"c1","\u00e9":1,"é":2})"),
        args(R"({"caseId":"c1","s":")" + long_string + "\"}"),
        args(R"({"caseId":"c1","s":")" + long_string + "x\"}"),
        args(R"({"caseId":"c1","s":")" + long_string.substr(1) + R"(\u00e9"})"),
        // Depth: args at level 4 may nest 12 more levels, not 13.
        args("{\"caseId\":\"c1\",\"d\":" + std::string(12, '[') +
             std::string(12, ']') + "}"),
        args("{\"caseId\":\"c1\",\"d\":" + std::string(13, '[') +
             std::string(13, ']') + "}"),
        args("{\"caseId\":\"c1\",\"d\":" + std::string(11, '[') + "{}" +
             std::string(11, ']') + "}"),
        args("{\"caseId\":\"c1\",\"d\":" + std::string(12, '[') + "{}" +
             std::string(12, ']') + "}"),
        // Too deep beats any problem found earlier in the text, and counts
        // brackets after a NUL that ends the document.
        R"({"clientId":tru,"x":)" + deep + "}",
        R"({"clientId":"c","clientId":"d","x":)" + deep + "}",
        "{\"x\":\"" + long_string + "x\",\"y\":" + deep + "}",
        R"({"mutations":[7],"clientId":"c","x":)" + deep + "}",
        R"({"clientId":"c","mutations":[]})" + std::string("\0", 1) + deep,
        R"({"clientId":"c","mutations":[]})" + std::string("\0", 1) +
            std::string(16, '['),
        R"({"clientId":"c","mutations":[]} )" + std::string("\0 ", 2) +
            std::string(17, '{'),
        std::string(17, '['),
        std::string(16, '['),
        R"({"clientId":"c","mutations":[],"x":")" + deep + "\"}",
        R"({"clientId":"c","mutations":[],"x":"\")" + deep + "\"}",
    };
    for (const std::string& text : texts) {
      REQUIRE(Agree(text));
    }
  }

  TEST_CASE("a quote, escape or control is found at every offset of a string") {
    // The scanner reads plain string bytes in blocks (16 bytes with SSE2,
    // else 8): put each kind of byte that ends a run at every offset of
    // strings around those sizes, in a key and in a value, and past it a
    // byte with the high bit set (UTF-8) that must stay plain.
    const std::vector<std::string> specials = {
        "\\\"", "\\\\", "\\n",      "\\u00e9", "\x01",
        "\x1f", "\x7f", "\xc3\xa9", " ",       "\""};
    int accepted = 0;
    for (size_t len = 0; len <= 48; ++len) {
      for (size_t at = 0; at <= len; ++at) {
        for (const std::string& special : specials) {
          std::string s = std::string(at, 'a') + special +
                          std::string(len - at, 'b') + "\xc3\xb1";
          std::string value = Body(
              "[" + Mutation(1, "acceptCase", "{\"caseId\":\"" + s + "\"}") +
              "]");
          std::string key = Body(
              "[" + Mutation(1, "acceptCase", "{\"" + s + "\":\"c1\"}") + "]");
          REQUIRE(Agree(value));
          REQUIRE(Agree(key));
          if (DecodePushRequest(value).ok()) ++accepted;
        }
      }
    }
    // Raw controls and a bare quote are refused; the other seven kinds
    // decode (1,225 strings each).
    CHECK(accepted == 7 * 1225);
  }

  TEST_CASE("plain client requests take the fast path, others the general") {
    auto with = [](std::string_view mutation) {
      return Body("[" + std::string(mutation) + "]");
    };
    const std::string plain_args =
        R"({"caseId":"c-1","priority":2,"neg":-7,"zero":0,"t":true,)"
        R"("f":false,"n":null,"text":"Añadí y €, DEL: )" +
        std::string(1, '\x7f') + R"("})";
    const std::vector<std::string> plain = {
        with(Mutation(1)),
        with(Mutation(3, "setPriority", plain_args)),
        with(Mutation(1, "acceptCase", "{}")),
        with(Mutation(1, "acceptCase", " { \"caseId\" :\t\"c1\"\r\n} ")),
        " \n" + Body("[" + Mutation(7) + " , " + Mutation(8) + "]") + "\n ",
        R"({"mutations":[{"clientTime":")" + std::string(kTime) +
            R"(","args":{"caseId":"c1"},"name":"acceptCase","id":9}],)"
            R"("clientId":"c-1"})",
        Body("[]"),
    };
    for (const std::string& text : plain) {
      CAPTURE(text);
      CHECK(DecodePlainPushRequest(text).has_value());
      CHECK(Agree(text));
    }
    const std::vector<std::string> general = {
        with(Mutation(1, "acceptCase", R"({"caseId":"c\u00e9"})")),
        with(Mutation(1, "acceptCase", R"({"caseId":"c1","x":{"y":1}})")),
        with(Mutation(1, "acceptCase", R"({"caseId":"c1","x":[1]})")),
        with(Mutation(1, "acceptCase", R"({"caseId":"c1","x":1.5})")),
        with(Mutation(1, "acceptCase", R"({"caseId":"c1","x":1e3})")),
        with(Mutation(1, "acceptCase", R"({"caseId":"c1","x":0123})")),
        with(Mutation(1, "acceptCase",
                      R"({"caseId":"c1","x":1234567890123456789})")),
        with(Mutation(1, "acceptCase", R"({"caseId":"c1","caseId":"c2"})")),
        with(Mutation(1, "acceptCase", R"({"caseId":"c1",})")),
        with(Mutation(1, "acceptCase", R"({"caseId":tru})")),
        with(Mutation(1, "nosuchMutation")),
        with(R"({"id":0,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + "\"}"),
        with(R"({"id":01,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + "\"}"),
        with(R"({"id":1,"name":"acceptCase","args":{},"clientTime":"ayer"})"),
        with(R"({"id":1,"name":"acceptCase","args":{}})"),
        with(R"({"id":1,"id":1,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + "\"}"),
        with(R"({"id":1,"name":"acceptCase","args":{},"clientTime":")" +
             std::string(kTime) + R"(","extra":1})"),
        with(R"({"id":1,"name":"acceptCase","args":"x","clientTime":")" +
             std::string(kTime) + "\"}"),
        Body("[" + Mutation(1) + "," + Mutation(3) + "]"),
        Body("[" + Mutation(1) + "]", R"(,"extra":1)"),
        R"({"clientId":"c 1","mutations":[]})",
        R"({"clientId":"c-1","clientId":"c-2","mutations":[]})",
        R"({"clientId":"c-1"})",
        "\xEF\xBB\xBF" + Body("[" + Mutation(1) + "]"),
        Body("[" + Mutation(1) + "]") + "x",
        Body("[" + Mutation(1) + "]").substr(0, 50),
        with(Mutation(1, "acceptCase",
                      R"({"caseId":"c)" + std::string(1, '\x01') + R"("})")),
    };
    for (const std::string& text : general) {
      CAPTURE(text);
      CHECK(!DecodePlainPushRequest(text).has_value());
      CHECK(Agree(text));
      CHECK(Summary(DecodePushRequest(text, ArgsDecoding::kDeferArgs)) ==
            Summary(DecodePushRequestGeneral(text, ArgsDecoding::kDeferArgs)));
    }
  }

  TEST_CASE("args keep the Json types nlohmann's parser gives them") {
    Result<PushRequest> r = DecodePushRequest(Body(
        "[" +
        Mutation(4, "setPriority",
                 R"({"caseId":"k\u00e9","priority":2,"neg":-3,"zero":-0,)"
                 R"("f":2.5,"big":18446744073709551616,"list":[true,null]})") +
        "]"));
    REQUIRE(r.ok());
    REQUIRE(r->mutations.size() == 1);
    const MutationRecord& m = r->mutations[0];
    CHECK(m.id == 4);
    CHECK(m.name == "setPriority");
    CHECK(m.client_time == kTime);
    REQUIRE(m.args.is_object());
    CHECK(m.args["caseId"] == "ké");
    CHECK(m.args["priority"].is_number_unsigned());
    CHECK(m.args["neg"].is_number_integer());
    CHECK(!m.args["neg"].is_number_unsigned());
    CHECK(m.args["neg"].get<int64_t>() == -3);
    CHECK(!m.args["zero"].is_number_unsigned());
    CHECK(m.args["f"].is_number_float());
    CHECK(m.args["big"].is_number_float());
    CHECK(m.args["list"] == Json::array({true, nullptr}));
  }

  TEST_CASE("past the mutation limit the count is refused, not a bad element") {
    std::string text = "[7";
    for (size_t i = 2; i <= kMaxMutationsPerPush + 1; ++i) text += ",7";
    Result<PushRequest> r = DecodePushRequest(Body(text + "]"));
    REQUIRE(!r.ok());
    CHECK(r.status().code() == ErrorCode::kPayloadTooLarge);
    CHECK(r.status().message() ==
          "mutations: 1001 mutations, over the limit of 1000");
  }
}

}  // namespace
}  // namespace casesync
