// Fault builds of sink-stress compile only the int/int instantiation (build
// time); the other four entry points report that instead of running.
#include <cstdio>
#include <cstdlib>

#include "runs.hpp"

namespace sink_stress {
namespace {

[[noreturn]] run_figures unavailable() {
    std::fprintf(stderr, "sink-stress: this build has integer keys and values only\n");
    std::exit(2);
}

}  // namespace

run_figures run_int_word(const options&) { unavailable(); }
run_figures run_int_string(const options&) { unavailable(); }
run_figures run_string_int(const options&) { unavailable(); }
run_figures run_string_string(const options&) { unavailable(); }

}  // namespace sink_stress
