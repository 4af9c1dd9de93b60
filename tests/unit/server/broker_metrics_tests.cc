#include <catch2/catch.hpp>
#include <string>

#include "protocol/generated/produce_response.h"
#include "server/broker_metrics.h"

namespace weir {
namespace {

bool has_line(const std::string& exposition, const std::string& line) {
  return exposition.find("\n" + line + "\n") != std::string::npos;
}

TEST_CASE("error codes are counted under their API and code, whatever the response") {
  metrics::Registry registry;
  BrokerMetrics metrics(registry);
  protocol::ProduceResponse response;
  response.responses.resize(1);
  response.responses[0].partition_responses.resize(3);
  response.responses[0].partition_responses[0].error_code = 3;
  response.responses[0].partition_responses[2].error_code = 3;
  metrics.count_errors(0, response);
  metrics.count_error(1, 1);
  metrics.count_error(1, -1);
  metrics.count_error(1, 1000);  // beyond the cached codes: still counted
  const std::string text = registry.exposition();
  CHECK(has_line(text, R"(weir_request_errors_total{api="Produce",code="3"} 2)"));
  CHECK(has_line(text, R"(weir_request_errors_total{api="Fetch",code="1"} 1)"));
  CHECK(has_line(text, R"(weir_request_errors_total{api="Fetch",code="-1"} 1)"));
  CHECK(has_line(text, R"(weir_request_errors_total{api="Fetch",code="1000"} 1)"));
}

}  // namespace
}  // namespace weir
