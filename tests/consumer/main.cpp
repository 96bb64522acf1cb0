// A program outside sink's build, compiled against sink the ways a user
// would get it (tests/consumer/tests.cmake): it must compile warning-free
// with -Wall -Wextra -Wpedantic -Werror and compute the right map.
// Usage: sink-consumer <expected version string>
#include <sink/concurrent_map.hpp>
#include <sink/version.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

static_assert(sink::version_major == SINK_VERSION_MAJOR);
static_assert(SINK_VERSION == SINK_VERSION_MAJOR * 10000 + SINK_VERSION_MINOR * 100 + SINK_VERSION_PATCH);

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "sink-consumer: FAILED: %s\n", what);
        ++failures;
    }
}

}  // namespace

int main(int argc, char** argv) {
    check(argc == 2 && std::strcmp(argv[1], SINK_VERSION_STRING) == 0,
          "SINK_VERSION_STRING is the version the build expects");
    const std::string from_parts = std::to_string(sink::version_major) + "." +
                                   std::to_string(sink::version_minor) + "." +
                                   std::to_string(sink::version_patch);
    check(from_parts == sink::version_string, "the version constants agree with the string");

    // Two threads, each on its own keys: store, read back, erase the odd
    // ones; the other thread's work goes on meanwhile in the same map.
    constexpr int keys_per_thread = 2000;
    sink::concurrent_map<int, std::string> map;
    int misread[2] = {0, 0};
    auto work = [&map, &misread](int t) {
        for (int k = t * keys_per_thread; k < (t + 1) * keys_per_thread; ++k) {
            map.store(k, std::to_string(k));
            const auto v = map.load(k);
            if (!v || *v != std::to_string(k)) {
                ++misread[t];
            }
            if (k % 2 == 1 && !map.erase(k)) {
                ++misread[t];
            }
        }
    };
    std::thread other(work, 1);
    work(0);
    other.join();
    check(misread[0] == 0 && misread[1] == 0, "each thread reads back its stores and erases its odd keys");

    int wrong = 0;
    for (int k = 0; k < 2 * keys_per_thread; ++k) {
        const auto v = map.load(k);
        if (k % 2 == 1 ? v.has_value() : (!v || *v != std::to_string(k))) {
            ++wrong;
        }
    }
    check(wrong == 0, "the even keys hold their values and the odd keys are gone");
    check(map.size() == static_cast<std::size_t>(keys_per_thread), "size() counts the even keys");

    if (failures == 0) {
        std::printf("sink-consumer: sink %s works\n", SINK_VERSION_STRING);
    }
    return failures == 0 ? 0 : 1;
}
