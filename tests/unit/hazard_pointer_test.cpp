// Hazard pointers: protection, retirement, reclamation, thread exit and the
// bound on retired-but-unfreed objects. Every test that can uses a domain of
// its own, so counters and policies do not leak between tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "sink/hazard_pointer.hpp"

namespace {

using sink::hazard_pointer;
using sink::hazard_pointer_domain;
using sink::make_hazard_pointer;
using sink::reclamation_policy;

// Counts, per object, how often it was destroyed. Declared before the domain
// in each test, so that it outlives the objects the domain frees last.
class ledger {
public:
    explicit ledger(std::size_t n) : destroyed_(n) {}
    void destroyed(std::size_t id) { destroyed_.at(id).fetch_add(1, std::memory_order_relaxed); }
    int times_destroyed(std::size_t id) const { return destroyed_.at(id).load(std::memory_order_relaxed); }
    std::size_t size() const { return destroyed_.size(); }

private:
    std::deque<std::atomic<int>> destroyed_;
};

constexpr std::uint64_t live_magic = 0x5EEDF00DCAFEBABEull;
constexpr std::uint64_t dead_magic = 0xDEADDEADDEADDEADull;

struct counted : sink::hazard_pointer_obj_base<counted> {
    counted(std::size_t id_, ledger* book_) : id(id_), book(book_) {}
    ~counted() {
        magic.store(dead_magic, std::memory_order_relaxed);
        if (book != nullptr) {
            book->destroyed(id);
        }
    }
    std::atomic<std::uint64_t> magic{live_magic};
    std::size_t id;
    ledger* book;
};

// ---------------------------------------------------------------------------
// The hazard_pointer object itself.

TEST(HazardPointer, DefaultConstructedIsEmptyAndMadeIsNot) {
    hazard_pointer_domain domain;
    hazard_pointer empty;
    EXPECT_TRUE(empty.empty());
    hazard_pointer hp = make_hazard_pointer(domain);
    EXPECT_FALSE(hp.empty());
    hazard_pointer moved = std::move(hp);
    EXPECT_TRUE(hp.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_FALSE(moved.empty());
    swap(moved, empty);
    EXPECT_TRUE(moved.empty());
    EXPECT_FALSE(empty.empty());
}

TEST(HazardPointer, ProtectReturnsTheCurrentValue) {
    ledger book(2);
    hazard_pointer_domain domain;
    auto* a = new counted(0, &book);
    auto* b = new counted(1, &book);
    sink::detail::atomic<counted*> src{a};
    hazard_pointer hp = make_hazard_pointer(domain);
    EXPECT_EQ(hp.protect(src), a);

    counted* expected = b;  // stale guess
    EXPECT_FALSE(hp.try_protect(expected, src));
    EXPECT_EQ(expected, a);  // updated to what src holds
    EXPECT_TRUE(hp.try_protect(expected, src));
    hp.reset_protection();
    delete a;
    delete b;
}

TEST(HazardPointer, ProtectsTaggedValuesThroughAConversion) {
    ledger book(1);
    hazard_pointer_domain domain;
    auto* a = new counted(0, &book);
    const std::uintptr_t tagged = reinterpret_cast<std::uintptr_t>(a) | 1u;
    sink::detail::atomic<std::uintptr_t> src{tagged};
    auto untag = [](std::uintptr_t v) noexcept { return reinterpret_cast<counted*>(v & ~std::uintptr_t{1}); };
    hazard_pointer hp = make_hazard_pointer(domain);
    EXPECT_EQ(hp.protect(src, untag), tagged);
    a->retire({}, domain);
    EXPECT_EQ(domain.drain(), 0u) << "the untagged pointer must be what is protected";
    hp.reset_protection();
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(book.times_destroyed(0), 1);
}

// ---------------------------------------------------------------------------
// Protection against reclamation.

class HazardPointerPolicy : public ::testing::TestWithParam<reclamation_policy> {};

TEST_P(HazardPointerPolicy, ProtectedObjectIsNotFreedUntilProtectionEnds) {
    ledger book(1);
    hazard_pointer_domain domain(GetParam());
    sink::detail::atomic<counted*> src{new counted(0, &book)};
    hazard_pointer hp = make_hazard_pointer(domain);
    counted* p = hp.protect(src);
    src.store(nullptr);  // unlink
    p->retire({}, domain);
    EXPECT_EQ(domain.drain(), 0u);
    EXPECT_EQ(book.times_destroyed(0), 0);
    EXPECT_EQ(p->magic.load(), live_magic);
    hp.reset_protection();
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(book.times_destroyed(0), 1);
}

TEST_P(HazardPointerPolicy, ResetProtectionWithAPointerProtectsIt) {
    ledger book(1);
    hazard_pointer_domain domain(GetParam());
    auto* p = new counted(0, &book);
    hazard_pointer hp = make_hazard_pointer(domain);
    hp.reset_protection(p);  // the caller has proved reachability otherwise
    p->retire({}, domain);
    EXPECT_EQ(domain.drain(), 0u);
    hp.reset_protection(static_cast<counted*>(nullptr));
    EXPECT_EQ(domain.drain(), 1u);
}

TEST_P(HazardPointerPolicy, MovedHazardPointerKeepsProtecting) {
    ledger book(1);
    hazard_pointer_domain domain(GetParam());
    sink::detail::atomic<counted*> src{new counted(0, &book)};
    hazard_pointer hp = make_hazard_pointer(domain);
    counted* p = hp.protect(src);
    p->retire({}, domain);
    hazard_pointer other = std::move(hp);
    EXPECT_EQ(domain.drain(), 0u);
    other = hazard_pointer();  // destroys the protection
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(book.times_destroyed(0), 1);
}

TEST_P(HazardPointerPolicy, RetiredObjectsAreFreedExactlyOnce) {
    constexpr std::size_t n = 5000;
    ledger book(n);
    hazard_pointer_domain domain(GetParam());
    for (std::size_t i = 0; i < n; ++i) {
        (new counted(i, &book))->retire({}, domain);
    }
    domain.drain();
    domain.drain();
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(book.times_destroyed(i), 1) << "object " << i;
    }
    const sink::hazard_pointer_stats s = domain.stats();
    EXPECT_EQ(s.retired, n);
    EXPECT_EQ(s.reclaimed, n);
    EXPECT_EQ(s.backlog, 0u);
}

TEST_P(HazardPointerPolicy, OnlyTheProtectedObjectsSurviveAScanWithManyHazards) {
    // 300 hazards is more than one pass of the scan holds (256), so this also
    // covers the multi-pass comparison.
    constexpr std::size_t protected_count = 300;
    constexpr std::size_t n = 1000;
    ledger book(n);
    hazard_pointer_domain domain(GetParam());
    std::vector<counted*> objects;
    for (std::size_t i = 0; i < n; ++i) {
        objects.push_back(new counted(i, &book));
    }
    std::vector<hazard_pointer> hps;
    for (std::size_t i = 0; i < protected_count; ++i) {
        hps.push_back(make_hazard_pointer(domain));
        hps.back().reset_protection(objects[i * 3]);  // every third object
    }
    for (counted* o : objects) {
        o->retire({}, domain);
    }
    domain.drain();
    for (std::size_t i = 0; i < n; ++i) {
        const bool is_protected = i % 3 == 0 && i / 3 < protected_count;
        ASSERT_EQ(book.times_destroyed(i), is_protected ? 0 : 1) << "object " << i;
    }
    hps.clear();
    domain.drain();
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(book.times_destroyed(i), 1) << "object " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Policies, HazardPointerPolicy,
                         ::testing::Values(reclamation_policy::lazy, reclamation_policy::eager),
                         [](const auto& info) {
                             return info.param == reclamation_policy::lazy ? std::string("lazy")
                                                                           : std::string("eager");
                         });

// ---------------------------------------------------------------------------
// When scans happen.

TEST(HazardPointerReclamation, EagerPolicyFreesOnRetire) {
    ledger book(1);
    hazard_pointer_domain domain(reclamation_policy::eager);
    (new counted(0, &book))->retire({}, domain);
    EXPECT_EQ(book.times_destroyed(0), 1);
}

TEST(HazardPointerReclamation, LazyPolicyScansAtTheThreshold) {
    ledger book(4096);  // declared first: it must outlive the domain
    hazard_pointer_domain domain(reclamation_policy::lazy);
    hazard_pointer hp = make_hazard_pointer(domain);  // binds this thread's record
    const std::size_t threshold = domain.stats().scan_threshold;
    ASSERT_GT(threshold, 1u);
    ASSERT_LE(threshold, book.size());
    for (std::size_t i = 0; i + 1 < threshold; ++i) {
        (new counted(i, &book))->retire({}, domain);
    }
    EXPECT_EQ(domain.stats().reclaimed, 0u) << "no scan before the threshold";
    (new counted(threshold - 1, &book))->retire({}, domain);
    EXPECT_EQ(domain.stats().reclaimed, threshold) << "the threshold-th retire scans";
    EXPECT_EQ(domain.stats().backlog, 0u);
}

TEST(HazardPointerReclamation, DrainTakesTheRetiredObjectsOfOtherLiveThreads) {
    ledger book(10);
    hazard_pointer_domain domain(reclamation_policy::lazy);
    std::atomic<bool> retired{false};
    std::atomic<bool> drained{false};
    std::thread other([&] {
        for (std::size_t i = 0; i < 10; ++i) {
            (new counted(i, &book))->retire({}, domain);
        }
        retired.store(true);
        while (!drained.load()) {
            std::this_thread::yield();
        }
    });
    while (!retired.load()) {
        std::this_thread::yield();
    }
    EXPECT_EQ(domain.drain(), 10u);
    drained.store(true);
    other.join();
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(book.times_destroyed(i), 1);
    }
}

