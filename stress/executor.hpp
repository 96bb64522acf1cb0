// One thread's calls on a stress map: each call is made between two stamps
// of the logical clock and recorded with its arguments and results as ids.
// Every write stores a fresh value id (the thread's own sequence).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_set>
#include <utility>

#include "codec.hpp"
#include "history.hpp"
#include "report.hpp"
#include "sink/concurrent_map.hpp"
#include "stall.hpp"
#include "workload.hpp"

namespace sink_stress {

template <class Key, class Payload>
class executor {
public:
    using types = codec<Key, Payload>;
    using value_type = typename types::value_type;
    using map_type = sink::concurrent_map<Key, value_type>;

    // `seq` numbers this thread's writes across phases; `completed` counts
    // its finished calls, for the stall controller (read by another thread).
    executor(map_type& map, thread_log& log, std::uint32_t thread, std::uint64_t& seq,
             std::atomic<std::uint64_t>& completed)
        : map_(map), log_(log), thread_(thread), seq_(seq), completed_(completed) {}

    ~executor() { drop_handle(); }
    executor(const executor&) = delete;
    executor& operator=(const executor&) = delete;

    std::uint64_t fresh_value() { return value_id(thread_, ++seq_); }

    // ---- one call each; each returns its record -----------------------------------
    op_record load(std::uint64_t k) {
        return call(op_kind::load, k, [&](op_record& r) { r.result = id_of(map_.load(types::key(k))); });
    }
    op_record contains(std::uint64_t k) {
        return call(op_kind::contains, k, [&](op_record& r) { r.flag = map_.contains(types::key(k)); });
    }
    // Keeps the handle until the next find, and checks then that what it
    // shows has not changed meanwhile (the handle keeps its node alive).
    op_record find(std::uint64_t k) {
        drop_handle();
        return call(op_kind::find, k, [&](op_record& r) {
            handle_ = map_.find(types::key(k));
            r.result = handle_ ? types::value_id(*handle_) : absent;
            handle_value_ = r.result;
        });
    }
    op_record store(std::uint64_t k) {
        const std::uint64_t v = fresh_value();
        return call(op_kind::store, k, [&](op_record& r) {
            r.arg = v;
            map_.store(types::key(k), types::value(v));
        });
    }
    op_record load_or_store(std::uint64_t k) {
        const std::uint64_t v = fresh_value();
        return call(op_kind::load_or_store, k, [&](op_record& r) {
            r.arg = v;
            auto [now, loaded] = map_.load_or_store(types::key(k), types::value(v));
            r.result = types::value_id(now);
            r.flag = loaded;
        });
    }
    op_record exchange(std::uint64_t k) {
        const std::uint64_t v = fresh_value();
        return call(op_kind::exchange, k, [&](op_record& r) {
            r.arg = v;
            r.result = id_of(map_.exchange(types::key(k), types::value(v)));
        });
    }
    op_record compare_and_swap(std::uint64_t k, std::uint64_t expected) {
        const std::uint64_t v = fresh_value();
        const value_type want = types::value(expected);
        return call(op_kind::compare_and_swap, k, [&](op_record& r) {
            r.arg = expected;
            r.arg2 = v;
            r.flag = map_.compare_and_swap(types::key(k), want, types::value(v));
        });
    }
    op_record erase(std::uint64_t k) {
        return call(op_kind::erase, k, [&](op_record& r) { r.flag = map_.erase(types::key(k)); });
    }
    op_record load_and_erase(std::uint64_t k) {
        return call(op_kind::load_and_erase, k,
                    [&](op_record& r) { r.result = id_of(map_.load_and_erase(types::key(k))); });
    }
    op_record compare_and_erase(std::uint64_t k, std::uint64_t expected) {
        const value_type want = types::value(expected);
        return call(op_kind::compare_and_erase, k, [&](op_record& r) {
            r.arg = expected;
            r.flag = map_.compare_and_erase(types::key(k), want);
        });
    }
    op_record clear() {
        return call(op_kind::clear, 0, [&](op_record&) { map_.clear(); });
    }

