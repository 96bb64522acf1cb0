// The stall controller: freezes one chosen thread (the "staller") the first
// time it reaches an armed stall site, and lets it go when the harness says
// so. The map calls the hook at its stall points (compiled in with
// SINK_STALL_POINTS); the harness calls stall::at(iterate) itself inside an
// iteration's visitor.
//
// Every atomic here is relaxed, on purpose: the handshake carries no data
// (the controller only learns "frozen now"), and an acquire/release
// handshake would give ThreadSanitizer a happens-before edge from the frozen
// thread to the controller that the map itself did not provide, hiding the
// very races (a weakened memory order in the map) that a stall is meant to
// expose.
#pragma once

#include <cstdint>

#include "stall_site.hpp"

namespace sink_stress::stall {

// Installs the map's hook; call once before any map is used.
void install() noexcept;

// Whether the calling thread is the one that may be frozen.
void set_staller(bool) noexcept;

// Arms `site`: the staller freezes the first time it reaches it.
void arm(stall_site site) noexcept;
// Disarms (and releases a frozen staller).
void disarm() noexcept;

// Called at every stall point, by any thread.
void at(stall_site site) noexcept;

// A stuck call (check "progress", sharp form). While the staller is frozen,
// every other thread's call must complete on its own: a restart inside the
// map is always caused by another thread's change, and a frozen thread
// changes nothing. So a call that keeps restarting while nobody else runs
// is waiting for the frozen thread. Every walk passes the stall point
// `step` at each step (and the other points where it changes something),
// so the calls of a thread are bounded in stall points, not in time: a call
// that passes more than `stall_points_per_call` of them while the staller
// is frozen is reported as stuck. A lookup of a 2,000-node list passes a few
// thousand; the bound is a thousand times that. Each executor call (and any
// other map call the harness makes during a stall) starts the count again.
inline constexpr std::uint64_t stall_points_per_call = std::uint64_t{1} << 22;
// Starts a new call of the calling thread: thread index and what it calls,
// for the report.
void begin_call(std::uint32_t thread, const char* call, std::uint64_t key) noexcept;

bool frozen() noexcept;
void release() noexcept;

// Spins (yielding) until `done()` holds. `progress()` must grow while things
// move; if it stays the same for a very large number of polls (minutes of
// nothing at all), the run is reported as hung under the check "progress",
// with `what` as the explanation. Counts polls, never reads a clock.
template <class Done, class Progress>
void wait_until(Done&& done, Progress&& progress, const char* what);

void yield() noexcept;
[[noreturn]] void report_hang(const char* what, std::uint64_t progress);

template <class Done, class Progress>
void wait_until(Done&& done, Progress&& progress, const char* what) {
    constexpr std::uint64_t polls_without_progress = 200'000'000;
    std::uint64_t last = progress();
    std::uint64_t idle = 0;
    while (!done()) {
        yield();
        const std::uint64_t now = progress();
        if (now != last) {
            last = now;
            idle = 0;
        } else if (++idle > polls_without_progress) {
            report_hang(what, now);
        }
    }
}

}  // namespace sink_stress::stall
