#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>

#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

using namespace weir::protocol;

namespace {

Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

template <typename Write>
Bytes written(Write write) {
  Writer writer;
  write(writer);
  return writer.take();
}

}  // namespace

TEST_CASE("fixed-width integers are big-endian and round trip at their boundaries") {
  CHECK(written([](Writer& w) { w.write_int16(0x0102); }) == bytes_of({0x01, 0x02}));
  CHECK(written([](Writer& w) { w.write_int32(0x01020304); }) == bytes_of({1, 2, 3, 4}));
  CHECK(written([](Writer& w) { w.write_int64(0x0102030405060708); }) ==
        bytes_of({1, 2, 3, 4, 5, 6, 7, 8}));
  CHECK(written([](Writer& w) { w.write_int32(-1); }) == bytes_of({0xff, 0xff, 0xff, 0xff}));

  Writer writer;
  writer.write_int8(std::numeric_limits<std::int8_t>::min());
  writer.write_int8(std::numeric_limits<std::int8_t>::max());
  writer.write_int16(std::numeric_limits<std::int16_t>::min());
  writer.write_int16(std::numeric_limits<std::int16_t>::max());
  writer.write_int32(std::numeric_limits<std::int32_t>::min());
  writer.write_int32(std::numeric_limits<std::int32_t>::max());
  writer.write_int64(std::numeric_limits<std::int64_t>::min());
  writer.write_int64(std::numeric_limits<std::int64_t>::max());
  writer.write_uint16(std::numeric_limits<std::uint16_t>::max());
  writer.write_uint32(std::numeric_limits<std::uint32_t>::max());
  writer.write_float64(-1.5);
  writer.write_bool(true);
  writer.write_bool(false);
  Bytes data = writer.take();
  CHECK(data.size() == 1 + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 2 + 4 + 8 + 1 + 1);

  Reader reader(data);
  CHECK(reader.read_int8() == std::numeric_limits<std::int8_t>::min());
  CHECK(reader.read_int8() == std::numeric_limits<std::int8_t>::max());
  CHECK(reader.read_int16() == std::numeric_limits<std::int16_t>::min());
  CHECK(reader.read_int16() == std::numeric_limits<std::int16_t>::max());
  CHECK(reader.read_int32() == std::numeric_limits<std::int32_t>::min());
  CHECK(reader.read_int32() == std::numeric_limits<std::int32_t>::max());
  CHECK(reader.read_int64() == std::numeric_limits<std::int64_t>::min());
  CHECK(reader.read_int64() == std::numeric_limits<std::int64_t>::max());
  CHECK(reader.read_uint16() == std::numeric_limits<std::uint16_t>::max());
  CHECK(reader.read_uint32() == std::numeric_limits<std::uint32_t>::max());
  CHECK(reader.read_float64() == -1.5);
  CHECK(reader.read_bool());
  CHECK_FALSE(reader.read_bool());
  CHECK(reader.ok());
  CHECK(reader.remaining() == 0);
}

