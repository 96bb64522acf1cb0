# cmake --install: the headers, the library `sink`, a CMake package
# (find_package(sink CONFIG) -> sink::sink) and sink.pc for pkg-config, in
# the GNUInstallDirs places. Included by the top-level CMakeLists.txt when
# SINK_INSTALL is on.

include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The package is arch-specific (it names a compiled library), so it lives
# under the libdir, not the datadir.
set(SINK_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/sink"
  CACHE STRING "Where cmake --install puts sink's CMake package (relative to the prefix)")
mark_as_advanced(SINK_INSTALL_CMAKEDIR)

install(TARGETS sink EXPORT sinkTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Every header, detail/ included: the public headers include them. (The
# test-only switches in detail/fault.hpp and detail/stall.hpp compile to
# nothing unless a SINK_FAULT_* or SINK_STALL_POINTS macro is defined.)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sink
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/sink/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sink)

install(EXPORT sinkTargets
  NAMESPACE sink::
  DESTINATION ${SINK_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sinkConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/sinkConfig.cmake
  INSTALL_DESTINATION ${SINK_INSTALL_CMAKEDIR})
# Before 1.0 a minor release may change the API (CHANGELOG.md), so a
# request for 0.x accepts only 0.x.z; from 1.0 on, the same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(sink_version_compatibility SameMinorVersion)
else()
  set(sink_version_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/sinkConfigVersion.cmake
  COMPATIBILITY ${sink_version_compatibility})
install(FILES
  ${PROJECT_BINARY_DIR}/package/sinkConfig.cmake
  ${PROJECT_BINARY_DIR}/package/sinkConfigVersion.cmake
  DESTINATION ${SINK_INSTALL_CMAKEDIR})

# sink.pc. With relative install dirs the paths are relative to the .pc file
# (${pcfiledir}, understood by pkg-config and pkgconf), so that the file stays
# right when the prefix is chosen at install time (cmake --install --prefix,
# DESTDIR) rather than by CMAKE_INSTALL_PREFIX at configure time.
set(SINK_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${SINK_INSTALL_PKGCONFIGDIR}")
  set(SINK_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH pc_to_prefix "/prefix/${SINK_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(SINK_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
endif()
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(SINK_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(SINK_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
# The backend is a public definition (it selects the atomics the inline code
# uses), so pkg-config users need it too; -std=c++20 is theirs to choose.
set(SINK_PC_CFLAGS "")
set(SINK_PC_LIBS "")
if(SINK_ATOMICS STREQUAL "boost")
  set(SINK_PC_CFLAGS " -DSINK_ATOMICS_BOOST")
  set(SINK_PC_LIBS " -lboost_atomic")
endif()
# The double-width CAS is part of the ABI too (sink/detail/config.hpp).
if(SINK_CX16_FLAG)
  string(APPEND SINK_PC_CFLAGS " ${SINK_CX16_FLAG}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/sink.pc.in ${PROJECT_BINARY_DIR}/package/sink.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/sink.pc DESTINATION ${SINK_INSTALL_PKGCONFIGDIR})
