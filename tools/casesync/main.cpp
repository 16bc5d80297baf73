// casesync: the native command-line client (docs/cli.md).
//
//   casesync [--server URL] [--data DIR] [--json] [--no-sync] COMMAND …
//
// The replica lives in DIR/replica.db (the same core and schema as the
// browser); commands read it and queue changes offline, and `sync` (or the
// sync a changing command tries afterwards) pushes and pulls through the
// core's SyncEngine. Human output is Spanish; --json prints one JSON value.
//
// Exit codes: 0 done (a change queued offline counts as done: it is
// "pendiente"), 1 error, 2 usage (also a bad value: state, URL, JSON file),
// 3 sign-in needed, 4 refused (a rule, a validation, an unknown case, or a
// server rejection), 5 server unreachable.
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "casesync/domain.h"
#include "casesync/mutation.h"
#include "casesync/protocol.h"
#include "casesync/replica.h"
#include "casesync/sync_engine.h"
#include "casesync/validation.h"
#include "client.h"

namespace casesync::cli {
namespace {

enum Exit {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitSignIn = 3,
  kExitRefused = 4,
  kExitOffline = 5,
};

struct Globals {
  std::string server;
  std::string data_dir;
  bool json = false;
  bool no_sync = false;
  int attempts = 3;
};

// ---- output ----

void PrintJson(const Json& j) { std::cout << j.dump(2) << "\n"; }

int ExitFor(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kOk:
      return kExitOk;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPasswordChangeRequired:
    case ErrorCode::kAccountPending:
      return kExitSignIn;
    case ErrorCode::kValidationFailed:
    case ErrorCode::kNotFound:
    case ErrorCode::kForbidden:
    case ErrorCode::kInvalidTransition:
    case ErrorCode::kCaseTerminal:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kWeakPassword:
    case ErrorCode::kRateLimited:
      return kExitRefused;
    case ErrorCode::kUnavailable:
      return kExitOffline;
    case ErrorCode::kInvalidRequest:  // what was typed: a state, a URL, a file
      return kExitUsage;
    default:
      return kExitError;
  }
}

// Prints the error (stderr, or a JSON error body on stdout with --json) and
// returns the exit code for it.
int Fail(const Globals& g, const Status& s) {
  if (g.json) {
    PrintJson(
        Json{{"error",
              {{"code", ErrorCodeName(s.code())}, {"message", s.message()}}}});
  } else {
    std::cerr << "casesync: " << s.message() << " (" << ErrorCodeName(s.code())
              << ")\n";
  }
  return ExitFor(s);
}

std::string Or(const std::string& s, const char* fallback) {
  return s.empty() ? fallback : s;
}

// "2026-11-29T11:09:01.123Z" → "2026-11-29 11:09" (UTC).
std::string ShortTime(const std::string& iso) {
  if (iso.size() < 16) return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

std::string CaseLabel(const Case& c) {
  return c.number.empty() ? "(sin número)" : c.number;
}

// `s` padded with spaces to `width` code points (UTF-8 aware).
std::string Pad(const std::string& s, size_t width) {
  size_t points = 0;
  for (unsigned char ch : s) points += (ch & 0xC0) != 0x80;
  return points >= width ? s + " " : s + std::string(width - points, ' ');
}

Json CaseItemJson(const CaseListItem& item) {
  Json j = CaseToJson(item.c);
  j["pending"] = item.pending;
  j["stateLabel"] = CaseStateLabelEs(item.c.state);
  return j;
}

Json StatusJson(const SyncStatus& s) {
  Json j{{"phase", SyncPhaseName(s.phase)},
         {"connectivity", ConnectivityName(s.connectivity)},
         {"pending", s.pending},
         {"openRejections", s.open_rejections},
         {"lastSyncAt", s.last_sync_at.empty() ? Json() : Json(s.last_sync_at)},
         {"pushed", s.progress.pushed},
         {"pages", s.progress.pages},
         {"rows", s.progress.rows},
         {"rejections", s.progress.rejections},
         {"failures", s.progress.failures}};
  if (!s.last_error.ok()) {
    j["error"] = {{"code", ErrorCodeName(s.last_error.code())},
                  {"message", s.last_error.message()}};
  }
  return j;
}

// One line in Spanish on how a sync ended.
std::string DescribeSync(const SyncStatus& s) {
  switch (s.phase) {
    case SyncPhase::kIdle:
    case SyncPhase::kWatching: {
      std::string out = "Sincronizado";
      if (s.progress.pushed > 0) {
        out += ": " + std::to_string(s.progress.pushed) + " cambio(s) enviados";
      }
      if (s.progress.rows > 0) {
        out += (s.progress.pushed > 0 ? ", " : ": ") +
               std::to_string(s.progress.rows) + " fila(s) recibidas en " +
               std::to_string(s.progress.pages) + " página(s)";
      }
      out += ".";
      if (s.pending > 0) {
        out += " " + std::to_string(s.pending) + " pendiente(s).";
      }
      return out;
    }
    case SyncPhase::kOffline:
      return "Sin conexión con el servidor (" + s.last_error.message() +
             "): " + std::to_string(s.pending) +
             " cambio(s) pendiente(s), se enviarán en la próxima "
             "sincronización.";
    case SyncPhase::kNeedsSignIn:
      return "La sesión no es válida (" + s.last_error.message() +
             "): inicie sesión con `casesync login EMAIL`. " +
             std::to_string(s.pending) +
             " cambio(s) pendiente(s) se conservan.";
    case SyncPhase::kBlocked:
      return "La sincronización se detuvo: " + s.last_error.message() + " (" +
             ErrorCodeName(s.last_error.code()) + "). " +
             std::to_string(s.pending) +
             " cambio(s) pendiente(s) se conservan.";
    default:
      return std::string("Sincronización: ") + SyncPhaseName(s.phase);
  }
}

int ExitForSync(const SyncStatus& s) {
  switch (s.phase) {
    case SyncPhase::kIdle:
    case SyncPhase::kWatching:
      return kExitOk;
    case SyncPhase::kOffline:
      return kExitOffline;
    case SyncPhase::kNeedsSignIn:
      return kExitSignIn;
    default:
      return kExitError;
  }
}

// ---- lookups ----

Result<Case> FindCase(Replica& r, const std::string& ref) {
  std::string upper = ref;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
  if (ParseCaseNumber(upper)) {
    CaseQuery q;
    q.search = upper;
    CASESYNC_ASSIGN_OR_RETURN(auto items, r.ListCases(q));
    for (const auto& item : items) {
      if (item.c.number == upper) return item.c;
    }
  } else {
    CASESYNC_ASSIGN_OR_RETURN(auto item, r.GetCase(ref));
    if (item) return item->c;
  }
  return Status(ErrorCode::kNotFound,
                "no se encontró el caso " + ref +
                    " en esta copia local (¿falta `casesync sync`?)");
}

std::map<std::string, std::string> CatalogNames(Replica& r) {
  std::map<std::string, std::string> names;
  auto items = r.ListCatalog();
  if (items.ok()) {
    for (const auto& i : *items) names[i.id] = i.name;
  }
  return names;
}

// Catalog id for `value` given as an id or a name (case-insensitive) of an
// item of `kind` under `parent` ("" any).
std::string ResolveCatalog(Replica& r, CatalogKind kind,
                           const std::string& parent,
                           const std::string& value) {
  auto items = r.ListCatalog();
  if (!items.ok()) return value;
  auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(ch));
    return s;
  };
  for (const auto& i : *items) {
    if (i.kind != kind || (!parent.empty() && i.parent_id != parent)) continue;
    if (i.id == value || lower(i.name) == lower(value)) return i.id;
  }
  return value;  // the validator names it
}

