// Immediate address reuse (issue 17, docs/design.md "Address reuse"): the
// map's nodes come from an allocator that gives a freed node's memory to the
// next node of its kind at once, as node pools do. Every pointer comparison
// that validates a step must still prove what it claims when the address it
// compares can come back as another node right away; a protection is what
// keeps an address from coming back.
//
//   insert_succ_reused   a new key's insert, held before its CAS, while its
//                        successor is erased (and freed, unless protected:
//                        a second erase's scan) and a smaller key is inserted
//                        right after the same predecessor, at the
//                        successor's old address; also inside a group of
//                        colliding keys (`_in_group`: the successor is the
//                        saved insertion point's). The
//                        held CAS must fail. (SUCC_UNPROTECTED: the insert
//                        drops its successor's protection before the CAS,
//                        which then succeeds and links 15 before 12:
//                        verify() reports the list out of order.)
//   run_first_reused     a lookup held inside a frozen run of two nodes while
//                        the run is cut, its node after the run erased and
//                        freed, and both freed addresses taken again: the
//                        run's first node by a key linked right after the
//                        run's anchor. The lookup's check of anchor->next
//                        must not be fooled. (FIRST_UNPROTECTED: the walk
//                        lets the run's first node go; its check passes on
//                        the recycled address, the walk follows the freed
//                        successor's address into another key and reports
//                        50, present throughout, absent: not linearizable.)
//   cut_first_reused     the same for a cut: an erase held before its cut
//                        CAS on 10->next, expecting the run's first node,
//                        while others cut that node, free it and link a
//                        new key at its address right after 10. The held
//                        CAS must fail. (CUT_FIRST_UNPROTECTED: the cut
//                        lets the first node go; its CAS succeeds and cuts
//                        out the new key, and the cut's retire walk runs
//                        past the run: the retirer's room check.)
//   writers_reuse        two threads of stores and erases on a few keys, and
//                        a walk, under the random scheduler: linearizable,
//                        weakly consistent, structure sound, nothing leaked.
#include <array>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <new>
#include <utility>

#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;
using site = d::stall::site;

// Stateless, all instances equal: freed memory goes on a LIFO stack per
// node type and the next allocation of that type takes the top; memory is
// Relacy's (so what is really freed is checked as freed). Not a
// model-checked structure: Relacy switches threads only at modelled steps,
// and these are plain code. The stacks are emptied (really freed) by
// release_all() at each execution's end, or Relacy would report leaks.
template <class T>
struct recycling_allocator {
    using value_type = T;
    using is_always_equal = std::true_type;

    recycling_allocator() = default;
    template <class U>
    recycling_allocator(const recycling_allocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        T* p = nullptr;
        if (n == 1 && preferred != nullptr) {
            p = take(preferred);
            preferred = nullptr;
        }
        if (p == nullptr && n == 1 && stack_size > 0) {
            ++reused;
            p = static_cast<T*>(stack[--stack_size]);
        }
        if (p == nullptr) {
            p = static_cast<T*>(d::allocate_bytes(n * sizeof(T), alignof(T)));
        }
        if (handed_count < capacity) {
            handed[handed_count++] = p;
        }
        return p;
    }
    // The free block p off the stack, or null if p is not free.
    static T* take(void* p) noexcept {
        for (std::size_t i = 0; i < stack_size; ++i) {
            if (stack[i] == p) {
                stack[i] = stack[--stack_size];
                ++reused;
                ++preferred_taken;
                return static_cast<T*>(p);
            }
        }
        return nullptr;
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n == 1 && stack_size < capacity) {
            stack[stack_size++] = p;
            return;
        }
        d::deallocate_bytes(p, n * sizeof(T), alignof(T));
    }
    // At an execution's start: blocks left by an execution that failed
    // (Relacy ends it where it is, so release_all never ran) belong to a
    // memory context that is gone; drop them.
    static void forget_all() noexcept {
        stack_size = 0;
        handed_count = 0;
        preferred = nullptr;
        preferred_taken = 0;
    }
    static void release_all() noexcept {
        while (stack_size > 0) {
            d::deallocate_bytes(stack[--stack_size], sizeof(T), alignof(T));
        }
    }

    static constexpr std::size_t capacity = 16;
    static inline void* stack[capacity] = {};
    static inline std::size_t stack_size = 0;
    static inline unsigned long long reused = 0;
    // The blocks handed out since forget_all(), in order (the first
    // `capacity`), so that a scenario knows which block holds which node.
    static inline void* handed[capacity] = {};
    static inline std::size_t handed_count = 0;
    // The next allocation takes this block if it is free, whatever the stack
    // order: a scenario names the address a newcomer must take.
    static inline void* preferred = nullptr;
    static inline unsigned preferred_taken = 0;

    friend bool operator==(const recycling_allocator&, const recycling_allocator&) noexcept { return true; }
};

