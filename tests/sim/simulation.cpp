#include "simulation.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "casesync/catalog.h"
#include "casesync/domain.h"
#include "casesync/lifecycle.h"
#include "casesync/mutation.h"
#include "casesync/protocol.h"
#include "casesync/replica.h"
#include "casesync/sqlite.h"
#include "service.h"

namespace casesync::sim {
namespace {

using server::Service;

// ---- knobs (probabilities per step or per message) ----
constexpr double kPDropRequest = 0.05;
constexpr double kPDropResponse = 0.05;
constexpr double kPDuplicate = 0.05;
constexpr double kPServerCrash = 0.004;
constexpr double kPServerCrashReply = 0.004;
constexpr double kPCrashBeforeApply = 0.01;

class SimClock : public server::Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  int64_t now_ms = 1'764'400'000'000;  // 2025-11-29
};

// The server's state as the simulation expects it, built only from what the
// clients pushed and which of their mutations the server applied.
struct OracleCase {
  CaseState state = CaseState::kNew;
  std::string number;
  std::string account_id;
  std::string contact_id;
  std::vector<CaseState> history;  // every state the case was observed in
};

struct Client {
  int index = 0;
  std::string email;
  std::string password;
  Actor actor;
  std::string path;
  std::string client_id;
  std::unique_ptr<Replica> replica;
  int incarnation = 0;
  bool online = true;
  int64_t clock_skew_ms = 0;
  // Every mutation this client ever queued, by id.
  std::map<int64_t, MutationRecord> made;
  // The cursor each in-flight pull was sent with: a reply is applied only on
  // top of the state it was asked from (what a careful embedding does).
  int64_t confirmed_up_to = 0;  // replica's last_mutation_id seen by checks
  // Asks for the next pull page before storing the current one, as the
  // browser does (PullRequest::ahead, docs/protocol.md §4).
  bool pipelined = false;
};

struct Message {
  enum Kind { kPushRequest, kPullRequest, kPushReply, kPullReply } kind;
  int client = 0;
  int incarnation = 0;
  std::string token;
  std::string body;
  bool error = false;
  std::optional<std::string> base_cursor;  // pull replies: the request's
};

std::string Hex(uint64_t v, int digits) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(digits, '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 15];
  return s;
}

// A case with only what visibility depends on (account and contact).
Case ScopeOf(const std::string& id, const std::string& account_id,
             const std::string& contact_id) {
  Case c;
  c.id = id;
  c.account_id = account_id;
  c.contact_id = contact_id;
  return c;
}

std::optional<Transition> TransitionOf(std::string_view name) {
  if (name == "acceptCase") return Transition::kAccept;
  if (name == "requestInfo") return Transition::kRequestInfo;
  if (name == "resolveCase") return Transition::kResolve;
  if (name == "acceptSolution") return Transition::kAcceptSolution;
  if (name == "rejectSolution") return Transition::kRejectSolution;
  if (name == "cancelCase") return Transition::kCancel;
  if (name == "closeCase") return Transition::kClose;
  return std::nullopt;
}

class World {
 public:
  explicit World(const SimConfig& config) : config_(config), rng_(config.seed) {
    stats_.seed = config.seed;
  }

  SimStats Run() {
    if (Setup()) {
      RandomPhase();
      if (stats_.violations.empty()) Quiesce();
      if (stats_.violations.empty()) FinalChecks();
    }
    Teardown();
    return stats_;
  }

 private:
  // ---- randomness ----
  uint64_t Next() { return rng_(); }
  size_t Pick(size_t n) { return static_cast<size_t>(Next() % n); }
  bool Chance(double p) {
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
  }
  std::string NewId(const char* prefix) {
    return std::string(prefix) + Hex(Next(), 16);
  }

  void Trace(const std::string& line) {
    if (config_.trace) {
      config_.trace("[" + std::to_string(stats_.steps) + "] " + line);
    }
  }
  void Violation(const std::string& what) {
    if (stats_.violations.size() < 20) {
      stats_.violations.push_back("step " + std::to_string(stats_.steps) +
                                  ": " + what);
    }
  }
  void Count(Fault f) { ++stats_.faults[static_cast<size_t>(f)]; }
  bool faults() const { return config_.faults && !healed_; }

  std::string Now(const Client& c) {
    return FormatIsoTime(clock_.now_ms + c.clock_skew_ms);
  }

  // ---- setup and teardown ----

