// oneTBB's concurrent_unordered_map: a split-ordered list too, whose inserts
// and lookups are concurrent but whose erase is not (unsafe_erase).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

// g++ 12 reports a false -Warray-bounds in oneTBB 2021.8's destroy_node (a
// dummy node seen as a value node on a branch that never runs for it;
// oneTBB's own workaround there covers g++ 11 only). The warning points into
// TBB's header, so silencing it there leaves our code checked.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
#include <tbb/concurrent_unordered_map.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "common/key_hash.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

template <class Key>
class tbb_unordered_map {
public:
    static constexpr std::string_view name = "TBB concurrent_unordered_map";
    static constexpr std::string_view note = "no thread-safe erase";
    static constexpr bool concurrent = true;
    static constexpr bool thread_safe_erase = false;
    // oneTBB enables find(K) when the hasher names a transparent_key_equal
    // (the older form of the heterogeneous-lookup proposal), see below.
    static constexpr bool heterogeneous = true;

    // The map grows by itself from its default bucket count; reserving would
    // hide the growth that the benchmarks measure.
    explicit tbb_unordered_map(std::size_t /*expected_entries*/) {}

    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        auto it = map_.find(key);
        if (it == map_.end()) return false;
        value = it->second.load();
        return true;
    }

    // insert(value_type) searches first and allocates a node only when the
    // key is absent (emplace would allocate first and free on a hit).
    bool insert(const Key& key, std::uint64_t value) { return map_.insert(value_type(key, value)).second; }

    // The map has no atomic replace: nodes are never removed concurrently,
    // so store (release) into the node of a present key, else insert a node
    // built with its value; if that insert loses a race, store into the
    // winner's node.
    void upsert(const Key& key, std::uint64_t value) {
        if (auto it = map_.find(key); it != map_.end()) {
            it->second.store(value);
            return;
        }
        auto [it, inserted] = map_.insert(value_type(key, value));
        if (!inserted) it->second.store(value);
    }

    // The value is an atomic_value and its node is never removed while
    // threads run (no erase), so the add into the found node is atomic.
    bool increment(const Key& key) {
        auto it = map_.find(key);
        if (it == map_.end()) return false;
        it->second.increment();
        return true;
    }

    // Not thread-safe in TBB (unsafe_erase), and thread_safe_erase = false
    // tells the driver never to call it: fail loudly if it ever does.
    bool erase(const Key& /*key*/) {
        std::fputs("tbb_unordered_map::erase: TBB concurrent_unordered_map has no thread-safe erase\n", stderr);
        std::abort();
    }

    std::size_t size() const { return map_.size(); }

    using thread_scope = no_thread_scope;

private:
    // The same hash; transparent_key_equal is how oneTBB 2021 recognises a
    // transparent hasher (key_hash's is_transparent alone is not enough).
    struct hasher : key_hash {
        using transparent_key_equal = key_equal;
    };
    using value_type = std::pair<const Key, atomic_value>;

    // std::allocator instead of TBB's default tbb_allocator, so that a
    // malloc-counting measurement sees this map's memory as it sees every
    // other map's.
    tbb::concurrent_unordered_map<Key, atomic_value, hasher, key_equal, std::allocator<value_type>> map_;
};

}  // namespace sink_bench
