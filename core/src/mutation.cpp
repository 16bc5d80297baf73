#include "casesync/mutation.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "casesync/lifecycle.h"
#include "json_members_internal.h"
#include "json_scanner_internal.h"

namespace casesync {
namespace {

// Strict reader of a mutation's args object: every key must be one the
// mutation knows, every value of the right type. Reads a Json tree, or the
// args' JSON text when the decoder deferred it (MutationRecord::args_text),
// through the accessors both representations share
// (json_members_internal.h), so the results and errors are the same.
class Args {
 public:
  explicit Args(const Json& j) : j_(&j) {}
  // The decoder checked the text (syntax, limits, repeated keys); this scan
  // only collects the members. A text that does not scan as an object is
  // refused like a non-object tree.
  struct Text {
    std::string_view json;
    // The decoder's index of the members (MutationRecord::args_index); when
    // it fits the text, the text is not scanned at all.
    const std::vector<ArgsMemberIndex>* index = nullptr;
  };
  explicit Args(Text text) {
    if (text.index != nullptr && !text.index->empty() &&
        MembersFromIndex(text.json, *text.index, &members_)) {
      is_object_ = true;
      return;
    }
    JsonScanner& scanner = scanner_.emplace(text.json);
    scanner.LimitDepth(kMaxJsonDepth);
    JsonKind kind = JsonKind::kNull;
    members_.members.reserve(16);  // createCase has 8 to 10
    is_object_ = scanner.Begin() && scanner.PeekKind(&kind) &&
                 kind == JsonKind::kObject && scanner.EnterObject() &&
                 ReadMembers(&scanner, &members_) && scanner.End();
  }

  // The object check and the allowed keys; call first. (string_view: the
  // lengths of the literals are known at compile time, so most keys are
  // told apart by their length alone.) An unknown key is reported as the
  // smallest one, in byte order, as a tree's (std::map's) order gives it.
  Status Expect(std::initializer_list<std::string_view> allowed) const {
    if (j_ != nullptr ? !j_->is_object() : !is_object_) {
      return Status(ErrorCode::kInvalidRequest, "args must be an object");
    }
    std::optional<std::string_view> unknown;
    auto check = [&](std::string_view key) {
      for (std::string_view k : allowed) {
        if (KeyIs(key, k)) return;
      }
      if (!unknown || key < *unknown) unknown = key;
    };
    if (j_ != nullptr) {
      for (auto it = j_->begin(); it != j_->end(); ++it) check(it.key());
    } else {
      for (const auto& member : members_.members) check(member.first);
    }
    if (unknown) {
      return Status(ErrorCode::kInvalidRequest,
                    "unknown field args." + std::string(*unknown));
    }
    return Status::Ok();
  }

  // A string field. Absent or null is "" unless `required`. (Keys are
  // string_views: a literal's length is known where it is written.)
  Status String(std::string_view key, bool required, std::string* out) const {
    return With([&](const auto& obj) {
      auto v = FindMember(obj, key);
      if (v == nullptr || IsNull(*v)) {
        if (required) return Missing(key);
        out->clear();
        return Status::Ok();
      }
      if (!IsString(*v)) {
        return Status(ErrorCode::kInvalidRequest,
                      "args." + std::string(key) + " must be a string");
      }
      GetString(*v, out);
      return Status::Ok();
    });
  }

  bool Has(std::string_view key) const {
    return With([&](const auto& obj) {
      auto v = FindMember(obj, key);
      return v != nullptr && !IsNull(*v);
    });
  }

  Status Int(std::string_view key, int64_t* out) const {
    return With([&](const auto& obj) {
      auto v = FindMember(obj, key);
      if (v == nullptr || IsNull(*v)) return Missing(key);
      JsonInteger n = GetInteger(*v);
      if (!n.is_integer) {
        return Status(ErrorCode::kInvalidRequest,
                      "args." + std::string(key) + " must be an integer");
      }
      // As nlohmann's get<int64_t>() reads an unsigned number.
      *out = n.is_unsigned ? static_cast<int64_t>(n.unsigned_value) : n.value;
      return Status::Ok();
    });
  }

  Status Id(std::string_view key, std::string* out) const {
    CASESYNC_RETURN_IF_ERROR(String(key, true, out));
    if (!IsValidId(*out)) {
      return Status(ErrorCode::kInvalidRequest,
                    "args." + std::string(key) + " is not a valid id");
    }
    return Status::Ok();
  }

