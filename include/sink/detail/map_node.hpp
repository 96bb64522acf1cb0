// The nodes of the map's one sorted list, and the tagged `next` word that
// freezes them. See docs/design.md for the structure and its invariants.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sink/detail/atomic.hpp"
#include "sink/detail/node_pool.hpp"
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
//   odd, < end_order   an entry: 62 bits of the mixed hash, then the kind
//                      bit (bit 1), then 1
//   end_order          the end sentinel
// So a waypoint sorts before every entry of its section, and a waypoint and
// an entry never share an order.
//
// The entries of one key group (equal 62 hash bits) come in two parts:
//   plain   (bit 1 clear)  at most one live key, with no stamp: the common
//                          entry, 8 bytes smaller
//   stamped (bit 1 set)    every other key of the group, ordered by
//                          descending stamp
// A new key is plain only when no live entry of its group is plain at the
// CAS that links it (docs/design.md, invariant 7 and "iteration"); a node
// made stamped for an earlier attempt may stay stamped. A plain
// part sorts before the stamped part of its group and nothing sorts between
// them (bit 1 set with bit 0 clear is never a waypoint's order).
inline constexpr std::uint64_t end_order = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::uint64_t stamped_bit = 2;

// The order of the plain part of a hash's group (the group's "base order").
inline constexpr std::uint64_t entry_order(std::uint64_t mixed_hash) noexcept {
    const std::uint64_t plain = (mixed_hash & ~stamped_bit) | 1;
    // The stamped order of the all-ones hash would be end_order.
    return (plain | stamped_bit) == end_order ? end_order - 6 : plain;
}
inline constexpr bool is_entry_order(std::uint64_t order) noexcept {
    return (order & 1) != 0 && order != end_order;
}
inline constexpr bool is_waypoint_order(std::uint64_t order) noexcept { return (order & 1) == 0; }
// For entry orders only.
inline constexpr bool is_stamped_order(std::uint64_t order) noexcept { return (order & stamped_bit) != 0; }
inline constexpr std::uint64_t stamped_order(std::uint64_t order) noexcept { return order | stamped_bit; }
inline constexpr std::uint64_t base_order(std::uint64_t order) noexcept { return order & ~stamped_bit; }

// What every node has. Immutable after publication except `next`. No
// reclamation header: a node cut out of the list is retired as an item of
// its thread's batch (detail::headerless_retirer), with Types::node_reclaimer.
template <class Types>
struct map_node {
    map_node(std::uint64_t order_, link next_) noexcept : next(next_), order(order_) {}

    atomic<link> next;
    const std::uint64_t order;
};

// A key/value entry. A plain entry (plain order) has no stamp: it is the
// only live key of its group's plain part, and an iterator positions itself
// after it without one (map_core::first_after). Its versions are plain too.
template <class Types>
struct map_entry : map_node<Types> {
    template <class... Args>
    map_entry(std::uint64_t order_, Args&&... args)
        : map_node<Types>(order_, 0), value(std::forward<Args>(args)...) {}

    typename Types::value_type value;
};

// An entry of a group's stamped part (stamped order). Entries of equal
// stamped order form the part: a new key goes to its front, a new version of
// a key right after the version it supersedes. Iterators need a position
// that survives its node inside the part, and that is the stamp
// (docs/design.md, "iteration"): a new key is linked *unstamped* and gets
// its stamp later, from the group's clock, from whichever thread first needs
// it (map_core::stamp_of). Fixing the stamp only after the link is what
// makes it valid whatever happened to the group between the inserter's walk
// and its CAS (a stamp taken before the CAS can be stale: reclamation.md
// item 11). A new version inherits the stamp of the version it supersedes,
// which is stamped first. The stamp follows the value, so that the entry
// and the stamped entry share their layout up to it.
template <class Types>
struct map_stamped_entry : map_entry<Types> {
    template <class... Args>
    map_stamped_entry(std::uint64_t order_, Args&&... args) : map_entry<Types>(order_, std::forward<Args>(args)...) {}

