// libcds's MichaelHashMap: a fixed array of lock-free Michael lists, with
// hazard pointers. It cannot resize, so it is built for expected_entries at
// load factor 1: the best case of a lock-free hash table that knows its size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <cds/container/michael_kvlist_hp.h>
#include <cds/container/michael_map.h>

#include "common/key_hash.hpp"
#include "maps/peer_support.hpp"
#include "maps/process_scope.hpp"

namespace sink_bench {

template <class Key>
class libcds_michael_map {
public:
    static constexpr std::string_view name = "libcds MichaelHashMap";
    static constexpr std::string_view note = "pre-sized, no resize";
    static constexpr bool concurrent = true;
    static constexpr bool thread_safe_erase = true;
    // find(K) hashes and compares a string_view as it is.
    static constexpr bool heterogeneous = true;

    // The only adapter pre-sized by expected_entries: the bucket array is
    // fixed at construction (rounded up to a power of two), one bucket per
    // expected entry.
    explicit libcds_michael_map(std::size_t expected_entries) : map_(expected_entries, 1) {}

    template <class K>
    bool find(const K& key, std::uint64_t& value) const {
        return map_.find(key, [&value](auto& item) { value = item.second.load(); });
    }

    // emplace: the node is built with its value before it is linked.
    bool insert(const Key& key, std::uint64_t value) { return map_.insert(key, value); }

    // As in libcds_split_list_map: update() would publish a node holding a
    // default value before its functor runs, so a concurrent find could read
    // 0. Store into the node found (release), or insert a fully built node.
    void upsert(const Key& key, std::uint64_t value) {
        for (;;) {
            if (map_.find(key, [value](auto& item) { item.second.store(value); })) return;
            if (map_.insert(key, value)) return;
        }
    }

    bool erase(const Key& key) { return map_.erase(key); }
    std::size_t size() const { return map_.size(); }

    // Every thread that touches a libcds container must be attached.
    using thread_scope = libcds_thread_scope;

private:
    struct list_traits : cds::container::michael_list::traits {
        using compare = key_compare;
        // allocator: std::allocator (CDS_DEFAULT_ALLOCATOR), as for every map.
    };
    using list = cds::container::MichaelKVList<cds::gc::HP, Key, atomic_value, list_traits>;
    struct traits : cds::container::michael_map::traits {
        using hash = key_hash;
    };
    static_assert(std::is_same_v<typename list_traits::allocator, std::allocator<int>> &&
                  std::is_same_v<typename traits::allocator, std::allocator<int>>);

    // libcds's find is not const.
    mutable cds::container::MichaelHashMap<cds::gc::HP, list, traits> map_;
};

}  // namespace sink_bench
