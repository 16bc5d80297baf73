# ctest `format_check`: every C++ file under core/ server/ tools/ tests/ web/
# must be formatted per .clang-format. Fix with tools/format.
find_program(CLANG_FORMAT_EXECUTABLE NAMES clang-format clang-format-14)
if(NOT CLANG_FORMAT_EXECUTABLE)
  message(WARNING "clang-format not found: format_check is not registered")
  return()
endif()
add_test(NAME format_check
         COMMAND ${PROJECT_SOURCE_DIR}/tools/format --check
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(format_check PROPERTIES
  ENVIRONMENT "CLANG_FORMAT=${CLANG_FORMAT_EXECUTABLE}")
