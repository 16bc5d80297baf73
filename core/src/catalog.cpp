#include "casesync/catalog.h"

#include <string>

namespace casesync {
namespace {

struct Line {
  const char* id;
  const char* name;
};

struct ProductSeed {
  Line product;
  std::vector<Line> issues;
};

struct ServiceSeed {
  Line service;
  std::vector<ProductSeed> products;
};

std::vector<CatalogItem> Build() {
  const std::vector<ServiceSeed> seed = {
      {{"svc-cert", "Certificado Digital"},
       {{{"prd-cert-token", "Certificado en token"},
         {{"iss-cert-token-pin", "Bloqueo de PIN del token"},
          {"iss-cert-token-driver", "El equipo no reconoce el token"},
          {"iss-cert-token-renew", "Renovación del certificado"}}},
        {{"prd-cert-cloud", "Certificado en la nube"},
         {{"iss-cert-cloud-access", "No puedo acceder al certificado"},
          {"iss-cert-cloud-otp", "No llega el código de verificación"},
          {"iss-cert-cloud-revoke", "Revocación del certificado"}}},
        {{"prd-cert-pfx", "Certificado en archivo (.p12/.pfx)"},
         {{"iss-cert-pfx-install", "Instalación del certificado"},
          {"iss-cert-pfx-password", "Olvidé la contraseña del archivo"},
          {"iss-cert-pfx-expired", "Certificado vencido"}}}}},
      {{"svc-fe", "Factura Electrónica"},
       {{{"prd-fe-portal", "Portal de facturación"},
         {{"iss-fe-portal-reject", "Factura rechazada por la DIAN"},
          {"iss-fe-portal-cufe", "Error en el CUFE"},
          {"iss-fe-portal-login", "No puedo ingresar al portal"}}},
        {{"prd-fe-api", "Integración API / Web service"},
         {{"iss-fe-api-timeout", "Tiempo de espera agotado"},
          {"iss-fe-api-schema", "Error de validación del XML (UBL 2.1)"},
          {"iss-fe-api-credentials", "Credenciales o token inválidos"}}},
        {{"prd-fe-docsoporte", "Documento soporte y nómina electrónica"},
         {{"iss-fe-ds-numbering", "Rango de numeración"},
          {"iss-fe-ds-payroll", "Nómina electrónica rechazada"}}}}},
      {{"svc-firma", "Firma Electrónica"},
       {{{"prd-firma-docs", "Firma de documentos"},
         {{"iss-firma-docs-invalid", "La firma aparece como no válida"},
          {"iss-firma-docs-flow", "Flujo de firmas detenido"}}},
        {{"prd-firma-stamp", "Estampado cronológico"},
         {{"iss-firma-stamp-fail", "Falla del estampado"},
          {"iss-firma-stamp-balance", "Saldo de estampas agotado"}}}}},
      {{"svc-soporte", "Soporte y cuenta"},
       {{{"prd-soporte-cuenta", "Cuenta y usuarios"},
         {{"iss-soporte-cuenta-acceso", "Acceso y contraseñas"},
          {"iss-soporte-cuenta-usuarios", "Alta o baja de usuarios"}}},
        {{"prd-soporte-pagos", "Pagos y facturación del servicio"},
         {{"iss-soporte-pagos-factura", "Solicitud de factura de compra"},
          {"iss-soporte-pagos-pago", "Pago no reflejado"}}}}},
  };
  std::vector<CatalogItem> items;
  int service_sort = 0;
  for (const ServiceSeed& s : seed) {
    items.push_back({CatalogKind::kService, s.service.id, "", s.service.name,
                     ++service_sort, true});
    int product_sort = 0;
    for (const ProductSeed& p : s.products) {
      items.push_back({CatalogKind::kProduct, p.product.id, s.service.id,
                       p.product.name, ++product_sort, true});
      int issue_sort = 0;
      for (const Line& i : p.issues) {
        items.push_back({CatalogKind::kIssueType, i.id, p.product.id, i.name,
                         ++issue_sort, true});
      }
    }
  }
  return items;
}

}  // namespace

const std::vector<CatalogItem>& DefaultCatalog() {
  static const std::vector<CatalogItem> items = Build();
  return items;
}

CatalogIndex::CatalogIndex(const std::vector<CatalogItem>& items) {
  for (const CatalogItem& item : items) by_id_.emplace(item.id, item);
}

const CatalogItem* CatalogIndex::FindCatalogItem(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

}  // namespace casesync