// ---- sync after a change ----

// A follow-up case draft holding `body`, as the replica makes for a comment
// the server refused on a closed case (docs/replica.md): the CLI makes the
// same when the refusal is local, so the text is never lost.
Result<std::string> SaveFollowUpDraft(Replica& r, const Case& parent,
                                      const std::string& body) {
  Draft d;
  d.key = "followup:local-" + RandomHex16().substr(0, 12);
  d.kind = "case";
  d.value = Json{{"parentId", parent.id},
                 {"serviceId", parent.service_id},
                 {"productId", parent.product_id},
                 {"issueTypeId", parent.issue_type_id},
                 {"contactHours", parent.contact_hours},
                 {"contactPhone", parent.contact_phone},
                 {"subject", "Seguimiento de " + CaseLabel(parent)},
                 {"description", body}};
  d.updated_at = NowIso();
  CASESYNC_RETURN_IF_ERROR(r.SaveDraft(d));
  return d.key;
}

struct ChangeResult {
  int64_t mutation_id = 0;
  std::optional<SyncStatus> sync;
  std::optional<RejectionRecord> rejection;  // the server refused it
};

// Queues `name(args)` and, unless --no-sync, tries one short sync.
Result<ChangeResult> Change(Client& client, const Globals& g,
                            const std::string& name, const Json& args) {
  ChangeResult out;
  CASESYNC_ASSIGN_OR_RETURN(out.mutation_id,
                            client.replica().Mutate(name, args, NowIso()));
  if (g.no_sync) return out;
  SyncOptions o;
  o.max_attempts = std::max(1, std::min(g.attempts, 2));
  o.backoff_base_ms = 300;
  CASESYNC_ASSIGN_OR_RETURN(out.sync, client.Sync(o));
  CASESYNC_ASSIGN_OR_RETURN(auto rejections, client.replica().ListRejections());
  for (const auto& r : rejections) {
    if (r.mutation_id == out.mutation_id) out.rejection = r;
  }
  return out;
}

