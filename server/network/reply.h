// What a handler hands back to its connection for one request.
#pragma once

#include <functional>

#include "protocol/wire/types.h"

namespace weir {

// Why a request closed its connection, for weir_frame_errors_total.
enum class FrameError {
  malformed_header,     // the request header does not decode
  unsupported_api,      // an API key this broker does not serve
  unsupported_version,  // a served API at a version it does not serve
  malformed_body,       // the request body does not decode at its version
};

struct Reply {
  enum class Kind {
    frame,  // send `frame` (size prefix included) in request order
    none,   // no response on the wire (Produce with acks=0)
    close,  // the request was unacceptable: close the connection, as Kafka does
  };
  Kind kind = Kind::none;
  protocol::Bytes frame;
  FrameError frame_error = FrameError::malformed_body;  // Kind::close only

  static Reply send(protocol::Bytes frame) { return Reply{Kind::frame, std::move(frame)}; }
  static Reply no_response() { return Reply{Kind::none, {}}; }
  // Handlers close for a body that does not decode; the router passes its own reason.
  static Reply close_connection(FrameError why = FrameError::malformed_body) {
    return Reply{Kind::close, {}, why};
  }
};

// Completes one request. Must be invoked exactly once, on the connection's executor.
using ReplyCallback = std::function<void(Reply)>;

}  // namespace weir
