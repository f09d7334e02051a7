# SPDX-License-Identifier: MIT
# Compiler flags shared by every target of the project: warnings, _GNU_SOURCE,
# and the optional sanitizer build.
add_compile_definitions(_GNU_SOURCE)
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                    -Wno-unused-parameter -fno-strict-aliasing)
if(IPCX_WERROR)
  add_compile_options(-Werror)
endif()
if(IPCX_SANITIZE)
  add_compile_options(-fsanitize=${IPCX_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${IPCX_SANITIZE})
endif()

# ipcx_glob(VAR dir...): the .c files of the given source directories. Each
# layer directory is globbed so that adding a module (a mechanism, a
# transport) is adding one file; CONFIGURE_DEPENDS re-runs the glob on build.
function(ipcx_glob out)
  set(files)
  foreach(dir ${ARGN})
    file(GLOB found CONFIGURE_DEPENDS ${dir}/*.c)
    list(APPEND files ${found})
  endforeach()
  list(SORT files)
  set(${out} ${files} PARENT_SCOPE)
endfunction()