// Prints the outcome of a change; `done` is the Spanish sentence for it.
int ReportChange(const Globals& g, const ChangeResult& r,
                 const std::string& done, Json extra = Json::object()) {
  bool synced = r.sync && (r.sync->phase == SyncPhase::kIdle);
  if (g.json) {
    extra["mutationId"] = r.mutation_id;
    extra["synced"] = synced && !r.rejection;
    extra["pending"] = !synced;
    if (r.sync) extra["sync"] = StatusJson(*r.sync);
    if (r.rejection) {
      extra["rejected"] = {{"code", ErrorCodeName(r.rejection->code)},
                           {"message", r.rejection->message},
                           {"draft", r.rejection->draft_key}};
    }
    PrintJson(extra);
  } else if (r.rejection) {
    std::cout << "El servidor rechazó el cambio: " << r.rejection->message
              << " (" << ErrorCodeName(r.rejection->code) << ").\n";
    if (!r.rejection->draft_key.empty()) {
      std::cout << "Su texto quedó guardado en el borrador "
                << r.rejection->draft_key << " (casesync rejections).\n";
    }
  } else if (synced) {
    std::cout << done << "\n";
  } else {
    std::cout << done << " (pendiente)\n";
    if (r.sync) std::cout << DescribeSync(*r.sync) << "\n";
  }
  if (r.rejection) return kExitRefused;
  return kExitOk;
}

// ---- commands ----

int CmdLogin(Client& client, const Globals& g, const std::string& email,
             bool password_stdin, bool remember) {
  std::string password;
  if (password_stdin) {
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else if (isatty(STDIN_FILENO)) {
    std::cerr << "Contraseña: " << std::flush;
    termios old_t{};
    tcgetattr(STDIN_FILENO, &old_t);
    termios no_echo = old_t;
    no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &no_echo);
    std::getline(std::cin, password);
    tcsetattr(STDIN_FILENO, TCSANOW, &old_t);
    std::cerr << "\n";
  } else {
    return Fail(g, Status(ErrorCode::kInvalidRequest,
                          "sin terminal: use --password-stdin"));
  }
  Json body{{"email", email}, {"password", password}, {"remember", remember}};
  auto reply = client.Send("POST", "/api/v1/auth/login", DumpJson(body), false,
                           std::chrono::seconds(15));
  if (!reply.ok()) {
    return Fail(g, Status(ErrorCode::kUnavailable,
                          "no se pudo contactar " + client.server_url() + ": " +
                              reply.status().message()));
  }
  if (reply->status != 200) return Fail(g, DecodeError(reply->body));
  auto j = ParseJson(reply->body, 16 << 20);
  if (!j.ok() || !j->is_object() || !j->contains("token") ||
      !(*j)["token"].is_string() || !j->contains("user")) {
    return Fail(g, Status(ErrorCode::kInternal,
                          "respuesta de inicio de sesión inesperada"));
  }
  auto user = UserFromJson((*j)["user"]);
  if (!user.ok()) return Fail(g, user.status());
  Replica& r = client.replica();
  Status s =
      r.SetActor(Actor{user->id, user->account_id, user->role}, RandomHex16());
  if (s.ok()) s = r.SetMeta(kMetaToken, (*j)["token"].get<std::string>());
  if (s.ok()) s = r.SetMeta(kMetaEmail, user->email);
  if (s.ok()) s = r.SetMeta(kMetaServer, client.server_url());
  if (s.ok()) s = r.SetMeta(kMetaSessionExpired, "");
  if (!s.ok()) return Fail(g, s);
  bool must_change = j->value("mustChangePassword", false);
  SyncOptions o;
  o.max_attempts = g.attempts;
  auto st = client.Sync(o);
  if (!st.ok()) return Fail(g, st.status());
  if (g.json) {
    PrintJson(Json{{"user", UserToJson(*user)},
                   {"mustChangePassword", must_change},
                   {"sync", StatusJson(*st)}});
  } else {
    std::cout << "Sesión iniciada: " << user->name << " <" << user->email
              << "> (" << RoleName(user->role) << ") en " << client.server_url()
              << "\n";
    if (must_change) {
      std::cout << "Debe cambiar su contraseña temporal en la aplicación web "
                   "antes de sincronizar.\n";
    }
    std::cout << DescribeSync(*st) << "\n";
  }
  return ExitForSync(*st);
}

