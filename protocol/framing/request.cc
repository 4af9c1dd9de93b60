#include "protocol/framing/request.h"

#include "protocol/generated/api_keys.h"
#include "protocol/generated/response_header.h"
#include "protocol/wire/reader.h"

namespace weir::protocol {

namespace {

constexpr std::int16_t api_versions_key = 18;
constexpr std::int16_t first_flexible_api_versions = 3;

std::int16_t header_version_for(std::int16_t api_key, std::int16_t api_version) {
  // KIP-511: an ApiVersions request newer than we know must still be answered (with
  // UNSUPPORTED_VERSION), so its header is parsed as the newest flexible header.
  if (api_key == api_versions_key && api_version >= first_flexible_api_versions) return 2;
  return request_header_version(api_key, api_version);
}

}  // namespace

RequestParseError parse_request(BytesView frame, ParsedRequest* out) {
  Reader peek(frame);
  const std::int16_t api_key = peek.read_int16();
  const std::int16_t api_version = peek.read_int16();
  if (!peek.ok()) return RequestParseError::malformed_header;
  const std::int16_t header_version = header_version_for(api_key, api_version);
  if (header_version < 0) {
    out->header.request_api_key = api_key;
    out->header.request_api_version = api_version;
    Reader correlation(frame.subspan(4));
    out->header.correlation_id = correlation.read_int32();
    return RequestParseError::unknown_api_key_or_version;
  }
  Reader reader(frame);
  if (!out->header.decode(reader, header_version) || !reader.ok())
    return RequestParseError::malformed_header;
  out->body = frame.subspan(reader.position());
  return RequestParseError::none;
}

void begin_response_frame(Writer& writer, std::int32_t correlation_id, std::int16_t api_key,
                          std::int16_t api_version) {
  writer.write_int32(0);  // size, patched by finish_response_frame
  ResponseHeader header;
  header.correlation_id = correlation_id;
  header.encode(writer, response_header_version(api_key, api_version));
}

void finish_response_frame(Writer& writer) {
  writer.patch_int32(0, static_cast<std::int32_t>(writer.size() - 4));
}

}  // namespace weir::protocol
