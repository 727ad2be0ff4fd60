# Compiles tests/compile_fails/miswired_production.cpp once wired right (it
# must compile) and once per miswiring (it must not, with the error that
# names it). Run by ctest: cmake -DCXX=... -DINCLUDE=... -DSOURCE=... -P this.
set(cases
  "1|the workers must answer Request with Reply"
  "2|Cannot assign incompatible handle"
  "3|could not convert [^ ]*pingers[^ ]* from [^ ]*node_ref<"
  "4|to's actor interface does not take Message"
  "5|to's actor interface does not take Message")
function(compile define result_var output_var)
  execute_process(
    COMMAND ${CXX} -std=c++17 -fsyntax-only -I${INCLUDE} -DMISWIRE=${define} ${SOURCE}
    RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
  set(${result_var} ${rc} PARENT_SCOPE)
  set(${output_var} "${out}${err}" PARENT_SCOPE)
endfunction()

compile(0 rc text)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the production wired right does not compile:\n${text}")
endif()
foreach(c IN LISTS cases)
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 define)
  list(GET parts 1 want)
  compile(${define} rc text)
  if(rc EQUAL 0)
    message(FATAL_ERROR "miswiring ${define} compiles")
  endif()
  if(NOT text MATCHES "${want}")
    message(FATAL_ERROR "miswiring ${define} fails, but not with '${want}':\n${text}")
  endif()
  message(STATUS "miswiring ${define} does not compile: ${want}")
endforeach()