int CmdLogout(Client& client, const Globals& g) {
  std::string token = client.token();
  bool revoked = false;
  if (!token.empty()) {
    auto reply = client.Send("POST", "/api/v1/auth/logout", "{}", true,
                             std::chrono::seconds(10));
    revoked = reply.ok() && (reply->status == 200 || reply->status == 401);
  }
  Status s = client.replica().SetMeta(kMetaToken, "");
  if (!s.ok()) return Fail(g, s);
  if (g.json) {
    PrintJson(Json{{"signedOut", true}, {"revoked", revoked}});
  } else if (token.empty()) {
    std::cout << "No había una sesión iniciada.\n";
  } else {
    std::cout << "Sesión cerrada"
              << (revoked ? "." : " en este equipo (el servidor no respondió).")
              << " Los datos locales se conservan.\n";
  }
  return kExitOk;
}

int CmdSync(Client& client, const Globals& g, bool watch) {
  SyncOptions o;
  o.watch = watch;
  o.max_attempts = watch ? 0 : g.attempts;
  auto st = client.Sync(o, [&g, watch](const SyncStatus& s) {
    if (!watch) return;
    if (g.json) {
      Json j = StatusJson(s);
      j["at"] = NowIso();
      std::cout << j.dump() << "\n" << std::flush;
    } else {
      std::cout << ShortTime(NowIso()) << " " << DescribeSync(s) << "\n"
                << std::flush;
    }
  });
  if (!st.ok()) return Fail(g, st.status());
  if (!watch) {
    if (g.json) {
      PrintJson(StatusJson(*st));
    } else {
      std::cout << DescribeSync(*st) << "\n";
    }
  } else if (!g.json) {
    std::cerr << DescribeSync(*st) << "\n";
  }
  return ExitForSync(*st);
}

int CmdList(Client& client, const Globals& g, const std::string& state,
            const std::string& search) {
  CaseQuery q;
  if (!state.empty()) {
    auto s = CaseStateFromName(state);
    if (!s) {
      for (CaseState c :
           {CaseState::kNew, CaseState::kOpen, CaseState::kAwaitingInfo,
            CaseState::kResolved, CaseState::kClosed, CaseState::kCanceled}) {
        if (strcasecmp(CaseStateLabelEs(c), state.c_str()) == 0) s = c;
      }
    }
    if (!s) {
      return Fail(g, Status(ErrorCode::kInvalidRequest,
                            "estado desconocido: " + state +
                                " (new, open, awaiting_info, resolved, closed, "
                                "canceled)"));
    }
    q.state = s;
  }
  q.search = search;
  auto items = client.replica().ListCases(q);
  if (!items.ok()) return Fail(g, items.status());
  if (g.json) {
    Json out = Json::array();
    for (const auto& i : *items) out.push_back(CaseItemJson(i));
    PrintJson(out);
    return kExitOk;
  }
  if (items->empty()) {
    std::cout << "No hay casos.\n";
    return kExitOk;
  }
  std::cout << Pad("Número", 14) << Pad("Estado", 26) << Pad("Prioridad", 14)
            << Pad("Actualizado", 17) << "Asunto\n";
  for (const auto& i : *items) {
    std::cout << Pad(CaseLabel(i.c) + (i.pending ? "*" : ""), 14)
              << Pad(CaseStateLabelEs(i.c.state), 26)
              << Pad(PriorityLabelEs(i.c.priority), 14)
              << Pad(ShortTime(i.c.updated_at), 17) << i.c.subject << "\n";
  }
  bool any_pending = false;
  for (const auto& i : *items) any_pending = any_pending || i.pending;
  if (any_pending) std::cout << "* pendiente de sincronizar\n";
  return kExitOk;
}