using reuse_map = sink::concurrent_map<int, value, placed_hash, std::equal_to<int>,
                                       recycling_allocator<std::pair<const int, value>>>;
using node_types = d::map_types<int, value, recycling_allocator<std::pair<const int, value>>>;

// Frees what the allocators still hold (after the map and the domain are
// gone, so no node is in use).
void forget_recycled() {
    recycling_allocator<typename node_types::entry>::forget_all();
    recycling_allocator<typename node_types::stamped_entry>::forget_all();
    recycling_allocator<typename node_types::node>::forget_all();
}
void release_recycled() {
    recycling_allocator<typename node_types::entry>::release_all();
    recycling_allocator<typename node_types::stamped_entry>::release_all();
    recycling_allocator<typename node_types::node>::release_all();
}

struct reuse_fixture : basic_map_fixture<reuse_map> {
    void setup_quiet() {
        forget_recycled();
        domain.emplace(sink::reclamation_policy::eager);
        d::hazard_domain_access::set_model_default_domain(&*domain);
        sink::concurrent_map_options o = tiny_options(*domain);
        o.grow_on_insert_count = 0;  // no resizes: the scenario places every node
        o.shrink_on_empty_count = 0;
        map.emplace(o);
        events.reset();
        initial = model_state{};
    }
    void finish() {
        check_and_teardown();
        release_recycled();
    }
};

// Two shapes. Apart: 10 -> 20 -> 40, each its own group; thread 0 inserts
// 15 (its successor 20, protected by its walk's cursor); thread 1 erases 20,
// and 12 takes its address. In a group: 10 -> 20 -> 276 -> 40, where 20 is
// the plain entry of the group of 20 and 276 its stamped part's front;
// thread 0 inserts 532 (stamped: its successor 276, protected as the saved
// insertion point); thread 1 erases 276, and 788 (stamped, same group)
// takes its address.
template <bool InGroup>
struct insert_succ_reused : rl::test_suite<insert_succ_reused<InGroup>, 2>, reuse_fixture {
    static constexpr int successor = InGroup ? 276 : 20;
    static constexpr int inserted = InGroup ? 532 : 15;
    static constexpr int newcomer = InGroup ? 788 : 12;
    stall_plan plan;

    void before() {
        setup_quiet();
        prefill(10, 1);
        prefill(20, 2);
        if (InGroup) {
            prefill(276, 6);
        }
        prefill(40, 4);
        track(inserted);
        track(newcomer);
        plan.arm(0, site::insert);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::store, inserted, 5);  // held before its CAS
        } else {
            plan.held.wait();
            // The successor erased, cut and retired (its eraser's own walk
            // still protects it during that retire's scan); the erase of 40
            // scans again and frees it unless thread 0 protects it; the
            // newcomer is then made at its address and linked right after
            // the same predecessor.
            events.run(*map, op_kind::erase, successor);
            events.run(*map, op_kind::erase, 40);
            events.run(*map, op_kind::store, newcomer, 3);
            plan.resume.open();
        }
        plan.done(index);
        thread_done();
    }
    void after() {
        plan.disarm();
        finish();
    }
};

// Holds each of several threads at the n-th time it reaches its own stall
// site, until the scenario lets it go (stall_plan holds one thread). Plain
// fields: Relacy switches threads only at modelled steps, and a thread
// touches only its own point.
template <unsigned Threads>
class hold_points {
public:
    gate held[Threads];    // opened when the thread stops there (or ends without stopping)
    gate resume[Threads];  // the thread goes on when this opens
    gate done[Threads];    // opened at the thread's end

