// The atomics seam: the backend this binary was built for is the one in use,
// and the operations the library relies on behave as std::atomic's do.
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <type_traits>

#include "sink/detail/atomic.hpp"
#include "sink/detail/link_cell.hpp"

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

// ---- link_cell: a link and a word under one double-width CAS ----------------

namespace {

#if !defined(SINK_NO_LINK_CELL)
struct alignas(16) aligned_cell {
    d::link_cell cell{0};
};

TEST(LinkCell, BothWordsCompareAndSwapTogether) {
    aligned_cell c;
    c.cell.store(8, d::mo_relaxed);
    c.cell.init_word(5);
    d::two_words expected{8, 4};
    EXPECT_FALSE(c.cell.compare_exchange_both(expected, d::two_words{16, 6}));  // the word differs
    EXPECT_EQ(expected, (d::two_words{8, 5}));
    EXPECT_TRUE(c.cell.compare_exchange_both(expected, d::two_words{16, 6}));
    EXPECT_EQ(c.cell.load(d::mo_acquire), 16u);
    EXPECT_EQ(c.cell.load_word(d::mo_acquire), 6u);
    expected = d::two_words{8, 6};
    EXPECT_FALSE(c.cell.compare_exchange_both(expected, d::two_words{24, 6}));  // the link differs
    EXPECT_EQ(expected, (d::two_words{16, 6}));
}

TEST(LinkCell, ALinkCasKeepsTheWordAndFailsOnlyOnTheLink) {
    aligned_cell c;
    c.cell.store(8, d::mo_relaxed);
    c.cell.init_word(7);
    d::link expected = 16;
    EXPECT_FALSE(c.cell.compare_exchange_link(expected, 24, d::mo_acq_rel, d::mo_acquire));
    EXPECT_EQ(expected, 8u);
    EXPECT_TRUE(c.cell.compare_exchange_link(expected, 24 | 1, d::mo_acq_rel, d::mo_acquire));
    EXPECT_EQ(c.cell.load(d::mo_acquire), 25u);
    EXPECT_EQ(c.cell.load_word(d::mo_acquire), 7u);
}

// One thread bumps the word, keeping the link; the other bumps the link,
// keeping the word. Neither may lose the other's updates.
TEST(LinkCell, WordAndLinkUpdatesFromTwoThreadsAreAllKept) {
    constexpr std::uint64_t rounds = 200000;
    aligned_cell c;
    std::thread words([&] {
        d::two_words seen{c.cell.load(d::mo_relaxed), c.cell.load_word(d::mo_relaxed)};
        for (std::uint64_t i = 0; i < rounds; ++i) {
            while (!c.cell.compare_exchange_both(seen, d::two_words{seen.next, seen.word + 1})) {
            }
        }
    });
    for (std::uint64_t i = 0; i < rounds; ++i) {
        d::link l = c.cell.load(d::mo_relaxed);
        while (!c.cell.compare_exchange_link(l, l + 8, d::mo_acq_rel, d::mo_acquire)) {
        }
    }
    words.join();
    EXPECT_EQ(c.cell.load(d::mo_acquire), rounds * 8);
    EXPECT_EQ(c.cell.load_word(d::mo_acquire), rounds);
}
#endif

TEST(LinkCell, x86_64HasTheDoubleWidthCas) {
#if defined(__x86_64__)
    EXPECT_TRUE(d::has_two_word_cas);  // -mcx16 comes with sink::sink
#endif
}

}  // namespace