TEST(HazardPointerReclamation, DestroyingTheDomainFreesEverything) {
    ledger book(100);
    {
        hazard_pointer_domain domain(reclamation_policy::lazy);
        for (std::size_t i = 0; i < 100; ++i) {
            (new counted(i, &book))->retire({}, domain);
        }
        std::thread([&] { (new counted(99, nullptr))->retire({}, domain); }).join();
    }
    for (std::size_t i = 0; i < 100; ++i) {
        EXPECT_EQ(book.times_destroyed(i), 1);
    }
}

TEST(HazardPointerReclamation, DefaultDomainReclaims) {
    sink::hazard_pointer_domain& domain = sink::hazard_pointer_default_domain();
    ledger book(1);
    sink::detail::atomic<counted*> src{new counted(0, &book)};
    hazard_pointer hp = make_hazard_pointer();
    counted* p = hp.protect(src);
    p->retire();
    domain.drain();
    EXPECT_EQ(book.times_destroyed(0), 0);
    hp.reset_protection();
    domain.drain();
    EXPECT_EQ(book.times_destroyed(0), 1);
}

// ---------------------------------------------------------------------------
// Records: slots, reuse, thread exit.

// Asymmetric fences are on wherever the library can use them (Linux, not
// under ThreadSanitizer or Relacy, not turned off): a build that silently
// lost them would pay a full fence on every publish again.
TEST(HazardPointerFences, AsymmetricWhereAvailable) {
    hazard_pointer_domain domain;
    bool expected = false;
#if defined(__linux__) && !defined(SINK_NO_ASYMMETRIC_FENCES) && !defined(__SANITIZE_THREAD__)
    expected = true;
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
    expected = false;
#endif
#endif
#endif
    // Readers follow the decision from their first publish on: the domain
    // makes it before it hands out the first slot. (Checked first: the test
    // runs in a process of its own, and stats() below would decide too.)
    hazard_pointer hp = make_hazard_pointer(domain);
    EXPECT_EQ(sink::detail::reader_fence_mode.load(), expected ? 2 : 1);
    EXPECT_EQ(sink::detail::reader_fence_is_compiler_only(), expected);
    EXPECT_EQ(domain.stats().asymmetric_fences, expected);
}

