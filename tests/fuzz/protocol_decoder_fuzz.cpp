// libFuzzer target: every decoder of the sync protocol (protocol.h) and
// ParseJson on arbitrary bytes. Decoders must never crash, leak or hit
// undefined behaviour, and whatever decodes must survive a round trip:
// decode(encode(x)) succeeds and encodes to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "casesync/protocol.h"

namespace {

using casesync::Json;

// Aborts (a finding) when `cond` is false.
void Require(bool cond, const char* what) {
  if (!cond) {
    __builtin_printf("invariant broken: %s\n", what);
    std::abort();
  }
}

template <typename T, typename Decode, typename Encode>
void RoundTrip(std::string_view text, Decode decode, Encode encode,
               const char* what) {
  casesync::Result<T> first = decode(text);
  if (!first.ok()) return;
  std::string once = encode(*first);
  casesync::Result<T> second = decode(once);
  Require(second.ok(), what);
  Require(encode(*second) == once, what);
}

void RowCodecs(const Json& j) {
  // Each row codec on any JSON value; a decoded row re-encodes and decodes.
  if (auto c = casesync::CaseFromJson(j); c.ok()) {
    auto again = casesync::CaseFromJson(casesync::CaseToJson(*c));
    Require(again.ok() && *again == *c, "case row round trip");
  }
  if (auto c = casesync::CommentFromJson(j); c.ok()) {
    auto again = casesync::CommentFromJson(casesync::CommentToJson(*c));
    Require(again.ok() && *again == *c, "comment row round trip");
  }
  (void)casesync::CatalogItemFromJson(j);
  (void)casesync::UserFromJson(j);
  (void)casesync::AccountFromJson(j);
  if (auto m = casesync::MutationFromJson(j); m.ok()) {
    auto again = casesync::MutationFromJson(casesync::MutationToJson(*m));
    Require(again.ok(), "mutation round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  RoundTrip<casesync::PushRequest>(
      text, [](std::string_view t) { return casesync::DecodePushRequest(t); },
      [](const auto& r) { return casesync::EncodePushRequest(r); },
      "push request round trip");
  RoundTrip<casesync::PushResponse>(
      text, casesync::DecodePushResponse,
      [](const auto& r) { return casesync::EncodePushResponse(r); },
      "push response round trip");
  RoundTrip<casesync::PullRequest>(
      text, casesync::DecodePullRequest,
      [](const auto& r) { return casesync::EncodePullRequest(r); },
      "pull request round trip");
  RoundTrip<casesync::PullResponse>(
      text, [](std::string_view t) { return casesync::DecodePullResponse(t); },
      [](const auto& r) { return casesync::EncodePullResponse(r); },
      "pull response round trip");
  RoundTrip<casesync::PokeResponse>(
      text, casesync::DecodePokeResponse,
      [](const auto& r) { return casesync::EncodePokeResponse(r); },
      "poke response round trip");

  casesync::Status err = casesync::DecodeError(text);
  (void)casesync::EncodeError(err);

  // A small limit exercises the size check; the default the rest.
  (void)casesync::ParseJson(text, 64);
  casesync::Result<Json> j = casesync::ParseJson(text);
  if (j.ok()) {
    std::string dumped = casesync::DumpJson(*j);
    Require(casesync::ParseJson(dumped).ok(), "DumpJson output parses");
    RowCodecs(*j);
    if (j->is_array() || j->is_object()) {
      for (const Json& element : *j) RowCodecs(element);
    }
  }
  return 0;
}
