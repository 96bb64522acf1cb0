// Scenario 3: waypoint creation. Table slots are filled lazily: the first
// operation that finds its slot empty links a waypoint of the slot's order
// into the list (or adopts one already there) and installs it with a CAS on
// the slot. Two threads racing to fill one slot must end with one live
// waypoint of that order, held by the slot; a fill racing a resize must not
// leave a slot holding a deleted waypoint, lose a key, or leak a waypoint.
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// A map of width 1 whose slot 1 (keys 128..255) is still empty: the keys are
// stored while the table has one slot, then the table grows (reserve), and
// the sweep leaves the new slot 1 empty.
void two_sections(map_fixture& f) {
    f.prefill(10, 1);
    f.prefill(200, 2);
    f.map->reserve(2);  // width 1 (one entry per section with these knobs)
    RL_ASSERT(f.map->stats().table_width == 1 && f.map->stats().heads == 1);
}

// Two lookups in section 1 both find slot 1 empty and create its waypoint.
struct fill_vs_fill : rl::test_suite<fill_vs_fill, 2>, map_fixture {
    void before() {
        setup();
        two_sections(*this);
        track(210);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::load, 200);
        } else {
            events.run(*map, op_kind::store, 210, 3);
        }
        thread_done();
    }
    void after() {
        const sink::concurrent_map_stats s = map->stats();
        RL_ASSERT(s.heads == 2 && s.heads_installed == 1);
        check_and_teardown();
    }
};

// A fill of slot 1 races a grow to width 2 (whose sweep expunges the old
// slots and carries their waypoints over).
struct fill_vs_grow : rl::test_suite<fill_vs_grow, 2>, map_fixture {
    void before() {
        setup();
        two_sections(*this);
        track(210);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 210, 3);
            events.run(*map, op_kind::load, 200);
        } else {
            map->reserve(4);  // width 2
        }
        thread_done();
    }
    void after() {
        RL_ASSERT(map->stats().table_width == 2);
        check_and_teardown();
    }
};

// A fill of slot 1 races a shrink to width 0 (clear() asks for it), whose
// sweep deletes every waypoint the one-slot table cannot hold.
struct fill_vs_shrink : rl::test_suite<fill_vs_shrink, 2>, map_fixture {
    void before() {
        setup();
        two_sections(*this);
        track(210);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 210, 3);
            events.run(*map, op_kind::load, 210);
        } else {
            events.run(*map, op_kind::clear, 0);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<fill_vs_fill>("fill_vs_fill", how);
    ok = ok && explore<fill_vs_grow>("fill_vs_grow", how);
    ok = ok && explore<fill_vs_shrink>("fill_vs_shrink", how);
    return ok ? 0 : 1;
}
