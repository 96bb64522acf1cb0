// Seeded mixing of the user's hash. std::hash<int> is the identity on
// libstdc++, which would put every small key in the first section of the
// table (sections are chosen by the TOP bits); mixing spreads any hash over
// all 64 bits, and the per-map seed keeps one map's layout from being
// predictable from another's. A hash declared avalanching is trusted to be
// spread already (seeded_spread).
#pragma once

#include <cstdint>

#include "sink/detail/config.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

// The finaliser of MurmurHash3 (a bijection on 64-bit words).
inline constexpr std::uint64_t mix64(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

inline constexpr std::uint64_t seeded_mix(std::uint64_t user_hash, std::uint64_t seed) noexcept {
    return mix64(user_hash + seed);
}

// For a hash the user declared avalanching (sink::hash_is_avalanching): it
// is spread already, so the seed is only xored in. Two maps with different
// seeds still order the same keys differently (wherever the seeds differ,
// a bit of every key's order is flipped); a sorted list has no probe
// sequence for one map's order to cluster in another.
inline constexpr std::uint64_t seeded_spread(std::uint64_t avalanched_hash, std::uint64_t seed) noexcept {
    return avalanched_hash ^ seed;
}

}  // namespace detail
SINK_END_NAMESPACE
