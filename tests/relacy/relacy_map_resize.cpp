// Scenario 4: resizes driven by the heuristics. With the tiny knobs an insert
// that passes two live entries of its section asks for a grow, and an erase
// that leaves its section empty asks for a shrink. Any thread that finds a
// shrink unfinished finishes it. Each suite checks the history, verify(), that the
// resize really happened, and (through Relacy) that no segment or node is
// read after it is freed and that none leaks.
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// Two inserts in one section of a width-0 map that already holds two keys:
// both ask to grow from width 0, and one request meets the other's resize
// (either unswept, which it helps, or done, which makes it a no-op).
struct grow_vs_grow : rl::test_suite<grow_vs_grow, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(20, 2);
        track(30);
        track(40);
    }
    void thread(unsigned index) {
        events.run(*map, op_kind::store, index == 0 ? 30 : 40, 3 + static_cast<int>(index));
        events.run(*map, op_kind::load, index == 0 ? 40 : 30);
        thread_done();
    }
    void after() {
        RL_ASSERT(map->stats().grows >= 1);
        check_and_teardown();
    }
};

// An insert that grows the table races erases that empty a section and ask
// to shrink it: resizes in both directions, each sweep helped by the other.
struct grow_vs_shrink : rl::test_suite<grow_vs_shrink, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(20, 2);
        prefill(200, 5);
        map->reserve(2);
        map->load(200);  // links section 1's head
        track(30);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 30, 3);
            events.run(*map, op_kind::load, 200);
        } else {
            events.run(*map, op_kind::erase, 200);
            events.run(*map, op_kind::load, 30);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// Shrink while erasing: both sections of a width-1 map are emptied at once;
// each erase asks for the shrink, which takes section 1's head out
// while the other thread may be walking from it.
struct shrink_while_erasing : rl::test_suite<shrink_while_erasing, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(200, 2);
        map->reserve(2);
        map->load(200);  // links section 1's head
    }
    void thread(unsigned index) {
        events.run(*map, op_kind::erase, index == 0 ? 10 : 200);
        events.run(*map, op_kind::load, 200);
        thread_done();
    }
    void after() {
        RL_ASSERT(map->stats().shrinks >= 1 && map->stats().table_width == 0);
        check_and_teardown();
    }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<grow_vs_grow>("grow_vs_grow", how);
    ok = ok && explore<grow_vs_shrink>("grow_vs_shrink", how);
    ok = ok && explore<shrink_while_erasing>("shrink_while_erasing", how);
    return ok ? 0 : 1;
}
