// casesync_core_module (wasm only): the core + SQLite as one browser module,
// built to measure what the browser downloads (issue 2: <= 1.2 MB raw and
// <= 450 KB gzip). Not the web app's module: just one exported C entry that
// reaches the client-facing API, so that the linker keeps everything a web
// client calls and drops the rest. tools/bench/run prints its size.
#include <emscripten/emscripten.h>

#include <string>

#include "casesync/catalog.h"
#include "casesync/domain.h"
#include "casesync/lifecycle.h"
#include "casesync/mutation.h"
#include "casesync/protocol.h"
#include "casesync/replica.h"
#include "casesync/status.h"
#include "casesync/validation.h"

namespace casesync {
namespace {

// Touches every call a web client makes; `op` picks one at run time so that
// none can be proven dead. Returns an ErrorCode as int.
int Probe(int op, const std::string& path, const std::string& text) {
  auto opened = Replica::Open(path, "probe", OpenOptions{.journal_mode = ""});
  if (!opened.ok()) return static_cast<int>(opened.status().code());
  Replica& r = **opened;
  const std::string now = "2026-11-29T10:00:00.000Z";
  auto json = ParseJson(text);
  Json args = json.ok() ? *json : Json::object();
  Status st;
  switch (op) {
    case 0: {
      auto pull = DecodePullResponse(text, PullRows::kTyped);
      st = pull.ok() ? r.ApplyPull(*pull, now) : pull.status();
      break;
    }
    case 1:
      st = r.Mutate(text.substr(0, 16), args, now).status();
      break;
    case 2:
      st = r.ListCases(CaseQuery{.search = text, .limit = 50}).status();
      break;
    case 3:
      st = r.SetActor(Actor{"u", "a", Role::kCustomer}, text);
      break;
    case 4: {
      auto push = r.NextPush();
      if (push.ok()) (void)EncodePushRequest(*push);
      auto reply = DecodePushResponse(text);
      st = reply.ok() ? r.AcknowledgePush(reply->last_mutation_id)
                      : reply.status();
      break;
    }
    case 5: {
      auto pull = r.NextPull();
      if (pull.ok()) (void)EncodePullRequest(*pull);
      st = DecodePokeResponse(text).status();
      break;
    }
    case 6:
      st = r.GetCase(text).status();
      if (st.ok()) st = r.ListComments(text).status();
      if (st.ok()) st = r.CountByState().status();
      break;
    case 7:
      st = r.ListCatalog().status();
      if (st.ok()) st = r.FindUser(text).status();
      if (st.ok()) st = r.FindAccount(text).status();
      if (st.ok()) st = r.GetSyncState().status();
      if (st.ok()) st = r.GetActor().status();
      break;
    case 8:
      st = r.SaveDraft(Draft{"new-case", "case", args, now});
      if (st.ok()) st = r.LoadDraft(text).status();
      if (st.ok()) st = r.ListDrafts().status();
      if (st.ok()) st = r.DeleteDraft(text);
      break;
    case 9:
      st = r.ListRejections().status();
      if (st.ok()) st = r.DismissRejection(1);
      break;
    case 10:
      st = r.SetMeta("session", text);
      if (st.ok()) st = r.GetMeta("session").status();
      break;
    case 11: {
      // The form validates before queueing; the UI shows labels and errors.
      auto errors = ValidateCreateCaseArgs(args, r.catalog());
      st = ValidationStatus(errors);
      if (st.ok()) st = DecodeError(text);
      if (text.empty()) {
        std::string labels = CaseStateLabelEs(CaseState::kOpen);
        labels += PriorityLabelEs(static_cast<int>(args.size()));
        labels += std::to_string(TransitionTable().size());
        st = Status(ErrorCode::kInternal, labels);
      }
      break;
    }
    default:
      st = Status(ErrorCode::kInvalidRequest, EncodeError(st));
  }
  return static_cast<int>(st.code());
}

}  // namespace
}  // namespace casesync

extern "C" EMSCRIPTEN_KEEPALIVE int casesync_module_probe(int op,
                                                          const char* path,
                                                          const char* text) {
  return casesync::Probe(op, path, text);
}
