#include "api.h"

#include <strings.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "logging.h"

namespace casesync::server {

const char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src "
    "'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

enum RouteId : size_t {
  kLogin,
  kLogout,
  kMe,
  kPassword,
  kRegister,
  kReset,
  kResetConfirm,
  kPush,
  kPull,
  kPoke,
  kCatalog,
  kHealthz,
  kMetrics,
  kBenchNoop,
  kMailInbound,
  kStatic,
  kUnmatched,
  kRouteCount
};

struct RouteDef {
  const char* path;
  const char* method;  // "" = any method
  RouteId id;
};

constexpr RouteDef kRoutes[] = {
    {"/api/v1/auth/login", "POST", kLogin},
    {"/api/v1/auth/logout", "POST", kLogout},
    {"/api/v1/auth/me", "GET", kMe},
    {"/api/v1/auth/password", "POST", kPassword},
    {"/api/v1/auth/register", "POST", kRegister},
    {"/api/v1/auth/reset", "POST", kReset},
    {"/api/v1/auth/reset/confirm", "POST", kResetConfirm},
    {"/api/v1/sync/push", "POST", kPush},
    {"/api/v1/sync/pull", "POST", kPull},
    {"/api/v1/sync/poke", "GET", kPoke},
    {"/api/v1/catalog", "GET", kCatalog},
    {"/healthz", "GET", kHealthz},
    {"/metrics", "GET", kMetrics},
    {"/api/v1/bench/noop", "", kBenchNoop},
    {"/api/v1/mail/inbound", "POST", kMailInbound},
};

std::vector<std::string> RouteNames() {
  std::vector<std::string> names(kRouteCount);
  for (const auto& r : kRoutes) names[r.id] = r.path;
  names[kStatic] = "static";
  names[kUnmatched] = "unmatched";
  return names;
}

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(body);
  return r;
}

HttpResponse JsonText(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// ---- strict decoding of the small auth bodies ----

enum class FieldType { kString, kBool };
struct FieldSpec {
  const char* name;
  FieldType type;
  bool required;
};

// Parses `body` as a JSON object holding only `specs` fields of the right
// types (core ParseJson limits apply: size, depth, UTF-8, duplicate keys).
Result<Json> DecodeObject(std::string_view body,
                          std::initializer_list<FieldSpec> specs) {
  CASESYNC_ASSIGN_OR_RETURN(Json j, ParseJson(body));
  if (!j.is_object()) {
    return Status(ErrorCode::kInvalidRequest, "expected a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    const FieldSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (key == s.name) spec = &s;
    }
    if (spec == nullptr) {
      return Status(ErrorCode::kInvalidRequest,
                    "unknown field \"" + key.substr(0, 64) + "\"");
    }
    bool ok = spec->type == FieldType::kString ? value.is_string()
                                               : value.is_boolean();
    if (!ok) {
      return Status(
          ErrorCode::kInvalidRequest,
          std::string(spec->name) + ": expected a " +
              (spec->type == FieldType::kString ? "string" : "boolean"));
    }
  }
  for (const auto& s : specs) {
    if (s.required && !j.contains(s.name)) {
      return Status(ErrorCode::kInvalidRequest,
                    std::string(s.name) + ": required");
    }
  }
  return j;
}

std::string StringField(const Json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() ? std::string() : it->get<std::string>();
}

// ---- static files ----

const char* ContentTypeFor(std::string_view ext) {
  static const std::pair<std::string_view, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".wasm", "application/wasm"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return type;
  }
  return "application/octet-stream";
}

// "index-BX3k9aZq.js": the last '-' or '.' segment of the stem has 8+
// characters of [A-Za-z0-9_] including a digit. Such files never change
// under the same name, so they may be cached for a year.
bool IsHashedName(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string_view stem = name.substr(0, dot);
  size_t sep = stem.find_last_of("-.");
  if (sep == std::string_view::npos) return false;
  std::string_view hash = stem.substr(sep + 1);
  if (hash.size() < 8) return false;
  bool digit = false;
  for (char c : hash) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return digit;
}

constexpr char kNotBuiltPage[] =
    "<!doctype html>\n"
    "<html lang=\"es-CO\">\n"
    "<head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<title>casesync — mesa de ayuda</title></head>\n"
    "<body>\n"
    "<h1>casesync</h1>\n"
    "<p>El servidor está funcionando, pero la aplicación web todavía no está "
    "compilada.</p>\n"
    "<p>Compílela (<code>tools/run</code> lo hace) o inicie el servidor con "
    "<code>--web DIR</code> apuntando a la carpeta de la aplicación "
    "compilada.</p>\n"
    "<p lang=\"en\">The web app is not built yet.</p>\n"
    "</body>\n"
    "</html>\n";

}  // namespace

