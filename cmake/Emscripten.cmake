# WebAssembly build settings, and casesync_add_node_executable() which both
# builds can call unconditionally (it does nothing natively).
#
# Emscripten quirks (see /work/shared/TOOLCHAIN.md), handled by tools/*:
#   - emcc's JS optimizer needs acorn from Debian: NODE_PATH=/usr/share/nodejs.
#   - the JS emitted for node tries fetch() on the .wasm path under Node 20:
#     run it with `node --no-experimental-fetch`.

if(EMSCRIPTEN)
  # Optimisation levels for Release wasm, measured with emcc 3.1.6 on a probe
  # linking SQLite + nlohmann::json (200k inserts, 50 indexed LIKE queries,
  # 20k json parse+dump; node 20):
  #                       raw wasm   gzip -9   sqlite3.c compile   json   sql
  #   (compile times on an idle 2-core machine)
  #   all -O2             1061 KB    424 KB    31 s                1x     1x
  #   all -Oz              626 KB    303 KB    11 s                2.7x   ~1.15x
  #   SQLite -Os, C++ -O2  647 KB    300 KB    11 s                1x     ~1.1x
  # SQLite at -O2 alone nearly fills the budget (<= 1.2 MB raw, <= 450 KB gzip
  # for core + SQLite) and buys ~10% query speed; -Oz on our C++ makes the
  # template-heavy json code ~2.7x slower for ~20 KB. Hence the mix.
  set(CASESYNC_WASM_OPT "-O2" CACHE STRING
      "Optimisation flag for our code in Release wasm (-O2, -Os, -Oz)")
  set(CASESYNC_WASM_SQLITE_OPT "-Os" CACHE STRING
      "Optimisation flag for sqlite3.c in the wasm build (-O2, -Os, -Oz)")
  foreach(_lang C CXX)
    set(CMAKE_${_lang}_FLAGS_RELEASE "${CASESYNC_WASM_OPT} -DNDEBUG")
  endforeach()
  # At link time the level also drives wasm-opt and the JS minifier.
  set(CMAKE_EXE_LINKER_FLAGS_RELEASE "${CASESYNC_WASM_OPT}")
  set(CASESYNC_SQLITE_OPT ${CASESYNC_WASM_SQLITE_OPT})

  # Exceptions: emscripten's default (catching disabled, a throw aborts) is
  # kept, so the core must not rely on them. nlohmann::json must not throw:
  # with JSON_NOEXCEPTION its errors abort instead; check inputs with
  # json::accept() / parse(..., nullptr, false) and is_discarded().
  add_compile_definitions(JSON_NOEXCEPTION)
endif()

# Makes `target` runnable under node as `node --no-experimental-fetch
# <target>.js`: real files through NODERAWFS (doctest, benchmarks write to
# the current directory), a growable heap, and the process exit code set by
# main().
function(casesync_add_node_executable target)
  if(NOT EMSCRIPTEN)
    return()
  endif()
  target_link_options(${target} PRIVATE
    -sENVIRONMENT=node
    -sALLOW_MEMORY_GROWTH=1
    -sNODERAWFS=1
    -sEXIT_RUNTIME=1)
endfunction()
