// One casesync CLI install: the local replica in DIR/replica.db, the session
// kept in its meta (ext.* keys) and the sync loop that drives the core's
// SyncEngine over HTTP (http_client.h).
//
// Meta keys: "server" (the URL given at login), "token" (the bearer token,
// "" after logout), "email", "session_expired" ("1" after a 401).
#ifndef CASESYNC_TOOLS_CASESYNC_CLIENT_H_
#define CASESYNC_TOOLS_CASESYNC_CLIENT_H_

#include <functional>
#include <memory>
#include <random>
#include <string>

#include "casesync/replica.h"
#include "casesync/status.h"
#include "casesync/sync_engine.h"
#include "http_client.h"

namespace casesync::cli {

inline constexpr const char* kMetaServer = "server";
inline constexpr const char* kMetaToken = "token";
inline constexpr const char* kMetaEmail = "email";
inline constexpr const char* kMetaSessionExpired = "session_expired";
inline constexpr const char* kDefaultServer = "http://localhost:8080";

// The current time as ISO 8601 UTC with milliseconds.
std::string NowIso();
// 16 random bytes from std::random_device as 32 hex digits.
std::string RandomHex16();
// A time-ordered (version 7) UUID for a new case or comment
// (casesync::FormatUuidV7).
std::string NewUuidV7();

class Client {
 public:
  // Opens (creating DIR and the replica if needed). `server_flag` overrides
  // the URL stored at login ("" to use the stored one or the default).
  static Result<std::unique_ptr<Client>> Open(const std::string& data_dir,
                                              const std::string& server_flag);

  Replica& replica() { return *replica_; }
  std::string server_url() const { return server_url_; }
  // "" when not signed in.
  std::string token();

  // Sends one request to the server (with the session's token when
  // `authenticated`).
  Result<HttpReply> Send(const std::string& method, const std::string& path,
                         const std::string& body, bool authenticated,
                         std::chrono::milliseconds timeout);

  // Runs sync rounds with the core's engine until it is done (or for ever
  // in watch mode). `on_round` is called after each round that ended (and
  // in watch mode after each change). Returns the final status; a missing
  // session gives kNeedsSignIn without any request.
  Result<SyncStatus> Sync(
      const SyncOptions& options,
      const std::function<void(const SyncStatus&)>& on_round = nullptr);

 private:
  Client() = default;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<HttpClient> http_;
  std::string server_url_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace casesync::cli

#endif  // CASESYNC_TOOLS_CASESYNC_CLIENT_H_
