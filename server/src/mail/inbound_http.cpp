#include "mail/inbound_http.h"

#include <sodium.h>

#include <utility>

#include "casesync/protocol.h"

namespace casesync::server::mail {

bool SecretMatches(std::string_view expected, std::string_view given) {
  if (expected.empty() || given.empty()) return false;
  unsigned char a[crypto_generichash_BYTES];
  unsigned char b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a,
                     reinterpret_cast<const unsigned char*>(expected.data()),
                     expected.size(), nullptr, 0);
  crypto_generichash(b, sizeof b,
                     reinterpret_cast<const unsigned char*>(given.data()),
                     given.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

HttpResponse HandleInbound(MailService* mail, const std::string& secret,
                           const HttpRequest& request) {
  if (mail == nullptr || secret.empty()) {
    return ErrorResponse(
        Status(ErrorCode::kUnavailable, "the e-mail intake is not configured"));
  }
  if (!SecretMatches(secret, request.Header(kSecretHeader))) {
    return ErrorResponse(
        Status(ErrorCode::kUnauthenticated, "wrong mailgate secret"));
  }
  auto outcome = mail->Receive(request.body);
  if (!outcome.ok()) return ErrorResponse(outcome.status());
  HttpResponse r;
  r.status = 200;
  Json body = Json{{"outcome", outcome->outcome},
                   {"messageId", outcome->message_id},
                   {"duplicate", outcome->duplicate},
                   {"answered", outcome->answered}};
  body["caseNumber"] =
      outcome->case_number.empty() ? Json() : Json(outcome->case_number);
  r.body = DumpJson(body);
  return r;
}

std::function<HttpResponse(const HttpRequest&)> InboundHandler(
    MailService* mail, std::string secret) {
  return [mail, secret = std::move(secret)](const HttpRequest& request) {
    return HandleInbound(mail, secret, request);
  };
}

}  // namespace casesync::server::mail
