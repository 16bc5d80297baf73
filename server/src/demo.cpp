#include "demo.h"

#include <string>

#include "casesync/catalog.h"
#include "casesync/mutation.h"

namespace casesync::server {
namespace {

struct DemoAccount {
  const char* id;
  const char* name;
  const char* tax_id;
  const char* domain;
};

constexpr DemoAccount kAccounts[] = {
    {"acc-caliconfort", "TRANSPORTES CALICONFORT S.A.S.", "900123456-7",
     "caliconfort.com.co"},
    {"acc-andinas", "INVERSIONES ANDINAS LTDA", "800765432-1", "andinas.co"},
    {"acc-mesa", "Mesa de ayuda", "", ""},
};

struct DemoUser {
  const char* id;
  const char* account_id;
  const char* email;
  const char* name;
  const char* phone;
  Role role;
  const char* password;
};

constexpr DemoUser kUsers[] = {
    {"usr-demo-laura", "acc-caliconfort", "laura.gomez@caliconfort.com.co",
     "Laura Gómez", "+57 310 555 0101", Role::kCustomer, "Calidemo-2026"},
    {"usr-demo-carlos", "acc-caliconfort", "carlos.ramirez@caliconfort.com.co",
     "Carlos Ramírez", "601 555 0102", Role::kCustomerAdmin, "Caliadmin-2026"},
    {"usr-demo-andres", "acc-andinas", "andres.mejia@andinas.co",
     "Andrés Mejía", "+57 315 555 0103", Role::kCustomer, "Andidemo-2026"},
    {"usr-demo-paula", "acc-andinas", "paula.rojas@andinas.co", "Paula Rojas",
     "604 555 0104", Role::kCustomerAdmin, "Andiadmin-2026"},
    {"usr-demo-sofia", "acc-mesa", "sofia.agente@mesadeayuda.co",
     "Sofía Herrera (Mesa de ayuda)", "601 555 0199", Role::kAgent,
     "Agentedemo-2026"},
};

Actor ActorOf(const DemoUser& u) { return Actor{u.id, u.account_id, u.role}; }

Json CaseArgs(const char* id, const char* product, const char* issue,
              const char* service, const char* subject,
              const char* description) {
  return Json{{"id", id},
              {"serviceId", service},
              {"productId", product},
              {"issueTypeId", issue},
              {"contactHours", "Lunes a viernes, 8:00 a. m. a 5:00 p. m."},
              {"contactPhone", "+57 310 555 0101"},
              {"subject", subject},
              {"description", description}};
}

}  // namespace

Status SeedCatalog(Store& store) {
  CASESYNC_ASSIGN_OR_RETURN(std::vector<CatalogItem> existing,
                            store.ListCatalog());
  if (!existing.empty()) return Status::Ok();
  CASESYNC_ASSIGN_OR_RETURN(std::unique_ptr<WriteTx> tx, store.BeginWrite());
  for (const CatalogItem& item : DefaultCatalog()) {
    CASESYNC_RETURN_IF_ERROR(tx->PutCatalogItem(item));
  }
  return tx->Commit();
}

std::vector<DemoLogin> DemoLoginList() {
  std::vector<DemoLogin> out;
  for (const DemoUser& u : kUsers) {
    std::string account;
    for (const DemoAccount& a : kAccounts) {
      if (std::string(a.id) == u.account_id) account = a.name;
    }
    out.push_back({u.email, u.password, RoleName(u.role), account});
  }
  return out;
}

Status SeedDemo(Store& store, HashCost cost, int64_t now_ms) {
  CASESYNC_ASSIGN_OR_RETURN(auto seeded, store.GetMeta("demo_seeded"));
  if (seeded) return Status::Ok();
  // Hash outside the write transaction (argon2id takes a while).
  std::vector<std::string> hashes;
  for (const DemoUser& u : kUsers) {
    CASESYNC_ASSIGN_OR_RETURN(std::string h, HashPassword(u.password, cost));
    hashes.push_back(std::move(h));
  }
  CASESYNC_ASSIGN_OR_RETURN(std::unique_ptr<WriteTx> tx, store.BeginWrite());
  CASESYNC_ASSIGN_OR_RETURN(seeded, tx->GetMeta("demo_seeded"));
  if (seeded) return Status::Ok();
  for (const DemoAccount& a : kAccounts) {
    AccountRecord record;
    record.account = {a.id, a.name, a.tax_id, {}};
    if (*a.domain != '\0') record.account.domains.push_back(a.domain);
    CASESYNC_RETURN_IF_ERROR(tx->PutAccount(record));
  }
  for (size_t i = 0; i < std::size(kUsers); ++i) {
    const DemoUser& u = kUsers[i];
    UserRecord record;
    record.user = {u.id,   u.account_id,       u.email, u.name, u.phone,
                   u.role, UserStatus::kActive};
    record.password_hash = hashes[i];
    CASESYNC_RETURN_IF_ERROR(tx->PutUser(record));
  }

  const DemoUser& laura = kUsers[0];
  const DemoUser& carlos = kUsers[1];
  const DemoUser& andres = kUsers[2];
  const DemoUser& paula = kUsers[3];
  const DemoUser& sofia = kUsers[4];
  int64_t mutation_id = 0;
  // Demo cases were filed over the last days, a few minutes apart.
  int64_t t = now_ms - 3LL * 24 * 3600 * 1000;
  auto run = [&](const DemoUser& who, const char* name, Json args) -> Status {
    MutationEnv env;
    env.actor = ActorOf(who);
    env.now = FormatIsoTime(t);
    env.client_id = "demo-seed";
    env.mutation_id = ++mutation_id;
    env.authoritative = true;
    t += 37LL * 60 * 1000;
    MutationRecord m{mutation_id, name, std::move(args), env.now};
    return ApplyMutation(m, env, tx->mutations());
  };

  CASESYNC_RETURN_IF_ERROR(run(
      laura, "createCase",
      CaseArgs("demo-case-token-pin", "prd-cert-token", "iss-cert-token-pin",
               "svc-cert", "Token bloqueado por PIN errado",
               "Ingresé mal el PIN del token tres veces y quedó bloqueado. "
               "Necesito firmar facturas hoy.")));
  CASESYNC_RETURN_IF_ERROR(run(
      laura, "createCase",
      CaseArgs("demo-case-fe-rechazo", "prd-fe-portal", "iss-fe-portal-reject",
               "svc-fe", "Factura FE-1043 rechazada por la DIAN",
               "La factura FE-1043 aparece rechazada con la regla FAD06. "
               "Adjunto el XML en el siguiente comentario.")));
  CASESYNC_RETURN_IF_ERROR(
      run(sofia, "acceptCase", Json{{"caseId", "demo-case-fe-rechazo"}}));
  CASESYNC_RETURN_IF_ERROR(
      run(sofia, "addComment",
          Json{{"id", "demo-comment-1"},
               {"caseId", "demo-case-fe-rechazo"},
               {"body", "Revisando la numeración autorizada del cliente."},
               {"visibility", "internal"}}));
  CASESYNC_RETURN_IF_ERROR(
      run(sofia, "requestInfo",
          Json{{"caseId", "demo-case-fe-rechazo"},
               {"comment",
                "Por favor envíenos el CUFE de la factura y la fecha de "
                "emisión."}}));
  CASESYNC_RETURN_IF_ERROR(run(
      carlos, "createCase",
      CaseArgs("demo-case-cloud", "prd-cert-cloud", "iss-cert-cloud-otp",
               "svc-cert", "No llega el código OTP del certificado en la nube",
               "Desde ayer el código OTP no llega al celular registrado.")));
  CASESYNC_RETURN_IF_ERROR(
      run(sofia, "acceptCase", Json{{"caseId", "demo-case-cloud"}}));
  CASESYNC_RETURN_IF_ERROR(run(
      sofia, "resolveCase",
      Json{{"caseId", "demo-case-cloud"},
           {"resolutionCode", "Configuración"},
           {"notes", "Se actualizó el número celular registrado para OTP."}}));
  CASESYNC_RETURN_IF_ERROR(run(
      andres, "createCase",
      CaseArgs("demo-case-firma", "prd-firma-docs", "iss-firma-docs-invalid",
               "svc-firma", "Documento firmado aparece como no válido",
               "Al abrir el PDF firmado en Adobe aparece la firma como no "
               "válida.")));
  CASESYNC_RETURN_IF_ERROR(
      run(paula, "createCase",
          CaseArgs("demo-case-pagos", "prd-soporte-pagos",
                   "iss-soporte-pagos-factura", "svc-soporte",
                   "Solicitud de copia de factura de renovación",
                   "Necesitamos copia de la factura de la renovación anual del "
                   "certificado.")));
  CASESYNC_RETURN_IF_ERROR(
      run(paula, "cancelCase",
          Json{{"caseId", "demo-case-pagos"},
               {"reason", "Ya la encontramos en el correo de facturación."}}));
  CASESYNC_RETURN_IF_ERROR(tx->SetMeta("demo_seeded", FormatIsoTime(now_ms)));
  return tx->Commit();
}

}  // namespace casesync::server
