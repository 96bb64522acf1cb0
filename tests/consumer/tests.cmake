# The consumer tests (label package): this build installed into a prefix
# under the build directory, then the project in this directory built
# against it with find_package, against the source tree through
# add_subdirectory and FetchContent, and main.cpp compiled with sink.pc.
# Each is a run of run.cmake; they need the library built first (ctest after
# the build, as ./dev test does).

find_program(SINK_PKG_CONFIG NAMES pkg-config pkgconf)
set(work ${PROJECT_BINARY_DIR}/package-tests)
set(common
  -DSINK_SOURCE_DIR=${PROJECT_SOURCE_DIR}
  -DSINK_BINARY_DIR=${PROJECT_BINARY_DIR}
  -DWORK_DIR=${work}
  -DPREFIX=${work}/prefix
  -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
  -DINCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR}
  -DCMAKECONFIGDIR=${SINK_INSTALL_CMAKEDIR}
  -DVERSION=${PROJECT_VERSION}
  -DATOMICS=${SINK_ATOMICS}
  -DCXX=${CMAKE_CXX_COMPILER}
  -DGENERATOR=${CMAKE_GENERATOR}
  -DPKG_CONFIG=${SINK_PKG_CONFIG}
  "-DCX16_FLAG=${SINK_CX16_FLAG}")

foreach(mode install find_package add_subdirectory fetchcontent pkg-config)
  add_test(NAME package.${mode}
    COMMAND ${CMAKE_COMMAND} ${common} -DMODE=${mode} -P ${CMAKE_CURRENT_LIST_DIR}/run.cmake)
  set_tests_properties(package.${mode} PROPERTIES LABELS package TIMEOUT 600)
endforeach()
set_tests_properties(package.install PROPERTIES FIXTURES_SETUP sink_installed)
set_tests_properties(package.find_package package.pkg-config PROPERTIES FIXTURES_REQUIRED sink_installed)
