// POST /api/v1/mail/inbound: the server end of casesync-mailgate.
//
//   request:  body = one RFC 5322 message (Content-Type: message/rfc822),
//             header X-Casesync-Mailgate-Secret: the shared secret
//   200       {"outcome":"case_created","caseNumber":"CS0000123",
//              "duplicate":false,"answered":true}
//   401       unauthenticated: missing or wrong secret      (mailgate: 77)
//   400/422   not a message / no usable sender              (mailgate: 65)
//   503       mail intake not configured (no secret set)    (mailgate: 75)
//   500       storage failure                               (mailgate: 75)
//
// The secret is compared in constant time (BLAKE2b of both, sodium_memcmp),
// so neither its content nor its length leaks through timing.
#ifndef CASESYNC_SERVER_MAIL_INBOUND_HTTP_H_
#define CASESYNC_SERVER_MAIL_INBOUND_HTTP_H_

#include <functional>
#include <string>
#include <string_view>

#include "http_transport.h"
#include "mail/mail_service.h"

namespace casesync::server::mail {

inline constexpr const char kInboundPath[] = "/api/v1/mail/inbound";
inline constexpr const char kSecretHeader[] = "x-casesync-mailgate-secret";

// Whether `given` equals `expected` (constant time; "" never matches).
bool SecretMatches(std::string_view expected, std::string_view given);

// The handler. `mail` may be null (intake off → 503). Thread-safe.
HttpResponse HandleInbound(MailService* mail, const std::string& secret,
                           const HttpRequest& request);

// HandleInbound bound to `mail` and `secret`, for ApiOptions.
std::function<HttpResponse(const HttpRequest&)> InboundHandler(
    MailService* mail, std::string secret);

}  // namespace casesync::server::mail

#endif  // CASESYNC_SERVER_MAIL_INBOUND_HTTP_H_
