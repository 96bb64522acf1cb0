// std::string keys looked up with std::string_view or a string literal,
// without building a temporary std::string, and a find() handle that keeps a
// value alive while another thread erases it.
//
// Heterogeneous lookup is switched on the way the standard unordered
// containers do it: when both the hash and the key_equal declare
// `is_transparent`, every call that takes a key (the lookups, the erases,
// visit, count, and the writes store, load_or_store, exchange,
// compare_and_swap, try_emplace, insert_or_assign) also accepts any type
// those two can take; a write builds a std::string only for a node it
// makes. The hash must
// give equal values for a std::string and a string_view of the same
// characters, which hashing every form as a string_view guarantees.
//
// Checks: the lookups find what they should and never hash a std::string
// (so no temporary key was built), and the handle reads the erased value
// intact until it is reset, after which the value is destroyed.
#include <sink/concurrent_map.hpp>

#include <atomic>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

namespace {

struct string_hash {
    using is_transparent = void;
    // Every form is hashed as a string_view of its characters, so a key and
    // a view of it hash alike. A template rather than one string_view
    // overload only so that this example can count the std::strings it is
    // given: a lookup by view that built a temporary std::string key would
    // hash that string.
    static inline std::atomic<long> std_strings_hashed{0};
    template <class S>
    std::size_t operator()(const S& s) const noexcept {
        if constexpr (std::is_same_v<S, std::string>) {
            ++std_strings_hashed;
        }
        return std::hash<std::string_view>{}(std::string_view(s));
    }
};

// Counts live instances, to show when the map destroys a value.
struct profile {
    std::string display_name;
    static inline std::atomic<int> live{0};

    explicit profile(std::string name) : display_name(std::move(name)) { ++live; }
    profile(const profile& other) : display_name(other.display_name) { ++live; }
    profile(profile&& other) noexcept : display_name(std::move(other.display_name)) { ++live; }
    profile& operator=(const profile&) = default;
    profile& operator=(profile&&) = default;
    ~profile() { --live; }
};

// std::equal_to<> is transparent already: it compares std::string with
// string_view or const char* directly.
using directory = sink::concurrent_map<std::string, profile, string_hash, std::equal_to<>>;

}  // namespace

int main() {
    bool ok = true;
    {
        directory users;
        users.store(std::string("alice.liddell@wonderland.example"), profile("Alice"));
        users.store(std::string("bob.the.builder@construction.example"), profile("Bob"));

        // Lookups by string_view and by literal: the map passes them to the
        // hash and to std::equal_to<> as they are.
        const std::string_view alice = "alice.liddell@wonderland.example";
        const long before = string_hash::std_strings_hashed.load();
        const bool found_alice = users.contains(alice);
        const bool found_bob = users.contains("bob.the.builder@construction.example");
        const bool found_nobody = users.contains(std::string_view("nobody.at.all@nowhere.example"));
        const bool alice_handle = static_cast<bool>(users.find(alice));
        const long temporaries = string_hash::std_strings_hashed.load() - before;
        // load copies the value out; the key is not copied.
        const std::optional<profile> bob = users.load("bob.the.builder@construction.example");

        std::printf("contains/find by string_view and literal: %s, std::string keys built for them: %ld\n",
                    found_alice && found_bob && !found_nobody && alice_handle ? "right answers" : "WRONG ANSWERS",
                    temporaries);
        ok = ok && found_alice && found_bob && !found_nobody && alice_handle && temporaries == 0 && bob &&
             bob->display_name == "Bob";

        // A handle protects the entry it found (a hazard pointer): an erase
        // unlinks the entry at once, but its value is destroyed only when no
        // handle, iterator or walk can still be reading it.
        directory::handle h = users.find(alice);
        const int live_before = profile::live.load();
        std::thread eraser([&] { ok = users.erase(alice) && ok; });
        eraser.join();
        // Ask the domain to free everything it can; the protected value
        // survives this.
        users.domain().drain();
        const std::string read_through_handle = h ? h->display_name : std::string();
        const bool still_readable = h && read_through_handle == "Alice" && h.key() == alice;
        const bool gone_from_map = !users.contains(alice);
        const bool kept_alive = profile::live.load() == live_before;

        h.reset();  // the last reader lets go...
        users.domain().drain();  // ...and the next reclamation frees the value
        const bool destroyed = profile::live.load() == live_before - 1;

        std::printf("after a concurrent erase: gone from the map %s, handle still reads \"%s\" %s, "
                    "destroyed after reset %s\n",
                    gone_from_map ? "yes" : "NO", read_through_handle.c_str(),
                    still_readable && kept_alive ? "yes" : "NO", destroyed ? "yes" : "NO");
        ok = ok && still_readable && gone_from_map && kept_alive && destroyed;

        // erase takes a string_view as well.
        ok = ok && users.erase(std::string_view("bob.the.builder@construction.example")) && users.empty();
    }
    std::printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
