# Helpers shared by sink's CMake files.

include_guard(GLOBAL)
include(GNUInstallDirs)

# Warnings for sink's own code (never pushed onto consumers of sink::sink).
add_library(sink_warnings INTERFACE)
target_compile_options(sink_warnings INTERFACE -Wall -Wextra -Wpedantic
  $<$<BOOL:${SINK_WARNINGS_AS_ERRORS}>:-Werror>)

# The label that sink's test suites carry in this build: unit, asan or tsan.
if(SINK_SANITIZE STREQUAL "address")
  set(SINK_TEST_LABEL asan)
elseif(SINK_SANITIZE STREQUAL "thread")
  set(SINK_TEST_LABEL tsan)
else()
  set(SINK_TEST_LABEL unit)
endif()

# x86-64 has cmpxchg16b on every CPU since 2008 (it is in x86-64-v2), but
# compilers emit it only with -mcx16.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(SINK_CX16_FLAG -mcx16)
else()
  set(SINK_CX16_FLAG "")
endif()

# sink_add_library(<target> ATOMICS std|boost [DEFINITIONS def ...])
# The compiled part of sink, for one atomics backend. The backend is a public
# compile definition and part of the ABI namespace, so a program cannot mix
# two backends by accident.
function(sink_add_library target)
  cmake_parse_arguments(ARG "" "ATOMICS" "DEFINITIONS" ${ARGN})
  add_library(${target} ${PROJECT_SOURCE_DIR}/src/hazard_pointer_domain.cpp)
  if(ARG_DEFINITIONS)
    target_compile_definitions(${target} PUBLIC ${ARG_DEFINITIONS})
  endif()
  # The second build directory holds the generated sink/version.hpp.
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  # The double-width CAS that keeps word-sized values in place
  # (sink/detail/link_cell.hpp). Public: it changes those maps' layout, and
  # the ABI namespace says which one a program was built with.
  if(SINK_CX16_FLAG)
    target_compile_options(${target} PUBLIC ${SINK_CX16_FLAG})
  endif()
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF POSITION_INDEPENDENT_CODE ON)
  find_package(Threads REQUIRED)
  # A static library carries its private link items into its exported
  # interface ($<LINK_ONLY:...>): sink_warnings must stay a build-tree name,
  # or the export would need it and consumers would see sink's flags.
  target_link_libraries(${target} PUBLIC Threads::Threads PRIVATE $<BUILD_INTERFACE:sink_warnings>)
  if(ARG_ATOMICS STREQUAL "boost")
    find_package(Boost 1.74 REQUIRED COMPONENTS atomic)
    target_compile_definitions(${target} PUBLIC SINK_ATOMICS_BOOST)
    target_link_libraries(${target} PUBLIC Boost::atomic)
  elseif(NOT ARG_ATOMICS STREQUAL "std")
    message(FATAL_ERROR "sink: unknown atomics backend '${ARG_ATOMICS}' (std or boost)")
  endif()
  if(SINK_HAZARD_POINTER_EAGER)
    target_compile_definitions(${target} PRIVATE SINK_HAZARD_POINTER_EAGER=1)
  endif()
  if(NOT SINK_ASYMMETRIC_FENCES)
    # Public only so that tests know which fences to expect; the choice is
    # made inside the library at run time, so it is not part of the ABI.
    target_compile_definitions(${target} PUBLIC SINK_NO_ASYMMETRIC_FENCES)
  endif()
endfunction()

# sink_enable_sanitizer(address|thread): for every target of this build.
function(sink_enable_sanitizer kind)
  if(kind STREQUAL "address")
    set(flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  elseif(kind STREQUAL "thread")
    set(flags -fsanitize=thread -fno-omit-frame-pointer)
  else()
    message(FATAL_ERROR "sink: SINK_SANITIZE must be empty, address or thread, not '${kind}'")
  endif()
  add_compile_options(${flags})
  add_link_options(${flags})
endfunction()

# sink_add_gtest(<target> SOURCES ... LIBRARIES ... [PREFIX p])
# A GoogleTest executable whose tests are registered one by one with CTest,
# labelled with this build's SINK_TEST_LABEL.
function(sink_add_gtest target)
  cmake_parse_arguments(ARG "" "PREFIX" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES} GTest::gtest GTest::gtest_main sink_warnings)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  gtest_discover_tests(${target}
    TEST_PREFIX "${ARG_PREFIX}"
    NO_PRETTY_VALUES
    PROPERTIES LABELS ${SINK_TEST_LABEL} TIMEOUT 600
    DISCOVERY_TIMEOUT 60)