TEST(HazardPointerRecords, SlotsAreReused) {
    hazard_pointer_domain domain;
    for (int i = 0; i < 1000; ++i) {
        hazard_pointer hp = make_hazard_pointer(domain);
    }
    EXPECT_EQ(domain.stats().records, 1u);
}

TEST(HazardPointerRecords, MoreHazardPointersThanOneRecordHolds) {
    hazard_pointer_domain domain;
    const std::size_t n = 2 * sink::detail::slots_per_record + 1;
    std::vector<hazard_pointer> hps;
    for (std::size_t i = 0; i < n; ++i) {
        hps.push_back(make_hazard_pointer(domain));
    }
    EXPECT_EQ(domain.stats().records, 3u);
}

// make_hazard_pointers<N>: N distinct slots, spilling into further records
// like N single makes, and each protects like a single one.
TEST(HazardPointerRecords, ArrayOfHazardPointersTakesDistinctSlots) {
    constexpr std::size_t n = sink::detail::slots_per_record + 2;
    ledger book(n);
    hazard_pointer_domain domain;
    hazard_pointer single = make_hazard_pointer(domain);
    auto many = sink::make_hazard_pointers<n>(domain);
    EXPECT_EQ(domain.stats().records, 2u);
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_FALSE(many[i].empty());
        auto* object = new counted(i, &book);
        many[i].reset_protection(object);
        object->retire({}, domain);
    }
    EXPECT_EQ(domain.drain(), 0u);  // each slot protects its own object
    for (auto& hp : many) {
        hp = hazard_pointer();
    }
    EXPECT_EQ(domain.drain(), n);
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(book.times_destroyed(i), 1);
    }
    // The slots went back: a second array fits in the same two records.
    auto again = sink::make_hazard_pointers<n>(domain);
    EXPECT_EQ(domain.stats().records, 2u);
}

