// What the stress threads do: a seeded random generator, key distributions
// (uniform, Zipf-skewed, one hot key) and the operation mix.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sink_stress {

// xoshiro256**, seeded through splitmix64: small, fast, and the same
// sequence on every platform, so a run is reproducible from its seed.
class rng {
public:
    explicit rng(std::uint64_t seed) noexcept;
    std::uint64_t next() noexcept;
    std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }
    double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t s_[4];
};

// A seed for (run seed, a purpose, an index): independent streams.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) noexcept;

enum class distribution { uniform, zipf, hot };

// Picks key ids in [0, keys).
class key_chooser {
public:
    key_chooser(distribution d, std::uint64_t keys, double zipf_s, double hot_fraction);
    std::uint64_t next(rng& r) const;

private:
    distribution d_;
    std::uint64_t keys_;
    double hot_fraction_;
    std::vector<double> cdf_;  // zipf only: P(rank <= i)
};

// Every call of the API, as the stress threads choose among them.
enum class op_type {
    load,
    contains,
    find,
    store,
    load_or_store,
    exchange,
    compare_and_swap,
    erase,
    load_and_erase,
    compare_and_erase,
    update,   // update() with a function that returns a fresh value
    insert_or_assign,
    erase_if,      // erase_if(key, pred), pred erase_if_holds on the value id
    range,         // range() with a visitor (sometimes stopping early)
    iterate,       // begin()/end() iterators (sometimes stopping early)
    clear,
    erase_if_all,  // erase_if(pred) of the whole map, the same pred
};
inline constexpr std::size_t op_type_count = 17;
const char* name(op_type t) noexcept;

class op_mix {
public:
    // "load=20,store=10,...": the named weights; the others are 0. "default"
    // is every call, reads and writes about evenly, rare clears and walks.
    static op_mix parse(const std::string& text);  // throws std::invalid_argument
    static op_mix defaults();
    op_type pick(rng& r) const;
    unsigned weight(op_type t) const { return weights_[static_cast<std::size_t>(t)]; }
    op_mix without(op_type t) const;
    std::string describe() const;

private:
    std::array<unsigned, op_type_count> weights_{};
};

}  // namespace sink_stress
