// libFuzzer target: the fast pull-response decoder (DecodePullResponse)
// against the DOM decoder it replaced (DecodePullResponseDom) on arbitrary
// bytes. Both must refuse the same inputs with the same code and message, and
// accept the same inputs with the same response; with PullRows::kTyped each
// put must carry what the row decoder makes of the DOM decoder's row.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "casesync/protocol.h"
#include "differential_support.h"

namespace {

using casesync::Json;
using casesync::PatchOp;
using casesync::Status;
using casesync::fuzz::Require;
using casesync::fuzz::SameStatus;

// The row a typed put carries, as Json text, or its error.
std::string Typed(const PatchOp& op) {
  if (const Status* s = std::get_if<Status>(&op.decoded)) {
    return "error " + s->ToString();
  }
  if (const auto* c = std::get_if<casesync::Case>(&op.decoded)) {
    return casesync::DumpJson(casesync::CaseToJson(*c));
  }
  if (const auto* c = std::get_if<casesync::Comment>(&op.decoded)) {
    return casesync::DumpJson(casesync::CommentToJson(*c));
  }
  if (const auto* c = std::get_if<casesync::CatalogItem>(&op.decoded)) {
    return casesync::DumpJson(casesync::CatalogItemToJson(*c));
  }
  if (const auto* u = std::get_if<casesync::User>(&op.decoded)) {
    return casesync::DumpJson(casesync::UserToJson(*u));
  }
  if (const auto* a = std::get_if<casesync::Account>(&op.decoded)) {
    return casesync::DumpJson(casesync::AccountToJson(*a));
  }
  return "none";
}

// What a row decoder makes of the DOM decoder's row, in Typed's form.
template <typename Decode, typename Encode>
std::string FromDom(const Json& row, Decode decode, Encode encode) {
  auto r = decode(row);
  if (!r.ok()) return "error " + r.status().ToString();
  return casesync::DumpJson(encode(*r));
}

std::string FromDom(const PatchOp& op) {
  if (op.table == casesync::kTableCases) {
    return FromDom(
        op.row, [](const Json& j) { return casesync::CaseFromJson(j); },
        [](const auto& v) { return casesync::CaseToJson(v); });
  }
  if (op.table == casesync::kTableComments) {
    return FromDom(
        op.row, [](const Json& j) { return casesync::CommentFromJson(j); },
        [](const auto& v) { return casesync::CommentToJson(v); });
  }
  if (op.table == casesync::kTableCatalog) {
    return FromDom(
        op.row, [](const Json& j) { return casesync::CatalogItemFromJson(j); },
        [](const auto& v) { return casesync::CatalogItemToJson(v); });
  }
  if (op.table == casesync::kTableUsers) {
    return FromDom(
        op.row, [](const Json& j) { return casesync::UserFromJson(j); },
        [](const auto& v) { return casesync::UserToJson(v); });
  }
  return FromDom(
      op.row, [](const Json& j) { return casesync::AccountFromJson(j); },
      [](const auto& v) { return casesync::AccountToJson(v); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto dom = casesync::DecodePullResponseDom(text);
  auto fast = casesync::DecodePullResponse(text);
  auto typed = casesync::DecodePullResponse(text, casesync::PullRows::kTyped);
  Require(SameStatus(fast.status(), dom.status()), "same status (json)");
  Require(SameStatus(typed.status(), dom.status()), "same status (typed)");
  if (!dom.ok()) return 0;
  Require(
      casesync::EncodePullResponse(*fast) == casesync::EncodePullResponse(*dom),
      "same response (json)");
  Require(typed->cursor == dom->cursor &&
              typed->last_mutation_id == dom->last_mutation_id &&
              typed->more == dom->more &&
              typed->patch.size() == dom->patch.size() &&
              typed->rejections.size() == dom->rejections.size(),
          "same response (typed)");
  for (size_t i = 0; i < dom->patch.size(); ++i) {
    const PatchOp& want = dom->patch[i];
    const PatchOp& got = typed->patch[i];
    Require(got.op == want.op && got.table == want.table, "same op (typed)");
    if (want.op == casesync::PatchOpKind::kPut) {
      Require(Typed(got) == FromDom(want), "same typed row");
    } else {
      Require(got.row == want.row, "same row (typed del/clear)");
    }
  }
  return 0;
}