    // A walk with range() or with iterators, stopping after `stop_after`
    // entries (never, by default). Freezes at the second entry if the stall
    // controller has armed the site "iterate" for this thread.
    iteration_record walk(bool with_range, std::uint64_t stop_after = std::numeric_limits<std::uint64_t>::max()) {
        iteration_record w;
        w.id = next_walk_id_.fetch_add(1, std::memory_order_relaxed);
        w.thread = thread_;
        std::unordered_set<std::uint64_t> seen;
        std::uint64_t yielded = 0;
        w.inv = logical_clock::stamp();
        auto visit = [&](const Key& key, const value_type& value) {
            op_record y;
            y.kind = op_kind::iter_read;
            y.thread = thread_;
            y.key = types::key_id(key);
            y.result = types::value_id(value);
            y.arg = w.id;
            y.inv = w.inv;
            y.resp = logical_clock::stamp();
            if (!seen.insert(y.key).second) {
                fail("iteration", "walk #" + std::to_string(w.id) + " (" + (with_range ? "range" : "iterators") +
                                      ", thread t" + std::to_string(thread_) + ") yielded key " +
                                      types::key_name(y.key) + " twice");
            }
            log_.ops.push_back(y);
            if (++yielded == 2) {
                stall::at(stall_site::iterate);
            }
            return yielded < stop_after;
        };
        if (with_range) {
            map_.range(visit);
        } else {
            for (auto it = map_.begin(); it != map_.end(); ++it) {
                if (!visit(it->first, it->second)) {
                    break;
                }
            }
        }
        w.resp = logical_clock::stamp();
        w.full = yielded < stop_after;  // a walk that reached its limit may have stopped early
        log_.iterations.push_back(w);
        completed_.fetch_add(1, std::memory_order_relaxed);
        return w;
    }

    // A call of the mix on key k. compare_and_* first load the key and use
    // what they saw (or a never-written value when absent) as expected.
    void random_call(op_type t, std::uint64_t k, rng& r) {
        switch (t) {
            case op_type::load: load(k); break;
            case op_type::contains: contains(k); break;
            case op_type::find: find(k); break;
            case op_type::store: store(k); break;
            case op_type::load_or_store: load_or_store(k); break;
            case op_type::exchange: exchange(k); break;
            case op_type::compare_and_swap: compare_and_swap(k, expected_for(k)); break;
            case op_type::erase: erase(k); break;
            case op_type::load_and_erase: load_and_erase(k); break;
            case op_type::compare_and_erase: compare_and_erase(k, expected_for(k)); break;
            case op_type::range:
            case op_type::iterate:
                // One walk in four stops early, somewhere in its first 64 entries.
                walk(t == op_type::range, r.below(4) == 0 ? 1 + r.below(64) : std::numeric_limits<std::uint64_t>::max());
                break;
            case op_type::clear: clear(); break;
        }
    }

private:
    template <class F>
    op_record call(op_kind kind, std::uint64_t key, F&& body) {
        op_record r;
        r.kind = kind;
        r.key = key;
        r.thread = thread_;
        r.inv = logical_clock::stamp();
        body(r);
        r.resp = logical_clock::stamp();
        log_.ops.push_back(r);
        completed_.fetch_add(1, std::memory_order_relaxed);
        return r;
    }

    std::uint64_t expected_for(std::uint64_t k) {
        const op_record seen = load(k);
        return seen.result != absent ? seen.result : (fresh_value() | phantom_bit);
    }

    static std::uint64_t id_of(const std::optional<value_type>& v) { return v ? types::value_id(*v) : absent; }

    void drop_handle() {
        if (handle_) {
            const std::uint64_t now = types::value_id(*handle_);
            if (now != handle_value_) {
                fail("handle", "a find() handle on key " + types::key_name(types::key_id(handle_.key())) +
                                   " showed " + describe_value(handle_value_) + " and later " + describe_value(now));
            }
            handle_.reset();
        }
    }

    static inline std::atomic<std::uint64_t> next_walk_id_{1};

    map_type& map_;
    thread_log& log_;
    std::uint32_t thread_;
    std::uint64_t& seq_;
    std::atomic<std::uint64_t>& completed_;
    typename map_type::handle handle_;
    std::uint64_t handle_value_ = absent;
};

}  // namespace sink_stress
