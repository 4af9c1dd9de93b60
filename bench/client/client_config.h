// Client settings for the librdkafka load tools, in the forms Kafka's perf tools take:
// `key=value` arguments (`--producer-props a=b c=d`) and Java-style properties files
// (`--producer.config FILE`). Not thread-safe; used once at start-up.
#pragma once

#include <librdkafka/rdkafka.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace weir::bench {

using ClientProperties = std::vector<std::pair<std::string, std::string>>;

// Splits each `key=value` (the first '=' separates). Throws std::invalid_argument naming
// the argument that has no '='.
ClientProperties parse_key_values(const std::vector<std::string>& arguments);

// Reads a properties file: `key=value` or `key: value` lines, '#' and '!' comments, blank
// lines. Throws std::runtime_error when the file cannot be read.
ClientProperties read_properties_file(const std::string& path);

// Applies the properties in order (a later one wins). Keys only the Java clients know
// (serializers, interceptors, ...) are skipped with a warning on stderr, as the Java
// clients warn about unknown keys; an invalid value throws std::invalid_argument.
void apply_properties(rd_kafka_conf_t* conf, const ClientProperties& properties);

// Sets one property; throws std::invalid_argument with librdkafka's reason.
void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value);

// True when a property with this key is present.
bool has_property(const ClientProperties& properties, const std::string& key);

// A librdkafka client of `type` with `properties` applied in order; `configure` sets the
// callbacks and the opaque on the configuration before the client takes it. Throws
// std::invalid_argument for an invalid property, std::runtime_error when librdkafka
// refuses to create the client; the configuration is freed either way.
rd_kafka_t* create_client(rd_kafka_type_t type, const ClientProperties& properties,
                          const std::function<void(rd_kafka_conf_t*)>& configure);

}  // namespace weir::bench
