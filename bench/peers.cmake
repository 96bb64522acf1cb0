# The peer maps of the benchmark comparison, included by bench/CMakeLists.txt.
#
# Defines:
#   sink_bench_peers  INTERFACE target: bench/ on the include path (for
#                     "common/key_hash.hpp", "maps/all_maps.hpp"), the peers'
#                     headers as SYSTEM includes (their warnings are not
#                     ours), their libraries, and sink::sink.
#   sink-bench-smoke  the adapters' smoke test, registered as CTest test
#                     bench.smoke (label bench).
#
# Every peer comes from a Debian package; a missing one is a FATAL_ERROR
# naming it.

include_guard(GLOBAL)

# This file's directory (bench/), captured now: inside functions and later
# includes CMAKE_CURRENT_LIST_DIR means something else.
set(SINK_BENCH_DIR "${CMAKE_CURRENT_LIST_DIR}")

find_package(Threads REQUIRED)

function(sink_bench_missing_peer what package)
  message(FATAL_ERROR "sink bench: ${what} not found; install the Debian package ${package} "
                      "(apt-get install -y ${package})")
endfunction()

# oneTBB: concurrent_unordered_map, concurrent_hash_map (TBB::tbb).
find_package(TBB CONFIG QUIET)
if(NOT TARGET TBB::tbb)
  sink_bench_missing_peer("oneTBB (TBBConfig.cmake)" libtbb-dev)
endif()

# Abseil: flat_hash_map (absl::flat_hash_map).
find_package(absl CONFIG QUIET)
if(NOT TARGET absl::flat_hash_map)
  sink_bench_missing_peer("Abseil (abslConfig.cmake)" libabsl-dev)
endif()

# libcuckoo: header-only; its config gives libcuckoo::libcuckoo.
find_package(libcuckoo CONFIG QUIET)
if(NOT TARGET libcuckoo::libcuckoo)
  find_path(SINK_LIBCUCKOO_INCLUDE_DIR libcuckoo/cuckoohash_map.hh)
  if(NOT SINK_LIBCUCKOO_INCLUDE_DIR)
    sink_bench_missing_peer("libcuckoo (libcuckoo/cuckoohash_map.hh)" libcuckoo-dev)
  endif()
  add_library(sink_bench_libcuckoo INTERFACE)
  target_include_directories(sink_bench_libcuckoo SYSTEM INTERFACE "${SINK_LIBCUCKOO_INCLUDE_DIR}")
  target_link_libraries(sink_bench_libcuckoo INTERFACE Threads::Threads)
  add_library(libcuckoo::libcuckoo ALIAS sink_bench_libcuckoo)
endif()

# libcds: headers plus libcds.so (-lcds). Debian's LibCDSConfig.cmake is not
# used: it points at lib64/ (absent on Debian) and pushes -std=c++11 onto its
# consumers. No -mcx16 either: with libstdc++ libcds's headers select the
# free list without double-width CAS (CDS_DCAS_SUPPORT is off for gcc >= 7
# and for clang without libc++), as libcds.so itself was built.
find_path(SINK_CDS_INCLUDE_DIR cds/container/split_list_map.h)
find_library(SINK_CDS_LIBRARY NAMES cds)
if(NOT SINK_CDS_INCLUDE_DIR OR NOT SINK_CDS_LIBRARY)
  sink_bench_missing_peer("libcds (cds/container/split_list_map.h, libcds.so)" libcds-dev)
endif()

# xenium: header-only.
find_path(SINK_XENIUM_INCLUDE_DIR xenium/vyukov_hash_map.hpp)
if(NOT SINK_XENIUM_INCLUDE_DIR)
  sink_bench_missing_peer("xenium (xenium/vyukov_hash_map.hpp)" libxenium-dev)
endif()

add_library(sink_bench_peers INTERFACE)
target_include_directories(sink_bench_peers INTERFACE "${SINK_BENCH_DIR}")
target_include_directories(sink_bench_peers SYSTEM INTERFACE "${SINK_CDS_INCLUDE_DIR}" "${SINK_XENIUM_INCLUDE_DIR}")
target_link_libraries(sink_bench_peers INTERFACE
  sink::sink
  TBB::tbb
  absl::flat_hash_map
  libcuckoo::libcuckoo
  "${SINK_CDS_LIBRARY}"
  Threads::Threads)

# The adapters' smoke test: semantics on one thread, then two threads on
# disjoint key ranges, for every map and both key types.
add_executable(sink-bench-smoke "${SINK_BENCH_DIR}/maps_smoke.cpp")
target_link_libraries(sink-bench-smoke PRIVATE sink_bench_peers)
if(TARGET sink_warnings)
  target_link_libraries(sink-bench-smoke PRIVATE sink_warnings)
endif()
set_target_properties(sink-bench-smoke PROPERTIES CXX_EXTENSIONS OFF)

enable_testing()
add_test(NAME bench.smoke COMMAND sink-bench-smoke)
set_tests_properties(bench.smoke PROPERTIES LABELS bench TIMEOUT 300)
