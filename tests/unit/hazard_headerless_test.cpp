// Objects retired without a header (detail::headerless_retirer): the batches
// that hold them, their scans (protected items survive, the rest are freed
// exactly once, survivors are packed), and their hand-over by drains, thread
// exits and the domain's destructor. The map retires its nodes this way.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "sink/hazard_pointer.hpp"

namespace {

using sink::hazard_pointer;
using sink::hazard_pointer_domain;
using sink::make_hazard_pointer;
using sink::reclamation_policy;
using sink::detail::headerless_retirer;
using sink::detail::retired_batch;

class ledger {
public:
    explicit ledger(std::size_t n) : destroyed_(n) {}
    void destroyed(std::size_t id) { destroyed_.at(id).fetch_add(1, std::memory_order_relaxed); }
    int times_destroyed(std::size_t id) const { return destroyed_.at(id).load(std::memory_order_relaxed); }

private:
    std::deque<std::atomic<int>> destroyed_;
};

// An object with no header at all, as the map's nodes are.
struct bare {
    std::size_t id;
};

// One reclaimer for every bare object of a test.
struct bare_reclaimer : sink::detail::reclaimer {
    explicit bare_reclaimer(ledger* book_) : reclaimer{&reclaim_bare}, book(book_) {}
    static void reclaim_bare(const reclaimer& self, void* object) noexcept {
        auto* b = static_cast<bare*>(object);
        static_cast<const bare_reclaimer&>(self).book->destroyed(b->id);
        delete b;
    }
    ledger* book;
};

// Retires `objects` through as many retirers as their room asks for.
void retire_all(hazard_pointer_domain& domain, const std::vector<bare*>& objects, const bare_reclaimer& how) {
    std::size_t i = 0;
    while (i < objects.size()) {
        headerless_retirer r(domain);
        ASSERT_GT(r.room(), 0u);
        while (r.room() != 0 && i < objects.size()) {
            r.retire(objects[i++], how);
        }
    }
}

std::vector<bare*> make_objects(std::size_t n) {
    std::vector<bare*> objects;
    for (std::size_t i = 0; i < n; ++i) {
        objects.push_back(new bare{i});
    }
    return objects;
}

class HeaderlessRetire : public ::testing::TestWithParam<reclamation_policy> {};

TEST_P(HeaderlessRetire, AProtectedObjectIsNotFreedUntilItsProtectionEnds) {
    ledger book(3);
    hazard_pointer_domain domain(GetParam());
    bare_reclaimer how(&book);
    std::vector<bare*> objects = make_objects(3);
    hazard_pointer hp = make_hazard_pointer(domain);
    hp.reset_protection(objects[1]);
    retire_all(domain, objects, how);
    domain.drain();
    EXPECT_EQ(book.times_destroyed(0), 1);
    EXPECT_EQ(book.times_destroyed(1), 0) << "freed while a hazard pointer showed it";
    EXPECT_EQ(book.times_destroyed(2), 1);
    hp.reset_protection();
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(book.times_destroyed(1), 1);
}

TEST_P(HeaderlessRetire, OnlyTheProtectedObjectsOfManyBatchesSurviveAndArePacked) {
    // More objects than several batches hold, and more hazards than one pass
    // of a scan compares (256): protected items must be found in any pass
    // and any batch, and the survivors packed into as few batches as hold them.
    constexpr std::size_t n = 5 * retired_batch::capacity + 7;
    constexpr std::size_t protected_count = 300;
    ledger book(n);
    hazard_pointer_domain domain(GetParam());
    bare_reclaimer how(&book);
    std::vector<bare*> objects = make_objects(n);
    std::vector<hazard_pointer> hps;
    for (std::size_t i = 0; i < protected_count; ++i) {
        hps.push_back(make_hazard_pointer(domain));
        hps.back().reset_protection(objects[(i * 2) % n]);  // every other object
    }
    auto is_protected = [&](std::size_t i) { return i % 2 == 0 && i / 2 < protected_count; };
    retire_all(domain, objects, how);
    domain.drain();
    domain.drain();  // a second scan over packed batches changes nothing
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(book.times_destroyed(i), is_protected(i) ? 0 : 1) << "object " << i;
    }
    EXPECT_EQ(domain.stats().backlog, protected_count);
    hps.clear();
    EXPECT_EQ(domain.drain(), protected_count);
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(book.times_destroyed(i), 1) << "object " << i;
    }
    const sink::hazard_pointer_stats s = domain.stats();
    EXPECT_EQ(s.retired, n);
    EXPECT_EQ(s.reclaimed, n);
}

