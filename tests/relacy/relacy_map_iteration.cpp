// Scenario 5: iteration while a compaction cuts out the node the iterator
// stands on. The walker holds its current entry with a hazard pointer; the
// other thread erases that entry and the one after it, and the compactions
// retire both (the domain scans on every retire). The walker must never read
// a freed node or value, and what it yields must be weakly consistent: keys
// present and unchanged for the whole walk exactly once, in list order, no
// key twice, every value one the key had.
//
// Each walk runs twice: free (the random scheduler interleaves it with the
// writer) and held (the walker stops on key 20 until the writer is done, so
// the node it stands on and its successor are both cut out and the
// successor freed before the walker steps on: the schedule that needs the
// step from a frozen node to be validated against the anchor, item 1).
#include "map_scenario.hpp"

namespace {

using namespace sink_relacy;

// What one walk yielded.
struct walk_log {
    static constexpr int capacity = 8;
    std::array<int, capacity> keys{};
    std::array<int, capacity> values{};
    int count = 0;

    void add(int key, int v) {
        RL_ASSERT(count < capacity);
        keys[static_cast<std::size_t>(count)] = key;
        values[static_cast<std::size_t>(count)] = v;
        ++count;
    }
    int times(int key) const {
        int n = 0;
        for (int i = 0; i < count; ++i) {
            n += keys[static_cast<std::size_t>(i)] == key ? 1 : 0;
        }
        return n;
    }
    void check() const {
        // 10 and 40 are never touched: exactly once each. 20 and 30 are
        // erased and 25 inserted during the walk: at most once each. Values
        // are the ones stored; list order is key order.
        RL_ASSERT(times(10) == 1 && times(40) == 1);
        RL_ASSERT(times(20) <= 1 && times(30) <= 1 && times(25) <= 1);
        for (int i = 0; i < count; ++i) {
            const int k = keys[static_cast<std::size_t>(i)];
            const int v = values[static_cast<std::size_t>(i)];
            RL_ASSERT(v == (k == 25 ? 5 : k / 10));
            RL_ASSERT(i == 0 || keys[static_cast<std::size_t>(i - 1)] < k);
        }
    }
};

enum class walk_kind { range, iterator };

template <walk_kind Kind, bool Held>
struct walk_vs_compaction : rl::test_suite<walk_vs_compaction<Kind, Held>, 2>, map_fixture {
    walk_log seen;
    gate writer_done;

    void before() {
        setup();
        for (int k : {10, 20, 30, 40}) {
            prefill(k, k / 10);
        }
        seen = walk_log{};
        writer_done.reset();
    }
    void yielded(int key, const value& v) {
        seen.add(key, v.get());
        if (Held && key == 20) {
            writer_done.wait();
            RL_ASSERT(v.get() == 2);  // still protected, so still readable
        }
    }
    void thread(unsigned index) {
        if (index == 0) {
            if constexpr (Kind == walk_kind::range) {
                map->range([this](const int& k, const value& v) {
                    yielded(k, v);
                    return true;
                });
            } else {
                for (auto it = map->begin(); it != map->end(); ++it) {
                    yielded(it->first, it->second);
                }
            }
        } else {
            // Each erase cuts its frozen entry out at once (or the next walk
            // does); then a new key goes where they were.
            map->erase(20);
            map->erase(30);
            map->store(25, value(5));
            // Frees whatever of 20 and 30 no hazard pointer protects now (a
            // cut's own scan runs while its cursor still protects the run;
            // the held walk needs 30 freed before it steps on, and before
            // section heads a resize's drain happened to do this).
            domain->drain();
            writer_done.open();
        }
        thread_done();
    }
    void after() {
        seen.check();
        RL_ASSERT(map->verify());
        RL_ASSERT(map->size() == 3);
        RL_ASSERT(!map->contains(20) && !map->contains(30));
        const std::optional<value> v = map->load(25);
        RL_ASSERT(v && v->get() == 5);
        teardown();
    }
};

}  // namespace

int main(int argc, char** argv) {
    const bool soak = long_mode(argc, argv);
    const exploration how{soak ? 12500000ULL : 250000ULL, 0};
    bool ok = explore<walk_vs_compaction<walk_kind::range, false>>("range_vs_compaction", how);
    ok = ok && explore<walk_vs_compaction<walk_kind::range, true>>("range_held_vs_compaction", how);
    ok = ok && explore<walk_vs_compaction<walk_kind::iterator, false>>("iterator_vs_compaction", how);
    ok = ok && explore<walk_vs_compaction<walk_kind::iterator, true>>("iterator_held_vs_compaction", how);
    return ok ? 0 : 1;
}
