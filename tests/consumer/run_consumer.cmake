# Builds and runs tests/consumer/project against dae, as a user would (cmake -P script, run by
# CTest). Variables (-D...):
#   MODE        package:          `cmake --install` DAE_BINARY_DIR into a fresh prefix, then
#                                 find_package(dae) from that prefix
#               subdirectory:     add_subdirectory(DAE_SOURCE_DIR)
#   DAE_SOURCE_DIR, DAE_BINARY_DIR, WORK_DIR, CXX_COMPILER, GENERATOR
cmake_minimum_required(VERSION 3.25)

foreach(var MODE DAE_SOURCE_DIR DAE_BINARY_DIR WORK_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

# run(<step> <command...>): runs a command, echoes its output, stops the test when it fails.
function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("---- ${step}\n${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer (${MODE}): ${step} failed with exit code ${rc}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(configure_args -S ${CMAKE_CURRENT_LIST_DIR}/project -B ${build} -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(MODE STREQUAL "package")
  set(prefix ${WORK_DIR}/prefix)
  run("install dae" ${CMAKE_COMMAND} --install ${DAE_BINARY_DIR} --prefix ${prefix})
  foreach(installed include/dae/autoencoder.hpp include/dae/rng.hpp)
    if(NOT EXISTS ${prefix}/${installed})
      message(FATAL_ERROR "consumer (${MODE}): ${installed} was not installed")
    endif()
  endforeach()
  # The installed headers must be enough for CUDA code too: the network runs on the emulation.
  list(APPEND configure_args -DDAE_CONSUMER_MODE=package -DCMAKE_PREFIX_PATH=${prefix}
       -DDAE_CONSUMER_CUDA_EMULATION=ON)
elseif(MODE STREQUAL "subdirectory")
  # CUDA off only to keep the test short: the consumer needs the CPU backend alone.
  list(APPEND configure_args -DDAE_CONSUMER_MODE=subdirectory -DDAE_SOURCE_DIR=${DAE_SOURCE_DIR}
       -DDAE_WITH_CUDA=OFF)
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()

run("configure the consumer" ${CMAKE_COMMAND} ${configure_args})

# The package must come from the fresh prefix (not some other dae on the machine), and the
# subdirectory build must not have built dae's own tests or examples.
file(STRINGS ${build}/CMakeCache.txt dae_dir REGEX "^dae_DIR:")
if(MODE MATCHES "^package")
  if(NOT dae_dir MATCHES "=${prefix}/")
    message(FATAL_ERROR "consumer (${MODE}): dae was found at '${dae_dir}', not in ${prefix}")
  endif()
else()
  if(dae_dir)
    message(FATAL_ERROR "consumer (${MODE}): add_subdirectory used an installed dae (${dae_dir})")
  endif()
  file(STRINGS ${build}/CMakeCache.txt dae_tests REGEX "^DAE_BUILD_TESTS:BOOL=")
  if(NOT dae_tests STREQUAL "DAE_BUILD_TESTS:BOOL=OFF")
    message(FATAL_ERROR "consumer (${MODE}): dae as a subproject should not build its tests (${dae_tests})")
  endif()
endif()

run("build the consumer" ${CMAKE_COMMAND} --build ${build} --target app)
find_program(app NAMES app PATHS ${build} ${build}/Release NO_DEFAULT_PATH REQUIRED)
run("run the consumer" ${app} ${WORK_DIR}/model.safetensors)
if(NOT run_output MATCHES "checkpoint saved and loaded, picture written: ok")
  message(FATAL_ERROR "consumer (${MODE}): the program did not report success")
endif()
# build_and_run(<target> <what> <expected output>): builds a consumer target, runs it, checks its report.
function(build_and_run target what expected)
  run("build ${what}" ${CMAKE_COMMAND} --build ${build} --target ${target})
  find_program(program_${target} NAMES ${target} PATHS ${build} ${build}/Release NO_DEFAULT_PATH REQUIRED)
  run("run ${what}" ${program_${target}})
  if(NOT run_output MATCHES "${expected}")
    message(FATAL_ERROR "consumer (${MODE}): ${what} did not report '${expected}'")
  endif()
endfunction()

build_and_run(network "the consumer's network" "trained on cpu: ok")
if(MODE STREQUAL "package")
  build_and_run(network_cuda "the consumer's network on cpu and on the CUDA emulation"
                "trained on cpu and cuda, losses agree: ok")
endif()
message("consumer (${MODE}): ok")