TEST_P(HeaderlessRetire, ThreadExitHandsOverItsCurrentBatch) {
    constexpr std::size_t n = 5;  // below any scan threshold and one batch
    ledger book(n);
    hazard_pointer_domain domain(GetParam());
    bare_reclaimer how(&book);
    std::vector<bare*> objects = make_objects(n);
    hazard_pointer hp = make_hazard_pointer(domain);
    hp.reset_protection(objects[0]);
    std::thread([&] { retire_all(domain, objects, how); }).join();
    for (std::size_t i = 1; i < n; ++i) {
        EXPECT_EQ(book.times_destroyed(i), 1) << "object " << i;
    }
    EXPECT_EQ(book.times_destroyed(0), 0);
    EXPECT_EQ(domain.stats().backlog, 1u);
    hp.reset_protection();
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(book.times_destroyed(0), 1);
}

INSTANTIATE_TEST_SUITE_P(Policies, HeaderlessRetire,
                         ::testing::Values(reclamation_policy::lazy, reclamation_policy::eager),
                         [](const auto& info) {
                             return info.param == reclamation_policy::lazy ? std::string("lazy")
                                                                           : std::string("eager");
                         });

TEST(HeaderlessRetireBatches, RoomIsWhatTheCurrentBatchHasLeft) {
    ledger book(retired_batch::capacity + 1);
    hazard_pointer_domain domain(reclamation_policy::lazy);
    bare_reclaimer how(&book);
    {
        headerless_retirer r(domain);
        EXPECT_EQ(r.room(), retired_batch::capacity);
        r.retire(new bare{0}, how);
        EXPECT_EQ(r.room(), retired_batch::capacity - 1);
    }
    {
        headerless_retirer r(domain);
        EXPECT_EQ(r.room(), retired_batch::capacity - 1);
        while (r.room() != 0) {
            r.retire(new bare{retired_batch::capacity - r.room()}, how);
        }
    }
    {
        headerless_retirer r(domain);  // the full batch went to the retired stack
        EXPECT_EQ(r.room(), retired_batch::capacity);
    }
    domain.drain();  // (a scan may have come first: the threshold can be below a batch)
    EXPECT_EQ(domain.stats().reclaimed, retired_batch::capacity);
    for (std::size_t i = 0; i < retired_batch::capacity; ++i) {
        EXPECT_EQ(book.times_destroyed(i), 1) << "object " << i;
    }
}

TEST(HeaderlessRetireBatches, LazyPolicyScansAtTheThreshold) {
    hazard_pointer_domain domain(reclamation_policy::lazy);
    hazard_pointer hp = make_hazard_pointer(domain);  // binds this thread's record
    const std::size_t threshold = domain.stats().scan_threshold;
    ledger book(threshold + retired_batch::capacity);
    bare_reclaimer how(&book);
    std::size_t next = 0;
    while (next + 1 < threshold) {
        headerless_retirer r(domain);
        r.retire(new bare{next++}, how);
    }
    EXPECT_EQ(domain.stats().reclaimed, 0u) << "no scan before the threshold";
    {
        headerless_retirer r(domain);
        r.retire(new bare{next++}, how);
    }
    EXPECT_EQ(domain.stats().reclaimed, threshold) << "the retire that reaches the threshold scans";
}

TEST(HeaderlessRetireBatches, DestroyingTheDomainFreesCurrentBatchesAndStacks) {
    constexpr std::size_t n = 3 * retired_batch::capacity + 1;
    ledger book(n);
    {
        hazard_pointer_domain domain(reclamation_policy::lazy);
        bare_reclaimer how(&book);
        retire_all(domain, make_objects(n), how);
    }
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(book.times_destroyed(i), 1) << "object " << i;
    }
}

// A retired object with a header and items of batches in one scan.
struct counted : sink::hazard_pointer_obj_base<counted> {
    explicit counted(ledger* book_) : book(book_) {}
    ~counted() { book->destroyed(0); }
    ledger* book;
};

TEST(HeaderlessRetireBatches, ObjectsWithAndWithoutAHeaderShareAScan) {
    ledger with_header(1);
    ledger bare_book(4);
    hazard_pointer_domain domain(reclamation_policy::lazy);
    bare_reclaimer how(&bare_book);
    std::vector<bare*> objects = make_objects(4);
    hazard_pointer hp = make_hazard_pointer(domain);
    hp.reset_protection(objects[3]);
    (new counted(&with_header))->retire({}, domain);
    retire_all(domain, objects, how);
    EXPECT_EQ(domain.drain(), 4u);
    EXPECT_EQ(with_header.times_destroyed(0), 1);
    EXPECT_EQ(bare_book.times_destroyed(3), 0);
    hp.reset_protection();
    EXPECT_EQ(domain.drain(), 1u);
    EXPECT_EQ(bare_book.times_destroyed(3), 1);
}

}  // namespace
