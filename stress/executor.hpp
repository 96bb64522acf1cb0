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
#include "stress_map.hpp"
#include "workload.hpp"

namespace sink_stress {

template <class Key, class Payload>
class executor {
public:
    using types = codec<Key, Payload>;
    using value_type = typename types::value_type;
    using map_type = stress_map<Key, Payload>;
    using iterator = typename map_type::const_iterator;

    // A walk in progress: its record, and the keys it yielded so far.
    struct walk_state {
        iteration_record w;
        std::unordered_set<std::uint64_t> seen;
        std::uint64_t yielded = 0;
        bool with_range = false;
        bool by_erase_if = false;  // the visits of a whole-map erase_if(pred)
    };

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
    // Each call of f notes the value it is called on and returns a fresh
    // one: the checker requires the last call's input to be the value the
    // update replaced, and its result to be the value stored and returned
    // (a retry that stored an earlier call's result is caught).
    op_record update(std::uint64_t k) {
        return call(op_kind::update, k, [&](op_record& r) {
            const std::optional<value_type> stored = map_.update(types::key(k), [&](const value_type& old) {
                r.arg2 = types::value_id(old);
                r.arg = fresh_value();
                return types::value(r.arg);
            });
            r.flag = stored.has_value();
            r.result = stored ? types::value_id(*stored) : absent;
        });
    }
    op_record insert_or_assign(std::uint64_t k) {
        const std::uint64_t v = fresh_value();
        return call(op_kind::insert_or_assign, k, [&](op_record& r) {
            r.arg = v;
            r.flag = map_.insert_or_assign(types::key(k), types::value(v));
        });
    }
    // pred notes each value it is called on: the checker requires the last
    // call's value to be the one the decision was made on when the key was
    // present (when the last attempt found it absent, arg2 may still show an
    // earlier attempt's value, and the checker ignores it).
    op_record erase_if(std::uint64_t k) {
        return call(op_kind::erase_if, k, [&](op_record& r) {
            r.arg2 = absent;
            r.flag = map_.erase_if(types::key(k), [&](const auto& entry) {
                r.arg2 = types::value_id(entry.second);
                return erase_if_holds(r.arg2);
            });
        });
    }
    op_record clear() {
        return call(op_kind::clear, 0, [&](op_record&) { map_.clear(); });
    }
    // Each entry pred is called on is a read inside the call, as a walk's
    // yield (a key visited twice fails at once); the walk makes no absence
    // claims (it changes keys itself). result: how many entries it reports
    // erased (not checked: keys it erased may come back meanwhile).
    op_record erase_if_all() {
        walk_state s;
        s.w.id = next_walk_id_.fetch_add(1, std::memory_order_relaxed);
        s.w.thread = thread_;
        s.by_erase_if = true;
        return call(op_kind::erase_if_all, 0, [&](op_record& r) {
            s.w.inv = r.inv;
            r.result = map_.erase_if([&](const auto& entry) {
                yield(s, entry.first, entry.second);
                return erase_if_holds(types::value_id(entry.second));
            });
        });
    }

    // A walk with range() or with iterators, stopping after `stop_after`
    // entries (never, by default). Freezes at the second entry if the stall
    // controller has armed the site "iterate" for this thread. A walk by
    // iterators also copies its iterator now and then (iterator_walk).
    iteration_record walk(bool with_range, std::uint64_t stop_after = std::numeric_limits<std::uint64_t>::max()) {
        walk_state s = start_walk(with_range);
        auto visit = [&](const Key& key, const value_type& value) {
            yield(s, key, value);
            if (s.yielded == 2) {
                stall::at(stall_site::iterate);
            }
            return s.yielded < stop_after;
        };
        if (with_range) {
            map_.range(visit);
        } else {
            iterator_walk(s, visit);
        }
        return finish_walk(s, s.yielded < stop_after);  // a walk that reached its limit may have stopped early
    }

