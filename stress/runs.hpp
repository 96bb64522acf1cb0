// The entry points of the five instantiations of a run (run.hpp), one per
// file run_<key>_<value>.cpp. main.cpp sees only these declarations, so that
// it shares nothing with the map's headers (see CMakeLists.txt).
#pragma once

#include "figures.hpp"
#include "options.hpp"

namespace sink_stress {

run_figures run_int_int(const options& o);
run_figures run_int_word(const options& o);
run_figures run_int_string(const options& o);
run_figures run_string_int(const options& o);
run_figures run_string_string(const options& o);

}  // namespace sink_stress
