// Scenarios that hold one thread at a stall point inside the map
// (SINK_STALL_POINTS, detail/stall.hpp) while the other does a whole
// operation: the schedules that a random scheduler almost never produces
// because the other thread needs hundreds of steps in a window of a few.
// Each one is the schedule a named ingredient of the design exists for; the
// fault builds that remove the ingredient must fail here.
#include <cstring>

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

// A width-1 map holding 10 (section 0) and 200 (section 1), with section
// 1's head in the list.
void two_filled_sections(map_fixture& f) {
    f.prefill(10, 1);
    f.prefill(200, 2);
    f.map->reserve(2);
    f.map->load(200);
    RL_ASSERT(f.map->stats().table_width == 1 && f.map->stats().heads == 2);
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

// A shrink stops right after its width CAS, before it freezes the heads of
// the segment it takes out; the other thread erases a key (its compaction
// retires a node, and the eager domain scans), stores (its walks start
// below the segment, and its resize request finishes the held shrink),
// grows the map back (a new segment at the victim's level) and stores in
// the new section. The held shrinker then finds the shape moved on and
// stops (fault STALE_SHRINK_HELPER: it takes out the new segment; verify()
// finds its level missing, or a walk reads freed memory).
struct shrink_held_vs_walks : rl::test_suite<shrink_held_vs_walks, 2>, held_fixture {
    void before() {
        setup();
        two_filled_sections(*this);
        track(20);
        track(210);
        plan.arm(0, site::resize);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::clear, 0);  // shrinks to width 0
        } else {
            plan.held.wait();
            events.run(*map, op_kind::store, 20, 5);
            events.run(*map, op_kind::erase, 200);  // asks to shrink: finishes the held one
            map->reserve(2);                         // width 1 again: a new segment of level 1
            events.run(*map, op_kind::store, 210, 6);
            plan.resume.open();
            events.run(*map, op_kind::load, 20);
        }
        finish(index);
    }
    void after() {
        RL_ASSERT(plan.stopped());
        teardown_plan();
        check_and_teardown();
    }
};

// A shrink stops after freezing its segment's heads, before cutting them;
// the other thread finishes that shrink (a grow helps it first), grows
// again, which puts a new segment at the same level, and stores a key that
// installs a head of it. The held shrinker, past its checks, goes on with
// its own victim: its cuts find nothing, its directory CAS fails on the new
// segment, and its shape CAS on the new generation.
struct shrink_held_vs_regrow : rl::test_suite<shrink_held_vs_regrow, 2>, held_fixture {
    void before() {
        setup();
        two_filled_sections(*this);
        track(210);
        plan.arm(0, site::shrink);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 10);  // empties section 0: shrink to width 0
        } else {
            plan.held.wait();
            map->reserve(4);                           // helps the shrink, then grows to width 2
            events.run(*map, op_kind::store, 210, 3);  // installs a head of the new segment
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

// A head's installer stops after its claim and its own `next`, before the
// CAS that links it; the other thread grows the map and shrinks it back with
// clear(), which freezes the claimed head (and retires its segment, which
// the installer protects). The installer's link may then succeed on a
// frozen head: it must find the freeze when it releases its claim and cut
// the head out before it lets go.
struct install_held_vs_resizes : rl::test_suite<install_held_vs_resizes, 2>, held_fixture {
    void before() {
        setup();
        prefill(10, 1);
        prefill(200, 2);
        map->reserve(2);  // width 1, section 1's head not in the list
        track(210);
        plan.arm(0, site::install);
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

// A head is linked after its segment left the directory and another took
// its level: an installer of head 01 (level 2) stops before its link; the
// other thread erases 150, which empties section 10 and shrinks the map to
// width 1 (freezing the claimed head; the installer's hold keeps its
// segment) and grows it back to width 2 (a new segment at level 2). The
// installer, resumed, links its frozen head and stops again before it
// cuts it out; the other thread looks up 100, which installs the new head
// 01 with a general walk from the start (walk_live gives up on the
// uninstalled head). That walk steps onto the old head, finds no order for
// it (its segment is not the directory's) and passes it as the frozen node
// it is, then cuts it out and links the new head; 100, never erased, is
// found by every lookup. (Fault HEAD_ORDER_UNCHECKED computes the old
// head's order from the new segment's address; where the two segments lie
// so that it sorts after 01's, the new head is linked before the old one,
// the installer's cut stops at the new head and the old segment is freed
// with its head in the list. The unit test
// SectionHeads.AHeadOfASegmentThatLeftTheDirectoryHasNoOrder checks it
// whatever the addresses.)
struct head_linked_after_its_level_regrew : rl::test_suite<head_linked_after_its_level_regrew, 2>, held_fixture {
    stall_plan linked;
    void before() {
        setup();
        prefill(10, 1);
        prefill(100, 2);
        prefill(150, 3);
        prefill(200, 4);
        map->reserve(4);
        RL_ASSERT(map->stats().table_width == 2);
        map->load(150);  // links head 1 (level 1)
        map->load(200);  // links head 11 (level 2); head 01 stays out
        RL_ASSERT(map->stats().heads == 3);
        track(100);
        plan.arm(0, site::install);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::load, 100);  // installs head 01 of the first segment of level 2
            events.run(*map, op_kind::load, 100);
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 150);  // section 10 empty: width 1
            RL_ASSERT(map->stats().table_width == 1);
            map->reserve(4);                         // width 2 again: a new segment of level 2
            RL_ASSERT(map->stats().table_width == 2);
            linked.arm(0, site::claim_release);      // the installer's second stop: linked, not cut out
            plan.resume.open();
            linked.held.wait();
            events.run(*map, op_kind::load, 100);   // installs head 01 of the new segment
            linked.resume.open();
        }
        linked.done(index);
        finish(index);
    }
    void after() {
        RL_ASSERT(plan.stopped() && linked.stopped());
        teardown_plan();
        check_and_teardown();
    }
};

