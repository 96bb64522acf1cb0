// Progress while a thread is stalled (check 6). For each stall site, on a
// fresh map:
//   1. the controller (the main thread) fills in `prefill` keys;
//   2. the staller (thread 0) makes the call that reaches the site, and is
//      frozen there by the stall controller;
//   3. while it is frozen, the controller disturbs the map (below), then the
//      other threads must complete `stall_ops` calls between them: they
//      cannot wait for the frozen thread, or this never ends (lock freedom);
//   4. the staller is released, its call completes, and it reads back what
//      it touched; every call of every thread is in the phase's history,
//      the frozen call included, and is checked like any other.
// The disturbance is chosen so that each injected fault of the map turns
// into a certain failure (docs/verification.md): a walk in list order and a
// load of every key (first reads of nodes the staller linked), a drain,
// erasing every key in list order (the staller's neighbours are cut out and
// freed), loads, then inserting and reading many new keys (resizes, new
// section heads), and a drain. Some sites add to it:
//   - install and claim_release (the staller installs a section head and is
//     frozen before linking it, or after linking it and before releasing
//     its claim): first of all the fresh keys are stored, before any cut
//     drops the claim bit, so that one is linked right after the claimed
//     head (fault EXPECT_UNCLAIMED_LINK: that insert spins); walks start
//     from a parent head meanwhile;
//   - insert, when the hash collides (--hash-bits): before the rest, the
//     controller inserts the staller's own key, starts a walk by iterators
//     that stops on it, and erases it (so that the link the frozen insert
//     expects is back); the walk is finished only after the staller's insert
//     completed. In even rounds the staller is released right then, with no
//     disturbance, so that its CAS succeeds: the key is linked again behind
//     the held iterator's position, and a key yielded twice by the held walk
//     is a stamp taken before the link (reclamation.md item 11, fault
//     STAMP_BEFORE_LINK); such a round checks no progress. In odd rounds
//     the disturbance follows as for any site (the frozen CAS then fails,
//     and the walk is held across the whole phase);
//   - replace, even rounds: the staller replaces a key only it writes
//     (stored just before), and the disturbance erases that key too, so the
//     frozen replace always loses its CAS and is retried as an insert of the
//     node it made (with a colliding hash, a stale stamp in that node puts
//     its group out of stamp order: fault STALE_RETRY_STAMP); odd rounds
//     replace key 0, which the others write too;
//   - resize and shrink (the staller's clear() shrinks the width and is
//     frozen after the width CAS, or after freezing the top segment's heads
//     and before cutting them out): the width is reserved first
//     (stall_layout::shrink_reserve), so that there is a segment to take
//     out whatever the hash; the others' grows and shrinks help the frozen
//     shrink to its end.
// While the staller is frozen, every other call must complete by itself:
// one that passes more than stall::stall_points_per_call stall points is
// reported as stuck (check "progress", stall.hpp), so that a call waiting
// for the frozen thread is reported at once, not after a long idle wait.
#pragma once

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "context.hpp"
#include "executor.hpp"
#include "instance.hpp"
#include "stall.hpp"

