#include "server/dispatch/router.h"

#include <chrono>

#include "protocol/framing/error_code.h"
#include "protocol/generated/api_keys.h"
#include "server/dispatch/api_table.h"
#include "server/handlers/handlers.h"
#include "server/log.h"

namespace weir {
namespace {

constexpr std::int16_t api_versions_key = 18;

bool version_served(const ApiEntry* api, std::int16_t version) {
  return api != nullptr && version >= api->min_version && version <= api->max_version;
}

}  // namespace

void Router::route(std::shared_ptr<const protocol::FrameBuffer> frame,
                   asio::any_io_executor executor, std::string_view client_host,
                   ReplyCallback done) {
  protocol::ParsedRequest parsed;
  auto error = protocol::parse_request(frame->view(), &parsed);
  const auto& header = parsed.header;
  if (error == protocol::RequestParseError::malformed_header) {
    log::debug("malformed request header");
    return done(Reply::close_connection(FrameError::malformed_header));
  }
  const ApiEntry* api = find_served_api(header.request_api_key);
  if (error != protocol::RequestParseError::none ||
      !version_served(api, header.request_api_version)) {
    if (header.request_api_key == api_versions_key) {
      services_.metrics.count_error(api_versions_key,
                                    protocol::code(protocol::ErrorCode::unsupported_version));
      return done(handlers::unsupported_api_versions_reply(header.correlation_id));
    }
    log::debug("unsupported request api_key={} version={}", header.request_api_key,
               header.request_api_version);
    return done(Reply::close_connection(api == nullptr ? FrameError::unsupported_api
                                                       : FrameError::unsupported_version));
  }
  RequestContext context{services_,        parsed.header,       parsed.body,
                         std::move(frame), std::move(executor), std::string(client_host)};
  const BrokerMetrics::ApiSeries* series = services_.metrics.api(header.request_api_key);
  series->requests.add();
  api->handle(context, [series, started = std::chrono::steady_clock::now(),
                        done = std::move(done)](Reply reply) {
    series->latency_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    done(std::move(reply));
  });
}

}  // namespace weir
