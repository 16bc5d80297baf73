// Where outbound mail goes: an SMTP relay through libcurl, or, with no relay
// configured, .eml files in an outbox folder (DATA/outbox/).
//
// Thread-compatible: one sender thread uses a transport at a time.
#ifndef CASESYNC_SERVER_MAIL_TRANSPORT_H_
#define CASESYNC_SERVER_MAIL_TRANSPORT_H_

#include <memory>
#include <string>
#include <string_view>

#include "casesync/status.h"

namespace casesync::server::mail {

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Delivers `raw` (RFC 5322, CRLF) from envelope sender `from` to `to`.
  // On failure, `*permanent` tells whether retrying is pointless (an SMTP
  // 5xx answer such as "550 no such user"); connection failures, timeouts
  // and 4xx answers are temporary. The message never holds a secret.
  virtual Status Send(const std::string& from, const std::string& to,
                      const std::string& raw, bool* permanent) = 0;
};

struct SmtpOptions {
  std::string url;  // smtp://HOST:PORT (or smtps://HOST:PORT: TLS at once)
  bool starttls = false;  // require STARTTLS on smtp://
  std::string user;       // "" : no AUTH
  std::string password;
  std::string helo_domain = "localhost";
  long connect_timeout_s = 10;
  long timeout_s = 60;
};

std::unique_ptr<MailTransport> NewSmtpTransport(SmtpOptions options);

// Writes each message as DIR/<unix ms>-<n>.eml (written to a
// temporary name, then renamed: readers never see half a file).
std::unique_ptr<MailTransport> NewOutboxTransport(std::string dir);

}  // namespace casesync::server::mail

#endif  // CASESYNC_SERVER_MAIL_TRANSPORT_H_
