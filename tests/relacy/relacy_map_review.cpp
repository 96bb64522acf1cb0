// The schedules of the three bugs a review found in the first port
// (reclamation.md items 10 to 12, reproduced in shared/review/), and of the
// step validation of item 1, each built so that the fault switch that
// reintroduces the bug (detail/fault.hpp) is reported by Relacy:
//
//   iterator_copy_held[_postfix]  item 10: a copy of an iterator shares the
//                                 original's validated slot
//                                 (UNVALIDATED_HANDOFF: a slot of its own,
//                                 published without validation)
//   boundary_handoff              item 10: a write's cursor validates the two
//                                 publishes that save its insertion point
//                                 (UNVALIDATED_HANDOFF: it does not)
//   stamp_aba, stamp_reentry      item 11: a new key is stamped after its link,
//                                 from a clock that advances
//                                 (STAMP_BEFORE_LINK; FROZEN_CLOCK)
//   plain_position_race           a plain entry's position is read before the
//                                 load that shows it live
//                                 (CLOCK_AFTER_VALIDATION)
//   claimed_head_held             an insert right after a section head whose
//                                 installer holds its claim expects the link
//                                 it read, claim bit and all
//                                 (EXPECT_UNCLAIMED_LINK)
//   step_held                     item 1: a step from a live node re-reads its
//                                 next (SKIP_STEP_VALIDATION)
//   plain_front_held              the same for a plain yield's protection of
//                                 its successor (SKIP_FRONT_VALIDATION)
//   iterator_copy_free[_postfix]  the copies of item 10 under the random
//                                 scheduler alone (no fault build: it never
//                                 finds the schedule, see below)
//
// The item-10 faults need a scan of the domain to straddle a few steps of
// the other thread: the scan reads the new slot before the publish and the
// old one after it moved on. The random scheduler never keeps a scan still
// for the dozens of steps that takes (the free forms run 250,000 executions
// of the fault build without a report), and no stall point can hold a thread
// inside a scan. So the held forms build the schedule from three parts:
// records that make the scan long (every slot it reads is one modelled
// load), a delay that lands the other thread inside it, and a stretch of the
// other thread run without a context switch (Relacy's preemption switch,
// `no_preemption` below), as a thread that is not preempted for a few
// microseconds would. The switch changes only which thread runs next; every
// load still returns what the memory model allows. About half the
// executions of iterator_copy_held and one in ten of boundary_handoff land
// the schedule exactly (their fault builds report within the first few
// dozen iterations from any starting seed); the others are ordinary
// interleavings of the same calls.
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <streambuf>
#include <string>

#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;
using site = d::stall::site;

// A map that never resizes: the scenarios place every node themselves.
sink::concurrent_map_options quiet_options(sink::hazard_pointer_domain& domain) {
    sink::concurrent_map_options o = tiny_options(domain);
    o.grow_on_insert_count = 0;
    o.shrink_on_empty_count = 0;
    return o;
}

struct review_fixture : map_fixture {
    d::atomic<int> ticker{0};

    void setup_quiet() {
        domain.emplace(sink::reclamation_policy::eager);
        d::hazard_domain_access::set_model_default_domain(&*domain);
        map.emplace(quiet_options(*domain));
        events.reset();
        initial = model_state{};
    }
    // At the end of before(): the record the setup used is let go, so the
    // first thread to need one reuses it. It is the oldest record of the
    // domain, the last a scan reads.
    void end_setup() { thread_done(); }

    // `n` modelled steps of the calling thread (the other thread runs about
    // as many meanwhile).
    void delay(int n) {
        for (int i = 0; i < n; ++i) {
            (void)ticker.load(d::mo_relaxed);
        }
    }
};

// Runs the calling thread without a context switch until stopped. Never
// across a wait: a gate yields.
struct no_preemption {
    bool on = false;
    void start() {
        RL_ASSERT(!on);
        rl::ctx().disable_preemption();
        on = true;
    }
    void stop() {
        if (on) {
            rl::ctx().enable_preemption();
            on = false;
        }
    }
};

