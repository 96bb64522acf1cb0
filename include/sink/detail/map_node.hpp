// The nodes of the map's one sorted list, and the tagged `next` word that
// freezes them. See docs/design.md for the structure and its invariants.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sink/concurrent_map_options.hpp"
#include "sink/detail/atomic.hpp"
#include "sink/detail/link_cell.hpp"
#include "sink/detail/node_pool.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

// A node's `next` word: the successor's address with flag bits.
//   frozen:  this `next` never changes again: a newer version follows (set
//            by the CAS that links it), or the node is erased (its own
//            tombstone). Every CAS on `next` expects an unfrozen value, so a
//            CAS on a frozen node always fails (reclamation.md item 2).
//            Walks need no more: a frozen node is dead either way, and a
//            newer version, if any, is its immediate successor.
//   claimed: only on a section head, which an installer owns
//            (map_sections.hpp). Means nothing to a walk, which masks it
//            off; CASes on a head expect the value they read, with or
//            without it, and may drop it.
// Those two say something about the word's owner. The rest says what the
// successor is: when it is a section head, the link carries
//   head:    bit 2, and the head's level in the top six bits (58-63, above
//            any user-space address, 57-bit ones included).
// A head is its `next` alone (map_head, 8 bytes): a walk learns from the
// link that it steps onto one, and of which level, and finds its order
// from its place in its segment (map_heads.hpp). Every link that leads to
// a head is made by link_to_head or copied from one, so that it carries
// both.
//
// A `ref` is a link without the two flags: the address of a node or a
// head, and for a head its mark and level. Walks keep refs of the nodes
// they stand on, and reach `next` through them (load_next, cas_next).
using link = std::uintptr_t;
inline constexpr link frozen_bit = 1;
inline constexpr link claimed_bit = 2;
inline constexpr link flag_bits = frozen_bit | claimed_bit;
inline constexpr link head_bit = 4;
inline constexpr unsigned head_level_shift = 58;
inline constexpr link address_mask = ((link{1} << head_level_shift) - 1) & ~link{7};

inline constexpr link ref_of(link l) noexcept { return l & ~flag_bits; }
inline constexpr bool is_head_ref(link l) noexcept { return (l & head_bit) != 0; }
inline constexpr unsigned head_level_of(link l) noexcept { return static_cast<unsigned>(l >> head_level_shift); }
inline constexpr bool is_frozen(link l) noexcept { return (l & frozen_bit) != 0; }

// The list is sorted by `order`, then (within equal orders) by descending
// `stamp`. Orders encode the kind of node:
//   0                  the start sentinel (the head of prefix 0)
//   even               a section head: its prefix followed by zeros (not
//                      stored: it follows from the head's place, see above)
//   odd, < end_order   an entry: 62 bits of the mixed hash, then the kind
//                      bit (bit 1), then 1
//   end_order          the end sentinel
// So a head sorts before every entry of its section, and a head and an
// entry never share an order.
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
// them (bit 1 set with bit 0 clear is never a head's order).
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
// A head's `next` that a walk may start from: in the list, unclaimed, live.
inline constexpr bool is_usable_head_link(link l) noexcept { return l != 0 && (l & flag_bits) == 0; }
// For entry orders only.
inline constexpr bool is_stamped_order(std::uint64_t order) noexcept { return (order & stamped_bit) != 0; }
inline constexpr std::uint64_t stamped_order(std::uint64_t order) noexcept { return order | stamped_bit; }
inline constexpr std::uint64_t base_order(std::uint64_t order) noexcept { return order & ~stamped_bit; }

// What every node has: entries and the two sentinels. Immutable after
// publication except `next`. No reclamation header: a node cut out of the
// list is retired as an item of its thread's batch
// (detail::headerless_retirer), with Types::node_reclaimer. Section heads
// are not nodes but map_heads (below), which the list links as it links
// nodes (the link says which it leads to).
//
// In a map whose values are kept in place (map_types::values_in_place),
// `next` is a link_cell: the link and, in an entry, the value's word, which
// one double-width CAS changes together.
template <class Types>
struct map_node {
    map_node(std::uint64_t order_, link next_) noexcept : next(next_), order(order_) {}

    std::conditional_t<Types::values_in_place, link_cell, atomic<link>> next;
    const std::uint64_t order;
};

// A section head: its `next` and nothing else, in every kind of map. Its
// order is its prefix followed by zeros, which its place in its segment
// says (map_heads.hpp); a head is never double-width CASed.
struct map_head {
    explicit map_head(link next_) noexcept : next(next_) {}

    atomic<link> next;
};

