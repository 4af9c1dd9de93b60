// Kafka error codes, as carried in responses (Errors.java in Apache Kafka). Errors are
// values at the protocol boundary: handlers put one of these in each response entry.
#pragma once

#include <cstdint>

namespace weir::protocol {

enum class ErrorCode : std::int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  invalid_fetch_size = 4,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  message_too_large = 10,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  invalid_required_acks = 21,
  invalid_timestamp = 32,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_replica_assignment = 39,
  invalid_config = 40,
  invalid_request = 42,
  unsupported_for_message_format = 43,
  policy_violation = 44,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  unknown_producer_id = 59,
  kafka_storage_error = 56,
  fetch_session_id_not_found = 70,
  invalid_fetch_session_epoch = 71,
  unsupported_compression_type = 76,
  invalid_record = 87,
  unknown_topic_id = 100,
  offset_metadata_too_large = 12,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_commit_offset_size = 28,
  non_empty_group = 68,
  group_id_not_found = 69,
  member_id_required = 79,
  group_max_size_reached = 81,
  fenced_instance_id = 82,
  group_subscribed_to_topic = 86,
  invalid_txn_state = 48,
  transactional_id_authorization_failed = 53,
};

constexpr std::int16_t code(ErrorCode error) { return static_cast<std::int16_t>(error); }

}  // namespace weir::protocol
