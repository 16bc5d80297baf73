#include "mail/notifications.h"

#include <algorithm>
#include <utility>

#include "mail/mail_text.h"

namespace casesync::server::mail {
namespace {

constexpr const char kEnglishRule[] = "\n\n---------- English ----------\n\n";
constexpr const char kSignatureEs[] = "\n\nMesa de ayuda";
constexpr const char kSignatureEn[] = "\n\nHelp desk";

std::string Greeting(const User& u, bool english) {
  std::string name = u.name.empty() ? std::string() : " " + u.name;
  return english ? "Hello" + name + ",\n\n" : "Hola" + name + ",\n\n";
}

// The marker, the Spanish text and the English one.
std::string Body(const std::string& es, const std::string& en) {
  return std::string(kReplyMarker) + "\n\n" + es + kSignatureEs + kEnglishRule +
         en + kSignatureEn + "\n";
}

Notification Make(const char* kind, const User& to, const Case& c,
                  std::string body, std::string_view in_reply_to = {}) {
  Notification n;
  n.kind = kind;
  n.to = to.email;
  n.subject = CaseSubject(c);
  n.body = std::move(body);
  n.case_id = c.id;
  n.in_reply_to = std::string(in_reply_to);
  return n;
}

std::string Quote(std::string_view text) {
  std::string out;
  out += "  ";
  for (char ch : text) {
    out += ch;
    if (ch == '\n') out += "  ";
  }
  return out;
}

std::string StateLine(const Case& c, bool english) {
  return english ? std::string("New state: ") + CaseStateLabelEn(c.state)
                 : std::string("Nuevo estado: ") + CaseStateLabelEs(c.state);
}

}  // namespace

std::string CaseSubject(const Case& c) {
  return "[" + c.number + "] " + c.subject;
}

Notification CredentialsNotification(const User& user,
                                     std::string_view temporary_password,
                                     const Case& c,
                                     std::string_view in_reply_to) {
  std::string pw(temporary_password);
  std::string es =
      Greeting(user, false) + "Recibimos su mensaje y abrimos el caso " +
      c.number +
      ". Creamos una cuenta para que pueda seguirlo en la mesa de ayuda:\n\n"
      "  Usuario: " +
      user.email + "\n  Contraseña temporal: " + pw +
      "\n\nAl ingresar por primera vez se le pedirá cambiar la contraseña. "
      "Para agregar información al caso, responda a este correo.";
  std::string en =
      Greeting(user, true) + "We received your message and opened case " +
      c.number +
      ". We created an account so you can follow it at the help desk:\n\n"
      "  User: " +
      user.email + "\n  Temporary password: " + pw +
      "\n\nYou will be asked to change the password at your first sign-in. "
      "To add information to the case, reply to this e-mail.";
  return Make(kKindCredentials, user, c, Body(es, en), in_reply_to);
}

Notification CaseReceivedNotification(const User& contact, const Case& c,
                                      std::string_view parent_number,
                                      std::string_view in_reply_to) {
  std::string parent(parent_number);
  std::string es = Greeting(contact, false);
  std::string en = Greeting(contact, true);
  if (!parent.empty()) {
    es += "El caso " + parent +
          " ya estaba cerrado, así que abrimos el caso de seguimiento " +
          c.number + " con su mensaje.";
    en += "Case " + parent +
          " was already closed, so we opened follow-up "
          "case " +
          c.number + " with your message.";
  } else {
    es += "Recibimos su solicitud y abrimos el caso " + c.number + ": \"" +
          c.subject + "\".";
    en += "We received your request and opened case " + c.number + ": \"" +
          c.subject + "\".";
  }
  es += " Para agregar información, responda a este correo.";
  en += " To add information, reply to this e-mail.";
  return Make(kKindCaseReceived, contact, c, Body(es, en), in_reply_to);
}

Notification CommentNotification(const User& contact, const Case& c,
                                 std::string_view author_name,
                                 std::string_view body) {
  std::string author(author_name);
  std::string es = Greeting(contact, false) + author + " comentó en su caso " +
                   c.number + ":\n\n" + Quote(body) +
                   "\n\nPara responder, responda a este correo.";
  std::string en = Greeting(contact, true) + author +
                   " commented on your case " + c.number + ":\n\n" +
                   Quote(body) + "\n\nTo answer, reply to this e-mail.";
  return Make(kKindComment, contact, c, Body(es, en));
}

Notification StateChangedNotification(const User& contact, const Case& c,
                                      std::string_view note) {
  std::string es = Greeting(contact, false) + "Su caso " + c.number +
                   " cambió de estado.\n\n" + StateLine(c, false);
  std::string en = Greeting(contact, true) + "Your case " + c.number +
                   " changed state.\n\n" + StateLine(c, true);
  if (!note.empty()) {
    es += "\n\n" + Quote(note);
    en += "\n\n" + Quote(note);
  }
  if (c.state == CaseState::kResolved) {
    es +=
        "\n\nSi la solución no le sirve, responda a este correo y "
        "reabriremos el caso.";
    en +=
        "\n\nIf the solution does not work for you, reply to this e-mail "
        "and we will reopen the case.";
  } else if (c.state == CaseState::kAwaitingInfo) {
    es += "\n\nResponda a este correo con la información solicitada.";
    en += "\n\nReply to this e-mail with the information requested.";
  }
  return Make(kKindStateChanged, contact, c, Body(es, en));
}

Notification AutoCloseReminderNotification(const User& contact, const Case& c,
                                           int days_left) {
  std::string days = std::to_string(days_left);
  std::string es = Greeting(contact, false) + "Su caso " + c.number +
                   " está resuelto. Se cerrará automáticamente en " + days +
                   " días si no nos escribe. Si el problema continúa, "
                   "responda a este correo.";
  std::string en = Greeting(contact, true) + "Your case " + c.number +
                   " is resolved. It will close automatically in " + days +
                   " days unless you write to us. If the problem persists, "
                   "reply to this e-mail.";
  return Make(kKindAutoCloseReminder, contact, c, Body(es, en));
}

Notification AutoClosedNotification(const User& contact, const Case& c,
                                    int days) {
  std::string d = std::to_string(days);
  std::string es = Greeting(contact, false) + "Su caso " + c.number +
                   " se cerró automáticamente tras " + d +
                   " días resuelto. Si necesita algo más, escríbanos y "
                   "abriremos un caso de seguimiento.";
  std::string en = Greeting(contact, true) + "Your case " + c.number +
                   " was closed automatically after " + d +
                   " days resolved. If you need anything else, write to us "
                   "and we will open a follow-up case.";
  return Make(kKindAutoClosed, contact, c, Body(es, en));
}

std::string PasswordResetBody(std::string_view token, int minutes) {
  std::string t(token), m = std::to_string(minutes);
  return "Use este código para restablecer su contraseña (válido " + m +
         " minutos, una sola vez):\n\n" + t +
         "\n\nSi usted no lo pidió, ignore este mensaje." + kEnglishRule +
         "Use this code to reset your password (valid for " + m +
         " minutes, once):\n\n" + t +
         "\n\nIf you did not ask for it, ignore this message.\n";
}

Status QueueMutationNotifications(WriteTx& tx, const MutationRecord& m,
                                  const MutationEnv& env) {
  auto name = MutationNameFromString(m.name);
  if (!name) return Status::Ok();
  // A case filed for oneself notifies no one; with deferred args that is
  // told without building the tree: from the decoder's index of the
  // members (it exists only when no key has an escape; one that does not
  // fit the text is not trusted), or from the text: no "contactId" in it
  // and no escape that could spell one.
  if (*name == MutationName::kCreateCase && !m.args_text.empty()) {
    const std::string_view text = m.args_text;
    auto fits = [text](const ArgsMemberIndex& member) {
      return member.key_offset <= text.size() &&
             member.key_size <= text.size() - member.key_offset;
    };
    bool may_name_contact = true;
    if (!m.args_index.empty() &&
        std::all_of(m.args_index.begin(), m.args_index.end(), fits)) {
      may_name_contact =
          std::any_of(m.args_index.begin(), m.args_index.end(),
                      [text](const ArgsMemberIndex& member) {
                        return text.substr(member.key_offset,
                                           member.key_size) == "contactId";
                      });
    } else {
      may_name_contact = m.args_text.find("contactId") != std::string::npos ||
                         m.args_text.find('\\') != std::string::npos;
    }
    if (!may_name_contact) return Status::Ok();
  }
  Json storage;
  const Json& args = ArgsTree(m, &storage);
  if (!args.is_object()) return Status::Ok();
  if (*name == MutationName::kCreateCase) {
    // Without contactId (or with one's own) the new case's contact is the
    // actor, who is never told of their own doing: no need to read it back.
    auto contact = args.find("contactId");
    if (contact == args.end() || contact->is_null() ||
        (contact->is_string() &&
         contact->get_ref<const std::string&>() == env.actor.user_id)) {
      return Status::Ok();
    }
  }
  const char* id_key = *name == MutationName::kCreateCase ? "id" : "caseId";
  auto it = args.find(id_key);
  if (it == args.end() || !it->is_string()) return Status::Ok();
  MutationStore& store = tx.mutations();
  CASESYNC_ASSIGN_OR_RETURN(std::optional<Case> c,
                            store.GetCase(it->get<std::string>()));
  if (!c || c->contact_id == env.actor.user_id) return Status::Ok();
  CASESYNC_ASSIGN_OR_RETURN(std::optional<User> contact,
                            store.GetUser(c->contact_id));
  if (!contact || contact->status == UserStatus::kDisabled ||
      contact->email.empty()) {
    return Status::Ok();
  }
  auto text = [&args](const char* key) {
    auto v = args.find(key);
    return v != args.end() && v->is_string()
               ? CleanText(v->get<std::string>(), 8000, true)
               : std::string();
  };
  std::optional<Notification> n;
  switch (*name) {
    case MutationName::kCreateCase:
      n = CaseReceivedNotification(*contact, *c, "", "");
      break;
    case MutationName::kAddComment: {
      if (text("visibility") == "internal") return Status::Ok();
      CASESYNC_ASSIGN_OR_RETURN(std::optional<User> author,
                                store.GetUser(env.actor.user_id));
      std::string author_name = author && !author->name.empty()
                                    ? author->name
                                    : std::string("Mesa de ayuda / Help desk");
      n = CommentNotification(*contact, *c, author_name, text("body"));
      break;
    }
    case MutationName::kAcceptCase:
      n = StateChangedNotification(*contact, *c, "");
      break;
    case MutationName::kRequestInfo:
    case MutationName::kRejectSolution:
      n = StateChangedNotification(*contact, *c, text("comment"));
      break;
    case MutationName::kResolveCase:
    case MutationName::kCloseCase:
      n = StateChangedNotification(*contact, *c, text("notes"));
      break;
    case MutationName::kCancelCase:
      n = StateChangedNotification(*contact, *c, text("reason"));
      break;
    default:
      return Status::Ok();
  }
  return tx.EnqueueNotification(*n, env.now);
}

}  // namespace casesync::server::mail
