#include "server/handlers/config_resources.h"

#include <fmt/format.h>

#include <set>
#include <string_view>

#include "server/handlers/storage_errors.h"
#include "storage/topic_config.h"

namespace weir::handlers::configs {
namespace {

// Broker keys whose Kafka default differs from the topic default they stand behind
// (hours rather than milliseconds), or is unset. Kafka lists only synonyms with a value.
std::optional<std::string> broker_default(std::string_view broker_key,
                                          std::string_view topic_default) {
  static const std::map<std::string_view, std::optional<std::string>> differing = {
      {"log.retention.ms", std::nullopt},
      {"log.retention.minutes", std::nullopt},
      {"log.retention.hours", "168"},
      {"log.roll.ms", std::nullopt},
      {"log.roll.hours", "168"},
      {"log.roll.jitter.ms", std::nullopt},
      {"log.roll.jitter.hours", "0"},
      {"log.flush.interval.ms", std::nullopt},
      {"log.flush.scheduler.interval.ms", "9223372036854775807"},
  };
  auto found = differing.find(broker_key);
  if (found != differing.end()) return found->second;
  return std::string(topic_default);
}

std::vector<Synonym> broker_synonyms(const storage::TopicConfigDefinition& definition,
                                     const StaticBrokerConfigs& broker) {
  std::vector<Synonym> synonyms;
  for (auto key : definition.broker_synonyms) {
    if (auto set = broker.find(key); set != broker.end()) {
      synonyms.push_back({std::string(key), set->second, ConfigSource::static_broker});
      continue;
    }
    auto value = broker_default(key, definition.default_value);
    if (value) synonyms.push_back({std::string(key), value, ConfigSource::default_config});
  }
  return synonyms;
}

Entry broker_entry(std::string name, std::string value, bool is_default, std::int8_t type,
                   std::string documentation) {
  Entry entry;
  entry.name = std::move(name);
  entry.value = value;
  entry.read_only = true;
  entry.source = is_default ? ConfigSource::default_config : ConfigSource::static_broker;
  entry.type = type;
  entry.documentation = std::move(documentation);
  entry.synonyms.push_back({entry.name, std::move(value), entry.source});
  return entry;
}

}  // namespace

StaticBrokerConfigs static_broker_configs(const Config& config) {
  const Config defaults;
  StaticBrokerConfigs set;
  if (config.max_message_bytes != defaults.max_message_bytes)
    set.emplace("message.max.bytes", std::to_string(config.max_message_bytes));
  return set;
}

std::vector<Entry> describe_topic(const std::map<std::string, std::string>& overrides,
                                  const StaticBrokerConfigs& broker) {
  std::vector<Entry> entries;
  for (const auto& definition : storage::topic_config_definitions()) {
    Entry entry;
    entry.name = std::string(definition.name);
    entry.type = static_cast<std::int8_t>(definition.type);
    entry.documentation = std::string(definition.documentation);
    entry.synonyms = broker_synonyms(definition, broker);
    auto override = overrides.find(entry.name);
    if (override != overrides.end()) {
      entry.value = override->second;
      entry.synonyms.insert(entry.synonyms.begin(),
                            {entry.name, override->second, ConfigSource::topic});
    } else if (!entry.synonyms.empty() &&
               entry.synonyms.front().source == ConfigSource::static_broker) {
      // The broker's static value is what the topic gets (same unit: only synonyms with
      // the topic key's unit are ever set from Weir settings).
      entry.value = entry.synonyms.front().value;
    } else {
      entry.value = std::string(definition.default_value);
    }
    // Kafka: the source of the most specific synonym, DEFAULT_CONFIG when there is none.
    entry.source =
        entry.synonyms.empty() ? ConfigSource::default_config : entry.synonyms.front().source;
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<Entry> describe_broker(const Config& config, const std::string& log_dir) {
  const Config defaults;
  constexpr auto boolean = static_cast<std::int8_t>(storage::ConfigType::boolean);
  constexpr auto string = static_cast<std::int8_t>(storage::ConfigType::string);
  constexpr auto int32 = static_cast<std::int8_t>(storage::ConfigType::int32);
  const std::string listener =
      fmt::format("PLAINTEXT://{}:{}", config.bind_address.host, config.bind_address.port);
  const std::string advertised = fmt::format("PLAINTEXT://{}:{}", config.advertised_address.host,
                                             config.advertised_address.port);

  std::vector<Entry> entries;
  entries.push_back(
      broker_entry("advertised.listeners", advertised, false, string,
                   "Listeners published to clients in Metadata (ADVERTISED_ADDRESS)."));
  entries.push_back(
      broker_entry("auto.create.topics.enable", config.auto_create_topics ? "true" : "false",
                   config.auto_create_topics == defaults.auto_create_topics, boolean,
                   "Create a topic when Metadata asks for an unknown one (AUTO_CREATE_TOPICS)."));
  entries.push_back(broker_entry("broker.id", std::to_string(config.node_id),
                                 config.node_id == defaults.node_id, int32,
                                 "This broker's id (NODE_ID)."));
  entries.push_back(broker_entry("listeners", listener, false, string,
                                 "Address the broker listens on (BIND_ADDRESS)."));
  entries.push_back(
      broker_entry("log.dirs", log_dir, false, string, "Where the log is kept (STORAGE_PATH)."));
  entries.push_back(broker_entry("node.id", std::to_string(config.node_id),
                                 config.node_id == defaults.node_id, int32,
                                 "This broker's id (NODE_ID)."));
  entries.push_back(
      broker_entry("num.network.threads", std::to_string(config.network_threads),
                   config.network_threads == defaults.network_threads, int32,
                   "Threads running connections (NETWORK_THREADS, 0 = one per core)."));
  entries.push_back(broker_entry("num.partitions", std::to_string(config.default_partitions),
                                 config.default_partitions == defaults.default_partitions, int32,
                                 "Partitions of an auto-created topic (DEFAULT_PARTITIONS)."));
  entries.push_back(broker_entry("socket.request.max.bytes",
                                 std::to_string(config.max_request_bytes),
                                 config.max_request_bytes == defaults.max_request_bytes, int32,
                                 "Largest request accepted (MAX_REQUEST_BYTES)."));

  // Kafka broker configs that Weir settings stand for.
  constexpr auto int64 = static_cast<std::int8_t>(storage::ConfigType::int64);
  const auto setting = [&](std::string name, auto value, auto default_value, std::int8_t type,
                           std::string documentation) {
    entries.push_back(broker_entry(std::move(name), std::to_string(value), value == default_value,
                                   type, std::move(documentation)));
  };
  setting("log.retention.check.interval.ms", config.retention_check_interval_ms,
          defaults.retention_check_interval_ms, int64,
          "How often retention is applied (RETENTION_CHECK_INTERVAL_MS).");
  setting("producer.id.expiration.ms", config.producer_id_expiration_ms,
          defaults.producer_id_expiration_ms, int32,
          "Idle time after which a producer's state is dropped (PRODUCER_ID_EXPIRATION_MS).");
  setting("group.min.session.timeout.ms", config.group_min_session_timeout_ms,
          defaults.group_min_session_timeout_ms, int32,
          "Shortest session timeout a group member may ask for (GROUP_MIN_SESSION_TIMEOUT_MS).");
  setting("group.max.session.timeout.ms", config.group_max_session_timeout_ms,
          defaults.group_max_session_timeout_ms, int32,
          "Longest session timeout a group member may ask for (GROUP_MAX_SESSION_TIMEOUT_MS).");
  setting(
      "group.initial.rebalance.delay.ms", config.group_initial_rebalance_delay_ms,
      defaults.group_initial_rebalance_delay_ms, int32,
      "How long the first rebalance of an empty group waits (GROUP_INITIAL_REBALANCE_DELAY_MS).");
  setting("max.connections", config.max_connections, defaults.max_connections, int32,
          "Open client connections across all listeners (MAX_CONNECTIONS).");
  setting("max.connections.per.ip", config.max_connections_per_ip, defaults.max_connections_per_ip,
          int32, "Open connections from one address (MAX_CONNECTIONS_PER_IP).");

  // The broker-level defaults behind every topic config, under their broker names, with
  // the effective value of those a Weir setting sets (message.max.bytes).
  const StaticBrokerConfigs static_configs = static_broker_configs(config);
  std::set<std::string> listed;
  for (const auto& entry : entries) listed.insert(entry.name);
  for (const auto& definition : storage::topic_config_definitions()) {
    for (const auto& synonym : broker_synonyms(definition, static_configs)) {
      if (!listed.insert(synonym.name).second) continue;
      entries.push_back(broker_entry(
          synonym.name, *synonym.value, synonym.source == ConfigSource::default_config,
          static_cast<std::int8_t>(definition.type), std::string(definition.documentation)));
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return entries;
}

std::optional<AlterOutcome> load_topic_overrides(const storage::Store& store,
                                                 const std::string& topic,
                                                 std::map<std::string, std::string>* overrides) {
  if (!storage::valid_topic_name(topic))
    return AlterOutcome{protocol::ErrorCode::invalid_topic_exception,
                        fmt::format("'{}' is not a valid topic name", topic)};
  auto description = store.find_topic(topic);
  if (!description)
    return AlterOutcome{protocol::ErrorCode::unknown_topic_or_partition,
                        fmt::format("topic '{}' does not exist", topic)};
  *overrides = description->configs;
  return std::nullopt;
}

AlterOutcome store_topic_overrides(storage::Store& store, const std::string& topic,
                                   std::map<std::string, std::string> overrides,
                                   bool validate_only) {
  if (auto refused = storage::validate_topic_configs(&overrides))
    return {protocol::ErrorCode::invalid_config, refused->message};
  if (validate_only) return {};
  auto stored = store.update_topic_configs(topic, std::move(overrides));
  if (stored != storage::StorageErrc::ok)
    return {to_error_code(stored), fmt::format("cannot store the configs of topic '{}'", topic)};
  return {};
}

AlterOutcome refuse_broker_change(const Config& config, const std::string& broker,
                                  const std::vector<std::string>& keys) {
  if (!broker.empty() && broker != std::to_string(config.node_id))
    return {protocol::ErrorCode::invalid_request,
            fmt::format("broker {} is not this broker (id {})", broker, config.node_id)};
  std::string names;
  for (const auto& key : keys) names += (names.empty() ? "" : ", ") + key;
  return {
      protocol::ErrorCode::invalid_request,
      fmt::format(
          "Weir's broker configs are static (set at start-up by environment or file) and cannot be "
          "updated dynamically: {}",
          names.empty() ? "(none named)" : names)};
}

AlterOutcome refuse_resource_type(std::int8_t resource_type) {
  return {
      protocol::ErrorCode::invalid_request,
      fmt::format(
          "configs of resource type {} are not supported; only topic (2) configs can be altered",
          resource_type)};
}

}  // namespace weir::handlers::configs