    void hold(unsigned thread, site where, int nth) { points_[thread] = point{true, where, nth, 0, false}; }
    void arm() {
        for (unsigned t = 0; t < Threads; ++t) {
            held[t].reset();
            resume[t].reset();
            done[t].reset();
        }
        current = this;
        d::stall::set_hook(&on_stall);
    }
    void finished(unsigned thread) {
        points_[thread].armed = false;
        held[thread].open();
        done[thread].open();
    }
    bool stopped(unsigned thread) const { return points_[thread].stopped; }
    void disarm() {
        d::stall::set_hook(nullptr);
        current = nullptr;
        points_ = {};
    }

private:
    struct point {
        bool armed = false;
        site where = site::insert;
        int nth = 0;
        int seen = 0;
        bool stopped = false;
    };
    static void on_stall(site s) noexcept {
        hold_points* p = current;
        const unsigned t = d::current_thread_index();
        if (p == nullptr || t >= Threads) {
            return;
        }
        point& pt = p->points_[t];
        if (!pt.armed || s != pt.where || ++pt.seen < pt.nth) {
            return;
        }
        pt.armed = false;
        pt.stopped = true;
        p->held[t].open();
        p->resume[t].wait();
    }

    static inline hold_points* current = nullptr;
    std::array<point, Threads> points_{};
};

// Row 2 of docs/design.md item 13, the check of a step inside a frozen run:
// anchor->next must still be the link to the run's first node, and equal
// addresses mean the same node only while that node cannot be freed.
// List 10, 20, 30, 40, 50, 70, nodes made in that order. Thread 1 erases 30 and
// thread 2 erases 20, each held before its cut: [20, 30] is a frozen run
// after 10. Thread 0 looks 50 up and is held in the run, on 30, about to
// step onto 40: its fourth stall at a step. A lookup first walks live
// nodes only (map_core::walk_live): start -> 10, a stall at 10, and at 20
// (frozen) it gives up; the general walk then stalls at 10 -> 20,
// 20 -> 30 and 30 -> 40. Held any earlier, thread 0 would stand on 20,
// still outside the run, and the fault build would pass (found in
// review: it is the fault check that reports a shifted count). Thread 3
// lets the erasers cut the run (20 and 30 retired), erases 40 and 70 (the
// second erase's scan frees 40: no one protects it any more), stores 60
// into 40's block and then 15 into 20's block if that is free:
// 10 -> 15 -> 50 -> 60. Thread 0's step from 30 then finds
// 40's address holding 60; its check of 10->next passes only if 15 sits at
// 20's address, which the walk's protection of the run's first node
// (hp_first) forbids. Fooled, it would take 60 for the next node and report
// 50 absent.
struct run_first_reused : rl::test_suite<run_first_reused, 4>, reuse_fixture {
    using entry_allocator = recycling_allocator<typename node_types::entry>;
    hold_points<3> holds;
    void* block_of_20 = nullptr;
    void* block_of_40 = nullptr;

    void before() {
        setup_quiet();
        for (int key : {10, 20, 30, 40, 50, 70}) {
            prefill(key, key / 10);
        }
        RL_ASSERT(entry_allocator::handed_count == 6);  // one block per node, in key order
        block_of_20 = entry_allocator::handed[1];
        block_of_40 = entry_allocator::handed[3];
        track(15);
        track(60);
        holds.hold(0, site::step, 4);
        holds.hold(1, site::compaction, 1);
        holds.hold(2, site::compaction, 1);
        holds.arm();
    }
    void thread(unsigned index) {
        switch (index) {
            case 0:
                holds.held[2].wait();  // the run [20, 30] is there
                events.run(*map, op_kind::load, 50);
                break;
            case 1:
                events.run(*map, op_kind::erase, 30);
                break;
            case 2:
                holds.held[1].wait();  // 30 frozen: 20 is the last live node before it
                events.run(*map, op_kind::erase, 20);
                break;
            default:
                holds.held[0].wait();
                holds.resume[2].open();  // cuts [20] (one node per cut here) and retires 20
                holds.done[2].wait();
                holds.resume[1].open();  // its cut fails (20 is frozen); a later cut takes 30
                holds.done[1].wait();
                events.run(*map, op_kind::erase, 40);
                events.run(*map, op_kind::erase, 70);  // its scan frees 40 (the first one's walk protected it)
                entry_allocator::preferred = block_of_40;
                events.run(*map, op_kind::store, 60, 6);
                entry_allocator::preferred = block_of_20;
                events.run(*map, op_kind::store, 15, 1);
                holds.resume[0].open();
                break;
        }
        if (index < 3) {
            holds.finished(index);
        }
        thread_done();
    }
    void after() {
        RL_ASSERT(holds.stopped(0) && holds.stopped(1) && holds.stopped(2));
        RL_ASSERT(entry_allocator::preferred_taken >= 1);  // 60 took 40's block: the step meets a recycled address
        holds.disarm();
        finish();
    }
};

