// Seed data: the catalog every server starts with, and the demo of
// `casesync-server --demo` / tools/run (DESIGN §8): two customer accounts
// with a customer and a customer admin each, one agent of the help desk, and
// a handful of cases in several states.
#ifndef CASESYNC_SERVER_DEMO_H_
#define CASESYNC_SERVER_DEMO_H_

#include <cstdint>
#include <vector>

#include "casesync/status.h"
#include "passwords.h"
#include "service.h"
#include "store.h"

namespace casesync::server {

// Writes the core's DefaultCatalog() when the catalog is empty; otherwise
// does nothing.
Status SeedCatalog(Store& store);

// The demo logins (fixed passwords, not forced to change).
std::vector<DemoLogin> DemoLoginList();

// Seeds the demo accounts, users and cases once (meta "demo_seeded");
// seeding again does nothing. Cases go through the mutators as their
// people, so they are numbered and sequenced like pushed ones.
Status SeedDemo(Store& store, HashCost cost, int64_t now_ms);

}  // namespace casesync::server

#endif  // CASESYNC_SERVER_DEMO_H_