TEST(HazardPointerRecords, HazardPointerMayBeDestroyedOnAnotherThread) {
    ledger book(1);
    hazard_pointer_domain domain;
    sink::detail::atomic<counted*> src{new counted(0, &book)};
    hazard_pointer hp = make_hazard_pointer(domain);
    counted* p = hp.protect(src);
    p->retire({}, domain);
    std::thread([moved = std::move(hp)]() mutable { moved = hazard_pointer(); }).join();
    EXPECT_EQ(domain.drain(), 1u);
    // The slot went back to this thread's record and is used again.
    for (std::size_t i = 0; i < sink::detail::slots_per_record; ++i) {
        hazard_pointer again = make_hazard_pointer(domain);
    }
    EXPECT_EQ(domain.stats().records, 1u);
}

TEST(HazardPointerRecords, ThreadExitReleasesTheRecordForReuse) {
    hazard_pointer_domain domain;
    for (int i = 0; i < 20; ++i) {
        std::thread([&] { hazard_pointer hp = make_hazard_pointer(domain); }).join();
    }
    EXPECT_EQ(domain.stats().records, 1u);
}

TEST(HazardPointerRecords, SpilledRecordsAreGivenBackForOtherThreads) {
    // 100 hazard pointers at once need 13 records of 8 slots. Once this
    // thread holds only a few again, its further records go back to the
    // domain, and another thread's 100 reuse them.
    hazard_pointer_domain domain;
    {
        std::vector<hazard_pointer> many;
        for (int i = 0; i < 100; ++i) {
            many.push_back(make_hazard_pointer(domain));
        }
    }
    hazard_pointer one = make_hazard_pointer(domain);  // this thread's next acquisition gives them back
    const std::size_t after_first = domain.stats().records;
    EXPECT_GE(after_first, 13u);
    std::thread([&] {
        std::vector<hazard_pointer> many;
        for (int i = 0; i < 100; ++i) {
            many.push_back(make_hazard_pointer(domain));
        }
    }).join();
    EXPECT_LE(domain.stats().records, after_first + 1) << "the other thread could not reuse the spilled records";
}

// A thread_local made before the thread's first hazard pointer is destroyed
// after the domain's exit hook; if its destructor makes a hazard pointer, the
// binding it makes must still be released when the thread is gone.
hazard_pointer_domain* late_domain = nullptr;
struct late_user {
    bool used = false;
    ~late_user() {
        if (used && late_domain != nullptr) {
            hazard_pointer hp = make_hazard_pointer(*late_domain);
        }
    }
};