template <class Types>
typename Types::node* target(link l) noexcept {
    return reinterpret_cast<typename Types::node*>(l & address_mask);
}
inline map_head* head_at(link ref) noexcept { return reinterpret_cast<map_head*>(ref & address_mask); }
// The ref of an entry or sentinel. (Its top bits must be clear, as on
// every platform config.hpp lets through: they would read as a level.)
template <class Types>
link link_to(const typename Types::node* n) noexcept {
    assert(reinterpret_cast<link>(n) >> head_level_shift == 0);
    return reinterpret_cast<link>(n);
}
// The ref of a head of `level` (1..40).
inline link link_to_head(const map_head* h, unsigned level) noexcept {
    return reinterpret_cast<link>(h) | head_bit | (static_cast<link>(level) << head_level_shift);
}

// The `next` of `n`, the node or head that `ref` leads to (n is its
// address). Natively every kind keeps its link as an atomic<link> at its
// own address: the first member of a map_head, of a map_node, and of a
// node's link_cell, each standard-layout and so pointer-interconvertible
// with it. One load serves them all, with no test of the kind on a walk's
// every step. Relacy models a link_cell as one variable of two words:
// there, by kind.
template <class Types>
link load_next_at(const typename Types::node* n, link ref, memory_order mo) noexcept {
#if defined(SINK_ATOMICS_RELACY)
    if (is_head_ref(ref)) {
        return reinterpret_cast<const map_head*>(n)->next.load(mo);
    }
    return n->next.load(mo);
#else
    static_assert(std::is_standard_layout_v<map_head> && std::is_standard_layout_v<map_node<Types>> &&
                  offsetof(map_head, next) == 0 && offsetof(map_node<Types>, next) == 0);
    if constexpr (Types::values_in_place) {
        static_assert(std::is_standard_layout_v<link_cell>);
    }
    (void)ref;
    return reinterpret_cast<const atomic<link>*>(n)->load(mo);
#endif
}
template <class Types>
link load_next(link ref, memory_order mo) noexcept {
    return load_next_at<Types>(target<Types>(ref), ref, mo);
}

// A CAS on the `next` of the node or head that `ref` leads to. An entry's
// cell in a map of values in place is only ever CASed double-width
// (link_cell.hpp): this keeps its word.
template <class Types>
bool cas_next(link ref, link& expected, link desired, memory_order success, memory_order failure) noexcept {
    if (is_head_ref(ref)) {
        return head_at(ref)->next.compare_exchange_strong(expected, desired, success, failure);
    }
    typename Types::node* n = target<Types>(ref);
    if constexpr (Types::values_in_place) {
        if (is_entry_order(n->order)) {
            return n->next.compare_exchange_link(expected, desired, success, failure);
        }
    }
    return n->next.compare_exchange_strong(expected, desired, success, failure);
}

// A key/value entry. A plain entry (plain order) has no stamp: it is the
// only live key of its group's plain part, and an iterator positions itself
// after it without one (map_core::first_after). Its versions are plain too.
//
// `value` is constructed and destroyed through the map's allocator
// (allocator_traits::construct and destroy, so that a std::pmr map gives its
// resource to keys and values that use one), by Types::make_entry and
// Types::destroy: the entry itself only reserves its place.
template <class Types, bool InPlace = Types::values_in_place>
struct map_entry : map_node<Types> {
    explicit map_entry(std::uint64_t order_) noexcept : map_node<Types>(order_, 0) {}
    ~map_entry() {}  // `value` is destroyed by Types::destroy

    union {
        typename Types::value_type value;
    };
};

// An entry of a map whose values are kept in place: the key here, the
// value in the word of the cell, where a replace changes it with the one
// CAS that also checks the entry is not frozen. 16-aligned, for that CAS.
template <class Types>
struct alignas(16) map_entry<Types, true> : map_node<Types> {
    explicit map_entry(std::uint64_t order_) noexcept : map_node<Types>(order_, 0) {}
    ~map_entry() {}  // `key` is destroyed by Types::destroy

    union {
        const typename Types::key_type key;
    };
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
    explicit map_stamped_entry(std::uint64_t order_) noexcept : map_entry<Types>(order_) {}

    static constexpr std::uint64_t unstamped = 0;
    // unstamped, then set once by a CAS and never changed again.
    atomic<std::uint64_t> stamp{unstamped};
};

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

