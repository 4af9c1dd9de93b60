// A broker without sockets for unit tests of the handlers: the real router, handlers,
// group coordinator and a Store in a temporary folder, served on the calling thread.
// Requests go in as encoded frames and responses come back decoded at the same version.
#pragma once

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "protocol/framing/request.h"
#include "protocol/generated/api_keys.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"
#include "server/broker_metrics.h"
#include "server/dispatch/router.h"
#include "server/groups/coordinator_thread.h"
#include "server/handlers/fetch_waiters.h"

namespace weir::testing {

using namespace weir::protocol;

class TempFolder {
 public:
  TempFolder() {
    std::random_device random;
    path_ =
        std::filesystem::temp_directory_path() / ("weir-unit-broker-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class InProcessBroker {
 public:
  explicit InProcessBroker(std::string client_id = "unit-test") : client_id_(std::move(client_id)) {
    config_.storage_path = (folder_.path() / "data").string();
    config_.advertised_address = {"127.0.0.1", 9092};
    storage::StoreOptions options;
    options.path = config_.storage_path;
    std::string error;
    store_ = storage::Store::open(options, &error);
    REQUIRE(store_ != nullptr);
    groups_ = std::make_unique<GroupCoordinatorThread>(groups::CoordinatorOptions{}, *store_);
    groups_->start();
    services_ = std::make_unique<BrokerServices>(
        BrokerServices{config_, *store_, waiters_, *groups_, metrics_});
    router_ = std::make_unique<Router>(*services_);
  }

  storage::Store& store() { return *store_; }

  // Sends `request` at `version` and decodes the response at the same version.
  template <typename Response, typename Request>
  Response call(const Request& request, std::int16_t version) {
    const std::int16_t api_key = Request::api_key;
    Writer writer;
    RequestHeader header;
    header.request_api_key = api_key;
    header.request_api_version = version;
    header.correlation_id = ++correlation_id_;
    header.client_id = client_id_;
    header.encode(writer, request_header_version(api_key, version));
    request.encode(writer, version);
    auto frame = std::make_shared<const protocol::FrameBuffer>(
        protocol::FrameBuffer::copy_of(writer.take()));

    std::optional<Reply> reply;
    router_->route(frame, io_.get_executor(), client_host_,
                   [&](Reply answer) { reply = std::move(answer); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!reply && std::chrono::steady_clock::now() < deadline)
      io_.run_one_for(std::chrono::milliseconds(20));
    REQUIRE(reply);
    REQUIRE(reply->kind == Reply::Kind::frame);

    response_bytes_ = std::move(reply->frame);
    Reader reader{BytesView(response_bytes_)};
    REQUIRE(reader.read_int32() == static_cast<std::int32_t>(response_bytes_.size() - 4));
    REQUIRE(reader.read_int32() == header.correlation_id);
    if (response_header_version(api_key, version) == 1) {
      for (std::uint32_t field = reader.read_tagged_field_count(); field > 0; --field) {
        reader.read_unsigned_varint();
        reader.read_tagged_field_payload();
      }
    }
    Response response;
    REQUIRE(response.decode(reader, version));
    REQUIRE(reader.ok());
    CHECK(reader.remaining() == 0);
    return response;
  }

 private:
  std::string client_id_;
  std::string client_host_ = "/127.0.0.1";  // what a loopback connection reports
  TempFolder folder_;
  Config config_;
  std::unique_ptr<storage::Store> store_;
  FetchWaiters waiters_;
  metrics::Registry metrics_registry_;
  BrokerMetrics metrics_{metrics_registry_};
  // Declared after store_ so that it stops first: its writes go to the store.
  std::unique_ptr<GroupCoordinatorThread> groups_;
  std::unique_ptr<BrokerServices> services_;
  std::unique_ptr<Router> router_;
  asio::io_context io_;
  // Keeps io_ from stopping between requests (it stops once it runs out of work).
  asio::executor_work_guard<asio::io_context::executor_type> keep_running_ =
      asio::make_work_guard(io_);
  std::int32_t correlation_id_ = 0;
  Bytes response_bytes_;  // views in the last decoded response point here
};

}  // namespace weir::testing
