// The company's catalog of lines: Service → Product → Issue type ("Novedad a
// reportar"). The server seeds it into a new database; tests and the demo use
// it as the realistic catalog.
#ifndef CASESYNC_CATALOG_H_
#define CASESYNC_CATALOG_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "casesync/domain.h"
#include "casesync/validation.h"

namespace casesync {

// Certificado Digital, Factura Electrónica, Firma Electrónica and Soporte
// Técnico with their products and issue types. Ids are stable
// ("svc-cert", "prd-cert-token", "iss-cert-token-pin"...).
const std::vector<CatalogItem>& DefaultCatalog();

// A CatalogLookup over a list of items (owns a copy).
class CatalogIndex : public CatalogLookup {
 public:
  explicit CatalogIndex(const std::vector<CatalogItem>& items);
  const CatalogItem* FindCatalogItem(std::string_view id) const override;

 private:
  // Looked up by string_view as it is (every createCase asks three times),
  // without making a std::string of it first.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view id) const {
      return std::hash<std::string_view>{}(id);
    }
  };
  std::unordered_map<std::string, CatalogItem, IdHash, std::equal_to<>> by_id_;
};

}  // namespace casesync

#endif  // CASESYNC_CATALOG_H_
