# CI check of one device test program, for machines without a GPU
# (tests/cuda/CMakeLists.txt registers it). Run with cmake -P and:
#   MODE=compile  NVCC, SRC, INCLUDE, BIN: build SRC for sm_90a into BIN; fail
#                 if ptxas reports serialized wgmma (a silent slow path).
#   MODE=sass     CUOBJDUMP, BIN, REQUIRE, FORBID ('@@'-separated regexes):
#                 every regex in REQUIRE must
#                 occur in BIN's SASS and none in FORBID; prints "SKIPPED:"
#                 (which ctest reports as skipped) when cuobjdump was not found.
cmake_minimum_required(VERSION 3.20)

if(MODE STREQUAL "compile")
  execute_process(
    COMMAND ${NVCC} -std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a
            -I ${INCLUDE} -Xptxas -v ${SRC} -o ${BIN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nvcc failed on ${SRC}:\n${out}${err}")
  endif()
  if(err MATCHES "serialized")
    message(FATAL_ERROR "ptxas serializes wgmma in ${SRC}:\n${err}")
  endif()
  string(REGEX MATCHALL "Used [0-9]+ registers[^\n]*" used "${out}${err}")
  list(REMOVE_DUPLICATES used)
  string(REPLACE ";" "\n  " used "${used}")
  message(STATUS "built ${BIN}; ptxas:\n  ${used}")
elseif(MODE STREQUAL "sass")
  if(NOT CUOBJDUMP)
    message(STATUS "SKIPPED: SASS check of ${BIN}: cuobjdump not found "
                   "(pip install nvidia-cuda-cuobjdump puts it in "
                   "site-packages/nvidia/cu13/bin; reconfigure after)")
    return()
  endif()
  execute_process(COMMAND ${CUOBJDUMP} -sass ${BIN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE sass ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cuobjdump -sass ${BIN} failed:\n${err}")
  endif()
  string(REPLACE "@@" ";" REQUIRE "${REQUIRE}")
  string(REPLACE "@@" ";" FORBID "${FORBID}")
  set(failed "")
  foreach(re IN LISTS REQUIRE)
    string(REGEX MATCHALL "${re}" hits "${sass}")
    list(LENGTH hits n)
    message(STATUS "${re}: ${n}")
    if(n EQUAL 0)
      list(APPEND failed "missing ${re}")
    endif()
  endforeach()
  foreach(re IN LISTS FORBID)
    if(sass MATCHES "${re}")
      list(APPEND failed "unexpected ${re}")
    endif()
  endforeach()
  if(failed)
    message(FATAL_ERROR "SASS of ${BIN}: ${failed}")
  endif()
else()
  message(FATAL_ERROR "MODE must be compile or sass")
endif()
