// Test types for concurrent_map: a value that counts its instances, hashes
// and equalities that throw on demand or collide on purpose, and an
// allocator that fails on the Nth allocation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sink/concurrent_map_options.hpp"
#include "sink/detail/map_node.hpp"

namespace sink_test {

// Options for a tiny map whose table grows and shrinks all the time: small
// sections, and no load conditions on the resizes (with them a small map
// under churn would keep its table, which is the point in production and
// not in these tests).
inline sink::concurrent_map_options resizing_options(sink::hazard_pointer_domain& domain) {
    sink::concurrent_map_options o;
    o.grow_on_insert_count = 2;
    o.grow_min_load_percent = 0;
    o.shrink_max_load_percent = 0;
    o.domain = &domain;
    return o;
}

// A number the map keeps one node per version of (never in place: its copy
// constructor is not trivial), for the tests of the version path; it
// converts to and from T, so that tests read as with plain numbers.
template <class T>
struct versioned {
    versioned(T v = 0) : value(v) {}  // NOLINT: implicit on purpose
    versioned(const versioned& o) : value(o.value) {}
    versioned& operator=(const versioned&) = default;
    operator T() const { return value; }  // NOLINT: implicit on purpose
    T value;
};
static_assert(!sink::detail::value_fits_in_place<versioned<int>>);

// Every construction and destruction is counted; live() must return to zero.
struct counted {
    static inline std::atomic<long> instances{0};
    static long live() { return instances.load(); }

    counted(int v = 0) : value(v) { instances.fetch_add(1); }  // NOLINT: implicit on purpose
    counted(const counted& o) : value(o.value) { instances.fetch_add(1); }
    counted(counted&& o) noexcept : value(o.value) { instances.fetch_add(1); }
    counted& operator=(const counted&) = default;
    ~counted() { instances.fetch_sub(1); }
    friend bool operator==(const counted& a, const counted& b) { return a.value == b.value; }

    int value;
};

// A value whose copy constructor throws while `armed` is set.
struct fragile {
    static inline std::atomic<bool> armed{false};
    fragile(int v = 0) : value(v) {}  // NOLINT
    fragile(const fragile& o) : value(o.value) {
        if (armed.load()) {
            throw std::runtime_error("fragile copy");
        }
    }
    friend bool operator==(const fragile& a, const fragile& b) { return a.value == b.value; }
    int value;
};

struct move_only {
    explicit move_only(int v = 0) : value(std::make_unique<int>(v)) {}
    std::unique_ptr<int> value;
};

// Hash and equality that throw while armed.
struct throwing_hash {
    static inline std::atomic<bool> armed{false};
    std::size_t operator()(int k) const {
        if (armed.load()) {
            throw std::runtime_error("hash");
        }
        return std::hash<int>{}(k);
    }
};
struct throwing_equal {
    static inline std::atomic<bool> armed{false};
    bool operator()(int a, int b) const {
        if (armed.load()) {
            throw std::runtime_error("equal");
        }
        return a == b;
    }
};

// Every key on one hash value: one group of equal order.
struct constant_hash {
    template <class K>
    std::size_t operator()(const K&) const noexcept {
        return 42;
    }
};
// Keys that differ only in the top or the bottom bits of their hash (before
// sink's mixing, which must spread them anyway).
struct top_bits_hash {
    std::size_t operator()(int k) const noexcept { return static_cast<std::size_t>(k) << 48; }
};
struct bottom_bits_hash {
    std::size_t operator()(int k) const noexcept { return static_cast<std::size_t>(k & 0xff); }
};

// Transparent string hashing for heterogeneous lookup.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
struct string_equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

// Fails (throws bad_alloc) on the Nth allocation after arm(N); stateless.
struct allocation_budget {
    static inline std::atomic<long> remaining{-1};  // -1: unlimited
    static void arm(long n) { remaining.store(n); }
    static void disarm() { remaining.store(-1); }
    static void charge() {
        long r = remaining.load();
        while (r >= 0) {
            if (r == 0) {
                throw std::bad_alloc();
            }
            if (remaining.compare_exchange_weak(r, r - 1)) {
                return;
            }
        }
    }
};
template <class T>
struct failing_allocator {
    using value_type = T;
    using is_always_equal = std::true_type;
    failing_allocator() = default;
    template <class U>
    failing_allocator(const failing_allocator<U>&) noexcept {}  // NOLINT
    T* allocate(std::size_t n) {
        allocation_budget::charge();
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
    template <class U>
    friend bool operator==(const failing_allocator&, const failing_allocator<U>&) noexcept {
        return true;
    }
};

}  // namespace sink_test
