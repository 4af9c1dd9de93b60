#include "server/network/connection.h"

#include <fmt/format.h>

#include "protocol/framing/frame.h"
#include "server/log.h"

namespace weir {
namespace {

// How long a drained connection waits for the client to close after the broker ended
// its side; clients that react to end-of-file close within milliseconds.
constexpr auto drain_grace_period = std::chrono::seconds(1);

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, RequestRouter& router, ConnectionLimits limits)
    : socket_(std::move(socket)), router_(router), limits_(limits), drain_grace_timer_(socket_.get_executor()) {
  asio::error_code error;
  auto endpoint = socket_.remote_endpoint(error);
  peer_ = error ? "unknown" : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
}

void Connection::start() {
  log::event(log::Level::debug, "connection opened", {{"peer", peer_}});
  read_size_prefix();
}

void Connection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  log::event(log::Level::debug, "connection closed", {{"peer", peer_}, {"reason", reason}});
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  drain_grace_timer_.cancel();
  if (closed_listener_) std::exchange(closed_listener_, nullptr)();
}

void Connection::drain() {
  if (closed_ || draining_) return;
  draining_ = true;
  // A read in progress carries on: a frame half read is finished and answered, and a
  // size prefix completing now is discarded by its handler.
  discard_input();
  close_if_drained();
}

// While draining, bytes the client still sends are read and dropped rather than left in
// the socket: closing a socket with unread input makes the kernel send a reset, which
// can destroy replies still in flight to the client.
void Connection::discard_input() {
  if (closed_ || reading_) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(discard_buffer_),
                          [self = shared_from_this()](const asio::error_code& error, std::size_t) {
                            self->reading_ = false;
                            if (!error) return self->discard_input();
                            self->peer_finished_ = true;
                            self->close_if_drained();
                          });
}

// Once every request read has been answered, end our side of the stream (the client
// sees end-of-file after its last reply) and close when the client has closed its side,
// or after a short grace period for a client that keeps its side open.
void Connection::close_if_drained() {
  if (closed_ || !draining_ || reading_body_ || writing_ || !pending_.empty() || !frames_being_written_.empty())
    return;
  if (peer_finished_) return close("broker shutting down");
  if (sent_end_of_stream_) return;
  sent_end_of_stream_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  drain_grace_timer_.expires_after(drain_grace_period);
  drain_grace_timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (!error) self->close("broker shutting down, client did not close");
  });
}

bool Connection::should_pause_reading() const {
  return static_cast<int>(pending_.size()) >= limits_.max_pending_requests;
}

void Connection::read_size_prefix() {
  if (closed_) return;
  if (draining_) {
    discard_input();
    return close_if_drained();
  }
  if (reading_) return;
  if (should_pause_reading()) return;  // resumed by write_completed_replies
  reading_ = true;
  asio::async_read(socket_, asio::buffer(size_prefix_),
                   [self = shared_from_this()](const asio::error_code& error, std::size_t) {
                     self->reading_ = false;
                     if (self->draining_) {
                       self->peer_finished_ = self->peer_finished_ || static_cast<bool>(error);
                       if (!error) self->discard_input();
                       return self->close_if_drained();
                     }
                     if (error) return self->close(error == asio::error::eof ? "peer closed" : error.message());
                     const std::int32_t size = protocol::read_frame_size(self->size_prefix_);
                     auto status = protocol::check_frame_size(size, self->limits_.max_request_bytes);
                     if (status != protocol::FrameSizeStatus::ok)
                       return self->close(fmt::format("{} ({} bytes)", protocol::describe(status), size));
                     self->read_body(size);
                   });
}

void Connection::read_body(std::int32_t size) {
  auto frame = std::make_shared<protocol::Bytes>(static_cast<std::size_t>(size));
  reading_ = true;
  reading_body_ = true;
  asio::async_read(socket_, asio::buffer(frame->data(), frame->size()),
                   [self = shared_from_this(), frame](const asio::error_code& error, std::size_t) {
                     self->reading_ = false;
                     self->reading_body_ = false;
                     if (error) return self->close(error == asio::error::eof ? "peer closed mid-frame" : error.message());
                     self->dispatch(frame);
                     self->read_size_prefix();
                   });
}

void Connection::dispatch(std::shared_ptr<protocol::Bytes> frame) {
  const std::uint64_t sequence = first_pending_sequence_ + pending_.size();
  pending_.emplace_back();
  router_.route(std::move(frame), socket_.get_executor(),
                [self = shared_from_this(), sequence](Reply reply) { self->complete(sequence, std::move(reply)); });
}

void Connection::complete(std::uint64_t sequence, Reply reply) {
  if (closed_) return;
  if (reply.kind == Reply::Kind::close) return close("request refused");
  PendingReply& slot = pending_[sequence - first_pending_sequence_];
  slot.completed = true;
  slot.reply = std::move(reply);
  write_completed_replies();
}

void Connection::write_completed_replies() {
  if (closed_ || writing_) return;
  while (!pending_.empty() && pending_.front().completed) {
    Reply& reply = pending_.front().reply;
    if (reply.kind == Reply::Kind::frame) frames_being_written_.push_back(std::move(reply.frame));
    pending_.pop_front();
    ++first_pending_sequence_;
  }
  if (frames_being_written_.empty()) {
    read_size_prefix();
    return;
  }
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(frames_being_written_.size());
  for (const auto& frame : frames_being_written_) buffers.emplace_back(frame.data(), frame.size());
  writing_ = true;
  asio::async_write(socket_, buffers, [self = shared_from_this()](const asio::error_code& error, std::size_t) {
    self->writing_ = false;
    self->frames_being_written_.clear();
    if (error) return self->close(error.message());
    self->write_completed_replies();
  });
}

}  // namespace weir