 private:
  // `f` applied to the tree, or to the members of the text.
  template <typename F>
  std::invoke_result_t<F, const Json&> With(F&& f) const {
    return j_ != nullptr ? f(*j_) : f(members_);
  }

  static Status Missing(std::string_view key) {
    return Status(ErrorCode::kInvalidRequest,
                  "args." + std::string(key) + " is required");
  }

  const Json* j_ = nullptr;  // the tree, or null when reading text
  // Only when the text is scanned: a scanner allocates as it is made.
  std::optional<JsonScanner> scanner_;
  bool is_object_ = false;
  SpanObject members_;  // keys view the text or the scanner's copies
};

// A text field checked with the text rules; kValidationFailed on problems.
Status CheckText(std::string& value, const char* field, const char* label_es,
                 const char* label_en, size_t max_len, bool multiline) {
  return ValidationStatus(ValidateText(value, field, label_es, label_en,
                                       max_len, /*required=*/true, multiline));
}

const Status kNoSuchCase(ErrorCode::kNotFound,
                         "El caso no existe. / The case does not exist.");

// The case named by args.caseId, if the actor may see it. Another account's
// case is reported exactly like a missing one.
Result<Case> LoadVisibleCase(const Args& args, const MutationEnv& env,
                             MutationStore& store) {
  std::string case_id;
  CASESYNC_RETURN_IF_ERROR(args.Id("caseId", &case_id));
  CASESYNC_ASSIGN_OR_RETURN(std::optional<Case> c, store.GetCase(case_id));
  if (!c || !CanSeeCase(env.actor, *c)) return kNoSuchCase;
  return std::move(*c);
}

// Moves `c` along `t` if the actor may; stamps updated_at.
Status Take(Transition t, Case& c, const MutationEnv& env) {
  CASESYNC_RETURN_IF_ERROR(CheckTransition(t, c.state, env.actor.role));
  c.state = RuleFor(t).to;
  c.updated_at = env.now;
  return Status::Ok();
}

Status RequireStaff(const MutationEnv& env) {
  if (IsStaff(env.actor.role)) return Status::Ok();
  return Status(
      ErrorCode::kForbidden,
      "Solo un agente puede hacer esto. / Only an agent can do this.");
}

Status TerminalStatus() {
  return Status(ErrorCode::kCaseTerminal,
                "El caso está cerrado y no admite cambios. / The case is "
                "closed and accepts no changes.");
}

// A customer's public activity on a case waiting for information reopens it.
void CustomerReplyReopens(Case& c, const MutationEnv& env) {
  if (!IsStaff(env.actor.role) && c.state == CaseState::kAwaitingInfo) {
    c.state = RuleFor(Transition::kCustomerReply).to;
  }
}

Status PutDerivedComment(const Case& c, std::string body,
                         const MutationEnv& env, MutationStore& store) {
  Comment comment;
  comment.id = DerivedCommentId(env.client_id, env.mutation_id);
  comment.case_id = c.id;
  comment.author_id = env.actor.user_id;
  comment.body = std::move(body);
  comment.visibility = Visibility::kPublic;
  comment.created_at = env.now;
  return store.PutComment(comment);
}

// ---- the mutators, one per row of DESIGN §4 ----

Status CreateCase(const Args& args, const MutationEnv& env,
                  MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect(
      {"id", "serviceId", "productId", "issueTypeId", "contactHours",
       "contactPhone", "subject", "description", "parentId", "contactId"}));
  Case c;
  CASESYNC_RETURN_IF_ERROR(args.Id("id", &c.id));
  CaseForm form;
  CASESYNC_RETURN_IF_ERROR(args.String("serviceId", true, &form.service_id));
  CASESYNC_RETURN_IF_ERROR(args.String("productId", true, &form.product_id));
  CASESYNC_RETURN_IF_ERROR(
      args.String("issueTypeId", true, &form.issue_type_id));
  CASESYNC_RETURN_IF_ERROR(
      args.String("contactHours", true, &form.contact_hours));
  CASESYNC_RETURN_IF_ERROR(
      args.String("contactPhone", true, &form.contact_phone));
  CASESYNC_RETURN_IF_ERROR(args.String("subject", true, &form.subject));
  CASESYNC_RETURN_IF_ERROR(args.String("description", true, &form.description));
  std::vector<FieldError> errors = ValidateCaseForm(form, store);
  // E-mail intake (server only): a message has no contact hours or phone;
  // they stay empty until the customer or an agent fills them in
  // (updateCaseContact). Everything else is checked as for the form.
  if (env.authoritative && env.channel == Channel::kEmail) {
    std::erase_if(errors, [](const FieldError& e) {
      return e.code == "required" &&
             (e.field == "contactHours" || e.field == "contactPhone");
    });
  }
  CASESYNC_RETURN_IF_ERROR(ValidationStatus(errors));

