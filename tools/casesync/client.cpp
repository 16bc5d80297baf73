#include "client.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <thread>

#include "casesync/domain.h"

namespace casesync::cli {
namespace {

constexpr std::chrono::milliseconds kRequestTimeout{15000};
// The server answers a poke within 25 s; allow for a slow network.
constexpr std::chrono::milliseconds kPokeTimeout{35000};

}  // namespace

std::string NowIso() {
  return FormatIsoTime(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
}

std::string RandomHex16() {
  std::random_device rd;
  std::string out;
  char buf[9];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rd()));
    out += buf;
  }
  return out;
}

std::string NewUuidV7() {
  std::random_device rd;
  unsigned char random[10];
  for (unsigned char& b : random) b = static_cast<unsigned char>(rd());
  return FormatUuidV7(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count(),
                      random);
}

Result<std::unique_ptr<Client>> Client::Open(const std::string& data_dir,
                                             const std::string& server_flag) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Status(ErrorCode::kStorage,
                  "no se pudo crear " + data_dir + ": " + ec.message());
  }
  std::unique_ptr<Client> c(new Client());
  CASESYNC_ASSIGN_OR_RETURN(
      c->replica_, Replica::Open(data_dir + "/replica.db", RandomHex16()));
  std::string url = server_flag;
  if (url.empty()) {
    CASESYNC_ASSIGN_OR_RETURN(auto stored, c->replica_->GetMeta(kMetaServer));
    url = stored && !stored->empty() ? *stored : kDefaultServer;
  }
  c->server_url_ = url;
  return c;
}

std::string Client::token() {
  auto t = replica_->GetMeta(kMetaToken);
  return t.ok() && *t ? **t : "";
}

Result<HttpReply> Client::Send(const std::string& method,
                               const std::string& path, const std::string& body,
                               bool authenticated,
                               std::chrono::milliseconds timeout) {
  if (!http_) {
    CASESYNC_ASSIGN_OR_RETURN(http_, HttpClient::Create(server_url_));
  }
  return http_->Send(method, path, body, authenticated ? token() : "", timeout);
}

Result<SyncStatus> Client::Sync(
    const SyncOptions& options,
    const std::function<void(const SyncStatus&)>& on_round) {
  SyncEngine engine(*replica_, options);
  if (token().empty()) {
    // Never signed in (or signed out): report without a request.
    CASESYNC_ASSIGN_OR_RETURN(SyncStatus st, engine.GetStatus());
    st.phase = SyncPhase::kNeedsSignIn;
    st.last_error =
        Status(ErrorCode::kUnauthenticated, "no ha iniciado sesión");
    return st;
  }
  engine.Start();
  SyncPhase before = engine.phase();
  while (true) {
    CASESYNC_ASSIGN_OR_RETURN(SyncStep step, engine.Next(rng_()));
    if (step.kind == SyncStep::Kind::kDone) break;
    if (step.kind == SyncStep::Kind::kWait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(step.wait_ms));
      continue;
    }
    bool poke = step.request.method == SyncRequest::Method::kGet;
    Result<HttpReply> reply =
        Send(poke ? "GET" : "POST", step.request.path, step.request.body, true,
             poke ? kPokeTimeout : kRequestTimeout);
    if (!reply.ok()) {
      if (reply.status().code() == ErrorCode::kInvalidRequest) {
        return reply.status();  // a bad URL: retrying will not help
      }
      engine.OnTransportError(reply.status().message());
    } else {
      CASESYNC_RETURN_IF_ERROR(
          engine.OnResponse(reply->status, reply->body, NowIso()));
    }
    // A round ended in watch mode when the engine turns to watching.
    if (on_round && engine.phase() == SyncPhase::kWatching &&
        before != SyncPhase::kWatching) {
      CASESYNC_ASSIGN_OR_RETURN(SyncStatus st, engine.GetStatus());
      on_round(st);
    }
    before = engine.phase();
  }
  if (engine.phase() == SyncPhase::kNeedsSignIn) {
    CASESYNC_RETURN_IF_ERROR(replica_->SetMeta(kMetaSessionExpired, "1"));
  }
  CASESYNC_ASSIGN_OR_RETURN(SyncStatus st, engine.GetStatus());
  if (on_round) on_round(st);
  return st;
}

}  // namespace casesync::cli
