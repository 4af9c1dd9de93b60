// Splits a request frame into its header and body, and frames responses. The header
// version depends on the API key and version (flexible versions use header v2), so the
// first four bytes are read before the rest of the header is decoded.
#pragma once

#include <cstdint>

#include "protocol/generated/request_header.h"
#include "protocol/wire/types.h"
#include "protocol/wire/writer.h"

namespace weir::protocol {

enum class RequestParseError { none, unknown_api_key_or_version, malformed_header };

struct ParsedRequest {
  RequestHeader header;
  BytesView body;
};

// `frame` is the bytes after the size prefix. The body view points into `frame`.
RequestParseError parse_request(BytesView frame, ParsedRequest* out);

// Writes the size placeholder and the response header; the caller then encodes the body
// into the same writer and calls finish_response_frame.
void begin_response_frame(Writer& writer, std::int32_t correlation_id, std::int16_t api_key,
                          std::int16_t api_version);
void finish_response_frame(Writer& writer);

}  // namespace weir::protocol
