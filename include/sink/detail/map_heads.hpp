// The section heads of sink::concurrent_map and the segments that hold them.
//
// A section of width w is the set of orders that share their top w bits
// (the section's prefix). Its head is a map_head, its `next` alone (8
// bytes), whose order is the prefix followed by zeros: it sorts before every
// entry of its section, and a walk to a key starts there. The order is not
// stored: it follows from the head's place (level and index) in its
// segment, and every link that leads to a head carries the level
// (map_node.hpp), so a walk that steps onto one finds its order with the
// directory entry of that level (order_of_head).
// Heads live in segments, not in the node pool: segment k (1 <= k <= 40)
// holds the 2^(k-1) heads whose prefix has exactly k significant bits (the
// odd prefixes of width k), so growing from width w to w + 1 adds segment
// w + 1 and moves no head: a section of width w keeps its head, which is
// also the head of the even section of width w + 1 that starts where it
// does. The start sentinel is the head of prefix 0 at every width.
//
// A segment is a block retired as a range (hazard_record.hpp,
// retired_range): walkers publish the address of a head inside it, never
// the segment's own. docs/design.md ("section heads") has the protocol that
// links heads into the list and takes them out; this file has only their
// storage and addressing.
#pragma once

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "sink/detail/atomic.hpp"
#include "sink/detail/fault.hpp"
#include "sink/detail/hazard_record.hpp"
#include "sink/detail/map_node.hpp"
#include "sink/detail/node_pool.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

// Widths above this are never requested (2^40 sections is far beyond memory).
inline constexpr unsigned max_table_width = 40;

// Where the head of a nonzero prefix lives: segment `level`, at `index`.
struct head_place {
    unsigned level;
    std::uint64_t index;
};

// The prefix of width `width` (1..64) of an order.
inline constexpr std::uint64_t prefix_of(std::uint64_t order, unsigned width) noexcept {
    return width == 0 ? 0 : order >> (64 - width);
}

// The head of prefix p != 0 at width w: its significant bits are the top
// w - ctz(p) of them, so that is its segment, and the bits above its lowest
// set bit are its index there.
inline constexpr head_place place_of(std::uint64_t prefix, unsigned width) noexcept {
    const auto zeros = static_cast<unsigned>(std::countr_zero(prefix));
    return head_place{width - zeros, prefix >> (zeros + 1)};
}

// The order of the head at `place`: its prefix (index, then a one) at the top.
inline constexpr std::uint64_t head_order(head_place place) noexcept {
    return ((place.index << 1) | 1) << (64 - place.level);
}

// The prefix whose head a walk falls back on when p's head cannot be used:
// p without its lowest set bit, a head of a lower level that sorts before
// p's and whose section contains p's. 0 (the start sentinel) at the end.
inline constexpr std::uint64_t parent_prefix(std::uint64_t prefix) noexcept { return prefix & (prefix - 1); }

inline constexpr std::uint64_t heads_in_segment(unsigned level) noexcept { return std::uint64_t{1} << (level - 1); }

template <class Types>
struct head_segment;

// A segment of heads, allocated through the map's allocator (its pool keeps
// the allocator alive for as long as the segment exists, as for nodes).
template <class Types>
struct head_segment : retired_range {
    const unsigned level;
    node_pool_base* const pool;
    // Who keeps the segment from being retired: 1 for the directory while
    // the segment is in it, plus one for each installer working on one of
    // its heads. A shrink frees the segment only after taking it out of the
    // list and the directory, but an installer may link a head the shrink
    // froze after the shrink's walk passed its place; it takes that head
    // out again itself, and only then lets go. Whoever lets go last retires
    // the segment, so it is retired only once no head of it can be in the
    // list again (map_sections.hpp, finish_shrink).
    atomic<std::uint64_t> holds;
    // The generation of the shape that a shrink taking this segment out
    // set (0: none), so that a shrink's helpers take out only its victim,
    // never a segment that a later grow put at the same level.
    atomic<std::uint64_t> doomed;

    // A hold for an installer; false once the last hold is gone (the
    // segment is retired or about to be). Acq_rel: the holds are totally
    // ordered, and the last release happens-before the retire.
    bool try_hold() noexcept {
        std::uint64_t n = holds.load(mo_relaxed);
        do {
            if (n == 0) {
                return false;
            }
        } while (!holds.compare_exchange_weak(n, n + 1, mo_acq_rel, mo_relaxed));
        return true;
    }
    // Lets go of a hold; true if it was the last: the caller retires.
    bool release_hold() noexcept { return holds.fetch_sub(1, mo_acq_rel) == 1; }
    // Marks the segment as the victim of the shrink of generation g (the
    // largest mark wins: a stale shrinker's never replaces a later one's).
    void doom(std::uint64_t g) noexcept {
        std::uint64_t m = doomed.load(mo_relaxed);
        while (m < g && !doomed.compare_exchange_weak(m, g, mo_release, mo_relaxed)) {
        }
    }

