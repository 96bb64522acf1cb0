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
#include "maps/libcds_map_calls.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

// The container and its traits.
template <class Key>
struct libcds_michael_map_types {
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
    using container = cds::container::MichaelHashMap<cds::gc::HP, list, traits>;
};

template <class Key>
class libcds_michael_map
    : public libcds_map_calls<typename libcds_michael_map_types<Key>::container, Key> {
    using calls = libcds_map_calls<typename libcds_michael_map_types<Key>::container, Key>;

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
    explicit libcds_michael_map(std::size_t expected_entries) : calls(expected_entries, 1) {}
};

}  // namespace sink_bench
