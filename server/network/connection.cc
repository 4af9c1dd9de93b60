#include "server/network/connection.h"

#include <fmt/format.h>

#include "protocol/framing/frame.h"
#include "server/log.h"

namespace weir {
namespace {

// JoinGroup is answered only when the group's rebalance completes, which by design may
// take up to the group's rebalance timeout (minutes); Kafka's own clients wait that long.
constexpr std::int16_t join_group_api_key = 11;

std::int16_t api_key_of(const protocol::FrameBuffer& frame) {
  if (frame.size() < 2) return -1;
  return static_cast<std::int16_t>((std::to_integer<unsigned>(frame.data()[0]) << 8) |
                                   std::to_integer<unsigned>(frame.data()[1]));
}

// How long a drained connection waits for the client to close after the broker ended
// its side; clients that react to end-of-file close within milliseconds.
constexpr auto drain_grace_period = std::chrono::seconds(1);

std::string describe_read_error(const asio::error_code& error, bool mid_frame) {
  if (error == asio::error::eof) return mid_frame ? "peer closed mid-frame" : "peer closed";
  return error.message();
}

}  // namespace

template <typename Stream>
BasicConnection<Stream>::BasicConnection(Stream stream, ConnectionSlot slot,
                                         const ConnectionServices& services)
    : stream_(std::move(stream)),
      slot_(std::move(slot)),
      router_(services.router),
      limits_(services.limits),
      memory_budget_(services.memory_budget),
      counters_(services.counters),
      timeout_timer_(stream_.get_executor()),
      drain_grace_timer_(stream_.get_executor()) {
  asio::error_code error;
  auto endpoint = socket().remote_endpoint(error);
  peer_ = error ? "unknown" : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  // Java's InetAddress.toString() of an address without a resolved name, as Kafka reports it.
  client_host_ = error ? "" : "/" + endpoint.address().to_string();
  socket().set_option(asio::ip::tcp::no_delay(true), error);
}

template <typename Stream>
void BasicConnection<Stream>::start() {
  log::event(log::Level::debug, "connection opened",
             {{"peer", peer_}, {"tls", is_tls ? "true" : "false"}});
  last_activity_ = Clock::now();
  if constexpr (is_tls) {
    handshake();
  } else {
    read_next_frame();
  }
  schedule_timeout_check(next_deadline().at);
}

template <typename Stream>
void BasicConnection<Stream>::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  log::event(log::Level::debug, "connection closed", {{"peer", peer_}, {"reason", reason}});
  ++timer_generation_;
  timeout_timer_.cancel();
  drain_grace_timer_.cancel();
  asio::error_code ignored;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
  // The admission slot is free as soon as the socket is, even if callbacks still hold us.
  slot_ = ConnectionSlot{};
  std::int64_t unanswered = 0;
  for (const auto& pending : pending_) unanswered += pending.completed ? 0 : 1;
  counters_->requests_pending.fetch_sub(unanswered, std::memory_order_relaxed);
  if (closed_listener_) std::exchange(closed_listener_, nullptr)();
}

template <typename Stream>
void BasicConnection<Stream>::drain() {
  if (closed_ || draining_) return;
  draining_ = true;
  // A handshake has read no request: nothing to answer.
  if (handshaking_) return close("broker shutting down");
  // A read in progress carries on: a frame half read is finished and answered, and a
  // size prefix starting now is discarded by its handler.
  discard_input();
  close_if_drained();
}

// While draining, bytes the client still sends are read and dropped rather than left in
// the socket: closing a socket with unread input makes the kernel send a reset, which
// can destroy replies still in flight to the client.
template <typename Stream>
void BasicConnection<Stream>::discard_input() {
  if (closed_ || reading_) return;
  reading_ = true;
  if (!discard_buffer_) discard_buffer_ = std::make_unique<std::array<std::byte, 4096>>();
  stream_.async_read_some(asio::buffer(*discard_buffer_),
                          [self = self()](const asio::error_code& error, std::size_t) {
                            self->reading_ = false;
                            if (self->closed_) return;
                            if (!error) return self->discard_input();
                            self->peer_finished_ = true;
                            self->close_if_drained();
                          });
}

