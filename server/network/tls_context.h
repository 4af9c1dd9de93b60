// Builds the OpenSSL context of the TLS listener from the TLS_* settings.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>

#include "server/config.h"

namespace weir {

// Throws std::runtime_error naming the setting at fault ("TLS_KEY_PATH: ...") with
// OpenSSL's reason; messages never contain key material, only paths and reasons.
std::unique_ptr<asio::ssl::context> make_tls_context(const Config& config);

}  // namespace weir
