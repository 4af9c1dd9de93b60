// The RocksDB options Weir opens its database with; db_options.cc gives the reason for
// each one beside it.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/store.h"

namespace weir::storage {

inline constexpr const char* log_column = "log";
inline constexpr const char* meta_column = "meta";
inline constexpr const char* timeindex_column = "timeindex";
inline constexpr const char* offsets_column = "offsets";
inline constexpr const char* producers_column = "producers";

rocksdb::DBOptions make_db_options(const StoreOptions& options);

// Descriptors of every column family Weir uses, `log` first.
std::vector<rocksdb::ColumnFamilyDescriptor> make_column_families(const StoreOptions& options);

}  // namespace weir::storage
