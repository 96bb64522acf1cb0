// The map when memory runs out where the hazard-pointer domain needs it: a
// cut that finds no memory for the batch its nodes would be retired to
// unlinks nothing, and a write whose retry needs that cut reports
// std::bad_alloc (strong guarantee) instead of retrying until memory comes
// back. A binary of its own: it replaces the nothrow operator new, the one
// the domain allocates batches with.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "sink/concurrent_map.hpp"

namespace {
std::atomic<bool> fail_nothrow{false};
std::atomic<long> nothrow_failures{0};
// After this many failures memory "comes back", so that a write that
// retries without end still finishes, and the count shows it.
constexpr long failures_before_memory_returns = 10000;
}  // namespace

void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    if (fail_nothrow.load(std::memory_order_relaxed) &&
        nothrow_failures.fetch_add(1, std::memory_order_relaxed) < failures_before_memory_returns) {
        return nullptr;
    }
    return std::malloc(n != 0 ? n : 1);
}
void* operator new(std::size_t n) {
    if (void* p = std::malloc(n != 0 ? n : 1)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using sink::concurrent_map;
using sink::concurrent_map_options;
using sink::hazard_pointer_domain;
using sink::reclamation_policy;

TEST(MapOutOfMemory, AWriteThatNeedsAnUncutRunThrowsBadAllocInsteadOfRetrying) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    concurrent_map_options options;
    options.domain = &domain;
    options.grow_on_insert_count = 0;  // one section: the two keys are neighbours
    options.shrink_on_empty_count = 0;
    concurrent_map<int, int> m(options);
    // lo comes right before hi in the list.
    m.store(1, 1);
    m.store(2, 2);
    std::vector<int> order;
    m.range([&](int k, int) {
        order.push_back(k);
        return true;
    });
    const int lo = order.at(0);
    const int hi = order.at(1);
    m.erase(hi);
    domain.drain();

    bool threw = false;
    // A new thread: no batch of its own yet, so its first cut needs one.
    std::thread([&] {
        fail_nothrow.store(true);
        EXPECT_TRUE(m.erase(lo));  // erased; its cut is skipped, so lo stays in the list, frozen
        try {
            m.store(hi, 3);  // its insert point is right after lo: the retry needs lo cut out
        } catch (const std::bad_alloc&) {
            threw = true;
        }
        fail_nothrow.store(false);
    }).join();
    EXPECT_TRUE(threw) << "the write did not report the allocation failure";
    EXPECT_LT(nothrow_failures.load(), failures_before_memory_returns)
        << "the write retried without memory (and finished only when memory came back)";
    EXPECT_FALSE(m.contains(lo));
    // Memory is back: the same write works and the map is sound.
    m.store(hi, 3);
    EXPECT_EQ(m.load(hi), 3);
    EXPECT_EQ(m.size(), 1u);
    EXPECT_TRUE(m.verify());
}

}  // namespace
