# Warnings every raqib target is built with; -Werror unless RAQIB_WERROR is OFF.
add_library(raqib_warnings INTERFACE)
target_compile_options(raqib_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  $<$<BOOL:${RAQIB_WERROR}>:-Werror>)