endfunction()

# sink_add_sub_build(<test> <build-dir> <label> <ctest-label-regex> <cmake options...>)
# Configures, builds and tests sink again in <build-dir> with the given
# options (ctest --build-and-test), as one CTest test labelled <label> that
# runs the sub-build's tests whose labels match the regex.
function(sink_add_sub_build test build_dir label test_labels)
  set(build_type ${CMAKE_BUILD_TYPE})
  if(NOT build_type)
    set(build_type RelWithDebInfo)
  endif()
  add_test(NAME ${test}
    COMMAND ${CMAKE_CTEST_COMMAND}
      --build-and-test ${PROJECT_SOURCE_DIR} ${build_dir}
      --build-generator ${CMAKE_GENERATOR}
      --build-project sink
      --build-options
        -DCMAKE_BUILD_TYPE=${build_type}
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=${CMAKE_CXX_FLAGS_RELWITHDEBINFO}"
        ${ARGN}
      --test-command ${CMAKE_CTEST_COMMAND} -L "${test_labels}" --output-on-failure --no-tests=error)
  set_tests_properties(${test} PROPERTIES
    LABELS ${label}
    TIMEOUT 2700
    ENVIRONMENT "CMAKE_BUILD_PARALLEL_LEVEL=2")
endfunction()

# sink_add_sanitizer_suite(<label> address|thread)
# Configures, builds and runs sink's test suites in a sub-build with the
# sanitizer, as one CTest test labelled <label>; inside the sub-build every
# test carries the same label. TSan builds use clang (gcc's TSan does not
# handle atomic_thread_fence). Both use the eager reclamation policy, so that
# a use after free shows up as early as possible.
function(sink_add_sanitizer_suite label kind)
  set(compiler_options "")
  if(kind STREQUAL "thread")
    find_program(SINK_CLANGXX NAMES clang++ clang++-14 REQUIRED)
    set(compiler_options -DCMAKE_CXX_COMPILER=${SINK_CLANGXX})
  endif()
  sink_add_sub_build(${label}.suite ${CMAKE_BINARY_DIR}/${label}-build ${label} ${label}
    -DSINK_SANITIZE=${kind}
    -DSINK_HAZARD_POINTER_EAGER=ON
    -DSINK_BUILD_SANITIZER_SUITES=OFF
    -DSINK_BUILD_RELACY=OFF
    -DSINK_BUILD_EXAMPLES=OFF
    -DSINK_WARNINGS_AS_ERRORS=${SINK_WARNINGS_AS_ERRORS}
    ${compiler_options})
endfunction()

# sink_add_compiler_suite(<label>)
# The library, the unit tests and the examples built by clang on libc++ with
# warnings as errors, and the unit tests and examples run, in a sub-build
# registered as one CTest test labelled <label>. (The main build is g++ on
# libstdc++, and the TSan suite is clang on libstdc++.) Debian's libgtest is
# compiled against libstdc++, so the sub-build compiles GoogleTest from
# source (SINK_GTEST_FROM_SOURCE). -stdlib=libc++ goes in CMAKE_CXX_FLAGS,
# which CMake also passes to the link step, where clang needs it to link
# libc++ and libc++abi.
function(sink_add_compiler_suite label)
  find_program(SINK_CLANGXX NAMES clang++ clang++-14 REQUIRED)
  sink_add_sub_build(${label}.clang_libcxx ${CMAKE_BINARY_DIR}/${label}-clang-libcxx-build ${label} "^(unit|examples)$"
    -DCMAKE_CXX_COMPILER=${SINK_CLANGXX}
    -DCMAKE_CXX_FLAGS=-stdlib=libc++
    -DSINK_GTEST_FROM_SOURCE=ON
    "-DSINK_GTEST_SOURCE_DIR=${SINK_GTEST_SOURCE_DIR}"
    -DSINK_WARNINGS_AS_ERRORS=ON
    -DSINK_BUILD_TESTS=ON
    -DSINK_BUILD_EXAMPLES=ON
    -DSINK_BUILD_RELACY=OFF
    -DSINK_BUILD_STRESS=OFF
    -DSINK_BUILD_BENCH=OFF
    -DSINK_BUILD_SANITIZER_SUITES=OFF
    -DSINK_BUILD_COMPILER_SUITES=OFF
    -DSINK_BUILD_PACKAGE_TESTS=OFF)
endfunction()
