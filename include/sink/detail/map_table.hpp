// The map's lookup table: 2^width slots, slot i pointing at the waypoint of
// prefix i (the top `width` bits of an order). Slots start empty and are
// filled lazily; a table that has been replaced has every slot set to the
// expunged marker, so that nothing is installed in it again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "sink/detail/atomic.hpp"
#include "sink/detail/map_node.hpp"
#include "sink/hazard_pointer.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

// Widths above this are never requested (2^40 slots is far beyond memory).
inline constexpr unsigned max_table_width = 40;

template <class Types>
struct map_table;

template <class Types>
struct map_table_deleter {
    void operator()(map_table<Types>* t) const noexcept;
};

template <class Types>
struct map_table : hazard_pointer_obj_base<map_table<Types>, map_table_deleter<Types>> {
    using node = typename Types::node;
    using slot_type = atomic<node*>;

    // Any non-null address that is never a node.
    static node* expunged() noexcept { return reinterpret_cast<node*>(alignof(std::max_align_t)); }

    const unsigned width;
    const std::size_t size;  // 2^width
    // The map's pool, which holds the allocator the table came from and
    // frees it with, wherever the table is reclaimed: the table holds a
    // reference to it (nullptr in builds without pools).
    node_pool_base* const pool;
    // The table this one replaced, until the sweep of it is complete; a new
    // resize starts only when it is null again (at most two tables are live).
    atomic<map_table*> old{nullptr};

    std::size_t index(std::uint64_t order) const noexcept {
        return width == 0 ? 0 : static_cast<std::size_t>(order >> (64 - width));
    }
    std::uint64_t waypoint_order(std::size_t i) const noexcept {
        return width == 0 ? 0 : static_cast<std::uint64_t>(i) << (64 - width);
    }
    // Whether this table has a slot for a waypoint of `order`.
    bool represents(std::uint64_t order) const noexcept {
        return width == 0 ? order == 0 : (order << width) == 0;
    }
    slot_type& slot(std::size_t i) noexcept { return slots()[i]; }

    // All slots empty except slot 0, which holds the start sentinel.
    static map_table* make(unsigned width, node* start, node_pool_base* pool) {
        const std::size_t n = std::size_t{1} << width;
        unit_allocator a = allocator(pool);
        unit* raw = std::allocator_traits<unit_allocator>::allocate(a, units_for(n));
        auto* t = ::new (static_cast<void*>(raw)) map_table(width, n, pool);
        for (std::size_t i = 0; i < n; ++i) {
            ::new (static_cast<void*>(t->slots() + i)) slot_type(i == 0 ? start : nullptr);
        }
        if (pool != nullptr) {
            pool->ref();  // dropped by destroy, after the table is freed
        }
        return t;
    }
    static void destroy(map_table* t) noexcept {
        const std::size_t n = t->size;
        node_pool_base* const pool = t->pool;
        for (std::size_t i = 0; i < n; ++i) {
            t->slots()[i].~slot_type();
        }
        t->~map_table();
        {
            unit_allocator a = allocator(pool);
            std::allocator_traits<unit_allocator>::deallocate(a, reinterpret_cast<unit*>(t), units_for(n));
        }  // the allocator copy is gone before the pool may be
        if (pool != nullptr) {
            pool->unref();
        }
    }

private:
    using unit = std::max_align_t;
    using unit_allocator = typename Types::alloc_traits::template rebind_alloc<unit>;
    static unit_allocator allocator(const node_pool_base* pool) {
        return unit_allocator(Types::allocator_of(pool));
    }
    static constexpr std::size_t header_bytes =
        (sizeof(map_table) + alignof(slot_type) - 1) / alignof(slot_type) * alignof(slot_type);

    map_table(unsigned width_, std::size_t size_, node_pool_base* pool_) noexcept
        : width(width_), size(size_), pool(pool_) {}

    static std::size_t units_for(std::size_t n) noexcept {
        return (header_bytes + n * sizeof(slot_type) + sizeof(unit) - 1) / sizeof(unit);
    }
    slot_type* slots() noexcept {
        return reinterpret_cast<slot_type*>(reinterpret_cast<unsigned char*>(this) + header_bytes);
    }
};

template <class Types>
void map_table_deleter<Types>::operator()(map_table<Types>* t) const noexcept {
    map_table<Types>::destroy(t);
}

}  // namespace detail
SINK_END_NAMESPACE
