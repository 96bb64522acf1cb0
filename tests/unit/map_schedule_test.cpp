// Deterministic schedules through the stall hook (SINK_STALL_POINTS): one
// thread is parked at a named site inside a map call while the test does
// what the race needs, then released. Each test is the schedule of one
// finding (a review bug or a surviving mutant, docs/verification.md), and
// the fault build named there must fail it.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "map_test_support.hpp"
#include "sink/concurrent_map.hpp"

namespace {

using sink::detail::stall::site;
using namespace sink_test;

// Parks the one thread that armed it at `site`, the first time it gets there,
// until release(). Waits are yield loops on flags: no clock, no sleep.
class parking {
public:
    explicit parking(site s) : site_(s) {
        current = this;
        sink::detail::stall::set_hook(&on_stall);
    }
    ~parking() {
        release();
        sink::detail::stall::set_hook(nullptr);
        current = nullptr;
    }
    parking(const parking&) = delete;
    parking& operator=(const parking&) = delete;

    // Called by the thread to park, before its call.
    void arm() {
        parked_thread = true;
        armed_.store(true);
    }
    void wait_until_parked() const {
        while (!parked_.load()) {
            std::this_thread::yield();
        }
    }
    void release() { released_.store(true); }
    bool parked() const { return parked_.load(); }

    // Every stall point the calling thread passes, parked or not (a test can
    // count another site's hits through this).
    void (*observer)(site) noexcept = nullptr;

private:
    static void on_stall(site s) noexcept {
        parking* p = current;
        if (p == nullptr) {
            return;
        }
        if (p->observer != nullptr) {
            p->observer(s);
        }
        if (s == p->site_ && parked_thread && p->armed_.exchange(false)) {
            p->parked_.store(true);
            while (!p->released_.load()) {
                std::this_thread::yield();
            }
        }
    }

    static inline parking* current = nullptr;
    static inline thread_local bool parked_thread = false;
    site site_;
    std::atomic<bool> armed_{false};
    std::atomic<bool> parked_{false};
    std::atomic<bool> released_{false};
};

sink::concurrent_map_options one_section(sink::hazard_pointer_domain& domain) {
    sink::concurrent_map_options o;
    o.grow_on_insert_count = 0;
    o.shrink_on_empty_count = 0;
    o.domain = &domain;
    return o;
}

template <class Map>
std::vector<int> keys_in_list_order(const Map& m) {
    std::vector<int> keys;
    m.range([&](int k, const auto&) { keys.push_back(k); });
    return keys;
}

// Review bug 2 (stamp ABA; fault STAMP_BEFORE_LINK): an insert parked before
// its CAS while the link it expects is changed and restored (two inserts, an
// erase of both, their cut). Its key was yielded meanwhile with a higher
// stamp; the insert's node must not come back below the iterator. (Key 1 is
// the group's plain entry; the others go to its stamped part.)
TEST(MapSchedule, AKeyLinkedAfterALogicalAbaIsNotYieldedTwice) {
    sink::hazard_pointer_domain domain(sink::reclamation_policy::eager);
    sink::concurrent_map<int, int, constant_hash> m(one_section(domain));
    m.store(1, 100);
    parking park(site::insert);
    std::thread r([&] {
        park.arm();
        m.store(2, 222);  // parked before linking
    });
    park.wait_until_parked();
    m.store(3, 300);
    m.store(2, 200);
    auto it = m.begin();
    std::vector<int> seen{it->first};
    ASSERT_EQ(seen.front(), 1);  // the plain entry
    ++it;
    seen.push_back(it->first);
    ASSERT_EQ(seen.back(), 2);  // the front of the stamped part
    m.erase(2);
    m.erase(3);  // both cut: the link the parked insert expects is back
    park.release();
    r.join();
    for (++it; it != m.end(); ++it) {
        seen.push_back(it->first);
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 2), 1) << "key 2 yielded twice by one iteration";
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 1);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

// Found by the stress harness's colliding hashes (fault STALE_RETRY_STAMP):
// a store whose replace loses to an erase retries as an insert with the node
// it made for the replace, which had copied the old version's stamp. Linked
// with it, the node sits at its stamped part's front below the stamps behind
// it, and walks skip the keys behind it.
TEST(MapSchedule, AReplaceRetriedAsAnInsertIsLinkedUnstamped) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map<int, versioned<int>, constant_hash> m(one_section(domain));  // a replace makes a version
    m.store(5, 500);  // the plain entry, for good
    m.store(1, 100);
    m.store(2, 200);  // in front of 1, which it stamps
    parking park(site::replace);
    std::thread r([&] {
        park.arm();
        m.store(1, 111);  // its new version copies 1's stamp; parked before the CAS
    });
    park.wait_until_parked();
    m.erase(1);       // the replace fails and retries as an insert
    m.store(3, 300);  // in front of 2, which it stamps (above 1's)
    park.release();
    r.join();
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    std::vector<int> seen;
    for (auto it = m.begin(); it != m.end(); ++it) {
        seen.push_back(it->first);
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 5}));
}

