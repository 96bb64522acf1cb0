// Scenario 3: section heads installed lazily. The first walk that finds its
// section's head unlinked claims it (a CAS of the head's next from 0), walks
// from a parent head to its place and links it. Two threads racing to
// install one head must end with it linked once; an install racing a grow
// or a shrink must not leave a head in the list outside a live segment,
// lose a key, or free a segment a walker still reaches.
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// A map of width 1 whose section 1 (keys 128..255) has its head unlinked:
// the keys are stored at width 0, then the map grows (reserve), which links
// no head.
void two_sections(map_fixture& f) {
    f.prefill(10, 1);
    f.prefill(200, 2);
    f.map->reserve(2);  // width 1 (one entry per section with these knobs)
    RL_ASSERT(f.map->stats().table_width == 1 && f.map->stats().heads == 1);
}

// A lookup and a store in section 1 both find its head unlinked: one
// installs it, the other starts from the start sentinel.
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

// An install of section 1's head races a grow to width 2 (a new segment;
// section 1's head, prefix 1 of level 1, becomes the head of section 10).
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

// An install of section 1's head races a shrink to width 0 (clear() asks
// for it), which freezes the head, cuts it out and retires its segment.
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

// Fault SHRINK_SKIPS_CUT (a shrink retires its segment with its linked
// heads still in the list) must fail fill_vs_shrink: its build runs only
// that scenario.
int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    constexpr bool fault_build = d::fault::shrink_skips_cut;
    bool ok = fault_build || explore<fill_vs_fill>("fill_vs_fill", how);
    ok = ok && (fault_build || explore<fill_vs_grow>("fill_vs_grow", how));
    ok = ok && explore<fill_vs_shrink>("fill_vs_shrink", how);
    return ok ? 0 : 1;
}
