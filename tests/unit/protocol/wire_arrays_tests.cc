#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "protocol/wire/arrays.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

using namespace weir::protocol;

namespace {

Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

void read_int16_array(Reader& reader, std::vector<std::int16_t>& items, bool flexible) {
  read_array(reader, items, flexible, [&](std::int16_t& item) { item = reader.read_int16(); });
}

}  // namespace

TEST_CASE("an array replaces the previous contents, classic and compact lengths") {
  const Bytes classic = bytes_of({0, 0, 0, 2, 0, 1, 0, 2});
  std::vector<std::int16_t> items{9, 9, 9};
  Reader classic_reader(classic);
  read_int16_array(classic_reader, items, false);
  REQUIRE(classic_reader.ok());
  CHECK(classic_reader.remaining() == 0);
  CHECK(items == std::vector<std::int16_t>{1, 2});

  const Bytes compact = bytes_of({2, 0, 3});  // length + 1
  Reader compact_reader(compact);
  read_int16_array(compact_reader, items, true);
  REQUIRE(compact_reader.ok());
  CHECK(items == std::vector<std::int16_t>{3});
}

TEST_CASE("a null array fails a non-nullable field and leaves it untouched") {
  const Bytes classic_null = bytes_of({0xff, 0xff, 0xff, 0xff});
  std::vector<std::int16_t> items{7};
  Reader classic_reader(classic_null);
  read_int16_array(classic_reader, items, false);
  CHECK_FALSE(classic_reader.ok());
  CHECK(items == std::vector<std::int16_t>{7});

  const Bytes compact_null = bytes_of({0});
  Reader compact_reader(compact_null);
  read_int16_array(compact_reader, items, true);
  CHECK_FALSE(compact_reader.ok());
  CHECK(items == std::vector<std::int16_t>{7});
}

TEST_CASE("a truncated array fails and stops reading elements") {
  // Announces three int16 elements but carries five bytes.
  const Bytes truncated = bytes_of({0, 0, 0, 3, 0, 1, 0, 2, 0});
  std::vector<std::int16_t> items;
  int calls = 0;
  Reader reader(truncated);
  read_array(reader, items, false, [&](std::int16_t& item) {
    ++calls;
    item = reader.read_int16();
  });
  CHECK_FALSE(reader.ok());
  CHECK(calls == 3);
  CHECK(items.size() == 3);
  CHECK(items[0] == 1);
  CHECK(items[1] == 2);
}

TEST_CASE("an array count beyond the remaining bytes fails before any element") {
  const Bytes bogus = bytes_of({0x7f, 0xff, 0xff, 0xff, 0, 1});
  std::vector<std::string> items;
  Reader reader(bogus);
  read_array(reader, items, false, [&](std::string& item) { item = reader.read_string(); });
  CHECK_FALSE(reader.ok());
  CHECK(items.empty());
}

TEST_CASE("arrays of bool read through vector<bool> proxies") {
  const Bytes data = bytes_of({3, 1, 0});
  std::vector<bool> items;
  Reader reader(data);
  read_array(reader, items, true, [&](auto&& item) { item = reader.read_bool(); });
  REQUIRE(reader.ok());
  CHECK(items == std::vector<bool>{true, false});
}

TEST_CASE("an array is written as its length then each element, and reads back") {
  const std::vector<std::int16_t> items{1, 2};
  for (const bool flexible : {false, true}) {
    INFO("flexible " << flexible);
    Writer writer;
    write_array(writer, items, flexible, [&](std::int16_t item) { writer.write_int16(item); });
    CHECK(writer.buffer() ==
          (flexible ? bytes_of({3, 0, 1, 0, 2}) : bytes_of({0, 0, 0, 2, 0, 1, 0, 2})));
    std::vector<std::int16_t> decoded;
    Reader reader(writer.buffer());
    read_int16_array(reader, decoded, flexible);
    CHECK(reader.ok());
    CHECK(decoded == items);
  }
  Writer empty;
  write_array(empty, std::vector<std::string>{}, true,
              [&](const std::string& item) { empty.write_compact_string(item); });
  CHECK(empty.buffer() == bytes_of({1}));
}
