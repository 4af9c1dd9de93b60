// Maps storage results to the Kafka error codes clients understand.
#pragma once

#include "protocol/framing/error_code.h"
#include "storage/store.h"

namespace weir {

inline protocol::ErrorCode to_error_code(storage::StorageErrc error) {
  using protocol::ErrorCode;
  using storage::StorageErrc;
  switch (error) {
    case StorageErrc::ok:
      return ErrorCode::none;
    case StorageErrc::unknown_topic_or_partition:
      return ErrorCode::unknown_topic_or_partition;
    case StorageErrc::topic_already_exists:
      return ErrorCode::topic_already_exists;
    case StorageErrc::invalid_partitions:
      return ErrorCode::invalid_partitions;
    case StorageErrc::invalid_topic_name:
      return ErrorCode::invalid_topic_exception;
    case StorageErrc::offset_out_of_range:
      return ErrorCode::offset_out_of_range;
    case StorageErrc::storage_error:
      return ErrorCode::kafka_storage_error;
    case StorageErrc::out_of_order_sequence:
      return ErrorCode::out_of_order_sequence_number;
    case StorageErrc::invalid_producer_epoch:
      return ErrorCode::invalid_producer_epoch;
  }
  return ErrorCode::unknown_server_error;
}

inline std::int16_t error_code_of(storage::StorageErrc error) {
  return protocol::code(to_error_code(error));
}

}  // namespace weir
