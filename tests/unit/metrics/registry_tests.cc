#include <catch2/catch.hpp>
#include <string>

#include "metrics/registry.h"

namespace weir::metrics {
namespace {

bool has_line(const std::string& exposition, const std::string& line) {
  return exposition.find("\n" + line + "\n") != std::string::npos ||
         exposition.rfind(line + "\n", 0) == 0;
}

TEST_CASE("asking twice for a series returns the same one") {
  Registry registry;
  registry.counter("weir_things_total", "Things.", {{"kind", "a"}}).add(2);
  registry.counter("weir_things_total", "Things.", {{"kind", "a"}}).add(3);
  registry.counter("weir_things_total", "Things.", {{"kind", "b"}}).add();
  const auto text = registry.exposition();
  CHECK(has_line(text, "# TYPE weir_things_total counter"));
  CHECK(has_line(text, "weir_things_total{kind=\"a\"} 5"));
  CHECK(has_line(text, "weir_things_total{kind=\"b\"} 1"));
}

TEST_CASE("histograms count observations into cumulative buckets") {
  Registry registry;
  auto histogram = registry.histogram("weir_wait_seconds", "Waits.", {0.1, 1});
  histogram.observe(0.05);
  histogram.observe(0.5);
  histogram.observe(5);
  const auto text = registry.exposition();
  CHECK(has_line(text, "weir_wait_seconds_bucket{le=\"0.1\"} 1"));
  CHECK(has_line(text, "weir_wait_seconds_bucket{le=\"1\"} 2"));
  CHECK(has_line(text, "weir_wait_seconds_bucket{le=\"+Inf\"} 3"));
  CHECK(has_line(text, "weir_wait_seconds_count 3"));
}

TEST_CASE("callback series are read at each scrape until dropped") {
  Registry registry;
  double value = 1;
  registry.add_callback("weir_level", "A level.", Registry::CallbackType::gauge, {{"side", "left"}},
                        [&value] { return value; });
  CHECK(has_line(registry.exposition(), "weir_level{side=\"left\"} 1"));
  value = 7;
  CHECK(has_line(registry.exposition(), "weir_level{side=\"left\"} 7"));
  registry.drop_callbacks();
  CHECK(registry.exposition().find("weir_level") == std::string::npos);
}

TEST_CASE("process metrics come from /proc") {
  Registry registry;
  add_process_metrics(registry);
  const auto text = registry.exposition();
  CHECK(has_line(text, "# TYPE process_cpu_seconds_total counter"));
  CHECK(text.find("process_open_fds ") != std::string::npos);
  CHECK(text.find("process_resident_memory_bytes 0\n") == std::string::npos);
}

}  // namespace
}  // namespace weir::metrics