// Once every request read has been answered, end our side of the stream (the client
// sees end-of-file after its last reply) and close when the client has closed its side,
// or after a short grace period for a client that keeps its side open.
template <typename Stream>
void BasicConnection<Stream>::close_if_drained() {
  if (closed_ || !draining_ || frame_in_progress_ || writing_ || !pending_.empty() ||
      !frames_being_written_.empty())
    return;
  if (peer_finished_) return close("broker shutting down");
  if (sent_end_of_stream_) return;
  sent_end_of_stream_ = true;
  asio::error_code ignored;
  socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  drain_grace_timer_.expires_after(drain_grace_period);
  drain_grace_timer_.async_wait([self = self()](const asio::error_code& error) {
    if (!error) self->close("broker shutting down, client did not close");
  });
}

template <typename Stream>
void BasicConnection<Stream>::handshake() {
  if constexpr (is_tls) {
    handshaking_ = true;
    frame_started_at_ = Clock::now();
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = self()](const asio::error_code& error) {
                              self->handshaking_ = false;
                              if (self->closed_) return;
                              if (error) {
                                // OpenSSL's reason ("wrong version number", "peer did not return a
                                // certificate") says what went wrong without any key material.
                                bump(self->counters_->tls_handshake_failures);
                                log::event(log::Level::info, "TLS handshake failed",
                                           {{"peer", self->peer_}, {"reason", error.message()}});
                                return self->close("TLS handshake failed");
                              }
                              bump(self->counters_->tls_handshakes_completed);
                              self->last_activity_ = Clock::now();
                              self->read_next_frame();
                            });
  }
}

template <typename Stream>
bool BasicConnection<Stream>::should_pause_reading() {
  NetworkCounters::Counter* reason = nullptr;
  if (static_cast<int>(pending_.size()) >= limits_.max_pending_requests)
    reason = &counters_->paused_request_count;
  else if (pending_request_bytes_ >= limits_.max_pending_request_bytes)
    reason = &counters_->paused_connection_bytes;
  if (reason == nullptr) {
    paused_ = false;
    return false;
  }
  if (!paused_) {
    paused_ = true;
    bump(*reason);
    log::event(log::Level::debug, "connection paused reading",
               {{"peer", peer_},
                {"queued_requests", pending_.size()},
                {"queued_bytes", pending_request_bytes_}});
  }
  return true;
}

template <typename Stream>
void BasicConnection<Stream>::read_next_frame() {
  if (closed_) return;
  if (draining_) {
    discard_input();
    return close_if_drained();
  }
  if (reading_ || handshaking_) return;
  if (should_pause_reading()) return;  // resumed by write_completed_replies
  reading_ = true;
  read_size_prefix(0);
}

// The prefix is read piecewise so the first byte of a frame starts its clock: a client
// that sends two bytes of a size and stalls is a slow sender, not an idle connection.
template <typename Stream>
void BasicConnection<Stream>::read_size_prefix(std::size_t filled) {
  stream_.async_read_some(
      asio::buffer(size_prefix_.data() + filled, size_prefix_.size() - filled),
      [self = self(), filled](const asio::error_code& error, std::size_t count) {
        if (self->closed_) return;
        if (self->draining_ && filled == 0) {
          // A new request after the drain began: dropped, like all further input.
          self->reading_ = false;
          self->peer_finished_ = self->peer_finished_ || static_cast<bool>(error);
          if (!error) self->discard_input();
          return self->close_if_drained();
        }
        if (error) return self->close(describe_read_error(error, filled > 0));
        const auto now = Clock::now();
        self->last_activity_ = now;
        if (filled == 0) {
          self->frame_in_progress_ = true;
          self->frame_started_at_ = now;
          self->schedule_timeout_check(now + self->limits_.request_timeout);
        }
        if (filled + count < self->size_prefix_.size())
          return self->read_size_prefix(filled + count);
        const std::int32_t size = protocol::read_frame_size(self->size_prefix_);
        auto status = protocol::check_frame_size(size, self->limits_.max_request_bytes);
        if (status != protocol::FrameSizeStatus::ok) {
          bump(status == protocol::FrameSizeStatus::too_large
                   ? self->counters_->frame_too_large
                   : self->counters_->frame_invalid_size);
          return self->close(fmt::format("{} ({} bytes)", protocol::describe(status), size));
        }
        self->reserve_body(size);
      });
}