int CmdShow(Client& client, const Globals& g, const std::string& ref) {
  Replica& r = client.replica();
  auto c = FindCase(r, ref);
  if (!c.ok()) return Fail(g, c.status());
  auto item = r.GetCase(c->id);
  auto comments = r.ListComments(c->id);
  if (!item.ok() || !comments.ok()) {
    return Fail(g, item.ok() ? comments.status() : item.status());
  }
  if (g.json) {
    Json out{{"case", CaseItemJson(**item)}, {"comments", Json::array()}};
    for (const auto& cm : *comments)
      out["comments"].push_back(CommentToJson(cm));
    PrintJson(out);
    return kExitOk;
  }
  auto names = CatalogNames(r);
  auto name_of = [&names](const std::string& id) {
    auto it = names.find(id);
    return it == names.end() ? id : it->second;
  };
  auto user_name = [&r](const std::string& id) {
    auto u = r.FindUser(id);
    return u.ok() && *u ? (*u)->name : id;
  };
  std::cout << CaseLabel(*c) << (item->value().pending ? " (pendiente)" : "")
            << " — " << c->subject << "\n"
            << "  Estado:               " << CaseStateLabelEs(c->state) << "\n"
            << "  Prioridad:            " << PriorityLabelEs(c->priority)
            << "\n"
            << "  Servicio:             " << name_of(c->service_id) << "\n"
            << "  Producto:             " << name_of(c->product_id) << "\n"
            << "  Novedad a reportar:   " << name_of(c->issue_type_id) << "\n"
            << "  Contacto:             " << user_name(c->contact_id) << "\n"
            << "  Horario de contacto:  " << c->contact_hours << "\n"
            << "  Teléfono de contacto: " << c->contact_phone << "\n"
            << "  Creado:               " << ShortTime(c->created_at) << "\n"
            << "  Actualizado:          " << ShortTime(c->updated_at) << "\n"
            << "  Id:                   " << c->id << "\n";
  if (!c->parent_id.empty()) {
    std::cout << "  Caso padre:           " << c->parent_id << "\n";
  }
  if (!c->resolution_code.empty() || !c->resolution_notes.empty()) {
    std::cout << "  Resolución:           " << Or(c->resolution_code, "-")
              << " — " << c->resolution_notes << "\n";
  }
  std::cout << "\nDescripción:\n  " << c->description << "\n";
  if (!comments->empty()) std::cout << "\nComentarios:\n";
  for (const auto& cm : *comments) {
    std::cout << "  [" << ShortTime(cm.created_at) << "] "
              << user_name(cm.author_id)
              << (cm.visibility == Visibility::kInternal ? " (nota interna)"
                                                         : "")
              << ": " << cm.body << "\n";
  }
  return kExitOk;
}

struct NewCaseFlags {
  std::string service, product, issue_type, hours, phone, subject, description,
      parent, from_json, from_draft;
};

int CmdNew(Client& client, const Globals& g, const NewCaseFlags& f) {
  Replica& r = client.replica();
  Json args = Json::object();
  std::string draft_key;
  if (!f.from_json.empty()) {
    std::ifstream in(f.from_json);
    if (!in) {
      return Fail(
          g, Status(ErrorCode::kNotFound, "no se pudo leer " + f.from_json));
    }
    std::stringstream text;
    text << in.rdbuf();
    auto j = ParseJson(text.str());
    if (!j.ok()) return Fail(g, j.status());
    if (!j->is_object()) {
      return Fail(g, Status(ErrorCode::kInvalidRequest,
                            f.from_json + ": se esperaba un objeto JSON"));
    }
    args = *j;
  } else if (!f.from_draft.empty()) {
    auto d = r.LoadDraft(f.from_draft);
    if (!d.ok()) return Fail(g, d.status());
    if (!*d || (*d)->kind != "case") {
      return Fail(g, Status(ErrorCode::kNotFound,
                            "no hay un borrador de caso " + f.from_draft));
    }
    args = (*d)->value;
    draft_key = f.from_draft;
  }
  auto set = [&args](const char* key, const std::string& v) {
    if (!v.empty()) args[key] = v;
  };
  std::string service = args.value("serviceId", "");
  if (!f.service.empty()) {
    service = ResolveCatalog(r, CatalogKind::kService, "", f.service);
  }
  set("serviceId", service);
  std::string product = args.value("productId", "");
  if (!f.product.empty()) {
    product = ResolveCatalog(r, CatalogKind::kProduct, service, f.product);
  }
  set("productId", product);
  if (!f.issue_type.empty()) {
    set("issueTypeId",
        ResolveCatalog(r, CatalogKind::kIssueType, product, f.issue_type));
  }
  set("contactHours", f.hours);
  set("contactPhone", f.phone);
  set("subject", f.subject);
  set("description", f.description);
  set("parentId", f.parent);
  if (!args.contains("id")) args["id"] = NewUuidV7();
  std::vector<FieldError> errors = ValidateCreateCaseArgs(args, r.catalog());
  if (!errors.empty()) {
    if (g.json) {
      Json e = Json::array();
      for (const auto& fe : errors) {
        e.push_back({{"field", fe.field},
                     {"code", fe.code},
                     {"message", fe.message_es}});
      }
      PrintJson(Json{{"error",
                      {{"code", "validation_failed"},
                       {"message", "el formulario tiene errores"},
                       {"fields", e}}}});
    } else {
      std::cerr << "casesync: el caso no se creó:\n";
      for (const auto& fe : errors) {
        std::cerr << "  " << fe.field << ": " << fe.message_es << "\n";
      }
    }
    return kExitRefused;
  }
  std::string id = args["id"].get<std::string>();
  auto result = Change(client, g, "createCase", args);
  if (!result.ok()) return Fail(g, result.status());
  if (!draft_key.empty()) (void)r.DeleteDraft(draft_key);
  auto item = r.GetCase(id);
  std::string number = item.ok() && *item ? (*item)->c.number : std::string();
  std::string done = number.empty() ? "Caso creado (id " + id + ")."
                                    : "Caso " + number + " creado.";
  return ReportChange(
      g, *result, done,
      Json{{"caseId", id}, {"number", number.empty() ? Json() : Json(number)}});
}

