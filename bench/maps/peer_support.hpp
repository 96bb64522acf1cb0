// Small pieces shared by the peer adapters.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace sink_bench {

// The mapped value of the maps that do not replace a value atomically
// themselves (libcds SplitListMap and MichaelHashMap, TBB
// concurrent_unordered_map, xenium vyukov_hash_map). Their functor or
// iterator APIs hand out a reference to a value that other threads read at
// the same time, so a plain uint64_t written there would be a data race: an
// upsert stores with release, a find loads with acquire, and an increment
// is one read-modify-write that does both. A copy is only ever made of a
// value no other thread sees yet (node construction), hence the relaxed
// loads in the copy operations.
class atomic_value {
public:
    atomic_value() noexcept = default;
    atomic_value(std::uint64_t value) noexcept : value_(value) {}  // NOLINT: implicit, as the maps construct it
    atomic_value(const atomic_value& other) noexcept : value_(other.value_.load(std::memory_order_relaxed)) {}
    atomic_value& operator=(const atomic_value& other) noexcept {
        value_.store(other.value_.load(std::memory_order_relaxed), std::memory_order_relaxed);
        return *this;
    }

    std::uint64_t load() const noexcept { return value_.load(std::memory_order_acquire); }
    void store(std::uint64_t value) noexcept { value_.store(value, std::memory_order_release); }
    void increment() noexcept { value_.fetch_add(1, std::memory_order_acq_rel); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// thread_scope of the maps that need no per-thread set-up. Its constructor
// and destructor are user-provided, as adapter.hpp declares them, so that
// `typename Map::thread_scope scope;` is not an "unused variable" to g++
// (it warns about unused objects of trivially constructible types).
struct no_thread_scope {
    no_thread_scope() noexcept {}   // NOLINT(modernize-use-equals-default): see above
    ~no_thread_scope() noexcept {}  // NOLINT(modernize-use-equals-default)
    no_thread_scope(const no_thread_scope&) = delete;
    no_thread_scope& operator=(const no_thread_scope&) = delete;
};

// Three-way key comparison for the ordered lists under the libcds maps
// (libcds's opt::compare: negative, zero, positive). The string overload
// takes string_views, so that a lookup by string_view compares without
// building a std::string, like key_equal does for the hash maps.
struct key_compare {
    int operator()(std::uint64_t a, std::uint64_t b) const noexcept { return a < b ? -1 : (b < a ? 1 : 0); }
    int operator()(std::string_view a, std::string_view b) const noexcept { return a.compare(b); }
};

}  // namespace sink_bench
