#include "linearizability.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

namespace sink_stress {
namespace {

struct step_result {
    bool ok;
    std::uint64_t state;
};

// The sequential specification of one key of the map.
step_result apply(std::uint64_t s, const op_record& op) {
    const bool present = s != absent;
    switch (op.kind) {
        case op_kind::load:
        case op_kind::find:
        case op_kind::iter_read:
        case op_kind::absent_claim:
            return {op.result == s, s};
        case op_kind::contains:
            return {op.flag == present, s};
        case op_kind::erased_claim:
            return {!present || (op.flag && !erase_if_holds(s)), s};
        case op_kind::store:
            return {true, op.arg};
        case op_kind::load_or_store:
            if (present) {
                return {op.flag && op.result == s, s};
            }
            return {!op.flag && op.result == op.arg, op.arg};
        case op_kind::exchange:
            return {op.result == s, op.arg};
        case op_kind::compare_and_swap:
            if (present && s == op.arg) {
                return {op.flag, op.arg2};
            }
            return {!op.flag, s};
        case op_kind::erase:
            return {op.flag == present, absent};
        case op_kind::load_and_erase:
            return {op.result == s, absent};
        case op_kind::compare_and_erase:
            if (present && s == op.arg) {
                return {op.flag, absent};
            }
            return {!op.flag, s};
        case op_kind::update:
            // f's last call must have been on the value the update replaced,
            // and the update returns what f returned then.
            if (present) {
                return {op.flag && op.arg2 == s && op.result == op.arg, op.arg};
            }
            return {!op.flag, s};
        case op_kind::insert_or_assign:
            return {op.flag == !present, op.arg};
        case op_kind::erase_if:
            // pred's last call was on the version the decision was made on.
            if (present) {
                const bool erases = erase_if_holds(s);
                return {op.arg2 == s && op.flag == erases, erases ? absent : s};
            }
            return {!op.flag, s};
        case op_kind::clear:
        case op_kind::erase_if_all:
            return {true, s};  // its erases are the search's spontaneous steps
    }
    return {false, s};
}

std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// The visited (set of linearized ops, state) pairs, as 128-bit
// fingerprints. The set is kept as two 64-bit sums (XOR) of random per-op
// hashes, so it updates in O(1); the fingerprint mixes the state in. Two
// different pairs share a fingerprint with probability about 2^-128 per
// pair, far below any other source of error here, and a collision could only
// make the search skip a branch (a false "not linearizable"), never hide a
// violation. Open addressing, 16 bytes a slot: searches of a few million
// states stay in memory.
class visited_set {
public:
    visited_set() : slots_(1u << 12) {}
    std::size_t size() const noexcept { return size_; }

    // False if the pair was visited before.
    bool insert(std::uint64_t h1, std::uint64_t h2, std::uint64_t state) {
        std::uint64_t a = h1 ^ mix(state), b = h2 ^ mix(state ^ 0x5bd1e9955bd1e995ULL);
        if ((a | b) == 0) {
            a = 1;  // (0, 0) marks an empty slot
        }
        if (2 * (size_ + 1) > slots_.size()) {
            grow();
        }
        if (!place(slots_, a, b)) {
            return false;
        }
        ++size_;
        return true;
    }

private:
    struct slot {
        std::uint64_t a = 0, b = 0;
    };
    static bool place(std::vector<slot>& table, std::uint64_t a, std::uint64_t b) {
        const std::size_t mask = table.size() - 1;
        for (std::size_t i = static_cast<std::size_t>(a) & mask;; i = (i + 1) & mask) {
            if (table[i].a == 0 && table[i].b == 0) {
                table[i] = {a, b};
                return true;
            }
            if (table[i].a == a && table[i].b == b) {
                return false;
            }
        }
    }
    void grow() {
        std::vector<slot> bigger(slots_.size() * 2);
        for (const slot& s : slots_) {
            if (s.a != 0 || s.b != 0) {
                place(bigger, s.a, s.b);
            }
        }
        slots_.swap(bigger);
    }