TEST_CASE("a float64 is the big-endian IEEE-754 bit pattern") {
  CHECK(written([](Writer& w) { w.write_float64(1.0); }) ==
        bytes_of({0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
}

TEST_CASE("a uuid is 16 raw bytes") {
  Uuid id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(i + 1);
  Bytes data = written([&](Writer& w) { w.write_uuid(id); });
  REQUIRE(data.size() == 16);
  CHECK(data[0] == std::byte{1});
  CHECK(data[15] == std::byte{16});
  Reader reader(data);
  CHECK(reader.read_uuid() == id);
  CHECK(reader.ok());
}

TEST_CASE("reading past the end of every fixed-width type fails") {
  Bytes one = bytes_of({0x01});
  Bytes empty;
  CHECK_FALSE([&] {
    Reader r(empty);
    r.read_int8();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(one);
    r.read_int16();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(one);
    r.read_int32();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(one);
    r.read_int64();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(one);
    r.read_uint16();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(one);
    r.read_uint32();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(one);
    r.read_float64();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(one);
    r.read_uuid();
    return r.ok();
  }());
  CHECK_FALSE([&] {
    Reader r(empty);
    r.read_bool();
    return r.ok();
  }());
}

TEST_CASE("unsigned varints encode 7 bits per byte, least significant group first") {
  struct Case {
    std::uint32_t value;
    Bytes encoded;
  };
  const Case cases[] = {
      {0, bytes_of({0x00})},
      {127, bytes_of({0x7f})},
      {128, bytes_of({0x80, 0x01})},
      {300, bytes_of({0xac, 0x02})},
      {16383, bytes_of({0xff, 0x7f})},
      {16384, bytes_of({0x80, 0x80, 0x01})},
      {(1u << 21) - 1, bytes_of({0xff, 0xff, 0x7f})},
      {1u << 21, bytes_of({0x80, 0x80, 0x80, 0x01})},
      {1u << 28, bytes_of({0x80, 0x80, 0x80, 0x80, 0x01})},
      {std::numeric_limits<std::uint32_t>::max(), bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f})},
  };
  for (const Case& c : cases) {
    INFO("value " << c.value);
    CHECK(written([&](Writer& w) { w.write_unsigned_varint(c.value); }) == c.encoded);
    Reader reader(c.encoded);
    CHECK(reader.read_unsigned_varint() == c.value);
    CHECK(reader.ok());
    CHECK(reader.remaining() == 0);
  }
}

TEST_CASE("an unsigned varint longer than five bytes fails") {
  Bytes overlong = bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  Reader reader(overlong);
  CHECK(reader.read_unsigned_varint() == 0);
  CHECK_FALSE(reader.ok());
}

TEST_CASE("an unsigned varint that overflows 32 bits in its fifth byte fails") {
  Bytes overflow = bytes_of({0xff, 0xff, 0xff, 0xff, 0x1f});
  Reader reader(overflow);
  reader.read_unsigned_varint();
  CHECK_FALSE(reader.ok());
}

TEST_CASE("a truncated unsigned varint fails") {
  for (Bytes truncated :
       {bytes_of({0x80}), bytes_of({0xff, 0xff}), bytes_of({0x80, 0x80, 0x80, 0x80}), Bytes()}) {
    Reader reader(truncated);
    reader.read_unsigned_varint();
    CHECK_FALSE(reader.ok());
  }
}

TEST_CASE("zig-zag varints round trip at the int32 edges") {
  CHECK(written([](Writer& w) { w.write_varint(0); }) == bytes_of({0x00}));
  CHECK(written([](Writer& w) { w.write_varint(-1); }) == bytes_of({0x01}));
  CHECK(written([](Writer& w) { w.write_varint(1); }) == bytes_of({0x02}));
  CHECK(written([](Writer& w) { w.write_varint(-64); }) == bytes_of({0x7f}));
  CHECK(written([](Writer& w) { w.write_varint(64); }) == bytes_of({0x80, 0x01}));
  CHECK(written([](Writer& w) { w.write_varint(std::numeric_limits<std::int32_t>::max()); }) ==
        bytes_of({0xfe, 0xff, 0xff, 0xff, 0x0f}));
  CHECK(written([](Writer& w) { w.write_varint(std::numeric_limits<std::int32_t>::min()); }) ==
        bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f}));
  for (std::int32_t value :
       {0, -1, 1, -64, 64, 12345, -12345, std::numeric_limits<std::int32_t>::min(),
        std::numeric_limits<std::int32_t>::max()}) {
    INFO("value " << value);
    Bytes data = written([&](Writer& w) { w.write_varint(value); });
    Reader reader(data);
    CHECK(reader.read_varint() == value);
    CHECK(reader.ok());
    CHECK(reader.remaining() == 0);
  }
}