// A change to an existing case: `args` gets caseId.
int CmdCaseChange(Client& client, const Globals& g, const std::string& ref,
                  const std::string& name, Json args, const std::string& done,
                  const std::string& text_for_draft = "") {
  Replica& r = client.replica();
  auto c = FindCase(r, ref);
  if (!c.ok()) return Fail(g, c.status());
  args["caseId"] = c->id;
  auto result = Change(client, g, name, args);
  if (!result.ok()) {
    Status s = result.status();
    if (s.code() == ErrorCode::kCaseTerminal && !text_for_draft.empty()) {
      // Nothing typed is lost: the text becomes a follow-up case draft.
      auto key = SaveFollowUpDraft(r, *c, text_for_draft);
      if (key.ok()) {
        if (g.json) {
          PrintJson(Json{{"error",
                          {{"code", ErrorCodeName(s.code())},
                           {"message", s.message()},
                           {"draft", *key}}}});
        } else {
          std::cerr << "casesync: " << s.message() << " ("
                    << ErrorCodeName(s.code()) << ").\n"
                    << "Su texto quedó en el borrador de caso de seguimiento "
                    << *key << ": envíelo con `casesync new --from-draft "
                    << *key << "`.\n";
        }
        return kExitRefused;
      }
    }
    return Fail(g, s);
  }
  Json extra{{"caseId", c->id}};
  if (args.contains("id")) extra["id"] = args["id"];  // a new comment's id
  return ReportChange(g, *result, CaseLabel(*c) + ": " + done, extra);
}

int CmdStatus(Client& client, const Globals& g) {
  Replica& r = client.replica();
  auto st = r.GetSyncState();
  auto actor = r.GetActor();
  auto email = r.GetMeta(kMetaEmail);
  auto expired = r.GetMeta(kMetaSessionExpired);
  if (!st.ok()) return Fail(g, st.status());
  bool signed_in = !client.token().empty();
  bool is_expired = expired.ok() && *expired && **expired == "1";
  std::string who = email.ok() && *email ? **email : "";
  if (g.json) {
    PrintJson(
        Json{{"server", client.server_url()},
             {"email", who.empty() ? Json() : Json(who)},
             {"role",
              actor.ok() && *actor ? Json(RoleName((*actor)->role)) : Json()},
             {"signedIn", signed_in},
             {"sessionExpired", is_expired},
             {"clientId", st->client_id},
             {"pending", st->pending},
             {"lastMutationId", st->last_mutation_id},
             {"nextMutationId", st->next_mutation_id},
             {"lastSyncAt",
              st->last_sync_at.empty() ? Json() : Json(st->last_sync_at)},
             {"openRejections", st->open_rejections}});
    return kExitOk;
  }
  std::cout << "Servidor:            " << client.server_url() << "\n"
            << "Usuario:             " << Or(who, "(ninguno)")
            << (actor.ok() && *actor
                    ? std::string(" (") + RoleName((*actor)->role) + ")"
                    : "")
            << "\n"
            << "Sesión:              "
            << (!signed_in   ? "no iniciada"
                : is_expired ? "vencida: inicie sesión de nuevo"
                             : "iniciada")
            << "\n"
            << "Cambios pendientes:  " << st->pending << "\n"
            << "Última sincronización: "
            << (st->last_sync_at.empty() ? "nunca"
                                         : ShortTime(st->last_sync_at) + " UTC")
            << "\n"
            << "Rechazos abiertos:   " << st->open_rejections << "\n"
            << "Id de cliente:       " << st->client_id << "\n";
  return kExitOk;
}

bool IsRescueDraft(const std::string& key) {
  return key.rfind("followup:", 0) == 0 || key.rfind("rejected:", 0) == 0 ||
         key.rfind("comment:", 0) == 0;
}