    std::vector<slot> slots_;
    std::size_t size_ = 0;
};

std::string stamp_text(std::uint64_t t) {
    if (t == std::numeric_limits<std::uint64_t>::max()) {
        return "end";
    }
    return std::to_string(t);
}

std::string op_line(std::size_t index, const op_record& op) {
    char head[96];
    std::snprintf(head, sizeof head, "  #%-4zu t%-3u [%10s, %10s]  ", index, op.thread, stamp_text(op.inv).c_str(),
                  stamp_text(op.resp).c_str());
    return head + describe_call(op) + "\n";
}

class search {
public:
    search(const key_history& h, std::size_t max_states) : max_states_(max_states), initial_(h.initial) {
        ops_ = h.ops;
        std::sort(ops_.begin(), ops_.end(), [](const op_record& a, const op_record& b) { return a.inv < b.inv; });
        // The quiescent read at the end of the phase: after every call.
        op_record last;
        last.kind = op_kind::load;
        last.result = h.final;
        last.inv = std::numeric_limits<std::uint64_t>::max() - 1;
        last.resp = std::numeric_limits<std::uint64_t>::max();
        last.thread = std::numeric_limits<std::uint32_t>::max();
        ops_.push_back(last);
        build_events();
    }

    // The search: a depth-first walk over configurations (set of linearized
    // calls, state), each visited once. The candidates for the next step are
    // the calls invoked before the earliest response among the calls not yet
    // linearized (the list of call/return events up to its first return).
    // Two rules keep it near-linear on real histories:
    //   - a candidate that is valid now and leaves the state as it is (a read,
    //     a failed conditional write) is taken at once, with no alternative to
    //     try later: if any linearization exists from here, one exists that
    //     takes it first (it is minimal in real time, and moving it forward
    //     changes no other call's view);
    //   - the other candidates are tried in order of their responses, so a
    //     call that stays pending for long (its thread was preempted) is
    //     placed last, where it usually belongs, instead of being tried, and
    //     refuted, at every step of its interval.
    lin_outcome run(const std::string& key_name) {
        lin_outcome out;
        config c{initial_, 0, 0};
        std::vector<frame> stack;
        std::vector<std::size_t> linearized;  // op indices, in order
        std::size_t resume_rank = 0;          // after a backtrack: the next candidate to try
        visited_set memo;
        memo.insert(0, 0, c.state);
        std::vector<candidate> cands;
        while (first() != tail_) {
            if (memo.size() > max_states_) {
                out.result = lin_outcome::verdict::undecided;
                out.states = memo.size();
                return out;
            }
            collect(c, cands);
            bool moved = false;
            if (resume_rank == 0) {
                // The forced step, if there is one.
                for (const candidate& k : cands) {
                    if (k.option == 1 && k.keeps_state) {
                        moved = true;
                        if (take(k, c, memo, stack, linearized, /*forced=*/true, 0)) {
                            break;
                        }
                        moved = false;  // seen before: this configuration fails
                        resume_rank = cands.size();
                        break;
                    }
                }
            }
            for (std::size_t rank = resume_rank; !moved && rank < cands.size(); ++rank) {
                moved = take(cands[rank], c, memo, stack, linearized, /*forced=*/false, rank);
            }
            resume_rank = 0;
            if (moved) {
                continue;
            }
            // A dead end. (The longest prefix is saved only here, so that a
            // search that never backtracks copies nothing.)
            if (linearized.size() > best_.size() || best_.empty()) {
                best_ = linearized;
                best_state_ = c.state;
            }
            // Undo forced steps (their configuration was equivalent to the one
            // that just failed) and the last free choice; try its next rank.
            bool resumed = false;
            while (!stack.empty() && !resumed) {
                const frame f = stack.back();
                stack.pop_back();
                c = f.before;
                if (f.option == 1) {
                    unlift(f.entry);
                    linearized.pop_back();
                }
                if (!f.forced) {
                    resume_rank = f.rank + 1;
                    resumed = true;
                }
            }
            if (!resumed) {
                out.result = lin_outcome::verdict::not_linearizable;
                out.states = memo.size();
                out.report = report(key_name);
                return out;
            }
        }
        out.states = memo.size();
        return out;
    }

private:
    struct event {
        std::uint64_t time;
        std::size_t op;
        bool is_call;
        std::size_t match;  // the call's return event, or the return's call event
        std::size_t prev, next;
    };
    struct config {
        std::uint64_t state, h1, h2;  // the register, and the set of linearized calls (hashed)
    };
    struct candidate {
        std::size_t entry;  // call event
        unsigned option;    // 0: a clear (or erase_if(pred)) in flight erases the key now; 1: the call is linearized
        bool ok;            // valid in the current state
        bool keeps_state;   // valid and leaves the state unchanged (a forced step)
        std::uint64_t next_state;
        std::uint64_t resp;
    };
    struct frame {
        std::size_t entry;
        unsigned option;
        bool forced;
        std::size_t rank;
        config before;
    };

