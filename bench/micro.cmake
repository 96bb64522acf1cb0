# sink-bench-micro: micro-benchmarks of the hazard pointers and of one step of
# the map's list walk (bench/micro/*.cpp), to guide optimisation.
# Included by bench/CMakeLists.txt. Needs the targets sink::sink and
# sink_warnings (from sink's top-level CMakeLists.txt) to exist already.
include_guard(GLOBAL)

# Not again if the includer (or a parent directory) already found it.
if(NOT benchmark_FOUND AND NOT TARGET benchmark::benchmark_main)
  find_package(benchmark REQUIRED)
endif()

add_executable(sink-bench-micro
  ${CMAKE_CURRENT_LIST_DIR}/micro/hazard_pointer_bench.cpp
  ${CMAKE_CURRENT_LIST_DIR}/micro/walk_step_bench.cpp)
target_link_libraries(sink-bench-micro PRIVATE
  sink::sink benchmark::benchmark benchmark::benchmark_main sink_warnings)
set_target_properties(sink-bench-micro PROPERTIES CXX_EXTENSIONS OFF)

# sink-bench-profile: one workload on sink alone, for callgrind's instruction
# counts (docs/performance.md). Needs valgrind's client-request header.
add_executable(sink-bench-profile
  ${CMAKE_CURRENT_LIST_DIR}/profile/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/driver/workload.cpp)
target_include_directories(sink-bench-profile PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(sink-bench-profile PRIVATE sink::sink sink_warnings)
set_target_properties(sink-bench-profile PROPERTIES CXX_EXTENSIONS OFF)