class Api::Impl {
 public:
  Impl(Service& service, ApiOptions options, const Listener* listener)
      : service_(service),
        options_(std::move(options)),
        listener_(listener),
        metrics_(RouteNames()) {
    if (!options_.web_dir.empty()) {
      std::error_code ec;
      fs::path root = fs::canonical(options_.web_dir, ec);
      if (!ec) web_root_ = root;
    }
  }

  void Handle(HttpRequest request, std::shared_ptr<Responder> responder) {
    auto start = SteadyClock::now();
    RouteId route = kUnmatched;
    const char* allow = nullptr;
    for (const auto& r : kRoutes) {
      if (request.path != r.path) continue;
      if (r.id == kBenchNoop && !options_.bench_noop_route) break;
      if (r.method[0] == '\0' || request.method == r.method) {
        route = r.id;
      } else {
        allow = r.method;
      }
      break;
    }
    bool is_api = request.path.rfind("/api/", 0) == 0 || request.path == "/api";
    if (route == kUnmatched && allow == nullptr && !is_api) route = kStatic;

    auto out = std::make_shared<Measured>(this, std::move(responder), route,
                                          start, request.method);
    if (route == kUnmatched) {
      if (allow != nullptr) {
        HttpResponse r = ErrorResponse(
            Status(ErrorCode::kMethodNotAllowed,
                   request.method.substr(0, 16) + " is not allowed here"));
        r.headers.emplace_back("Allow", allow);
        out->Reply(std::move(r));
      } else {
        out->Reply(ErrorResponse(
            Status(ErrorCode::kRouteNotFound, "no such API route")));
      }
      return;
    }
    if (options_.workers != nullptr && RunsOnWorker(route, request)) {
      // Counted from here, so that a push that arrives while this one is
      // still queued goes to the workers too.
      if (route == kPush) pushes_on_workers_.fetch_add(1);
      options_.workers->Post(
          [this, route, request = std::move(request), out = std::move(out)] {
            struct Done {
              std::atomic<int>* pushes;
              ~Done() {
                if (pushes != nullptr) pushes->fetch_sub(1);
              }
            } done{route == kPush ? &pushes_on_workers_ : nullptr};
            Run(route, request, out);
          });
      return;
    }
    Run(route, request, out);
  }

 private:
  class Measured;

  // See api.h "Threads". A push waits for the single writer: while a push
  // is queued or running on the workers, the next ones go there as well, so
  // that the network thread never waits behind a large one.
  bool RunsOnWorker(RouteId route, const HttpRequest& request) const {
    switch (route) {
      case kLogin:
      case kPassword:
      case kRegister:
      case kReset:
      case kResetConfirm:
      case kMailInbound:
      case kStatic:
        return true;
      case kPush:
        return request.body.size() > kInlinePushBytes ||
               pushes_on_workers_.load() > 0;
      default:
        return false;
    }
  }

  void Run(RouteId route, const HttpRequest& request,
           const std::shared_ptr<Measured>& out) {
    switch (route) {
      case kLogin:
        return out->Reply(Login(request));
      case kLogout:
        return out->Reply(Logout(request));
      case kMe:
        return out->Reply(Me(request));
      case kPassword:
        return out->Reply(ChangePassword(request));
      case kRegister:
        return out->Reply(Register(request));
      case kReset:
        return out->Reply(Reset(request));
      case kResetConfirm:
        return out->Reply(ResetConfirm(request));
      case kPush:
        return out->Reply(Push(request));
      case kPull:
        return out->Reply(Pull(request));
      case kPoke:
        return Poke(request, out);
      case kCatalog:
        return out->Reply(Catalog(request));
      case kHealthz:
        return out->Reply(Healthz());
      case kMetrics:
        return out->Reply(MetricsPage());
      case kBenchNoop:
        return out->Reply(JsonText(200, "{\"ok\":true}"));
      case kMailInbound:  // server/src/mail/inbound_http.h
        if (options_.mail_inbound) {
          return out->Reply(options_.mail_inbound(request));
        }
        return out->Reply(ErrorResponse(
            Status(ErrorCode::kRouteNotFound, "no such API route")));
      case kStatic:
        return out->Reply(Static(request));
      default:
        return out->Reply(
            ErrorResponse(Status(ErrorCode::kRouteNotFound, "no such route")));
    }
  }