template <typename Stream>
void BasicConnection<Stream>::reserve_body(std::int32_t size) {
  auto granted = [self = self(), size] {
    self->waiting_for_memory_ = false;
    if (self->closed_) return self->memory_budget_->release(size);
    // The client has been waiting on us, not the other way round: its clock restarts.
    self->frame_started_at_ = Clock::now();
    self->schedule_timeout_check(self->frame_started_at_ + self->limits_.request_timeout);
    self->read_body(size);
  };
  if (memory_budget_->acquire_or_wait(size, stream_.get_executor(), std::move(granted)))
    return read_body(size);
  waiting_for_memory_ = true;
  bump(counters_->paused_global_memory);
  log::event(log::Level::debug, "connection waits for request memory",
             {{"peer", peer_}, {"frame_bytes", size}, {"budget_in_use", memory_budget_->in_use()}});
}

template <typename Stream>
void BasicConnection<Stream>::read_body(std::int32_t size) {
  auto frame = memory_budget_->make_buffer(size);
  asio::async_read(stream_, asio::buffer(frame->data(), frame->size()),
                   [self = self(), frame](const asio::error_code& error, std::size_t) {
                     if (self->closed_) return;
                     self->reading_ = false;
                     self->frame_in_progress_ = false;
                     if (error) return self->close(describe_read_error(error, true));
                     self->counters_->bytes_received.fetch_add(frame->size() + sizeof(std::int32_t),
                                                               std::memory_order_relaxed);
                     self->last_activity_ = Clock::now();
                     self->dispatch(frame);
                     self->read_next_frame();
                   });
}

template <typename Stream>
void BasicConnection<Stream>::dispatch(std::shared_ptr<protocol::FrameBuffer> frame) {
  const std::uint64_t sequence = first_pending_sequence_ + pending_.size();
  PendingReply& slot = pending_.emplace_back();
  slot.request_bytes = static_cast<std::int64_t>(frame->size());
  slot.api_key = api_key_of(*frame);
  counters_->requests_pending.fetch_add(1, std::memory_order_relaxed);
  if (slot.api_key != join_group_api_key) {
    slot.deadline = last_activity_ + limits_.request_timeout;
    schedule_timeout_check(*slot.deadline);
  }
  pending_request_bytes_ += slot.request_bytes;
  router_.route(
      std::move(frame), stream_.get_executor(), client_host_,
      [self = self(), sequence](Reply reply) { self->complete(sequence, std::move(reply)); });
}

template <typename Stream>
void BasicConnection<Stream>::complete(std::uint64_t sequence, Reply reply) {
  if (closed_) return;
  PendingReply& slot = pending_[sequence - first_pending_sequence_];
  slot.completed = true;
  counters_->requests_pending.fetch_sub(1, std::memory_order_relaxed);
  if (reply.kind == Reply::Kind::close) {
    count_frame_error(reply.frame_error);
    return close("request refused");
  }
  slot.reply = std::move(reply);
  pending_request_bytes_ -= slot.request_bytes;
  slot.request_bytes = 0;
  write_completed_replies();
}

template <typename Stream>
void BasicConnection<Stream>::count_frame_error(FrameError error) {
  switch (error) {
    case FrameError::malformed_header:
      return bump(counters_->frame_malformed_header);
    case FrameError::unsupported_api:
      return bump(counters_->frame_unsupported_api);
    case FrameError::unsupported_version:
      return bump(counters_->frame_unsupported_version);
    case FrameError::malformed_body:
      return bump(counters_->frame_malformed_body);
  }
}

