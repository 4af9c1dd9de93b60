// How group handlers talk to the coordinator: the work runs on the coordinator's thread,
// and the reply travels back to the connection's executor, where `done` must run.
#pragma once

#include "server/groups/coordinator_thread.h"
#include "server/handlers/request_context.h"

namespace weir::handlers {

inline void reply_from_coordinator(const RequestContext& context, const ReplyCallback& done,
                                   Reply reply) {
  asio::post(context.executor,
             [done, reply = std::move(reply)]() mutable { done(std::move(reply)); });
}

// `serve(coordinator, now)` returns the response to encode; for requests answered at once.
template <typename Serve>
void answer_on_coordinator(RequestContext& context, ReplyCallback done, Serve serve) {
  context.services.groups.post([context, done = std::move(done), serve = std::move(serve)](
                                   groups::Coordinator& coordinator, groups::TimePoint now) {
    reply_from_coordinator(context, done, encode_reply(context, serve(coordinator, now)));
  });
}

}  // namespace weir::handlers
