#include "storage/blob_garbage.h"

#include <algorithm>
#include <cstddef>

namespace weir::storage {

BlobCollectionPlan plan_blob_collection(std::vector<BlobFileGarbage> files) {
  std::sort(files.begin(), files.end(), [](const BlobFileGarbage& a, const BlobFileGarbage& b) {
    return a.file_number < b.file_number;
  });
  // The same rounding as RocksDB's cutoff, so the files judged here are the ones it moves.
  const auto oldest_count =
      static_cast<std::size_t>(blob_collection_age_cutoff * static_cast<double>(files.size()));
  BlobCollectionPlan plan;
  if (oldest_count == 0) return plan;
  for (std::size_t i = 0; i < oldest_count; ++i) {
    plan.oldest_total_bytes += files[i].total_bytes;
    plan.oldest_garbage_bytes += std::min(files[i].garbage_bytes, files[i].total_bytes);
  }
  plan.below_file_number = files[oldest_count].file_number;
  plan.collect = plan.oldest_total_bytes > 0 &&
                 static_cast<double>(plan.oldest_garbage_bytes) >=
                     blob_collection_garbage_ratio * static_cast<double>(plan.oldest_total_bytes);
  return plan;
}

}  // namespace weir::storage
