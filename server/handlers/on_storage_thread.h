// Runs a handler on a storage thread instead of the network thread that read its request.
//
// Topic creation (CreateTopics, and Metadata when it auto-creates) and deletion, record
// deletion, partition and config changes end in a synced RocksDB write, and DescribeLogDirs
// asks RocksDB for sizes: on a network thread each would stall every other connection of
// that thread for an fsync.
// These requests are rare, so sharing the storage threads with fetch reads costs nothing
// measurable, while the network threads never block on the disk.
#pragma once

#include <asio.hpp>
#include <utility>

#include "server/handlers/request_context.h"

namespace weir::handlers {

template <Handler handler>
void on_storage_thread(RequestContext& context, ReplyCallback done) {
  context.services.store.submit_read([context, done = std::move(done)]() mutable {
    // The handler is synchronous: it calls back before returning, while `context` lives.
    handler(context, [executor = context.executor, done](Reply reply) {
      asio::post(executor, [done, reply = std::move(reply)]() mutable { done(std::move(reply)); });
    });
  });
}

}  // namespace weir::handlers
