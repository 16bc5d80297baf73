// casesync_cli_tests: the real `casesync` client (CASESYNC_CLI_BIN) against
// the real casesync-server (CASESYNC_SERVER_BIN) over loopback.
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
