// sink::concurrent_map in the benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/key_hash.hpp"
#include "sink/concurrent_map.hpp"

namespace sink_bench {

// The options every sink map of a run is made with: the defaults, unless
// sink-bench is given --sink-grow=N (grow_on_insert_count, to measure a
// section length against the peers in one run).
inline sink::concurrent_map_options& sink_map_options() {
    static sink::concurrent_map_options options;
    return options;
}

template <class Key>
class sink_map {
public:
    static constexpr std::string_view name = "sink";
    static constexpr std::string_view note = "lock-free, hazard pointers";
    static constexpr bool concurrent = true;
    static constexpr bool thread_safe_erase = true;
    static constexpr bool heterogeneous = true;

    // The map grows by itself; reserving would hide the cost of growth that
    // the split-ordered lists pay too.
    explicit sink_map(std::size_t /*expected_entries*/) : map_(sink_map_options()) {}

    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        // load copies the value out under the map's own protection.
        auto found = map_.load(key);
        if (!found) return false;
        value = *found;
        return true;
    }
    bool insert(const Key& key, std::uint64_t value) { return !map_.load_or_store(key, value).second; }
    void upsert(const Key& key, std::uint64_t value) { map_.store(key, value); }
    // update applies the function to the value it replaces, retrying if
    // another write came between: no increment is lost.
    bool increment(const Key& key) {
        return map_.update(key, [](std::uint64_t v) { return v + 1; }).has_value();
    }
    bool erase(const Key& key) { return map_.erase(key); }
    std::size_t size() const { return map_.size(); }

    struct thread_scope {};

private:
    sink::concurrent_map<Key, std::uint64_t, key_hash, key_equal> map_;
};

}  // namespace sink_bench
