# Warnings for consolegate's own targets only (system headers are included as SYSTEM).
function(cg_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           -Wnon-virtual-dtor -Wimplicit-fallthrough)
  if(CG_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
