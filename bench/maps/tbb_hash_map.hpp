// oneTBB's concurrent_hash_map: bucket reader-writer locks plus a per-item
// reader-writer lock held by accessors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <tbb/concurrent_hash_map.h>

#include "common/key_hash.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

template <class Key>
class tbb_hash_map {
public:
    static constexpr std::string_view name = "TBB concurrent_hash_map";
    static constexpr std::string_view note = "";
    static constexpr bool concurrent = true;
    static constexpr bool thread_safe_erase = true;
    // oneTBB 2021 has find(accessor, K) when the HashCompare is transparent.
    static constexpr bool heterogeneous = true;

    // The map grows by itself from its default size; reserving would hide
    // the growth that the benchmarks measure.
    explicit tbb_hash_map(std::size_t /*expected_entries*/) {}

    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        typename map_type::const_accessor item;  // read lock on the item
        if (!map_.find(item, key)) return false;
        value = item->second;
        return true;
    }

    // Without an accessor: no item lock is taken when the key is present.
    bool insert(const Key& key, std::uint64_t value) { return map_.insert(value_type(key, value)); }

    // insert(accessor, key) finds or inserts the item and holds its write
    // lock, so no reader (they read under the item's read lock) sees the
    // default value of a new item or a half-done replace.
    void upsert(const Key& key, std::uint64_t value) {
        typename map_type::accessor item;
        map_.insert(item, key);
        item->second = value;
    }

    // An accessor holds the item's write lock, so ++ under it is atomic
    // against every other accessor.
    bool increment(const Key& key) {
        typename map_type::accessor item;
        if (!map_.find(item, key)) return false;
        ++item->second;
        return true;
    }

    bool erase(const Key& key) { return map_.erase(key); }
    std::size_t size() const { return map_.size(); }

    using thread_scope = no_thread_scope;

private:
    // key_hash and key_equal in TBB's HashCompare shape.
    struct hash_compare {
        using is_transparent = void;
        template <class K>
        std::size_t hash(const K& key) const noexcept {
            return key_hash{}(key);
        }
        template <class A, class B>
        bool equal(const A& a, const B& b) const noexcept {
            return key_equal{}(a, b);
        }
    };
    using value_type = std::pair<const Key, std::uint64_t>;
    // std::allocator instead of TBB's default tbb_allocator, so that a
    // malloc-counting measurement sees this map's memory as it sees every
    // other map's.
    using map_type = tbb::concurrent_hash_map<Key, std::uint64_t, hash_compare, std::allocator<value_type>>;

    // oneTBB's transparent find(const_accessor&, const K&) is not const.
    mutable map_type map_;
};

}  // namespace sink_bench
