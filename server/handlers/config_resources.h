// What DescribeConfigs, AlterConfigs, IncrementalAlterConfigs and CreateTopics (v5+)
// report about a config resource: each entry with its value, source, type, synonyms and
// documentation, built the way an Apache Kafka broker builds them, so admin tools
// display the same thing they display for Kafka.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/framing/error_code.h"
#include "server/config.h"
#include "storage/store.h"

namespace weir::handlers::configs {

// Kafka's ConfigResource.Type values.
inline constexpr std::int8_t resource_topic = 2;
inline constexpr std::int8_t resource_broker = 4;

// Kafka's DescribeConfigsResponse.ConfigSource values.
enum class ConfigSource : std::int8_t {
  unknown = 0,
  topic = 1,                   // DYNAMIC_TOPIC_CONFIG: an override set on the topic
  dynamic_broker = 2,          // DYNAMIC_BROKER_CONFIG
  dynamic_default_broker = 3,  // DYNAMIC_DEFAULT_BROKER_CONFIG
  static_broker = 4,           // STATIC_BROKER_CONFIG: set in the broker's configuration
  default_config = 5,          // DEFAULT_CONFIG: the built-in default
};

struct Synonym {
  std::string name;
  std::optional<std::string> value;
  ConfigSource source = ConfigSource::default_config;
};

struct Entry {
  std::string name;
  std::optional<std::string> value;
  bool read_only = false;
  ConfigSource source = ConfigSource::default_config;
  std::int8_t type = 0;  // DescribeConfigs ConfigType (BOOLEAN 1 ... LIST 7)
  std::string documentation;
  std::vector<Synonym> synonyms;  // most specific first, the entry's own source first
};

// Kafka broker config -> value, for the broker configs that stand behind a topic config
// (e.g. message.max.bytes behind max.message.bytes) and that a Weir setting sets to other
// than Kafka's default (MAX_MESSAGE_BYTES). Kafka reports those with source
// STATIC_BROKER_CONFIG, and a topic without its own override inherits their value.
using StaticBrokerConfigs = std::map<std::string, std::string, std::less<>>;
StaticBrokerConfigs static_broker_configs(const Config& config);

// Every topic config key (storage/topic_config.h), with the topic's overrides applied
// over the broker's static configs.
std::vector<Entry> describe_topic(const std::map<std::string, std::string>& overrides,
                                  const StaticBrokerConfigs& broker = {});

// The broker's configuration as Kafka names it: identity, listeners and the other Kafka
// configs a Weir setting stands for, from Config, and the broker-level default behind
// every topic config (its effective value when a setting changes it). All read-only:
// Weir's broker configuration is static, set at start-up.
std::vector<Entry> describe_broker(const Config& config, const std::string& log_dir);

// The result of changing one resource's configs, as AlterConfigs responses carry it.
struct AlterOutcome {
  protocol::ErrorCode error = protocol::ErrorCode::none;
  std::optional<std::string> message;  // null on success, as Kafka sends it
};

// Checks that the topic exists and names a valid topic; fills *overrides with its current
// overrides. Returns the failure, or nullopt.
std::optional<AlterOutcome> load_topic_overrides(const storage::Store& store,
                                                 const std::string& topic,
                                                 std::map<std::string, std::string>* overrides);

// Validates the topic's complete new set of overrides (INVALID_CONFIG with Kafka's message
// for an unknown key or a bad value) and, unless validate_only, stores it.
AlterOutcome store_topic_overrides(storage::Store& store, const std::string& topic,
                                   std::map<std::string, std::string> overrides,
                                   bool validate_only);

// Weir's broker configuration is static (set at start-up); Kafka answers a change of a
// config it cannot update dynamically with INVALID_REQUEST, and so does Weir.
AlterOutcome refuse_broker_change(const Config& config, const std::string& broker,
                                  const std::vector<std::string>& keys);

// An unsupported resource type (groups, client metrics, broker loggers).
AlterOutcome refuse_resource_type(std::int8_t resource_type);

// AlterConfigs and IncrementalAlterConfigs differ only in how a topic's new overrides
// are computed (`alter_topic(resource)`); brokers and unknown resource types are refused
// the same way, and both answer one result per resource.
template <typename Resource, typename AlterTopic>
AlterOutcome alter_resource(const Config& config, const Resource& resource,
                            AlterTopic& alter_topic) {
  if (resource.resource_type == resource_topic) return alter_topic(resource);
  if (resource.resource_type == resource_broker) {
    std::vector<std::string> keys;
    for (const auto& entry : resource.configs) keys.push_back(entry.name);
    return refuse_broker_change(config, resource.resource_name, keys);
  }
  return refuse_resource_type(resource.resource_type);
}

template <typename Response, typename Request, typename AlterTopic>
Response alter_resources(const Config& config, const Request& request, AlterTopic alter_topic) {
  Response response;
  for (const auto& resource : request.resources) {
    AlterOutcome outcome = alter_resource(config, resource, alter_topic);
    typename decltype(response.responses)::value_type result;
    result.error_code = protocol::code(outcome.error);
    result.error_message = outcome.message;
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    response.responses.push_back(std::move(result));
  }
  return response;
}

}  // namespace weir::handlers::configs
