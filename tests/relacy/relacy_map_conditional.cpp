// Scenario 8: the conditional writes racing each other on one key:
// load_or_store, compare_and_swap and compare_and_erase, one per thread
// (three threads), then each thread reads the key back. Every outcome must
// be explained by one order of the six operations (map_scenario.hpp's
// checker), e.g. never two successful compare_and_swap from one value.
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

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<conditional_present>("conditional_present", how);
    ok = ok && explore<conditional_absent>("conditional_absent", how);
    return ok ? 0 : 1;
}
