// absl::flat_hash_map with no lock at all: not a concurrent map, but the
// single-thread ceiling that the concurrent maps' one-thread numbers are read
// against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <absl/container/flat_hash_map.h>

#include "common/key_hash.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

template <class Key>
class absl_flat_map {
public:
    static constexpr std::string_view name = "absl::flat_hash_map (1 thread, no lock)";
    static constexpr std::string_view note = "";
    // The driver runs it on one thread only; within that thread every
    // operation, erase included, is fine.
    static constexpr bool concurrent = false;
    static constexpr bool thread_safe_erase = true;
    // Transparent key_hash and key_equal enable find(string_view).
    static constexpr bool heterogeneous = true;

    // The table grows by itself; reserving would hide the growth that the
    // benchmarks measure.
    explicit absl_flat_map(std::size_t /*expected_entries*/) {}

    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        auto it = map_.find(key);
        if (it == map_.end()) return false;
        value = it->second;
        return true;
    }
    bool insert(const Key& key, std::uint64_t value) { return map_.try_emplace(key, value).second; }
    void upsert(const Key& key, std::uint64_t value) { map_.insert_or_assign(key, value); }
    bool increment(const Key& key) {
        auto it = map_.find(key);
        if (it == map_.end()) return false;
        ++it->second;
        return true;
    }
    bool erase(const Key& key) { return map_.erase(key) != 0; }
    std::size_t size() const { return map_.size(); }

    using thread_scope = no_thread_scope;

private:
    // std::allocator (absl's default too), as for every map.
    absl::flat_hash_map<Key, std::uint64_t, key_hash, key_equal, std::allocator<std::pair<const Key, std::uint64_t>>>
        map_;
};

}  // namespace sink_bench
