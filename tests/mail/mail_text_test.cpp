#include "mail/mail_text.h"

#include <doctest/doctest.h>

#include <string>

namespace casesync::server::mail {
namespace {

struct SubjectCase {
  const char* in;
  const char* text;
  bool reply;
  bool forward;
  const char* number;
};

TEST_SUITE("mail subjects") {
  TEST_CASE("reply and forward prefixes are removed in every common form") {
    const SubjectCase cases[] = {
        {"RE: Factura", "Factura", true, false, ""},
        {"Re: Factura", "Factura", true, false, ""},
        {"RV: Factura", "Factura", false, true, ""},
        {"RES: Factura", "Factura", true, false, ""},
        {"FW: Factura", "Factura", false, true, ""},
        {"Fwd: Factura", "Factura", false, true, ""},
        {"ENC: Factura", "Factura", false, true, ""},
        {"TR: Factura", "Factura", false, true, ""},
        {"AW: Factura", "Factura", true, false, ""},
        {"WG: Factura", "Factura", false, true, ""},
        {"SV: Factura", "Factura", true, false, ""},
        {"VS: Factura", "Factura", true, false, ""},
        {"Forward: Factura", "Factura", false, true, ""},
        {"No reply: Factura", "Factura", true, false, ""},
        {"Re[2]: Factura", "Factura", true, false, ""},
        {"RE(3) : Factura", "Factura", true, false, ""},
        {"RE: RV: Fwd: Certificado vencido", "Certificado vencido", true, false,
         ""},
        {"rv: re: fw: x", "x", false, true, ""},
        {"RE\xEF\xBC\x9A Factura", "Factura", true, false, ""},
        {"RE: [CS0000123] No puedo ingresar", "No puedo ingresar", true, false,
         "CS0000123"},
        {"[CS0000123] RE: Token", "Token", true, false, "CS0000123"},
        {"Factura [CS0000042] rechazada", "Factura rechazada", false, false,
         "CS0000042"},
        {"Reunión: martes", "Reunión: martes", false, false, ""},
        {"Resumen: pagos", "Resumen: pagos", false, false, ""},
        {"   ", "", false, false, ""},
        {"[CS12] corto", "[CS12] corto", false, false, ""},
    };
    for (const SubjectCase& c : cases) {
      CAPTURE(c.in);
      NormalizedSubject s = NormalizeSubject(c.in);
      CHECK(s.text == c.text);
      CHECK(s.is_reply == c.reply);
      CHECK(s.is_forward == c.forward);
      CHECK(s.case_number == c.number);
    }
  }
}

TEST_SUITE("mail quotes") {
  TEST_CASE("a reply is cut at our marker") {
    CHECK(TrimQuotedReply("Listo, gracias.\n\n" + std::string(kReplyMarker) +
                          "\nHola Ana") == "Listo, gracias.");
  }
  TEST_CASE("an Outlook header block in Spanish ends the new text") {
    CHECK(TrimQuotedReply("Sigue igual.\n\nDe: Mesa <s@m.co>\nEnviado: "
                          "martes\nPara: Ana\nAsunto: x\n\nviejo") ==
          "Sigue igual.");
  }
  TEST_CASE("Outlook's rule and Original Message markers end it") {
    CHECK(TrimQuotedReply("Nuevo\n________________________________\nFrom: "
                          "a\nSent: b\n\nviejo") == "Nuevo");
    CHECK(TrimQuotedReply("Nuevo\n-----Original Message-----\nviejo") ==
          "Nuevo");
    CHECK(TrimQuotedReply("Nuevo\n----- Mensaje original -----\nviejo") ==
          "Nuevo");
  }
  TEST_CASE("Gmail and Apple Mail attributions end it, also wrapped") {
    CHECK(TrimQuotedReply("Nuevo\n\nEl mar, 4 nov 2025 a las 9:30, Mesa "
                          "(<s@m.co>)\nescribió:\n\n> viejo\n") == "Nuevo");
    CHECK(TrimQuotedReply("New\n\nOn 4 Nov 2025, at 9:30, Desk <d@x> "
                          "wrote:\n> old\n") == "New");
  }
  TEST_CASE("trailing quoted lines, signatures and mobile footers go") {
    CHECK(TrimQuotedReply("Nuevo\n> a\n>\n> b\n") == "Nuevo");
    CHECK(TrimQuotedReply("Nuevo\n-- \nAna Gómez\nTel 300") == "Nuevo");
    CHECK(TrimQuotedReply("Nuevo\n\nEnviado desde mi iPhone\n") == "Nuevo");
  }
  TEST_CASE("interleaved answers stay; only quotes would leave the whole") {
    CHECK(TrimQuotedReply("> pregunta\nrespuesta\n") ==
          "> pregunta\nrespuesta");
    CHECK(TrimQuotedReply("> solo cita\n") == "> solo cita");
  }
}

TEST_SUITE("mail html") {
  TEST_CASE("HTML becomes readable text without scripts or styles") {
    std::string t = HtmlToText(
        "<html><head><style>p{}</style></head><body><p>Hola&nbsp;&amp; "
        "adi&oacute;s</p><script>x()</script><ul><li>uno</li><li>dos</li>"
        "</ul>l&iacute;nea<br>otra <a href=\"https://x.co/a\">enlace</a>"
        "<blockquote>citado</blockquote>&#191;&#x41;?</body></html>");
    CHECK(t ==
          "Hola & adiós\n\n- uno\n- dos\nlínea\notra enlace "
          "(https://x.co/a)\n> citado\n¿A?");
  }
  TEST_CASE("broken HTML never throws and keeps the text") {
    CHECK(HtmlToText("<p>abierto <b>sin cerrar <a href='x") ==
          "abierto sin "
          "cerrar");
    CHECK(HtmlToText("a &unknown; b &#99999999; <") ==
          "a &unknown; b \xEF\xBF\xBD");
  }
}

TEST_SUITE("mail clean text") {
  TEST_CASE("invalid UTF-8 and control characters are made safe") {
    CHECK(CleanText("a\x01"
                    "b\xff"
                    "c\r\nd",
                    100, true) ==
          "ab\xEF\xBF\xBD"
          "c\nd");
    CHECK(CleanText("a\nb", 100, false) == "a b");
    CHECK(CleanText("áéíóú", 3, false) == "áé\xE2\x80\xA6");
  }
}

}  // namespace
}  // namespace casesync::server::mail