  // Adds the common headers, records metrics and logs one line.
  class Measured : public Responder {
   public:
    Measured(Impl* api, std::shared_ptr<Responder> inner, RouteId route,
             SteadyClock::time_point start, std::string method)
        : api_(api),
          inner_(std::move(inner)),
          route_(route),
          start_(start),
          method_(std::move(method)) {}
    ~Measured() override {
      if (!replied_) {
        Reply(ErrorResponse(
            Status(ErrorCode::kInternal, "the request was not answered")));
      }
    }
    void Reply(HttpResponse r) override {
      if (replied_.exchange(true)) return;
      int status = r.status;
      r.headers.emplace_back("X-Content-Type-Options", "nosniff");
      r.headers.emplace_back("Referrer-Policy", "no-referrer");
      r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
      if (route_ != kStatic)
        r.headers.emplace_back("Cache-Control", "no-store");
      inner_->Reply(std::move(r));
      double seconds =
          std::chrono::duration<double>(SteadyClock::now() - start_).count();
      api_->metrics_.RecordRequest(route_, status, seconds);
      if (api_->options_.access_log && LogEnabled(LogLevel::kInfo)) {
        char ms[32];
        std::snprintf(ms, sizeof ms, "%.3f", seconds * 1000);
        Log(status >= 500 ? LogLevel::kError : LogLevel::kInfo, "request",
            {{"method", method_.substr(0, 16)},
             {"route", api_->route_names_[route_]},
             {"status", std::to_string(status)},
             {"ms", ms}});
      }
    }

   private:
    Impl* api_;
    std::shared_ptr<Responder> inner_;
    RouteId route_;
    SteadyClock::time_point start_;
    std::string method_;
    std::atomic<bool> replied_{false};
  };

