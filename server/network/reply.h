// What a handler hands back to its connection for one request.
#pragma once

#include <functional>

#include "protocol/wire/types.h"

namespace weir {

struct Reply {
  enum class Kind {
    frame,  // send `frame` (size prefix included) in request order
    none,   // no response on the wire (Produce with acks=0)
    close,  // the request was unacceptable: close the connection, as Kafka does
  };
  Kind kind = Kind::none;
  protocol::Bytes frame;

  static Reply send(protocol::Bytes frame) { return Reply{Kind::frame, std::move(frame)}; }
  static Reply no_response() { return Reply{Kind::none, {}}; }
  static Reply close_connection() { return Reply{Kind::close, {}}; }
};

// Completes one request. Must be invoked exactly once, on the connection's executor.
using ReplyCallback = std::function<void(Reply)>;

}  // namespace weir
