// The atomics seam: the backend this binary was built for is the one in use,
// and the operations the library relies on behave as std::atomic's do.
#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>

#include "sink/detail/atomic.hpp"

#if defined(SINK_ATOMICS_BOOST)
#include <boost/atomic.hpp>
#endif

namespace {

namespace d = sink::detail;

TEST(AtomicSeam, SelectedBackendIsInUse) {
#if defined(SINK_ATOMICS_BOOST)
    static_assert(std::is_same_v<d::atomic<int>, boost::atomic<int>>);
#else
    static_assert(std::is_same_v<d::atomic<int>, std::atomic<int>>);
#endif
    EXPECT_FALSE(d::is_model_checked);
}

TEST(AtomicSeam, PointerOperations) {
    int a = 1;
    int b = 2;
    d::atomic<int*> p{&a};
    EXPECT_EQ(p.load(d::mo_acquire), &a);
    p.store(&b, d::mo_release);
    EXPECT_EQ(p.exchange(&a, d::mo_acq_rel), &b);
    int* expected = &b;
    EXPECT_FALSE(p.compare_exchange_strong(expected, &b, d::mo_acq_rel, d::mo_acquire));
    EXPECT_EQ(expected, &a);
    EXPECT_TRUE(p.compare_exchange_strong(expected, &b, d::mo_acq_rel, d::mo_acquire));
    EXPECT_EQ(p.load(d::mo_relaxed), &b);
}

TEST(AtomicSeam, IntegerReadModifyWrite) {
    d::atomic<std::uintptr_t> x{0};
    EXPECT_EQ(x.fetch_or(1, d::mo_acq_rel), 0u);
    EXPECT_EQ(x.fetch_add(4, d::mo_relaxed), 1u);
    EXPECT_EQ(x.fetch_sub(2, d::mo_relaxed), 5u);
    EXPECT_EQ(x.fetch_and(~std::uintptr_t{1}, d::mo_relaxed), 3u);
    EXPECT_EQ(x.load(d::mo_seq_cst), 2u);
    d::thread_fence(d::mo_seq_cst);
    d::compiler_fence(d::mo_seq_cst);
}

TEST(AtomicSeam, AllocationHonoursAlignment) {
    void* p = d::allocate_bytes(200, 128);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 128, 0u);
    d::deallocate_bytes(p, 200, 128);
}

TEST(AtomicSeam, PlainVariable) {
    d::var<int> v{3};
    EXPECT_EQ(v.get(), 3);
    v.set(4);
    EXPECT_EQ(v.get(), 4);
}

}  // namespace
