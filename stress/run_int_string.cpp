#include <cstdint>
#include <string>

#include "run.hpp"

namespace sink_stress {

run_figures run_int_string(const options& o) { return run<std::uint64_t, std::string>(o); }

}  // namespace sink_stress
