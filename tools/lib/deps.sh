# Installs the Debian packages the project needs, only those missing.
# Sourced by tools/test, tools/run and tools/bench/run (or run it directly).
# When everything is present it only asks dpkg (well under a second).

CASESYNC_DEBIAN_PACKAGES=(
  # build
  cmake ninja-build g++ git curl ca-certificates clang-format pkg-config
  clang-14 libclang-rt-14-dev
  # wasm
  emscripten
  # libraries
  nlohmann-json3-dev doctest-dev libcpprest-dev libssl-dev libsodium-dev
  libgmime-3.0-dev libcurl4-openssl-dev libcli11-dev libspdlog-dev
  libjemalloc-dev
  # test helpers
  python3-aiosmtpd wrk chromium
)

# Prints the packages from the arguments that dpkg does not list as installed.
casesync_missing_packages() {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null |
      grep -q '^install ok installed$'; then
      echo "$pkg"
    fi
  done
}

casesync_install_deps() {
  local wanted=("${CASESYNC_DEBIAN_PACKAGES[@]}")
  # node and npm: NodeSource's nodejs package bundles npm and conflicts with
  # Debian's npm, so ask for packages only when the commands are missing.
  command -v node >/dev/null || wanted+=(nodejs)
  command -v npm >/dev/null || wanted+=(npm)

  local missing
  mapfile -t missing < <(casesync_missing_packages "${wanted[@]}")
  ((${#missing[@]} == 0)) && return 0

  echo "deps: installing ${missing[*]}"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Run directly: install and exit.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  casesync_install_deps
fi
