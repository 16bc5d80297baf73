// casesync_integration_tests: the real casesync-server binary over real HTTP
// on loopback (CASESYNC_SERVER_BIN names the binary).
#define DOCTEST_CONFIG_IMPLEMENT
#include <curl/curl.h>
#include <doctest/doctest.h>
#include <signal.h>

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  doctest::Context context(argc, argv);
  int rc = context.run();
  curl_global_cleanup();
  return rc;
}
