#include <catch2/catch.hpp>

#include "server/log.h"

using namespace weir::log;

TEST_CASE("text lines are key=value pairs, quoting values that hold spaces or quotes") {
  std::string line =
      format_line(Format::text, Level::info, "2026-01-02T03:04:05.678Z", "connection closed",
                  {{"peer", "127.0.0.1:5000"}, {"reason", "idle timeout"}, {"bytes", 12}});
  CHECK(line ==
        "ts=2026-01-02T03:04:05.678Z level=info msg=\"connection closed\" peer=127.0.0.1:5000 "
        "reason=\"idle timeout\" bytes=12");
  CHECK(format_line(Format::text, Level::warn, "t", "x", {{"empty", ""}, {"quote", "a\"b"}}) ==
        "ts=t level=warn msg=x empty=\"\" quote=\"a\\\"b\"");
}

TEST_CASE("JSON lines are one object with numbers unquoted and strings escaped") {
  std::string line =
      format_line(Format::json, Level::error, "2026-01-02T03:04:05.678Z", "bad \"frame\"\n",
                  {{"peer", "[::1]:5000"}, {"size", -5}, {"control", std::string("\x01", 1)}});
  CHECK(line ==
        "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"error\",\"msg\":\"bad \\\"frame\\\"\\n\","
        "\"peer\":\"[::1]:5000\",\"size\":-5,\"control\":\"\\u0001\"}");
}

TEST_CASE("levels parse from their names and filter lower ones") {
  Level level = Level::info;
  CHECK(parse_level("warning", &level));
  CHECK(level == Level::warn);
  CHECK_FALSE(parse_level("verbose", &level));
  set_level(Level::warn);
  CHECK_FALSE(enabled(Level::info));
  CHECK(enabled(Level::error));
  set_level(Level::info);
}

TEST_CASE("timestamps are RFC 3339 UTC with milliseconds") {
  std::string timestamp = current_timestamp();
  REQUIRE(timestamp.size() == 24);
  CHECK(timestamp[4] == '-');
  CHECK(timestamp[10] == 'T');
  CHECK(timestamp[19] == '.');
  CHECK(timestamp.back() == 'Z');
}