// Fault SECOND_PLAIN_KEY: an insert that chose the plain kind (its group had
// no live plain entry) is parked before its CAS while a colliding key takes
// the plain part. Its CAS fails; the retry finds a plain predecessor and
// must remake its node stamped (map_types::rekind), or the group would have
// two plain keys and iterators would skip one.
TEST(MapSchedule, AnInsertThatLosesThePlainPartIsRemadeStamped) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map<std::string, int, constant_hash> m(one_section(domain));
    parking park(site::insert);
    std::thread r([&] {
        park.arm();
        m.store(std::string(40, 'b'), 2);  // plain, parked before linking
    });
    park.wait_until_parked();
    m.store(std::string(40, 'a'), 1);  // takes the plain part
    park.release();
    r.join();
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    std::vector<std::string> seen;
    for (auto it = m.begin(); it != m.end(); ++it) {
        seen.push_back(it->first);
    }
    EXPECT_EQ(seen, (std::vector<std::string>{std::string(40, 'a'), std::string(40, 'b')}));
    EXPECT_EQ(m.load(std::string(40, 'b')), 2);
}

// A replace parked with a plain new version while its key is erased and
// comes back stamped: the retry replaces a stamped version, so it remakes
// its node stamped, with that version's stamp (verify() checks the order).
TEST(MapSchedule, AReplaceWhoseKeyCameBackInTheOtherPartIsRemade) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map<std::string, int, constant_hash> m(one_section(domain));
    const std::string one(40, '1');
    m.store(one, 1);  // plain
    parking park(site::replace);
    std::thread r([&] {
        park.arm();
        m.store(one, 111);  // a plain new version, parked before the CAS
    });
    park.wait_until_parked();
    m.erase(one);
    m.store(std::string(40, '5'), 5);  // takes the plain part
    m.store(one, 10);                  // back, stamped
    m.store(std::string(40, '2'), 2);  // in front of it: stamps it
    park.release();
    r.join();
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    EXPECT_EQ(m.load(one), 111);
    EXPECT_EQ(m.size(), 3u);
}

// Keys whose entries fall in section `section` of width `width` (seed 1).
std::vector<int> keys_of_section(std::uint64_t section, unsigned width, int how_many) {
    std::vector<int> keys;
    for (int k = 0; static_cast<int>(keys.size()) < how_many; ++k) {
        const std::uint64_t order = sink::detail::entry_order(sink::detail::seeded_mix(std::hash<int>{}(k), 1));
        if ((order >> (64 - width)) == section) {
            keys.push_back(k);
        }
    }
    return keys;
}

// Counts the walk steps of the thread marked as the writer, and lets the
// parked thread go once they pass a bound far above what the test's calls
// take: then the calls were spinning, waiting for it (not lock-free). No
// clock: steps are counted.
std::atomic<long> writer_steps{0};
std::atomic<bool> writer_spun{false};
std::atomic<parking*> spinning_park{nullptr};
thread_local bool is_writer_thread = false;

void count_writer_steps(parking& park) {
    writer_steps = 0;
    writer_spun = false;
    spinning_park = &park;
    park.observer = [](site s) noexcept {
        if (s == site::step && is_writer_thread && writer_steps.fetch_add(1) == 10'000'000) {
            writer_spun = true;
            spinning_park.load()->release();
        }
    };
}

