#include "server/network/tls_context.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string_view>

namespace weir {
namespace {

template <typename Step>
void configure(std::string_view setting, std::string_view path, Step step) {
  asio::error_code error;
  step(error);
  if (error)
    throw std::runtime_error(
        fmt::format("{}: cannot use '{}': {}", setting, path, error.message()));
}

// Any stable id works; OpenSSL refuses to resume sessions of a context that verifies
// peers unless one is set.
constexpr unsigned char session_id_context[] = "weir";

}  // namespace

std::unique_ptr<asio::ssl::context> make_tls_context(const Config& config) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  const int min_version =
      config.tls_min_version == TlsVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(native, min_version) != 1)
    throw std::runtime_error("TLS_MIN_VERSION: OpenSSL refused the minimum version");
  if (!config.tls_ciphers.empty() &&
      SSL_CTX_set_cipher_list(native, config.tls_ciphers.c_str()) != 1)
    throw std::runtime_error(
        fmt::format("TLS_CIPHERS: '{}' selects no cipher OpenSSL knows", config.tls_ciphers));

  configure("TLS_CERT_PATH", config.tls_cert_path, [&](asio::error_code& error) {
    context->use_certificate_chain_file(config.tls_cert_path, error);
  });
  configure("TLS_KEY_PATH", config.tls_key_path, [&](asio::error_code& error) {
    context->use_private_key_file(config.tls_key_path, asio::ssl::context::pem, error);
  });
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::runtime_error(
        fmt::format("TLS_KEY_PATH: the key in '{}' does not match the certificate in '{}'",
                    config.tls_key_path, config.tls_cert_path));

  if (!config.tls_ca_path.empty()) {
    configure("TLS_CA_PATH", config.tls_ca_path, [&](asio::error_code& error) {
      context->load_verify_file(config.tls_ca_path, error);
    });
    SSL_CTX_set_session_id_context(native, session_id_context, sizeof(session_id_context) - 1);
  }
  // With a CA but no requirement, a client certificate is optional and checked if sent.
  asio::ssl::verify_mode mode = asio::ssl::verify_none;
  if (!config.tls_ca_path.empty()) mode = asio::ssl::verify_peer;
  if (config.tls_require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
  context->set_verify_mode(mode);
  return context;
}

}  // namespace weir
