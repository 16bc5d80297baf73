// Operator commands: `casesync-server admin --data DIR <command> …`
// (DESIGN §8). They work on the database directly (the server may be
// running: SQLite serialises the writers).
//
//   add-account --name NAME [--tax-id NIT] [--domain D]…
//   add-user --account NAME --email E --name N --role ROLE --password P
//            [--phone PHONE] [--temporary]
//   list-users
//
// --temporary makes the user change the password at first login. Passwords
// follow the policy of DESIGN §5 and are never printed.
//
// Exit codes (sysexits.h): 0 done, 64 usage error, 65 bad data (unknown
// account, weak password, duplicate e-mail or name…), 74 storage error.
#ifndef CASESYNC_SERVER_ADMIN_H_
#define CASESYNC_SERVER_ADMIN_H_

#include <ostream>
#include <string>
#include <vector>

namespace casesync::server {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 64;
constexpr int kExitDataErr = 65;
constexpr int kExitIoErr = 74;

// `args` are the words after "admin". Output to `out`, errors to `err`.
int RunAdmin(const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err);
// The same on stdout/stderr, with argv[0..argc) the words after "admin";
// a leading "admin" word (main's argv + 1) is skipped.
int RunAdmin(int argc, char** argv);

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_ADMIN_H_
