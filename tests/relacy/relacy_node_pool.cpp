// Relacy model check of the node pool on its own (detail/node_pool.hpp).
//
// Slots are large (1500 bytes) so that a block holds two of them: a few
// allocations already exhaust a block, detach it, list it, claim it. Each
// slot's payload is an rl::var, so a slot handed out while another thread
// still uses it is a data race, and a block returned early makes the next
// access to it an access to freed memory. Blocks, heap chunks and the pool
// itself come from Relacy's allocator, which reports a block never returned
// as a leak at the end of each iteration (every scenario closes its pool and
// frees every slot).
//
// pool_remote_free    a slot freed by a peer is reused by its owner
//                     (fault RELAXED_REMOTE_PUSH: data race on the link)
// pool_claim          frees into a block its owner is giving up
//                     (fault UNOWN_WITHOUT_CAS: a lost slot, a leak)
// pool_touch          the owner trims while a peer frees its last slot
//                     (fault TOUCH_AFTER_PUSH: access to freed memory)
// pool_heaps          two threads allocate from the same first heap
//                     (fault HEAP_WITHOUT_CAS: data race on the heap)
// pool_close          the owner closes the pool while peers still free
//                     (the last free destroys the pool; nothing leaks)
// pool_listed         a block a free lists is taken by an allocation
//                     (fault LISTED_RELAXED: data race on its fields)
// pool_chunks         an allocation probes a chunk of heaps another
//                     thread appended (one heap a chunk in the model;
//                     fault CHUNK_APPEND_RELAXED: data race on the heap)
// pool_relist         an allocation takes two listed blocks, keeps one
//                     and lists the other again while a peer frees into it
//                     (a heap keeps one in the model; fault RELIST_DROPPED:
//                     the other block is lost, a leak)
#include <cstdio>
#include <new>

#include "map_scenario.hpp"
#include "sink/detail/node_pool.hpp"

namespace {

namespace d = sink::detail;
using sink_relacy::exploration;
using sink_relacy::explore;

using sink_relacy::model_allocator;

using pool_type = d::node_pool<model_allocator<std::byte>>;
constexpr std::array<d::pool_class_spec, d::pool_class_count> classes{{{1500, 8}, {0, 8}}};

struct payload {
    explicit payload(int v) : value(v) {}
    d::var<int> value;
};

payload* make(pool_type* pool, int v) { return ::new (pool->allocate(0)) payload(v); }
void unmake(payload* p) {
    p->~payload();
    d::node_pool_base::deallocate(p);
}

// A base for the scenarios: a pool made before the threads start and closed
// after them.
template <class Derived, int Threads>
struct pool_fixture : rl::test_suite<Derived, Threads> {
    pool_type* pool = nullptr;
    void before() { pool = pool_type::create(model_allocator<std::byte>(), classes); }
};

// T0 allocates and hands a slot to T1, which reads and frees it; T0 then
// allocates until the block runs out, reusing the slot once collected.
struct pool_remote_free : pool_fixture<pool_remote_free, 2> {
    d::atomic<payload*> cell{nullptr};
    payload* kept[3] = {};

    void thread(unsigned index) {
        if (index == 0) {
            cell.store(make(pool, 1), d::mo_release);
            for (payload*& k : kept) {
                k = make(pool, 2);  // may be the slot T1 freed: T1's accesses must happen before
            }
        } else {
            if (payload* p = cell.exchange(nullptr, d::mo_acquire)) {
                RL_ASSERT(p->value.get() == 1);
                unmake(p);
            }
        }
    }
    void after() {
        if (payload* p = cell.load(d::mo_relaxed)) {
            unmake(p);
        }
        for (payload* k : kept) {
            RL_ASSERT(k->value.get() == 2);
            unmake(k);
        }
        pool->close();
    }
};

// T0 fills a block and moves on, giving the block up, while T1 and T2 free
// its two slots: whichever free finds the block detached claims it; every
// slot must come back, and the block with them.
struct pool_claim : pool_fixture<pool_claim, 3> {
    d::atomic<payload*> cells[2] = {nullptr, nullptr};
    payload* next_block = nullptr;

    void thread(unsigned index) {
        if (index == 0) {
            payload* first = make(pool, 1);
            RL_ASSERT(d::block_of(first)->capacity == 2);  // what the scenarios assume
            cells[0].store(first, d::mo_release);
            cells[1].store(make(pool, 2), d::mo_release);
            next_block = make(pool, 3);  // the first block is exhausted: settled
        } else {
            if (payload* p = cells[index - 1].exchange(nullptr, d::mo_acquire)) {
                RL_ASSERT(p->value.get() == static_cast<int>(index));
                unmake(p);
            }
        }
    }
    void after() {
        for (auto& c : cells) {
            if (payload* p = c.load(d::mo_relaxed)) {
                unmake(p);
            }
        }
        unmake(next_block);
        pool->close();
    }
};

// T0 owns its heap's block and trims; T1 frees the block's only allocated
// slot meanwhile. If the push finds the block owned, T0 collects the slot
// and returns the block at once: T1 must not touch it after its push.
struct pool_touch : pool_fixture<pool_touch, 2> {
    d::atomic<payload*> cell{nullptr};

