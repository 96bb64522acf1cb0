#include <cstdint>
#include <string>

#include "run.hpp"

namespace sink_stress {

run_figures run_string_string(const options& o) { return run<std::string, std::string>(o); }

}  // namespace sink_stress