// The same installer stopped after it linked its head and read its `next`,
// before the CAS that releases its claim, while the other thread erases the
// only key, which shrinks the map to width 0 (fault CLAIM_RELEASED_BY_STORE:
// the installer's store undoes the freeze of a head no longer in the list,
// its walk starts there, and the key it stores is linked after that head
// and lost: a history no order explains. With clear() instead of the erase
// the checker could explain the loss, since the store overlaps the clear;
// with an entry after the head its walk would retry from the start).
struct claim_held_vs_shrink : rl::test_suite<claim_held_vs_shrink, 2>, held_fixture {
    void before() {
        setup();
        prefill(10, 1);
        map->reserve(2);  // width 1; section 1 empty, its head not in the list
        RL_ASSERT(map->stats().table_width == 1);
        track(210);
        plan.arm(0, site::claim_release);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 210, 3);  // links section 1's head before the end
            events.run(*map, op_kind::load, 210);
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 10);  // empty: shrinks to width 0
            RL_ASSERT(map->stats().table_width == 0);
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

// The fault switches these scenarios exist for. A fault build runs only
// the scenarios that must report its fault (the others would pass, at full
// length, before it: CI time); the plain build runs them all.
constexpr bool lost_retry = d::fault::lost_retry;
constexpr bool cut_past_room = d::fault::cut_past_room;
constexpr bool stale_helper = d::fault::stale_shrink_helper;
constexpr bool claim_store = d::fault::claim_released_by_store;
constexpr bool head_order_unchecked = d::fault::head_order_unchecked;
constexpr bool fault_build = lost_retry || cut_past_room || stale_helper || claim_store || head_order_unchecked;

const char* only = nullptr;  // --only <name>: one scenario

template <class Scenario>
bool maybe_explore(const char* name, const exploration& how, bool catches) {
    if (only != nullptr ? std::strcmp(only, name) != 0 : fault_build && !catches) {
        return true;
    }
    return explore<Scenario>(name, how);
}

int main(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--only") == 0) {
            only = argv[i + 1];
        }
    }
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 25000000ULL : 500000ULL, 0};
    bool ok = maybe_explore<insert_held_vs_compaction>("insert_held_vs_compaction", how, lost_retry);
    ok = ok && maybe_explore<shrink_held_vs_walks>("shrink_held_vs_walks", how, stale_helper);
    ok = ok && maybe_explore<shrink_held_vs_regrow>("shrink_held_vs_regrow", how, false);
    ok = ok && maybe_explore<install_held_vs_resizes>("install_held_vs_resizes", how, false);
    ok = ok && maybe_explore<claim_held_vs_shrink>("claim_held_vs_shrink", how, claim_store);
    ok = ok && maybe_explore<head_linked_after_its_level_regrew>("head_linked_after_its_level_regrew", how,
                                                                     head_order_unchecked);
    ok = ok && maybe_explore<cut_in_pieces>("cut_in_pieces", how, cut_past_room);
    return ok ? 0 : 1;
}