int CmdRejections(Client& client, const Globals& g) {
  Replica& r = client.replica();
  auto rejections = r.ListRejections();
  auto drafts = r.ListDrafts();
  if (!rejections.ok()) return Fail(g, rejections.status());
  if (!drafts.ok()) return Fail(g, drafts.status());
  if (g.json) {
    Json out{{"rejections", Json::array()}, {"drafts", Json::array()}};
    for (const auto& x : *rejections) {
      out["rejections"].push_back({{"mutationId", x.mutation_id},
                                   {"code", ErrorCodeName(x.code)},
                                   {"message", x.message},
                                   {"mutation", MutationToJson(x.mutation)},
                                   {"draft", x.draft_key},
                                   {"receivedAt", x.received_at}});
    }
    for (const auto& d : *drafts) {
      if (!IsRescueDraft(d.key)) continue;
      out["drafts"].push_back({{"key", d.key},
                               {"kind", d.kind},
                               {"value", d.value},
                               {"updatedAt", d.updated_at}});
    }
    PrintJson(out);
    return kExitOk;
  }
  if (rejections->empty()) std::cout << "No hay cambios rechazados.\n";
  for (const auto& x : *rejections) {
    std::cout << "#" << x.mutation_id << " " << x.mutation.name << ": "
              << x.message << " (" << ErrorCodeName(x.code) << ")\n";
    if (!x.draft_key.empty()) {
      std::cout << "   borrador: " << x.draft_key << "\n";
    }
  }
  bool header = false;
  for (const auto& d : *drafts) {
    if (!IsRescueDraft(d.key)) continue;
    if (!header) std::cout << "\nBorradores guardados:\n";
    header = true;
    std::string text = d.value.value("description", d.value.value("body", ""));
    std::cout << "  " << d.key << " (" << d.kind
              << "): " << d.value.value("subject", "")
              << (d.kind == "case" ? " — " : "") << text << "\n";
    if (d.kind == "case") {
      std::cout << "    enviar: casesync new --from-draft " << d.key << "\n";
    }
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"casesync: cliente de línea de comandos de la mesa de ayuda"};
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  const char* home = std::getenv("HOME");
  g.data_dir = std::string(home ? home : ".") + "/.casesync";
  app.add_option("--server", g.server,
                 "URL del servidor (por defecto la del último login, o " +
                     std::string(kDefaultServer) + ")")
      ->envname("CASESYNC_SERVER");
  app.add_option("--data", g.data_dir, "carpeta de la copia local")
      ->envname("CASESYNC_DATA_DIR")
      ->capture_default_str();
  app.add_flag("--json", g.json, "salida JSON");
  app.add_flag("--no-sync", g.no_sync,
               "no sincronizar después de un cambio (queda pendiente)");
  app.add_option("--attempts", g.attempts,
                 "intentos antes de declararse sin conexión")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();

  std::string email, ref, text, code, reason;
  bool password_stdin = false, remember = false, watch = false,
       internal = false;
  int priority = 0;
  std::string state, search;
  NewCaseFlags nf;

  auto* login = app.add_subcommand("login", "iniciar sesión");
  login->add_option("email", email, "correo")->required();
  login->add_flag("--password-stdin", password_stdin,
                  "leer la contraseña de la entrada estándar");
  login->add_flag("--remember", remember, "recordarme (30 días)");
  auto* logout = app.add_subcommand("logout", "cerrar sesión");
  auto* sync = app.add_subcommand("sync", "sincronizar con el servidor");
  sync->add_flag("--watch", watch, "seguir sincronizando (long-poll)");
  auto* list = app.add_subcommand("list", "listar casos");
  list->add_option("--state", state, "estado (open, resolved, …)");
  list->add_option("--search", search, "texto en número, asunto o descripción");
  auto* show = app.add_subcommand("show", "ver un caso");
  show->add_option("case", ref, "CS0000001 o id")->required();
  auto* create = app.add_subcommand("new", "crear un caso");
  create->add_option("--service", nf.service, "Servicio (id o nombre)");
  create->add_option("--product", nf.product, "Producto (id o nombre)");
  create->add_option("--issue-type", nf.issue_type,
                     "Novedad a reportar (id o nombre)");
  create->add_option("--hours", nf.hours, "Horario de contacto");
  create->add_option("--phone", nf.phone, "Teléfono de contacto");
  create->add_option("--subject", nf.subject, "Asunto");
  create->add_option("--description", nf.description, "Descripción");
  create->add_option("--parent", nf.parent, "caso padre (seguimiento)");
  create->add_option("--from-json", nf.from_json,
                     "archivo JSON con los campos (nombres del protocolo)");
  create->add_option("--from-draft", nf.from_draft,
                     "borrador guardado (casesync rejections)");
  auto* comment = app.add_subcommand("comment", "comentar un caso");
  comment->add_option("case", ref)->required();
  comment->add_option("text", text)->required();
  comment->add_flag("--internal", internal, "nota interna (agentes)");
  auto* cancel = app.add_subcommand("cancel", "cancelar un caso");
  cancel->add_option("case", ref)->required();
  cancel->add_option("reason", text)->required();
  auto* accept = app.add_subcommand("accept", "aceptar la solución");
  accept->add_option("case", ref)->required();
  auto* reject = app.add_subcommand("reject", "rechazar la solución");
  reject->add_option("case", ref)->required();
  reject->add_option("comment", text)->required();
  auto* take = app.add_subcommand("take", "agente: aceptar el caso (abrirlo)");
  take->add_option("case", ref)->required();
  auto* request_info =
      app.add_subcommand("request-info", "agente: pedir información");
  request_info->add_option("case", ref)->required();
  request_info->add_option("comment", text)->required();
  auto* resolve = app.add_subcommand("resolve", "agente: resolver");
  resolve->add_option("case", ref)->required();
  resolve->add_option("code", code, "código de resolución")->required();
  resolve->add_option("notes", text)->required();
  auto* close = app.add_subcommand("close", "agente: cerrar");
  close->add_option("case", ref)->required();
  close->add_option("notes", text)->required();
  auto* prio = app.add_subcommand("priority", "agente: prioridad 1-4");
  prio->add_option("case", ref)->required();
  prio->add_option("priority", priority)->required()->check(CLI::Range(1, 4));
  auto* status = app.add_subcommand("status", "estado de la sincronización");
  auto* rejections =
      app.add_subcommand("rejections", "cambios rechazados y borradores");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  auto client = Client::Open(g.data_dir, g.server);
  if (!client.ok()) return Fail(g, client.status());
  Client& c = **client;

  if (login->parsed()) return CmdLogin(c, g, email, password_stdin, remember);
  if (logout->parsed()) return CmdLogout(c, g);
  if (sync->parsed()) return CmdSync(c, g, watch);
  if (list->parsed()) return CmdList(c, g, state, search);
  if (show->parsed()) return CmdShow(c, g, ref);
  if (status->parsed()) return CmdStatus(c, g);
  if (rejections->parsed()) return CmdRejections(c, g);

  // Every change below needs a signed-in user to run its mutator as.
  auto actor = c.replica().GetActor();
  if (!actor.ok()) return Fail(g, actor.status());
  if (!*actor) {
    return Fail(g, Status(ErrorCode::kUnauthenticated,
                          "inicie sesión primero: casesync login EMAIL"));
  }
  if (create->parsed()) return CmdNew(c, g, nf);
  if (comment->parsed()) {
    Json args{{"id", NewUuidV7()}, {"body", text}};
    if (internal) args["visibility"] = "internal";
    return CmdCaseChange(c, g, ref, "addComment", args, "comentario agregado.",
                         text);
  }
  if (cancel->parsed()) {
    return CmdCaseChange(c, g, ref, "cancelCase", Json{{"reason", text}},
                         "cancelado.");
  }
  if (accept->parsed()) {
    return CmdCaseChange(c, g, ref, "acceptSolution", Json::object(),
                         "solución aceptada: Cerrado.");
  }
  if (reject->parsed()) {
    return CmdCaseChange(c, g, ref, "rejectSolution", Json{{"comment", text}},
                         "solución rechazada: Abierto.", text);
  }
  if (take->parsed()) {
    return CmdCaseChange(c, g, ref, "acceptCase", Json::object(),
                         "aceptado: Abierto.");
  }
  if (request_info->parsed()) {
    return CmdCaseChange(c, g, ref, "requestInfo", Json{{"comment", text}},
                         "información solicitada.", text);
  }
  if (resolve->parsed()) {
    return CmdCaseChange(c, g, ref, "resolveCase",
                         Json{{"resolutionCode", code}, {"notes", text}},
                         "resuelto.");
  }
  if (close->parsed()) {
    return CmdCaseChange(c, g, ref, "closeCase", Json{{"notes", text}},
                         "cerrado.");
  }
  if (prio->parsed()) {
    return CmdCaseChange(c, g, ref, "setPriority", Json{{"priority", priority}},
                         "prioridad " + PriorityLabelEs(priority) + ".");
  }
  return kExitUsage;
}

}  // namespace
}  // namespace casesync::cli

int main(int argc, char** argv) {
  try {
    return casesync::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "casesync: error inesperado: %s\n", e.what());
    return 1;
  }
}
