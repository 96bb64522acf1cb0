// libcds's split-ordered list (Shalev and Shavit) over a Michael list, with
// hazard pointers: the lock-free design closest to sink's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

// The ordered list's header before the split list's, as libcds requires.
#include <cds/container/michael_list_hp.h>
#include <cds/container/split_list_map.h>

#include "common/key_hash.hpp"
#include "maps/libcds_map_calls.hpp"
#include "maps/peer_support.hpp"

namespace sink_bench {

// The container and its traits.
template <class Key>
struct libcds_split_list_map_types {
    struct list_traits : cds::container::michael_list::traits {
        using compare = key_compare;
        // allocator: std::allocator (CDS_DEFAULT_ALLOCATOR) for the nodes.
    };
    struct traits : cds::container::split_list::traits {
        using ordered_list = cds::container::michael_list_tag;
        using hash = key_hash;
        using ordered_list_traits = list_traits;
        // allocator: std::allocator (CDS_DEFAULT_ALLOCATOR) for the bucket
        // table too, as for every map in the comparison.
    };
    static_assert(std::is_same_v<typename list_traits::allocator, std::allocator<int>> &&
                  std::is_same_v<typename traits::allocator, std::allocator<int>>);
    using container = cds::container::SplitListMap<cds::gc::HP, Key, atomic_value, traits>;
};

template <class Key>
class libcds_split_list_map
    : public libcds_map_calls<typename libcds_split_list_map_types<Key>::container, Key> {
    using calls = libcds_map_calls<typename libcds_split_list_map_types<Key>::container, Key>;
    static constexpr std::size_t default_capacity = 512 * 1024;

public:
    static constexpr std::string_view name = "libcds SplitListMap";
    static constexpr std::string_view note = "";
    static constexpr bool concurrent = true;
    static constexpr bool thread_safe_erase = true;
    // find(K) hashes and compares a string_view as it is (key_hash,
    // key_compare), without building a key_type.
    static constexpr bool heterogeneous = true;

    // The split list always starts with 2 buckets and doubles as it fills;
    // its constructor argument only sets the ceiling of that growth (the
    // size of the bucket directory, default 512Ki buckets, beyond which the
    // lists just get longer). We raise the ceiling to expected_entries so
    // that a big run is not capped, but nothing is pre-sized: the growth is
    // part of what the benchmarks measure.
    explicit libcds_split_list_map(std::size_t expected_entries)
        : calls(std::max(expected_entries, default_capacity), 1) {}
};

}  // namespace sink_bench
