#include <cstdint>
#include <string>

#include "run.hpp"

namespace sink_stress {

run_figures run_string_int(const options& o) { return run<std::string, std::uint64_t>(o); }

}  // namespace sink_stress
