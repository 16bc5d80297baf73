#include "admin.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "casesync/validation.h"
#include "demo.h"
#include "passwords.h"
#include "store.h"

namespace casesync::server {
namespace {

constexpr const char* kUsage =
    "usage: casesync-server admin --data DIR <command>\n"
    "  add-account --name NAME [--tax-id NIT] [--domain D]...\n"
    "  add-user --account NAME --email E --name N --role ROLE --password P\n"
    "           [--phone PHONE] [--temporary]\n"
    "  list-users\n"
    "roles: customer, customer_admin, agent, admin\n";

// Parsed command line: one command, --flag value pairs (repeatable) and
// bare --switches.
struct Command {
  std::string data_dir;
  std::string name;
  std::multimap<std::string, std::string> values;
  std::vector<std::string> switches;

  std::optional<std::string> One(const std::string& flag) const {
    auto it = values.find(flag);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> All(const std::string& flag) const {
    std::vector<std::string> out;
    auto [b, e] = values.equal_range(flag);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
  bool Has(const std::string& flag) const {
    for (const auto& s : switches) {
      if (s == flag) return true;
    }
    return false;
  }
};

bool IsSwitch(const std::string& flag) { return flag == "--temporary"; }

std::optional<Command> Parse(const std::vector<std::string>& args,
                             std::ostream& err) {
  Command c;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0) {
      std::string flag = a, value;
      auto eq = a.find('=');
      bool inline_value = eq != std::string::npos;
      if (inline_value) {
        flag = a.substr(0, eq);
        value = a.substr(eq + 1);
      }
      if (IsSwitch(flag)) {
        c.switches.push_back(flag);
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= args.size()) {
          err << "error: " << flag << " needs a value\n";
          return std::nullopt;
        }
        value = args[++i];
      }
      if (flag == "--data") {
        c.data_dir = value;
      } else {
        c.values.emplace(flag, value);
      }
    } else if (c.name.empty()) {
      c.name = a;
    } else {
      err << "error: unexpected argument '" << a << "'\n";
      return std::nullopt;
    }
  }
  return c;
}

// Lower-case ASCII, trimmed.
std::string Lower(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return s;
}

int StoreError(const Status& st, std::ostream& err) {
  err << "error: " << st.message() << "\n";
  return st.code() == ErrorCode::kStorage || st.code() == ErrorCode::kInternal
             ? kExitIoErr
             : kExitDataErr;
}

int AddAccount(Store& store, const Command& c, std::ostream& out,
               std::ostream& err) {
  auto name = c.One("--name");
  if (!name || name->empty()) {
    err << "error: add-account needs --name\n" << kUsage;
    return kExitUsage;
  }
  std::string account_name = *name;
  Status st = ValidationStatus(ValidateText(account_name, "name", "Nombre",
                                            "Name", kMaxName, true, false));
  if (!st.ok()) return StoreError(st, err);
  AccountRecord a;
  a.account.id = NewId("acc-");
  a.account.name = account_name;
  a.account.tax_id = c.One("--tax-id").value_or("");
  for (const std::string& d : c.All("--domain")) {
    std::string domain = Lower(d);
    if (domain.empty() || domain.find('@') != std::string::npos ||
        domain.find('.') == std::string::npos || !IsValidEmail("x@" + domain)) {
      err << "error: not a domain: " << d << "\n";
      return kExitDataErr;
    }
    a.account.domains.push_back(domain);
  }
  auto tx = store.BeginWrite();
  if (!tx.ok()) return StoreError(tx.status(), err);
  st = (*tx)->PutAccount(a);
  if (st.ok()) st = (*tx)->Commit();
  if (!st.ok()) return StoreError(st, err);
  out << "account " << a.account.id << " \"" << a.account.name << "\" added\n";
  return kExitOk;
}

int AddUser(Store& store, const Command& c, std::ostream& out,
            std::ostream& err) {
  for (const char* flag :
       {"--account", "--email", "--name", "--role", "--password"}) {
    if (!c.One(flag)) {
      err << "error: add-user needs " << flag << "\n" << kUsage;
      return kExitUsage;
    }
  }
  auto role = RoleFromName(*c.One("--role"));
  if (!role) {
    err << "error: unknown role '" << *c.One("--role") << "'\n" << kUsage;
    return kExitUsage;
  }
  std::string email = Lower(*c.One("--email"));
  if (!IsValidEmail(email)) {
    err << "error: not an e-mail address: " << email << "\n";
    return kExitDataErr;
  }
  std::string name = *c.One("--name");
  Status st = ValidationStatus(
      ValidateText(name, "name", "Nombre", "Name", kMaxName, true, false));
  if (!st.ok()) return StoreError(st, err);
  std::string phone = c.One("--phone").value_or("");
  if (!phone.empty() && !IsValidPhone(phone)) {
    err << "error: not a phone number: " << phone << "\n";
    return kExitDataErr;
  }
  const std::string password = *c.One("--password");
  st = CheckPasswordStrength(password, email);
  if (!st.ok()) return StoreError(st, err);
  auto account = store.FindAccountByName(*c.One("--account"));
  if (!account.ok()) return StoreError(account.status(), err);
  if (!*account) {
    err << "error: no account named \"" << *c.One("--account") << "\"\n";
    return kExitDataErr;
  }
  auto hash = HashPassword(password, HashCost::kInteractive);
  if (!hash.ok()) return StoreError(hash.status(), err);
  UserRecord u;
  u.user.id = NewId("usr-");
  u.user.account_id = (*account)->account.id;
  u.user.email = email;
  u.user.name = name;
  u.user.phone = phone;
  u.user.role = *role;
  u.user.status = UserStatus::kActive;
  u.password_hash = std::move(*hash);
  u.must_change_password = c.Has("--temporary");
  auto tx = store.BeginWrite();
  if (!tx.ok()) return StoreError(tx.status(), err);
  auto existing = (*tx)->FindUserByEmail(email);
  if (!existing.ok()) return StoreError(existing.status(), err);
  if (*existing) {
    err << "error: a user with e-mail " << email << " already exists\n";
    return kExitDataErr;
  }
  st = (*tx)->PutUser(u);
  if (st.ok()) st = (*tx)->Commit();
  if (!st.ok()) return StoreError(st, err);
  out << "user " << u.user.id << " <" << email << "> added as "
      << RoleName(u.user.role) << " of \"" << (*account)->account.name
      << "\"\n";
  return kExitOk;
}

int ListUsers(Store& store, std::ostream& out, std::ostream& err) {
  auto users = store.ListUsers();
  if (!users.ok()) return StoreError(users.status(), err);
  out << "email\tname\trole\tstatus\taccount\tmust_change_password\n";
  for (const UserRecord& u : *users) {
    auto account = store.GetAccount(u.user.account_id);
    std::string account_name =
        account.ok() && *account ? (*account)->account.name : "";
    out << u.user.email << "\t" << u.user.name << "\t" << RoleName(u.user.role)
        << "\t" << UserStatusName(u.user.status) << "\t" << account_name << "\t"
        << (u.must_change_password ? "yes" : "no") << "\n";
  }
  return kExitOk;
}

}  // namespace

