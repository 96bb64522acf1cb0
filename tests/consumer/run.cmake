# One consumer test (cmake -P; registered by tests.cmake, label package).
#   -DMODE=install           cmake --install the build SINK_BINARY_DIR into
#                            PREFIX and check that the expected files are there
#   -DMODE=find_package      this directory's project against the installed package
#   -DMODE=add_subdirectory  ... against SINK_SOURCE_DIR through add_subdirectory
#   -DMODE=fetchcontent      ... through FetchContent
#   -DMODE=pkg-config        main.cpp compiled by hand with the installed sink.pc
# Other inputs: SINK_SOURCE_DIR, SINK_BINARY_DIR, WORK_DIR, PREFIX, LIBDIR,
# INCLUDEDIR, CMAKECONFIGDIR, VERSION, ATOMICS (the backend of the installed
# build, also given to the subproject builds), CXX, GENERATOR, PKG_CONFIG,
# CX16_FLAG (the compile option sink::sink gives its consumers: -mcx16 on
# x86-64, else empty).
cmake_minimum_required(VERSION 3.25)

foreach(input MODE SINK_SOURCE_DIR SINK_BINARY_DIR WORK_DIR PREFIX LIBDIR INCLUDEDIR CMAKECONFIGDIR VERSION ATOMICS CXX
    GENERATOR)
  if(NOT DEFINED ${input})
    message(FATAL_ERROR "run.cmake: -D${input}=... is missing")
  endif()
endforeach()
set(consumer_dir ${CMAKE_CURRENT_LIST_DIR})

# run(<what> COMMAND ...): the command must succeed; its output is shown only
# when it fails (and then the test fails).
function(run what)
  execute_process(${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${what} failed (${result}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE ${PREFIX})
  run("cmake --install ${SINK_BINARY_DIR} --prefix ${PREFIX}"
    COMMAND ${CMAKE_COMMAND} --install ${SINK_BINARY_DIR} --prefix ${PREFIX})
  foreach(file
      ${INCLUDEDIR}/sink/concurrent_map.hpp
      ${INCLUDEDIR}/sink/concurrent_map_options.hpp
      ${INCLUDEDIR}/sink/hazard_pointer.hpp
      ${INCLUDEDIR}/sink/version.hpp
      ${INCLUDEDIR}/sink/detail/map_core.hpp
      ${LIBDIR}/pkgconfig/sink.pc
      ${CMAKECONFIGDIR}/sinkConfig.cmake
      ${CMAKECONFIGDIR}/sinkConfigVersion.cmake
      ${CMAKECONFIGDIR}/sinkTargets.cmake)
    if(NOT EXISTS ${PREFIX}/${file})
      message(FATAL_ERROR "not installed: ${PREFIX}/${file}")
    endif()
  endforeach()
  file(GLOB libraries ${PREFIX}/${LIBDIR}/libsink.*)
  if(NOT libraries)
    message(FATAL_ERROR "not installed: ${PREFIX}/${LIBDIR}/libsink.*")
  endif()
  # The build tree's warning flags must not have reached the export.
  file(READ ${PREFIX}/${CMAKECONFIGDIR}/sinkTargets.cmake targets)
  if(targets MATCHES "sink_warnings|-W")
    message(FATAL_ERROR "sinkTargets.cmake names sink's warnings:\n${targets}")
  endif()
  return()
endif()

set(build ${WORK_DIR}/${MODE})
file(REMOVE_RECURSE ${build})

if(MODE STREQUAL "pkg-config")
  if(NOT PKG_CONFIG)
    message(FATAL_ERROR "run.cmake: pkg-config was not found when sink was configured")
  endif()
  # Only the installed sink.pc, not whatever the machine has.
  set(ENV{PKG_CONFIG_LIBDIR} ${PREFIX}/${LIBDIR}/pkgconfig)
  unset(ENV{PKG_CONFIG_PATH})
  run("pkg-config --modversion sink" COMMAND ${PKG_CONFIG} --modversion sink)
  string(STRIP "${last_output}" found_version)
  if(NOT found_version STREQUAL VERSION)
    message(FATAL_ERROR "sink.pc says version ${found_version}, expected ${VERSION}")
  endif()
  run("pkg-config --cflags sink" COMMAND ${PKG_CONFIG} --cflags sink)
  separate_arguments(cflags UNIX_COMMAND "${last_output}")
  # The flag that is part of sink's ABI must reach pkg-config users too.
  if(CX16_FLAG AND NOT CX16_FLAG IN_LIST cflags)
    message(FATAL_ERROR "sink.pc's cflags [${cflags}] lack ${CX16_FLAG}")
  endif()
  run("pkg-config --libs sink" COMMAND ${PKG_CONFIG} --libs sink)
  separate_arguments(libs UNIX_COMMAND "${last_output}")
  message(STATUS "cflags: ${cflags}\n-- libs: ${libs}")
  file(MAKE_DIRECTORY ${build})
  run("compile and link main.cpp with sink.pc's flags"
    COMMAND ${CXX} -std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror ${cflags}
      ${consumer_dir}/main.cpp -o ${build}/sink-consumer ${libs})
  run("sink-consumer" COMMAND ${build}/sink-consumer ${VERSION})
  message(STATUS "${last_output}")
  return()
endif()

set(options
  -DCMAKE_CXX_COMPILER=${CXX}
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
  -DCONSUMER_MODE=${MODE}
  -DCONSUMER_EXPECTED_VERSION=${VERSION})
if(MODE STREQUAL "find_package")
  list(APPEND options -DCMAKE_PREFIX_PATH=${PREFIX} -DCONSUMER_EXPECTED_PREFIX=${PREFIX})
else()
  list(APPEND options -DCONSUMER_SINK_SOURCE_DIR=${SINK_SOURCE_DIR} -DSINK_ATOMICS=${ATOMICS})
endif()
run("configure the consumer (${MODE})"
  COMMAND ${CMAKE_COMMAND} -S ${consumer_dir} -B ${build} -G ${GENERATOR} ${options})
run("build the consumer (${MODE})" COMMAND ${CMAKE_COMMAND} --build ${build})
run("sink-consumer" COMMAND ${build}/sink-consumer ${VERSION})
message(STATUS "${last_output}")

# What linking sink::sink alone adds to a target: no link options, and of
# compile options only the one that is part of sink's ABI (-mcx16 on x86-64,
# CX16_FLAG; no -W flags, no sanitizer), and of sink's definitions only the
# atomics backend's. (Boost::atomic brings BOOST_* definitions of its own.)
include(${build}/sink-usage.cmake)
message(STATUS "sink::sink's usage requirements: options [${sink_usage_compile_options}] "
  "definitions [${sink_usage_compile_definitions}] link options [${sink_usage_link_options}]")
if(NOT "${sink_usage_compile_options}" STREQUAL "${CX16_FLAG}" OR sink_usage_link_options)
  message(FATAL_ERROR "sink::sink pushes compile or link options onto its consumers other than [${CX16_FLAG}]")
endif()
set(sink_definitions ${sink_usage_compile_definitions})
list(FILTER sink_definitions EXCLUDE REGEX "^BOOST_")
if(ATOMICS STREQUAL "boost")
  set(expected_definitions SINK_ATOMICS_BOOST)
else()
  set(expected_definitions "")
endif()
if(NOT "${sink_definitions}" STREQUAL "${expected_definitions}")
  message(FATAL_ERROR "sink::sink gives its consumers the definitions [${sink_definitions}], "
    "expected [${expected_definitions}]")
endif()