// ---- 1. iterator copies (item 10) ------------------------------------------------------

// Thread 0 stands an iterator on 10, copies it (`it2 = it`, or the postfix
// `it++`), moves the original on, and reads the entry through the copy;
// thread 1 erases 10 and 20, so that cuts retire them and the domain scans.
// The copy must keep 10 readable. Free form: the random scheduler
// interleaves everything.
template <bool Postfix>
struct iterator_copy_free : rl::test_suite<iterator_copy_free<Postfix>, 2>, review_fixture {
    void before() {
        setup_quiet();
        for (int k : {10, 20, 30}) {
            prefill(k, k / 10);
        }
    }
    static void check_entry(const map_type::const_iterator& it) {
        const int k = it->first;
        RL_ASSERT(k == 10 || k == 20 || k == 30);
        RL_ASSERT(it->second.get() == k / 10);  // a freed value is a Relacy report here
    }
    void thread(unsigned index) {
        if (index == 0) {
            auto it = map->begin();
            if (it != map->end()) {
                if constexpr (Postfix) {
                    const auto before = it++;
                    check_entry(before);
                    if (it != map->end()) {
                        check_entry(it);
                    }
                } else {
                    const auto it2 = it;
                    ++it;
                    check_entry(it2);
                    if (it != map->end()) {
                        RL_ASSERT(it->first > it2->first);
                        check_entry(it);
                    }
                    RL_ASSERT(it != it2);
                }
            }
        } else {
            map->erase(10);
            map->erase(20);
        }
        thread_done();
    }
    void after() {
        RL_ASSERT(map->verify());
        RL_ASSERT(map->size() == 1 && map->contains(30));
        teardown();
    }
};

// Held form: the copy and the move happen while thread 1's scan is half way
// through the slots. Thread 0 stands on 10 and fills its record (a copy
// that takes a slot of its own then gets it in a new record, which the
// scan, started before, does not read);
// thread 1 adds two records of its own (read before thread 0's), erases 10
// and 20 (10 survives those scans: thread 0's slot shows it), then exits
// (thread_done: the scan that frees what no slot shows). Thread 0 waits for
// that, lets a few steps pass, and copies and moves on without a context
// switch: the scan has read thread 1's records and not yet the slot of the
// original. Only a copy that shares the original's slot keeps 10 alive.
template <bool Postfix>
struct iterator_copy_held : rl::test_suite<iterator_copy_held<Postfix>, 2>, review_fixture {
    gate ready, scan_started, scan_done;
    static constexpr int copy_delay = 10;

    void before() {
        setup_quiet();
        for (int k : {10, 20, 30}) {
            prefill(k, k / 10);
        }
        ready.reset();
        scan_started.reset();
        scan_done.reset();
        end_setup();
    }
    void thread(unsigned index) {
        if (index == 0) {
            {
                auto it = map->begin();
                RL_ASSERT(it != map->end() && it->first == 10);
                auto fill = sink::make_hazard_pointers<7>(*domain);  // the rest of this thread's record
                ready.open();
                scan_started.wait();
                delay(copy_delay);
                std::optional<map_type::const_iterator> copy;
                no_preemption np;
                np.start();
                if constexpr (Postfix) {
                    copy.emplace(it++);
                } else {
                    copy.emplace(it);
                    ++it;
                }
                np.stop();
                RL_ASSERT(it != map->end() && it->first == 30);
                scan_done.wait();
                RL_ASSERT((*copy)->first == 10);
                RL_ASSERT((*copy)->second.get() == 1);  // freed unless the copy kept it
            }
            thread_done();
        } else {
            ready.wait();
            { auto widen = sink::make_hazard_pointers<16>(*domain); }  // two records, kept by the domain
            map->erase(10);
            map->erase(20);
            scan_started.open();
            thread_done();
            scan_done.open();
        }
    }
    void after() {
        RL_ASSERT(map->verify());
        RL_ASSERT(map->size() == 1 && map->contains(30));
        teardown();
    }
};