    // A walk by iterators that the caller drives one step at a time, with
    // other calls in between (the stall scenario holds one across a frozen
    // insert). Checked as any walk: its yields are reads inside it, a key
    // yielded twice fails at once, and if it reaches the end it is a full
    // walk. hold_end must come before the phase ends (the iterator's hazard
    // pointer would keep its entry from being drained).
    struct held_walk {
        walk_state s;
        iterator it;
    };
    held_walk hold_begin() {
        held_walk h{start_walk(false), iterator()};
        stall::begin_call(thread_, "held iteration", 0);
        h.it = map_.begin();
        if (h.it != map_.end()) {
            yield(h.s, h.it->first, h.it->second);
        }
        return h;
    }
    // Steps on; false at the end.
    bool hold_next(held_walk& h) {
        stall::begin_call(thread_, "held iteration", 0);
        ++h.it;
        if (h.it == map_.end()) {
            return false;
        }
        yield(h.s, h.it->first, h.it->second);
        return true;
    }
    // The key the held iterator stands on (false at the end).
    bool hold_at(const held_walk& h, std::uint64_t key) const {
        return h.it != map_.end() && types::key_id(h.it->first) == key;
    }
    iteration_record hold_end(held_walk& h) {
        const bool full = h.it == map_.end();
        h.it = iterator();
        return finish_walk(h.s, full);
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
            case op_type::update: update(k); break;
            case op_type::insert_or_assign: insert_or_assign(k); break;
            case op_type::erase_if: erase_if(k); break;
            case op_type::range:
            case op_type::iterate:
                // One walk in four stops early, somewhere in its first 64 entries.
                walk(t == op_type::range, r.below(4) == 0 ? 1 + r.below(64) : std::numeric_limits<std::uint64_t>::max());
                break;
            case op_type::clear: clear(); break;
            case op_type::erase_if_all: erase_if_all(); break;
        }
    }

private:
    walk_state start_walk(bool with_range) {
        walk_state s;
        s.w.id = next_walk_id_.fetch_add(1, std::memory_order_relaxed);
        s.w.thread = thread_;
        s.with_range = with_range;
        stall::begin_call(thread_, with_range ? "range" : "iteration", 0);
        s.w.inv = logical_clock::stamp();
        return s;
    }
    // An entry the walk yielded: a read inside the walk; a key yielded twice
    // by one walk fails at once.
    void yield(walk_state& s, const Key& key, const value_type& value) {
        op_record y;
        y.kind = op_kind::iter_read;
        y.thread = thread_;
        y.key = types::key_id(key);
        y.result = types::value_id(value);
        y.arg = s.w.id;
        y.inv = s.w.inv;
        y.resp = logical_clock::stamp();
        if (!s.seen.insert(y.key).second) {
            const char* how = s.by_erase_if ? "erase_if" : s.with_range ? "range" : "iterators";
            fail("iteration", "walk #" + std::to_string(s.w.id) + " (" + how +
                                  ", thread t" + std::to_string(thread_) + ") yielded key " + types::key_name(y.key) +
                                  " twice (the second time with " + describe_value(y.result) + ")");
        }
        log_.ops.push_back(y);
        ++s.yielded;
    }
    iteration_record finish_walk(walk_state& s, bool full) {
        s.w.resp = logical_clock::stamp();
        s.w.full = full;
        log_.iterations.push_back(s.w);
        completed_.fetch_add(1, std::memory_order_relaxed);
        return s.w;
    }

    // A walk by iterators whose steps vary, two bits of a stream drawn from
    // the walk's id per step:
    //   0: ++it;
    //   1: postfix it++, then the copy it returned is read (the original has
    //      moved on);
    //   2: a copy constructed, ++it, then the copy read;
    //   3: a copy ASSIGNED to `kept` (onto an iterator that may hold an entry
    //      already), then ++it; `kept` is read after the original has
    //      advanced one to four more times.
    // A copy must show the entry the original showed when it was made: an
    // entry's key and value never change (a new version is a new node), and
    // the copy keeps it alive whatever happened to it meanwhile (erased, cut
    // out, retired; under eager reclamation freed the moment nothing
    // protects it, so a copy that does not protect it is a use after free).
    // What the walk yields is checked as in any walk.
    template <class Visit>
    void iterator_walk(walk_state& s, Visit&& visit) {
        std::uint64_t stream = s.w.id * 0x9e3779b97f4a7c15ULL;
        unsigned bits_left = 0;
        std::uint64_t bits = 0;
        auto draw = [&](unsigned n) {
            if (bits_left < n) {
                stream += 0x9e3779b97f4a7c15ULL;
                std::uint64_t z = stream;
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
                bits = z ^ (z >> 31);
                bits_left = 64;
            }
            const std::uint64_t v = bits & ((std::uint64_t{1} << n) - 1);
            bits >>= n;
            bits_left -= n;
            return v;
        };
        iterator kept;
        std::uint64_t kept_key = 0;
        std::uint64_t kept_value = 0;
        std::uint64_t kept_for = 0;
        const iterator end = map_.end();
        for (iterator it = map_.begin(); it != end;) {
            if (kept_for != 0 && --kept_for == 0) {
                same_entry(s, kept, kept_key, kept_value, "a copy assigned from it, after the original advanced");
            }
            const std::uint64_t key = types::key_id(it->first);
            const std::uint64_t value = types::value_id(it->second);
            if (!visit(it->first, it->second)) {
                break;
            }
            switch (draw(2)) {
                case 0:
                    ++it;
                    break;
                case 1: {
                    const iterator before = it++;
                    same_entry(s, before, key, value, "the copy it++ returned");
                    break;
                }
                case 2: {
                    const iterator copy(it);
                    ++it;
                    same_entry(s, copy, key, value, "a copy made before ++it");
                    break;
                }
                default:
                    if (kept_for != 0) {
                        same_entry(s, kept, kept_key, kept_value, "a copy assigned from it, before it is reassigned");
                    }
                    kept = it;
                    kept_key = key;
                    kept_value = value;
                    kept_for = 1 + draw(2);
                    ++it;
                    break;
            }
        }
        if (kept_for != 0) {
            same_entry(s, kept, kept_key, kept_value, "a copy assigned from it, at the end of the walk");
        }
    }
    void same_entry(const walk_state& s, const iterator& copy, std::uint64_t key, std::uint64_t value,
                    const char* what) {
        const std::string walk = "walk #" + std::to_string(s.w.id) + " (iterators, thread t" + std::to_string(thread_) +
                                 "): " + what + ", made on key " + types::key_name(key) + " with value " +
                                 describe_value(value) + ", ";
        if (copy == map_.end()) {
            fail("iteration", walk + "is at the end");
        }
        const std::uint64_t k = types::key_id(copy->first);
        const std::uint64_t v = types::value_id(copy->second);
        if (k != key || v != value) {
            fail("iteration", walk + "shows key " + types::key_name(k) + " with value " + describe_value(v));
        }
    }

    template <class F>
    op_record call(op_kind kind, std::uint64_t key, F&& body) {
        stall::begin_call(thread_, name(kind), key);
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
