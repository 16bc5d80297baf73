# SQLite amalgamation, the same for the native and the wasm build.
#
# The source comes from the npm tarball of better-sqlite3 (which vendors the
# amalgamation at package/deps/sqlite3/). `npm pack` downloads the tarball
# only; no install scripts run. The tarball is checked against a pinned
# SHA-256 before anything is extracted.
#
# The extracted files live in ${CMAKE_BINARY_DIR}/_deps/sqlite and are only
# written when missing, so their timestamps never change and the build never
# recompiles sqlite3.c (about 50 s with emcc -O2) unless its flags change.

set(CASESYNC_SQLITE_NPM_PACKAGE "better-sqlite3")
set(CASESYNC_SQLITE_NPM_VERSION "12.11.1")  # ships SQLite 3.53.2
set(CASESYNC_SQLITE_TARBALL_SHA256
    "ebf0ed75a7a59dbcb3b24bbd014ef49d9f15bc328e4adcbf516f2a8fadfa2835")

set(_sqlite_deps ${CMAKE_BINARY_DIR}/_deps)
set(_sqlite_dir ${_sqlite_deps}/sqlite)
set(_sqlite_files sqlite3.c sqlite3.h sqlite3ext.h)

function(_casesync_fetch_sqlite)
  set(_tgz ${_sqlite_deps}/${CASESYNC_SQLITE_NPM_PACKAGE}-${CASESYNC_SQLITE_NPM_VERSION}.tgz)
  if(NOT EXISTS ${_tgz})
    find_program(NPM_EXECUTABLE npm REQUIRED)
    message(STATUS "Downloading ${CASESYNC_SQLITE_NPM_PACKAGE}@${CASESYNC_SQLITE_NPM_VERSION} (SQLite source)")
    file(MAKE_DIRECTORY ${_sqlite_deps})
    execute_process(
      COMMAND ${NPM_EXECUTABLE} pack --silent
              ${CASESYNC_SQLITE_NPM_PACKAGE}@${CASESYNC_SQLITE_NPM_VERSION}
      WORKING_DIRECTORY ${_sqlite_deps}
      RESULT_VARIABLE _rc
      OUTPUT_QUIET)
    if(NOT _rc EQUAL 0 OR NOT EXISTS ${_tgz})
      message(FATAL_ERROR "npm pack ${CASESYNC_SQLITE_NPM_PACKAGE}@"
                          "${CASESYNC_SQLITE_NPM_VERSION} failed (exit ${_rc})")
    endif()
  endif()

  file(SHA256 ${_tgz} _actual)
  if(NOT _actual STREQUAL CASESYNC_SQLITE_TARBALL_SHA256)
    file(REMOVE ${_tgz})
    message(FATAL_ERROR
      "SHA-256 mismatch for ${_tgz}\n"
      "  expected ${CASESYNC_SQLITE_TARBALL_SHA256}\n"
      "  actual   ${_actual}\n"
      "The tarball was deleted. If the version was bumped on purpose, update "
      "CASESYNC_SQLITE_TARBALL_SHA256 in cmake/Sqlite.cmake.")
  endif()

  set(_members)
  foreach(_f IN LISTS _sqlite_files)
    list(APPEND _members package/deps/sqlite3/${_f})
  endforeach()
  set(_tmp ${_sqlite_deps}/sqlite-extract)
  file(REMOVE_RECURSE ${_tmp})
  file(ARCHIVE_EXTRACT INPUT ${_tgz} DESTINATION ${_tmp} PATTERNS ${_members})
  file(MAKE_DIRECTORY ${_sqlite_dir})
  # sqlite3.c last: its presence marks a complete extraction.
  foreach(_f IN ITEMS sqlite3.h sqlite3ext.h sqlite3.c)
    file(RENAME ${_tmp}/package/deps/sqlite3/${_f} ${_sqlite_dir}/${_f})
  endforeach()
  file(REMOVE_RECURSE ${_tmp})
  file(REMOVE ${_tgz})
endfunction()

if(NOT EXISTS ${_sqlite_dir}/sqlite3.c)
  _casesync_fetch_sqlite()
endif()

add_library(casesync_sqlite STATIC ${_sqlite_dir}/sqlite3.c)
target_include_directories(casesync_sqlite SYSTEM PUBLIC ${_sqlite_dir})
target_compile_definitions(casesync_sqlite PRIVATE
  SQLITE_DQS=0
  SQLITE_DEFAULT_MEMSTATUS=0
  SQLITE_OMIT_DEPRECATED
  SQLITE_OMIT_SHARED_CACHE
  SQLITE_OMIT_LOAD_EXTENSION
  SQLITE_OMIT_PROGRESS_CALLBACK
  SQLITE_LIKE_DOESNT_MATCH_BLOBS
  SQLITE_USE_ALLOCA
  SQLITE_DEFAULT_FOREIGN_KEYS=1)
if(EMSCRIPTEN)
  # Single-threaded in the browser; WAL stays compiled in.
  target_compile_definitions(casesync_sqlite PRIVATE SQLITE_THREADSAFE=0)
else()
  # The server is multithreaded.
  target_compile_definitions(casesync_sqlite PRIVATE SQLITE_THREADSAFE=1)
  find_package(Threads REQUIRED)
  target_link_libraries(casesync_sqlite PUBLIC Threads::Threads)
endif()
# Third-party code: no warnings. Optimised even in Debug builds (target
# options come after CMAKE_C_FLAGS_<CONFIG> on the command line, so this -O
# wins). The wasm build picks its level in cmake/Emscripten.cmake.
if(NOT DEFINED CASESYNC_SQLITE_OPT)
  set(CASESYNC_SQLITE_OPT -O2)
endif()
target_compile_options(casesync_sqlite PRIVATE -w ${CASESYNC_SQLITE_OPT})
