#include "protocol/records/compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace weir::protocol::records {
namespace {

// Output grows in steps of this much while a stream is decoded.
constexpr std::size_t output_step = 64 * 1024;

// xerial snappy-java framing: magic, then version and minimum compatible version
// (int32 each), then blocks of int32 big-endian compressed length + raw snappy.
constexpr std::array<unsigned char, 8> xerial_magic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t xerial_header_size = 16;
// snappy-java's default block size; Kafka's producer writes blocks of this much input.
constexpr std::size_t xerial_block_size = 32 * 1024;

// Kafka's defaults: gzip level 6 (zlib's default), zstd level 3.
constexpr int gzip_level = Z_DEFAULT_COMPRESSION;
constexpr int zstd_level = 3;

const char* as_chars(BytesView bytes) { return reinterpret_cast<const char*>(bytes.data()); }

std::uint32_t read_u32_be(const std::byte* p) {
  return (std::to_integer<std::uint32_t>(p[0]) << 24) |
         (std::to_integer<std::uint32_t>(p[1]) << 16) |
         (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}

void append_u32_be(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::byte>((value >> shift) & 0xff));
}

// Makes room for at least one more step of output, within the limit. Returns the
// writable span after out->size() (callers shrink the vector to what they wrote).
bool grow(Bytes* out, std::size_t used, std::size_t limit, std::size_t* capacity) {
  if (used >= limit) return false;
  const std::size_t target = std::min(limit, used + output_step);
  out->resize(target);
  *capacity = target - used;
  return true;
}

CodecError gunzip(BytesView input, std::size_t limit, Bytes* out) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK)
    return CodecError::corrupt;  // 32: gzip or zlib header
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  std::size_t used = out->size();
  const std::size_t start = used;
  for (;;) {
    std::size_t capacity = 0;
    if (!grow(out, used, limit + start, &capacity)) {
      out->resize(used);
      return CodecError::too_large;
    }
    stream.next_out = reinterpret_cast<Bytef*>(out->data() + used);
    stream.avail_out = static_cast<uInt>(std::min<std::size_t>(capacity, 1u << 30));
    const uInt before = stream.avail_out;
    const int status = inflate(&stream, Z_NO_FLUSH);
    used += before - stream.avail_out;
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      // Another gzip member follows, as Java's GZIPInputStream accepts.
      if (inflateReset(&stream) != Z_OK) break;
      continue;
    }
    if (status != Z_OK && !(status == Z_BUF_ERROR && stream.avail_out == 0)) {
      out->resize(used);
      return CodecError::corrupt;
    }
    if (stream.avail_in == 0 && stream.avail_out != 0) {  // input ended before the stream did
      out->resize(used);
      return CodecError::corrupt;
    }
  }
  out->resize(used);
  return CodecError::none;
}

Bytes gzip(BytesView input) {
  z_stream stream{};
  deflateInit2(&stream, gzip_level, Z_DEFLATED, 15 + 16, 8,
               Z_DEFAULT_STRATEGY);  // 16: gzip wrapper
  Bytes out(deflateBound(&stream, static_cast<uLong>(input.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);  // the bound guarantees one call finishes
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

CodecError unsnappy_raw(BytesView input, std::size_t limit, Bytes* out) {
  std::size_t length = 0;
  if (snappy_uncompressed_length(as_chars(input), input.size(), &length) != SNAPPY_OK)
    return CodecError::corrupt;
  if (length > limit) return CodecError::too_large;
  const std::size_t start = out->size();
  out->resize(start + length);
  std::size_t written = length;
  if (snappy_uncompress(as_chars(input), input.size(), reinterpret_cast<char*>(out->data() + start),
                        &written) != SNAPPY_OK ||
      written != length) {
    out->resize(start);
    return CodecError::corrupt;
  }
  return CodecError::none;
}

bool is_xerial(BytesView input) {
  return input.size() >= xerial_header_size &&
         std::memcmp(input.data(), xerial_magic.data(), xerial_magic.size()) == 0;
}

CodecError unsnappy(BytesView input, std::size_t limit, Bytes* out) {
  if (!is_xerial(input)) return unsnappy_raw(input, limit, out);
  const std::size_t start = out->size();
  BytesView blocks = input.subspan(xerial_header_size);
  while (!blocks.empty()) {
    if (blocks.size() < 4) return CodecError::corrupt;
    const std::size_t length = read_u32_be(blocks.data());
    if (length > blocks.size() - 4) return CodecError::corrupt;
    const CodecError error =
        unsnappy_raw(blocks.subspan(4, length), limit - (out->size() - start), out);
    if (error != CodecError::none) return error;
    blocks = blocks.subspan(4 + length);
  }
  return CodecError::none;
}

Bytes snappy_xerial(BytesView input) {
  Bytes out(reinterpret_cast<const std::byte*>(xerial_magic.data()),
            reinterpret_cast<const std::byte*>(xerial_magic.data()) + xerial_magic.size());
  append_u32_be(out, 1);  // version
  append_u32_be(out, 1);  // minimum compatible version
  for (std::size_t offset = 0; offset < input.size(); offset += xerial_block_size) {
    const BytesView block =
        input.subspan(offset, std::min(xerial_block_size, input.size() - offset));
    std::size_t length = snappy_max_compressed_length(block.size());
    const std::size_t at = out.size();
    out.resize(at + 4 + length);
    snappy_compress(as_chars(block), block.size(), reinterpret_cast<char*>(out.data() + at + 4),
                    &length);
    out.resize(at + 4 + length);
    for (int i = 0; i < 4; ++i)
      out[at + i] = static_cast<std::byte>((length >> (24 - 8 * i)) & 0xff);
  }
  return out;
}

CodecError unlz4(BytesView input, std::size_t limit, Bytes* out) {
  LZ4F_dctx* context = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&context, LZ4F_VERSION)))
    return CodecError::corrupt;
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> guard(context,
                                                                     LZ4F_freeDecompressionContext);
  const std::size_t start = out->size();
  std::size_t used = start;
  std::size_t consumed = 0;
  std::size_t hint = 1;
  bool progress = true;
  while (hint != 0) {
    if (consumed == input.size() && !progress) {  // input ended, the frame did not
      out->resize(used);
      return CodecError::corrupt;
    }
    std::size_t capacity = 0;
    if (!grow(out, used, limit + start, &capacity)) {
      out->resize(used);
      return CodecError::too_large;
    }
    std::size_t produced = capacity;
    std::size_t source_size = input.size() - consumed;
    hint = LZ4F_decompress(context, out->data() + used, &produced, input.data() + consumed,
                           &source_size, nullptr);
    if (LZ4F_isError(hint)) {
      out->resize(used);
      return CodecError::corrupt;
    }
    used += produced;
    consumed += source_size;
    progress = produced != 0 || source_size != 0;
  }
  out->resize(used);
  // Kafka reads exactly one frame per batch.
  return consumed == input.size() ? CodecError::none : CodecError::corrupt;
}