  if (args.Has("parentId")) {
    CASESYNC_RETURN_IF_ERROR(args.Id("parentId", &c.parent_id));
    CASESYNC_ASSIGN_OR_RETURN(std::optional<Case> parent,
                              store.GetCase(c.parent_id));
    if (!parent || !CanSeeCase(env.actor, *parent)) return kNoSuchCase;
  }

  // The contact: oneself, or for staff and customer admins someone they may
  // file for. Authority comes from the session (env.actor), never from args.
  c.contact_id = env.actor.user_id;
  c.account_id = env.actor.account_id;
  if (args.Has("contactId")) {
    std::string contact_id;
    CASESYNC_RETURN_IF_ERROR(args.Id("contactId", &contact_id));
    if (contact_id != env.actor.user_id) {
      if (env.actor.role == Role::kCustomer) {
        return Status(ErrorCode::kForbidden,
                      "Solo puede crear casos a su nombre. / You can only "
                      "file cases for yourself.");
      }
      CASESYNC_ASSIGN_OR_RETURN(std::optional<User> contact,
                                store.GetUser(contact_id));
      if (!contact || (!IsStaff(env.actor.role) &&
                       contact->account_id != env.actor.account_id)) {
        return Status(ErrorCode::kNotFound,
                      "El contacto no existe. / The contact does not exist.");
      }
      c.contact_id = contact->id;
      c.account_id = contact->account_id;
    }
  }

  c.service_id = std::move(form.service_id);
  c.product_id = std::move(form.product_id);
  c.issue_type_id = std::move(form.issue_type_id);
  c.contact_hours = std::move(form.contact_hours);
  c.contact_phone = std::move(form.contact_phone);
  c.subject = std::move(form.subject);
  c.description = std::move(form.description);
  c.priority = kPriorityModerate;
  c.state = CaseState::kNew;
  c.channel = env.channel
                  ? *env.channel
                  : (IsStaff(env.actor.role) ? Channel::kAgent : Channel::kWeb);
  c.created_at = env.now;
  c.updated_at = env.now;
  CASESYNC_ASSIGN_OR_RETURN(c.number, store.NextCaseNumber());
  // A taken id is refused here, after the other checks: the insert itself
  // finds it (kAlreadyExists), and the number it was given is not used.
  return store.InsertCase(std::move(c));
}

Status UpdateCaseContact(const Args& args, const MutationEnv& env,
                         MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(
      args.Expect({"caseId", "contactHours", "contactPhone"}));
  CASESYNC_ASSIGN_OR_RETURN(Case c, LoadVisibleCase(args, env, store));
  if (!args.Has("contactHours") && !args.Has("contactPhone")) {
    return Status(ErrorCode::kInvalidRequest,
                  "args needs contactHours or contactPhone");
  }
  if (IsTerminal(c.state)) return TerminalStatus();
  // Last arrival wins per field: only the fields sent are written.
  if (args.Has("contactHours")) {
    std::string hours;
    CASESYNC_RETURN_IF_ERROR(args.String("contactHours", true, &hours));
    CASESYNC_RETURN_IF_ERROR(CheckText(hours, "contactHours",
                                       "Horario de contacto", "Contact hours",
                                       kMaxContactHours, false));
    c.contact_hours = std::move(hours);
  }
  if (args.Has("contactPhone")) {
    std::string phone;
    CASESYNC_RETURN_IF_ERROR(args.String("contactPhone", true, &phone));
    CASESYNC_RETURN_IF_ERROR(CheckText(phone, "contactPhone",
                                       "Teléfono de contacto", "Contact phone",
                                       kMaxPhone, false));
    if (!IsValidPhone(phone)) {
      return Status(ErrorCode::kValidationFailed,
                    "El teléfono de contacto no es válido. / The contact "
                    "phone is not valid.");
    }
    c.contact_phone = std::move(phone);
  }
  CustomerReplyReopens(c, env);
  c.updated_at = env.now;
  return store.PutCase(c);
}

Status AddComment(const Args& args, const MutationEnv& env,
                  MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect({"id", "caseId", "body", "visibility"}));
  Comment comment;
  CASESYNC_RETURN_IF_ERROR(args.Id("id", &comment.id));
  CASESYNC_ASSIGN_OR_RETURN(Case c, LoadVisibleCase(args, env, store));
  CASESYNC_RETURN_IF_ERROR(args.String("body", true, &comment.body));
  CASESYNC_RETURN_IF_ERROR(CheckText(comment.body, "body", "Comentario",
                                     "Comment", kMaxCommentBody, true));
  if (args.Has("visibility")) {
    std::string v;
    CASESYNC_RETURN_IF_ERROR(args.String("visibility", true, &v));
    auto vis = VisibilityFromName(v);
    if (!vis) {
      return Status(ErrorCode::kInvalidRequest,
                    "args.visibility must be public or internal");
    }
    comment.visibility = *vis;
  }
  if (comment.visibility == Visibility::kInternal) {
    CASESYNC_RETURN_IF_ERROR(RequireStaff(env));
  }
  if (IsTerminal(c.state)) return TerminalStatus();
  CASESYNC_ASSIGN_OR_RETURN(bool taken, store.CommentExists(comment.id));
  if (taken) {
    return Status(ErrorCode::kAlreadyExists,
                  "comment id already used: " + comment.id);
  }
  comment.case_id = c.id;
  comment.author_id = env.actor.user_id;
  comment.created_at = env.now;
  CASESYNC_RETURN_IF_ERROR(store.PutComment(comment));
  // An internal work note leaves the case as the customer sees it untouched
  // (not even updated_at, which would tell them something happened).
  if (comment.visibility == Visibility::kInternal) return Status::Ok();
  CustomerReplyReopens(c, env);
  c.updated_at = env.now;
  return store.PutCase(c);
}