// A section head's installer parked after linking the head, before it
// releases its claim (fault EXPECT_UNCLAIMED_LINK): inserts right after the
// head must not wait for it. Their CAS expects the head's `next` as read,
// claim bit and all; a CAS that expects the bare successor fails for as
// long as the installer sleeps.
TEST(MapSchedule, InsertsAfterAClaimedHeadDoNotWaitForItsInstaller) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map_options o = one_section(domain);
    o.seed = 1;
    sink::concurrent_map<int, int> m(o);
    m.reserve(16);  // width 4, no head installed yet
    ASSERT_EQ(m.stats().table_width, 4u);
    const std::vector<int> keys = keys_of_section(5, 4, 20);
    parking park(site::claim_release);
    count_writer_steps(park);
    std::thread installer([&] {
        park.arm();
        m.store(keys[0], 0);  // installs section 5's head, parks holding its claim
    });
    park.wait_until_parked();
    is_writer_thread = true;
    for (std::size_t i = 1; i < keys.size(); ++i) {
        m.store(keys[i], static_cast<int>(i));
    }
    is_writer_thread = false;
    EXPECT_FALSE(writer_spun.load()) << "inserts after a claimed head spun while its installer was parked";
    EXPECT_TRUE(park.parked());
    park.release();
    installer.join();
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    EXPECT_EQ(m.size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(m.load(keys[i]), std::optional<int>(static_cast<int>(i)));
    }
}

// Lookups and inserts in a section whose head an installer has claimed but
// not linked start from a parent's head: nobody waits for an installer.
TEST(MapSchedule, WalksDoNotWaitForAnInstallerParkedBeforeItsLink) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map_options o = one_section(domain);
    o.seed = 1;
    sink::concurrent_map<int, int> m(o);
    m.reserve(16);
    const std::vector<int> keys = keys_of_section(7, 4, 20);
    parking park(site::install);
    count_writer_steps(park);
    std::thread installer([&] {
        park.arm();
        m.store(keys[0], 0);
    });
    park.wait_until_parked();
    is_writer_thread = true;
    for (std::size_t i = 1; i < keys.size(); ++i) {
        m.store(keys[i], static_cast<int>(i));
        EXPECT_TRUE(m.contains(keys[i]));
    }
    is_writer_thread = false;
    EXPECT_FALSE(writer_spun.load());
    park.release();
    installer.join();
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    EXPECT_EQ(m.size(), keys.size());
}

// A shrink meets a head that its installer linked and has not released
// (parked at claim_release, its head's `next` read): the shrink freezes it,
// cuts it out and retires its segment, which the installer still protects.
// Released, the installer's CAS fails on the frozen head, which stays out
// of the list, and its store finishes from the smaller width. (Fault
// CLAIM_RELEASED_BY_STORE: the installer's store undoes the freeze, its
// walk starts at a head no longer in the list and its key is lost. Under
// ASan a segment freed early is reported.)
TEST(MapSchedule, AShrinkTakesOutAHeadWhoseInstallerIsParked) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map_options o = one_section(domain);
    o.seed = 1;
    sink::concurrent_map<int, int> m(o);
    m.reserve(16);
    const std::vector<int> keys = keys_of_section(5, 4, 4);
    for (std::size_t i = 1; i < keys.size(); ++i) {
        m.store(keys[i], 1);  // section 5's head is installed by the first
    }
    m.erase(keys[1]);  // ... and keys[0] needs the head of an empty section:
    const std::vector<int> others = keys_of_section(13, 4, 1);
    parking park(site::claim_release);
    std::thread installer([&] {
        park.arm();
        m.store(others[0], 42);  // installs section 13's head, parks
    });
    park.wait_until_parked();
    m.clear();  // shrinks to width 0: every head frozen, cut out, retired
    EXPECT_EQ(m.stats().table_width, 0u);
    park.release();
    installer.join();
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    EXPECT_EQ(m.load(others[0]), std::optional<int>(42));
    domain.drain();
}

// Fault SHRINK_SKIPS_CUT: a shrink must take every head of its segment out
// of the list before it retires the segment.
TEST(MapSchedule, AShrinkLeavesNoHeadOfItsSegmentInTheList) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map_options o = one_section(domain);
    o.seed = 1;
    auto m = std::make_unique<sink::concurrent_map<int, int>>(o);
    m->reserve(64);
    for (int k = 0; k < 512; ++k) {
        m->store(k, k);  // installs every head
    }
    ASSERT_GE(m->stats().heads, 60u);
    m->clear();
    const sink::concurrent_map_check check = m->verify();
    EXPECT_TRUE(check) << check.problem;
    EXPECT_EQ(m->stats().table_width, 0u);
    if (!check) {
        // A list that leads into freed segments cannot be destroyed (its
        // destructor walks it): the fault build leaks the map, and reports.
        (void)m.release();
    }
}

// Several threads parked at once, each at its own site (parking holds one).
class parkings {
public:
    parkings() { sink::detail::stall::set_hook(&on_stall); }
    ~parkings() { sink::detail::stall::set_hook(nullptr); }
    parkings(const parkings&) = delete;
    parkings& operator=(const parkings&) = delete;

