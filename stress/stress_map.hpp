// The map type of every stress run, and its hash. The hash can be made to
// collide on purpose (--hash-bits N): it keeps N bits, so that keys share
// 2^N hash values and the map's list holds large groups of entries of equal
// order. A group is where the map orders entries by stamp instead of by
// hash (docs/design.md, "iteration"), so collisions are what exercises the
// stamps, the insert at a group's front and an iterator's restart inside a
// group. With N = 64 (the default) the hash is std::hash, as a user's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "codec.hpp"
#include "sink/concurrent_map.hpp"

namespace sink_stress {

template <class Key>
struct stress_hash {
    unsigned bits = 64;

    std::size_t operator()(const Key& key) const noexcept {
        const std::uint64_t h = std::hash<Key>{}(key);
        if (bits >= 64) {
            return static_cast<std::size_t>(h);
        }
        if (bits == 0) {
            return 0;
        }
        // std::hash of an integer is the identity: mix before keeping the
        // top bits, so that the 2^N classes are spread evenly over the keys.
        std::uint64_t x = h + 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return static_cast<std::size_t>(x >> (64 - bits));
    }
};

template <class Key, class Payload>
using stress_map = sink::concurrent_map<Key, typename codec<Key, Payload>::value_type, stress_hash<Key>>;

}  // namespace sink_stress
