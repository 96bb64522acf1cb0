// Scenario 8: the conditional writes racing each other on one key:
// load_or_store, compare_and_swap and compare_and_erase, one per thread
// (three threads), then each thread reads the key back. Every outcome must
// be explained by one order of the six operations (map_scenario.hpp's
// checker), e.g. never two successful compare_and_swap from one value.
// Then update(): racing itself, an exchange and an erase, and during
// resizes; and two compare_and_swaps from one value. Built twice: with
// values in nodes (one per version) and kept in place (the _in_place
// variant: one double-width CAS per replace and erase).
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// The key is present with value 1.
struct conditional_present : rl::test_suite<conditional_present, 3>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::load_or_store, 10, 3);
        } else if (index == 1) {
            events.run(*map, op_kind::compare_and_swap, 10, 1, 2);
        } else {
            events.run(*map, op_kind::compare_and_erase, 10, 1);
        }
        events.run(*map, op_kind::load, 10);
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// The key is absent: load_or_store inserts, compare_and_swap expects the
// value it inserts, load_and_erase takes whatever is there.
struct conditional_absent : rl::test_suite<conditional_absent, 3>, map_fixture {
    void before() {
        setup();
        track(10);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::load_or_store, 10, 3);
        } else if (index == 1) {
            events.run(*map, op_kind::compare_and_swap, 10, 3, 4);
        } else {
            events.run(*map, op_kind::load_and_erase, 10);
        }
        events.run(*map, op_kind::exchange, 10, 5 + static_cast<int>(index));
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// update racing itself, an erase and a store on one key: each update
// applies its addition to the value it replaces (never to one another
// write has replaced meanwhile), returns what it stored, and inserts
// nothing once the key is gone. (UPDATE_KEEPS_NODE: a retried update links
// the node it made from the value its lost attempt saw: an addition lost,
// not linearizable.)
struct updates_race : rl::test_suite<updates_race, 3>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::update, 10, 10);
            events.run(*map, op_kind::update, 10, 100);
        } else if (index == 1) {
            events.run(*map, op_kind::update, 10, 1000);
        } else {
            events.run(*map, op_kind::exchange, 10, 2);
            events.run(*map, op_kind::erase, 10);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// updates of two keys while inserts of two more grow the table (the
// fixture's options resize at once) and an erase shrinks it and cuts: the
// updates' walks meet new tables, sweeps and frozen runs.
struct updates_during_resizes : rl::test_suite<updates_during_resizes, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(200, 2);
        track(100);
        track(300);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::update, 10, 10);
            events.run(*map, op_kind::update, 200, 10);
            events.run(*map, op_kind::update, 300, 10);
        } else {
            events.run(*map, op_kind::store, 100, 5);
            events.run(*map, op_kind::store, 300, 6);
            events.run(*map, op_kind::erase, 10);
            events.run(*map, op_kind::update, 200, 1000);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// Two compare_and_swaps from the same value, each thread then reading the
// key: exactly one succeeds, and the value read back is the winner's (in
// place: two double-width CASes expecting the same word; VALUE_CAS_ALONE
// still passes this one, the erases above are what it breaks).
struct two_compare_and_swaps : rl::test_suite<two_compare_and_swaps, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
    }
    void thread(unsigned index) {
        events.run(*map, op_kind::compare_and_swap, 10, 1, index == 0 ? 2 : 3);
        events.run(*map, op_kind::load, 10);
        thread_done();
    }
    void after() { check_and_teardown(); }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<conditional_present>("conditional_present", how);
    ok = ok && explore<conditional_absent>("conditional_absent", how);
    const exploration updates{soak ? 5000000ULL : 100000ULL, 0};
    ok = ok && explore<updates_race>("updates_race", updates);
    ok = ok && explore<updates_during_resizes>("updates_during_resizes", updates);
    ok = ok && explore<two_compare_and_swaps>("two_compare_and_swaps", updates);
    return ok ? 0 : 1;
}
