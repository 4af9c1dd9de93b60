// The group membership record kept in storage, as Kafka keeps GroupMetadataValue in
// __consumer_offsets: protocol type, generation, selected protocol, leader, and each
// member with its subscription for the selected protocol and its assignment. Written when
// a generation's assignment is complete (and when a group empties), so after a restart
// members can go on heartbeating and committing in the generation they had.
#pragma once

#include <string>

#include "groups/group.h"

namespace weir::groups {

std::string encode_membership(const Group& group);
// Restores the persisted fields into `group` (members without parked replies or deadlines).
// False if the record is truncated, padded or of an unknown version.
bool decode_membership(std::string_view record, Group* group);

}  // namespace weir::groups