  // The session of the request's bearer token.
  Result<Session> Authenticate(const HttpRequest& r, bool allow_must_change) {
    const std::string& h = r.Header("authorization");
    if (h.empty()) {
      return Status(ErrorCode::kUnauthenticated, "sign in first");
    }
    if (h.size() < 8 || strncasecmp(h.c_str(), "Bearer ", 7) != 0) {
      return Status(ErrorCode::kUnauthenticated,
                    "expected Authorization: Bearer <token>");
    }
    std::string_view token = std::string_view(h).substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty() || token.size() > 256) {
      return Status(ErrorCode::kUnauthenticated, "invalid session token");
    }
    CASESYNC_ASSIGN_OR_RETURN(Session s, service_.Authenticate(token));
    if (s.must_change_password && !allow_must_change) {
      return Status(ErrorCode::kPasswordChangeRequired,
                    "change the temporary password first");
    }
    return s;
  }

  static std::string BearerToken(const HttpRequest& r) {
    std::string_view t = std::string_view(r.Header("authorization")).substr(7);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return std::string(t);
  }

  static Json SessionJson(const Session& s) {
    return Json{{"user", UserToJson(s.user)},
                {"mustChangePassword", s.must_change_password},
                {"expiresAt", s.expires_at}};
  }

  HttpResponse Login(const HttpRequest& r) {
    auto body = DecodeObject(r.body, {{"email", FieldType::kString, true},
                                      {"password", FieldType::kString, true},
                                      {"remember", FieldType::kBool, false}});
    if (!body.ok()) return ErrorResponse(body.status());
    bool remember = body->value("remember", false);
    auto result = service_.Login(StringField(*body, "email"),
                                 StringField(*body, "password"), remember,
                                 r.remote_address);
    if (!result.ok()) return ErrorResponse(result.status());
    Json out = SessionJson(result->session);
    out["token"] = result->token;
    return JsonResponse(200, out);
  }

  HttpResponse Logout(const HttpRequest& r) {
    auto session = Authenticate(r, true);
    if (!session.ok()) return ErrorResponse(session.status());
    Status s = service_.Logout(BearerToken(r));
    if (!s.ok()) return ErrorResponse(s);
    return JsonResponse(200, Json::object());
  }

  HttpResponse Me(const HttpRequest& r) {
    auto session = Authenticate(r, true);
    if (!session.ok()) return ErrorResponse(session.status());
    return JsonResponse(200, SessionJson(*session));
  }

  HttpResponse ChangePassword(const HttpRequest& r) {
    auto session = Authenticate(r, true);
    if (!session.ok()) return ErrorResponse(session.status());
    auto body =
        DecodeObject(r.body, {{"oldPassword", FieldType::kString, true},
                              {"newPassword", FieldType::kString, true}});
    if (!body.ok()) return ErrorResponse(body.status());
    Status s =
        service_.ChangePassword(*session, StringField(*body, "oldPassword"),
                                StringField(*body, "newPassword"));
    if (!s.ok()) return ErrorResponse(s);
    return JsonResponse(200, Json::object());
  }

  HttpResponse Register(const HttpRequest& r) {
    auto body = DecodeObject(r.body, {{"email", FieldType::kString, true},
                                      {"name", FieldType::kString, true},
                                      {"phone", FieldType::kString, false},
                                      {"password", FieldType::kString, true}});
    if (!body.ok()) return ErrorResponse(body.status());
    RegisterRequest req;
    req.email = StringField(*body, "email");
    req.name = StringField(*body, "name");
    req.phone = StringField(*body, "phone");
    req.password = StringField(*body, "password");
    auto result = service_.Register(req, r.remote_address);
    if (!result.ok()) return ErrorResponse(result.status());
    return JsonResponse(201, Json{{"user", UserToJson(result->user)}});
  }

  HttpResponse Reset(const HttpRequest& r) {
    auto body = DecodeObject(r.body, {{"email", FieldType::kString, true}});
    if (!body.ok()) return ErrorResponse(body.status());
    Status s = service_.RequestPasswordReset(StringField(*body, "email"),
                                             r.remote_address);
    if (!s.ok()) return ErrorResponse(s);
    return JsonResponse(202, Json::object());
  }

  HttpResponse ResetConfirm(const HttpRequest& r) {
    auto body =
        DecodeObject(r.body, {{"token", FieldType::kString, true},
                              {"newPassword", FieldType::kString, true}});
    if (!body.ok()) return ErrorResponse(body.status());
    Status s = service_.ConfirmPasswordReset(StringField(*body, "token"),
                                             StringField(*body, "newPassword"));
    if (!s.ok()) return ErrorResponse(s);
    return JsonResponse(200, Json::object());
  }

  HttpResponse Push(const HttpRequest& r) {
    auto session = Authenticate(r, false);
    if (!session.ok()) return ErrorResponse(session.status());
    // Args stay checked text until a mutator reads them (MutationRecord).
    auto push = DecodePushRequest(r.body, ArgsDecoding::kDeferArgs);
    if (!push.ok()) return ErrorResponse(push.status());
    auto result = service_.Push(*session, *push);
    if (!result.ok()) {
      Status s = result.status();
      if (s.code() == ErrorCode::kMutationGap) {
        return ErrorResponse(s, Json{{"expectedId", ExpectedMutationId(s)}});
      }
      return ErrorResponse(s);
    }
    return JsonText(200, EncodePushResponse(*result));
  }

  HttpResponse Pull(const HttpRequest& r) {
    auto session = Authenticate(r, false);
    if (!session.ok()) return ErrorResponse(session.status());
    auto pull = DecodePullRequest(r.body);
    if (!pull.ok()) return ErrorResponse(pull.status());
    auto result = service_.PullText(*session, *pull);
    if (!result.ok()) return ErrorResponse(result.status());
    return JsonText(200, std::move(*result));
  }

  void Poke(const HttpRequest& r, const std::shared_ptr<Responder>& out) {
    auto session = Authenticate(r, false);
    if (!session.ok()) return out->Reply(ErrorResponse(session.status()));
    std::optional<std::string> cursor;
    for (const auto& [k, v] : r.query) {
      if (k != "cursor") {
        return out->Reply(ErrorResponse(
            Status(ErrorCode::kInvalidRequest,
                   "unknown query parameter \"" + k.substr(0, 32) + "\"")));
      }
      if (!v.empty()) cursor = v;
    }
    if (cursor && cursor->size() > kMaxCursorLength) {
      return out->Reply(ErrorResponse(
          Status(ErrorCode::kInvalidRequest, "cursor: too long")));
    }
    // The service answers from its own thread; no transport thread waits.
    service_.WaitForChange(
        *session, std::move(cursor), options_.poke_timeout,
        [out](PokeResponse poke) {
          out->Reply(JsonText(200, EncodePokeResponse(poke)));
        });
  }

  HttpResponse Catalog(const HttpRequest& r) {
    auto session = Authenticate(r, true);
    if (!session.ok()) return ErrorResponse(session.status());
    Json items = Json::array();
    for (const auto& item : service_.Catalog()) {
      items.push_back(CatalogItemToJson(item));
    }
    return JsonResponse(200, Json{{"items", std::move(items)}});
  }

  HttpResponse Healthz() {
    Status s = service_.Healthy();
    if (!s.ok()) {
      return ErrorResponse(Status(ErrorCode::kUnavailable, s.message()));
    }
    return JsonText(200, "{\"status\":\"ok\"}");
  }

  HttpResponse MetricsPage() {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.Render(
        service_.Counters(), service_.OpenLongPolls(),
        listener_ ? listener_->InFlight() : 0,
        options_.workers ? static_cast<int64_t>(options_.workers->Queued())
                         : 0);
    return r;
  }

  HttpResponse Static(const HttpRequest& r) {
    if (r.method != "GET") {
      HttpResponse e = ErrorResponse(Status(ErrorCode::kMethodNotAllowed,
                                            "only GET is allowed for files"));
      e.headers.emplace_back("Allow", "GET");
      return e;
    }
    const std::string& path = r.path;
    // Only clean absolute paths: no "." or ".." segments, no backslashes or
    // NULs, no empty segments. Anything else is not a file of the app.
    bool clean = !path.empty() && path[0] == '/' &&
                 path.find('\0') == std::string::npos &&
                 path.find('\\') == std::string::npos && path.size() < 1024;
    std::vector<std::string> segments;
    if (clean) {
      std::stringstream ss(path.substr(1));
      std::string seg;
      while (std::getline(ss, seg, '/')) {
        if (seg == "." || seg == ".." || (seg.empty() && !ss.eof())) {
          clean = false;
          break;
        }
        if (!seg.empty()) segments.push_back(seg);
      }
    }
    if (!clean) {
      return ErrorResponse(Status(ErrorCode::kRouteNotFound, "no such file"));
    }
    bool want_index = segments.empty() || path.back() == '/';
    if (web_root_.empty() || !fs::is_regular_file(web_root_ / "index.html")) {
      if (want_index || path == "/index.html") return BuiltInPage();
      return ErrorResponse(Status(ErrorCode::kRouteNotFound, "no such file"));
    }
    fs::path file = web_root_;
    for (const auto& s : segments) file /= s;
    if (want_index) file /= "index.html";
    std::error_code ec;
    fs::path real = fs::canonical(file, ec);
    bool inside = !ec && IsInside(real);
    if (!inside || !fs::is_regular_file(real, ec)) {
      // Client-side routes of the app ("/casos/123") get the app shell.
      bool navigation =
          segments.empty() || segments.back().find('.') == std::string::npos;
      if (navigation &&
          r.Header("accept").find("text/html") != std::string::npos) {
        real = web_root_ / "index.html";
      } else {
        return ErrorResponse(Status(ErrorCode::kRouteNotFound, "no such file"));
      }
    }
    return FileResponse(r, real);
  }

  bool IsInside(const fs::path& real) const {
    auto rel = real.lexically_relative(web_root_);
    return !rel.empty() && *rel.begin() != ".." && rel.is_relative();
  }

  HttpResponse FileResponse(const HttpRequest& r, const fs::path& file) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) {
      return ErrorResponse(Status(ErrorCode::kRouteNotFound, "no such file"));
    }
    std::string etag = "\"" + std::to_string(st.st_size) + "-" +
                       std::to_string(st.st_mtim.tv_sec) + "." +
                       std::to_string(st.st_mtim.tv_nsec) + "\"";
    std::string name = file.filename().string();
    std::string ext = file.extension().string();
    HttpResponse out;
    out.content_type = ContentTypeFor(ext);
    bool no_cache = ext == ".html" || ext == ".webmanifest" ||
                    name == "sw.js" || name == "service-worker.js" ||
                    !IsHashedName(name);
    out.headers.emplace_back(
        "Cache-Control",
        no_cache ? "no-cache" : "public, max-age=31536000, immutable");
    out.headers.emplace_back("ETag", etag);
    if (r.Header("if-none-match") == etag) {
      out.status = 304;
      out.content_type.clear();
      return out;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return ErrorResponse(Status(ErrorCode::kRouteNotFound, "no such file"));
    }
    std::ostringstream data;
    data << in.rdbuf();
    out.body = std::move(data).str();
    return out;
  }

  HttpResponse BuiltInPage() {
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = kNotBuiltPage;
    return r;
  }

  Service& service_;
  ApiOptions options_;
  std::atomic<int> pushes_on_workers_{0};
  const Listener* listener_;
  Metrics metrics_;
  std::vector<std::string> route_names_ = RouteNames();
  fs::path web_root_;
};

Api::Api(Service& service, ApiOptions options, const Listener* listener)
    : impl_(std::make_unique<Impl>(service, std::move(options), listener)) {}

Api::~Api() = default;

void Api::Handle(HttpRequest request, std::shared_ptr<Responder> responder) {
  impl_->Handle(std::move(request), std::move(responder));
}

}  // namespace casesync::server
