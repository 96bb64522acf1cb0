// A counter that many threads add to without sharing one cache line: each
// thread adds to one of `stripes` padded cells (chosen once per thread), and
// a read sums the cells. A read is exact when no add runs at the same time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sink/detail/atomic.hpp"

SINK_BEGIN_NAMESPACE
namespace detail {

// The cell of the calling thread: threads take cells round-robin.
inline std::size_t this_thread_stripe() noexcept {
    static std::atomic<std::size_t> next{0};  // not a model-checked variable
    thread_local const std::size_t stripe = next.fetch_add(1, std::memory_order_relaxed);
    return stripe;
}

class striped_counter {
public:
    static constexpr std::size_t stripes = 16;

    // Relaxed: a counter orders nothing; its readers only need each cell's
    // latest value, which single-variable coherence gives them.
    void add(std::int64_t delta) noexcept {
        cells_[this_thread_stripe() % stripes].value.fetch_add(delta, mo_relaxed);
    }
    std::int64_t sum() const noexcept {
        std::int64_t total = 0;
        for (const cell& c : cells_) {
            total += c.value.load(mo_relaxed);
        }
        return total;
    }

    // Exchanges the counts with `other`. Requires that no thread adds to
    // either meanwhile (a map's swap is not concurrent with its operations).
    void swap(striped_counter& other) noexcept {
        for (std::size_t i = 0; i < stripes; ++i) {
            const std::int64_t mine = cells_[i].value.load(mo_relaxed);
            cells_[i].value.store(other.cells_[i].value.load(mo_relaxed), mo_relaxed);
            other.cells_[i].value.store(mine, mo_relaxed);
        }
    }

private:
    struct alignas(cache_line_size) cell {
        atomic<std::int64_t> value{0};
    };
    cell cells_[stripes];
};

}  // namespace detail
SINK_END_NAMESPACE
