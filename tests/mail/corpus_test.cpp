// The corpus of tests/mail/corpus/: real-world shapes of mail, each with its
// expected parse and intake outcome (docs/mail.md lists them).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "mail/mail_message.h"
#include "mail/mail_text.h"
#include "mail_fixtures.h"

namespace casesync::server::testing {
namespace {

struct Expected {
  const char* file;
  mail::MessageClass cls;
  const char* outcome;
  const char* case_number;  // "" : none
  const char* subject;      // normalised
  bool forward;
  bool user_created;
  bool answered;
  // The text that reached the case (description or comment): must hold
  // every `has` and none of `lacks`.
  std::vector<std::string> has;
  std::vector<std::string> lacks;
};

const std::vector<Expected>& Expectations() {
  using C = mail::MessageClass;
  static const std::vector<Expected> all = {
      {"01_outlook_es_rv_forward.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Factura rechazada por la DIAN",
       true,
       false,
       true,
       {"Buenos días, les reenvío el correo de contabilidad.",
        "“Regla 90: CUFE no válido”", "De: Pedro Contabilidad"},
       {}},
      {"02_outlook_es_re_token.eml",
       C::kNormal,
       "comment_added",
       "CS0000001",
       "No puedo ingresar al portal",
       false,
       false,
       false,
       {"Ya probé con otro navegador y sigue igual.",
        "“contraseña incorrecta”"},
       {"Enviado:", "Hola Ana", "Responda por encima"}},
      {"03_gmail_reply_quotes.eml",
       C::kNormal,
       "comment_added",
       "CS0000001",
       "No puedo ingresar al portal",
       false,
       false,
       false,
       {"Adjunto el pantallazo del error. Gracias."},
       {"escribió", "Hola Ana", ">"}},
      {"04_apple_mail_reply.eml",
       C::kNormal,
       "comment_added",
       "CS0000001",
       "No puedo ingresar al portal",
       false,
       false,
       false,
       {"Listo, ya pude ingresar. Pueden cerrar el caso."},
       {"iPhone", "wrote:", "probar de nuevo"}},
      {"05_stacked_prefixes.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Certificado vencido",
       false,
       false,
       true,
       {"Mi certificado en token venció ayer, ¿cómo lo renuevo?"},
       {}},
      {"06_re_counter.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Token no reconocido",
       false,
       false,
       true,
       {"El equipo no reconoce el token"},
       {}},
      {"07_gmail_forward.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Error en el CUFE de la factura FE-88",
       true,
       false,
       true,
       {"Les reenvío lo que nos dijo el proveedor.",
        "El CUFE de la factura FE-88 no coincide con el XML."},
       {}},
      {"08_alternative_base64.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "La firma aparece como no valida",
       false,
       false,
       true,
       {"Buenas tardes:\n\nLa firma aparece como no válida en "
        "Adobe.\n\nSaludos,\nBrenda"},
       {"<p>", "<b>"}},
      {"09_html_only_qp.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Solicitud de factura de compra",
       false,
       true,
       true,
       {"Buen día,", "& el soporte de pago.", "- Orden 123\n- Orden 124",
        "la orden (https://nuevo-cliente.example/orden)"},
       {"alert", "color", "<"}},
      {"10_subject_utf8_b.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Facturación electrónica – error 502",
       false,
       false,
       true,
       {"error 502 al enviar"},
       {}},
      {"11_subject_latin1_q.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Contraseña bloqueada",
       false,
       false,
       true,
       {"Bloqueé la contraseña del archivo .p12 después de tres intentos."},
       {}},
      {"12_attachments.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "Pantallazo del error del token",
       false,
       false,
       true,
       {"Adjunto el pantallazo y la factura.",
        "- pantallazo.png (image/png, 1 KB)",
        "- factura_ñ.pdf (application/pdf, 1 KB)"},
       {}},
      {"13_out_of_office.eml",
       C::kAutoReply,
       "ignored_auto_reply",
       "",
       "",
       false,
       false,
       false,
       {},
       {}},
      {"14_dsn_bounce.eml",
       C::kBounce,
       "ignored_bounce",
       "",
       "",
       false,
       false,
       false,
       {},
       {}},
      {"15_list_mail.eml",
       C::kList,
       "ignored_list",
       "",
       "",
       false,
       false,
       false,
       {},
       {}},
      {"16_own_notification.eml",
       C::kOwn,
       "ignored_own",
       "",
       "",
       false,
       false,
       false,
       {},
       {}},
      {"17_broken_mime.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       nullptr,
       false,
       false,
       true,
       {},
       {}},
      {"19_new_customer.eml",
       C::kNormal,
       "case_created",
       "CS0000002",
       "No me llega el código de verificación",
       false,
       true,
       true,
       {"No me llega el código para usar el certificado en la nube."},
       {}},
  };
  return all;
}

// The text the message left on its case.
std::string TextOf(MailWorld& w, const mail::InboundOutcome& o) {
  if (o.outcome == "comment_added") {
    return w.Query("SELECT body FROM comments WHERE case_id='" + o.case_id +
                   "' AND author_id<>'' ORDER BY seq DESC LIMIT 1");
  }
  auto c = w.GetCase(o.case_id);
  REQUIRE(c);
  return c->description;
}

TEST_SUITE("mail corpus") {
  TEST_CASE("every corpus message parses, classifies and lands as expected") {
    for (const Expected& e : Expectations()) {
      CAPTURE(e.file);
      std::string raw = Corpus(e.file);
      mail::ParsedMessage m = mail::ParseMessage(raw);
      REQUIRE(m.parsed);
      CHECK(mail::Classify(m, "mesa.example.co") == e.cls);
      mail::NormalizedSubject s = mail::NormalizeSubject(m.subject);
      if (e.cls == mail::MessageClass::kNormal && e.subject != nullptr) {
        CHECK(s.text == e.subject);
        CHECK(s.is_forward == e.forward);
      }

      MailWorld w;
      int64_t users = w.Count("SELECT count(*) FROM users");
      int64_t comments = w.Count("SELECT count(*) FROM comments");
      mail::InboundOutcome o = w.Receive(raw);
      CHECK(o.outcome == e.outcome);
      CHECK(o.case_number == e.case_number);
      CHECK(o.user_created == e.user_created);
      CHECK(o.answered == e.answered);
      CHECK(w.Count("SELECT count(*) FROM users") ==
            users + (e.user_created ? 1 : 0));
      if (o.outcome.rfind("ignored_", 0) == 0) {
        CHECK(w.Count("SELECT count(*) FROM comments") == comments);
        CHECK(w.Count("SELECT count(*) FROM cases") == 1);
      }
      if (!o.case_id.empty()) {
        std::string text = TextOf(w, o);
        for (const std::string& h : e.has) {
          CHECK_MESSAGE(text.find(h) != std::string::npos, h, "\n", text);
        }
        for (const std::string& l : e.lacks) {
          CHECK_MESSAGE(text.find(l) == std::string::npos, l, "\n", text);
        }
        auto c = w.GetCase(o.case_id);
        REQUIRE(c);
        if (o.outcome == "case_created") {
          CHECK(c->channel == Channel::kEmail);
        }
      }
      // Delivered again (the MTA retried): nothing new happens.
      mail::InboundOutcome again = w.Receive(raw);
      CHECK(again.duplicate);
      CHECK(again.outcome == e.outcome);
      CHECK(again.case_number == e.case_number);
    }
  }

  TEST_CASE("encoded words and charsets arrive as UTF-8") {
    mail::ParsedMessage m =
        mail::ParseMessage(Corpus("11_subject_latin1_q.eml"));
    CHECK(m.subject == "Contraseña bloqueada");
    CHECK(m.from_name == "Beto Muñoz");
    mail::ParsedMessage q =
        mail::ParseMessage(Corpus("01_outlook_es_rv_forward.eml"));
    CHECK(q.from_name == "Ana Gómez");
    CHECK(q.text.find("“Regla 90") != std::string::npos);
  }

  TEST_CASE("attachments are listed with name, type and decoded size") {
    mail::ParsedMessage m = mail::ParseMessage(Corpus("12_attachments.eml"));
    REQUIRE(m.attachments.size() == 2);
    CHECK(m.attachments[0].name == "pantallazo.png");
    CHECK(m.attachments[0].content_type == "image/png");
    CHECK(m.attachments[0].size == 1024);
    CHECK(m.attachments[1].name == "factura_ñ.pdf");
    CHECK(m.attachments[1].size == 2009);
    // The mailgate drops the contents and keeps the sizes.
    std::string stripped = mail::StripAttachments(Corpus("12_attachments.eml"));
    CHECK(stripped.size() < 1500);
    mail::ParsedMessage s = mail::ParseMessage(stripped);
    REQUIRE(s.attachments.size() == 2);
    CHECK(s.attachments[0].size == 1024);
    CHECK(s.attachments[1].size == 2009);
    CHECK(s.text == "Adjunto el pantallazo y la factura.");
  }

  TEST_CASE("a bounce of our notification marks it failed") {
    MailWorld w;
    mail::InboundOutcome o = w.Receive(Corpus("14_dsn_bounce.eml"));
    CHECK(o.outcome == "ignored_bounce");
    CHECK(w.Query("SELECT failed FROM notifications WHERE "
                  "message_id='n-0001@mesa.example.co'") == "1");
  }

  TEST_CASE("something that is not a message is refused, not crashed on") {
    MailWorld w;
    auto r = w.mail->Receive(Corpus("18_not_a_message.eml"));
    REQUIRE(!r.ok());
    CHECK((r.status().code() == ErrorCode::kValidationFailed ||
           r.status().code() == ErrorCode::kInvalidRequest));
    auto empty = w.mail->Receive("");
    CHECK(!empty.ok());
  }

  TEST_CASE("a new sender from an unknown domain gets a pending account") {
    MailWorld w;
    mail::InboundOutcome o = w.Receive(Corpus("19_new_customer.eml"));
    CHECK(o.user_created);
    CHECK(w.Query("SELECT pending FROM accounts a JOIN users u ON "
                  "u.account_id=a.id WHERE u.email="
                  "'marta.ruiz@transportes-nuevos.example'") == "1");
    CHECK(w.Query("SELECT name FROM users WHERE "
                  "email='marta.ruiz@transportes-nuevos.example'") ==
          "Marta Ruiz");
    CHECK(w.Query("SELECT must_change_password FROM users WHERE "
                  "email='marta.ruiz@transportes-nuevos.example'") == "1");
    CHECK(w.Query("SELECT kind FROM notifications WHERE "
                  "to_addr='marta.ruiz@transportes-nuevos.example'") ==
          "credentials");
  }
}

}  // namespace
}  // namespace casesync::server::testing
