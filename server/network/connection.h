// One client connection: reads size-prefixed frames, hands each to the request router
// and writes the replies back in request order, even when requests are pipelined and
// finish out of order (Kafka clients match responses to the oldest outstanding request).
// A connection lives on one network thread for its whole life, so its state needs no
// locks; every callback into it runs on that thread's executor.
#pragma once

#include <array>
#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "protocol/wire/types.h"
#include "server/network/reply.h"

namespace weir {

struct ConnectionLimits {
  std::int32_t max_request_bytes = 100 * 1024 * 1024;
  // Reading pauses while this many requests wait for their replies.
  int max_pending_requests = 1000;
};

class RequestRouter {
 public:
  virtual ~RequestRouter() = default;
  // `frame` is the request without its size prefix; it stays alive until `done` runs.
  virtual void route(std::shared_ptr<const protocol::Bytes> frame, asio::any_io_executor executor,
                     ReplyCallback done) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, RequestRouter& router, ConnectionLimits limits);
  void start();
  void close(const std::string& reason);
  // Graceful shutdown: read no new request, finish the ones already read (a frame half
  // read is read to its end), send their replies, end the stream, and close once the
  // client has closed its side.
  void drain();
  // Runs once, on this connection's thread, when it closes.
  void set_closed_listener(std::function<void()> listener) { closed_listener_ = std::move(listener); }
  const std::string& peer() const { return peer_; }
  asio::any_io_executor socket_executor() { return socket_.get_executor(); }

 private:
  struct PendingReply {
    bool completed = false;
    Reply reply;
  };

  void read_size_prefix();
  void read_body(std::int32_t size);
  void dispatch(std::shared_ptr<protocol::Bytes> frame);
  void complete(std::uint64_t sequence, Reply reply);
  void write_completed_replies();
  bool should_pause_reading() const;
  void discard_input();
  void close_if_drained();

  asio::ip::tcp::socket socket_;
  RequestRouter& router_;
  ConnectionLimits limits_;
  std::string peer_;
  std::array<std::byte, 4> size_prefix_{};
  std::deque<PendingReply> pending_;
  std::uint64_t first_pending_sequence_ = 0;
  std::vector<protocol::Bytes> frames_being_written_;
  bool writing_ = false;
  bool reading_ = false;
  bool reading_body_ = false;
  bool draining_ = false;
  bool sent_end_of_stream_ = false;
  bool peer_finished_ = false;
  std::array<std::byte, 4096> discard_buffer_{};
  asio::steady_timer drain_grace_timer_;
  bool closed_ = false;
  std::function<void()> closed_listener_;
};

}  // namespace weir