// ---- 2. a write's saved insertion point (item 10) --------------------------------------

// The list is 10 -> 20 -> 276 -> 788, where 20, 276 and 788 collide (one
// group: 20 its plain entry, 276 the front of its stamped part). Thread 1
// erases 276 and stops before the CAS that cuts it out. Thread 0 inserts
// 532 (the same group, so stamped): its walk steps from 10 onto 20, then
// from 20 onto 276 (that step's hook releases thread 1) and, at the stamped
// part's front, saves the boundary (prev 20, succ 276) by publishing both
// in two more slots. Thread 1 cuts 276 out and retires it right after
// thread 0's step validated 276, before those publishes (the cut and the
// rest of the erase run without a context switch; the erase's own scans
// keep 276, which the erasing cursor and thread 0's walk protect); then
// thread 1 exits, and its scan is the one that frees 276 unless a slot
// shows it. Thread 0's record is full, so the two boundary slots come in a
// new record that the scan, started before, does not read; thread 0 walks
// on from 276 without a context switch (from its next step hook) until its
// walk's slot has moved off 276, and waits at the step after that until
// thread 1 is gone. Then the insert reads succ's stamp. A save that
// validates its publishes (re-reading 20->next) sees the cut and starts the
// walk again.
struct boundary_handoff : rl::test_suite<boundary_handoff, 2>, review_fixture {
    gate setup_done, eraser_held, go, eraser_done;
    no_preemption np0, np1;
    bool inserting = false;  // plain: Relacy switches threads only at modelled steps
    bool erasing = false;
    int steps = 0;
    static constexpr int cut_delay = 4;
    static inline boundary_handoff* current = nullptr;

    void before() {
        setup_quiet();
        prefill(10, 1);
        prefill(20, 2);
        prefill(788, 4);
        prefill(276, 3);
        track(532);
        setup_done.reset();
        eraser_held.reset();
        go.reset();
        eraser_done.reset();
        inserting = erasing = false;
        steps = 0;
        end_setup();
        current = this;
        d::stall::set_hook(&on_stall);
    }
    static void on_stall(site s) noexcept {
        boundary_handoff* p = current;
        if (p == nullptr) {
            return;
        }
        const unsigned thread = d::current_thread_index();
        if (thread == 0 && p->inserting && s == site::step) {
            switch (++p->steps) {
                case 1:  // stepping from 10 onto 20
                    break;
                case 2:  // stepping from 20 onto 276
                    p->go.open();
                    break;
                case 3:  // the next step: its walk's slot moves off 276
                    p->np0.start();
                    break;
                case 4:
                    p->np0.stop();
                    p->inserting = false;
                    p->eraser_done.wait();
                    break;
                default:
                    break;
            }
        }
        if (thread == 1 && p->erasing && s == site::compaction) {
            p->erasing = false;
            p->eraser_held.open();
            p->go.wait();
            p->delay(cut_delay);
            p->np1.start();  // until the erase returns
        }
    }
    void thread(unsigned index) {
        if (index == 0) {
            {
                auto fill = sink::make_hazard_pointers<3>(*domain);  // with the walk's five: a full record
                setup_done.open();
                eraser_held.wait();
                inserting = true;
                events.run(*map, op_kind::store, 532, 5);
                inserting = false;
                np0.stop();
                events.run(*map, op_kind::load, 276);
            }
        } else {
            setup_done.wait();
            { auto widen = sink::make_hazard_pointers<32>(*domain); }  // four records, kept by the domain
            erasing = true;
            events.run(*map, op_kind::erase, 276);
            erasing = false;
            np1.stop();
            thread_done();
            eraser_done.open();
        }
        thread_done();
    }
    void after() {
        d::stall::set_hook(nullptr);
        current = nullptr;
        check_and_teardown();
    }
};

// ---- 3. stamps (item 11) ------------------------------------------------------------------

