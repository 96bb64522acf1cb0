// Scenarios that hold one thread at a stall point inside the map
// (SINK_STALL_POINTS, detail/stall.hpp) while the other does a whole
// operation: the schedules that a random scheduler almost never produces
// because the other thread needs hundreds of steps in a window of a few.
// Each one is the schedule a named ingredient of the design exists for; the
// fault builds that remove the ingredient must fail here.
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;
using site = d::stall::site;

struct held_fixture : map_fixture {
    stall_plan plan;
    void finish(unsigned index) {
        plan.done(index);
        thread_done();
    }
    void teardown_plan() { plan.disarm(); }
};

// A width-1 map holding 10 (section 0) and 200 (section 1), both slots filled.
void two_filled_sections(map_fixture& f) {
    f.prefill(10, 1);
    f.prefill(200, 2);
    f.map->reserve(2);
    f.map->load(200);
    RL_ASSERT(f.map->stats().table_width == 1 && f.map->stats().waypoints == 2);
}

// Scenario 2, held: an insert stops just before its CAS on 10->next (expecting
// 30) while the other thread erases 30 and cuts it out with a CAS on the same
// word. The insert's CAS must fail and the insert retry; a lost retry loses
// the key.
struct insert_held_vs_compaction : rl::test_suite<insert_held_vs_compaction, 2>, held_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(30, 3);
        track(20);
        plan.arm(0, site::insert);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 20, 2);
            events.run(*map, op_kind::load, 20);
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 30);
            plan.resume.open();
        }
        finish(index);
    }
    void after() {
        RL_ASSERT(plan.stopped());
        teardown_plan();
        check_and_teardown();
    }
};

// Item 5: a grow stops right after publishing the new table, before its
// sweep; the other thread erases a key (its compaction retires a node, and
// the eager domain scans). The replaced table is retired only by whoever
// finishes its sweep, so the scan cannot free it under the held sweep.
struct resize_held_vs_retire : rl::test_suite<resize_held_vs_retire, 2>, held_fixture {
    void before() {
        setup();
        two_filled_sections(*this);
        track(20);
        plan.arm(0, site::resize);
    }
    void thread(unsigned index) {
        if (index == 0) {
            map->reserve(4);  // grow to width 2
            events.run(*map, op_kind::load, 200);
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 10);
            events.run(*map, op_kind::store, 20, 5);
            plan.resume.open();
        }
        finish(index);
    }
    void after() {
        RL_ASSERT(plan.stopped());
        teardown_plan();
        check_and_teardown();
    }
};

// Items 4 and 5: a shrink's sweep stops half way (one old slot left); the other
// thread finishes that sweep, grows the table again and fills a new slot
// with a new waypoint. The held sweep then deletes the waypoints the shrunk
// table cannot hold: the new one must survive, because a slot holds it
// (slot_refs). Deleting it would leave a slot pointing at a freed waypoint.
// The held sweep's CAS on new->old then fails, and it does not retire the
// old table: the thread whose CAS cleared new->old did.
struct sweep_held_vs_refill : rl::test_suite<sweep_held_vs_refill, 2>, held_fixture {
    void before() {
        setup();
        two_filled_sections(*this);
        track(210);
        plan.arm(0, site::sweep);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 10);  // empties section 0: shrink to width 0
        } else {
            plan.held.wait();
            map->reserve(4);                             // helps the shrink's sweep, then grows to width 2
            events.run(*map, op_kind::store, 210, 3);    // fills slot 3 with a new waypoint
            plan.resume.open();
            events.run(*map, op_kind::load, 210);
        }
        finish(index);
    }
    void after() {
        RL_ASSERT(plan.stopped());
        teardown_plan();
        check_and_teardown();
    }
};

// Scenario 3, held: a fill of slot 1 stops after linking its waypoint and
// taking its reference, before the slot CAS; the other thread grows the
// table (the sweep expunges slot 1) and shrinks it again with clear(). The
// fill's CAS must fail on the expunged slot and drop its reference; the
// waypoint stays an orphan or is deleted, never both slotted and freed.
struct fill_held_vs_resizes : rl::test_suite<fill_held_vs_resizes, 2>, held_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(200, 2);
        map->reserve(2);  // width 1, slot 1 still empty
        track(210);
        plan.arm(0, site::waypoint);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 210, 3);
            events.run(*map, op_kind::load, 200);
        } else {
            plan.held.wait();
            map->reserve(4);
            events.run(*map, op_kind::clear, 0);
            plan.resume.open();
        }
        finish(index);
    }
    void after() {
        RL_ASSERT(plan.stopped());
        teardown_plan();
        check_and_teardown();
    }
};

// Issue 17: a cut takes at most as many nodes as its thread's retired batch
// has room for (one, in model builds), and leaves the rest of the run for
// the next cut. An erase of 30 stops just before its cut CAS; the other
// thread erases 20 and meets the run [20, 30], two frozen nodes: it must cut
// them one at a time (a live node leading to a frozen run is an ordinary
// state). A cut past its room is a Relacy assert in the retirer.
struct cut_in_pieces : rl::test_suite<cut_in_pieces, 2>, held_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(20, 2);
        prefill(30, 3);
        prefill(40, 4);
        plan.arm(0, site::compaction);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 30);
            events.run(*map, op_kind::load, 40);
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 20);
            events.run(*map, op_kind::load, 40);
            plan.resume.open();
        }
        finish(index);
    }
    void after() {
        RL_ASSERT(plan.stopped());
        RL_ASSERT(map->stats().compactions >= 2);  // the run went in two cuts
        teardown_plan();
        check_and_teardown();
    }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = explore<insert_held_vs_compaction>("insert_held_vs_compaction", how);
    ok = ok && explore<resize_held_vs_retire>("resize_held_vs_retire", how);
    ok = ok && explore<sweep_held_vs_refill>("sweep_held_vs_refill", how);
    ok = ok && explore<fill_held_vs_resizes>("fill_held_vs_resizes", how);
    ok = ok && explore<cut_in_pieces>("cut_in_pieces", how);
    return ok ? 0 : 1;
}