    static constexpr std::uint64_t unstamped = 0;
    // unstamped, then set once by a CAS and never changed again.
    atomic<std::uint64_t> stamp{unstamped};
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
// Whether a key of this type certainly copies (map_types::rekind copies
// keys). std::is_copy_constructible cannot tell: it says yes for a vector of
// move-only elements, or a struct holding one, whose copy constructor is
// declared but does not compile. So only types whose copy cannot fail to
// compile count: trivially copyable ones, strings, and pairs and tuples of
// these. Other keys' entries are all stamped (8 bytes more each).
template <class T>
struct key_copies : std::bool_constant<std::is_trivially_copy_constructible_v<T>> {};
template <class C, class Traits, class A>
struct key_copies<std::basic_string<C, Traits, A>> : std::true_type {};
template <class A, class B>
struct key_copies<std::pair<A, B>> : std::conjunction<key_copies<A>, key_copies<B>> {};
template <class... Ts>
struct key_copies<std::tuple<Ts...>> : std::conjunction<key_copies<Ts>...> {};

template <class Key, class T, class Allocator>
struct map_types {
    using key_type = Key;
    using mapped_type = T;
    using value_type = std::pair<const Key, T>;
    using allocator_type = Allocator;
    using node = map_node<map_types>;
    using entry = map_entry<map_types>;
    using stamped_entry = map_stamped_entry<map_types>;
    using waypoint = map_waypoint<map_types>;

    using alloc_traits = std::allocator_traits<Allocator>;
    using entry_allocator = typename alloc_traits::template rebind_alloc<entry>;
    using stamped_entry_allocator = typename alloc_traits::template rebind_alloc<stamped_entry>;
    using waypoint_allocator = typename alloc_traits::template rebind_alloc<waypoint>;

    static_assert(alloc_traits::is_always_equal::value && std::is_default_constructible_v<Allocator>,
                  "sink::concurrent_map needs an allocator type whose instances are all equal and "
                  "default-constructible: retired nodes are freed after the map may be gone");

    // A write makes its node before it knows for sure which part of the
    // group the node will join (a concurrent insert of a colliding key can
    // take the plain part meanwhile, a key can come back in the other part);
    // then it remakes the node in the other kind (rekind), copying the key
    // and moving the value. Types that cannot be copied so have every entry
    // stamped, as before plain entries existed.
    static constexpr bool has_plain_entries = key_copies<Key>::value && std::is_move_constructible_v<T>;

    // The order a new entry of base order `base` gets: plain if it may be.
    static constexpr std::uint64_t new_entry_order(std::uint64_t base, bool may_be_plain) noexcept {
        return has_plain_entries && may_be_plain ? base : stamped_order(base);
    }

    // Where nodes come from: a per-map pool (detail/node_pool.hpp), one
    // class per node kind, or, with SINK_NODE_POOL=0 or a node larger or
    // more aligned than a pool slot can be, one allocation per node through
    // the allocator. The sentinels always come from the allocator, so an empty
    // map holds no pool block.
    static constexpr bool uses_node_pool = SINK_NODE_POOL != 0 && alignof(stamped_entry) <= pool_max_align &&
                                           alignof(waypoint) <= pool_max_align &&
                                           sizeof(stamped_entry) <= pool_max_slot_size;
    static constexpr unsigned entry_class = 0, stamped_entry_class = 1, waypoint_class = 2;
    static constexpr std::array<pool_class_spec, pool_class_count> pool_classes{{
        {static_cast<std::uint32_t>(sizeof(entry)), static_cast<std::uint32_t>(alignof(entry))},
        {static_cast<std::uint32_t>(sizeof(stamped_entry)), static_cast<std::uint32_t>(alignof(stamped_entry))},
        {static_cast<std::uint32_t>(sizeof(waypoint)), static_cast<std::uint32_t>(alignof(waypoint))},
    }};
    using pool_type = node_pool<Allocator>;
    // The map's pool, or nullptr when nodes do not come from one.
    static node_pool_base* make_pool() {
        if constexpr (uses_node_pool) {
            return pool_type::create(Allocator(), pool_classes);
        } else {
            return nullptr;
        }
    }

