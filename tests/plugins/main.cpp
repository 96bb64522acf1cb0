// Two copies of sink in one process (tests/plugins/plugin.cpp): a walk in
// one copy must never take hazard slots from a record of the other copy's
// domain, whose scans the first copy's reclaimers do not read.
#include <cstdio>

extern "C" bool a_use();
extern "C" bool b_use();
extern "C" bool a_hold();
extern "C" bool b_hold();

int main() {
    bool ok = a_use();  // this thread binds in copy a
    ok = b_hold() && ok;
    ok = b_use() && ok;
    ok = a_hold() && ok;
    std::puts(ok ? "two copies: every handle kept its entry" : "two copies: an entry was freed under a handle");
    return ok ? 0 : 1;
}