// The keys one iteration yielded, in order.
struct yield_log {
    std::array<int, 8> keys{};
    int count = 0;

    void add(int key) {
        RL_ASSERT(count < static_cast<int>(keys.size()));
        keys[static_cast<std::size_t>(count++)] = key;
    }
    int times(int key) const {
        int n = 0;
        for (int i = 0; i < count; ++i) {
            n += keys[static_cast<std::size_t>(i)] == key ? 1 : 0;
        }
        return n;
    }
    void print() const {
        std::printf("yielded:");
        for (int i = 0; i < count; ++i) {
            std::printf(" %d", keys[static_cast<std::size_t>(i)]);
        }
        std::printf("\n");
    }
};

// shared/review/stamp_dup.cpp as a model: the group of 20 holds 20 (its
// plain entry); thread 0 inserts 276 (same group, so stamped) and is held
// before its CAS. Thread 1 inserts 532 and 276 at the stamped part's front,
// starts iterating (yields 20, then 276), erases 276 and 532 (their cuts
// restore the link 0 expects), releases thread 0, whose CAS links 276
// again, and finishes the iteration. No key may come twice, and 20, present
// and unchanged throughout, exactly once.
struct stamp_aba : rl::test_suite<stamp_aba, 2>, review_fixture {
    stall_plan plan;
    gate inserted;
    yield_log seen;

    void before() {
        setup_quiet();
        prefill(20, 1);
        track(276);
        track(532);
        inserted.reset();
        seen = yield_log{};
        plan.arm(0, site::insert);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 276, 2);
            inserted.open();
        } else {
            plan.held.wait();
            RL_ASSERT(plan.stopped());
            events.run(*map, op_kind::store, 532, 3);
            events.run(*map, op_kind::store, 276, 4);
            auto it = map->begin();
            RL_ASSERT(it != map->end() && it->first == 20);
            seen.add(it->first);
            ++it;
            RL_ASSERT(it != map->end() && it->first == 276);
            seen.add(it->first);
            events.run(*map, op_kind::erase, 276);
            events.run(*map, op_kind::erase, 532);
            plan.resume.open();
            inserted.wait();
            for (++it; it != map->end(); ++it) {
                seen.add(it->first);
            }
        }
        plan.done(index);
        thread_done();
    }
    void after() {
        plan.disarm();
        if (seen.times(276) > 1 || seen.times(20) != 1 || seen.times(532) > 1) {
            seen.print();
        }
        RL_ASSERT(seen.times(276) == 1);  // once before the erase; the re-insert comes after the position
        RL_ASSERT(seen.times(20) == 1);
        RL_ASSERT(seen.times(532) == 0);  // erased before the iteration reached it
        check_and_teardown();
    }
};

// Keys that leave their group and come back, one thread (the other idle):
// 20 and 276 collide, 20 plain, 276 stamped. The iterator yields 20 and
// 276; 276 is erased and stored again (stamped: 20 holds the plain part);
// the walk on must skip the new 276 (it came after the position). Then a
// second iterator stands on the new 276, the group is emptied, 276 comes
// back once more (plain now): the walk on must end without it.
struct stamp_reentry : rl::test_suite<stamp_reentry, 2>, review_fixture {
    void before() {
        setup_quiet();
        prefill(20, 1);
        prefill(276, 2);
    }
    void thread(unsigned index) {
        if (index == 0) {
            auto it = map->begin();
            RL_ASSERT(it != map->end() && it->first == 20);
            ++it;
            RL_ASSERT(it != map->end() && it->first == 276);
            map->erase(276);
            map->store(276, value(3));
            ++it;
            RL_ASSERT(it == map->end());  // the new 276 is not after the position

            auto again = map->begin();
            RL_ASSERT(again != map->end() && again->first == 20);
            ++again;
            RL_ASSERT(again != map->end() && again->first == 276 && again->second.get() == 3);
            map->erase(276);
            map->erase(20);
            map->store(276, value(4));  // into the emptied group
            ++again;
            RL_ASSERT(again == map->end());
        }
        thread_done();
    }
    void after() {
        RL_ASSERT(map->verify());
        RL_ASSERT(map->size() == 1 && map->contains(276));
        teardown();
    }
};