Bytes lz4(BytesView input) {
  LZ4F_preferences_t preferences{};
  preferences.frameInfo.blockSizeID = LZ4F_max64KB;
  preferences.frameInfo.blockMode = LZ4F_blockIndependent;
  Bytes out(LZ4F_compressFrameBound(input.size(), &preferences));
  const std::size_t written =
      LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &preferences);
  out.resize(LZ4F_isError(written) ? 0 : written);
  return out;
}

CodecError unzstd(BytesView input, std::size_t limit, Bytes* out) {
  std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(),
                                                                       ZSTD_freeDStream);
  if (!stream || ZSTD_isError(ZSTD_initDStream(stream.get()))) return CodecError::corrupt;
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  const std::size_t start = out->size();
  std::size_t used = start;
  std::size_t last = 1;
  while (in.pos < in.size || last != 0) {
    std::size_t capacity = 0;
    if (!grow(out, used, limit + start, &capacity)) {
      out->resize(used);
      return CodecError::too_large;
    }
    ZSTD_outBuffer buffer{out->data() + used, capacity, 0};
    const std::size_t in_before = in.pos;
    last = ZSTD_decompressStream(stream.get(), &buffer, &in);
    used += buffer.pos;
    if (ZSTD_isError(last)) {
      out->resize(used);
      return CodecError::corrupt;
    }
    // No input left, no progress, and the frame is unfinished: truncated.
    if (last != 0 && in.pos == in.size && in.pos == in_before && buffer.pos < capacity) {
      out->resize(used);
      return CodecError::corrupt;
    }
  }
  out->resize(used);
  return CodecError::none;
}

Bytes zstd(BytesView input) {
  Bytes out(ZSTD_compressBound(input.size()));
  const std::size_t written =
      ZSTD_compress(out.data(), out.size(), input.data(), input.size(), zstd_level);
  out.resize(ZSTD_isError(written) ? 0 : written);
  return out;
}

}  // namespace

CodecError decompress(Compression codec, BytesView input, std::size_t max_output_bytes,
                      Bytes* out) {
  switch (codec) {
    case Compression::gzip:
      return gunzip(input, max_output_bytes, out);
    case Compression::snappy:
      return unsnappy(input, max_output_bytes, out);
    case Compression::lz4:
      return unlz4(input, max_output_bytes, out);
    case Compression::zstd:
      return unzstd(input, max_output_bytes, out);
    case Compression::none:
      break;
  }
  return CodecError::unsupported;
}

Bytes compress(Compression codec, BytesView input) {
  switch (codec) {
    case Compression::gzip:
      return gzip(input);
    case Compression::snappy:
      return snappy_xerial(input);
    case Compression::lz4:
      return lz4(input);
    case Compression::zstd:
      return zstd(input);
    case Compression::none:
      break;
  }
  return Bytes(input.begin(), input.end());
}

const char* codec_name(Compression codec) {
  switch (codec) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::snappy:
      return "snappy";
    case Compression::lz4:
      return "lz4";
    case Compression::zstd:
      return "zstd";
  }
  return "unknown";
}

BatchError to_batch_error(CodecError error) {
  switch (error) {
    case CodecError::none:
      return BatchError::none;
    case CodecError::too_large:
      return BatchError::message_too_large;
    case CodecError::unsupported:
      return BatchError::unsupported_compression_type;
    case CodecError::corrupt:
      return BatchError::corrupt_message;
  }
  return BatchError::corrupt_message;
}

}  // namespace weir::protocol::records
