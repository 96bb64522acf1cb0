#include <cstdint>

#include "run.hpp"

namespace sink_stress {

// u64 values the map keeps in place: every replace and erase of a present
// key is one double-width CAS over the entry's link and value.
static_assert(sink::detail::value_fits_in_place<codec<std::uint64_t, word_payload>::value_type> ||
                  !sink::detail::has_two_word_cas,
              "the word runs must keep their values in place where the CAS exists");

run_figures run_int_word(const options& o) { return run<std::uint64_t, word_payload>(o); }

}  // namespace sink_stress
