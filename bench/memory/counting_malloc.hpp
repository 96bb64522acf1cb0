// A malloc that counts. sink-bench-memory replaces the C allocator's entry
// points (malloc, free, calloc, realloc and the aligned ones) with thin
// wrappers around glibc's own, so that every byte any map allocates -- by
// operator new, std::allocator or malloc -- is counted the same way, at its
// usable size (the padding the allocator really hands out, not what was
// asked for). Counting is off until a measurement turns it on.
#pragma once

#include <cstdint>

namespace sink_bench::counting_malloc {

struct snapshot {
    std::int64_t live;  // bytes allocated and not yet freed
    std::int64_t peak;  // the most `live` has been since the last reset_peak
};

void enable(bool on);
snapshot read();
void reset_peak();

}  // namespace sink_bench::counting_malloc
