#include "casesync/sync_engine.h"

#include <algorithm>
#include <string>
#include <utility>

namespace casesync {
namespace {

// A server that keeps answering mutation_gap after we resent what it asked
// for is broken; stop after this many rewinds in a row.
constexpr int kMaxGapRewinds = 3;

bool IsTransientStatus(int http_status) {
  return http_status == 408 || http_status == 429 || http_status >= 500;
}

// error.expectedId of a mutation_gap body; nullopt if absent.
std::optional<int64_t> ExpectedIdOf(std::string_view body) {
  Result<Json> j = ParseJson(body);
  if (!j.ok() || !j->is_object()) return std::nullopt;
  auto e = j->find("error");
  if (e == j->end() || !e->is_object()) return std::nullopt;
  auto id = e->find("expectedId");
  if (id == e->end() || !id->is_number_integer()) return std::nullopt;
  return id->get<int64_t>();
}

// The Status an error answer carries (the HTTP status when the body is not
// an error body, e.g. a proxy's HTML page).
Status ErrorOf(int http_status, std::string_view body) {
  Status s = DecodeError(body);
  if (s.code() == ErrorCode::kInvalidRequest &&
      s.message().rfind("not an error body", 0) == 0) {
    return Status(IsTransientStatus(http_status) ? ErrorCode::kUnavailable
                                                 : ErrorCode::kInternal,
                  "HTTP " + std::to_string(http_status));
  }
  if (s.ok()) {
    return Status(ErrorCode::kInternal, "HTTP " + std::to_string(http_status));
  }
  return s;
}

}  // namespace

const char* SyncPhaseName(SyncPhase p) {
  switch (p) {
    case SyncPhase::kIdle:
      return "idle";
    case SyncPhase::kPushing:
      return "pushing";
    case SyncPhase::kPulling:
      return "pulling";
    case SyncPhase::kWatching:
      return "watching";
    case SyncPhase::kBackingOff:
      return "backing_off";
    case SyncPhase::kOffline:
      return "offline";
    case SyncPhase::kNeedsSignIn:
      return "needs_sign_in";
    case SyncPhase::kBlocked:
      return "blocked";
  }
  return "?";
}

const char* ConnectivityName(Connectivity c) {
  switch (c) {
    case Connectivity::kUnknown:
      return "unknown";
    case Connectivity::kOnline:
      return "online";
    case Connectivity::kOffline:
      return "offline";
  }
  return "?";
}

int64_t BackoffDelayMs(const SyncOptions& options, int attempt,
                       uint64_t random) {
  int64_t base = std::max<int64_t>(1, options.backoff_base_ms);
  int64_t cap = std::max(base, options.backoff_max_ms);
  int64_t d = base;
  for (int i = 1; i < attempt && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  int64_t half = d / 2;
  return half +
         static_cast<int64_t>(random % static_cast<uint64_t>(d - half + 1));
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

SyncEngine::SyncEngine(Replica& replica, SyncOptions options)
    : replica_(replica),
      options_(options),
      push_batch_(std::clamp<size_t>(options.max_push_batch, 1,
                                     kMaxMutationsPerPush)) {}

void SyncEngine::Start() {
  phase_ = SyncPhase::kPushing;
  due_ = Due::kPush;
  in_flight_ = Due::kNone;
  orphan_ = false;
  staged_.reset();
  prefetch_.reset();
  retry_ = Due::kNone;
  attempts_ = 0;
  gap_rewinds_ = 0;
  push_blocked_ = false;
  last_error_ = Status::Ok();
  progress_ = SyncProgress();
}

Result<SyncStep> SyncEngine::Next(uint64_t random) {
  if (in_flight_ != Due::kNone) {
    return Status(ErrorCode::kInvalidRequest,
                  "the last request has not been answered yet");
  }
  if (phase_ == SyncPhase::kBackingOff) {
    SyncStep step;
    step.kind = SyncStep::Kind::kWait;
    step.wait_ms = BackoffDelayMs(options_, attempts_, random);
    due_ = retry_;
    retry_ = Due::kNone;
    phase_ = due_ == Due::kPoke ? SyncPhase::kWatching : SyncPhase::kPushing;
    return step;
  }
  switch (due_) {
    case Due::kNone:
      return SyncStep{};
    case Due::kPush:
      return NextPush();
    case Due::kPull:
      return NextPull();
    case Due::kPoke:
      return NextPoke();
  }
  return SyncStep{};
}

Result<SyncStep> SyncEngine::NextPush() {
  if (!push_blocked_) {
    CASESYNC_ASSIGN_OR_RETURN(PushRequest push, replica_.NextPush(push_batch_));
    if (!push.mutations.empty()) {
      phase_ = SyncPhase::kPushing;
      push_first_ = push.mutations.front().id;
      push_last_ = push.mutations.back().id;
      in_flight_ = Due::kPush;
      request_client_ = push.client_id;
      SyncStep step;
      step.kind = SyncStep::Kind::kRequest;
      step.request.path = kPushPath;
      step.request.body = EncodePushRequest(push);
      return step;
    }
  }
  due_ = Due::kPull;
  return NextPull();
}

Result<SyncStep> SyncEngine::NextPull() {
  CASESYNC_ASSIGN_OR_RETURN(PullRequest pull, replica_.NextPull());
  pull_cursor_ = pull.cursor;
  phase_ = SyncPhase::kPulling;
  in_flight_ = Due::kPull;
  request_client_ = pull.client_id;
  SyncStep step;
  step.kind = SyncStep::Kind::kRequest;
  step.request.path = kPullPath;
  step.request.body = EncodePullRequest(pull);
  return step;
}

Result<SyncStep> SyncEngine::NextPoke() {
  CASESYNC_ASSIGN_OR_RETURN(SyncState st, replica_.GetSyncState());
  if (!st.cursor) {  // never pulled: nothing to wait on yet
    due_ = Due::kPush;
    return NextPush();
  }
  if (phase_ != SyncPhase::kBlocked) phase_ = SyncPhase::kWatching;
  in_flight_ = Due::kPoke;
  request_client_ = st.client_id;
  SyncStep step;
  step.kind = SyncStep::Kind::kRequest;
  step.request.method = SyncRequest::Method::kGet;
  step.request.path =
      std::string(kPokePath) + "?cursor=" + PercentEncode(*st.cursor);
  return step;
}

Status SyncEngine::OnResponse(int http_status, std::string_view body,
                              std::string_view now) {
  if (staged_) {
    // The caller did not store the page before this answer came: in order
    // (ApplyStaged drops a page of another client, and this answer goes
    // below).
    Status stored = ApplyStaged(now);
    if (!stored.ok()) {
      in_flight_ = Due::kNone;
      orphan_ = false;
      return stored;
    }
  }
  prefetch_.reset();
  Due what = in_flight_;
  if (what == Due::kNone) {
    return Status(ErrorCode::kInvalidRequest, "no request in flight");
  }
  // Read once here for the handlers below. The replica may have been handed
  // to someone else (another user signed in on this device: a fresh
  // clientId) while the request travelled: the answer is about the
  // previous client and must not land here.
  CASESYNC_ASSIGN_OR_RETURN(SyncState st, replica_.GetSyncState());
  if (st.client_id != request_client_) {
    Start();
    ++progress_.dropped;
    return Status::Ok();
  }
  in_flight_ = Due::kNone;
  connectivity_ = Connectivity::kOnline;
  if (std::exchange(orphan_, false)) return Status::Ok();
  switch (what) {
    case Due::kNone:
      break;
    case Due::kPush:
      return OnPushResponse(http_status, body, st);
    case Due::kPull:
      return OnPullResponse(http_status, body, now, st);
    case Due::kPoke:
      OnPokeResponse(http_status, body);
      return Status::Ok();
  }
  return Status::Ok();
}

void SyncEngine::OnTransportError(std::string_view message) {
  if (in_flight_ == Due::kNone) return;
  connectivity_ = Connectivity::kOffline;
  Due what = in_flight_;
  in_flight_ = Due::kNone;
  // A page staged for the prefetch that failed is asked for again.
  staged_.reset();
  prefetch_.reset();
  if (std::exchange(orphan_, false)) return;
  due_ = what;
  Fail(Status(ErrorCode::kUnavailable,
              "no answer from the server: " + std::string(message)));
}

Status SyncEngine::OnPushResponse(int http_status, std::string_view body,
                                  const SyncState& st) {
  due_ = Due::kPush;
  if (http_status == 200) {
    Result<PushResponse> reply = DecodePushResponse(body);
    if (!reply.ok()) {
      Fail(Status(ErrorCode::kUnavailable,
                  "unreadable push reply: " + reply.status().message()));
      return Status::Ok();
    }
    if (reply->last_mutation_id >= st.next_mutation_id) {
      // The server knows ids this replica never made: the clientId is in use
      // elsewhere (a copied data dir). New mutations would be skipped as
      // replays, so pushing stops here.
      Block(Status(ErrorCode::kInvalidRequest,
                   "the server has mutation " +
                       std::to_string(reply->last_mutation_id) +
                       " of this client, which only made " +
                       std::to_string(st.next_mutation_id - 1) +
                       ": its clientId is used by another copy"));
      return Status::Ok();
    }
    if (reply->last_mutation_id < push_last_) {
      Block(Status(ErrorCode::kInternal,
                   "the server acknowledged " +
                       std::to_string(reply->last_mutation_id) +
                       " after a push up to " + std::to_string(push_last_)));
      return Status::Ok();
    }
    CASESYNC_RETURN_IF_ERROR(replica_.AcknowledgePush(reply->last_mutation_id));
    ++progress_.pushes;
    progress_.pushed += push_last_ - push_first_ + 1;
    attempts_ = 0;
    gap_rewinds_ = 0;
    last_error_ = Status::Ok();
    return Status::Ok();
  }
  Status error = ErrorOf(http_status, body);
  if (error.code() == ErrorCode::kMutationGap) {
    std::optional<int64_t> expected = ExpectedIdOf(body);
    if (!expected || ++gap_rewinds_ > kMaxGapRewinds) {
      Block(error);
      return Status::Ok();
    }
    Status rewound = replica_.RewindPush(*expected);
    if (rewound.code() == ErrorCode::kNotFound) {
      // The server lost mutations this replica already saw confirmed by a
      // pull and dropped: they cannot be resent, and every later id would be
      // refused the same way. Stop pushing (the outbox keeps its entries),
      // keep pulling so the user still sees the server's state.
      push_blocked_ = true;
      last_error_ =
          Status(ErrorCode::kMutationGap,
                 "the server lost mutations of this client from " +
                     std::to_string(*expected) +
                     " on, which it had confirmed: " + rewound.message());
      due_ = Due::kPull;
      return Status::Ok();
    }
    CASESYNC_RETURN_IF_ERROR(rewound);
    last_error_ = error;
    return Status::Ok();  // due_ stays kPush: resend from *expected
  }
  size_t sent = static_cast<size_t>(push_last_ - push_first_ + 1);
  if (http_status == 413 && sent > 1) {
    push_batch_ = std::max<size_t>(1, sent / 2);
    last_error_ = error;
    return Status::Ok();
  }
  OnErrorAnswer(http_status, body);
  return Status::Ok();
}

Status SyncEngine::OnPullResponse(int http_status, std::string_view body,
                                  std::string_view now, const SyncState& st) {
  due_ = Due::kPull;
  if (http_status != 200) {
    OnErrorAnswer(http_status, body);
    return Status::Ok();
  }
  Result<PullResponse> page = DecodePullResponse(body, PullRows::kTyped);
  if (!page.ok()) {
    Fail(Status(ErrorCode::kUnavailable,
                "unreadable pull reply: " + page.status().message()));
    return Status::Ok();
  }
  if (st.cursor != pull_cursor_) {
    // Another embedding of the same replica (a second CLI process) pulled
    // meanwhile: this page answers an older cursor and would move the
    // replica's cursor back (docs/guarantees.md, client contract). Drop it
    // and pull again from the current cursor.
    ++progress_.dropped;
    return Status::Ok();
  }
  if (page->last_mutation_id >= st.next_mutation_id) {
    Block(Status(ErrorCode::kInvalidRequest,
                 "the server has mutation " +
                     std::to_string(page->last_mutation_id) +
                     " of this client, which only made " +
                     std::to_string(st.next_mutation_id - 1) +
                     ": its clientId is used by another copy"));
    return Status::Ok();
  }
  if (options_.pipeline_pulls && page->more) {
    // Pipelined: the next page is asked for before this one is stored, from
    // this page's cursor, saying that only the replica's cursor is applied.
    PullRequest next{st.client_id, page->cursor, true, st.cursor};
    SyncRequest request;
    request.path = kPullPath;
    request.body = EncodePullRequest(next);
    prefetch_ = std::move(request);
    in_flight_ = Due::kPull;
    pull_cursor_ = page->cursor;
    staged_ = std::move(page).value();
    return Status::Ok();
  }
  return StorePage(*page, now);
}

std::optional<SyncRequest> SyncEngine::TakePrefetch() {
  return std::exchange(prefetch_, std::nullopt);
}

Status SyncEngine::ApplyStaged(std::string_view now) {
  if (!staged_) return Status::Ok();
  PullResponse page = std::move(*staged_);
  staged_.reset();
  CASESYNC_ASSIGN_OR_RETURN(SyncState st, replica_.GetSyncState());
  if (st.client_id != request_client_) {
    // See OnResponse, which also drops the prefetch's answer.
    ++progress_.dropped;
    return Status::Ok();
  }
  return StorePage(page, now);
}

Status SyncEngine::StorePage(const PullResponse& page, std::string_view now) {
  Status applied = replica_.ApplyPull(page, now);
  if (!applied.ok()) {
    // A prefetched request's answer would follow a page that is not there.
    orphan_ = in_flight_ != Due::kNone;
    Block(applied);
    return applied;
  }
  attempts_ = 0;
  if (!push_blocked_) last_error_ = Status::Ok();
  ++progress_.pages;
  progress_.rows += static_cast<int64_t>(page.patch.size());
  progress_.rejections += static_cast<int64_t>(page.rejections.size());
  if (page.more) return Status::Ok();  // due_ stays kPull
  return EndOfPulls();
}

Status SyncEngine::EndOfPulls() {
  if (!push_blocked_) {
    CASESYNC_ASSIGN_OR_RETURN(PushRequest push, replica_.NextPush(1));
    if (!push.mutations.empty()) {  // queued while we pulled
      due_ = Due::kPush;
      return Status::Ok();
    }
  }
  if (options_.watch) {
    due_ = Due::kPoke;
    phase_ = push_blocked_ ? SyncPhase::kBlocked : SyncPhase::kWatching;
    return Status::Ok();
  }
  due_ = Due::kNone;
  phase_ = push_blocked_ ? SyncPhase::kBlocked : SyncPhase::kIdle;
  return Status::Ok();
}

void SyncEngine::OnPokeResponse(int http_status, std::string_view body) {
  due_ = Due::kPoke;
  if (http_status != 200) {
    OnErrorAnswer(http_status, body);
    return;
  }
  Result<PokeResponse> poke = DecodePokeResponse(body);
  if (!poke.ok()) {
    Fail(Status(ErrorCode::kUnavailable,
                "unreadable poke reply: " + poke.status().message()));
    return;
  }
  attempts_ = 0;
  if (poke->changed) {
    due_ = Due::kPush;  // a round: push what is queued, then pull
    return;
  }
  // Nothing changed on the server; push what was queued locally meanwhile.
  Result<PushRequest> push = replica_.NextPush(1);
  if (push.ok() && !push->mutations.empty() && !push_blocked_) {
    due_ = Due::kPush;
  }
}

void SyncEngine::OnErrorAnswer(int http_status, std::string_view body) {
  Status error = ErrorOf(http_status, body);
  if (http_status == 401 || error.code() == ErrorCode::kUnauthenticated ||
      error.code() == ErrorCode::kPasswordChangeRequired ||
      error.code() == ErrorCode::kAccountPending) {
    NeedsSignIn(error);
  } else if (IsTransientStatus(http_status)) {
    Fail(error);
  } else {
    Block(error);
  }
}

void SyncEngine::Fail(const Status& why) {
  ++progress_.failures;
  ++attempts_;
  last_error_ = why;
  if (options_.max_attempts > 0 && attempts_ >= options_.max_attempts) {
    phase_ = SyncPhase::kOffline;
    due_ = Due::kNone;
    return;
  }
  retry_ = due_;
  due_ = Due::kNone;
  phase_ = SyncPhase::kBackingOff;
}

void SyncEngine::Block(const Status& why) {
  last_error_ = why;
  phase_ = SyncPhase::kBlocked;
  due_ = Due::kNone;
}

void SyncEngine::NeedsSignIn(const Status& why) {
  last_error_ = why;
  phase_ = SyncPhase::kNeedsSignIn;
  due_ = Due::kNone;
}

Result<SyncStatus> SyncEngine::GetStatus() {
  SyncStatus s;
  s.phase = phase_;
  s.connectivity = connectivity_;
  s.attempts = attempts_;
  s.last_error = last_error_;
  s.progress = progress_;
  CASESYNC_ASSIGN_OR_RETURN(SyncState st, replica_.GetSyncState());
  s.pending = st.pending;
  s.open_rejections = st.open_rejections;
  s.last_sync_at = st.last_sync_at;
  return s;
}

}  // namespace casesync