TEST(HazardPointerRecords, ABindingMadeAfterTheExitHookIsReleased) {
    hazard_pointer_domain domain;
    late_domain = &domain;
    for (int i = 0; i < 1000; ++i) {
        std::thread([&] {
            thread_local late_user user;  // constructed before the exit hook, so destroyed after it
            user.used = true;
            hazard_pointer hp = make_hazard_pointer(domain);
        }).join();
    }
    late_domain = nullptr;
    EXPECT_LE(domain.stats().records, 2u) << "records bound after the exit hook were never released";
}

TEST(HazardPointerRecords, ThreadExitHandsRetiredObjectsToTheDomain) {
    constexpr std::size_t n = 10;  // below any scan threshold
    ledger book(n);
    hazard_pointer_domain domain(reclamation_policy::lazy);
    std::vector<counted*> objects;
    for (std::size_t i = 0; i < n; ++i) {
        objects.push_back(new counted(i, &book));
    }
    hazard_pointer hp = make_hazard_pointer(domain);
    hp.reset_protection(objects[0]);
    std::thread([&] {
        for (counted* o : objects) {
            o->retire({}, domain);
        }
    }).join();
    // The exiting thread freed what was unprotected and handed over the rest.
    for (std::size_t i = 1; i < n; ++i) {
        EXPECT_EQ(book.times_destroyed(i), 1) << "object " << i;
    }
    EXPECT_EQ(book.times_destroyed(0), 0);
    EXPECT_EQ(domain.stats().backlog, 1u);
    hp.reset_protection();
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(book.times_destroyed(0), 1);
}

TEST(HazardPointerRecords, ThreadExitReleasesBindingsToEveryDomain) {
    // More domains than a thread keeps bindings for at once: bindings are
    // evicted (handing their objects over), and all are released at exit.
    constexpr std::size_t domains = 7;
    std::vector<std::unique_ptr<hazard_pointer_domain>> ds;
    for (std::size_t i = 0; i < domains; ++i) {
        ds.push_back(std::make_unique<hazard_pointer_domain>(reclamation_policy::lazy));
    }
    ledger book(domains);
    std::thread([&] {
        for (std::size_t i = 0; i < domains; ++i) {
            hazard_pointer hp = make_hazard_pointer(*ds[i]);
            (new counted(i, &book))->retire({}, *ds[i]);
        }
    }).join();
    for (std::size_t i = 0; i < domains; ++i) {
        EXPECT_EQ(book.times_destroyed(i), 1) << "domain " << i;
        EXPECT_EQ(ds[i]->stats().backlog, 0u);
        std::thread([&] { hazard_pointer hp = make_hazard_pointer(*ds[i]); }).join();
        EXPECT_EQ(ds[i]->stats().records, 1u) << "the record was released and reused";
    }
}

TEST(HazardPointerRecords, ADomainMayDieBeforeAThreadThatUsedIt) {
    std::atomic<bool> domain_gone{false};
    auto domain = std::make_unique<hazard_pointer_domain>();
    std::atomic<bool> used{false};
    std::thread t([&] {
        { hazard_pointer hp = make_hazard_pointer(*domain); }
        used.store(true);
        while (!domain_gone.load()) {
            std::this_thread::yield();
        }
        // A new domain may well get the same address: the stale binding must
        // not be mistaken for a binding to it.
        hazard_pointer_domain fresh;
        hazard_pointer hp = make_hazard_pointer(fresh);
        EXPECT_EQ(fresh.stats().records, 1u);
    });
    while (!used.load()) {
        std::this_thread::yield();
    }
    domain.reset();
    domain_gone.store(true);
    t.join();  // thread exit must not touch the dead domain
}

// ---------------------------------------------------------------------------
// Concurrency: protection racing retirement, and the garbage bound.

