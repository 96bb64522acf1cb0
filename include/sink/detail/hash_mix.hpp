// Seeded mixing of the user's hash. std::hash<int> is the identity on
// libstdc++, which would put every small key in the first section of the
// table (sections are chosen by the TOP bits); mixing spreads any hash over
// all 64 bits, and the per-map seed keeps one map's layout from being
// predictable from another's. A hash declared avalanching is trusted to be
// spread already, and only keyed (seeded_multiply).
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
// is spread already, so one keyed multiply does where seeded_mix takes two
// multiplies and three shifts: the hash xored with the seed, times an odd
// multiplier made from the seed (the seed times the golden ratio's odd
// constant, so that a small seed, as tests give, still makes a large
// one). A bijection, as seeded_mix is. Every bit of the product depends on
// every lower bit of its factors, so the top bits, which choose the
// section, depend on the whole hash and on the seed: which keys share a
// section is the map's own. With the seed only xored in, keys whose hashes
// share their top bits would share a section in every map, and whoever
// knows the hash could aim keys at one section (found in review).
inline constexpr std::uint64_t seeded_multiply(std::uint64_t avalanched_hash, std::uint64_t seed) noexcept {
    return (avalanched_hash ^ seed) * ((seed * 0x9e3779b97f4a7c15ULL) | 1);
}

}  // namespace detail
SINK_END_NAMESPACE
