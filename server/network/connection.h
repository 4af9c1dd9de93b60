// One client connection: reads size-prefixed frames, hands each to the request router
// and writes the replies back in request order, even when requests are pipelined and
// finish out of order (Kafka clients match responses to the oldest outstanding request).
// A connection lives on one network thread for its whole life, so its state needs no
// locks; every callback into it runs on that thread's executor.
//
// It also defends the broker against its client: it stops reading while too many
// requests or bytes are queued, reserves each frame's size from the broker-wide request
// memory budget before allocating it, and closes itself when the client is idle too
// long, sends a frame too slowly, or leaves a request unanswered too long.
//
// The stream type is a template parameter so a plaintext connection is a plain socket
// with no indirection; the TLS connection adds the handshake and OpenSSL's record layer.
#pragma once

#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "protocol/framing/frame_buffer.h"
#include "protocol/wire/types.h"
#include "server/network/admission.h"
#include "server/network/network_counters.h"
#include "server/network/reply.h"
#include "server/network/request_memory_budget.h"

namespace weir {

struct ConnectionLimits {
  std::int32_t max_request_bytes = 100 * 1024 * 1024;
  // Reading pauses while this many requests wait for their replies...
  int max_pending_requests = 1000;
  // ...or while the queued requests hold this many bytes.
  std::int64_t max_pending_request_bytes = 100 * 1024 * 1024;
  std::chrono::seconds idle_timeout{600};
  std::chrono::seconds request_timeout{30};
};

class RequestRouter {
 public:
  virtual ~RequestRouter() = default;
  // `frame` is the request without its size prefix; it stays alive until `done` runs.
  // `client_host` is the peer's address as Kafka shows it ("/127.0.0.1").
  virtual void route(std::shared_ptr<const protocol::FrameBuffer> frame,
                     asio::any_io_executor executor, std::string_view client_host,
                     ReplyCallback done) = 0;
};

// What every connection shares with the others. The pointers keep the shared parts alive
// for connections still referenced from storage callbacks after the broker has stopped.
struct ConnectionServices {
  RequestRouter& router;
  ConnectionLimits limits;
  std::shared_ptr<RequestMemoryBudget> memory_budget;
  std::shared_ptr<NetworkCounters> counters;
};

using PlaintextStream = asio::ip::tcp::socket;
using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

// What the broker asks of any connection, whatever its stream: the calls of a graceful
// shutdown. Each must run on the connection's own thread (post to socket_executor()).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;
  virtual void start() = 0;
  virtual void close(const std::string& reason) = 0;
  // Graceful shutdown: read no new request, finish the ones already read (a frame half
  // read is read to its end), send their replies, end the stream, and close once the
  // client has closed its side.
  virtual void drain() = 0;
  virtual asio::any_io_executor socket_executor() = 0;
  // Runs once, on this connection's thread, when it closes.
  void set_closed_listener(std::function<void()> listener) {
    closed_listener_ = std::move(listener);
  }

 protected:
  std::function<void()> closed_listener_;
};

// `final`, so the connection's calls to its own members are direct, not virtual.
template <typename Stream>
class BasicConnection final : public Connection {
 public:
  using Clock = std::chrono::steady_clock;

  BasicConnection(Stream stream, ConnectionSlot slot, const ConnectionServices& services);
  void start() override;
  void close(const std::string& reason) override;
  void drain() override;
  asio::any_io_executor socket_executor() override { return stream_.get_executor(); }
  const std::string& peer() const { return peer_; }

 private:
  static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

  struct PendingReply {
    bool completed = false;
    std::int16_t api_key = -1;
    std::int64_t request_bytes = 0;
    // Unset for requests that may legitimately wait longer than the request timeout.
    std::optional<Clock::time_point> deadline;
    Reply reply;
  };
  struct Deadline {
    Clock::time_point at = Clock::time_point::max();
    const char* reason = nullptr;
    NetworkCounters::Counter* counter = nullptr;
    NetworkCounters::Counter* request_counter = nullptr;  // the overdue request's API, if any
  };

  void handshake();
  void read_next_frame();
  bool should_pause_reading();
  void read_size_prefix(std::size_t filled);
  void reserve_body(std::int32_t size);
  void read_body(std::int32_t size);
  void dispatch(std::shared_ptr<protocol::FrameBuffer> frame);
  void complete(std::uint64_t sequence, Reply reply);
  void count_frame_error(FrameError error);
  void write_completed_replies();
  void discard_input();
  void close_if_drained();

  Deadline next_deadline() const;
  void schedule_timeout_check(Clock::time_point at);
  void check_timeouts();

  auto& socket() { return stream_.lowest_layer(); }
  std::shared_ptr<BasicConnection> self() {
    return std::static_pointer_cast<BasicConnection>(shared_from_this());
  }

  Stream stream_;
  ConnectionSlot slot_;
  RequestRouter& router_;
  const ConnectionLimits limits_;
  const std::shared_ptr<RequestMemoryBudget> memory_budget_;
  const std::shared_ptr<NetworkCounters> counters_;
  std::string peer_;
  std::string client_host_;

  std::array<std::byte, 4> size_prefix_{};
  std::deque<PendingReply> pending_;
  std::uint64_t first_pending_sequence_ = 0;
  std::int64_t pending_request_bytes_ = 0;
  std::vector<protocol::Bytes> frames_being_written_;

  bool handshaking_ = false;
  bool reading_ = false;
  bool frame_in_progress_ = false;  // part of a frame has arrived, the rest has not
  bool waiting_for_memory_ = false;
  bool paused_ = false;
  bool writing_ = false;
  bool draining_ = false;
  bool sent_end_of_stream_ = false;
  bool peer_finished_ = false;
  bool closed_ = false;

  asio::steady_timer timeout_timer_;
  std::uint64_t timer_generation_ = 0;
  std::optional<Clock::time_point> timer_expiry_;
  Clock::time_point last_activity_ = Clock::now();
  Clock::time_point frame_started_at_{};
  Clock::time_point write_started_at_{};

  // Only a draining connection discards input: allocated then, so the tens of thousands
  // of connections a broker may hold do not each carry 4 KiB they never use.
  std::unique_ptr<std::array<std::byte, 4096>> discard_buffer_;
  asio::steady_timer drain_grace_timer_;
};

using PlaintextConnection = BasicConnection<PlaintextStream>;
using TlsConnection = BasicConnection<TlsStream>;

extern template class BasicConnection<PlaintextStream>;
extern template class BasicConnection<TlsStream>;

}  // namespace weir
