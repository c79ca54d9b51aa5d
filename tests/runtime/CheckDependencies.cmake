# The runtime library must load where there is no compiler and no GPU: it may
# need the C and C++ runtimes, nothing of MLIR, LLVM, CUDA or fmt (libcuda is
# opened with dlopen, fmt is header-only).
#   cmake -DLIBRARY=liblarc_runtime.so -P CheckDependencies.cmake
find_program(READELF readelf)
if(NOT READELF)
  message("SKIPPED: readelf is not installed")
  return()
endif()
execute_process(COMMAND ${READELF} -d ${LIBRARY} OUTPUT_VARIABLE dynamic
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "readelf -d ${LIBRARY} failed")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${dynamic}")
foreach(line IN LISTS needed)
  if(line MATCHES "MLIR|LLVM|libcuda|libcudart|libnvrtc|libfmt")
    message(FATAL_ERROR "${LIBRARY} must not depend on: ${line}")
  endif()
  message(STATUS "${line}")
endforeach()