namespace sink_stress {

namespace stall_layout {
inline constexpr std::uint64_t prefill = 64;        // keys [0, prefill)
inline constexpr std::uint64_t others_keys = 128;   // the others use [0, others_keys)
inline constexpr std::uint64_t fresh_first = 1000;  // the controller's new keys start here
inline constexpr std::uint64_t fresh = 256;
inline constexpr std::uint64_t staller_key = 5000;  // a key only the staller touches
inline constexpr std::uint64_t reserve_to = 64 * prefill;
// resize and shrink: the width is reserved for this many entries before
// the prefill (32 sections of 2 at grow 4), so that the staller's clear()
// has a segment to take out whatever the hash: with a colliding hash
// (--hash-bits) the inserts step over no other section's entries, so the
// grow heuristic alone leaves the map at one section (0 bits: always).
inline constexpr std::uint64_t shrink_reserve = prefill;
// install and claim_release: the staller widens the map to this many
// entries (one level more than the prefill leaves it, about 64 sections),
// so that the new level's heads are unlinked and its loads install one;
// the sections stay large enough that the disturbance's fresh keys land
// right after the claimed head (about four each).
inline constexpr std::uint64_t install_reserve = 2 * prefill;
// The map's grow_on_insert_count for a site: the sites that need a table
// that grows by itself run on small sections; the others on a map that
// never grows by itself (one section unless reserve() says otherwise), so
// that a staller's neighbours are entries: see stall_phase.
inline std::size_t grow_for(stall_site s) {
    return s == stall_site::install || s == stall_site::resize || s == stall_site::shrink ||
                   s == stall_site::claim_release
               ? 4
               : 0;
}
}  // namespace stall_layout

template <class Key, class Payload>
void stall_phase(run_context& ctx, stall_site site, unsigned round) {
    namespace L = stall_layout;
    const options& o = ctx.o;
    const std::string phase = std::string("stall at ") + name(site) + " " + std::to_string(round + 1) + "/" +
                              std::to_string(o.stall_rounds);
    // One section (grow never) puts every entry in one run of the list, so
    // that the nodes around a frozen call are entries that the disturbance
    // erases; the resize sites need a table that grows, with small sections.
    instance<Key, Payload> in(o, L::grow_for(site), ctx.figures);
    const unsigned ctl = ctx.controller();
    std::vector<thread_log> logs(o.threads + 1);
    executor<Key, Payload> controller(in.map(), logs[ctl], ctl, ctx.seq[ctl], ctx.done(ctl));
    if (site == stall_site::resize || site == stall_site::shrink) {
        in.map().reserve(L::shrink_reserve);
    }
    for (std::uint64_t k = 0; k < L::prefill; ++k) {
        controller.store(k);
    }

    // replace, even rounds: the staller replaces its own key, and the
    // disturbance erases it (see the staller).
    const bool replace_own_key = site == stall_site::replace && round % 2 == 0;
    // insert, colliding hash, even rounds: the staller is released right
    // after a logical ABA of its key (see the header comment).
    const bool insert_aba = site == stall_site::insert && o.hash_bits < 64 && round % 2 == 0;

    std::atomic<bool> staller_done{false};
    std::atomic<bool> go{false};
    std::atomic<bool> released{false};
    stall::arm(site);

    auto staller = [&](executor<Key, Payload>& e) {
        auto load_all = [&] {
            for (std::uint64_t k = 0; k < L::prefill; ++k) {
                e.load(k);
            }
            e.load(L::staller_key);
        };
        // step, odd rounds: a lookup of the key the list holds last, so that
        // its walk steps from the first entry on (learned by a walk first).
        std::uint64_t last_in_list = 0;
        if (site == stall_site::step && round % 2 == 1) {
            const iteration_record w = e.walk(true);
            for (const op_record& r : logs[0].ops) {
                if (r.kind == op_kind::iter_read && r.arg == w.id) {
                    last_in_list = r.key;
                }
            }
        }
        if (replace_own_key) {
            e.store(L::staller_key);  // the entry the frozen call replaces
        }
        stall::set_staller(true);
        switch (site) {
            case stall_site::insert: e.store(L::staller_key); break;
            // even rounds: a key only the staller writes, which the
            // disturbance erases, so that the frozen replace always loses
            // its CAS and is retried as an insert (with the node it made
            // for the replace); odd rounds: key 0, which the others write
            // too, so the retry is an insert or a replace
            case stall_site::replace: e.store(replace_own_key ? L::staller_key : 0); break;
            case stall_site::erase: e.erase(0); break;
            // the cut after a replace froze the old version; with values in
            // place a replace freezes nothing, so an erase's cut (frozen
            // before its CAS, or after it, before it reads and retires the
            // run)
            case stall_site::compaction:
            case stall_site::cut_retire:
                if constexpr (codec<Key, Payload>::word_values) {
                    e.erase(0);
                } else {
                    e.compare_and_swap(0, e.load(0).result);
                }
                break;
            // a wider map whose new heads are unlinked: a load installs one
            case stall_site::install:
            case stall_site::claim_release:
                in.map().reserve(L::install_reserve);
                load_all();
                break;
            // erases, then shrinks to one section, level by level
            case stall_site::resize:
            case stall_site::shrink: e.clear(); break;
            // frozen at its first step (from the first entry: range yields it
            // first), between reading its next and protecting the successor
            case stall_site::step:
                if (round % 2 == 0) {
                    e.walk(true);
                } else {
                    e.load(last_in_list);
                }
                break;
            // frozen inside the walk at its second entry: range, or in odd
            // rounds iterators (which copy themselves, executor.hpp)
            case stall_site::iterate: e.walk(round % 2 == 0); break;
            // frozen at the first plain entry a walk yields, after the load
            // that showed it live (plain_yield) or after reading its next,
            // before protecting its successor (plain_front)
            case stall_site::plain_yield:
            case stall_site::plain_front: e.walk(round % 2 == 0); break;
        }
        stall::set_staller(false);
        staller_done.store(true, std::memory_order_relaxed);
        load_all();  // what the released call left must read back correctly
    };

    auto other = [&](executor<Key, Payload>& e, unsigned t) {
        while (!go.load(std::memory_order_acquire)) {
            stall::yield();
        }
        rng r(derive_seed(o.seed, seed_stall, (std::uint64_t{round} * stall_site_count + static_cast<unsigned>(site))
                                                  << 20 | t));
        // A clear could hide what the staller did, and so could an erase_if(pred).
        const op_mix mix = o.mix.without(op_type::clear).without(op_type::erase_if_all);
        const key_chooser keys(distribution::uniform, L::others_keys, 0, 0);
        // Until the staller is released, then a few more calls each, so that
        // the released thread runs beside others again.
        std::uint64_t after = 0;
        for (std::uint64_t i = 0; !released.load(std::memory_order_relaxed) || after++ < 200; ++i) {
            e.random_call(mix.pick(r), keys.next(r), r);
            if (i % o.sample_every == 0) {
                in.garbage().sample();
            }
        }
    };

    auto others_done = [&] {
        std::uint64_t sum = 0;
        for (unsigned t = 1; t < o.threads; ++t) {
            sum += ctx.done(t).load(std::memory_order_relaxed);
        }
        return sum;
    };

    std::vector<std::thread> threads;
    for (unsigned t = 0; t < o.threads; ++t) {
        threads.emplace_back([&, t] {
            executor<Key, Payload> e(in.map(), logs[t], t, ctx.seq[t], ctx.done(t));
            if (t == 0) {
                staller(e);
            } else {
                other(e, t);
            }
        });
    }

    stall::wait_until([&] { return stall::frozen() || staller_done.load(std::memory_order_relaxed); },
                      [&] { return ctx.done(0).load(std::memory_order_relaxed); },
                      "the staller neither reached its stall site nor finished");
    if (!stall::frozen()) {
        fail("stall-site", phase + ": the staller's call completed without passing the stall site (is the program "
                                   "built with SINK_STALL_POINTS?)");
    }

    std::optional<typename executor<Key, Payload>::held_walk> held;
    if (site == stall_site::insert && o.hash_bits < 64) {
        controller.store(L::staller_key);
        held.emplace(controller.hold_begin());
        while (!controller.hold_at(*held, L::staller_key) && controller.hold_next(*held)) {
        }
        if (!controller.hold_at(*held, L::staller_key)) {
            fail("stall-site", phase + ": a walk by iterators did not meet key " + std::to_string(L::staller_key) +
                                   " just stored");
        }
        controller.erase(L::staller_key);
    }
    if (insert_aba) {
        // The link the frozen insert expects is back (the erase cut the
        // controller's entry out): released now, before anything else
        // changes it, its CAS succeeds. Then the held walk goes on from the
        // erased entry of the same key, and the others run (not while a
        // thread is frozen: this round checks the stamps, not progress).
        stall::release();
        released.store(true, std::memory_order_relaxed);
        stall::wait_until([&] { return staller_done.load(std::memory_order_relaxed); },
                          [&] { return ctx.done(0).load(std::memory_order_relaxed); },
                          "the released staller did not complete its insert");
        while (controller.hold_next(*held)) {
        }
        controller.hold_end(*held);
        go.store(true, std::memory_order_release);
        for (auto& th : threads) {
            th.join();
        }
        stall::disarm();
        ctx.figures.stalls += 1;
        if (o.verbose) {
            std::printf("  %s: thread t0 frozen, released after a logical ABA of its key\n", phase.c_str());
        }
        in.end_phase(phase, logs);
        return;
    }

    // install and claim_release: fresh keys first, before any erase or cut
    // changes the claimed head's `next` (a cut drops the claim bit): the
    // first of them in the head's section is linked right after it.
    if (site == stall_site::install || site == stall_site::claim_release) {
        for (std::uint64_t k = L::fresh_first; k < L::fresh_first + L::fresh; ++k) {
            controller.store(k);
        }
    }
    // The disturbance (see the header comment), by the controller alone.
    const iteration_record w = controller.walk(true);
    // Prefilled keys (and the staller's own key when it replaces it) in list
    // order, then any the walk did not yield.
    auto to_erase = [&](std::uint64_t k) { return k < L::prefill || (replace_own_key && k == L::staller_key); };
    std::vector<std::uint64_t> order;
    for (const op_record& r : logs[ctl].ops) {
        if (r.kind == op_kind::iter_read && r.arg == w.id && to_erase(r.key)) {
            order.push_back(r.key);
        }
    }
    for (std::uint64_t k = 0; k < L::prefill; ++k) {
        if (std::find(order.begin(), order.end(), k) == order.end()) {
            order.push_back(k);
        }
    }
    if (replace_own_key && std::find(order.begin(), order.end(), L::staller_key) == order.end()) {
        order.push_back(L::staller_key);
    }
    for (std::uint64_t k = 0; k < L::prefill; ++k) {
        controller.load(k);
    }
    in.domain().drain();
    for (std::uint64_t k : order) {
        controller.erase(k);
    }
    for (std::uint64_t k = 0; k < L::prefill; ++k) {
        controller.load(k);
    }
    for (std::uint64_t k = L::fresh_first; k < L::fresh_first + L::fresh; ++k) {
        controller.store(k);
        controller.load(k);
    }
    in.domain().drain();
    // The others run; the staller stays frozen until they completed stall_ops calls.
    const std::uint64_t base = others_done();
    go.store(true, std::memory_order_release);
    if (o.threads > 1) {
        stall::wait_until([&] { return others_done() - base >= o.stall_ops; }, others_done,
                          "the other threads stopped completing calls while one thread was frozen");
    }
    const std::uint64_t while_frozen = others_done() - base;
    if (!stall::frozen()) {
        fail("stall-site", phase + ": the staller left its stall site before it was released");
    }
    stall::release();
    released.store(true, std::memory_order_relaxed);
    for (auto& th : threads) {
        th.join();
    }
    stall::disarm();
    if (held) {
        // The staller's insert has completed: the held walk goes on from the
        // erased entry of the same key.
        while (controller.hold_next(*held)) {
        }
        controller.hold_end(*held);
    }

    ctx.figures.stalls += 1;
    ctx.figures.ops_while_frozen += while_frozen;
    ctx.figures.fewest_ops_while_frozen = std::min(ctx.figures.fewest_ops_while_frozen, while_frozen);
    if (o.verbose) {
        std::printf("  %s: thread t0 frozen; the others completed %llu calls meanwhile\n", phase.c_str(),
                    static_cast<unsigned long long>(while_frozen));
    }
    in.end_phase(phase, logs);
}

template <class Key, class Payload>
void run_stalls(run_context& ctx) {
    if (ctx.o.threads < 2) {
        fail("stall-site", "the stall scenario needs at least 2 threads (one frozen, one running)");
    }
    stall::install();
    for (unsigned round = 0; round < ctx.o.stall_rounds; ++round) {
        for (stall_site site : ctx.o.stall_sites) {
            stall_phase<Key, Payload>(ctx, site, round);
        }
    }
}

}  // namespace sink_stress
