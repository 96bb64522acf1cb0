// The places where the stress harness can freeze a thread: the map's own
// stall points (include/sink/detail/stall.hpp) and one of the harness's,
// inside the visitor of an iteration.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "sink/detail/stall.hpp"

namespace sink_stress {

enum class stall_site {
    insert,
    replace,
    erase,
    compaction,
    install,
    resize,
    shrink,
    claim_release,
    step,
    plain_yield,
    plain_front,
    cut_retire,
    iterate,  // the harness's own: always last
};
inline constexpr std::size_t stall_site_count = 13;

constexpr stall_site from_map_site(sink::detail::stall::site s) noexcept {
    return static_cast<stall_site>(static_cast<int>(s));  // same order; checked in stall.cpp
}

const char* name(stall_site s) noexcept;
std::optional<stall_site> parse_stall_site(const std::string& text);

}  // namespace sink_stress
