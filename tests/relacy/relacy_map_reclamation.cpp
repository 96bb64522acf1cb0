// Scenario 6 (the map's half; relacy_hazard_pointer.cpp has the domain's):
// hazard pointers protecting what the map retires. A handle from find()
// keeps its entry readable while other threads replace and erase the key and
// the domain scans on every retire; a thread that exits with retired nodes
// hands them to the domain, which frees each exactly once (a lost node is a
// Relacy leak, a second free a double free).
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// find() returns a handle holding a hazard pointer on the entry: its value
// must stay readable and unchanged while the writer supersedes and erases it.
// Held form: the reader reads once more after the writer is done, when both
// nodes are retired and every scan has run (the free form's window is a few
// steps wide, and the random scheduler rarely lands a scan in it).
template <bool Held>
struct handle_vs_retire : rl::test_suite<handle_vs_retire<Held>, 2>, map_fixture {
    gate writer_done;

    void before() {
        setup();
        prefill(10, 1);
        writer_done.reset();
    }
    void thread(unsigned index) {
        if (index == 0) {
            map_type::handle h = map->find(10);
            if (h) {
                const int first = h->get();
                RL_ASSERT(first == 1 || first == 2);
                if (Held) {
                    writer_done.wait();
                }
                RL_ASSERT(h->get() == first);  // a freed value is a Relacy report here
                RL_ASSERT(h.key() == 10);
            }
        } else {
            map->store(10, value(2));  // retires the node of value 1
            map->erase(10);            // retires the node of value 2
            writer_done.open();
        }
        thread_done();
    }
    void after() {
        RL_ASSERT(!map->contains(10));
        RL_ASSERT(map->verify());
        teardown();
    }
};

// The handle keeps the cursor slot its lookup found the entry with, and
// the reader walks the map again while it holds the handle (a contains()
// and a load()): those walks must take other slots (detail/hazard_record.hpp,
// cursor slots). Fault CURSOR_SLOTS_UNCHECKED makes them take the cursor
// slots anyway and give them all back: the handle's entry is then
// unprotected, the writer's scan frees it, and the last read is an access
// to freed memory.
struct handle_walk_vs_retire : rl::test_suite<handle_walk_vs_retire, 2>, map_fixture {
    gate writer_done;

    void before() {
        setup();
        prefill(10, 1);
        prefill(20, 5);
        writer_done.reset();
    }
    void thread(unsigned index) {
        if (index == 0) {
            map_type::handle h = map->find(10);
            RL_ASSERT(h);
            const int first = h->get();
            RL_ASSERT(map->contains(20));
            RL_ASSERT(map->load(20)->get() == 5);
            writer_done.wait();
            RL_ASSERT(h->get() == first);
        } else {
            map->store(10, value(2));
            map->erase(10);
            writer_done.open();
        }
        thread_done();
    }
    void after() {
        RL_ASSERT(!map->contains(10));
        RL_ASSERT(map->verify());
        teardown();
    }
};

// A lazy domain: a thread's retired nodes wait in its own list until it
// exits, and are handed over then, possibly still protected by the other
// thread. The other thread's own retires (and finally the domain's
// destructor) free them.
struct exit_with_retired : rl::test_suite<exit_with_retired, 2>, map_fixture {
    void before() {
        setup(sink::reclamation_policy::lazy);
        prefill(10, 1);
        prefill(20, 2);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 10);
            events.run(*map, op_kind::store, 20, 3);
        } else {
            events.run(*map, op_kind::load, 10);
            events.run(*map, op_kind::load, 20);
            events.run(*map, op_kind::erase, 20);
        }
        thread_done();
    }
    void after() { check_and_teardown(); }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<handle_vs_retire<false>>("handle_vs_retire", how);
    ok = explore<handle_vs_retire<true>>("handle_held_vs_retire", how) && ok;
    ok = explore<handle_walk_vs_retire>("handle_walk_vs_retire", how) && ok;
    ok = ok && explore<exit_with_retired>("exit_with_retired", how);
    return ok ? 0 : 1;
}