// Whether a map keeps its values in place: in the word of each entry's cell
// (link_cell.hpp), replaced by a double-width CAS, instead of one node per
// value. For trivially copyable values that fit in a word, where the
// double-width CAS is lock-free, and that sink::keep_values_in_place selects
// (by default those whose bytes are their value).
template <class T>
inline constexpr bool value_fits_in_place = has_two_word_cas && std::is_trivially_copyable_v<T> &&
                                            sizeof(T) <= sizeof(std::uint64_t) && keep_values_in_place<T>::value;

// The allocator-dependent part: how nodes are made and freed.
//
// Every node but the two sentinels comes from the map's pool
// (detail/node_pool.hpp), which keeps the map's allocator for as long as any
// of its memory is in use: nodes are freed by whichever thread reclaims them,
// possibly after the map is gone, and find their pool through their own
// address. That is what lets the allocator be stateful (an arena, a
// std::pmr resource). A node kind that fits a pool slot gets one; a larger
// or more aligned kind gets its own allocation through the pool's
// allocator, after a word that names the pool (a "big cell", which holds a
// reference to the pool). With SINK_NODE_POOL=0 (a reference build) there is
// no pool, and the allocator must be default-constructible with all its
// instances equal, since the reclaiming thread makes its own.
template <class Key, class T, class Allocator>
struct map_types {
    using key_type = Key;
    using mapped_type = T;
    using value_type = std::pair<const Key, T>;
    using allocator_type = Allocator;
    // (Readers of values in place get copies of the key with the value: so
    // only for keys that certainly copy.)
    static constexpr bool values_in_place = value_fits_in_place<T> && key_copies<Key>::value;
    using node = map_node<map_types>;
    using entry = map_entry<map_types>;
    using stamped_entry = map_stamped_entry<map_types>;

    using alloc_traits = std::allocator_traits<Allocator>;
    // What an entry constructs through the allocator: the key and value
    // together, or the key alone when the value is in place.
    using stored_type = std::conditional_t<values_in_place, const Key, value_type>;
    using value_allocator = typename alloc_traits::template rebind_alloc<std::remove_const_t<stored_type>>;
    using value_traits = std::allocator_traits<value_allocator>;

    // An entry's key.
    static const Key& key_of(const entry* e) noexcept {
        if constexpr (values_in_place) {
            return e->key;
        } else {
            return e->value.first;
        }
    }
    // A value in place as its word, and back (zeros above a smaller value).
    static std::uint64_t word_of(const T& v) noexcept {
        std::uint64_t w = 0;
        std::memcpy(&w, std::addressof(v), sizeof(T));
        return w;
    }
    static T value_of_word(std::uint64_t w) noexcept {
        std::array<unsigned char, sizeof(T)> bytes;
        std::memcpy(bytes.data(), &w, sizeof(T));
        return std::bit_cast<T>(bytes);  // T need not be default-constructible
    }
    // The value of an entry in place, read once. Acquire: pairs with the
    // release of the CAS that stored it, so that the value is as fresh as
    // anything the reader already saw (linearizability across keys).
    static T load_value(const entry* e) noexcept {
        static_assert(values_in_place);
        return value_of_word(e->next.load_word(mo_acquire));
    }

    static constexpr bool uses_node_pool = SINK_NODE_POOL != 0;
    // Whether any allocator object will do (then none is looked up).
    static constexpr bool allocator_is_stateless =
        alloc_traits::is_always_equal::value && std::is_default_constructible_v<Allocator>;
    static_assert(uses_node_pool || allocator_is_stateless,
                  "sink::concurrent_map built with SINK_NODE_POOL=0 needs an allocator type whose instances are all "
                  "equal and default-constructible: retired nodes are freed after the map may be gone");

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

    // Whether nodes of this kind come from a pool slot (else from a big
    // cell). The model-checked build lifts the size limit: its nodes are
    // larger (every atomic is a Relacy variable), and its scenarios are
    // about slots.
    template <class Node>
    static constexpr bool in_slot = alignof(Node) <= pool_max_align &&
                                    (sizeof(Node) <= pool_max_slot_size || is_model_checked);
    static constexpr unsigned entry_class = 0, stamped_entry_class = 1;
    template <class Node>
    static constexpr pool_class_spec class_spec() noexcept {
        if constexpr (in_slot<Node>) {
            return {static_cast<std::uint32_t>(sizeof(Node)), static_cast<std::uint32_t>(alignof(Node))};
        } else {
            return {0, 8};  // unused class
        }
    }
    static constexpr std::array<pool_class_spec, pool_class_count> pool_classes{
        {class_spec<entry>(), class_spec<stamped_entry>()}};
    using pool_type = node_pool<Allocator>;

