#include "bench/client/client_config.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace weir::bench {

namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

ClientProperties parse_key_values(const std::vector<std::string>& arguments) {
  ClientProperties properties;
  for (const auto& argument : arguments) {
    const auto equals = argument.find('=');
    if (equals == std::string::npos || equals == 0)
      throw std::invalid_argument("invalid property '" + argument + "': expected key=value");
    properties.emplace_back(argument.substr(0, equals), argument.substr(equals + 1));
  }
  return properties;
}

ClientProperties read_properties_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read properties file " + path);
  ClientProperties properties;
  std::string line;
  while (std::getline(file, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const auto separator = line.find_first_of("=:");
    if (separator == std::string::npos) {
      properties.emplace_back(line, "");
      continue;
    }
    properties.emplace_back(trim(line.substr(0, separator)), trim(line.substr(separator + 1)));
  }
  return properties;
}

void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char reason[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), reason, sizeof reason) !=
      RD_KAFKA_CONF_OK)
    throw std::invalid_argument(reason);
}

void apply_properties(rd_kafka_conf_t* conf, const ClientProperties& properties) {
  for (const auto& [key, value] : properties) {
    char reason[512];
    switch (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), reason, sizeof reason)) {
      case RD_KAFKA_CONF_OK:
        break;
      case RD_KAFKA_CONF_UNKNOWN:
        std::fprintf(stderr,
                     "WARN: the configuration '%s' was supplied but isn't a known config.\n",
                     key.c_str());
        break;
      case RD_KAFKA_CONF_INVALID:
        throw std::invalid_argument(reason);
    }
  }
}

bool has_property(const ClientProperties& properties, const std::string& key) {
  return std::any_of(properties.begin(), properties.end(),
                     [&](const auto& property) { return property.first == key; });
}

rd_kafka_t* create_client(rd_kafka_type_t type, const ClientProperties& properties,
                          const std::function<void(rd_kafka_conf_t*)>& configure) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    apply_properties(conf, properties);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  configure(conf);
  char reason[512];
  rd_kafka_t* client = rd_kafka_new(type, conf, reason, sizeof reason);
  if (!client) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(reason);
  }
  return client;
}

}  // namespace weir::bench