// A plain entry's position (docs/design.md, "iteration"): read from the
// group's clock BEFORE the load that shows the entry live. The group of 20
// holds 20 (plain). Thread 0 iterates and is held at its yield of 20, after
// that load. Thread 1 erases 20, stores 276 (plain: the part is free), 20
// again (stamped: 276 holds the plain part) and 532 in front of it, which
// stamps the new 20. Released, thread 0 finishes its iteration: 20 must not
// come twice. With the clock read after the load (CLOCK_AFTER_VALIDATION)
// the position takes in the new 20's stamp, and the new 20 is yielded.
struct plain_position_race : rl::test_suite<plain_position_race, 2>, review_fixture {
    stall_plan plan;
    yield_log seen;

    void before() {
        setup_quiet();
        prefill(20, 1);
        seen = yield_log{};
        plan.arm(0, site::plain_yield);
    }
    void thread(unsigned index) {
        if (index == 0) {
            for (auto it = map->begin(); it != map->end(); ++it) {
                seen.add(it->first);
            }
        } else {
            plan.held.wait();
            map->erase(20);
            map->store(276, value(2));
            map->store(20, value(3));
            map->store(532, value(4));
            plan.resume.open();
        }
        plan.done(index);
        thread_done();
    }
    void after() {
        plan.disarm();
        if (seen.times(20) > 1) {
            seen.print();
        }
        RL_ASSERT(seen.times(20) == 1);  // yielded at the hold; its return comes after the position
        RL_ASSERT(seen.times(276) <= 1 && seen.times(532) <= 1);
        RL_ASSERT(map->verify());
        teardown();
    }
};

// ---- 4. inserts after a claimed head --------------------------------------------------------

// A width-1 map whose section 1 head is not in the list; thread 0's store of
// 210 installs it and is held after linking it, before releasing its claim.
// Thread 1 stores 150, then 140: each sorts right after the claimed head
// (section 1 starts at 128; 200 is its first entry), so each insert's CAS
// is on the head's `next`. They must not wait for thread 0: with the fault
// their CAS expects the bare successor, fails on the claim bit every time,
// and Relacy reports a livelock.
struct claimed_head_held : rl::test_suite<claimed_head_held, 2>, map_fixture {
    stall_plan plan;

    void before() {
        setup();
        prefill(10, 1);
        prefill(200, 2);
        map->reserve(2);
        RL_ASSERT(map->stats().table_width == 1 && map->stats().heads == 1);
        track(210);
        track(150);
        track(140);
        plan.arm(0, site::claim_release);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, 210, 3);
            events.run(*map, op_kind::load, 140);
        } else {
            plan.held.wait();
            events.run(*map, op_kind::store, 150, 4);
            events.run(*map, op_kind::store, 140, 5);
            plan.resume.open();
            events.run(*map, op_kind::load, 150);
        }
        plan.done(index);
        thread_done();
    }
    void after() {
        RL_ASSERT(plan.stopped());
        plan.disarm();
        check_and_teardown();
    }
};

// ---- 5. a step from a live node (item 1) ---------------------------------------------------

// Thread 0 loads 30 and is held in its step from 10 to 20, after reading
// 10->next and before protecting 20; thread 1 erases 20 (a cut retires it)
// and exits (its scan frees 20: nothing protects it). Thread 0's step must
// see that 10->next changed and not step onto 20.
struct step_held : rl::test_suite<step_held, 2>, review_fixture {
    stall_plan plan;

    void before() {
        setup_quiet();
        for (int k : {10, 20, 30}) {
            prefill(k, k / 10);
        }
        plan.arm(0, site::step);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::load, 30);
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 20);
            thread_done();  // the scan that frees 20
            plan.resume.open();
        }
        plan.done(index);
        thread_done();
    }
    void after() {
        RL_ASSERT(plan.stopped());
        plan.disarm();
        check_and_teardown();
    }
};