  bool Setup() {
    std::error_code ec;
    std::filesystem::remove_all(config_.work_dir, ec);
    std::filesystem::create_directories(config_.work_dir, ec);
    server_dir_ = config_.work_dir + "/server";
    // Small pages so that paging (`more`) is exercised on every pull.
    pull_page_rows_ = 5 + Pick(60);
    if (!OpenServer()) return false;
    auto logins = service_->DemoLogins();
    if (logins.empty()) {
      Violation("no demo logins");
      return false;
    }
    int n = std::max(config_.clients, 1);
    for (int i = 0; i < n; ++i) {
      // Every demo user has a device; the rest are second devices.
      const server::DemoLogin& who =
          logins[i < static_cast<int>(logins.size()) ? i : Pick(logins.size())];
      Client c;
      c.index = i;
      c.pipelined = i % 2 == 1;
      c.email = who.email;
      c.password = who.password;
      c.path = config_.work_dir + "/replica-" + std::to_string(i) + ".db";
      c.client_id = "sim-" + std::to_string(i) + "-" + Hex(Next(), 8);
      c.clock_skew_ms = static_cast<int64_t>(Pick(600'001)) - 300'000;
      auto login = service_->Login(c.email, c.password, true, "10.0.0.9");
      if (!login.ok()) {
        Violation("login " + c.email + ": " + login.status().ToString());
        return false;
      }
      c.actor = login->session.actor;
      auto replica = Replica::Open(c.path, c.client_id);
      if (!replica.ok()) {
        Violation("open replica: " + replica.status().ToString());
        return false;
      }
      c.replica = std::move(*replica);
      if (!c.replica->SetActor(c.actor).ok() ||
          !c.replica->SetMeta("token", login->token).ok()) {
        Violation("replica setup");
        return false;
      }
      clients_.push_back(std::move(c));
    }
    // The demo data as the oracle's starting point.
    return LoadOracleFromServer();
  }

  void Teardown() {
    for (Client& c : clients_) c.replica.reset();
    observer_.reset();
    service_.reset();
    if (stats_.ok() && !config_.keep_files) {
      std::error_code ec;
      std::filesystem::remove_all(config_.work_dir, ec);
    }
  }

  bool OpenServer() {
    server::ServiceOptions o;
    o.data_dir = server_dir_;
    // A process crash (all this simulates) loses nothing with NORMAL in WAL
    // mode; FULL would only add fsyncs.
    o.synchronous = "NORMAL";
    o.demo = true;
    o.clock = &clock_;
    o.fast_password_hashing = true;
    o.pull_page_rows = pull_page_rows_;
    o.log = [](const std::string&) {};
    auto s = Service::Open(o);
    if (!s.ok()) {
      Violation("server open: " + s.status().ToString());
      return false;
    }
    service_ = std::move(*s);
    OpenOptions ro;
    ro.create = false;
    ro.journal_mode = "";
    auto db = Database::Open(server_dir_ + "/casesync.db", ro);
    if (!db.ok()) {
      Violation("observer open: " + db.status().ToString());
      return false;
    }
    observer_ = std::move(*db);
    return true;
  }

  void RestartServer() {
    observer_.reset();
    service_.reset();
    ++stats_.server_restarts;
    if (OpenServer()) CheckServerMatchesOracle("after server restart");
  }

  void RestartClient(Client& c) {
    c.replica.reset();
    ++c.incarnation;
    ++stats_.client_restarts;
    auto replica = Replica::Open(c.path, "");
    if (!replica.ok()) {
      Violation("reopen replica " + c.email + ": " +
                replica.status().ToString());
      return;
    }
    c.replica = std::move(*replica);
    auto st = c.replica->GetSyncState();
    if (!st.ok() || st->client_id != c.client_id) {
      Violation("replica lost its clientId after a crash");
    }
    int64_t last_made = c.made.empty() ? 0 : c.made.rbegin()->first;
    if (st.ok() && st->next_mutation_id != last_made + 1) {
      Violation("replica " + c.email + " next mutation id " +
                std::to_string(st->next_mutation_id) + " after a crash, " +
                "expected " + std::to_string(last_made + 1));
    }
  }

  // ---- server observation (the oracle) ----

  template <typename Fn>
  bool Query(const std::string& sql, Fn&& row_fn,
             std::optional<std::string> bind_text = std::nullopt,
             std::optional<int64_t> bind_int = std::nullopt) {
    auto s = observer_->Prepare(sql);
    if (!s.ok()) {
      Violation("observer: " + s.status().ToString());
      return false;
    }
    StatementScope scope(**s);
    int pos = 1;
    if (bind_text) (*s)->Bind(pos++, *bind_text);
    if (bind_int) (*s)->Bind(pos++, *bind_int);
    while (true) {
      auto row = (*s)->Step();
      if (!row.ok()) {
        Violation("observer: " + row.status().ToString());
        return false;
      }
      if (!*row) break;
      row_fn(**s);
    }
    return true;
  }

  bool LoadOracleFromServer() {
    bool ok = Query(
        "SELECT id, state, number, account_id, contact_id, seq FROM cases",
        [&](const Statement& s) {
          OracleCase c;
          c.state =
              CaseStateFromName(s.ColumnTextView(1)).value_or(CaseState::kNew);
          c.number = s.ColumnText(2);
          c.account_id = s.ColumnText(3);
          c.contact_id = s.ColumnText(4);
          c.history.push_back(c.state);
          next_number_ =
              std::max(next_number_, ParseCaseNumber(c.number).value_or(0) + 1);
          seen_case_seq_ = std::max(seen_case_seq_, s.ColumnInt(5));
          cases_.emplace(s.ColumnText(0), std::move(c));
        });
    ok = ok && Query("SELECT id FROM comments", [&](const Statement& s) {
           comments_.insert(s.ColumnText(0));
         });
    if (next_number_ == 0) next_number_ = 1;
    return ok;
  }

  std::optional<CaseState> ServerState(const std::string& case_id,
                                       std::string* number) {
    std::optional<CaseState> out;
    Query(
        "SELECT state, number FROM cases WHERE id=?",
        [&](const Statement& s) {
          out = CaseStateFromName(s.ColumnTextView(0));
          if (number) *number = s.ColumnText(1);
        },
        case_id);
    return out;
  }

  void Observe(OracleCase& c, CaseState s) {
    if (c.history.empty() || c.history.back() != s) c.history.push_back(s);
  }

  // What the server must have done with the push `req` of client `ci`: every
  // id in (before, after] was applied or rejected; applied ones move the
  // oracle along DESIGN §3 (each step checked against the core's table).
  void ObservePush(Client& ci, const PushRequest& req, const Actor& actor) {
    int64_t before = oracle_last_[ci.client_id];
    int64_t after = -1;
    Query(
        "SELECT last_mutation_id FROM clients WHERE id=?",
        [&](const Statement& s) { after = s.ColumnInt(0); }, ci.client_id);
    if (after < before) {
      Violation("server lastMutationId of " + ci.client_id + " went back");
      return;
    }
    std::map<int64_t, std::string> rejected;
    Query(
        "SELECT mutation_id, code FROM rejections WHERE client_id=? AND "
        "mutation_id>?",
        [&](const Statement& s) { rejected[s.ColumnInt(0)] = s.ColumnText(1); },
        ci.client_id, before);
    std::set<std::string> touched;
    for (const MutationRecord& m : req.mutations) {
      if (m.id <= before || m.id > after) continue;
      auto orig = ci.made.find(m.id);
      if (orig == ci.made.end() || !(orig->second == m)) {
        Violation("server received mutation " + std::to_string(m.id) + " of " +
                  ci.client_id + " different from the one made");
        continue;
      }
      auto rej = rejected.find(m.id);
      if (rej != rejected.end()) {
        ++stats_.mutations_rejected;
        rejected_ids_[ci.client_id].insert(m.id);
        CheckRejectionJustified(m, actor, rej->second);
      } else {
        ++stats_.mutations_applied;
        applied_ids_[ci.client_id].insert(m.id);
        ApplyToOracle(ci, m, actor, touched);
      }
    }
    // Ids in the range the request did not carry (an earlier duplicate
    // request applied them) were accounted for then; none may be unknown.
    for (int64_t id = before + 1; id <= after; ++id) {
      if (!applied_ids_[ci.client_id].count(id) &&
          !rejected_ids_[ci.client_id].count(id)) {
        Violation("mutation " + std::to_string(id) + " of " + ci.client_id +
                  " acknowledged but neither applied nor rejected");
      }
    }
    oracle_last_[ci.client_id] = after;
    // Every case the server changed since the last look must be one the
    // oracle expected to change, in the state the oracle says.
    int64_t max_seq = seen_case_seq_;
    Query(
        "SELECT id, state, number, seq FROM cases WHERE seq>?",
        [&](const Statement& s) {
          std::string id = s.ColumnText(0);
          max_seq = std::max(max_seq, s.ColumnInt(3));
          auto it = cases_.find(id);
          if (it == cases_.end()) {
            Violation("case " + id + " appeared without an applied create");
            return;
          }
          auto st = CaseStateFromName(s.ColumnTextView(1));
          if (!st || *st != it->second.state) {
            Violation("case " + id + " is " + s.ColumnText(1) +
                      " on the server, expected " +
                      CaseStateName(it->second.state));
          }
          if (s.ColumnText(2) != it->second.number) {
            Violation("case " + id + " has number " + s.ColumnText(2) +
                      ", expected " + it->second.number);
          }
          if (st) Observe(it->second, *st);
          touched.erase(id);
        },
        std::nullopt, seen_case_seq_);
    seen_case_seq_ = max_seq;
    for (const std::string& id : touched) {
      std::string number;
      auto st = ServerState(id, &number);
      if (!st || *st != cases_[id].state) {
        Violation("case " + id + " was not written by an applied mutation");
      }
    }
  }

  void ApplyToOracle(const Client& ci, const MutationRecord& m,
                     const Actor& actor, std::set<std::string>& touched) {
    auto arg = [&m](const char* k) {
      auto it = m.args.find(k);
      return it != m.args.end() && it->is_string() ? it->get<std::string>()
                                                   : std::string();
    };
    if (m.name == "createCase") {
      std::string id = arg("id");
      if (cases_.count(id)) {
        Violation("createCase " + id + " applied twice");
        return;
      }
      OracleCase c;
      c.number = FormatCaseNumber(next_number_++);
      c.account_id = actor.account_id;
      c.contact_id = actor.user_id;
      c.history.push_back(CaseState::kNew);
      cases_.emplace(id, std::move(c));
      touched.insert(id);
      return;
    }
    std::string case_id = arg("caseId");
    auto it = cases_.find(case_id);
    if (it == cases_.end()) {
      Violation(m.name + " applied to unknown case " + case_id);
      return;
    }
    OracleCase& c = it->second;
    if (!CanSeeCase(actor, ScopeOf(case_id, c.account_id, c.contact_id))) {
      Violation(m.name + " applied by " + actor.user_id +
                " to a case they may not see");
    }
    touched.insert(case_id);
    auto add_comment = [&](const std::string& id) {
      if (!comments_.insert(id).second) {
        Violation("comment " + id + " written twice");
      }
    };
    if (auto t = TransitionOf(m.name)) {
      Status allowed = CheckTransition(*t, c.state, actor.role);
      if (!allowed.ok()) {
        Violation("server applied " + m.name + " on a " +
                  CaseStateName(c.state) + " case " + case_id + " by " +
                  RoleName(actor.role) + ": " + allowed.ToString());
      }
      c.state = RuleFor(*t).to;
      if (*t == Transition::kRequestInfo || *t == Transition::kRejectSolution) {
        add_comment(DerivedCommentId(ci.client_id, m.id));
      }
    } else if (m.name == "addComment" || m.name == "updateCaseContact") {
      if (IsTerminal(c.state)) {
        Violation(m.name + " applied to a terminal case " + case_id);
      }
      bool internal = arg("visibility") == "internal";
      if (m.name == "addComment") add_comment(arg("id"));
      if (!internal && !IsStaff(actor.role) &&
          c.state == CaseState::kAwaitingInfo) {
        c.state = RuleFor(Transition::kCustomerReply).to;
      }
    } else if (m.name == "setPriority") {
      if (!IsStaff(actor.role)) Violation("setPriority applied for a customer");
    } else {
      Violation("applied unknown mutation " + m.name);
    }
  }

  // A rejected state change the lifecycle table allows is a violation too
  // (the server must not refuse what DESIGN §3 permits).
  void CheckRejectionJustified(const MutationRecord& m, const Actor& actor,
                               const std::string& code) {
    auto t = TransitionOf(m.name);
    if (!t) return;
    auto it = m.args.find("caseId");
    if (it == m.args.end() || !it->is_string()) return;
    auto c = cases_.find(it->get<std::string>());
    if (c == cases_.end()) return;
    if ((code == "invalid_transition" || code == "case_terminal") &&
        CheckTransition(*t, c->second.state, actor.role).ok()) {
      Violation("server rejected " + m.name + " (" + code + ") on a " +
                CaseStateName(c->second.state) + " case the table allows");
    }
  }

  void CheckServerMatchesOracle(const std::string& when) {
    std::set<std::string> seen;
    Query("SELECT id, state, number FROM cases", [&](const Statement& s) {
      std::string id = s.ColumnText(0);
      seen.insert(id);
      auto it = cases_.find(id);
      if (it == cases_.end()) {
        Violation(when + ": unexpected case " + id);
      } else if (s.ColumnTextView(1) != CaseStateName(it->second.state) ||
                 s.ColumnText(2) != it->second.number) {
        Violation(when + ": case " + id + " differs from the oracle");
      }
    });
    if (seen.size() != cases_.size()) {
      Violation(when + ": " + std::to_string(seen.size()) +
                " cases on the server, oracle has " +
                std::to_string(cases_.size()));
    }
    std::set<std::string> comments;
    Query("SELECT id FROM comments",
          [&](const Statement& s) { comments.insert(s.ColumnText(0)); });
    if (comments != comments_) {
      Violation(when + ": " + std::to_string(comments.size()) +
                " comments on the server, oracle expects " +
                std::to_string(comments_.size()));
    }
  }

  // ---- the network ----

  void Send(Message m) {
    if (config_.on_message) {
      static const char* kKinds[] = {"push", "pull", "push-reply",
                                     "pull-reply"};
      config_.on_message(kKinds[m.kind], m.body);
    }
    net_.push_back(m);
    if (faults() && m.kind <= Message::kPullRequest && Chance(kPDuplicate)) {
      Count(Fault::kDuplicateRequest);
      net_.push_back(std::move(m));
    }
  }

  std::string TokenOf(Client& c) {
    auto t = c.replica->GetMeta("token");
    return t.ok() && *t ? **t : std::string();
  }

  void SendPush(Client& c) {
    auto push = c.replica->NextPush(1 + Pick(healed_ ? 1000 : 30));
    if (!push.ok()) {
      Violation("NextPush: " + push.status().ToString());
      return;
    }
    if (push->mutations.empty()) return;
    for (size_t i = 1; i < push->mutations.size(); ++i) {
      if (push->mutations[i].id != push->mutations[i - 1].id + 1) {
        Violation("outbox ids not consecutive in a push of " + c.client_id);
      }
    }
    Trace(c.email + " pushes " + std::to_string(push->mutations.size()) +
          " from " + std::to_string(push->mutations.front().id));
    Send({Message::kPushRequest, c.index, c.incarnation, TokenOf(c),
          EncodePushRequest(*push), false, std::nullopt});
  }

  void SendPull(Client& c) {
    auto pull = c.replica->NextPull();
    if (!pull.ok()) {
      Violation("NextPull: " + pull.status().ToString());
      return;
    }
    Trace(c.email + " pulls");
    Send({Message::kPullRequest, c.index, c.incarnation, TokenOf(c),
          EncodePullRequest(*pull), false, std::nullopt});
  }

  // The next page, asked for from `cursor` while only `applied` is stored.
  void SendPullAhead(Client& c, const std::string& cursor,
                     const std::optional<std::string>& applied) {
    PullRequest pull{c.client_id, cursor, true, applied};
    Trace(c.email + " pulls ahead");
    Send({Message::kPullRequest, c.index, c.incarnation, TokenOf(c),
          EncodePullRequest(pull), false, std::nullopt});
  }

  // Delivers one in-flight message (a random one while faults are on).
  void DeliverOne() {
    if (net_.empty()) return;
    size_t i = faults() ? Pick(net_.size()) : 0;
    if (i != 0) Count(Fault::kReorder);
    Message m = std::move(net_[i]);
    net_.erase(net_.begin() + static_cast<std::ptrdiff_t>(i));
    switch (m.kind) {
      case Message::kPushRequest:
      case Message::kPullRequest:
        HandleRequest(m);
        break;
      case Message::kPushReply:
        HandlePushReply(m);
        break;
      case Message::kPullReply:
        HandlePullReply(m);
        break;
    }
  }

  void HandleRequest(const Message& m) {
    if (faults() && Chance(kPDropRequest)) {
      Count(Fault::kDropRequest);
      Trace("network drops a request of client " + std::to_string(m.client));
      return;
    }
    if (faults() && Chance(kPServerCrash)) {
      Count(Fault::kServerCrash);
      Trace("server crashes before handling a request");
      RestartServer();
      return;
    }
    Client& c = clients_[m.client];
    Message reply{m.kind == Message::kPushRequest ? Message::kPushReply
                                                  : Message::kPullReply,
                  m.client,
                  m.incarnation,
                  "",
                  "",
                  false,
                  std::nullopt};
    auto session = service_->Authenticate(m.token);
    if (!session.ok()) {
      Violation("session of " + c.email +
                " refused: " + session.status().ToString());
      return;
    }
    if (m.kind == Message::kPushRequest) {
      // Decoded as the server's API does (args kept as checked text); the
      // oracle reads the same request with its args built as trees.
      auto req = DecodePushRequest(m.body, ArgsDecoding::kDeferArgs);
      auto tree = DecodePushRequest(m.body);
      if (!req.ok() || !tree.ok()) {
        Violation("push request does not decode: " + req.status().ToString());
        return;
      }
      ++stats_.pushes;
      auto r = service_->Push(*session, *req);
      if (r.ok()) {
        ObservePush(c, *tree, session->actor);
        reply.body = EncodePushResponse(*r);
      } else {
        reply.error = true;
        reply.body = EncodeError(r.status());
      }
    } else {
      auto req = DecodePullRequest(m.body);
      if (!req.ok()) {
        Violation("pull request does not decode: " + req.status().ToString());
        return;
      }
      ++stats_.pulls;
      auto r = service_->Pull(*session, *req);
      if (r.ok()) {
        reply.body = EncodePullResponse(*r);
      } else {
        reply.error = true;
        reply.body = EncodeError(r.status());
      }
      reply.base_cursor = req->cursor;
    }
    if (faults() && Chance(kPServerCrashReply)) {
      Count(Fault::kServerCrashReply);
      Trace("server crashes after handling, before replying");
      RestartServer();
      return;
    }
    if (faults() && Chance(kPDropResponse)) {
      Count(Fault::kDropResponse);
      Trace("network drops a reply to client " + std::to_string(m.client));
      return;
    }
    Send(std::move(reply));
  }

  bool Reachable(const Message& m) {
    const Client& c = clients_[m.client];
    return c.replica && c.online && c.incarnation == m.incarnation;
  }

  void HandlePushReply(const Message& m) {
    if (!Reachable(m)) return;  // the connection died with the client
    Client& c = clients_[m.client];
    if (m.error) {
      Status st = DecodeError(m.body);
      Violation("push of " + c.email + " refused: " + st.ToString());
      return;
    }
    auto r = DecodePushResponse(m.body);
    if (!r.ok()) {
      Violation("push reply does not decode: " + r.status().ToString());
      return;
    }
    if (!c.replica->AcknowledgePush(r->last_mutation_id).ok()) {
      Violation("AcknowledgePush failed");
    }
  }

  void HandlePullReply(const Message& m) {
    if (!Reachable(m)) return;
    Client& c = clients_[m.client];
    if (m.error) {
      Violation("pull of " + c.email +
                " refused: " + DecodeError(m.body).ToString());
      return;
    }
    auto r = DecodePullResponse(m.body);
    if (!r.ok()) {
      Violation("pull reply does not decode: " + r.status().ToString());
      return;
    }
    CheckPulledRows(c, *r);
    auto sync = c.replica->GetSyncState();
    if (!sync.ok()) {
      Violation("GetSyncState: " + sync.status().ToString());
      return;
    }
    // A pipelined client asks for the next page first, then stores this
    // one (or crashes before it has).
    bool ahead =
        c.pipelined && r->more && c.online && sync->cursor == m.base_cursor;
    if (ahead) SendPullAhead(c, r->cursor, sync->cursor);
    if (faults() && Chance(kPCrashBeforeApply)) {
      Count(Fault::kCrashBeforeApply);
      Trace(c.email + " crashes with a pull reply unapplied");
      RestartClient(c);
      return;
    }
    if (sync->cursor != m.base_cursor && !config_.apply_stale_pulls) {
      // An old reply overtaken by a newer one: applying it would move the
      // replica back (it would converge again, but show older rows).
      Count(Fault::kStaleReplyIgnored);
      return;
    }
    Status st = c.replica->ApplyPull(*r, Now(c));
    if (!st.ok()) {
      Violation("ApplyPull of " + c.email + ": " + st.ToString());
      return;
    }
    CheckOwnEffectsVisible(c, r->more);
    if (r->more && c.online && !ahead) SendPull(c);
  }

  // Nobody receives a row they may not see; every rejection is one of this
  // client's mutations, with its original args.
  void CheckPulledRows(const Client& c, const PullResponse& r) {
    const Actor& a = c.actor;
    for (const PatchOp& op : r.patch) {
      if (op.op != PatchOpKind::kPut) continue;
      ++stats_.pull_rows_checked;
      if (op.table == kTableCases) {
        auto cs = CaseFromJson(op.row);
        if (!cs.ok() || !CanSeeCase(a, *cs)) {
          Violation(c.email + " received case " + DumpJson(op.row["id"]) +
                    " they may not see");
        }
      } else if (op.table == kTableComments) {
        auto cm = CommentFromJson(op.row);
        if (!cm.ok() || !CanSeeComment(a, *cm)) {
          Violation(c.email + " received a comment they may not see");
          continue;
        }
        auto it = cases_.find(cm->case_id);
        if (it == cases_.end() ||
            !CanSeeCase(a, ScopeOf(cm->case_id, it->second.account_id,
                                   it->second.contact_id))) {
          Violation(c.email + " received comment " + cm->id +
                    " of a case they may not see");
        }
      } else if (op.table == kTableUsers) {
        auto u = UserFromJson(op.row);
        bool ok = u.ok();
        if (ok && !IsStaff(a.role)) {
          ok = u->id == a.user_id || IsStaff(u->role) ||
               (u->account_id == a.account_id &&
                (a.role == Role::kCustomerAdmin ||
                 u->role == Role::kCustomerAdmin));
          if (ok && u->id != a.user_id && !u->phone.empty() &&
              IsStaff(u->role)) {
            ok = false;  // staff phones are not for customers
          }
        }
        if (!ok) Violation(c.email + " received a user they may not see");
      } else if (op.table == kTableAccounts) {
        auto acc = AccountFromJson(op.row);
        if (!acc.ok() || (!IsStaff(a.role) && acc->id != a.account_id)) {
          Violation(c.email + " received an account they may not see");
        }
      }
    }
    for (const Rejection& rej : r.rejections) {
      auto it = c.made.find(rej.mutation_id);
      if (it == c.made.end() || !(it->second == rej.mutation)) {
        Violation(c.email + " received a rejection of mutation " +
                  std::to_string(rej.mutation_id) +
                  " that is not the one it made");
      }
    }
  }

  // After a complete pull (more = false), every mutation the replica counts
  // as confirmed has its effect in the view: a created case or comment the
  // server applied is there.
  // Also between the pages of one pull (`mid_pull`): a page that confirms a
  // mutation must not lack its effect (the server only confirms on the last
  // page; before that fix a created case could vanish between pages).
  void CheckOwnEffectsVisible(Client& c, bool mid_pull) {
    auto sync = c.replica->GetSyncState();
    if (!sync.ok()) return;
    int64_t confirmed = sync->last_mutation_id;
    for (auto it = c.made.upper_bound(c.confirmed_up_to);
         it != c.made.end() && it->first <= confirmed; ++it) {
      if (!applied_ids_[c.client_id].count(it->first)) continue;
      const MutationRecord& m = it->second;
      if (m.name == "createCase") {
        auto got = c.replica->GetCase(m.args["id"].get<std::string>());
        if (!got.ok() || !*got) {
          Violation(c.email + " confirmed mutation " + std::to_string(m.id) +
                    (mid_pull ? " on a page before the last" : "") +
                    " but its case is not in the view");
        }
      }
    }
    if (mid_pull) return;
    c.confirmed_up_to = std::max(c.confirmed_up_to, confirmed);
  }

  // ---- client actions ----

  struct ViewCase {
    std::string id;
    CaseState state;
  };

  std::vector<ViewCase> View(Client& c) {
    std::vector<ViewCase> out;
    auto list = c.replica->ListCases({});
    if (!list.ok()) {
      Violation("ListCases: " + list.status().ToString());
      return out;
    }
    for (const CaseListItem& item : *list) {
      out.push_back({item.c.id, item.c.state});
    }
    return out;
  }

  // A case of the view, preferably in one of `states`.
  std::string PickCase(const std::vector<ViewCase>& view,
                       std::initializer_list<CaseState> states) {
    if (view.empty()) return NewId("nope-");
    if (Chance(0.8)) {
      std::vector<const ViewCase*> fit;
      for (const ViewCase& v : view) {
        for (CaseState s : states) {
          if (v.state == s) fit.push_back(&v);
        }
      }
      if (!fit.empty()) return fit[Pick(fit.size())]->id;
    }
    return view[Pick(view.size())].id;
  }

  Json CreateArgs(const std::vector<ViewCase>& view) {
    const auto& catalog = DefaultCatalog();
    std::vector<const CatalogItem*> issues;
    for (const CatalogItem& item : catalog) {
      if (item.kind == CatalogKind::kIssueType && item.active) {
        issues.push_back(&item);
      }
    }
    const CatalogItem* issue = issues[Pick(issues.size())];
    std::string product = issue->parent_id, service;
    for (const CatalogItem& item : catalog) {
      if (item.id == product) service = item.parent_id;
    }
    Json args{
        {"id", NewId("case-")},
        {"serviceId", service},
        {"productId", product},
        {"issueTypeId", issue->id},
        {"contactHours", "Lunes a viernes, 8:00 a 17:00"},
        {"contactPhone", "+57 300 " + std::to_string(100 + Pick(900)) + " " +
                             std::to_string(1000 + Pick(9000))},
        {"subject", "Caso simulado " + Hex(Next(), 6)},
        {"description", "Texto que el usuario escribió: " + Hex(Next(), 12)}};
    if (!view.empty() && Chance(0.1)) {
      args["parentId"] = view[Pick(view.size())].id;
    }
    return args;
  }

  // A mutation for `c`'s view: mostly sensible, sometimes not.
  std::pair<std::string, Json> ChooseMutation(Client& c) {
    std::vector<ViewCase> view = View(c);
    bool staff = IsStaff(c.actor.role);
    std::string text = "Texto " + Hex(Next(), 10);
    using S = CaseState;
    std::initializer_list<S> active = {S::kNew, S::kOpen, S::kAwaitingInfo};
    size_t roll = Pick(100);
    if (roll < 7) {
      // Invalid on purpose: bad args, another role's action, unknown case.
      switch (Pick(6)) {
        case 0:
          return {"addComment", Json{{"id", NewId("cm-")},
                                     {"caseId", PickCase(view, active)},
                                     {"body", ""}}};
        case 1:
          return {"setPriority", Json{{"caseId", PickCase(view, active)},
                                      {"priority", staff ? 9 : 1}}};
        case 2:
          return {"addComment", Json{{"id", NewId("cm-")},
                                     {"caseId", NewId("missing-")},
                                     {"body", text}}};
        case 3:
          return {"updateCaseContact", Json{{"caseId", PickCase(view, active)},
                                            {"contactPhone", "llámame"}}};
        case 4:
          return {staff ? "acceptSolution" : "acceptCase",
                  Json{{"caseId", PickCase(view, active)}}};
        default: {
          Json a = CreateArgs(view);
          a["subject"] = "";
          return {"createCase", a};
        }
      }
    }
    if (roll < (staff ? 12 : 27)) return {"createCase", CreateArgs(view)};
    if (roll < 50) {
      Json a{{"id", NewId("cm-")},
             {"caseId", PickCase(view, active)},
             {"body", text}};
      if (staff && Chance(0.3)) a["visibility"] = "internal";
      return {"addComment", a};
    }
    if (roll < 56) {
      Json a{{"caseId", PickCase(view, active)}};
      if (Chance(0.5)) a["contactHours"] = "Sábados " + Hex(Next(), 4);
      if (!a.contains("contactHours") || Chance(0.5)) {
        a["contactPhone"] = "+57 301 " + std::to_string(100 + Pick(900)) + " " +
                            std::to_string(1000 + Pick(9000));
      }
      return {"updateCaseContact", a};
    }
    if (roll < 62) {
      return {"cancelCase",
              Json{{"caseId", PickCase(view, active)}, {"reason", text}}};
    }
    if (!staff) {
      if (roll < 81) {
        return {"acceptSolution",
                Json{{"caseId", PickCase(view, {S::kResolved})}}};
      }
      return {"rejectSolution", Json{{"caseId", PickCase(view, {S::kResolved})},
                                     {"comment", text}}};
    }
    if (roll < 72) {
      return {"acceptCase", Json{{"caseId", PickCase(view, {S::kNew})}}};
    }
    if (roll < 80) {
      return {"requestInfo",
              Json{{"caseId", PickCase(view, {S::kOpen})}, {"comment", text}}};
    }
    if (roll < 89) {
      return {"resolveCase", Json{{"caseId", PickCase(view, active)},
                                  {"resolutionCode", "solucionado"},
                                  {"notes", text}}};
    }
    if (roll < 93) {
      return {"closeCase",
              Json{{"caseId", PickCase(view, active)}, {"notes", text}}};
    }
    return {"setPriority", Json{{"caseId", PickCase(view, active)},
                                {"priority", 1 + static_cast<int>(Pick(4))}}};
  }

  void DoMutate(Client& c) {
    auto [name, args] = ChooseMutation(c);
    auto before = c.replica->GetSyncState();
    std::string now = Now(c);
    auto id = c.replica->Mutate(name, args, now);
    auto after = c.replica->GetSyncState();
    if (!before.ok() || !after.ok()) {
      Violation("GetSyncState failed around Mutate");
      return;
    }
    if (id.ok()) {
      ++stats_.mutations_queued;
      if (*id != before->next_mutation_id ||
          after->next_mutation_id != *id + 1 ||
          after->pending != before->pending + 1) {
        Violation("Mutate of " + c.email + " gave id " + std::to_string(*id) +
                  ", not the next consecutive one");
      }
      c.made.emplace(*id, MutationRecord{*id, name, args, now});
      Trace(c.email + " queues " + std::to_string(*id) + " " + name);
    } else {
      ++stats_.mutations_refused;
      if (after->next_mutation_id != before->next_mutation_id ||
          after->pending != before->pending) {
        Violation("a refused Mutate changed the outbox");
      }
    }
  }

  void Step() {
    ++stats_.steps;
    clock_.now_ms += static_cast<int64_t>(Pick(2000));
    Client& c = clients_[Pick(clients_.size())];
    size_t roll = Pick(1000);
    if (!c.replica) return;
    if (roll < 400) {
      DoMutate(c);
    } else if (roll < 650) {
      DeliverOne();
    } else if (roll < 770) {
      if (c.online) SendPush(c);
    } else if (roll < 890) {
      if (c.online) SendPull(c);
    } else if (roll < 930) {
      if (!faults()) return;
      c.online = !c.online;
      if (!c.online) {
        // Going offline drops the connections: no reply sent before it
        // reaches the client, even after it is back online.
        Count(Fault::kOffline);
        ++c.incarnation;
      }
      Trace(c.email + (c.online ? " goes online" : " goes offline"));
      if (c.online) SendPull(c);
    } else if (roll < 945) {
      if (!faults()) return;
      Count(Fault::kClientCrash);
      Trace(c.email + " crashes");
      RestartClient(c);
    } else if (roll < 948) {
      if (!faults()) return;
      Count(Fault::kServerCrash);
      Trace("server crashes");
      RestartServer();
    } else {
      // Deliver a burst (a busy network).
      for (int i = 0; i < 3; ++i) DeliverOne();
    }
  }

  void RandomPhase() {
    int64_t max_steps = std::max<int64_t>(config_.mutations, 1) * 50;
    while (stats_.mutations_queued < config_.mutations &&
           stats_.steps < max_steps && stats_.violations.empty()) {
      Step();
    }
  }

  // ---- quiescence and the final checks ----

  void Quiesce() {
    healed_ = true;
    for (Client& c : clients_) c.online = true;
    while (!net_.empty()) DeliverOne();
    for (int round = 0; round < 4 && stats_.violations.empty(); ++round) {
      for (Client& c : clients_) {
        for (int guard = 0; guard < 1000; ++guard) {
          auto push = c.replica->NextPush();
          if (!push.ok() || push->mutations.empty()) break;
          SendPush(c);
          while (!net_.empty()) DeliverOne();
        }
      }
      for (Client& c : clients_) {
        SendPull(c);
        while (!net_.empty()) DeliverOne();
      }
    }
  }

  struct ServerView {
    std::map<std::string, Case> cases;
    std::map<std::string, Comment> comments;
    std::set<std::string> users, accounts;
  };

  // The server's view for `c`'s user: a snapshot pulled by a brand-new
  // clientId of the same user.
  std::optional<ServerView> FreshPull(Client& c) {
    auto session = service_->Authenticate(TokenOf(c));
    if (!session.ok()) {
      Violation("fresh pull session: " + session.status().ToString());
      return std::nullopt;
    }
    ServerView v;
    PullRequest req{"obs-" + std::to_string(c.index) + "-" + Hex(Next(), 8),
                    std::nullopt};
    for (int pages = 0; pages < 100000; ++pages) {
      auto r = service_->Pull(*session, req);
      if (!r.ok()) {
        Violation("fresh pull: " + r.status().ToString());
        return std::nullopt;
      }
      for (const PatchOp& op : r->patch) {
        if (op.op == PatchOpKind::kClear) {
          v = ServerView{};
        } else if (op.op == PatchOpKind::kDel) {
          std::string id = op.row["id"].get<std::string>();
          v.cases.erase(id);
          v.comments.erase(id);
        } else if (op.table == kTableCases) {
          auto cs = CaseFromJson(op.row);
          if (cs.ok()) v.cases[cs->id] = *cs;
        } else if (op.table == kTableComments) {
          auto cm = CommentFromJson(op.row);
          if (cm.ok()) v.comments[cm->id] = *cm;
        } else if (op.table == kTableUsers) {
          v.users.insert(op.row["id"].get<std::string>());
        } else if (op.table == kTableAccounts) {
          v.accounts.insert(op.row["id"].get<std::string>());
        }
      }
      if (!r->more) return v;
      req.cursor = r->cursor;
    }
    Violation("fresh pull did not end");
    return std::nullopt;
  }

  std::set<std::string> ReplicaIds(Client& c, const char* sql) {
    std::set<std::string> out;
    auto s = c.replica->db().Prepare(sql);
    if (!s.ok()) return out;
    StatementScope scope(**s);
    while (true) {
      auto row = (*s)->Step();
      if (!row.ok() || !*row) break;
      out.insert((*s)->ColumnText(0));
    }
    return out;
  }

  void FinalChecks() {
    CheckServerMatchesOracle("at the end");
    for (auto& [id, c] : cases_) {
      for (size_t i = 1; i < c.history.size(); ++i) {
        if (IsTerminal(c.history[i - 1])) {
          Violation("case " + id + " left terminal state " +
                    CaseStateName(c.history[i - 1]));
        }
      }
    }
    stats_.cases = static_cast<int64_t>(cases_.size());
    stats_.comments = static_cast<int64_t>(comments_.size());
    for (Client& c : clients_) {
      std::string who = c.email + " (" + c.client_id + ")";
      auto sync = c.replica->GetSyncState();
      if (!sync.ok()) {
        Violation(who + ": GetSyncState failed");
        continue;
      }
      int64_t last_made = c.made.empty() ? 0 : c.made.rbegin()->first;
      if (sync->pending != 0) {
        Violation(who + ": " + std::to_string(sync->pending) +
                  " mutations still in the outbox after quiescence");
      }
      if (sync->last_mutation_id != last_made) {
        Violation(who + ": replica confirmed " +
                  std::to_string(sync->last_mutation_id) + " of " +
                  std::to_string(last_made));
      }
      int64_t server_last = 0;
      Query(
          "SELECT last_mutation_id FROM clients WHERE id=?",
          [&](const Statement& s) { server_last = s.ColumnInt(0); },
          c.client_id);
      if (server_last != last_made) {
        Violation(who + ": server lastMutationId " +
                  std::to_string(server_last) + ", client made " +
                  std::to_string(last_made));
      }
      // Nothing vanished: each mutation applied once, or rejected and kept.
      auto rejections = c.replica->ListRejections();
      std::map<int64_t, RejectionRecord> kept;
      if (rejections.ok()) {
        for (RejectionRecord& r : *rejections) kept[r.mutation_id] = r;
      }
      for (const auto& [id, m] : c.made) {
        bool applied = applied_ids_[c.client_id].count(id) > 0;
        bool rejected = rejected_ids_[c.client_id].count(id) > 0;
        if (applied == rejected) {
          Violation(who + ": mutation " + std::to_string(id) + " " + m.name +
                    (applied ? " both applied and rejected"
                             : " neither applied nor rejected"));
          continue;
        }
        auto k = kept.find(id);
        if (rejected) {
          if (k == kept.end() || !(k->second.mutation == m)) {
            Violation(who + ": rejected mutation " + std::to_string(id) + " " +
                      m.name + " is not kept with its original text");
          }
        } else if (k != kept.end()) {
          Violation(who + ": applied mutation " + std::to_string(id) +
                    " is listed as rejected");
        }
      }
      // Convergence: the replica's view equals the server's for this user.
      auto server = FreshPull(c);
      if (!server) continue;
      auto list = c.replica->ListCases({});
      if (!list.ok()) continue;
      std::map<std::string, Case> mine;
      for (const CaseListItem& item : *list) {
        if (item.pending) Violation(who + ": case still pending");
        mine[item.c.id] = item.c;
      }
      if (mine != server->cases) {
        std::string detail;
        for (const auto& [id, cs] : server->cases) {
          auto it = mine.find(id);
          if (it == mine.end()) {
            detail = "missing " + id;
          } else if (!(it->second == cs)) {
            detail = "replica " + DumpJson(CaseToJson(it->second)) +
                     " server " + DumpJson(CaseToJson(cs));
          }
          if (!detail.empty()) break;
        }
        Violation(who + ": cases differ from the server (" +
                  std::to_string(mine.size()) + " vs " +
                  std::to_string(server->cases.size()) + "): " + detail);
      }
      std::map<std::string, Comment> my_comments;
      for (const auto& [id, cs] : mine) {
        auto comments = c.replica->ListComments(id);
        if (!comments.ok()) continue;
        for (Comment& cm : *comments) my_comments[cm.id] = cm;
      }
      if (my_comments != server->comments) {
        Violation(who + ": comments differ from the server (" +
                  std::to_string(my_comments.size()) + " vs " +
                  std::to_string(server->comments.size()) + ")");
      }
      if (ReplicaIds(c, "SELECT id FROM users") != server->users ||
          ReplicaIds(c, "SELECT id FROM accounts") != server->accounts) {
        Violation(who + ": users or accounts differ from the server");
      }
      if (!ReplicaIds(c, "SELECT id FROM opt_cases").empty()) {
        Violation(who + ": overlay not empty after quiescence");
      }
      // The server's filter against the core's rule, over every case: the
      // user sees exactly the cases CanSeeCase allows.
      size_t visible = 0;
      for (const auto& [id, oc] : cases_) {
        if (CanSeeCase(c.actor, ScopeOf(id, oc.account_id, oc.contact_id))) {
          ++visible;
          if (!server->cases.count(id)) {
            Violation(who + ": may see case " + id + " but did not get it");
          }
        }
      }
      if (visible != server->cases.size()) {
        Violation(who + ": got " + std::to_string(server->cases.size()) +
                  " cases, may see " + std::to_string(visible));
      }
    }
  }

  SimConfig config_;
  std::mt19937_64 rng_;
  SimStats stats_;
  SimClock clock_;
  std::string server_dir_;
  size_t pull_page_rows_ = kMaxPullResponseRows;
  std::unique_ptr<Service> service_;
  std::unique_ptr<Database> observer_;
  std::vector<Client> clients_;
  std::vector<Message> net_;
  bool healed_ = false;
  // Oracle.
  std::map<std::string, OracleCase> cases_;
  std::set<std::string> comments_;
  int64_t next_number_ = 0;
  int64_t seen_case_seq_ = 0;
  std::map<std::string, int64_t> oracle_last_;
  std::map<std::string, std::set<int64_t>> applied_ids_;
  std::map<std::string, std::set<int64_t>> rejected_ids_;
};

}  // namespace

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kDropRequest:
      return "drop_request";
    case Fault::kDropResponse:
      return "drop_response";
    case Fault::kDuplicateRequest:
      return "duplicate_request";
    case Fault::kReorder:
      return "reorder";
    case Fault::kOffline:
      return "offline";
    case Fault::kClientCrash:
      return "client_crash";
    case Fault::kCrashBeforeApply:
      return "client_crash_before_apply";
    case Fault::kServerCrash:
      return "server_crash";
    case Fault::kServerCrashReply:
      return "server_crash_before_reply";
    case Fault::kStaleReplyIgnored:
      return "stale_pull_reply_ignored";
    case Fault::kCount:
      break;
  }
  return "?";
}

