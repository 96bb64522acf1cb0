#include "report.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace sink_stress {
namespace {

std::string& hint() {
    static std::string h;
    return h;
}

}  // namespace

void set_rerun_hint(std::string h) { hint() = std::move(h); }

void fail(const char* check, const std::string& details) {
    static std::mutex once;
    once.lock();  // never unlocked: a second failing thread waits here until the process ends
    std::fflush(stdout);
    std::fprintf(stderr, "\nsink-stress: CHECK FAILED [%s]\n%s\n%s\n", check, details.c_str(), hint().c_str());
    std::fflush(stderr);
    // _Exit: other threads may be inside the map; running static destructors
    // or the map's destructor under them would only add noise.
    std::_Exit(1);
}

}  // namespace sink_stress