// The same for a plain yield (map_core::stamp_part_front): the list is
// 10 -> 266 -> 30, where 266 collides with 10 (10 is its group's plain
// entry, 266 its stamped part's front). Thread 0 walks, and is held at 10
// after reading 10->next and before protecting 266, which the yield must
// stamp; thread 1 erases 266 (a cut retires it) and exits (its scan frees
// 266). Thread 0 must see that 10->next changed and not touch 266. (A
// plain successor would do too, but its order is a plain field, which
// Relacy does not watch: the stamp is an atomic it does.)
struct plain_front_held : rl::test_suite<plain_front_held, 2>, review_fixture {
    stall_plan plan;
    yield_log seen;

    void before() {
        setup_quiet();
        prefill(10, 1);
        prefill(266, 2);
        prefill(30, 3);
        seen = yield_log{};
        plan.arm(0, site::plain_front);
    }
    void thread(unsigned index) {
        if (index == 0) {
            map->range([this](const int& k, const value&) {
                seen.add(k);
                return true;
            });
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 266);
            thread_done();  // the scan that frees 266
            plan.resume.open();
        }
        plan.done(index);
        thread_done();
    }
    void after() {
        RL_ASSERT(plan.stopped());
        plan.disarm();
        RL_ASSERT(seen.times(10) == 1 && seen.times(30) == 1 && seen.times(266) == 0);
        check_and_teardown();
    }
};

// ---- running ------------------------------------------------------------------------------

// The fault switches of detail/fault.hpp that these scenarios exist for.
constexpr bool handoff_fault = d::fault::unvalidated_handoff;
constexpr bool stamp_fault = d::fault::stamp_before_link;
constexpr bool clock_fault = d::fault::frozen_clock;
constexpr bool claim_fault = d::fault::expect_unclaimed_link;
constexpr bool step_fault = d::fault::skip_step_validation;
constexpr bool position_fault = d::fault::clock_after_validation;
constexpr bool front_fault = d::fault::skip_front_validation;
constexpr bool fault_build =
    handoff_fault || stamp_fault || clock_fault || claim_fault || step_fault || position_fault || front_fault;

struct entry {
    const char* name;
    bool (*run)(const char* name, unsigned long long iterations, unsigned depth, std::ostream& out);
    unsigned long long iterations;
    unsigned depth_limit;  // 0: Relacy's default (2,000 scheduling points per execution)
    bool catches;          // in a fault build: the scenario must report the fault
};

// Command line: --long (50 times the iterations), --only <name> (one
// scenario), --iterations <n> (instead of the scenario's own count), --from
// <k> (start at iteration k: each iteration's schedule is seeded by its
// number), --depth <n> (the depth limit instead of the scenario's own).
unsigned long long first_iteration = 1;

template <class Scenario>
bool run(const char* name, unsigned long long iterations, unsigned depth, std::ostream& out) {
    rl::test_params p;
    p.search_type = rl::random_scheduler_type;
    p.iteration_count = iterations;
    p.output_stream = &out;
    if (depth != 0) {
        p.execution_depth_limit = depth;
    }
    std::string from;
    if (first_iteration > 1) {
        from = std::to_string(first_iteration);
        p.initial_state = from;
        p.iteration_count = first_iteration + iterations - 1;
    }
    const bool passed = rl::simulate<Scenario>(p);
    // A report ends the execution where it is: nothing of it may outlive it.
    d::stall::set_hook(nullptr);
    if (passed) {
        out << name << ": passed (random scheduler, " << iterations << " iterations)\n";
    } else {
        out << name << ": FAILED (random scheduler, at iteration " << p.stop_iteration << ")\n";
    }
    return passed;
}