    map_head& head(std::uint64_t index) noexcept { return heads()[index]; }
    map_head* heads() noexcept {
        return reinterpret_cast<map_head*>(reinterpret_cast<unsigned char*>(this) + header_bytes);
    }
    // The address of head 0 of a segment at `s`, without reading it.
    static std::uintptr_t heads_address(const head_segment* s) noexcept {
        return reinterpret_cast<std::uintptr_t>(s) + header_bytes;
    }
    // Every head unlinked (next 0).
    static head_segment* make(unsigned level, node_pool_base* pool) {
        const std::uint64_t n = heads_in_segment(level);
        unit_allocator a = allocator(pool);
        unit* raw = std::allocator_traits<unit_allocator>::allocate(a, units_for(n));
        auto* s = ::new (static_cast<void*>(raw)) head_segment(level, pool);
        for (std::uint64_t i = 0; i < n; ++i) {
            ::new (static_cast<void*>(s->heads() + i)) map_head(0);
        }
        s->holds.store(1, mo_relaxed);  // the directory's; published with the segment
        s->doomed.store(0, mo_relaxed);
        s->bytes = header_bytes + n * sizeof(map_head);
        // The level goes into the top bits of links to the heads.
        assert((reinterpret_cast<link>(s) + s->bytes) >> head_level_shift == 0);
        s->free_range = [](retired_range* r) noexcept { destroy(static_cast<head_segment*>(r)); };
        if (pool != nullptr) {
            pool->ref();  // dropped by destroy, after the segment is freed
        }
        return s;
    }
    static void destroy(head_segment* s) noexcept {
        const std::uint64_t n = heads_in_segment(s->level);
        node_pool_base* const pool = s->pool;
        for (std::uint64_t i = 0; i < n; ++i) {
            s->heads()[i].~map_head();
        }
        s->~head_segment();
        {
            unit_allocator a = allocator(pool);
            std::allocator_traits<unit_allocator>::deallocate(a, reinterpret_cast<unit*>(s), units_for(n));
        }  // the allocator copy is gone before the pool may be
        if (pool != nullptr) {
            pool->unref();
        }
    }

private:
    using unit = std::max_align_t;
    using unit_allocator = typename Types::alloc_traits::template rebind_alloc<unit>;
    static unit_allocator allocator(const node_pool_base* pool) { return unit_allocator(Types::allocator_of(pool)); }
    static constexpr std::size_t header_bytes = (sizeof(head_segment) + alignof(map_head) - 1) / alignof(map_head) * alignof(map_head);

    head_segment(unsigned level_, node_pool_base* pool_) noexcept : level(level_), pool(pool_) {}

    static std::size_t units_for(std::uint64_t n) noexcept {
        return static_cast<std::size_t>((header_bytes + n * sizeof(map_head) + sizeof(unit) - 1) / sizeof(unit));
    }
};

// The order of the head that `ref` (a head's ref) leads to: from its place
// in the segment that the directory holds at the ref's level. Reads the
// directory entry only, never the segment: the address is compared, not
// followed. False if the head is not in that segment: its own left the
// directory (a shrink took it out; the directory may hold a later grow's
// at the level now). The caller protects the head, so its segment is not
// freed and no new one can overlap it. A shrink froze every head of its
// segment before it cleared the directory entry, so after this acquire
// load reads the clearing (or anything after it), a load of the head's
// `next` reads the freeze.
template <class Types>
bool order_of_head(const atomic<head_segment<Types>*>* directory, link ref, std::uint64_t& order) noexcept {
    const unsigned level = head_level_of(ref);
    const head_segment<Types>* seg = directory[level].load(mo_acquire);
    if (seg == nullptr) {
        return false;
    }
    const std::uintptr_t offset = (ref & address_mask) - head_segment<Types>::heads_address(seg);
    const std::uint64_t index = offset / sizeof(map_head);
    if (index >= heads_in_segment(level) && !fault::head_order_unchecked) {
        return false;  // (below the segment the offset wrapped: also out)
    }
    order = head_order(head_place{level, index});
    return true;
}

}  // namespace detail
SINK_END_NAMESPACE
