#include "stall.hpp"

#include <atomic>
#include <string>
#include <thread>

#include "report.hpp"

namespace sink_stress::stall {
namespace {

namespace map_stall = sink::detail::stall;
// stall_site is the map's list of sites, in the same order, then the
// harness's own `iterate`.
constexpr bool mirrors_map_sites() {
    for (int i = 0; i < map_stall::site_count; ++i) {
        if (static_cast<int>(from_map_site(static_cast<map_stall::site>(i))) != i) {
            return false;
        }
    }
    return static_cast<int>(map_stall::site::insert) == static_cast<int>(stall_site::insert) &&
           static_cast<int>(map_stall::site::shrink) == static_cast<int>(stall_site::shrink) &&
           static_cast<int>(map_stall::site::claim_release) == static_cast<int>(stall_site::claim_release) &&
           static_cast<int>(map_stall::site::step) == static_cast<int>(stall_site::step) &&
           static_cast<int>(map_stall::site::plain_yield) == static_cast<int>(stall_site::plain_yield) &&
           static_cast<int>(map_stall::site::plain_front) == static_cast<int>(stall_site::plain_front) &&
           static_cast<int>(map_stall::site::cut_retire) == static_cast<int>(stall_site::cut_retire) &&
           map_stall::site_count == static_cast<int>(stall_site::iterate) &&
           static_cast<std::size_t>(stall_site::iterate) + 1 == stall_site_count;
}
static_assert(mirrors_map_sites(),
              "stall_site mirrors sink::detail::stall::site, plus the harness's own site at the end");

enum state : int { idle, armed, frozen_now, released };

std::atomic<int> target{-1};
std::atomic<int> phase{idle};
thread_local bool is_staller = false;

// The current call of this thread (begin_call) and the stall points it has
// passed while the staller was frozen.
struct call_state {
    std::uint64_t points = 0;
    std::uint32_t thread = 0;
    const char* call = "a map call";
    std::uint64_t key = 0;
};
thread_local call_state current_call;

[[noreturn]] void report_stuck_call(stall_site last) {
    const call_state& c = current_call;
    fail("progress", std::string("thread t") + std::to_string(c.thread) + "'s " + c.call + " (key " +
                         std::to_string(c.key) + ") passed " + std::to_string(c.points) +
                         " stall points (the last at " + name(last) + ") without completing while thread t0 was "
                         "frozen at " + name(static_cast<stall_site>(target.load(std::memory_order_relaxed))) +
                         ": it keeps retrying on a step that only the frozen thread would finish, so it waits for "
                         "that thread (the call is not lock-free)");
}

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

void begin_call(std::uint32_t thread, const char* call, std::uint64_t key) noexcept {
    current_call = call_state{0, thread, call, key};
}

void at(stall_site site) noexcept {
    if (!is_staller) {
        if (phase.load(std::memory_order_relaxed) == frozen_now && ++current_call.points > stall_points_per_call) {
            report_stuck_call(site);
        }
        return;
    }
    if (target.load(std::memory_order_relaxed) != static_cast<int>(site)) {
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
