// A writer of JSON text by hand for the decoder tests (pull_decoder_test,
// push_decoder_test): not by an encoder, so that texts have keys in any
// order, random whitespace, strings with escapes, surrogate pairs and 1- to
// 4-byte UTF-8. Deterministic for a seed.
#ifndef CASESYNC_TESTS_CORE_JSON_TEXT_GEN_H_
#define CASESYNC_TESTS_CORE_JSON_TEXT_GEN_H_

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace casesync {

class JsonTextGen {
 public:
  explicit JsonTextGen(uint32_t seed) : rng_(seed) {}

 protected:
  int Pick(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }

  std::string Ws() {
    static const char* kWs[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    return kWs[Pick(0, 6)];
  }

  std::string Member(std::string_view key, const std::string& value) {
    return Ws() + Str(std::string(key)) + Ws() + ":" + Ws() + value;
  }

  // Members in a random order.
  std::string Object(std::vector<std::string> members) {
    std::shuffle(members.begin(), members.end(), rng_);
    std::string out = "{";
    for (size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += ",";
      out += members[i];
    }
    return out + Ws() + "}";
  }

  // A JSON string literal for `s`, escaping some characters at random.
  std::string Str(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        static const char* kHex = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else if (c == '/' && Pick(0, 1)) {
        out += "\\/";
      } else if (c < 0x80 && Pick(0, 30) == 0) {
        static const char* kHex = "0123456789ABCDEF";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  }

  // Random text: ASCII, accents, ñ, CJK, emoji (4-byte), some controls,
  // and a few escape-only forms.
  std::string Text(int max_chars) {
    static const char* kPieces[] = {
        "a", "Z", "7",  " ",  "/", "\"", "\\",   "\n",   "\t", "é", "ñ", "Ñ",
        "ü", "€", "中", "文", "😀", "𝄞",  "\x01", "\x1f", "-",  "_", ".", ":",
    };
    std::string out;
    int n = Pick(0, max_chars);
    for (int i = 0; i < n; ++i) out += kPieces[Pick(0, 23)];
    return out;
  }

  // A string literal with \u escapes, surrogate pairs included.
  std::string EscapedLiteral() {
    static const char* kLiterals[] = {
        R"("\u00e9t\u00E9")", R"("\ud83d\ude00 ok")",  R"("\uD834\uDD1E")",
        R"("a\u0000b")",      R"("\b\f\n\r\t\/\\\"")", R"("\u4e2d\u6587")",
    };
    return kLiterals[Pick(0, 5)];
  }

  std::string StringValue(int max_chars) {
    return Pick(0, 5) == 0 ? EscapedLiteral() : Str(Text(max_chars));
  }

  std::string Id() { return Str("id-" + std::to_string(Pick(1, 1000000))); }

  std::mt19937 rng_;
};

// Bytes that change the meaning of JSON text, invalid UTF-8 included: what
// the decoder tests put in place of each byte of a text.
inline const std::string kMeaningfulBytes =
    std::string("\"\\{}[],:0-.eEtnu x\x01\x7f", 22) + "\x80\xC3\xFF\xF0";

// The `n` shortest of `texts` (all of them when there are fewer).
inline std::vector<std::string> Shortest(std::vector<std::string> texts,
                                         size_t n) {
  std::sort(texts.begin(), texts.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() < b.size();
            });
  if (texts.size() > n) texts.resize(n);
  return texts;
}

// Calls check(mutated, pos, byte) for `text` with the byte at each position
// deleted (byte -1) and replaced by each of kMeaningfulBytes that differs
// from it (byte 0–255).
template <class Check>
void ForEachDeletionAndFlip(const std::string& text, Check check) {
  for (size_t pos = 0; pos < text.size(); ++pos) {
    std::string deleted = text;
    deleted.erase(pos, 1);
    check(deleted, pos, -1);
    for (char b : kMeaningfulBytes) {
      if (text[pos] == b) continue;
      std::string flipped = text;
      flipped[pos] = b;
      check(flipped, pos, int(static_cast<unsigned char>(b)));
    }
  }
}

// For the differential decoder tests: `agree(text)` (both decoders give the
// same result or the same error) holds for every deletion and flip of the
// two shortest of `texts`.
template <class Agree>
void RequireAgreementUnderEdits(std::vector<std::string> texts, Agree agree) {
  for (const std::string& text : Shortest(std::move(texts), 2)) {
    ForEachDeletionAndFlip(text, [&](const std::string& mutated, size_t pos,
                                     int byte) {
      INFO("at ", pos, " byte ", byte,
           " (-1: deleted) near: ", text.substr(pos > 30 ? pos - 30 : 0, 60));
      REQUIRE(agree(mutated));
    });
  }
}

}  // namespace casesync

#endif  // CASESYNC_TESTS_CORE_JSON_TEXT_GEN_H_
