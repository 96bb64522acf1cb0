// The nodes of the map's one sorted list, and the tagged `next` word that
// freezes them. See docs/design.md for the structure and its invariants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

#include "sink/detail/atomic.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

// A node's `next` word: the successor's address with a flag bit.
//   frozen:  this `next` never changes again: a newer version follows (set
//            by the CAS that links it), or the node is erased (its own
//            tombstone). Every CAS on `next` expects an unfrozen value, so a
//            CAS on a frozen node always fails (reclamation.md item 2).
//            Walks need no more: a frozen node is dead either way, and a
//            newer version, if any, is its immediate successor.
using link = std::uintptr_t;
inline constexpr link frozen_bit = 1;
inline constexpr link flag_bits = frozen_bit;

inline constexpr bool is_frozen(link l) noexcept { return (l & frozen_bit) != 0; }

// The list is sorted by `order`, then (within equal orders) by descending
// `stamp`. Orders encode the kind of node:
//   0                  the start sentinel (the waypoint of prefix 0)
//   even               a waypoint: its prefix followed by zeros
//   odd, < end_order   an entry: the mixed hash with the lowest bit set
//   end_order          the end sentinel
// So a waypoint sorts before every entry of its section, and a waypoint and
// an entry never share an order.
inline constexpr std::uint64_t end_order = std::numeric_limits<std::uint64_t>::max();

inline constexpr std::uint64_t entry_order(std::uint64_t mixed_hash) noexcept {
    const std::uint64_t order = mixed_hash | 1;
    return order == end_order ? end_order - 2 : order;
}
inline constexpr bool is_entry_order(std::uint64_t order) noexcept {
    return (order & 1) != 0 && order != end_order;
}
inline constexpr bool is_waypoint_order(std::uint64_t order) noexcept { return (order & 1) == 0; }

// What every node has. Immutable after publication except `next`. No
// reclamation header: a node cut out of the list is retired as an item of
// its thread's batch (detail::headerless_retirer), with Types::node_reclaimer.
template <class Types>
struct map_node {
    map_node(std::uint64_t order_, link next_) noexcept : next(next_), order(order_) {}

    atomic<link> next;
    const std::uint64_t order;
};

// A key/value entry. Entries of equal order form a group: a new key goes to
// the front of its group, a new version of a key right after the version it
// supersedes. Iterators need a position that survives its node inside such a
// group, and that is the stamp (docs/design.md, "iteration"): a new key is
// linked *unstamped* and gets its stamp later, from the group's clock, from
// whichever thread first needs it (map_core::stamp_of). Fixing the stamp only
// after the link is what makes it valid whatever happened to the group
// between the inserter's walk and its CAS (a stamp taken before the CAS can
// be stale: reclamation.md item 11). A new version inherits the stamp of the
// version it supersedes, which is stamped first.
template <class Types>
struct map_entry : map_node<Types> {
    template <class... Args>
    map_entry(std::uint64_t order_, Args&&... args)
        : map_node<Types>(order_, 0), value(std::forward<Args>(args)...) {}

    static constexpr std::uint64_t unstamped = 0;
    // unstamped, then set once by a CAS and never changed again.
    atomic<std::uint64_t> stamp{unstamped};
    typename Types::value_type value;
};

// A waypoint: the node a table slot points at. `slot_refs` counts the table
// slots that hold it (with the dead flag once it is being deleted); it is the
// arbiter between installing a waypoint in a slot and deleting it
// (reclamation.md item 4): a waypoint is deleted only by the thread that
// changes slot_refs from 0 to dead, and a slot is only ever given a waypoint
// after a successful increment.
template <class Types>
struct map_waypoint : map_node<Types> {
    explicit map_waypoint(std::uint64_t order_, std::uint32_t refs = 0) noexcept
        : map_node<Types>(order_, 0), slot_refs(refs) {}

    static constexpr std::uint32_t dead = 0x80000000u;
    atomic<std::uint32_t> slot_refs;
};

// The allocator-dependent part. Deleters run in whatever thread reclaims, after
// the map may be gone, so they default-construct the allocator: sink requires
// an allocator type whose instances are all equal.
template <class Key, class T, class Allocator>
struct map_types {
    using key_type = Key;
    using mapped_type = T;
    using value_type = std::pair<const Key, T>;
    using allocator_type = Allocator;
    using node = map_node<map_types>;
    using entry = map_entry<map_types>;
    using waypoint = map_waypoint<map_types>;

    using alloc_traits = std::allocator_traits<Allocator>;
    using entry_allocator = typename alloc_traits::template rebind_alloc<entry>;
    using waypoint_allocator = typename alloc_traits::template rebind_alloc<waypoint>;

    static_assert(alloc_traits::is_always_equal::value && std::is_default_constructible_v<Allocator>,
                  "sink::concurrent_map needs an allocator type whose instances are all equal and "
                  "default-constructible: retired nodes are freed after the map may be gone");

    // Allocates and constructs an entry; throws whatever the allocator or the
    // key/value constructors throw, and then leaks nothing.
    template <class... Args>
    static entry* make_entry(std::uint64_t order, Args&&... args) {
        entry_allocator a;
        entry* p = std::allocator_traits<entry_allocator>::allocate(a, 1);
        try {
            return ::new (static_cast<void*>(p)) entry(order, std::forward<Args>(args)...);
        } catch (...) {
            std::allocator_traits<entry_allocator>::deallocate(a, p, 1);
            throw;
        }
    }
    static waypoint* make_waypoint(std::uint64_t order, std::uint32_t refs = 0) {
        waypoint_allocator a;
        waypoint* p = std::allocator_traits<waypoint_allocator>::allocate(a, 1);
        return ::new (static_cast<void*>(p)) waypoint(order, refs);
    }
    // How the hazard-pointer domain frees a retired node: one reclaimer for
    // all nodes of this type (an inline variable: one address per program).
    static void reclaim_node(const reclaimer&, void* n) noexcept { destroy(static_cast<node*>(n)); }
    static constexpr reclaimer node_reclaimer{&reclaim_node};

    // Frees a node that was never published, or that no thread can reach.
    static void destroy(node* n) noexcept {
        if (is_entry_order(n->order)) {
            entry* e = static_cast<entry*>(n);
            e->~entry();
            entry_allocator a;
            std::allocator_traits<entry_allocator>::deallocate(a, e, 1);
        } else {
            waypoint* w = static_cast<waypoint*>(n);
            w->~waypoint();
            waypoint_allocator a;
            std::allocator_traits<waypoint_allocator>::deallocate(a, w, 1);
        }
    }
};

template <class Types>
typename Types::node* target(link l) noexcept {
    return reinterpret_cast<typename Types::node*>(l & ~flag_bits);
}
template <class Types>
link link_to(const typename Types::node* n) noexcept {
    return reinterpret_cast<link>(n);
}

}  // namespace detail
SINK_END_NAMESPACE
