#include "stall.hpp"

#include <atomic>
#include <string>
#include <thread>

#include "report.hpp"

namespace sink_stress::stall {
namespace {

namespace map_stall = sink::detail::stall;
static_assert(static_cast<int>(map_stall::site::insert) == static_cast<int>(stall_site::insert) &&
                  static_cast<int>(map_stall::site::sweep) == static_cast<int>(stall_site::sweep) &&
                  map_stall::site_count == static_cast<int>(stall_site::iterate),
              "stall_site mirrors sink::detail::stall::site, plus the harness's own site at the end");

enum state : int { idle, armed, frozen_now, released };

std::atomic<int> target{-1};
std::atomic<int> phase{idle};
thread_local bool is_staller = false;

void map_hook(map_stall::site s) noexcept { at(from_map_site(s)); }

}  // namespace

void install() noexcept { map_stall::set_hook(&map_hook); }

void set_staller(bool on) noexcept { is_staller = on; }

void arm(stall_site site) noexcept {
    target.store(static_cast<int>(site), std::memory_order_relaxed);
    phase.store(armed, std::memory_order_relaxed);
}

void disarm() noexcept {
    target.store(-1, std::memory_order_relaxed);
    phase.store(idle, std::memory_order_relaxed);
}

void at(stall_site site) noexcept {
    if (!is_staller || target.load(std::memory_order_relaxed) != static_cast<int>(site)) {
        return;
    }
    int expected = armed;
    if (!phase.compare_exchange_strong(expected, frozen_now, std::memory_order_relaxed)) {
        return;  // already used up in this phase
    }
    // Frozen: the harness may wait, the map never does. Yield rather than
    // spin hard, so that on an oversubscribed machine the others run.
    while (phase.load(std::memory_order_relaxed) == frozen_now) {
        yield();
    }
}

bool frozen() noexcept { return phase.load(std::memory_order_relaxed) == frozen_now; }

void release() noexcept { phase.store(released, std::memory_order_relaxed); }

void yield() noexcept { std::this_thread::yield(); }

void report_hang(const char* what, std::uint64_t progress) {
    fail("progress", std::string(what) + " (no progress after a very large number of polls; progress counter " +
                         std::to_string(progress) + ")");
}

}  // namespace sink_stress::stall
