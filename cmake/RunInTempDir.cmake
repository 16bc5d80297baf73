# Runs a command in a fresh temporary directory, removes the directory, and
# fails with the command's exit status. Used by add_test():
#
#   cmake -DCASESYNC_TMP_ROOT=<dir> -P RunInTempDir.cmake -- <command> <args>...
#
# The directory is kept when the command fails, for inspection.

set(_cmd)
set(_after_dashes FALSE)
math(EXPR _last "${CMAKE_ARGC} - 1")
foreach(_i RANGE 1 ${_last})
  if(_after_dashes)
    list(APPEND _cmd "${CMAKE_ARGV${_i}}")
  elseif(CMAKE_ARGV${_i} STREQUAL "--")
    set(_after_dashes TRUE)
  endif()
endforeach()
if(NOT _cmd)
  message(FATAL_ERROR "usage: cmake -P RunInTempDir.cmake -- <command> [args...]")
endif()
if(NOT CASESYNC_TMP_ROOT)
  set(CASESYNC_TMP_ROOT "$ENV{TMPDIR}")
  if(NOT CASESYNC_TMP_ROOT)
    set(CASESYNC_TMP_ROOT /tmp)
  endif()
endif()

string(RANDOM LENGTH 10 _suffix)
set(_dir ${CASESYNC_TMP_ROOT}/run-${_suffix})
file(MAKE_DIRECTORY ${_dir})

execute_process(COMMAND ${_cmd} WORKING_DIRECTORY ${_dir} RESULT_VARIABLE _rc)

if(_rc STREQUAL "0")
  file(REMOVE_RECURSE ${_dir})
else()
  message(FATAL_ERROR "'${_cmd}' failed (${_rc}); its files are in ${_dir}")
endif()
