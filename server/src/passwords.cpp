#include "passwords.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <string>

#include "casesync/domain.h"
#include "casesync/validation.h"

namespace casesync::server {
namespace {

// Common passwords of 10+ characters (lists of leaked passwords, plus the
// Spanish ones people in Colombia use). Lower case.
constexpr std::array<std::string_view, 40> kCommonPasswords = {
    "1234567890",    "0123456789",    "12345678910",  "123456789a",
    "1111111111",    "0000000000",    "1234512345",   "qwertyuiop",
    "asdfghjkl1",    "password12",    "password123",  "password1234",
    "passw0rd123",   "iloveyou12",    "qwerty1234",   "qwerty12345",
    "abcdef1234",    "abc1234567",    "1q2w3e4r5t",   "1qaz2wsx3edc",
    "administrador", "administrator", "contraseña",   "contrasena",
    "contrasena123", "contraseña123", "colombia123",  "colombia2024",
    "colombia2025",  "colombia2026",  "bogota2024",   "medellin123",
    "micontraseña",  "micontrasena",  "123456789abc", "cambiame123",
    "bienvenido1",   "bienvenido123", "superman123",  "football123"};

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, bytes, n);
  return out;
}

unsigned long long OpsLimit(HashCost cost) {
  return cost == HashCost::kMinimum ? crypto_pwhash_OPSLIMIT_MIN
                                    : crypto_pwhash_OPSLIMIT_INTERACTIVE;
}

size_t MemLimit(HashCost cost) {
  return cost == HashCost::kMinimum ? crypto_pwhash_MEMLIMIT_MIN
                                    : crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

}  // namespace

Status InitCrypto() {
  static const int rc = sodium_init();  // thread-safe static init
  if (rc < 0) return Status(ErrorCode::kInternal, "libsodium init failed");
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password, HashCost cost) {
  CASESYNC_RETURN_IF_ERROR(InitCrypto());
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), OpsLimit(cost),
                        MemLimit(cost)) != 0) {
    return Status(ErrorCode::kInternal, "password hashing failed (memory)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!InitCrypto().ok()) return false;
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string h(hash);  // NUL-terminated
  return crypto_pwhash_str_verify(h.c_str(), password.data(),
                                  password.size()) == 0;
}

bool NeedsRehash(std::string_view hash, HashCost cost) {
  if (!InitCrypto().ok()) return false;
  std::string h(hash);
  return crypto_pwhash_str_needs_rehash(h.c_str(), OpsLimit(cost),
                                        MemLimit(cost)) != 0;
}

Status CheckPasswordStrength(std::string_view password,
                             std::string_view email) {
  if (!IsValidUtf8(password) || CodePointCount(password) < kMinPasswordLength) {
    return Status(ErrorCode::kWeakPassword,
                  "La contraseña debe tener al menos 10 caracteres. / The "
                  "password must have at least 10 characters.");
  }
  std::string lower = AsciiLower(password);
  bool common = std::find(kCommonPasswords.begin(), kCommonPasswords.end(),
                          lower) != kCommonPasswords.end();
  if (common || (!email.empty() && lower == AsciiLower(email))) {
    return Status(ErrorCode::kWeakPassword,
                  "La contraseña es demasiado común. / The password is too "
                  "common.");
  }
  return Status::Ok();
}

std::string RandomHex(size_t bytes) {
  (void)InitCrypto();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string RandomToken() { return RandomHex(16); }

std::string NewId(std::string_view prefix) {
  return std::string(prefix) + RandomHex(12);
}

std::string NewUuidV7() {
  (void)InitCrypto();
  unsigned char random[10];
  randombytes_buf(random, sizeof random);
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  return FormatUuidV7(now_ms, random);
}

std::string TokenHash(std::string_view token) {
  (void)InitCrypto();
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash(out, sizeof out,
                     reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return Hex(out, sizeof out);
}

std::string ShortHash(std::string_view text) {
  (void)InitCrypto();
  unsigned char out[crypto_generichash_BYTES_MIN];  // 16, the minimum
  crypto_generichash(out, sizeof out,
                     reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return Hex(out, 8);
}

}  // namespace casesync::server
