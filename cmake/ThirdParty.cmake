# Header-only dependencies from Debian (nlohmann-json3-dev, doctest-dev),
# exposed under the same target names in both builds:
#   nlohmann_json::nlohmann_json   doctest::doctest
#
# Natively their CMake packages are found as usual. Emscripten's toolchain
# file confines find_package() to its own sysroot, and putting /usr/include on
# the include path would shadow emscripten's libc headers with glibc's. So the
# wasm build gets a directory in the build tree holding only symlinks to the
# two header folders (nothing is copied into the repo).

set(CASESYNC_SYSTEM_INCLUDE_ROOT "/usr/include" CACHE PATH
    "Where the Debian header-only packages live (wasm build only)")

if(NOT EMSCRIPTEN)
  find_package(nlohmann_json 3 REQUIRED)
  find_package(doctest REQUIRED)
  return()
endif()

set(_casesync_hdr_dir ${CMAKE_BINARY_DIR}/_deps/headers)
file(MAKE_DIRECTORY ${_casesync_hdr_dir})
foreach(_lib IN ITEMS nlohmann doctest)
  set(_src ${CASESYNC_SYSTEM_INCLUDE_ROOT}/${_lib})
  if(NOT IS_DIRECTORY ${_src})
    message(FATAL_ERROR "${_src} not found: run tools/lib/deps.sh "
                        "(packages nlohmann-json3-dev, doctest-dev)")
  endif()
  if(NOT EXISTS ${_casesync_hdr_dir}/${_lib})
    file(CREATE_LINK ${_src} ${_casesync_hdr_dir}/${_lib} SYMBOLIC)
  endif()
endforeach()

foreach(_target IN ITEMS nlohmann_json::nlohmann_json doctest::doctest)
  add_library(${_target} INTERFACE IMPORTED)
  # SYSTEM: no warnings from third-party headers.
  set_target_properties(${_target} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES ${_casesync_hdr_dir}
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_casesync_hdr_dir})
endforeach()