    // The map's pool, or nullptr when there is none. Holds a copy of `a`.
    static node_pool_base* make_pool(const Allocator& a) {
        if constexpr (uses_node_pool) {
            return pool_type::create(a, pool_classes);
        } else {
            (void)a;
            return nullptr;
        }
    }
    // The allocator of a pool made by make_pool (a default one without).
    static Allocator allocator_of(const node_pool_base* pool) {
        if constexpr (uses_node_pool) {
            return static_cast<const pool_type*>(pool)->get_allocator();
        } else {
            (void)pool;
            return Allocator();
        }
    }

    // Allocates and constructs an entry of `order`'s kind, its value from
    // `args` through the allocator; throws whatever the allocator or the
    // key/value constructors throw, and then leaks nothing.
    template <class... Args>
    static entry* make_entry(node_pool_base* pool, std::uint64_t order, Args&&... args) {
        if (is_stamped_order(order)) {
            return make_valued<stamped_entry>(pool, stamped_entry_class, order, std::forward<Args>(args)...);
        }
        return make_valued<entry>(pool, entry_class, order, std::forward<Args>(args)...);
    }
    // A node like `e` (never published) in the kind of `order` (same base).
    // Copies the key, moves the value; on an exception e is unchanged.
    static entry* rekind(node_pool_base* pool, entry* e, std::uint64_t order) {
        if constexpr (has_plain_entries && values_in_place) {
            entry* fresh = make_entry(pool, order, std::piecewise_construct, std::forward_as_tuple(e->key),
                                      std::forward_as_tuple(value_of_word(e->next.load_word(mo_relaxed))));
            destroy(e);
            return fresh;
        } else if constexpr (has_plain_entries) {
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
    // The start and end sentinels: never retired, freed by the map itself
    // (before it closes its pool), straight from the pool's allocator so that
    // an empty map holds no pool block.
    static node* make_sentinel(node_pool_base* pool, std::uint64_t order) {
        using sentinel_traits = std::allocator_traits<rebound<node>>;
        rebound<node> a = allocator_from<node>(pool);
        return ::new (static_cast<void*>(sentinel_traits::allocate(a, 1))) node(order, 0);
    }
    static void destroy_sentinel(node_pool_base* pool, node* w) noexcept {
        using sentinel_traits = std::allocator_traits<rebound<node>>;
        rebound<node> a = allocator_from<node>(pool);
        w->~node();
        sentinel_traits::deallocate(a, w, 1);
    }

    // How the hazard-pointer domain frees a retired node: one reclaimer for
    // all nodes of this type (an inline variable: one address per program).
    // It reaches the node's pool through the node's address, never the map:
    // it runs on any thread, after the map may be gone.
    static void reclaim_node(const reclaimer&, void* n) noexcept { destroy(static_cast<node*>(n)); }
    static constexpr reclaimer node_reclaimer{&reclaim_node};

    // Frees an entry that was never published, or that no thread can reach
    // (never a sentinel or a section head: those are not the pool's).
    static void destroy(node* n) noexcept {
        assert(is_entry_order(n->order));
        if (is_stamped_order(n->order)) {
            destroy_valued(static_cast<stamped_entry*>(n));
        } else {
            destroy_valued(static_cast<entry*>(n));
        }
    }

private:
    template <class U>
    using rebound = typename alloc_traits::template rebind_alloc<U>;

    // A copy of the map's allocator, rebound to U: from the pool, which holds
    // the map's (nullptr only without pools).
    template <class U>
    static rebound<U> allocator_from(const node_pool_base* pool) {
        if constexpr (allocator_is_stateless) {
            (void)pool;
            return rebound<U>();  // saves looking it up
        } else {
            return static_cast<const pool_type*>(pool)->template allocator_for<U>();
        }
    }

    // A node too large or too aligned for a slot: the pool it came from, then
    // the node. The cell holds a reference to the pool.
    template <class Node>
    struct big_cell {
        node_pool_base* pool;
        alignas(Node) unsigned char storage[sizeof(Node)];
    };
    template <class Node>
    static big_cell<Node>* cell_of(Node* n) noexcept {
        return reinterpret_cast<big_cell<Node>*>(reinterpret_cast<unsigned char*>(n) -
                                                 offsetof(big_cell<Node>, storage));
    }
    // The pool that `n` came from (pooled builds only).
    template <class Node>
    static node_pool_base* pool_of(Node* n) noexcept {
        if constexpr (!uses_node_pool) {
            (void)n;
            return nullptr;
        } else if constexpr (in_slot<Node>) {
            return block_of(n)->pool;
        } else {
            return cell_of(n)->pool;
        }
    }

    // Raw memory for a node of kind Node: a slot, a big cell, or (without
    // pools) one allocation. Throws what the allocator throws.
    template <class Node>
    static void* allocate_node(node_pool_base* pool, unsigned cls) {
        if constexpr (!uses_node_pool) {
            (void)cls;
            rebound<Node> a = allocator_from<Node>(pool);
            return std::allocator_traits<rebound<Node>>::allocate(a, 1);
        } else if constexpr (in_slot<Node>) {
            assert(pool != nullptr);
            return pool->allocate(cls);
        } else {
            (void)cls;
            rebound<big_cell<Node>> a = allocator_from<big_cell<Node>>(pool);
            big_cell<Node>* c = ::new (static_cast<void*>(std::allocator_traits<rebound<big_cell<Node>>>::allocate(a, 1)))
                big_cell<Node>;
            c->pool = pool;  // immutable; published with the node
            pool->ref();  // dropped by free_node, after the cell is freed
            return c->storage;
        }
    }
    // Destroys a node's header and frees its memory (its value, if any, is
    // already destroyed or was never constructed).
    template <class Node>
    static void free_node(Node* n) noexcept {
        if constexpr (!uses_node_pool) {
            n->~Node();
            rebound<Node> a = allocator_from<Node>(nullptr);
            std::allocator_traits<rebound<Node>>::deallocate(a, n, 1);
        } else if constexpr (in_slot<Node>) {
            n->~Node();
            node_pool_base::deallocate(n);
        } else {
            big_cell<Node>* c = cell_of(n);
            node_pool_base* pool = c->pool;
            n->~Node();
            {
                rebound<big_cell<Node>> a = allocator_from<big_cell<Node>>(pool);
                std::allocator_traits<rebound<big_cell<Node>>>::deallocate(a, c, 1);
            }  // the allocator copy is gone before the pool may be
            pool->unref();
        }
    }

    template <class Node, class... Args>
    static Node* make_valued(node_pool_base* pool, unsigned cls, std::uint64_t order, Args&&... args) {
        if constexpr (values_in_place) {
            return make_in_place<Node>(pool, cls, order, std::forward<Args>(args)...);
        } else {
            Node* n = ::new (allocate_node<Node>(pool, cls)) Node(order);
            try {
                value_allocator a = allocator_from<value_type>(pool);
                value_traits::construct(a, std::addressof(n->value), std::forward<Args>(args)...);
            } catch (...) {
                free_node(n);  // never published: free at once
                throw;
            }
            return n;
        }
    }
    // An entry in place, from the arguments of a value_type constructor:
    // (piecewise_construct, key arguments, value arguments), or a pair.
    template <class Node, class KeyArgs, class ValueArgs>
    static Node* make_in_place(node_pool_base* pool, unsigned cls, std::uint64_t order, std::piecewise_construct_t,
                               KeyArgs&& key_args, ValueArgs&& value_args) {
        const T value = std::make_from_tuple<T>(std::forward<ValueArgs>(value_args));
        Node* n = ::new (allocate_node<Node>(pool, cls)) Node(order);
        try {
            value_allocator a = allocator_from<std::remove_const_t<stored_type>>(pool);
            std::apply(
                [&](auto&&... k) {
                    value_traits::construct(a, const_cast<Key*>(std::addressof(n->key)), std::forward<decltype(k)>(k)...);
                },
                std::forward<KeyArgs>(key_args));
        } catch (...) {
            free_node(n);
            throw;
        }
        n->next.init_word(word_of(value));  // published with the node
        return n;
    }
    template <class Node, class Pair>
    static Node* make_in_place(node_pool_base* pool, unsigned cls, std::uint64_t order, Pair&& kv) {
        return make_in_place<Node>(pool, cls, order, std::piecewise_construct,
                                   std::forward_as_tuple(std::get<0>(std::forward<Pair>(kv))),
                                   std::forward_as_tuple(std::get<1>(std::forward<Pair>(kv))));
    }
    template <class Node>
    static void destroy_valued(Node* n) noexcept {
        {
            // (A stateless allocator needs no pool, so no load of it.)
            node_pool_base* pool = nullptr;
            if constexpr (!allocator_is_stateless) {
                pool = pool_of(n);
            }
            value_allocator a = allocator_from<std::remove_const_t<stored_type>>(pool);
            if constexpr (values_in_place) {
                value_traits::destroy(a, const_cast<Key*>(std::addressof(n->key)));
            } else {
                value_traits::destroy(a, std::addressof(n->value));
            }
        }
        free_node(n);
    }
};

}  // namespace detail
SINK_END_NAMESPACE
