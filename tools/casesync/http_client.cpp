#include "http_client.h"

#include <cpprest/http_client.h>

#include <exception>
#include <utility>

namespace casesync::cli {

Result<std::unique_ptr<HttpClient>> HttpClient::Create(
    const std::string& base_url) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Status(
        ErrorCode::kInvalidRequest,
        "la URL del servidor debe empezar por http:// o https://: " + base_url);
  }
  try {
    web::uri uri(utility::conversions::to_string_t(url));
    if (uri.host().empty()) {
      return Status(ErrorCode::kInvalidRequest,
                    "la URL del servidor no tiene host: " + base_url);
    }
  } catch (const std::exception& e) {
    return Status(
        ErrorCode::kInvalidRequest,
        "URL del servidor no válida: " + base_url + " (" + e.what() + ")");
  }
  return std::unique_ptr<HttpClient>(new HttpClient(url));
}

HttpClient::~HttpClient() = default;

Result<HttpReply> HttpClient::Send(const std::string& method,
                                   const std::string& path,
                                   const std::string& body,
                                   const std::string& token,
                                   std::chrono::milliseconds timeout) {
  try {
    web::http::client::http_client_config config;
    config.set_timeout(timeout);
    web::http::client::http_client client(
        utility::conversions::to_string_t(base_url_), config);
    web::http::http_request request(utility::conversions::to_string_t(method));
    request.set_request_uri(utility::conversions::to_string_t(path));
    if (!token.empty()) {
      request.headers().add(
          U("Authorization"),
          utility::conversions::to_string_t("Bearer " + token));
    }
    if (method != "GET") {
      request.set_body(body, "application/json; charset=utf-8");
    }
    web::http::http_response response = client.request(request).get();
    HttpReply reply;
    reply.status = response.status_code();
    reply.body =
        response.extract_utf8string(/*ignore_content_type=*/true).get();
    return reply;
  } catch (const std::exception& e) {
    return Status(ErrorCode::kUnavailable, e.what());
  } catch (...) {
    return Status(ErrorCode::kUnavailable, "unknown transport error");
  }
}

}  // namespace casesync::cli
