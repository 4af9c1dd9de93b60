// What storage keeps for consumer groups in the `offsets` column family: each group's
// committed offsets and, opaque to storage, the group's membership record (generation,
// protocol, members and assignments, encoded by the group coordinator). docs/storage.md
// has the key layout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weir::storage {

struct CommittedOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;
  std::int32_t leader_epoch = -1;
  std::string metadata;                   // the client's commit metadata string, as given
  std::int64_t commit_timestamp_ms = -1;  // wall clock of the commit
};

struct TopicPartitionName {
  std::string topic;
  std::int32_t partition = 0;
};

struct StoredGroup {
  std::string group_id;
  std::string membership;                // the coordinator's record; empty if none was ever stored
  std::vector<CommittedOffset> offsets;  // sorted by topic, then partition
};

}  // namespace weir::storage
