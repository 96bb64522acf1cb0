// Test-only fault switches. Each SINK_FAULT_* macro, defined only by the
// builds that prove a test can fail (tests/CMakeLists.txt,
// tests/relacy/CMakeLists.txt, stress/CMakeLists.txt), removes one ingredient
// of the correctness argument. A release build never defines any of them, and
// then every switch below is a constant false. docs/verification.md lists
// which check catches each one.
#pragma once

#include "sink/detail/config.hpp"

SINK_BEGIN_NAMESPACE
namespace detail::fault {

#ifdef SINK_FAULT_SKIP_VALIDATION
inline constexpr bool skip_validation = true;  // try_protect trusts its first read
#else
inline constexpr bool skip_validation = false;
#endif

#ifdef SINK_FAULT_NO_READER_FENCE
inline constexpr bool no_reader_fence = true;  // publish not ordered before re-read
#else
inline constexpr bool no_reader_fence = false;
#endif

#ifdef SINK_FAULT_NO_RECLAIMER_FENCE
inline constexpr bool no_reclaimer_fence = true;  // unlink not ordered before slot reads
#else
inline constexpr bool no_reclaimer_fence = false;
#endif

#ifdef SINK_FAULT_IGNORE_HAZARDS
inline constexpr bool ignore_hazards = true;  // scans free protected objects too
#else
inline constexpr bool ignore_hazards = false;
#endif

#ifdef SINK_FAULT_NEVER_SCAN
inline constexpr bool never_scan = true;  // retire never triggers a scan
#else
inline constexpr bool never_scan = false;
#endif

#ifdef SINK_FAULT_BATCH_IGNORES_HAZARDS
inline constexpr bool batch_ignores_hazards = true;  // a scan frees protected objects retired without a header
#else
inline constexpr bool batch_ignores_hazards = false;
#endif

#ifdef SINK_FAULT_SCAN_EXACT_ONLY
inline constexpr bool scan_exact_only = true;  // a retired range is kept only by its first address
#else
inline constexpr bool scan_exact_only = false;
#endif

#ifdef SINK_FAULT_CURSOR_SLOTS_UNCHECKED
inline constexpr bool cursor_slots_unchecked = true;  // a walk takes the cursor slots even when one is still owned
#else
inline constexpr bool cursor_slots_unchecked = false;
#endif

// ---- the map (docs/design.md, "reclamation") ----

#ifdef SINK_FAULT_CLAIM_RELEASED_BY_STORE
inline constexpr bool claim_released_by_store = true;  // an installer releases its head's claim with a store of the value it read
#else
inline constexpr bool claim_released_by_store = false;
#endif

#ifdef SINK_FAULT_EXPECT_UNCLAIMED_LINK
inline constexpr bool expect_unclaimed_link = true;  // an insert's CAS expects the bare successor, not the link it read
#else
inline constexpr bool expect_unclaimed_link = false;
#endif

#ifdef SINK_FAULT_STALE_SHRINK_HELPER
inline constexpr bool stale_shrink_helper = true;  // a shrink's helper does not check that the shrink is still under way
#else
inline constexpr bool stale_shrink_helper = false;
#endif

#ifdef SINK_FAULT_HEAD_ORDER_UNCHECKED
inline constexpr bool head_order_unchecked = true;  // a head's order from whatever segment its level holds now
#else
inline constexpr bool head_order_unchecked = false;
#endif

#ifdef SINK_FAULT_SHRINK_SKIPS_CUT
inline constexpr bool shrink_skips_cut = true;  // a shrink retires its segment without cutting the frozen heads out
#else
inline constexpr bool shrink_skips_cut = false;
#endif

#ifdef SINK_FAULT_SKIP_RUN_VALIDATION
inline constexpr bool skip_run_validation = true;  // a step from a frozen node is not checked against the anchor (item 1)
#else
inline constexpr bool skip_run_validation = false;
#endif

#ifdef SINK_FAULT_RELAXED_LINK
inline constexpr bool relaxed_link = true;  // the CAS that links a new entry does not release its fields
#else
inline constexpr bool relaxed_link = false;
#endif

#ifdef SINK_FAULT_LOST_RETRY
inline constexpr bool lost_retry = true;  // a write whose CAS fails reports success instead of retrying
#else
inline constexpr bool lost_retry = false;
#endif

#ifdef SINK_FAULT_LIVE_TOMBSTONE
inline constexpr bool live_tombstone = true;  // a walk takes a frozen (erased) entry for the live one
#else
inline constexpr bool live_tombstone = false;
#endif

#ifdef SINK_FAULT_CUT_PAST_ROOM
inline constexpr bool cut_past_room = true;  // a cut takes one node more than its retired batch has room for
#else
inline constexpr bool cut_past_room = false;
#endif

#ifdef SINK_FAULT_STEP_THROUGH_SKIPPED_CUT
inline constexpr bool step_through_skipped_cut = true;  // a compacting walk without memory to retire steps on instead of throwing
#else
inline constexpr bool step_through_skipped_cut = false;
#endif

#ifdef SINK_FAULT_SKIP_STEP_VALIDATION
inline constexpr bool skip_step_validation = true;  // a step from a live node trusts its first read of next (item 1)
#else
inline constexpr bool skip_step_validation = false;
#endif

#ifdef SINK_FAULT_STAMP_BEFORE_LINK
inline constexpr bool stamp_before_link = true;  // a new key is stamped before its insert CAS, not after (item 11)
#else
inline constexpr bool stamp_before_link = false;
#endif

#ifdef SINK_FAULT_FROZEN_CLOCK
inline constexpr bool frozen_clock = true;  // the stamp clock never advances: every stamp is the same
#else
inline constexpr bool frozen_clock = false;
#endif

#ifdef SINK_FAULT_UNVALIDATED_HANDOFF
inline constexpr bool unvalidated_handoff = true;  // a hazard pointer copied from another slot is trusted (item 10)
#else
inline constexpr bool unvalidated_handoff = false;
#endif

#ifdef SINK_FAULT_CLEAR_COUNTS_LOST_CAS
inline constexpr bool clear_counts_lost_cas = true;  // clear() counts an entry out even when its freeze CAS failed
#else
inline constexpr bool clear_counts_lost_cas = false;
#endif

#ifdef SINK_FAULT_STALE_PREVIOUS
inline constexpr bool stale_previous = true;  // a retried write returns the previous value its lost attempt read
#else
inline constexpr bool stale_previous = false;
#endif

#ifdef SINK_FAULT_STALE_RETRY_STAMP
inline constexpr bool stale_retry_stamp = true;  // a replace retried as an insert links its node with the copied stamp
#else
inline constexpr bool stale_retry_stamp = false;
#endif

#ifdef SINK_FAULT_UNSTAMPED_PART_FRONT
inline constexpr bool unstamped_plain_position = true;  // yielding a plain entry reads the clock without stamping the stamped part's front
#else
inline constexpr bool unstamped_plain_position = false;
#endif

#ifdef SINK_FAULT_SECOND_PLAIN_KEY
inline constexpr bool second_plain_key = true;  // a new key is linked plain although a live plain entry of its group precedes it
#else
inline constexpr bool second_plain_key = false;
#endif

#ifdef SINK_FAULT_PLAIN_POSITION_AT_TOP
inline constexpr bool plain_position_at_top = true;  // the position after a plain entry is the top of the stamped part, not the clock
#else
inline constexpr bool plain_position_at_top = false;
#endif

#ifdef SINK_FAULT_CLOCK_AFTER_VALIDATION
inline constexpr bool clock_after_validation = true;  // the position after a plain entry is read after the load that shows it live
#else
inline constexpr bool clock_after_validation = false;
#endif

#ifdef SINK_FAULT_SUCC_UNPROTECTED
inline constexpr bool succ_unprotected = true;  // an insert lets its successor's protection go before its CAS
#else
inline constexpr bool succ_unprotected = false;
#endif

#ifdef SINK_FAULT_VALUE_CAS_ALONE
inline constexpr bool value_cas_alone = true;  // a replace in place CASes the value's word whatever the link is
#else
inline constexpr bool value_cas_alone = false;
#endif

#ifdef SINK_FAULT_UPDATE_KEEPS_NODE
inline constexpr bool update_keeps_node = true;  // a retried update links the node made from the value its lost attempt saw
#else
inline constexpr bool update_keeps_node = false;
#endif

#ifdef SINK_FAULT_CUT_FIRST_UNPROTECTED
inline constexpr bool cut_first_unprotected = true;  // a cut lets the run's first node go before its CAS
#else
inline constexpr bool cut_first_unprotected = false;
#endif

#ifdef SINK_FAULT_FIRST_UNPROTECTED
inline constexpr bool first_unprotected = true;  // a walk entering a frozen run lets the run's first node go
#else
inline constexpr bool first_unprotected = false;
#endif

#ifdef SINK_FAULT_SKIP_FRONT_VALIDATION
inline constexpr bool skip_front_validation = true;  // a plain yield trusts its first read of the entry's next when it protects the successor
#else
inline constexpr bool skip_front_validation = false;
#endif

// ---- the node pool (docs/proposals/node-pools.md, sections 4 and 5) ----

#ifdef SINK_FAULT_RELAXED_REMOTE_PUSH
inline constexpr bool relaxed_remote_push = true;  // a free's push does not release the slot's link and contents
#else
inline constexpr bool relaxed_remote_push = false;
#endif

#ifdef SINK_FAULT_UNOWN_WITHOUT_CAS
inline constexpr bool unown_without_cas = true;  // giving a block up stores "detached" over frees pushed meanwhile
#else
inline constexpr bool unown_without_cas = false;
#endif

#ifdef SINK_FAULT_TOUCH_AFTER_PUSH
inline constexpr bool touch_after_push = true;  // a free that did not claim its block still reads the block's header
#else
inline constexpr bool touch_after_push = false;
#endif

#ifdef SINK_FAULT_HEAP_WITHOUT_CAS
inline constexpr bool heap_without_cas = true;  // a heap is taken by a load and a store, not a CAS
#else
inline constexpr bool heap_without_cas = false;
#endif

#ifdef SINK_FAULT_LISTED_RELAXED
inline constexpr bool listed_relaxed = true;  // listing a block does not release its private fields to the taker
#else
inline constexpr bool listed_relaxed = false;
#endif

#ifdef SINK_FAULT_CHUNK_APPEND_RELAXED
inline constexpr bool chunk_append_relaxed = true;  // a new chunk of heaps is appended without releasing its initialisation
#else
inline constexpr bool chunk_append_relaxed = false;
#endif

#ifdef SINK_FAULT_RELIST_DROPPED
inline constexpr bool relist_dropped = true;  // blocks taken from the listed stack beyond a heap's few are not listed again
#else
inline constexpr bool relist_dropped = false;
#endif

#ifdef SINK_FAULT_RESIZE_WITHOUT_DRAIN
inline constexpr bool resize_without_drain = true;  // resizes and clear() give memory back without draining the domain first
#else
inline constexpr bool resize_without_drain = false;
#endif

#ifdef SINK_FAULT_SKIP_POOL_TRIM
inline constexpr bool skip_pool_trim = true;  // shrinks and clear() leave the pool's idle blocks as they are
#else
inline constexpr bool skip_pool_trim = false;
#endif

}  // namespace detail::fault
SINK_END_NAMESPACE
