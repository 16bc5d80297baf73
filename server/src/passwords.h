// Secrets of the server: password hashing (argon2id through libsodium's
// crypto_pwhash_str), the password policy, random bearer/reset tokens and
// the hashes under which tokens are stored.
//
// Thread-safe (libsodium is initialised once, by the first call). Nothing
// here logs or returns a secret inside a Status message.
#ifndef CASESYNC_SERVER_PASSWORDS_H_
#define CASESYNC_SERVER_PASSWORDS_H_

#include <string>
#include <string_view>

#include "casesync/status.h"

namespace casesync::server {

// argon2id cost. kInteractive is libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE
// (production); kMinimum its MIN limits (tests only: hashing in ~1 ms).
enum class HashCost { kInteractive, kMinimum };

constexpr size_t kMinPasswordLength = 10;  // code points

// Initialises libsodium; kInternal when it cannot. Idempotent.
Status InitCrypto();

// "$argon2id$v=19$m=...": the encoded hash of `password`.
Result<std::string> HashPassword(std::string_view password, HashCost cost);
// Whether `password` matches `hash` (false for a malformed hash).
bool VerifyPassword(std::string_view hash, std::string_view password);
// Whether `hash` was made with other parameters than `cost` (rehash on
// login).
bool NeedsRehash(std::string_view hash, HashCost cost);

// The password policy of DESIGN §5: at least kMinPasswordLength code points,
// valid UTF-8, not in the embedded list of common passwords (compared
// case-insensitively) and not the e-mail address itself. kWeakPassword with a
// Spanish / English message otherwise.
Status CheckPasswordStrength(std::string_view password,
                             std::string_view email = {});

// 16 random bytes, hex-encoded (32 characters): bearer and reset tokens.
std::string RandomToken();
// Random hex string of `bytes` random bytes (ids, epochs).
std::string RandomHex(size_t bytes);
// A new id for server-made rows ("usr-" + 24 hex digits and the like).
std::string NewId(std::string_view prefix);
// A new case or comment id made by the server (e-mail intake): a version 7
// UUID, time-ordered like the clients' (casesync::FormatUuidV7).
std::string NewUuidV7();
// The stored form of a token: BLAKE2b-256 (crypto_generichash), hex.
std::string TokenHash(std::string_view token);
// 16 hex digits of BLAKE2b of `text` (non-secret fingerprints).
std::string ShortHash(std::string_view text);

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_PASSWORDS_H_