// The shape shared by cancel, resolve and close: a transition with notes.
Status TransitionWithNotes(Transition t, const Args& args,
                           const MutationEnv& env, MutationStore& store,
                           const char* notes_key, const char* label_es,
                           const char* label_en) {
  CASESYNC_ASSIGN_OR_RETURN(Case c, LoadVisibleCase(args, env, store));
  std::string notes;
  CASESYNC_RETURN_IF_ERROR(args.String(notes_key, true, &notes));
  CASESYNC_RETURN_IF_ERROR(
      CheckText(notes, notes_key, label_es, label_en, kMaxNotes, true));
  CASESYNC_RETURN_IF_ERROR(Take(t, c, env));
  c.resolution_notes = std::move(notes);
  return store.PutCase(c);
}

Status CancelCase(const Args& args, const MutationEnv& env,
                  MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect({"caseId", "reason"}));
  return TransitionWithNotes(Transition::kCancel, args, env, store, "reason",
                             "Motivo", "Reason");
}

Status CloseCase(const Args& args, const MutationEnv& env,
                 MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect({"caseId", "notes"}));
  return TransitionWithNotes(Transition::kClose, args, env, store, "notes",
                             "Notas de cierre", "Closing notes");
}

Status ResolveCase(const Args& args, const MutationEnv& env,
                   MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect({"caseId", "resolutionCode", "notes"}));
  std::string code;
  CASESYNC_RETURN_IF_ERROR(args.String("resolutionCode", true, &code));
  CASESYNC_RETURN_IF_ERROR(CheckText(code, "resolutionCode",
                                     "Código de resolución", "Resolution code",
                                     kMaxResolutionCode, false));
  CASESYNC_ASSIGN_OR_RETURN(Case c, LoadVisibleCase(args, env, store));
  std::string notes;
  CASESYNC_RETURN_IF_ERROR(args.String("notes", true, &notes));
  CASESYNC_RETURN_IF_ERROR(CheckText(notes, "notes", "Notas de resolución",
                                     "Resolution notes", kMaxNotes, true));
  CASESYNC_RETURN_IF_ERROR(Take(Transition::kResolve, c, env));
  c.resolution_code = std::move(code);
  c.resolution_notes = std::move(notes);
  return store.PutCase(c);
}

// A transition whose only arg is the case.
Status BareTransition(Transition t, const Args& args, const MutationEnv& env,
                      MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect({"caseId"}));
  CASESYNC_ASSIGN_OR_RETURN(Case c, LoadVisibleCase(args, env, store));
  CASESYNC_RETURN_IF_ERROR(Take(t, c, env));
  return store.PutCase(c);
}