    void before() {
        pool_fixture::before();
        cell.store(make(pool, 1), d::mo_relaxed);
    }
    void thread(unsigned index) {
        if (index == 0) {
            pool->trim();
        } else {
            unmake(cell.load(d::mo_acquire));
        }
    }
    void after() { pool->close(); }
};

// Two threads allocate at once; both start at the first heap.
struct pool_heaps : pool_fixture<pool_heaps, 2> {
    payload* got[2] = {};

    void thread(unsigned index) { got[index] = make(pool, static_cast<int>(index)); }
    void after() {
        RL_ASSERT(got[0] != got[1]);
        for (payload* p : got) {
            unmake(p);
        }
        pool->close();
    }
};

// The owner closes the pool (the map's destructor) while two peers still
// free slots they hold (retired nodes in their batches): the last free
// destroys the pool, and nothing is left.
struct pool_close : pool_fixture<pool_close, 3> {
    payload* held[3] = {};

    void before() {
        pool_fixture::before();
        for (int i = 0; i < 3; ++i) {
            held[i] = make(pool, i);
        }
    }
    void thread(unsigned index) {
        if (index == 0) {
            unmake(held[0]);
            pool->close();
        } else {
            unmake(held[index]);
        }
    }
};

// Block A fills and is given up (detached, both slots in use), block B is
// the heap's. T1 frees a slot of A: its free claims A and lists it. T0
// allocates until B runs out, then takes the listed stack and may pop A's
// freed slot: it reads A's private fields, which T1's listing released.
struct pool_listed : pool_fixture<pool_listed, 2> {
    payload* a = nullptr;
    payload* b = nullptr;
    payload* c = nullptr;
    payload* got[2] = {};

    void before() {
        pool_fixture::before();
        a = make(pool, 1);
        b = make(pool, 2);
        c = make(pool, 3);  // A exhausted and given up: a new block
        RL_ASSERT(d::block_of(a) == d::block_of(b) && d::block_of(c) != d::block_of(a));
    }
    void thread(unsigned index) {
        if (index == 0) {
            got[0] = make(pool, 4);
            got[1] = make(pool, 5);  // B exhausted: the listed stack, or a new block
        } else {
            unmake(a);
        }
    }
    void after() {
        RL_ASSERT(got[0]->value.get() == 4 && got[1]->value.get() == 5);
        for (payload* p : {b, c, got[0], got[1]}) {
            unmake(p);
        }
        pool->close();
    }
};

// Two threads allocate twice each. With one heap a chunk, an allocation
// that finds the first heap busy appends a chunk; the other thread may then
// find the first heap busy in turn and take the appended chunk's heap,
// whose fields the appender initialised.
struct pool_chunks : pool_fixture<pool_chunks, 2> {
    payload* got[2][2] = {};

    void thread(unsigned index) {
        for (payload*& p : got[index]) {
            p = make(pool, static_cast<int>(index));
        }
    }
    void after() {
        for (auto& mine : got) {
            for (payload* p : mine) {
                RL_ASSERT(p != nullptr);
                unmake(p);
            }
        }
        pool->close();
    }
};

// Blocks A and B are listed (each with one slot free), C is the heap's,
// with one slot left. T0 allocates twice: C's last slot, then the listed
// stack, taken whole: it keeps B and lists A again. T1 frees A's other
// slot meanwhile (into the listed stack's block, or the one T0 holds).
// close() must find A and give it back.
struct pool_relist : pool_fixture<pool_relist, 2> {
    payload* a2 = nullptr;
    payload* b2 = nullptr;
    payload* c1 = nullptr;
    payload* got[2] = {};

    void before() {
        pool_fixture::before();
        payload* a1 = make(pool, 1);
        a2 = make(pool, 2);
        payload* b1 = make(pool, 3);  // A exhausted and given up
        b2 = make(pool, 4);
        c1 = make(pool, 5);  // B exhausted and given up
        unmake(a1);          // claims A, lists it
        unmake(b1);          // claims B, lists it
    }
    void thread(unsigned index) {
        if (index == 0) {
            got[0] = make(pool, 6);  // C's last slot
            got[1] = make(pool, 7);  // the listed stack
        } else {
            unmake(a2);
        }
    }
    void after() {
        for (payload* p : {b2, c1, got[0], got[1]}) {
            unmake(p);
        }
        pool->close();
    }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = sink_relacy::long_mode(argc, argv);
    const exploration small{soak ? 2000000ULL : 200000ULL, soak ? 3u : 2u};
    // Three threads of many steps (or two with many heap probes): the
    // bounded search takes minutes; CI runs the random scheduler only.
    const exploration three{soak ? 2000000ULL : 200000ULL, soak ? 2u : 0u};
    bool ok = explore<pool_remote_free>("pool_remote_free", small);
    ok = explore<pool_claim>("pool_claim", small) && ok;
    ok = explore<pool_touch>("pool_touch", small) && ok;
    ok = explore<pool_heaps>("pool_heaps", small) && ok;
    ok = explore<pool_close>("pool_close", three) && ok;
    ok = explore<pool_listed>("pool_listed", small) && ok;
    ok = explore<pool_chunks>("pool_chunks", three) && ok;  // the bounded search: 10 million schedules
    ok = explore<pool_relist>("pool_relist", small) && ok;
    return ok ? 0 : 1;
}
