// Compile-time configuration shared by every sink header.
//
// The atomics backend is chosen with exactly one of these macros (CMake sets
// it from the SINK_ATOMICS option; nothing set means the standard library):
//   SINK_ATOMICS_STD     std::atomic                       (default)
//   SINK_ATOMICS_BOOST   boost::atomic                     (see atomic_boost.hpp)
//   SINK_ATOMICS_RELACY  rl::atomic, Relacy model checking (see atomic_relacy.hpp)
//
// Every sink entity lives in an inline namespace named after the backend, so
// that linking objects built with two different backends fails at link time
// instead of silently breaking the one-definition rule. The same holds for
// the double-width CAS (-mcx16 on x86-64; sink::sink in CMake and sink.pc
// ask for it): with it, maps of word-sized values keep them in place
// (detail/link_cell.hpp), which changes their entries' layout.
#pragma once

#if defined(_MSVC_LANG) ? _MSVC_LANG < 202002L : __cplusplus < 202002L
#error "sink needs C++20: compile with -std=c++20 (or later); sink::sink in CMake asks for it"
#endif

#if defined(SINK_ATOMICS_BOOST) + defined(SINK_ATOMICS_RELACY) + defined(SINK_ATOMICS_STD) > 1
#error "sink: define at most one of SINK_ATOMICS_STD, SINK_ATOMICS_BOOST, SINK_ATOMICS_RELACY"
#endif

// A lock-free double-width CAS the compilers emit inline (lock cmpxchg16b,
// with -mcx16). Only x86-64 for now: elsewhere (aarch64 without LSE) the
// value a failed 16-byte CAS returns is not promised to be one atomic
// snapshot, and sink reasons on it.
#if defined(__x86_64__) && defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16)
#define SINK_DETAIL_HAS_CX16 1
#endif

// Links keep a section head's level in the top six bits of the address
// word (detail/map_node.hpp), so the heap's addresses must have those bits
// clear: true of x86-64 (47- or 56-bit user addresses) and of aarch64 when
// nothing tags pointers in their top byte. With HWASan, or Android's tagged
// heap on arm64, the tags would be masked off: refused here rather than
// failing at the first free. (Memory tagging (MTE) with a tagging
// allocator is the same case, and not supported either.)
#if defined(__aarch64__) && (defined(__ANDROID__) || defined(__SANITIZE_HWADDRESS__))
#error "sink keeps a section head's level in the top bits of its links: heap pointers must not carry top-byte tags"
#endif
#if defined(__aarch64__) && defined(__has_feature)
#if __has_feature(hwaddress_sanitizer)
#error "sink keeps a section head's level in the top bits of its links: heap pointers must not carry top-byte tags"
#endif
#endif

// ThreadSanitizer, which needs to be told some of what the hardware does.
#if defined(__SANITIZE_THREAD__)
#define SINK_DETAIL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SINK_DETAIL_TSAN 1
#endif
#endif

// A rare path kept out of the hot function it branches from, so that the
// compiler still inlines that function into its callers.
#if defined(__GNUC__) || defined(__clang__)
#define SINK_DETAIL_COLD __attribute__((noinline, cold))
#else
#define SINK_DETAIL_COLD
#endif

// A small function on every operation's path that the compiler would
// otherwise leave out of line (the cursor's constructor and destructor, the
// take of its slots: docs/performance.md, lever 15).
#if defined(__GNUC__) || defined(__clang__)
#define SINK_DETAIL_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define SINK_DETAIL_ALWAYS_INLINE inline
#endif

#if defined(SINK_ATOMICS_RELACY)
#define SINK_ABI_TAG abi_relacy
#elif defined(SINK_ATOMICS_BOOST)
#if defined(SINK_DETAIL_HAS_CX16)
#define SINK_ABI_TAG abi_boost_cx16
#else
#define SINK_ABI_TAG abi_boost
#endif
#else
#ifndef SINK_ATOMICS_STD
#define SINK_ATOMICS_STD 1
#endif
#if defined(SINK_DETAIL_HAS_CX16)
#define SINK_ABI_TAG abi_std_cx16
#else
#define SINK_ABI_TAG abi_std
#endif
#endif

#define SINK_BEGIN_NAMESPACE \
    namespace sink {         \
    inline namespace SINK_ABI_TAG {
#define SINK_END_NAMESPACE \
    }                      \
    }

// Eager reclamation (scan on every retire) as the default policy of the
// default domain: set by the sanitizer builds so that ASan turns any
// use-after-free into a failure as early as possible.
#ifndef SINK_HAZARD_POINTER_EAGER
#define SINK_HAZARD_POINTER_EAGER 0
#endif

// Nodes from per-map pools (detail/node_pool.hpp); 0: one allocation per
// node through the map's allocator (a reference build for A/B measurements
// and for tools that track each allocation). Must be the same in every
// translation unit. The Relacy scenarios of the map run with 0 by default,
// so that a node freed early is memory Relacy sees freed; the pool has its
// own scenarios, and one map scenario runs on it (tests/relacy).
#ifndef SINK_NODE_POOL
#if defined(SINK_ATOMICS_RELACY)
#define SINK_NODE_POOL 0
#else
#define SINK_NODE_POOL 1
#endif
#endif
