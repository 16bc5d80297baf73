// casesync-mailgate: hands one e-mail (RFC 5322 on stdin, as an MTA's pipe
// transport delivers it) to casesync-server (DESIGN §6, docs/mail.md).
//
//   casesync-mailgate --server URL [--secret-file F] [--timeout SECONDS]
//
// The shared secret comes from --secret-file F (first line) or
// CASESYNC_MAILGATE_SECRET. Attachment contents are dropped before sending
// (the server lists attachments, it does not store them), so large mail
// fits the server's body limit.
//
// Exit codes (sysexits.h), which the MTA acts on:
//   0  EX_OK        accepted (processed, ignored as auto-reply, or duplicate)
//   64 EX_USAGE     bad command line
//   65 EX_DATAERR   the server refused the message itself (not a message,
//                   no sender, too large): the MTA bounces it
//   75 EX_TEMPFAIL  server down, 5xx, intake not configured, no secret: the
//                   MTA keeps the message and retries
//   77 EX_NOPERM    the server refused the secret
#include <curl/curl.h>
#include <sysexits.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "mail/mail_message.h"

namespace {

constexpr size_t kMaxInput = 64u << 20;  // 64 MiB of raw mail

int Usage() {
  std::fprintf(stderr,
               "usage: casesync-mailgate --server URL [--secret-file F] "
               "[--timeout SECONDS] < message.eml\n");
  return EX_USAGE;
}

size_t Collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server, secret_file;
  long timeout = 60;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string t;
    if (arg == "--server") {
      if (!value(&server)) return Usage();
    } else if (arg == "--secret-file") {
      if (!value(&secret_file)) return Usage();
    } else if (arg == "--timeout") {
      if (!value(&t)) return Usage();
      timeout = std::strtol(t.c_str(), nullptr, 10);
      if (timeout <= 0) return Usage();
    } else if (arg == "--help" || arg == "-h") {
      Usage();
      return EX_OK;
    } else {
      return Usage();
    }
  }
  if (server.empty()) return Usage();

  std::string secret;
  if (!secret_file.empty()) {
    std::ifstream f(secret_file);
    if (!f || !std::getline(f, secret)) {
      std::fprintf(stderr, "casesync-mailgate: cannot read %s\n",
                   secret_file.c_str());
      return EX_TEMPFAIL;
    }
  } else if (const char* env = std::getenv("CASESYNC_MAILGATE_SECRET")) {
    secret = env;
  }
  while (!secret.empty() && (secret.back() == '\r' || secret.back() == '\n' ||
                             secret.back() == ' ')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    std::fprintf(stderr,
                 "casesync-mailgate: no secret (--secret-file or "
                 "CASESYNC_MAILGATE_SECRET)\n");
    return EX_TEMPFAIL;
  }

  std::string raw;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) {
    raw.append(buffer, n);
    if (raw.size() > kMaxInput) {
      std::fprintf(stderr, "casesync-mailgate: message over 64 MiB\n");
      return EX_DATAERR;
    }
  }
  std::string body = casesync::server::mail::StripAttachments(raw);

  while (!server.empty() && server.back() == '/') server.pop_back();
  std::string url = server + "/api/v1/mail/inbound";
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return EX_TEMPFAIL;
  std::string header = "X-Casesync-Mailgate-Secret: " + secret;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: message/rfc822");
  headers = curl_slist_append(headers, header.c_str());
  headers = curl_slist_append(headers, "Expect:");
  std::string reply;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  if (rc != CURLE_OK) {
    std::fprintf(stderr, "casesync-mailgate: %s: %s\n", url.c_str(),
                 curl_easy_strerror(rc));
    return EX_TEMPFAIL;
  }
  if (status >= 200 && status < 300) {
    std::printf("%s\n", reply.c_str());
    return EX_OK;
  }
  std::fprintf(stderr, "casesync-mailgate: HTTP %ld: %s\n", status,
               reply.substr(0, 500).c_str());
  if (status == 401 || status == 403) return EX_NOPERM;
  if (status == 400 || status == 413 || status == 422) return EX_DATAERR;
  return EX_TEMPFAIL;  // 404 (old server), 429, 5xx: keep the message
}