// Row 2 for cut_run: a cut's CAS expects anchor->next to be the link to the
// run's first node, which it keeps protected in hp_first from the walk to
// the CAS. List 10, 20, 30, 40, 50, nodes made in that order. Thread 0
// erases 20 and is held before its cut (run [20], anchor 10, next live node
// 30). Thread 1 erases 30 (its cut takes [20]: 10 -> 30, 20 retired), then
// 40 (its cut takes [30]; the scan frees 20 unless thread 0 protects it),
// then stores 15 into 20's block if that is free: 10 -> 15 -> 40 -> 50.
// Thread 0's CAS must then fail. Fooled, it would set 10->next to 30, cut
// out 15, and retire from 15 on until it met 30, which is no longer after
// it.
struct cut_first_reused : rl::test_suite<cut_first_reused, 2>, reuse_fixture {
    using entry_allocator = recycling_allocator<typename node_types::entry>;
    stall_plan plan;
    void* block_of_20 = nullptr;

    void before() {
        setup_quiet();
        for (int key : {10, 20, 30, 40, 50}) {
            prefill(key, key / 10);
        }
        RL_ASSERT(entry_allocator::handed_count == 5);  // one block per node, in key order
        block_of_20 = entry_allocator::handed[1];
        track(15);
        plan.arm(0, site::compaction);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 20);  // held before its cut
        } else {
            plan.held.wait();
            events.run(*map, op_kind::erase, 30);
            events.run(*map, op_kind::erase, 40);
            entry_allocator::preferred = block_of_20;
            events.run(*map, op_kind::store, 15, 1);
            plan.resume.open();
        }
        plan.done(index);
        thread_done();
    }
    void after() {
        RL_ASSERT(plan.stopped());
        plan.disarm();
        finish();
    }
};

struct writers_reuse : rl::test_suite<writers_reuse, 2>, reuse_fixture {
    void before() {
        setup_quiet();
        prefill(10, 1);
        prefill(20, 2);
        prefill(30, 3);
        track(15);
    }
    void thread(unsigned index) {
        if (index == 0) {
            events.run(*map, op_kind::erase, 20);
            events.run(*map, op_kind::store, 15, 5);
            events.run(*map, op_kind::erase, 10);
        } else {
            events.run(*map, op_kind::store, 20, 6);
            int listed = 0;
            int last = -1;
            map->range([&](const int& k, const value&) {
                RL_ASSERT(k > last);  // list order is key order here, and no key twice
                last = k;
                ++listed;
                return true;
            });
            RL_ASSERT(listed >= 1);  // 30 is there throughout
            events.run(*map, op_kind::erase, 30);
        }
        thread_done();
    }
    void after() { finish(); }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    // The held scenario's schedule is fixed up to a few interleavings: fewer
    // iterations do.
    const exploration held{soak ? 500000ULL : 10000ULL, 0};
    const exploration free_form{soak ? 5000000ULL : 100000ULL, 0};
    bool ok = explore<insert_succ_reused<false>>("insert_succ_reused", held);
    ok = explore<insert_succ_reused<true>>("insert_succ_reused_in_group", held) && ok;
    ok = ok && explore<run_first_reused>("run_first_reused", held);
    ok = ok && explore<cut_first_reused>("cut_first_reused", held);
    ok = ok && explore<writers_reuse>("writers_reuse", free_form);
    std::printf("nodes handed out again at a freed address: %llu\n",
                recycling_allocator<typename node_types::entry>::reused);
    return ok ? 0 : 1;
}
