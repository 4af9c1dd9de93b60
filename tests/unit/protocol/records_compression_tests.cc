// The record batch codecs and the compressed batch helpers: round trips, the stream
// formats other Kafka clients read, and refusal of damaged, truncated or oversized input.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "protocol/records/compressed_batch.h"
#include "protocol/records/compression.h"
#include "protocol/records/record_batch.h"

using namespace weir::protocol;
using namespace weir::protocol::records;

namespace {

constexpr Compression kCodecs[] = {Compression::gzip, Compression::snappy, Compression::lz4,
                                   Compression::zstd};

Bytes bytes_of(std::string_view s) {
  Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

Bytes raw(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// Compressible but not trivial: text with a counter, ~`size` bytes.
Bytes sample_text(std::size_t size) {
  std::string text;
  for (int i = 0; text.size() < size; ++i)
    text += "record number " + std::to_string(i * 7919 % 100003) + ";";
  text.resize(size);
  return bytes_of(text);
}

Bytes round_trip(Compression codec, const Bytes& input) {
  const Bytes compressed = compress(codec, input);
  Bytes output;
  REQUIRE(decompress(codec, compressed, 1 << 30, &output) == CodecError::none);
  return output;
}

Bytes three_record_batch() {
  RecordBatchBuilder builder;
  builder.producer(77, 1, 30)
      .add({bytes_of("k0"), bytes_of("v0"), {{"h", bytes_of("x")}}, 1000})
      .add({std::nullopt, sample_text(3000), {}, 1001})
      .add({bytes_of("k2"), std::nullopt, {}, 1002});
  return builder.build();
}

ValidatedBatch validated(const Bytes& batch) {
  ValidatedBatch out;
  REQUIRE(validate_produce_records(batch, &out) == BatchError::none);
  return out;
}

}  // namespace

TEST_CASE("every codec round-trips empty, small and large inputs", "[records][compression]") {
  for (Compression codec : kCodecs) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{70000},
                             std::size_t{300000}}) {
      INFO(codec_name(codec) << " " << size << " bytes");
      const Bytes input = sample_text(size);
      CHECK(round_trip(codec, input) == input);
    }
  }
}

TEST_CASE("compressed streams use the formats Kafka clients read", "[records][compression]") {
  const Bytes input = sample_text(100000);
  const Bytes gzip = compress(Compression::gzip, input);
  CHECK(gzip.at(0) == std::byte{0x1f});
  CHECK(gzip.at(1) == std::byte{0x8b});
  const Bytes snappy = compress(Compression::snappy, input);
  CHECK(Bytes(snappy.begin(), snappy.begin() + 8) == raw({0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}));
  const Bytes lz4 = compress(Compression::lz4, input);
  CHECK(Bytes(lz4.begin(), lz4.begin() + 4) == raw({0x04, 0x22, 0x4d, 0x18}));
  // FLG: version 01, independent blocks (bit 5); BD: 64 KiB blocks.
  CHECK((std::to_integer<int>(lz4.at(4)) & 0xe0) == 0x60);
  CHECK((std::to_integer<int>(lz4.at(5)) & 0x70) == 0x40);
  const Bytes zstd = compress(Compression::zstd, input);
  CHECK(Bytes(zstd.begin(), zstd.begin() + 4) == raw({0x28, 0xb5, 0x2f, 0xfd}));
  for (Compression codec : kCodecs) CHECK(compress(codec, input).size() < input.size() / 2);
}

TEST_CASE("raw snappy, as librdkafka sends it, decompresses like xerial framing",
          "[records][compression]") {
  // Raw snappy of "hello": length varint 5, then a literal of 5 bytes (tag (5-1) << 2).
  const Bytes hello = raw({0x05, 0x10, 'h', 'e', 'l', 'l', 'o'});
  Bytes output;
  REQUIRE(decompress(Compression::snappy, hello, 1024, &output) == CodecError::none);
  CHECK(output == bytes_of("hello"));
  // The same block in xerial framing: header, then length 7 and the block.
  Bytes framed = raw({0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7});
  framed.insert(framed.end(), hello.begin(), hello.end());
  output.clear();
  REQUIRE(decompress(Compression::snappy, framed, 1024, &output) == CodecError::none);
  CHECK(output == bytes_of("hello"));
}

TEST_CASE("garbage and truncated streams are corrupt for every codec", "[records][compression]") {
  const Bytes garbage = sample_text(500);
  const Bytes input = sample_text(50000);
  for (Compression codec : kCodecs) {
    INFO(codec_name(codec));
    Bytes output;
    CHECK(decompress(codec, garbage, 1 << 20, &output) == CodecError::corrupt);
    const Bytes compressed = compress(codec, input);
    for (std::size_t cut :
         {std::size_t{0}, std::size_t{3}, compressed.size() / 2, compressed.size() - 1}) {
      INFO("truncated to " << cut);
      output.clear();
      const Bytes truncated(compressed.begin(), compressed.begin() + static_cast<long>(cut));
      CHECK(decompress(codec, truncated, 1 << 20, &output) != CodecError::none);
    }
  }
}

