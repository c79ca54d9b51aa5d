# ctest check of `larcc compile RULE -o DIR` on machines without a GPU
# (tests/gpu/CMakeLists.txt registers one per rule). Run with cmake -P and
#   LARCC, RULE, DIR, NAME (the rule), KERNEL (the expected kernel symbol),
#   ARGS ('@@'-separated extra larcc arguments), NVCC, CUOBJDUMP (may be empty),
#   and optionally PYTHON, PYTHONDIR (python/) and RUNTIME (liblarc_runtime.so).
# Builds the package (nvcc runs inside larcc), checks its files and manifest,
# loads it with python/larc over the runtime (which validates the manifest),
# fails if ptxas serializes wgmma, then checks that the cubin's SASS has the
# tensor-core products (HGMMA) and no local-memory spills (LDL/STL). Prints
# "SKIPPED:" (ctest: skipped) for the SASS part when cuobjdump was not found.
cmake_minimum_required(VERSION 3.20)

string(REPLACE "@@" ";" ARGS "${ARGS}")
file(REMOVE_RECURSE ${DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env LARC_NVCC=${NVCC}
          ${LARCC} compile ${RULE} -o ${DIR} ${ARGS}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "larcc compile ${RULE} -o ${DIR} failed:\n${out}${err}")
endif()
if(err MATCHES "serialized")
  message(FATAL_ERROR "ptxas serializes wgmma in ${DIR}/${NAME}.cu:\n${err}")
endif()
foreach(file ${NAME}.cu ${NAME}.cubin ${NAME}.h manifest.json)
  if(NOT EXISTS ${DIR}/${file})
    message(FATAL_ERROR "the package lacks ${file}")
  endif()
endforeach()
# KERNEL: one symbol, or a chained rule's stage kernels joined by @@.
string(REPLACE "@@" ";" KERNELS "${KERNEL}")
file(READ ${DIR}/manifest.json manifest)
foreach(kernel ${KERNELS})
  if(NOT manifest MATCHES "\"name\": \"${kernel}\"")
    message(FATAL_ERROR "manifest.json lacks the kernel ${kernel}:\n${manifest}")
  endif()
endforeach()
foreach(key "\"format\": 1" "\"arch\": \"sm_90a\""
            "\"block\": \\[(128|256|512), 1, 1\\]" "\"grid\": \"value_tiles,heads,sequences\"")
  if(NOT manifest MATCHES "${key}")
    message(FATAL_ERROR "manifest.json lacks ${key}:\n${manifest}")
  endif()
endforeach()
message(STATUS "package ${DIR}: ${KERNEL}")

if(PYTHON AND RUNTIME AND EXISTS "${RUNTIME}")
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env LARC_RUNTIME_LIBRARY=${RUNTIME}
            PYTHONPATH=${PYTHONDIR}
            ${PYTHON} -c "import sys, larc; print(larc.load(sys.argv[1]))" ${DIR}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the runtime refuses the package ${DIR}:\n${out}${err}")
  endif()
  message(STATUS "runtime: ${out}")
endif()

if(NOT CUOBJDUMP)
  message(STATUS "SKIPPED: SASS check of ${DIR}/${NAME}.cubin: cuobjdump not "
                 "found (pip install nvidia-cuda-cuobjdump; reconfigure after)")
  return()
endif()
execute_process(COMMAND ${CUOBJDUMP} -sass ${DIR}/${NAME}.cubin
                RESULT_VARIABLE rc OUTPUT_VARIABLE sass ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cuobjdump -sass failed:\n${err}")
endif()
# Each kernel's own SASS (up to the next function) runs HGMMA.
foreach(kernel ${KERNELS})
  string(FIND "${sass}" "Function : ${kernel}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the cubin has no function ${kernel}")
  endif()
  string(SUBSTRING "${sass}" ${at} -1 body)
  string(LENGTH "Function : ${kernel}" skip)
  string(SUBSTRING "${body}" ${skip} -1 body)
  string(FIND "${body}" "Function : " next)
  if(NOT next EQUAL -1)
    string(SUBSTRING "${body}" 0 ${next} body)
  endif()
  string(REGEX MATCHALL "HGMMA\\.64x64x16\\.F32\\.BF16" hits "${body}")
  list(LENGTH hits n)
  message(STATUS "HGMMA.64x64x16.F32.BF16 in ${kernel}: ${n}")
  if(n EQUAL 0)
    message(FATAL_ERROR "no HGMMA in the SASS of ${kernel}")
  endif()
endforeach()
# TMA loads of the inputs the manifest names ("tensor_maps": none when
# shared memory has no room for their rows, or --gpu-loads=plain), else none.
string(REGEX MATCHALL "UTMALDG" tma "${sass}")
list(LENGTH tma n)
message(STATUS "UTMALDG: ${n}")
file(READ ${DIR}/manifest.json manifest)
if(ARGS MATCHES "--gpu-loads=plain" OR NOT manifest MATCHES "\"tensor_maps\": \\[ *{")
  if(n GREATER 0)
    message(FATAL_ERROR "TMA loads in ${KERNEL} built with --gpu-loads=plain")
  endif()
elseif(n EQUAL 0)
  message(FATAL_ERROR "no TMA loads (UTMALDG) in the SASS of ${KERNEL}")
endif()
# No local-memory traffic (spills), or at most LOCAL_OPS instructions of it
# where the test says why its kernel spills.
string(REGEX MATCHALL "[ \t](LDL|STL)[ .]" local "${sass}")
list(LENGTH local n)
if(NOT LOCAL_OPS)
  set(LOCAL_OPS 0)
endif()
if(n GREATER LOCAL_OPS)
  message(FATAL_ERROR "local-memory traffic in ${KERNEL}: ${n} LDL/STL instructions (allowed: ${LOCAL_OPS})")
elseif(n GREATER 0)
  message(STATUS "LDL/STL: ${n} (allowed: ${LOCAL_OPS})")
endif()
