#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "protocol/wire/reader.h"
#include "protocol/wire/tagged_fields.h"
#include "protocol/wire/writer.h"

using namespace weir::protocol;

namespace {

Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// A struct whose v0 encoding is one int32 and whose v1 encoding adds a second one.
struct TwoVersionStruct {
  std::int32_t always = 0;
  std::int32_t since_v1 = 0;
  void encode(Writer& writer, std::int16_t version) const {
    writer.write_int32(always);
    if (version >= 1) writer.write_int32(since_v1);
  }
};

}  // namespace

TEST_CASE("a tagged-field section without known fields is kept verbatim") {
  // Two fields: tag 5 with payload {0xaa}, tag 1 with payload {0xbb, 0xcc}.
  const Bytes section = bytes_of({2, 5, 1, 0xaa, 1, 2, 0xbb, 0xcc});
  UnknownTaggedFields unknown{RawTaggedField{9, bytes_of({0x01})}};
  Reader reader(section);
  read_unknown_tagged_fields(reader, unknown);
  REQUIRE(reader.ok());
  CHECK(reader.remaining() == 0);
  REQUIRE(unknown.size() == 2);  // what was there before is cleared
  CHECK(unknown[0].tag == 5);
  CHECK(unknown[0].data == bytes_of({0xaa}));
  CHECK(unknown[1].tag == 1);
  CHECK(unknown[1].data == bytes_of({0xbb, 0xcc}));
}

TEST_CASE("known tagged fields go to the decoder and the rest are kept") {
  const Bytes section = bytes_of({2, 0, 1, 0x07, 3, 1, 0x08});
  UnknownTaggedFields unknown;
  std::vector<std::uint32_t> decoded_tags;
  Reader reader(section);
  read_tagged_fields(reader, unknown, [&](std::uint32_t tag, BytesView payload) {
    if (tag != 0) return false;
    decoded_tags.push_back(tag);
    CHECK(Bytes(payload.begin(), payload.end()) == bytes_of({0x07}));
    return true;
  });
  REQUIRE(reader.ok());
  CHECK(decoded_tags == std::vector<std::uint32_t>{0});
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].tag == 3);
}

TEST_CASE("a truncated tagged field fails the reader and keeps no partial field") {
  // Announces two fields; the second claims 4 payload bytes but only 1 follows.
  const Bytes section = bytes_of({2, 1, 1, 0xaa, 2, 4, 0xbb});
  UnknownTaggedFields unknown;
  Reader reader(section);
  read_unknown_tagged_fields(reader, unknown);
  CHECK_FALSE(reader.ok());
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].tag == 1);
}

TEST_CASE("a known-field decoder that fails the reader stops the section") {
  const Bytes section = bytes_of({2, 0, 0, 1, 0});
  UnknownTaggedFields unknown;
  int calls = 0;
  Reader reader(section);
  read_tagged_fields(reader, unknown, [&](std::uint32_t, BytesView) {
    ++calls;
    reader.fail();
    return true;
  });
  CHECK_FALSE(reader.ok());
  CHECK(calls == 1);
  CHECK(unknown.empty());
}

TEST_CASE("a section of only unknown tagged fields is written sorted by tag") {
  const UnknownTaggedFields unknown{RawTaggedField{5, bytes_of({0xaa})},
                                    RawTaggedField{1, bytes_of({0xbb, 0xcc})}};
  Writer writer;
  write_unknown_tagged_fields(writer, unknown);
  CHECK(writer.buffer() == bytes_of({2, 1, 2, 0xbb, 0xcc, 5, 1, 0xaa}));

  Writer empty;
  write_unknown_tagged_fields(empty, {});
  CHECK(empty.buffer() == bytes_of({0}));
}

TEST_CASE("a tagged struct differs from its default only in what the version encodes") {
  CHECK_FALSE(encoding_differs_from_default(TwoVersionStruct{}, 1));
  CHECK(encoding_differs_from_default(TwoVersionStruct{1, 0}, 0));
  CHECK(encoding_differs_from_default(TwoVersionStruct{0, 1}, 1));
  // since_v1 is not written at v0, so its value does not make the struct worth writing.
  CHECK_FALSE(encoding_differs_from_default(TwoVersionStruct{0, 1}, 0));
}