// A transition that adds a public comment (requestInfo, rejectSolution).
Status TransitionWithComment(Transition t, const Args& args,
                             const MutationEnv& env, MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect({"caseId", "comment"}));
  CASESYNC_ASSIGN_OR_RETURN(Case c, LoadVisibleCase(args, env, store));
  std::string body;
  CASESYNC_RETURN_IF_ERROR(args.String("comment", true, &body));
  CASESYNC_RETURN_IF_ERROR(CheckText(body, "comment", "Comentario", "Comment",
                                     kMaxCommentBody, true));
  CASESYNC_RETURN_IF_ERROR(Take(t, c, env));
  CASESYNC_RETURN_IF_ERROR(PutDerivedComment(c, std::move(body), env, store));
  return store.PutCase(c);
}

Status SetPriority(const Args& args, const MutationEnv& env,
                   MutationStore& store) {
  CASESYNC_RETURN_IF_ERROR(args.Expect({"caseId", "priority"}));
  CASESYNC_ASSIGN_OR_RETURN(Case c, LoadVisibleCase(args, env, store));
  int64_t priority = 0;
  CASESYNC_RETURN_IF_ERROR(args.Int("priority", &priority));
  if (priority < 1 || priority > 4) {
    return Status(ErrorCode::kInvalidRequest,
                  "args.priority must be 1, 2, 3 or 4");
  }
  CASESYNC_RETURN_IF_ERROR(RequireStaff(env));
  if (IsTerminal(c.state)) return TerminalStatus();
  c.priority = static_cast<int>(priority);
  c.updated_at = env.now;
  return store.PutCase(c);
}

// Runs the mutator `name` names.
Status Run(MutationName name, const Args& args, const MutationEnv& env,
           MutationStore& store) {
  switch (name) {
    case MutationName::kCreateCase:
      return CreateCase(args, env, store);
    case MutationName::kUpdateCaseContact:
      return UpdateCaseContact(args, env, store);
    case MutationName::kAddComment:
      return AddComment(args, env, store);
    case MutationName::kCancelCase:
      return CancelCase(args, env, store);
    case MutationName::kAcceptSolution:
      return BareTransition(Transition::kAcceptSolution, args, env, store);
    case MutationName::kRejectSolution:
      return TransitionWithComment(Transition::kRejectSolution, args, env,
                                   store);
    case MutationName::kAcceptCase:
      return BareTransition(Transition::kAccept, args, env, store);
    case MutationName::kRequestInfo:
      return TransitionWithComment(Transition::kRequestInfo, args, env, store);
    case MutationName::kResolveCase:
      return ResolveCase(args, env, store);
    case MutationName::kCloseCase:
      return CloseCase(args, env, store);
    case MutationName::kSetPriority:
      return SetPriority(args, env, store);
  }
  return Status(ErrorCode::kInternal, "unhandled mutation");
}

}  // namespace

Status MutationStore::InsertCase(Case&& c) {
  CASESYNC_ASSIGN_OR_RETURN(std::optional<Case> existing, GetCase(c.id));
  if (existing) return CaseIdTaken(c.id);
  return PutCase(c);
}

Status CaseIdTaken(std::string_view id) {
  return Status(ErrorCode::kAlreadyExists,
                "case id already used: " + std::string(id));
}

std::string DerivedCommentId(std::string_view client_id, int64_t mutation_id) {
  return std::string(client_id) + "." + std::to_string(mutation_id);
}

Status ApplyMutation(const MutationRecord& m, const MutationEnv& env,
                     MutationStore& store) {
  auto name = MutationNameFromString(m.name);
  if (!name) {
    return Status(ErrorCode::kUnknownMutation, "unknown mutation " + m.name);
  }
  if (!m.args_text.empty())
    return Run(*name, Args(Args::Text{m.args_text, &m.args_index}), env, store);
  return Run(*name, Args(m.args), env, store);
}

std::vector<FieldError> ValidateCreateCaseArgs(const Json& args,
                                               const CatalogLookup& catalog) {
  CaseForm form;
  auto read = [&args](const char* key, std::string* out) {
    auto it = args.is_object() ? args.find(key) : args.end();
    if (it != args.end() && it->is_string()) {
      *out = it->get_ref<const std::string&>();
    }
  };
  read("serviceId", &form.service_id);
  read("productId", &form.product_id);
  read("issueTypeId", &form.issue_type_id);
  read("contactHours", &form.contact_hours);
  read("contactPhone", &form.contact_phone);
  read("subject", &form.subject);
  read("description", &form.description);
  return ValidateCaseForm(form, catalog);
}

}  // namespace casesync