int RunAdmin(const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err) {
  auto c = Parse(args, err);
  if (!c) {
    err << kUsage;
    return kExitUsage;
  }
  if (c->name.empty() || c->name == "help" || c->name == "--help") {
    (c->name.empty() ? err : out) << kUsage;
    return c->name.empty() ? kExitUsage : kExitOk;
  }
  if (c->name != "add-account" && c->name != "add-user" &&
      c->name != "list-users") {
    err << "error: unknown command '" << c->name << "'\n" << kUsage;
    return kExitUsage;
  }
  if (c->data_dir.empty()) {
    err << "error: --data DIR is required\n" << kUsage;
    return kExitUsage;
  }
  if (!InitCrypto().ok()) {
    err << "error: libsodium failed to initialise\n";
    return kExitIoErr;
  }
  std::error_code ec;
  std::filesystem::create_directories(c->data_dir, ec);
  if (ec) {
    err << "error: cannot create " << c->data_dir << ": " << ec.message()
        << "\n";
    return kExitIoErr;
  }
  SqliteStoreOptions options;
  options.path = (std::filesystem::path(c->data_dir) / "casesync.db").string();
  auto store = OpenSqliteStore(options);
  if (!store.ok()) return StoreError(store.status(), err);
  Status seeded = SeedCatalog(**store);
  if (!seeded.ok()) return StoreError(seeded, err);
  if (c->name == "add-account") return AddAccount(**store, *c, out, err);
  if (c->name == "add-user") return AddUser(**store, *c, out, err);
  return ListUsers(**store, out, err);
}

int RunAdmin(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (!args.empty() && args.front() == "admin") args.erase(args.begin());
  return RunAdmin(args, std::cout, std::cerr);
}

}  // namespace casesync::server
