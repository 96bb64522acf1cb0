// A registry of sessions (id -> info) that some threads walk while others
// register and unregister sessions.
//
// Walking a sink map never blocks writers and never sees a torn entry, but it
// is not a snapshot: it is *weakly consistent*. The guarantee, for range and
// for iterators alike, is:
//   - a key present and unchanged for the whole walk is visited exactly once;
//   - no key is visited twice, even one erased and registered again while
//     the walk runs;
//   - a key inserted, replaced or erased during the walk may or may not be
//     seen.
// So this program keeps two disjoint sets of ids: stable sessions, registered
// before the walks and never touched while they run, for which the first rule
// is checked; and churning sessions, which writer threads keep registering,
// updating and unregistering, for which only the second rule holds.
#include <sink/concurrent_map.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

struct session {
    std::string user;
    std::uint64_t generation = 0;  // bumped by each update of a churning session
    bool operator==(const session&) const = default;  // for compare_and_swap
};

constexpr std::uint64_t stable_count = 500;
constexpr std::uint64_t churn_base = 1'000'000;  // churning ids: [churn_base, churn_base + churn_count)
constexpr std::uint64_t churn_count = 200;
constexpr int writer_count = 2;
constexpr int writer_ops = 40000;
constexpr int walker_count = 2;
constexpr int walks_per_walker = 40;

using registry = sink::concurrent_map<std::uint64_t, session>;

std::string stable_user(std::uint64_t id) { return "user-" + std::to_string(id); }

// What one walk saw, and whether it kept the promises above.
struct walk_result {
    bool ok = true;
    std::uint64_t churning_seen = 0;
};

// Shared by the two ways of walking: `visit` is called for each entry seen.
class walk_checker {
public:
    void visit(std::uint64_t id, const session& s) {
        if (!seen_.insert(id).second) {
            result_.ok = false;  // a key visited twice
            std::printf("walk saw id %llu twice\n", static_cast<unsigned long long>(id));
        }
        if (id < stable_count) {
            ++stable_seen_;
            if (s.user != stable_user(id) || s.generation != 0) {
                result_.ok = false;  // a stable session must read as it was stored
            }
        } else {
            ++result_.churning_seen;
        }
    }
    walk_result finish() {
        if (stable_seen_ != stable_count) {
            result_.ok = false;  // a stable session missed (twice is caught above)
            std::printf("walk saw %llu stable sessions of %llu\n", static_cast<unsigned long long>(stable_seen_),
                        static_cast<unsigned long long>(stable_count));
        }
        return result_;
    }

private:
    std::unordered_set<std::uint64_t> seen_;
    std::uint64_t stable_seen_ = 0;
    walk_result result_;
};

walk_result walk_with_range(const registry& r) {
    walk_checker check;
    // The references passed to the callback are valid only during the call:
    // copy what must outlive it.
    r.range([&](std::uint64_t id, const session& s) { check.visit(id, s); });
    return check.finish();
}

walk_result walk_with_iterators(const registry& r) {
    walk_checker check;
    // An iterator protects the entry it stands on (a hazard pointer), so the
    // entry stays readable through it even if a writer replaces or erases
    // the session meanwhile; ++ then continues after its position.
    for (const auto& [id, s] : r) {
        check.visit(id, s);
    }
    return check.finish();
}

}  // namespace

int main() {
    registry sessions;
    for (std::uint64_t id = 0; id < stable_count; ++id) {
        sessions.store(id, session{stable_user(id), 0});
    }

    std::atomic<bool> all_ok{true};
    std::atomic<std::uint64_t> churning_seen{0};
    std::vector<std::thread> pool;

    for (int w = 0; w < writer_count; ++w) {
        pool.emplace_back([&, w] {
            for (int i = 0; i < writer_ops; ++i) {
                const auto step = static_cast<std::uint64_t>(i) * 7 + static_cast<std::uint64_t>(w);
                const std::uint64_t id = churn_base + step % churn_count;
                switch (i % 3) {
                    case 0:
                        sessions.erase(id);  // log out (if logged in)
                        break;
                    case 1:
                        sessions.store(id, session{"guest", 0});  // log in (again)
                        break;
                    default:
                        // Update a live session only, and only the version we
                        // read: store or exchange would bring back a session
                        // logged out since our load. A lost race just skips
                        // this update.
                        if (std::optional<session> s = sessions.load(id)) {
                            session updated{"member", s->generation + 1};
                            sessions.compare_and_swap(id, *s, std::move(updated));
                        }
                        break;
                }
            }
        });
    }
    for (int w = 0; w < walker_count; ++w) {
        pool.emplace_back([&, w] {
            for (int i = 0; i < walks_per_walker; ++i) {
                const walk_result r = (i + w) % 2 == 0 ? walk_with_range(sessions) : walk_with_iterators(sessions);
                if (!r.ok) {
                    all_ok = false;
                }
                churning_seen += r.churning_seen;
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }

    // Quiescent now: a walk sees exactly what is there, and size() is exact.
    std::uint64_t counted = 0;
    sessions.range([&](std::uint64_t, const session&) { ++counted; });
    const bool quiet_ok = counted == sessions.size() && sessions.size() >= stable_count &&
                          sessions.size() <= stable_count + churn_count;

    std::printf("%d walks with %d writers running: %s; churning sessions seen per walk on average: %.1f of %llu\n",
                walker_count * walks_per_walker, writer_count, all_ok ? "every promise kept" : "PROMISE BROKEN",
                static_cast<double>(churning_seen.load()) / (walker_count * walks_per_walker),
                static_cast<unsigned long long>(churn_count));
    std::printf("afterwards: %llu sessions, size() %zu\n", static_cast<unsigned long long>(counted), sessions.size());
    return all_ok && quiet_ok ? 0 : 1;
}
