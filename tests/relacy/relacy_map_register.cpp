// Scenario 1: two threads on one key. Each suite asserts that the results the
// threads saw and the final state are linearizable (map_scenario.hpp), that
// verify() holds, and (through Relacy) that no value is read torn, unpublished
// or freed, and that nothing leaks.
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// Two stores of a new key race to insert it; each thread then reads it back.
struct store_vs_store : rl::test_suite<store_vs_store, 2>, map_fixture {
    void before() {
        setup();
        track(10);
    }
    void thread(unsigned index) {
        events.run(*map, op_kind::store, 10, index == 0 ? 1 : 2);
        events.run(*map, op_kind::load, 10);
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// A store of a present key (replace: one CAS links the new version and
// freezes the old) races an erase (which freezes the entry).
struct store_vs_erase : rl::test_suite<store_vs_erase, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 10, 2);
            events.run(*map, op_kind::load, 10);
        } else {
            events.run(*map, op_kind::erase, 10);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// Two erases of one key: exactly one may report that it erased it.
struct erase_vs_erase : rl::test_suite<erase_vs_erase, 2>, map_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(20, 2);
    }
    void thread(unsigned index) {
        events.run(*map, op_kind::erase, 10);
        events.run(*map, op_kind::load, index == 0 ? 10 : 20);
        thread_done();
    }
    void after() { check_and_teardown(); }
};

// A reader of a key that is inserted and then replaced: it must see absent,
// the first or the second value, each fully constructed (a value read before
// the CAS that published it is a data race on its rl::var).
struct load_vs_store : rl::test_suite<load_vs_store, 2>, map_fixture {
    void before() {
        setup();
        prefill(20, 1);
        track(10);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 10, 2);
            events.run(*map, op_kind::store, 10, 3);
            events.run(*map, op_kind::store, 20, 4);
        } else {
            events.run(*map, op_kind::load, 10);
            events.run(*map, op_kind::load, 20);
            events.run(*map, op_kind::load, 10);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<store_vs_store>("store_vs_store", how);
    ok = ok && explore<store_vs_erase>("store_vs_erase", how);
    ok = ok && explore<erase_vs_erase>("erase_vs_erase", how);
    ok = ok && explore<load_vs_store>("load_vs_store", how);
    return ok ? 0 : 1;
}
