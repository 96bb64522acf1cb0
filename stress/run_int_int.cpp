#include <cstdint>
#include <string>

#include "run.hpp"

namespace sink_stress {

run_figures run_int_int(const options& o) { return run<std::uint64_t, std::uint64_t>(o); }

}  // namespace sink_stress
