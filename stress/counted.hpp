// The value type of every stress map: a payload (an integer or a string)
// wrapped in a type that counts its live instances and marks itself dead in
// its destructor. Check 3 (exactly-once destruction) rests on it:
//   - a destructor that finds the mark already dead reports a second
//     destruction (ASan reports it first, as a use after free, when the
//     memory was also freed);
//   - at every quiescent point, after a drain, the live count equals the
//     number of entries in the map (no value leaked, none destroyed early);
//   - after the map and its domain are destroyed, it is zero.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "report.hpp"

namespace sink_stress {

namespace detail {
struct alignas(64) live_stripe {
    std::atomic<long> n{0};
};
}  // namespace detail

// A count of live values, striped over cache lines: values are made and
// destroyed on every thread and on every call, and one shared counter would
// serialise the threads far more than the map does. Exact when quiescent.
class live_values {
public:
    static void add(long d) noexcept { cells_[cell()].n.fetch_add(d, std::memory_order_relaxed); }
    static long count() noexcept {
        long sum = 0;
        for (const auto& c : cells_) {
            sum += c.n.load(std::memory_order_relaxed);
        }
        return sum;
    }

private:
    static constexpr std::size_t stripes = 64;
    static std::size_t cell() noexcept {
        static std::atomic<std::size_t> next{0};
        thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % stripes;
        return mine;
    }
    static inline detail::live_stripe cells_[stripes];
};

template <class Payload>
class counted {
public:
    explicit counted(Payload p) : payload_(std::move(p)) { live_values::add(1); }
    counted(const counted& o) : payload_(o.payload()) { live_values::add(1); }
    // A "move" copies, so that the source stays a whole, countable value.
    counted(counted&& o) : counted(static_cast<const counted&>(o)) {}
    counted& operator=(const counted&) = delete;
    ~counted() {
        if (mark_ != alive) {
            fail("destruction", "a value was destroyed twice, or a destroyed value was destroyed again");
        }
        mark_ = dead;  // volatile: the store must survive dead-store elimination
        live_values::add(-1);
    }

    const Payload& payload() const {
        if (mark_ != alive) {
            fail("destruction", "a value was read after its destructor ran");
        }
        return payload_;
    }
    friend bool operator==(const counted& a, const counted& b) { return a.payload() == b.payload(); }

private:
    static constexpr std::uint32_t alive = 0x5ca1ab1e;
    static constexpr std::uint32_t dead = 0xdeadbeef;
    Payload payload_;
    volatile std::uint32_t mark_ = alive;
};

}  // namespace sink_stress
