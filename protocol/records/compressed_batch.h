// Opening and rebuilding compressed record batches: what the broker needs to validate a
// compressed batch's records and to recompress a batch to a topic's compression.type.
// Pure functions over caller-owned buffers; thread-safe.
#pragma once

#include <cstddef>

#include "protocol/records/compression.h"
#include "protocol/records/record_batch.h"

namespace weir::protocol::records {

// Decompresses the records of a batch validate_produce_records accepted and checks them
// as validate_records does. On success *records holds the uncompressed records (the
// bytes after the header of the equivalent uncompressed batch). An uncompressed batch's
// records are copied. Errors: corrupt_message for a damaged codec stream (Kafka's
// CORRUPT_MESSAGE), invalid_record for records that break the framing rules,
// message_too_large when they would exceed max_uncompressed_bytes.
BatchError decompress_records(const ValidatedBatch& batch, std::size_t max_uncompressed_bytes,
                              Bytes* records);

// The batch with `records` (uncompressed) stored with `codec`: every header field as in
// `batch` except the codec bits, batch_length and the CRC. Offsets, sequences and
// timestamps are unchanged, so producer state and the time index see the same batch.
Bytes rebuild_batch(const ValidatedBatch& batch, BytesView records, Compression codec);

}  // namespace weir::protocol::records
