// One of two shared objects that each carry a copy of sink (the static
// library linked into each, functions bound inside it with
// -Bsymbolic-functions, as distribution packaging often does). The dynamic
// linker still merges their thread-local variables, so the inline hint of
// the thread's default-domain record (detail/hazard_record.hpp) is shared
// while each copy has its own default domain. Built twice, as plugin a and
// plugin b (SINK_PLUGIN_NAME).
#include <set>

#include "sink/concurrent_map.hpp"

#define SINK_PLUGIN_CAT2(a, b) a##_##b
#define SINK_PLUGIN_CAT(a, b) SINK_PLUGIN_CAT2(a, b)
#define SINK_PLUGIN_FN(name) SINK_PLUGIN_CAT(SINK_PLUGIN_NAME, name)

namespace {

// A value whose objects are listed while they live.
struct canary {
    static inline std::set<const canary*> living;
    canary() { living.insert(this); }
    canary(const canary&) { living.insert(this); }
    ~canary() { living.erase(this); }
    bool alive() const { return living.count(this) != 0; }
};

}  // namespace

// A map operation on this copy's default domain (binds the thread there).
extern "C" __attribute__((visibility("default"))) bool SINK_PLUGIN_FN(use)() {
    static sink::concurrent_map<int, int> m;
    m.store(1, 1);
    return m.load(1) == 1;
}

// A handle keeps its entry alive through an erase and a drain of this
// copy's default domain: its protection must be published in a record that
// this domain's scans read.
extern "C" __attribute__((visibility("default"))) bool SINK_PLUGIN_FN(hold)() {
    sink::concurrent_map<int, canary> m;
    m.store(1, canary{});
    auto h = m.find(1);
    if (!h) {
        return false;
    }
    m.erase(1);
    for (int i = 0; i < 4; ++i) {
        (void)m.contains(i);  // more walks while the handle holds its slot
    }
    sink::hazard_pointer_default_domain().drain();
    return h->alive();
}
