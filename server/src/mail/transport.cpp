#include "mail/transport.h"

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace casesync::server::mail {
namespace {

void InitCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t room = size * count;
  size_t left = up->data->size() - up->offset;
  size_t n = left < room ? left : room;
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

class SmtpTransport : public MailTransport {
 public:
  explicit SmtpTransport(SmtpOptions options) : options_(std::move(options)) {
    InitCurl();
  }

  Status Send(const std::string& from, const std::string& to,
              const std::string& raw, bool* permanent) override {
    *permanent = false;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
      return Status(ErrorCode::kInternal, "curl_easy_init failed");
    }
    std::string url = options_.url;
    // The URL's path is the EHLO name (curl's convention).
    size_t scheme = url.find("://");
    if (scheme != std::string::npos &&
        url.find('/', scheme + 3) == std::string::npos) {
      url += "/" + options_.helo_domain;
    }
    std::string mail_from = "<" + from + ">";
    std::string rcpt = "<" + to + ">";
    curl_slist* recipients = curl_slist_append(nullptr, rcpt.c_str());
    Upload upload{&raw, 0};
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, options_.timeout_s);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    if (options_.starttls) {
      curl_easy_setopt(curl, CURLOPT_USE_SSL,
                       static_cast<long>(CURLUSESSL_ALL));
    }
    if (!options_.user.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
    }
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(recipients);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) return Status::Ok();
    // 5xx is final, except authentication (an operator fixes the settings).
    *permanent = code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED;
    std::string what = error[0] != '\0' ? error : curl_easy_strerror(rc);
    return Status(
        ErrorCode::kUnavailable,
        "smtp: " + what + (code > 0 ? " (" + std::to_string(code) + ")" : ""));
  }

 private:
  SmtpOptions options_;
};

class OutboxTransport : public MailTransport {
 public:
  explicit OutboxTransport(std::string dir) : dir_(std::move(dir)) {}

  Status Send(const std::string& /*from*/, const std::string& /*to*/,
              const std::string& raw, bool* permanent) override {
    *permanent = false;
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
      return Status(ErrorCode::kStorage,
                    "cannot create " + dir_ + ": " + ec.message());
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    std::string stem = std::to_string(ms) + "-" + std::to_string(++counter_);
    fs::path tmp = fs::path(dir_) / ("." + stem + ".tmp");
    fs::path final_path = fs::path(dir_) / (stem + ".eml");
    {
      std::ofstream f(tmp, std::ios::binary);
      f.write(raw.data(), static_cast<std::streamsize>(raw.size()));
      f.flush();
      if (!f)
        return Status(ErrorCode::kStorage, "cannot write " + tmp.string());
    }
    fs::rename(tmp, final_path, ec);
    if (ec) {
      return Status(
          ErrorCode::kStorage,
          "cannot rename to " + final_path.string() + ": " + ec.message());
    }
    return Status::Ok();
  }

 private:
  std::string dir_;
  std::atomic<int64_t> counter_{0};
};

}  // namespace

std::unique_ptr<MailTransport> NewSmtpTransport(SmtpOptions options) {
  return std::make_unique<SmtpTransport>(std::move(options));
}

std::unique_ptr<MailTransport> NewOutboxTransport(std::string dir) {
  return std::make_unique<OutboxTransport>(std::move(dir));
}

}  // namespace casesync::server::mail
