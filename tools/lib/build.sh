# Configures and builds the two build trees. Sourced by tools/test and
# tools/bench/run, from the repository root.
#
#   build/wasm    Emscripten, Release      (skipped with CASESYNC_SKIP_WASM=1)
#   build/native  g++, RelWithDebInfo, knows build/wasm so that one ctest run
#                 in build/native also runs the wasm tests under node
#   web/dist      the browser app (casesync_build_web): core.js/core.wasm
#                 from build/wasm plus the esbuild bundles (web/package.json)
#
# Configure runs only when a tree has no build.ninja yet; after that ninja
# re-runs cmake by itself when a CMakeLists.txt or a globbed folder changes.

CASESYNC_JOBS=${CASESYNC_JOBS:-2}

# emcc's JS optimizer needs acorn, which Debian installs here.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

casesync_build_wasm() {
  if [[ ! -f build/wasm/build.ninja ]]; then
    emcmake cmake -S . -B build/wasm -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build build/wasm -j "$CASESYNC_JOBS"
}

casesync_build_native() {
  # core_tests_wasm is registered at configure time, only if the wasm tests
  # exist then: configure again once they do. (With CASESYNC_SKIP_WASM=1 the
  # test stays registered; tools/test excludes it from the ctest run.)
  local wasm_js=build/wasm/tests/casesync_core_tests.js
  if [[ ! -f build/native/build.ninja ]] ||
    { [[ -f $wasm_js ]] &&
      ! grep -q core_tests_wasm build/native/tests/CTestTestfile.cmake; }; then
    cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCASESYNC_WASM_BUILD_DIR="$PWD/build/wasm"
  fi
  cmake --build build/native -j "$CASESYNC_JOBS"
}

# web/node_modules from web/package-lock.json: `npm ci` only when the
# folder is missing or the lock file changed since the last install.
casesync_web_npm() {
  local stamp=web/node_modules/.casesync-lock.sha256 sum
  sum=$(sha256sum web/package-lock.json | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$sum" ]]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    echo "$sum" >"$stamp"
  fi
}

# web/dist: core.js + core.wasm (target casesync_web of build/wasm; the
# first build compiles SQLite to wasm, ~30-50 s) and the esbuild bundles.
casesync_build_web() {
  # A tree configured before web/CMakeLists.txt existed lacks the target.
  if [[ ! -f build/wasm/build.ninja ]] ||
    ! grep -q 'casesync_web' build/wasm/build.ninja; then
    emcmake cmake -S . -B build/wasm -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build build/wasm -j "$CASESYNC_JOBS" --target casesync_web
  casesync_web_npm
  (cd web && node_modules/.bin/tsc -p .)  # type check; esbuild only strips
  node web/build.mjs --wasm build/wasm/web
}

casesync_build_all() {
  if [[ ${CASESYNC_SKIP_WASM:-0} == 1 ]]; then
    echo "build: CASESYNC_SKIP_WASM=1, skipping build/wasm and web/dist"
  else
    casesync_build_wasm
    casesync_build_web
  fi
  casesync_build_native
}