// Readers protect the object in a shared cell and check it is intact while
// writers replace and retire it. With the eager policy every retire scans, so
// a missing publish, fence or validation frees an object under a reader:
// ASan reports it, and otherwise the magic check catches a reused block.
TEST_P(HazardPointerPolicy, ProtectRacingRetireNeverSeesAFreedObject) {
    hazard_pointer_domain domain(GetParam());
    constexpr int readers = 3;
    constexpr int writers = 2;
    constexpr int writes_per_writer = 20000;
    sink::detail::atomic<counted*> cell{new counted(0, nullptr)};
    std::atomic<int> writers_done{0};
    std::atomic<long> bad{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < readers; ++r) {
        threads.emplace_back([&] {
            hazard_pointer hp = make_hazard_pointer(domain);
            while (writers_done.load(std::memory_order_acquire) < writers) {
                counted* p = hp.protect(cell);
                if (p->magic.load(std::memory_order_relaxed) != live_magic) {
                    bad.fetch_add(1);
                }
                hp.reset_protection();
            }
        });
    }
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&] {
            for (int i = 0; i < writes_per_writer; ++i) {
                counted* old = cell.exchange(new counted(0, nullptr), sink::detail::mo_acq_rel);
                old->retire({}, domain);  // unlinked by the exchange
            }
            writers_done.fetch_add(1, std::memory_order_release);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(bad.load(), 0);
    delete cell.load();
    domain.drain();
    const sink::hazard_pointer_stats s = domain.stats();
    EXPECT_EQ(s.retired, std::uint64_t{writers} * writes_per_writer);
    EXPECT_EQ(s.backlog, 0u);
}

// A retire storm: threads replace objects in shared cells and retire the old
// ones, while holding protections on random cells. In rounds of random length
// the threads meet at a barrier, where the backlog is exact, and it must stay
// within the domain's stated bound. The bound does not hold if a thread never
// scans, or scans without freeing.
TEST_P(HazardPointerPolicy, BacklogStaysWithinTheBoundUnderARetireStorm) {
    hazard_pointer_domain domain(GetParam());
    constexpr int threads = 6;  // more threads than the 2 cores CI has
    constexpr int rounds = 150;
    constexpr std::size_t cells = 64;
    constexpr int holds = 4;  // protections each thread keeps while retiring
    std::vector<sink::detail::atomic<counted*>> cell(cells);
    for (auto& c : cell) {
        c.store(new counted(0, nullptr));
    }
    std::atomic<long> live_checks_failed{0};
    std::uint64_t max_backlog = 0;
    std::size_t bound_at_max = 0;
    bool bound_violated = false;
    std::size_t final_bound = 0;
    auto check = [&]() noexcept {
        const sink::hazard_pointer_stats s = domain.stats();
        if (s.backlog > s.backlog_bound) {
            bound_violated = true;
        }
        if (s.backlog >= max_backlog) {
            max_backlog = s.backlog;
            bound_at_max = s.backlog_bound;
        }
        final_bound = s.backlog_bound;
    };
    std::barrier sync(threads, check);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            std::mt19937_64 rng(1234 + t);
            std::vector<hazard_pointer> hps;
            for (int h = 0; h < holds; ++h) {
                hps.push_back(make_hazard_pointer(domain));
            }
            for (int round = 0; round < rounds; ++round) {
                const int ops = static_cast<int>(rng() % 400);
                for (int i = 0; i < ops; ++i) {
                    hazard_pointer& hp = hps[rng() % holds];
                    counted* seen = hp.protect(cell[rng() % cells]);
                    if (seen->magic.load(std::memory_order_relaxed) != live_magic) {
                        live_checks_failed.fetch_add(1);
                    }
                    counted* old = cell[rng() % cells].exchange(new counted(0, nullptr), sink::detail::mo_acq_rel);
                    old->retire({}, domain);
                }
                sync.arrive_and_wait();
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    EXPECT_EQ(live_checks_failed.load(), 0);
    EXPECT_FALSE(bound_violated);
    EXPECT_GT(max_backlog, 0u);
    std::printf("policy %s: max backlog at a barrier %llu, bound then %zu, bound at the end %zu\n",
                GetParam() == reclamation_policy::lazy ? "lazy" : "eager",
                static_cast<unsigned long long>(max_backlog), bound_at_max, final_bound);
    for (auto& c : cell) {
        c.load()->retire({}, domain);
    }
    domain.drain();
    EXPECT_EQ(domain.stats().backlog, 0u);
}

}  // namespace