    struct gate {
        std::atomic<bool> parked{false};
        std::atomic<bool> released{false};
        void wait_until_parked() const {
            while (!parked.load()) {
                std::this_thread::yield();
            }
        }
        void release() { released.store(true); }
    };
    // Called by the thread to park, before its call: it parks the first
    // time it reaches `s`.
    static void arm(site s, gate& g) {
        my_site = s;
        my_gate = &g;
    }

private:
    static void on_stall(site s) noexcept {
        if (my_gate == nullptr || s != my_site) {
            return;
        }
        gate* g = std::exchange(my_gate, nullptr);
        g->parked.store(true);
        while (!g->released.load()) {
            std::this_thread::yield();
        }
    }
    static inline thread_local site my_site = site::insert;
    static inline thread_local gate* my_gate = nullptr;
};

// Review finding (a cut read a head it no longer protected): a cut takes
// the run [a, H, b] (H a frozen section head between two erased entries)
// and parks right after its CAS; meanwhile the shrink that froze H finds it
// out of the list, retires its segment, and a drain frees it. The cut,
// released, must not read H again: it may read only the run's first node
// (protected) and entries (its own to retire), so a cut now stops at a head
// past its first node. Under ASan (the asan suite) the read of the freed
// head is a heap-use-after-free; in the plain build the freed bytes may
// still hold the old link.
TEST(MapSchedule, ACutReadsNoHeadItNoLongerProtects) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map_options o = one_section(domain);
    o.seed = 1;
    o.shrink_on_empty_count = 1;    // an erase that leaves an empty section shrinks
    o.shrink_max_load_percent = 0;  // whatever the load
    sink::concurrent_map<int, int> m(o);
    m.reserve(2);  // width 1: one head H (section 1), in a segment of level 1
    ASSERT_EQ(m.stats().table_width, 1u);
    const std::vector<int> low = keys_of_section(0, 1, 2);
    std::vector<int> high = keys_of_section(1, 1, 2);
    auto order = [](int k) { return sink::detail::entry_order(sink::detail::seeded_mix(std::hash<int>{}(k), 1)); };
    std::sort(high.begin(), high.end(), [&](int x, int y) { return order(x) < order(y); });
    const int z = low[0], a = low[1], b = high[0], c = high[1];
    m.store(b, 1);
    m.store(c, 2);  // start -> H -> b -> c

    parkings parks;
    parkings::gate at_cut, at_shrink, after_cut;
    std::thread t([&] {
        parkings::arm(site::compaction, at_cut);
        m.erase(b);  // parks before the CAS that would cut b (its anchor is H)
    });
    at_cut.wait_until_parked();
    m.store(z, 3);  // start -> z -> H -> b (frozen) -> c
    std::thread s([&] {
        parkings::arm(site::shrink, at_shrink);
        m.erase(z);  // section 0 empty: a shrink to width 0 freezes H and parks
    });
    at_shrink.wait_until_parked();
    m.store(a, 4);  // start -> a -> H (frozen) -> b (frozen) -> c
    std::thread w([&] {
        parkings::arm(site::cut_retire, after_cut);
        m.erase(a);  // cuts a frozen run from start and parks after its CAS
    });
    after_cut.wait_until_parked();
    at_cut.release();  // T's CAS fails (H is frozen); T finishes
    t.join();
    at_shrink.release();  // S finds H out of the list (or cuts it) and retires H's segment
    s.join();
    EXPECT_EQ(m.stats().table_width, 0u);
    // Frees the segment unless a hazard pointer lies inside it: before the
    // fix none did (the cut had moved past H); now the cut stopped at H,
    // its y, which it still protects.
    domain.drain();
    after_cut.release();
    w.join();
    EXPECT_TRUE(m.verify()) << m.verify().problem;
    EXPECT_EQ(m.size(), 1u);
    EXPECT_EQ(m.load(c), std::optional<int>(2));
}

// Mutant 4a (fault STALE_PREVIOUS): exchange parked before its CAS loses it
// to a store; its retry must return the value it actually replaced.
TEST(MapSchedule, ARetriedExchangeReturnsTheValueItReplaced) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map<int, int> m(one_section(domain));
    m.store(7, 1);
    parking park(site::replace);
    std::optional<int> previous;
    std::thread x([&] {
        park.arm();
        previous = m.exchange(7, 3);  // reads 1, parks, loses to the store of 2
    });
    park.wait_until_parked();
    m.store(7, 2);
    park.release();
    x.join();
    EXPECT_EQ(previous, std::optional<int>(2));
    EXPECT_EQ(m.load(7), std::optional<int>(3));
}

