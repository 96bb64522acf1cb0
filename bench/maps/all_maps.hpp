// Every map of the comparison, in the order of the tables.
#pragma once

#include "maps/absl_flat_map.hpp"
#include "maps/adapter.hpp"
#include "maps/libcds_michael_map.hpp"
#include "maps/libcds_split_list_map.hpp"
#include "maps/libcuckoo_map.hpp"
#include "maps/locked_unordered_map.hpp"
#include "maps/process_scope.hpp"
#include "maps/sink_map.hpp"
#include "maps/tbb_hash_map.hpp"
#include "maps/tbb_unordered_map.hpp"
#include "maps/xenium_vyukov_map.hpp"

namespace sink_bench {

// map_list and string_keys_supported are in adapter.hpp.
using all_maps = map_list<sink_map,               //
                          libcds_split_list_map,  //
                          tbb_unordered_map,      //
                          libcds_michael_map,     //
                          tbb_hash_map,           //
                          libcuckoo_map,          //
                          xenium_vyukov_map,      //
                          locked_unordered_map,   //
                          absl_flat_map>;

}  // namespace sink_bench
