# Configures and builds the two build trees. Sourced by tools/test and
# tools/bench/run, from the repository root.
#
#   build/wasm    Emscripten, Release      (skipped with CASESYNC_SKIP_WASM=1)
#   build/native  g++, RelWithDebInfo, knows build/wasm so that one ctest run
#                 in build/native also runs the wasm tests under node
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

casesync_build_all() {
  if [[ ${CASESYNC_SKIP_WASM:-0} == 1 ]]; then
    echo "build: CASESYNC_SKIP_WASM=1, skipping build/wasm"
  else
    casesync_build_wasm
  fi
  casesync_build_native
}
