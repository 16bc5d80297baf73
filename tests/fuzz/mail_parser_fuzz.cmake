# mail_parser_fuzz (included by tests/fuzz/CMakeLists.txt): the server's mail
# parser sources, built here because the fuzz build has no server library
# (CASESYNC_BUILD_SERVER=OFF), with GMime and libsodium (TokenHash).
find_package(PkgConfig REQUIRED)
pkg_check_modules(FUZZ_GMIME REQUIRED IMPORTED_TARGET gmime-3.0)
pkg_check_modules(FUZZ_SODIUM REQUIRED IMPORTED_TARGET libsodium)
target_sources(${CASESYNC_FUZZ_TARGET} PRIVATE
  ${PROJECT_SOURCE_DIR}/server/src/mail/mail_message.cpp
  ${PROJECT_SOURCE_DIR}/server/src/mail/mail_text.cpp
  ${PROJECT_SOURCE_DIR}/server/src/passwords.cpp)
target_include_directories(${CASESYNC_FUZZ_TARGET} PRIVATE
  ${PROJECT_SOURCE_DIR}/server/src)
target_link_libraries(${CASESYNC_FUZZ_TARGET} PRIVATE
  PkgConfig::FUZZ_GMIME PkgConfig::FUZZ_SODIUM)
