// The workloads of the comparison (issue 6), described as data, and the
// streams of operations every map replays. The streams are generated once
// per process from a fixed seed, before any timing, so every map sees the
// same keys in the same order and no random-number generator runs in a
// timed loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sink_bench {

enum class op_kind : std::uint8_t { find, insert, erase, upsert, increment };

enum class key_choice : std::uint8_t {
    uniform,       // any key of the key space, equally likely
    present,       // any prefilled key, equally likely
    zipf,          // Zipf(0.99) over the key space, hottest keys scattered
    present_zipf,  // Zipf(0.99) over the prefilled keys, hottest keys scattered
    hot,           // one prefilled key
};

enum class workload_shape : std::uint8_t {
    steady,  // a mix of calls on a prefilled map, timed for a while
    fill,    // insert key_space distinct keys into an empty map, once
    drain,   // erase every prefilled key while the other threads look keys up
};

struct workload {
    std::string_view id;     // "W1"
    std::string_view title;  // one line for the tables
    workload_shape shape;
    bool string_keys;
    std::size_t prefill;    // keys present at the start (the even keys 0, 2, 4, ...)
    std::size_t key_space;  // keys are 0 .. key_space-1 (strings: a fixed string per number)
    key_choice choice;
    // Percentages of the mix (steady only); they sum to 100.
    unsigned find_pct, insert_pct, erase_pct, upsert_pct, increment_pct;

    bool erases() const { return erase_pct > 0 || shape == workload_shape::drain; }
    // Finds and increments leave the map with the keys it had (an increment
    // changes a value, and no other workload checks values).
    bool keeps_keys() const {
        return shape == workload_shape::steady && insert_pct == 0 && erase_pct == 0 && upsert_pct == 0;
    }
    // W8 is nothing but increments: its runs can check that none was lost.
    bool increments_only() const { return shape == workload_shape::steady && increment_pct == 100; }
    // R finds and W8 increments only prefilled keys, W3 starts empty and W5
    // erases every prefilled key: they need a map that holds exactly the
    // prefilled keys.
    bool needs_fresh_prefill() const {
        return choice == key_choice::present || choice == key_choice::present_zipf ||
               shape != workload_shape::steady;
    }
};

// The workloads, in the order they run for each map (the order lets the
// steady workloads that keep the map near its prefill share one prefilled
// map: R and W8 first, while every prefilled key is still there).
const std::vector<workload>& all_workloads();
// Divides every workload's sizes (the smoke suite); before all_workloads().
void shrink_workloads(std::size_t divisor);

// One call of a stream: the kind in the top three bits, the key number in
// the 61 below (key numbers stay below key_space, a few million).
struct encoded_op {
    static constexpr int key_bits = 61;
    std::uint64_t bits;

    static encoded_op of(op_kind kind, std::uint64_t key) {
        return {(static_cast<std::uint64_t>(kind) << key_bits) | key};
    }
    op_kind kind() const { return static_cast<op_kind>(bits >> key_bits); }
    std::uint64_t key() const { return bits & ((std::uint64_t{1} << key_bits) - 1); }
};
// A kind added past increment must still fit above the key.
static_assert(static_cast<std::uint64_t>(op_kind::increment) < (std::uint64_t{1} << (64 - encoded_op::key_bits)));

// The stream of calls a steady workload replays: `length` calls drawn with a
// fixed seed. Threads start at different offsets and wrap around.
std::vector<encoded_op> make_stream(const workload& w, std::size_t length);

// The string for key number k (16 to 32 bytes, distinct for distinct k).
std::string string_key(std::uint64_t k);

}  // namespace sink_bench