    // The candidates of configuration c, in the order they are tried.
    void collect(const config& c, std::vector<candidate>& out) const {
        out.clear();
        for (std::size_t e = first(); e != tail_ && events_[e].is_call; e = events_[e].next) {
            const op_record& op = ops_[events_[e].op];
            const bool erases_all = op.kind == op_kind::clear || op.kind == op_kind::erase_if_all;
            if (erases_all && c.state != absent && (op.kind == op_kind::clear || erase_if_holds(c.state))) {
                out.push_back({e, 0, true, false, absent, op.resp});
            }
            const step_result r = apply(c.state, op);
            const bool keeps = r.ok && r.state == c.state && !erases_all;
            out.push_back({e, 1, r.ok, keeps, r.state, op.resp});
        }
        std::stable_sort(out.begin(), out.end(), [](const candidate& a, const candidate& b) {
            return a.resp != b.resp ? a.resp < b.resp : a.option < b.option;
        });
    }

    // Takes candidate k if it is valid and leads to a configuration not seen
    // before.
    bool take(const candidate& k, config& c, visited_set& memo, std::vector<frame>& stack,
              std::vector<std::size_t>& linearized, bool forced, std::size_t rank) {
        if (!k.ok) {
            return false;
        }
        const std::size_t i = events_[k.entry].op;
        config next{k.next_state, c.h1, c.h2};
        if (k.option == 1) {
            next.h1 ^= op_hash(i, 1);
            next.h2 ^= op_hash(i, 2);
        }
        if (!memo.insert(next.h1, next.h2, next.state)) {
            return false;
        }
        stack.push_back({k.entry, k.option, forced, rank, c});
        if (k.option == 1) {
            lift(k.entry);
            linearized.push_back(i);
        }
        c = next;
        return true;
    }

    void build_events() {
        std::vector<event> ev;
        ev.reserve(2 * ops_.size());
        for (std::size_t i = 0; i < ops_.size(); ++i) {
            ev.push_back({ops_[i].inv, i, true, 0, 0, 0});
            ev.push_back({ops_[i].resp, i, false, 0, 0, 0});
        }
        std::sort(ev.begin(), ev.end(), [](const event& a, const event& b) {
            return a.time != b.time ? a.time < b.time : a.is_call > b.is_call;
        });
        // Index 0 is the head sentinel, the last index the tail sentinel.
        events_.resize(ev.size() + 2);
        head_ = 0;
        tail_ = ev.size() + 1;
        std::vector<std::size_t> call_of(ops_.size());
        for (std::size_t k = 0; k < ev.size(); ++k) {
            events_[k + 1] = ev[k];
            if (ev[k].is_call) {
                call_of[ev[k].op] = k + 1;
            } else {
                events_[k + 1].match = call_of[ev[k].op];
                events_[call_of[ev[k].op]].match = k + 1;
            }
        }
        for (std::size_t k = 0; k < events_.size(); ++k) {
            events_[k].prev = k == 0 ? 0 : k - 1;
            events_[k].next = k + 1 < events_.size() ? k + 1 : k;
        }
    }

