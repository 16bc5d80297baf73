// libFuzzer target: a client Replica (in-memory SQLite) fed a sequence of
// operations decoded from the input — pull responses (any bytes, decoded by
// DecodePullResponse), mutations, push acknowledgements. Must never crash,
// leak or hit undefined behaviour, and after every operation:
//   - the outbox ids are consecutive, above last_mutation_id, and end at
//     next_mutation_id - 1;
//   - NextPush returns consecutive ids;
//   - a refused ApplyPull or Mutate changes nothing;
//   - the reads (ListCases, CountByState, ListRejections, ListDrafts) work.
//
// Input: chunks separated by a NUL byte. A chunk starting with 'M' is a
// mutation {"name":…, "args":…}; 'A' then digits acknowledges a push; 'U'
// switches to another user; anything else is a pull response body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "casesync/protocol.h"
#include "casesync/replica.h"

namespace {

using casesync::Json;

void Require(bool cond, const char* what) {
  if (!cond) {
    __builtin_printf("invariant broken: %s\n", what);
    std::abort();
  }
}

constexpr const char* kNow = "2026-11-29T10:00:00.000Z";

// Everything a failed operation must leave as it was.
std::string Fingerprint(casesync::Replica& r) {
  auto s = r.db().Prepare(
      "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM comments), "
      "(SELECT count(*) FROM outbox), (SELECT count(*) FROM rejections), "
      "(SELECT count(*) FROM drafts), (SELECT count(*) FROM catalog), "
      "(SELECT count(*) FROM users), (SELECT count(*) FROM opt_cases), "
      "(SELECT group_concat(key || '=' || value, ';') FROM meta)");
  Require(s.ok(), "fingerprint prepare");
  casesync::StatementScope scope(**s);
  auto row = (*s)->Step();
  Require(row.ok() && *row, "fingerprint step");
  std::string out;
  for (int i = 0; i < 9; ++i) out += (*s)->ColumnText(i) + "|";
  return out;
}

void CheckOutbox(casesync::Replica& r) {
  auto st = r.GetSyncState();
  Require(st.ok(), "GetSyncState");
  auto s = r.db().Prepare("SELECT id FROM outbox ORDER BY id");
  Require(s.ok(), "outbox prepare");
  std::vector<int64_t> ids;
  {
    casesync::StatementScope scope(**s);
    while (true) {
      auto row = (*s)->Step();
      Require(row.ok(), "outbox step");
      if (!*row) break;
      ids.push_back((*s)->ColumnInt(0));
    }
  }
  for (size_t i = 1; i < ids.size(); ++i) {
    Require(ids[i] == ids[i - 1] + 1, "outbox ids consecutive");
  }
  if (!ids.empty()) {
    Require(ids.front() > st->last_mutation_id, "outbox above confirmed");
    Require(ids.back() == st->next_mutation_id - 1, "outbox ends at next-1");
  }
  Require(st->pending == static_cast<int64_t>(ids.size()), "pending count");
  auto push = r.NextPush();
  Require(push.ok(), "NextPush");
  for (size_t i = 1; i < push->mutations.size(); ++i) {
    Require(push->mutations[i].id == push->mutations[i - 1].id + 1,
            "push ids consecutive");
  }
  Require(r.ListCases({}).ok(), "ListCases");
  Require(r.CountByState().ok(), "CountByState");
  Require(r.ListRejections().ok(), "ListRejections");
  Require(r.ListDrafts().ok(), "ListDrafts");
  Require(r.ListCatalog().ok(), "ListCatalog");
}

const casesync::Actor kActors[] = {
    {"u-ana", "acc-a", casesync::Role::kCustomer},
    {"u-alba", "acc-a", casesync::Role::kCustomerAdmin},
    {"u-agent", "acc-desk", casesync::Role::kAgent},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  casesync::OpenOptions options;
  options.journal_mode = "MEMORY";
  options.synchronous = "OFF";
  auto opened = casesync::Replica::Open(":memory:", "fuzz-client", options);
  Require(opened.ok(), "open");
  std::unique_ptr<casesync::Replica> r = std::move(*opened);
  Require(r->SetActor(kActors[0]).ok(), "SetActor");
  int user_switches = 0;

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    size_t end = input.find('\0');
    std::string_view chunk = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view()
                                          : input.substr(end + 1);
    std::string before = Fingerprint(*r);
    if (!chunk.empty() && chunk[0] == 'M') {
      auto j = casesync::ParseJson(chunk.substr(1));
      if (!j.ok() || !j->is_object()) continue;
      auto name = j->find("name");
      auto args = j->find("args");
      if (name == j->end() || !name->is_string() || args == j->end()) continue;
      auto id = r->Mutate(name->get<std::string>(), *args, kNow);
      if (!id.ok()) Require(Fingerprint(*r) == before, "refused Mutate");
    } else if (!chunk.empty() && chunk[0] == 'A') {
      int64_t n = 0;
      for (char c : chunk.substr(1, 9)) {
        if (c >= '0' && c <= '9') n = n * 10 + (c - '0');
      }
      Require(r->AcknowledgePush(n).ok(), "AcknowledgePush");
    } else if (!chunk.empty() && chunk[0] == 'U') {
      const casesync::Actor& next = kActors[(chunk.size() - 1) % 3];
      std::string fresh = "fuzz-client-" + std::to_string(++user_switches);
      Require(r->SetActor(next, fresh).ok(), "SetActor switch");
    } else {
      // Both row forms: Json rows, and rows decoded by the fast decoder as
      // the sync engine asks for them (their errors surface in ApplyPull).
      auto pull = casesync::DecodePullResponse(
          chunk, chunk.size() % 2 == 0 ? casesync::PullRows::kTyped
                                       : casesync::PullRows::kJson);
      if (!pull.ok()) continue;
      casesync::Status st = r->ApplyPull(*pull, kNow);
      if (!st.ok()) {
        Require(st.code() != casesync::ErrorCode::kStorage ||
                    st.message().find("constraint") == std::string::npos,
                "ApplyPull storage constraint error");
        Require(Fingerprint(*r) == before, "refused ApplyPull changed state");
      }
    }
    CheckOutbox(*r);
  }
  return 0;
}
