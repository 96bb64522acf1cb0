// Process-wide and per-thread set-up of the peer libraries that need one.
// Only libcds does: it has a global hazard-pointer domain (cds::gc::HP) and
// wants every thread that touches a libcds container attached to it.
#pragma once

#include <cstddef>

#include <cds/gc/hp.h>
#include <cds/init.h>
#include <cds/threading/model.h>

namespace sink_bench {

// Attaches the calling thread to libcds for its lifetime. Attachments nest
// (libcds counts them per thread), so the main thread, already attached by
// process_scope, may make one too.
class libcds_thread_scope {
public:
    libcds_thread_scope() { cds::threading::Manager::attachThread(); }
    ~libcds_thread_scope() { cds::threading::Manager::detachThread(); }
    libcds_thread_scope(const libcds_thread_scope&) = delete;
    libcds_thread_scope& operator=(const libcds_thread_scope&) = delete;
};

// Made once, in main, before any map adapter:
//
//     int main() {
//         sink_bench::process_scope process;
//         ... every map lives and dies in here ...
//     }
//
// It initialises libcds, creates the one cds::gc::HP of the process and
// attaches the main thread; it detaches, destroys the HP domain and
// terminates libcds in the reverse order.
//
// Every libcds container (libcds_split_list_map, libcds_michael_map) MUST be
// destroyed before this object: a libcds container's destructor retires its
// nodes through the calling thread's HP record, and once the main thread is
// detached that record is gone (libcds aborts with "Assertion `tls_ !=
// nullptr' failed"). The same holds for any thread: it may only touch a
// libcds container between attach and detach (the adapters' thread_scope).
class process_scope {
public:
    process_scope() = default;
    process_scope(const process_scope&) = delete;
    process_scope& operator=(const process_scope&) = delete;

private:
    // Members are constructed in this order and destroyed in the reverse:
    // Initialize, HP, attach ... detach, ~HP, Terminate.
    struct library {
        library() { cds::Initialize(); }
        ~library() { cds::Terminate(); }
    };

    // 8 hazard pointers per thread (the Michael list under both libcds maps
    // needs 3) and up to 100 attached threads: libcds's own defaults, well
    // above the 16 benchmark threads plus main. The retired-pointer array of
    // each thread keeps its default size (2 * 8 * 100), which sets how often
    // a thread scans; that is libcds's tuning, not ours.
    static constexpr std::size_t hazard_pointers_per_thread = 8;
    static constexpr std::size_t max_threads = 100;

    library library_;
    cds::gc::HP hp_{hazard_pointers_per_thread, max_threads};
    libcds_thread_scope main_thread_;
};

}  // namespace sink_bench
