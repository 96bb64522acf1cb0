// The one hash every map in the benchmarks gets, so that no map wins or loses
// by its default hash: murmur3's 64-bit finaliser for integer keys, and the
// same finaliser over std::hash<std::string_view> for string keys. It is
// transparent, so maps with heterogeneous lookup can take a string_view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace sink_bench {

inline constexpr std::uint64_t fmix64(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

struct key_hash {
    using is_transparent = void;
    // Every bit of the result depends on every bit of the key (both
    // overloads end in the finaliser), so a map may use it as it is.
    // sink::concurrent_map reads this (sink::hash_is_avalanching) and then
    // does not mix again; the peers use the hash as given anyway.
    using is_avalanching = std::true_type;
    std::size_t operator()(std::uint64_t key) const noexcept { return fmix64(key); }
    std::size_t operator()(std::string_view key) const noexcept {
        return fmix64(std::hash<std::string_view>{}(key));
    }
    std::size_t operator()(const std::string& key) const noexcept { return (*this)(std::string_view(key)); }
};

struct key_equal {
    using is_transparent = void;
    bool operator()(std::uint64_t a, std::uint64_t b) const noexcept { return a == b; }
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

}  // namespace sink_bench
