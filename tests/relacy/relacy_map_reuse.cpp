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
//   writers_reuse        two threads of stores and erases on a few keys, and
//                        a walk, under the random scheduler: linearizable,
//                        weakly consistent, structure sound, nothing leaked.
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
        if (n == 1 && stack_size > 0) {
            ++reused;
            return static_cast<T*>(stack[--stack_size]);
        }
        return static_cast<T*>(d::allocate_bytes(n * sizeof(T), alignof(T)));
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
    static void forget_all() noexcept { stack_size = 0; }
    static void release_all() noexcept {
        while (stack_size > 0) {
            d::deallocate_bytes(stack[--stack_size], sizeof(T), alignof(T));
        }
    }

    static constexpr std::size_t capacity = 16;
    static inline void* stack[capacity] = {};
    static inline std::size_t stack_size = 0;
    static inline unsigned long long reused = 0;

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
    recycling_allocator<typename node_types::waypoint>::forget_all();
}
void release_recycled() {
    recycling_allocator<typename node_types::entry>::release_all();
    recycling_allocator<typename node_types::stamped_entry>::release_all();
    recycling_allocator<typename node_types::waypoint>::release_all();
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
    ok = ok && explore<writers_reuse>("writers_reuse", free_form);
    std::printf("nodes handed out again at a freed address: %llu\n",
                recycling_allocator<typename node_types::entry>::reused);
    return ok ? 0 : 1;
}