    std::size_t first() const { return events_[head_].next; }
    void unlink(std::size_t k) {
        events_[events_[k].prev].next = events_[k].next;
        events_[events_[k].next].prev = events_[k].prev;
    }
    void relink(std::size_t k) {
        events_[events_[k].prev].next = k;
        events_[events_[k].next].prev = k;
    }
    // Removes a call and its return from the list (and puts them back, in
    // reverse order, so that the neighbours' links are restored exactly).
    void lift(std::size_t call) {
        unlink(call);
        unlink(events_[call].match);
    }
    void unlift(std::size_t call) {
        relink(events_[call].match);
        relink(call);
    }

    std::uint64_t op_hash(std::size_t i, std::uint64_t salt) const noexcept { return mix(mix(i * 4 + salt) ^ salt); }

    std::string report(const std::string& key_name) const {
        std::string r = "key " + key_name + ": initial state " + describe_value(initial_) + ", " +
                        std::to_string(ops_.size() - 1) + " calls, final quiescent state " +
                        describe_value(ops_.back().result) + "\n";
        r += "history (by invocation; [inv, resp] are logical-clock stamps; t<n> is the calling thread, and in a\n"
             "stall phase the highest n is the main thread, which fills the map and disturbs it):\n";
        std::vector<bool> in_best(ops_.size(), false);
        for (std::size_t i : best_) {
            in_best[i] = true;
        }
        // Show everything for a short history; otherwise the neighbourhood of
        // the longest linearizable prefix's end.
        std::size_t from = 0, to = ops_.size();
        if (ops_.size() > 60) {
            std::size_t first_left = ops_.size() - 1;
            for (std::size_t i = 0; i < ops_.size(); ++i) {
                if (!in_best[i]) {
                    first_left = i;
                    break;
                }
            }
            from = first_left > 30 ? first_left - 30 : 0;
            to = std::min(ops_.size(), first_left + 30);
            r += "  (" + std::to_string(from) + " earlier calls not shown)\n";
        }
        for (std::size_t i = from; i < to; ++i) {
            if (i + 1 == ops_.size()) {
                r += "  final quiescent read of the map -> " + describe_value(ops_[i].result) + "\n";
            } else {
                r += op_line(i, ops_[i]);
            }
        }
        if (to < ops_.size()) {
            r += "  (" + std::to_string(ops_.size() - to) + " later calls not shown)\n";
        }
        r += "longest linearizable prefix: " + std::to_string(best_.size()) + " calls, ending";
        const std::size_t tail = std::min<std::size_t>(best_.size(), 8);
        for (std::size_t k = best_.size() - tail; k < best_.size(); ++k) {
            r += " #" + std::to_string(best_[k]);
        }
        r += "; the key is then " + describe_value(best_state_) +
             ", and no call that may come next (invoked before every pending call returned) agrees with that.\n";
        return r;
    }

    std::size_t max_states_;
    std::uint64_t initial_;
    std::vector<op_record> ops_;
    std::vector<event> events_;
    std::size_t head_ = 0, tail_ = 0;
    std::vector<std::size_t> best_;
    std::uint64_t best_state_ = absent;
};

}  // namespace

lin_outcome check_register(const key_history& h, std::size_t max_states, const std::string& key_name) {
    if (h.ops.empty()) {
        lin_outcome out;
        if (h.initial != h.final) {
            out.result = lin_outcome::verdict::not_linearizable;
            out.report = "key " + key_name + ": no call touched it, yet it changed from " + describe_value(h.initial) +
                         " to " + describe_value(h.final) + "\n";
        }
        return out;
    }
    // The budget grows with the history: a search that never backtracks
    // visits one state per call already.
    search s(h, std::max<std::size_t>(max_states, 32 * h.ops.size()));
    return s.run(key_name);
}

}  // namespace sink_stress
