// libFuzzer target: the fast push-request decoder (DecodePushRequest)
// against the DOM decoder it replaced (DecodePushRequestDom) on arbitrary
// bytes. Both must refuse the same inputs with the same code and message, and
// accept the same inputs with the same request, args of the same Json types;
// so must the fast decoder when it defers args as text (the server's way),
// once ArgsTree builds them. With deferred args, the plain path for client
// requests must, whenever it reads an input, give exactly what the general
// reader gives: the args' text and index included.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "casesync/protocol.h"
#include "differential_support.h"

namespace {

using casesync::Json;
using casesync::fuzz::Require;
using casesync::fuzz::SameStatus;

// Equal values of equal types, node by node (Json's == takes an unsigned 1
// and a signed 1 as equal).
bool SameTyped(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key() || !SameTyped(ia.value(), ib.value())) {
        return false;
      }
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameTyped(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto dom = casesync::DecodePushRequestDom(text);
  for (auto mode : {casesync::ArgsDecoding::kBuildTree,
                    casesync::ArgsDecoding::kDeferArgs}) {
    auto fast = casesync::DecodePushRequest(text, mode);
    Require(SameStatus(fast.status(), dom.status()), "same status");
    if (!dom.ok()) continue;
    Require(fast->client_id == dom->client_id, "same client id");
    Require(fast->mutations.size() == dom->mutations.size(), "same count");
    for (size_t i = 0; i < dom->mutations.size(); ++i) {
      const casesync::MutationRecord& want = dom->mutations[i];
      const casesync::MutationRecord& got = fast->mutations[i];
      Require(got.id == want.id && got.name == want.name &&
                  got.client_time == want.client_time,
              "same mutation");
      Json storage;
      Require(SameTyped(casesync::ArgsTree(got, &storage), want.args),
              "same args");
      Require((mode == casesync::ArgsDecoding::kDeferArgs) ==
                  !got.args_text.empty(),
              "args deferred only when asked");
      // The index of deferred args names every member once, at the right
      // place: keys as the tree has them, unescaped strings as their value.
      if (!got.args_index.empty()) {
        Require(got.args_index.size() == want.args.size(), "index complete");
        for (const casesync::ArgsMemberIndex& e : got.args_index) {
          std::string key = got.args_text.substr(e.key_offset, e.key_size);
          Require(want.args.contains(key), "indexed key");
          const Json& value = want.args[key];
          if (value.is_string() && !e.escaped) {
            Require(value.get<std::string>() ==
                        got.args_text.substr(e.value_offset, e.value_size),
                    "indexed string");
          }
        }
      }
    }
  }
  if (auto plain = casesync::DecodePlainPushRequest(text)) {
    auto general = casesync::DecodePushRequestGeneral(
        text, casesync::ArgsDecoding::kDeferArgs);
    Require(general.ok(), "the plain path reads only what the general does");
    Require(plain->client_id == general->client_id &&
                plain->mutations.size() == general->mutations.size(),
            "plain: same request");
    for (size_t i = 0; i < plain->mutations.size(); ++i) {
      const casesync::MutationRecord& a = plain->mutations[i];
      const casesync::MutationRecord& b = general->mutations[i];
      Require(a.id == b.id && a.name == b.name &&
                  a.client_time == b.client_time &&
                  a.args_text == b.args_text && a.args_index == b.args_index &&
                  a.args.is_null() && b.args.is_null(),
              "plain: same mutation");
    }
  }
  return 0;
}