    // Allocates and constructs an entry of `order`'s kind; throws whatever
    // the allocator or the key/value constructors throw, and then leaks
    // nothing.
    template <class... Args>
    static entry* make_entry(node_pool_base* pool, std::uint64_t order, Args&&... args) {
        if (is_stamped_order(order)) {
            return make<stamped_entry, stamped_entry_allocator>(pool, stamped_entry_class, order,
                                                                std::forward<Args>(args)...);
        }
        return make<entry, entry_allocator>(pool, entry_class, order, std::forward<Args>(args)...);
    }
    // A node like `e` (never published) in the kind of `order` (same base).
    // Copies the key, moves the value; on an exception e is unchanged.
    static entry* rekind(node_pool_base* pool, entry* e, std::uint64_t order) {
        if constexpr (has_plain_entries) {
            entry* fresh = make_entry(pool, order, std::piecewise_construct, std::forward_as_tuple(e->value.first),
                                      std::forward_as_tuple(std::move(e->value.second)));
            destroy(e);
            return fresh;
        } else {
            (void)pool;
            (void)order;
            return e;  // never asked: every entry of these types is stamped
        }
    }
    static waypoint* make_waypoint(node_pool_base* pool, std::uint64_t order, std::uint32_t refs = 0) {
        return make<waypoint, waypoint_allocator>(pool, waypoint_class, order, refs);
    }
    // The start and end sentinels: never retired, freed by the map itself.
    static waypoint* make_sentinel(std::uint64_t order) {
        return make_unpooled<waypoint, waypoint_allocator>(order, 1u);
    }
    static void destroy_sentinel(waypoint* w) noexcept { unmake<waypoint_allocator>(w, /*pooled=*/false); }

    // How the hazard-pointer domain frees a retired node: one reclaimer for
    // all nodes of this type (an inline variable: one address per program).
    // It reaches the node's pool through the node's block, never the map:
    // it runs on any thread, after the map may be gone.
    static void reclaim_node(const reclaimer&, void* n) noexcept { destroy(static_cast<node*>(n)); }
    static constexpr reclaimer node_reclaimer{&reclaim_node};

    // Frees a node (not a sentinel) that was never published, or that no
    // thread can reach.
    static void destroy(node* n) noexcept {
        if (!is_entry_order(n->order)) {
            unmake<waypoint_allocator>(static_cast<waypoint*>(n), uses_node_pool);
        } else if (is_stamped_order(n->order)) {
            unmake<stamped_entry_allocator>(static_cast<stamped_entry*>(n), uses_node_pool);
        } else {
            unmake<entry_allocator>(static_cast<entry*>(n), uses_node_pool);
        }
    }

private:
    // A node from the pool (which must be the map's, never nullptr, when
    // uses_node_pool), or from the allocator.
    template <class Node, class NodeAllocator, class... Args>
    static Node* make(node_pool_base* pool, unsigned cls, Args&&... args) {
        if constexpr (uses_node_pool) {
            assert(pool != nullptr);
            void* p = pool->allocate(cls);
            try {
                return ::new (p) Node(std::forward<Args>(args)...);
            } catch (...) {
                node_pool_base::deallocate(p);  // never published: free at once
                throw;
            }
        } else {
            (void)pool;
            (void)cls;
            return make_unpooled<Node, NodeAllocator>(std::forward<Args>(args)...);
        }
    }
    template <class Node, class NodeAllocator, class... Args>
    static Node* make_unpooled(Args&&... args) {
        NodeAllocator a;
        Node* p = std::allocator_traits<NodeAllocator>::allocate(a, 1);
        try {
            return ::new (static_cast<void*>(p)) Node(std::forward<Args>(args)...);
        } catch (...) {
            std::allocator_traits<NodeAllocator>::deallocate(a, p, 1);
            throw;
        }
    }
    template <class NodeAllocator, class Node>
    static void unmake(Node* p, bool pooled) noexcept {
        p->~Node();
        if (pooled) {
            node_pool_base::deallocate(p);
        } else {
            NodeAllocator a;
            std::allocator_traits<NodeAllocator>::deallocate(a, p, 1);
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