template <typename Stream>
void BasicConnection<Stream>::write_completed_replies() {
  if (closed_ || writing_) return;
  while (!pending_.empty() && pending_.front().completed) {
    Reply& reply = pending_.front().reply;
    if (reply.kind == Reply::Kind::frame) frames_being_written_.push_back(std::move(reply.frame));
    pending_.pop_front();
    ++first_pending_sequence_;
  }
  if (frames_being_written_.empty()) {
    read_next_frame();
    return;
  }
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(frames_being_written_.size());
  for (const auto& frame : frames_being_written_) buffers.emplace_back(frame.data(), frame.size());
  writing_ = true;
  write_started_at_ = Clock::now();
  schedule_timeout_check(write_started_at_ + limits_.request_timeout);
  asio::async_write(stream_, buffers,
                    [self = self()](const asio::error_code& error, std::size_t written) {
                      self->counters_->bytes_sent.fetch_add(written, std::memory_order_relaxed);
                      self->writing_ = false;
                      self->frames_being_written_.clear();
                      if (self->closed_) return;
                      if (error) return self->close(error.message());
                      self->last_activity_ = Clock::now();
                      self->write_completed_replies();
                    });
}

template <typename Stream>
typename BasicConnection<Stream>::Deadline BasicConnection<Stream>::next_deadline() const {
  Deadline next;
  auto consider = [&](Clock::time_point at, const char* reason, NetworkCounters::Counter& counter) {
    if (at < next.at) next = Deadline{at, reason, &counter};
  };
  const auto request_timeout = limits_.request_timeout;
  if (handshaking_)
    consider(frame_started_at_ + request_timeout,
             "TLS handshake not completed within REQUEST_TIMEOUT_SECS",
             counters_->tls_handshake_failures);
  if (frame_in_progress_ && !waiting_for_memory_)
    consider(frame_started_at_ + request_timeout, "frame not completed within REQUEST_TIMEOUT_SECS",
             counters_->closed_partial_frame_timeout);
  for (const auto& slot : pending_) {
    if (slot.completed || !slot.deadline || *slot.deadline >= next.at) continue;
    consider(*slot.deadline, "request not answered within REQUEST_TIMEOUT_SECS",
             counters_->closed_request_timeout);
    if (slot.api_key >= 0 &&
        static_cast<std::size_t>(slot.api_key) < NetworkCounters::api_key_slots)
      next.request_counter =
          &counters_->request_timeouts_by_api[static_cast<std::size_t>(slot.api_key)];
  }
  if (writing_)
    consider(write_started_at_ + request_timeout,
             "replies not read by the client within REQUEST_TIMEOUT_SECS",
             counters_->closed_request_timeout);
  const bool idle =
      !handshaking_ && !frame_in_progress_ && !waiting_for_memory_ && pending_.empty() && !writing_;
  if (idle)
    consider(last_activity_ + limits_.idle_timeout, "idle for IDLE_TIMEOUT_SECS",
             counters_->closed_idle);
  return next;
}

// One timer per connection, armed for the earliest deadline that may apply. Activity
// only moves deadlines later, which the timer discovers when it fires; it is re-armed
// early only when a shorter clock starts (a frame, a request, a write).
template <typename Stream>
void BasicConnection<Stream>::schedule_timeout_check(Clock::time_point at) {
  if (closed_ || at == Clock::time_point::max()) return;
  if (timer_expiry_ && *timer_expiry_ <= at) return;
  timer_expiry_ = at;
  timeout_timer_.expires_at(at);
  timeout_timer_.async_wait(
      [self = self(), generation = ++timer_generation_](const asio::error_code&) {
        if (generation != self->timer_generation_) return;  // superseded or closed
        self->timer_expiry_.reset();
        self->check_timeouts();
      });
}

template <typename Stream>
void BasicConnection<Stream>::check_timeouts() {
  if (closed_) return;
  const Deadline next = next_deadline();
  if (next.reason != nullptr && Clock::now() >= next.at) {
    bump(*next.counter);
    if (next.request_counter != nullptr) bump(*next.request_counter);
    return close(next.reason);
  }
  schedule_timeout_check(next.at);
}

template class BasicConnection<PlaintextStream>;
template class BasicConnection<TlsStream>;

}  // namespace weir
