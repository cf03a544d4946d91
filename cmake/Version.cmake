# The version comes from project(); the git revision is read at configure time, so a build
# from a tarball without .git says "unknown".
execute_process(
  COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  OUTPUT_VARIABLE RAQIB_GIT_REVISION
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET)
if(NOT RAQIB_GIT_REVISION)
  set(RAQIB_GIT_REVISION "unknown")
endif()
configure_file(${CMAKE_SOURCE_DIR}/daemon/version.h.in ${CMAKE_BINARY_DIR}/generated/raqib/version.h @ONLY)