// Fault UPDATE_KEEPS_NODE: an update parked before its CAS loses it to a
// store; its retry must apply f to the value it replaces now, not link the
// node it made from the value it saw first (a lost update). Once with a
// value in place (the retry re-decides on the word its CAS found), once
// with versions (where the fault is).
template <class V>
void retried_update_applies_its_function_to_the_newer_value() {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map<int, V> m(one_section(domain));
    m.store(7, 1);
    parking park(site::replace);
    std::optional<V> stored;
    int calls = 0;
    std::thread u([&] {
        park.arm();
        stored = m.update(7, [&calls](const V& v) {  // sees 1, parks, loses to the store of 10
            ++calls;
            return V(static_cast<int>(v) + 1);
        });
    });
    park.wait_until_parked();
    m.store(7, 10);
    park.release();
    u.join();
    EXPECT_EQ(calls, 2);  // once per attempt
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(static_cast<int>(*stored), 11);
    EXPECT_EQ(static_cast<int>(*m.load(7)), 11);
}
TEST(MapSchedule, ARetriedUpdateAppliesItsFunctionToTheNewerValue) {
    static_assert(sink::detail::value_fits_in_place<int>);
    retried_update_applies_its_function_to_the_newer_value<int>();
}
TEST(MapSchedule, ARetriedUpdateAppliesItsFunctionToTheNewerValueOfAVersion) {
    retried_update_applies_its_function_to_the_newer_value<versioned<int>>();
}

// An update parked before its CAS while the key is erased: its retry finds
// the key absent and neither calls f again nor inserts.
TEST(MapSchedule, AnUpdateThatLosesToAnEraseInsertsNothing) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map<int, int> m(one_section(domain));
    m.store(7, 1);
    parking park(site::replace);
    std::optional<int> stored = 0;
    int calls = 0;
    std::thread u([&] {
        park.arm();
        stored = m.update(7, [&calls](int v) {
            ++calls;
            return v + 1;
        });
    });
    park.wait_until_parked();
    EXPECT_TRUE(m.erase(7));
    park.release();
    u.join();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(stored, std::nullopt);
    EXPECT_FALSE(m.contains(7));
    EXPECT_EQ(m.size(), 0u);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

// Mutant 4b (fault CLEAR_COUNTS_LOST_CAS): clear() parked before freezing an
// entry that a store then supersedes; its failed CAS must not count the
// entry out (it then erases the new version, which counts).
TEST(MapSchedule, ClearCountsOnlyTheEntriesItFroze) {
    sink::hazard_pointer_domain domain;
    sink::concurrent_map<int, versioned<int>> m(one_section(domain));  // the store supersedes by a new version
    m.store(1, 1);
    m.store(2, 2);
    const int first = keys_in_list_order(m).front();
    parking park(site::erase);
    std::thread c([&] {
        park.arm();
        m.clear();  // parks before freezing the first entry
    });
    park.wait_until_parked();
    m.store(first, 10);  // supersedes it: clear's CAS will fail
    park.release();
    c.join();
    m.store(3, 3);
    EXPECT_EQ(m.size(), 1u);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

// Mutant 3 (fault SKIP_STEP_VALIDATION; reported by the ASan suite and by
// Relacy): a walk parked between reading a live node's next and stepping
// onto the successor, which is erased, cut out and (eager reclamation) freed
// meanwhile. The step must see the changed next and not use the successor.
TEST(MapSchedule, AStepRevalidatesALiveNodesNext) {
    sink::hazard_pointer_domain domain(sink::reclamation_policy::eager);
    sink::concurrent_map<int, counted> m(one_section(domain));
    for (int k = 0; k < 3; ++k) {
        m.store(k, counted(k));
    }
    const std::vector<int> order = keys_in_list_order(m);
    parking park(site::step);
    std::optional<counted> found;
    std::thread w([&] {
        park.arm();
        found = m.load(order[2]);  // parks at its first step: from order[0] to order[1]
    });
    park.wait_until_parked();
    EXPECT_TRUE(m.erase(order[1]));  // order[1] frozen, cut out and retired
    domain.drain();                   // and freed: nothing protects it
    EXPECT_EQ(domain.stats().backlog, 0u);
    park.release();
    w.join();
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->value, order[2]);
    EXPECT_TRUE(m.verify()) << m.verify().problem;
}

}  // namespace
