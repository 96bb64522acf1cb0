// Scenario 2: the insert of a new key next to a concurrent compaction. An
// erase freezes its entry and then cuts it out with one CAS on the live node
// before it (the anchor); the insert links its node with a CAS on the same
// word. Whichever wins, the inserted key must be in the map afterwards (a lost
// insert is not linearizable), the cut node must be freed exactly once and
// never read after it is freed.
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// List: 10, 30. One thread erases 30; the other inserts 20, which goes
// between 10 and 30, on the word the compaction swings.
struct insert_before_frozen : rl::test_suite<insert_before_frozen, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(30, 3);
        track(20);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 30);
            events.run(*map, op_kind::load, 20);
        } else {
            events.run(*map, op_kind::store, 20, 2);
            events.run(*map, op_kind::load, 20);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// List: 10, 20, 40. One thread erases 20 and 40 (a run of two frozen nodes
// when the cut is late); the other inserts 30, between the two: its walk
// meets the run, must compact it before linking, and must not link into it.
struct insert_inside_run : rl::test_suite<insert_inside_run, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(20, 2);
        prefill(40, 4);
        track(30);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 20);
            events.run(*map, op_kind::erase, 40);
        } else {
            events.run(*map, op_kind::store, 30, 3);
            events.run(*map, op_kind::load, 30);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// Keys 20 and 276 collide (one order, one group). One thread replaces 20
// (its old version is frozen and cut); the other inserts 276 at the front of
// the group, next to the node being cut.
struct insert_into_group : rl::test_suite<insert_into_group, 2>, map_fixture {
    void before() {
        setup();
        prefill(20, 1);
        track(276);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 20, 2);
        } else {
            events.run(*map, op_kind::store, 276, 3);
            events.run(*map, op_kind::load, 20);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<insert_before_frozen>("insert_before_frozen", how);
    ok = ok && explore<insert_inside_run>("insert_inside_run", how);
    ok = ok && explore<insert_into_group>("insert_into_group", how);
    return ok ? 0 : 1;
}