TEST_CASE("zig-zag varlongs round trip at the int64 edges") {
  CHECK(written([](Writer& w) { w.write_varlong(0); }) == bytes_of({0x00}));
  CHECK(written([](Writer& w) { w.write_varlong(-1); }) == bytes_of({0x01}));
  CHECK(written([](Writer& w) { w.write_varlong(1); }) == bytes_of({0x02}));
  CHECK(written([](Writer& w) { w.write_varlong(std::numeric_limits<std::int64_t>::min()); }) ==
        bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  CHECK(written([](Writer& w) { w.write_varlong(std::numeric_limits<std::int64_t>::max()); }) ==
        bytes_of({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  for (std::int64_t value :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{1} << 40,
        -(std::int64_t{1} << 40), std::int64_t{std::numeric_limits<std::int32_t>::min()},
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    INFO("value " << value);
    Bytes data = written([&](Writer& w) { w.write_varlong(value); });
    Reader reader(data);
    CHECK(reader.read_varlong() == value);
    CHECK(reader.ok());
    CHECK(reader.remaining() == 0);
  }
}

TEST_CASE("a varlong longer than ten bytes fails") {
  Bytes overlong = bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  Reader reader(overlong);
  reader.read_varlong();
  CHECK_FALSE(reader.ok());
}

TEST_CASE("a varint longer than five bytes fails") {
  Bytes overlong = bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  Reader reader(overlong);
  reader.read_varint();
  CHECK_FALSE(reader.ok());
}

TEST_CASE("strings carry an int16 length and nullable strings use -1 for null") {
  CHECK(written([](Writer& w) { w.write_string("ab"); }) == bytes_of({0x00, 0x02, 'a', 'b'}));
  CHECK(written([](Writer& w) { w.write_string(""); }) == bytes_of({0x00, 0x00}));
  CHECK(written([](Writer& w) { w.write_nullable_string(std::nullopt); }) ==
        bytes_of({0xff, 0xff}));

  Bytes data = written([](Writer& w) {
    w.write_string("hello");
    w.write_nullable_string(std::nullopt);
    w.write_nullable_string(std::string("x"));
    w.write_string("");
  });
  Reader reader(data);
  CHECK(reader.read_string() == "hello");
  CHECK(reader.read_nullable_string() == std::nullopt);
  CHECK(reader.read_nullable_string() == std::optional<std::string>("x"));
  CHECK(reader.read_string().empty());
  CHECK(reader.ok());
  CHECK(reader.remaining() == 0);
}

TEST_CASE("compact strings carry length plus one as an unsigned varint and zero means null") {
  CHECK(written([](Writer& w) { w.write_compact_string("ab"); }) == bytes_of({0x03, 'a', 'b'}));
  CHECK(written([](Writer& w) { w.write_compact_string(""); }) == bytes_of({0x01}));
  CHECK(written([](Writer& w) { w.write_compact_nullable_string(std::nullopt); }) ==
        bytes_of({0x00}));

  std::string long_text(200, 'z');
  Bytes data = written([&](Writer& w) {
    w.write_compact_string(long_text);
    w.write_compact_nullable_string(std::nullopt);
    w.write_compact_nullable_string(std::string("y"));
  });
  CHECK(data[0] == std::byte{0xc9});  // 201 as a two-byte varint
  CHECK(data[1] == std::byte{0x01});
  Reader reader(data);
  CHECK(reader.read_compact_string() == long_text);
  CHECK(reader.read_compact_nullable_string() == std::nullopt);
  CHECK(reader.read_compact_nullable_string() == std::optional<std::string>("y"));
  CHECK(reader.ok());
  CHECK(reader.remaining() == 0);
}

TEST_CASE("a null where a non-nullable string is required fails") {
  Bytes classic = bytes_of({0xff, 0xff});
  Reader reader(classic);
  reader.read_string();
  CHECK_FALSE(reader.ok());

  Bytes compact = bytes_of({0x00});
  Reader compact_reader(compact);
  compact_reader.read_compact_string();
  CHECK_FALSE(compact_reader.ok());
}

TEST_CASE("a negative length other than -1 fails") {
  Bytes string_length = bytes_of({0xff, 0xfe, 'a'});
  Reader r1(string_length);
  r1.read_nullable_string();
  CHECK_FALSE(r1.ok());

  Bytes bytes_length = bytes_of({0xff, 0xff, 0xff, 0xfe, 0x00});
  Reader r2(bytes_length);
  r2.read_nullable_bytes();
  CHECK_FALSE(r2.ok());

  Reader r3(bytes_length);
  r3.read_array_length(false);
  CHECK_FALSE(r3.ok());
}

TEST_CASE("a length larger than the buffer fails without reading or allocating") {
  // Claims 2 GiB of bytes in a 5-byte buffer: must fail on the length, not try to allocate.
  Bytes huge_bytes = bytes_of({0x7f, 0xff, 0xff, 0xff, 0x00});
  Reader r1(huge_bytes);
  CHECK(r1.read_bytes().empty());
  CHECK_FALSE(r1.ok());

  Bytes huge_string = bytes_of({0x7f, 0xff, 'a'});
  Reader r2(huge_string);
  CHECK(r2.read_string().empty());
  CHECK_FALSE(r2.ok());

  Bytes huge_compact = bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f, 'a'});
  Reader r3(huge_compact);
  CHECK(r3.read_compact_bytes().empty());
  CHECK_FALSE(r3.ok());

  Reader r4(huge_compact);
  r4.read_compact_nullable_string();
  CHECK_FALSE(r4.ok());

  Reader r5(huge_bytes);
  CHECK(r5.read_records(false) == std::nullopt);
  CHECK_FALSE(r5.ok());

  Bytes off_by_one = bytes_of({0x00, 0x03, 'a', 'b'});
  Reader r6(off_by_one);
  r6.read_string();
  CHECK_FALSE(r6.ok());
}

TEST_CASE("bytes round trip in classic and compact forms, with null") {
  Bytes payload = bytes_of({1, 2, 3});
  Bytes data = written([&](Writer& w) {
    w.write_bytes(payload);
    w.write_nullable_bytes(std::nullopt);
    w.write_compact_bytes(payload);
    w.write_compact_nullable_bytes(std::nullopt);
    w.write_compact_nullable_bytes(BytesView(payload));
    w.write_nullable_bytes(BytesView());
  });
  CHECK(Bytes(data.begin(), data.begin() + 4) == bytes_of({0, 0, 0, 3}));
  Reader reader(data);
  CHECK(reader.read_bytes() == payload);
  CHECK(reader.read_nullable_bytes() == std::nullopt);
  CHECK(reader.read_compact_bytes() == payload);
  CHECK(reader.read_compact_nullable_bytes() == std::nullopt);
  CHECK(reader.read_compact_nullable_bytes() == std::optional<Bytes>(payload));
  CHECK(reader.read_nullable_bytes() == std::optional<Bytes>(Bytes()));
  CHECK(reader.ok());
  CHECK(reader.remaining() == 0);
}

TEST_CASE("the flexible flag picks the compact or the classic string and bytes form") {
  const Bytes payload = bytes_of({0x01, 0x02});
  for (const bool flexible : {false, true}) {
    INFO("flexible " << flexible);
    Writer by_flag;
    by_flag.write_string("ab", flexible);
    by_flag.write_nullable_string(std::nullopt, flexible);
    by_flag.write_bytes(payload, flexible);
    by_flag.write_nullable_bytes(std::nullopt, flexible);
    Writer by_name;
    if (flexible) {
      by_name.write_compact_string("ab");
      by_name.write_compact_nullable_string(std::nullopt);
      by_name.write_compact_bytes(payload);
      by_name.write_compact_nullable_bytes(std::nullopt);
    } else {
      by_name.write_string("ab");
      by_name.write_nullable_string(std::nullopt);
      by_name.write_bytes(payload);
      by_name.write_nullable_bytes(std::nullopt);
    }
    CHECK(by_flag.buffer() == by_name.buffer());

    Reader reader(by_flag.buffer());
    CHECK(reader.read_string(flexible) == "ab");
    CHECK_FALSE(reader.read_nullable_string(flexible).has_value());
    CHECK(reader.read_bytes(flexible) == payload);
    CHECK_FALSE(reader.read_nullable_bytes(flexible).has_value());
    CHECK(reader.ok());
    CHECK(reader.remaining() == 0);
  }
}

TEST_CASE("records are read as a view into the input buffer") {
  Bytes batch = bytes_of({9, 8, 7, 6});
  Bytes data = written([&](Writer& w) {
    w.write_records(BytesView(batch), false);
    w.write_records(std::nullopt, false);
    w.write_records(BytesView(batch), true);
    w.write_records(std::nullopt, true);
  });
  Reader reader(data);
  std::optional<BytesView> classic = reader.read_records(false);
  REQUIRE(classic.has_value());
  CHECK(classic->data() == data.data() + 4);
  CHECK(Bytes(classic->begin(), classic->end()) == batch);
  CHECK(reader.read_records(false) == std::nullopt);
  std::optional<BytesView> compact = reader.read_records(true);
  REQUIRE(compact.has_value());
  CHECK(compact->size() == 4);
  CHECK(compact->data() >= data.data());
  CHECK(compact->data() < data.data() + data.size());
  CHECK(reader.read_records(true) == std::nullopt);
  CHECK(reader.ok());
  CHECK(reader.remaining() == 0);
}

TEST_CASE("read_bytes_view returns a view without copying and fails past the end") {
  Bytes data = bytes_of({1, 2, 3});
  Reader reader(data);
  BytesView view = reader.read_bytes_view(2);
  CHECK(view.data() == data.data());
  CHECK(view.size() == 2);
  CHECK(reader.position() == 2);
  CHECK(reader.read_bytes_view(2).empty());
  CHECK_FALSE(reader.ok());
}

TEST_CASE("array lengths: -1 is null, and a count above the remaining bytes fails") {
  CHECK(written([](Writer& w) { w.write_array_length(-1, false); }) ==
        bytes_of({0xff, 0xff, 0xff, 0xff}));
  CHECK(written([](Writer& w) { w.write_array_length(-1, true); }) == bytes_of({0x00}));
  CHECK(written([](Writer& w) { w.write_array_length(2, true); }) == bytes_of({0x03}));

  Bytes null_classic = bytes_of({0xff, 0xff, 0xff, 0xff});
  Reader r1(null_classic);
  CHECK(r1.read_array_length(false) == -1);
  CHECK(r1.ok());

  Bytes null_compact = bytes_of({0x00});
  Reader r2(null_compact);
  CHECK(r2.read_array_length(true) == -1);
  CHECK(r2.ok());

  // Two elements claimed, one byte left: every element takes at least a byte.
  Bytes too_many = bytes_of({0x00, 0x00, 0x00, 0x02, 0x01});
  Reader r3(too_many);
  r3.read_array_length(false);
  CHECK_FALSE(r3.ok());

  Bytes huge = bytes_of({0x7f, 0xff, 0xff, 0xff});
  Reader r4(huge);
  CHECK(r4.read_array_length(false) == 0);
  CHECK_FALSE(r4.ok());

  Bytes exact = bytes_of({0x03, 0x01, 0x02});
  Reader r5(exact);
  CHECK(r5.read_array_length(true) == 2);
  CHECK(r5.ok());
}

TEST_CASE("a failed read is sticky and later reads return defaults") {
  Bytes data = bytes_of({0x00, 0x01, 0x02, 0x03, 0x04, 0x05});
  Reader reader(data);
  reader.read_int64();  // fails: only six bytes
  CHECK_FALSE(reader.ok());
  CHECK(reader.remaining() == 0);
  CHECK(reader.read_int8() == 0);
  CHECK(reader.read_int16() == 0);
  CHECK(reader.read_unsigned_varint() == 0);
  CHECK(reader.read_string().empty());
  CHECK(reader.read_nullable_string() == std::nullopt);
  CHECK(reader.read_bytes_view(1).empty());
  CHECK_FALSE(reader.ok());
}

TEST_CASE("fail marks the reader malformed") {
  Bytes data = bytes_of({0x01});
  Reader reader(data);
  reader.fail();
  CHECK_FALSE(reader.ok());
  CHECK(reader.read_int8() == 0);
}

TEST_CASE("skip advances and fails past the end") {
  Bytes data = bytes_of({1, 2, 3});
  Reader reader(data);
  reader.skip(2);
  CHECK(reader.position() == 2);
  CHECK(reader.read_int8() == 3);
  reader.skip(1);
  CHECK_FALSE(reader.ok());
}

TEST_CASE("patch_int32 overwrites a placeholder in place") {
  Writer writer;
  writer.write_int32(0);
  writer.write_int16(7);
  writer.patch_int32(0, static_cast<std::int32_t>(writer.size() - 4));
  CHECK(writer.take() == bytes_of({0, 0, 0, 2, 0, 7}));
  CHECK(writer.size() == 0);
}

TEST_CASE("a string too long for an int16 length is refused rather than truncated") {
  Writer writer;
  CHECK_THROWS_AS(writer.write_string(std::string(40000, 'a')), std::length_error);
}

TEST_CASE("unknown tagged fields are written in increasing tag order") {
  UnknownTaggedFields fields{{9, bytes_of({0x09})}, {2, bytes_of({0x02, 0x02})}};
  Writer writer;
  UnknownTaggedFieldsCursor cursor(fields);
  cursor.write_before(writer, 5);
  writer.write_tagged_field(5, bytes_of({0x05}));
  cursor.write_rest(writer);
  CHECK(writer.take() == bytes_of({2, 2, 0x02, 0x02, 5, 1, 0x05, 9, 1, 0x09}));
}
