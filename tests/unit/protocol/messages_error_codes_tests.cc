#include <catch2/catch.hpp>
#include <vector>

#include "protocol/generated/error_codes.h"
#include "protocol/generated/fetch_response.h"
#include "protocol/generated/offset_fetch_response.h"
#include "protocol/generated/produce_response.h"

namespace weir::protocol {
namespace {

class Collect final : public ErrorCodeVisitor {
 public:
  void visit(std::int16_t error_code) override { codes.push_back(error_code); }
  std::vector<std::int16_t> codes;
};

TEST_CASE("every non-zero error code of a response is visited, nested ones included") {
  ProduceResponse produce;
  produce.responses.resize(2);
  produce.responses[0].partition_responses.resize(2);
  produce.responses[0].partition_responses[1].error_code = 3;
  produce.responses[1].partition_responses.resize(1);
  produce.responses[1].partition_responses[0].error_code = 87;
  Collect produced;
  for_each_error_code(produce, produced);
  CHECK(produced.codes == std::vector<std::int16_t>{3, 87});

  FetchResponse fetch;
  fetch.error_code = 70;
  fetch.responses.resize(1);
  fetch.responses[0].partitions.resize(2);
  fetch.responses[0].partitions[0].error_code = 1;
  Collect fetched;
  for_each_error_code(fetch, fetched);
  CHECK(fetched.codes == std::vector<std::int16_t>{70, 1});

  OffsetFetchResponse offsets;  // v8+ answers per group
  offsets.groups.resize(1);
  offsets.groups[0].error_code = 24;
  offsets.groups[0].topics.resize(1);
  offsets.groups[0].topics[0].partitions.resize(1);
  offsets.groups[0].topics[0].partitions[0].error_code = 3;
  Collect offset_codes;
  for_each_error_code(offsets, offset_codes);
  CHECK(offset_codes.codes == std::vector<std::int16_t>{3, 24});
}

TEST_CASE("a response without errors visits nothing") {
  ProduceResponse produce;
  produce.responses.resize(1);
  produce.responses[0].partition_responses.resize(3);
  Collect collected;
  for_each_error_code(produce, collected);
  CHECK(collected.codes.empty());
}

}  // namespace
}  // namespace weir::protocol
