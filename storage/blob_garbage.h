// When Weir collects the garbage in the `log` column family's blob files. Pure: no
// RocksDB. docs/storage.md ("Blob garbage collection") has the reasons and measurements.
//
// In a log every blob stays live until retention or DeleteRecords deletes its batch, and
// RocksDB removes a blob file by itself once all of its blobs are garbage. Collecting
// (relocating the live blobs of old files so the files can go) pays only where old files
// hold live blobs beside a lot of garbage: topics with different retention share blob
// files, since one flush writes one time slice of every partition.
#pragma once

#include <cstdint>
#include <vector>

namespace weir::storage {

// A blob file of `log` with the bytes RocksDB has found to be garbage in it. RocksDB
// counts a blob as garbage when a compaction drops its key, not when the key is deleted.
struct BlobFileGarbage {
  std::uint64_t file_number = 0;  // blob files are numbered in the order they were written
  std::uint64_t total_bytes = 0;
  std::uint64_t garbage_bytes = 0;
};

// RocksDB's blob_garbage_collection_age_cutoff: a collection relocates the live blobs of
// the oldest quarter of the blob files (by count, rounded down).
inline constexpr double blob_collection_age_cutoff = 0.25;
// A collection runs only while at least half of those files' bytes are garbage: then each
// byte it rewrites frees at least one, and the oldest files never take more than twice
// their live bytes.
inline constexpr double blob_collection_garbage_ratio = 0.5;

struct BlobCollectionPlan {
  bool collect = false;
  // Blobs in files numbered below this are the ones a collection relocates (the first
  // file past the oldest quarter); 0 when there is no such file.
  std::uint64_t below_file_number = 0;
  std::uint64_t oldest_total_bytes = 0;    // bytes of the oldest quarter of the files
  std::uint64_t oldest_garbage_bytes = 0;  // garbage among them
};

// Decides from the blob files of `log`, in any order, whether a collection is worth it.
// Fewer than four files make an empty oldest quarter: nothing to collect, as in RocksDB.
BlobCollectionPlan plan_blob_collection(std::vector<BlobFileGarbage> files);

}  // namespace weir::storage
