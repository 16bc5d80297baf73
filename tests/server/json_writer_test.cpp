// The pull's JSON writer (server/src/json_writer.h): what it writes must be
// what DumpJson writes for the same value, and must parse back to it.
#include "json_writer.h"

#include <doctest/doctest.h>

#include <string>

#include "casesync/protocol.h"

namespace casesync::server {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST_SUITE("json writer") {
  TEST_CASE("strings are escaped exactly as DumpJson escapes them") {
    std::string all_controls;
    for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
    const std::string samples[] = {
        "",
        "plain ascii 123",
        "comillas \"dobles\" y \\barra\\ invertida / slash",
        "línea 1\nlínea 2\r\n\ttab\bback\fform",
        all_controls,
        std::string("nul \0 inside", 12),
        "del \x7f stays",
        "Facturación electrónica — ñandú, 日本語, emoji 😀",
        "</script><!-- 'single' -->",
    };
    for (const std::string& s : samples) {
      CAPTURE(s);
      std::string mine = Quoted(s);
      CHECK(mine == DumpJson(Json(s)));
      auto back = ParseJson(mine);
      REQUIRE(back.ok());
      CHECK(back->get<std::string>() == s);
    }
    CHECK(Quoted(std::string("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
  }

  TEST_CASE("invalid UTF-8 becomes U+FFFD and the output stays valid JSON") {
    const std::string samples[] = {
        "\xff",                // never a UTF-8 byte
        "a\xc3",               // cut short at the end
        "\xc3(b",              // bad continuation
        "\xe2\x82(x",          // cut short inside a 3-byte sequence
        "\xc0\xaf",            // overlong
        "\xed\xa0\x80",        // a surrogate
        "\xf4\x90\x80\x80",    // above U+10FFFF
        "ok \xe2\x82\xac end"  // valid (euro sign), for contrast
    };
    for (const std::string& s : samples) {
      CAPTURE(s);
      std::string mine = Quoted(s);
      auto back = ParseJson(mine);
      REQUIRE_MESSAGE(back.ok(), back.status().ToString());
      CHECK(mine == DumpJson(Json(s)));
    }
    CHECK(Quoted("\xff") == "\"\xEF\xBF\xBD\"");
    CHECK(Quoted("\xc3(b") == "\"\xEF\xBF\xBD(b\"");
  }

  TEST_CASE("an object with sorted keys matches DumpJson byte for byte") {
    std::string out;
    JsonObjectWriter(out)
        .Bool("active", true)
        .String("id", "svc-\"x\"")
        .Int("n", -42)
        .StringOrNull("parentId", "")
        .StringOrNull("parentId2", "p-1")
        .Raw("raw", "[\"a\",\"b\"]")
        .End();
    Json expected = {{"active", true},     {"id", "svc-\"x\""},
                     {"n", -42},           {"parentId", nullptr},
                     {"parentId2", "p-1"}, {"raw", Json{"a", "b"}}};
    CHECK(out == DumpJson(expected));
    std::string empty;
    JsonObjectWriter(empty).End();
    CHECK(empty == "{}");
  }
}

}  // namespace
}  // namespace casesync::server