TEST_CASE("decompression stops at the output limit", "[records][compression]") {
  const Bytes zeros(4 << 20, std::byte{0});
  for (Compression codec : kCodecs) {
    INFO(codec_name(codec));
    Bytes output;
    CHECK(decompress(codec, compress(codec, zeros), 100000, &output) == CodecError::too_large);
    CHECK(output.size() <= 100000);
  }
}

TEST_CASE("Compression::none is not a codec to decompress", "[records][compression]") {
  Bytes output;
  CHECK(decompress(Compression::none, bytes_of("abc"), 100, &output) == CodecError::unsupported);
  CHECK(compress(Compression::none, bytes_of("abc")) == bytes_of("abc"));
}

TEST_CASE("a batch rebuilt with each codec validates and decompresses to the same records",
          "[records][compression]") {
  const Bytes original = three_record_batch();
  const ValidatedBatch plain = validated(original);
  Bytes records;
  REQUIRE(decompress_records(plain, 1 << 20, &records) == BatchError::none);
  CHECK(records == Bytes(original.begin() + 61, original.end()));
  for (Compression codec : kCodecs) {
    INFO(codec_name(codec));
    const Bytes rebuilt = rebuild_batch(plain, records, codec);
    const ValidatedBatch compressed = validated(rebuilt);
    CHECK(compressed.header.compression() == static_cast<int>(codec));
    CHECK(compressed.header.record_count == 3);
    CHECK(compressed.header.producer_id == 77);
    CHECK(compressed.header.base_sequence == 30);
    CHECK(compressed.header.max_timestamp == plain.header.max_timestamp);
    Bytes back;
    REQUIRE(decompress_records(compressed, 1 << 20, &back) == BatchError::none);
    CHECK(back == records);
    // And back to uncompressed: byte for byte the original batch.
    CHECK(rebuild_batch(compressed, back, Compression::none) == original);
  }
}

TEST_CASE("a compressed batch whose records disagree with its count is invalid_record",
          "[records][compression]") {
  const Bytes original = three_record_batch();  // `plain` views it
  const ValidatedBatch plain = validated(original);
  Bytes records;
  REQUIRE(decompress_records(plain, 1 << 20, &records) == BatchError::none);
  for (Compression codec : kCodecs) {
    INFO(codec_name(codec));
    Bytes batch = rebuild_batch(plain, records, codec);
    // Claim four records: header counts agree with each other, not with the payload.
    batch[23 + 3] = std::byte{3};  // last_offset_delta
    batch[57 + 3] = std::byte{4};  // record_count
    recompute_crc(batch);
    const ValidatedBatch claimed = validated(batch);
    Bytes out;
    CHECK(decompress_records(claimed, 1 << 20, &out) == BatchError::invalid_record);
  }
}

TEST_CASE("a compressed batch with a damaged payload and a valid CRC is corrupt_message",
          "[records][compression]") {
  const Bytes original = three_record_batch();  // `plain` views it
  const ValidatedBatch plain = validated(original);
  Bytes records;
  REQUIRE(decompress_records(plain, 1 << 20, &records) == BatchError::none);
  for (Compression codec : kCodecs) {
    INFO(codec_name(codec));
    Bytes batch = rebuild_batch(plain, records, codec);
    // Overwrite the middle of the payload; the CRC is recomputed, so only the codec can tell.
    for (std::size_t i = 61 + (batch.size() - 61) / 3; i < batch.size() - 4; ++i)
      batch[i] = std::byte{0xEE};
    recompute_crc(batch);
    const ValidatedBatch damaged = validated(batch);
    Bytes out;
    const BatchError error = decompress_records(damaged, 1 << 20, &out);
    CHECK((error == BatchError::corrupt_message || error == BatchError::invalid_record));
  }
}

TEST_CASE("a batch that decompresses beyond the limit is message_too_large",
          "[records][compression]") {
  RecordBatchBuilder builder;
  builder.add({std::nullopt, Bytes(1 << 20, std::byte{0}), {}, 5});
  const Bytes original = builder.build();
  const ValidatedBatch plain = validated(original);
  const Bytes zstd =
      rebuild_batch(plain, Bytes(original.begin() + 61, original.end()), Compression::zstd);
  Bytes out;
  CHECK(decompress_records(validated(zstd), 64 * 1024, &out) == BatchError::message_too_large);
}