int64_t SimStats::TotalFaults() const {
  int64_t n = 0;
  for (size_t i = 0; i < kFaultCount; ++i) {
    if (static_cast<Fault>(i) != Fault::kStaleReplyIgnored) n += faults[i];
  }
  return n;
}

void SimStats::Add(const SimStats& o) {
  steps += o.steps;
  mutations_queued += o.mutations_queued;
  mutations_refused += o.mutations_refused;
  mutations_applied += o.mutations_applied;
  mutations_rejected += o.mutations_rejected;
  pushes += o.pushes;
  pulls += o.pulls;
  pull_rows_checked += o.pull_rows_checked;
  server_restarts += o.server_restarts;
  client_restarts += o.client_restarts;
  cases += o.cases;
  comments += o.comments;
  for (size_t i = 0; i < kFaultCount; ++i) faults[i] += o.faults[i];
  for (const std::string& v : o.violations) {
    violations.push_back("seed " + std::to_string(o.seed) + ": " + v);
  }
}

SimStats RunSimulation(const SimConfig& config) {
  World world(config);
  return world.Run();
}

std::string ReplayCommand(const SimConfig& config) {
  std::ostringstream out;
  out << "build/sim/tests/casesync_sim --seed " << config.seed
      << " --mutations " << config.mutations << " --clients " << config.clients
      << (config.faults ? "" : " --no-faults")
      << (config.apply_stale_pulls ? " --apply-stale-pulls" : "")
      << " --trace --keep";
  return out.str();
}

std::string Summary(const SimStats& s) {
  std::ostringstream out;
  out << "steps=" << s.steps << " queued=" << s.mutations_queued
      << " refused_locally=" << s.mutations_refused
      << " applied=" << s.mutations_applied
      << " rejected=" << s.mutations_rejected << " pushes=" << s.pushes
      << " pulls=" << s.pulls << " rows_checked=" << s.pull_rows_checked
      << " cases=" << s.cases << " comments=" << s.comments
      << " faults=" << s.TotalFaults() << " [";
  for (size_t i = 0; i < kFaultCount; ++i) {
    out << (i ? " " : "") << FaultName(static_cast<Fault>(i)) << "="
        << s.faults[i];
  }
  out << "] violations=" << s.violations.size();
  return out.str();
}

}  // namespace casesync::sim