// Relacy's output kept aside in a temporary file. Written with fwrite:
// Relacy takes over operator new while it simulates, so a growing string
// buffer cannot hold it.
class file_sink : public std::streambuf {
public:
    file_sink() : f_(std::tmpfile()) {
        if (f_ == nullptr) {
            std::printf("cannot create a temporary file\n");
            std::exit(2);
        }
    }
    file_sink(const file_sink&) = delete;
    file_sink& operator=(const file_sink&) = delete;
    ~file_sink() override { std::fclose(f_); }
    void copy_to(std::FILE* to) {
        std::fflush(f_);
        std::rewind(f_);
        char buffer[4096];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, f_)) > 0) {
            std::fwrite(buffer, 1, n, to);
        }
    }

protected:
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            std::fputc(traits_type::to_char_type(c), f_);
        }
        return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<std::size_t>(n), f_));
    }

private:
    std::FILE* f_;
};

}  // namespace

int main(int argc, char** argv) {
    const unsigned long long scale = long_mode(argc, argv) ? 50 : 1;
    const char* only = nullptr;
    unsigned long long forced_iterations = 0;
    unsigned forced_depth = 0;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--only") == 0) {
            only = argv[i + 1];
        } else if (std::strcmp(argv[i], "--iterations") == 0) {
            forced_iterations = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (std::strcmp(argv[i], "--from") == 0) {
            first_iteration = std::strtoull(argv[i + 1], nullptr, 10);
        } else if (std::strcmp(argv[i], "--depth") == 0) {
            forced_depth = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
        }
    }
    const entry scenarios[] = {
        {"iterator_copy_held", &run<iterator_copy_held<false>>, 100000, 0, handoff_fault},
        {"iterator_copy_held_postfix", &run<iterator_copy_held<true>>, 100000, 0, handoff_fault},
        {"boundary_handoff", &run<boundary_handoff>, 100000, 0, handoff_fault},
        {"iterator_copy_free", &run<iterator_copy_free<false>>, 250000, 0, false},
        {"iterator_copy_free_postfix", &run<iterator_copy_free<true>>, 250000, 0, false},
        {"stamp_aba", &run<stamp_aba>, 100000, 0, stamp_fault || clock_fault},
        {"stamp_reentry", &run<stamp_reentry>, 1000, 0, clock_fault},
        {"plain_position_race", &run<plain_position_race>, 20000, 0, position_fault},
        // Up to about 2,200 scheduling points (the held thread's waiting
        // counts); the fault's endless retry is reported at the limit.
        {"claimed_head_held", &run<claimed_head_held>, 100000, 6000, claim_fault},
        {"step_held", &run<step_held>, 100000, 0, step_fault},
        {"plain_front_held", &run<plain_front_held>, 20000, 0, front_fault},
    };
    bool ok = true;
    bool all_reported = true;
    file_sink reports;
    std::ostream report_stream(&reports);
    for (const entry& e : scenarios) {
        if (only != nullptr ? std::strcmp(only, e.name) != 0 : fault_build && !e.catches) {
            continue;
        }
        const unsigned long long iterations = forced_iterations != 0 ? forced_iterations : e.iterations * scale;
        const unsigned depth = forced_depth != 0 ? forced_depth : e.depth_limit;
        if (!fault_build) {
            ok = e.run(e.name, iterations, depth, std::cout) && ok;
            std::cout.flush();
            continue;
        }
        // A fault build passes (CTest) only if Relacy reports, and must fail
        // if any scenario meant to catch the fault does not: the reports are
        // printed only if every such scenario made one.
        const bool passed = e.run(e.name, iterations, depth, report_stream);
        report_stream.flush();
        std::printf("%s: the fault was %s\n", e.name, passed ? "NOT REPORTED" : "reported");
        std::fflush(stdout);
        all_reported = all_reported && !passed;
    }
    if (fault_build) {
        if (all_reported) {
            std::fflush(stdout);
            reports.copy_to(stdout);
        } else {
            std::printf("(the reports of the other scenarios are withheld, so that this build fails)\n");
        }
        return 1;
    }
    return ok ? 0 : 1;
}
