// Every version we advertise for an API is served: for each API in the api table and each
// version in its advertised range, a request encoded at that version goes through the
// router and real handlers (on a real Store in a temporary folder), and the answer
// decodes at that version, with the semantics of that version (v0 "is_default", v0
// ListOffsets' old-style offsets, ...).
#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "protocol/framing/request.h"
#include "protocol/generated/api_keys.h"
#include "protocol/generated/messages.h"
#include "protocol/records/crc32c.h"
#include "protocol/records/legacy_messages.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"
#include "server/dispatch/api_table.h"
#include "server/dispatch/router.h"
#include "server/groups/coordinator_thread.h"
#include "server/handlers/fetch_waiters.h"
#include "tests/unit/server/in_process_broker.h"

using namespace weir;
using namespace weir::protocol;

namespace {

using Broker = weir::testing::InProcessBroker;

constexpr std::int16_t invalid_config = 40;
constexpr std::int16_t invalid_partitions = 37;

// One record, value "v", as a magic-2 batch with a valid CRC-32C.
Bytes one_record_batch() {
  Writer record;
  record.write_int8(0);     // attributes
  record.write_varlong(0);  // timestamp delta
  record.write_varint(0);   // offset delta
  record.write_varint(-1);  // null key
  record.write_varint(1);
  record.write_int8('v');
  record.write_unsigned_varint(0);  // no headers
  Bytes record_bytes = record.take();

  Writer after_crc;
  after_crc.write_int16(0);                  // attributes
  after_crc.write_int32(0);                  // last offset delta
  after_crc.write_int64(1'700'000'000'000);  // base timestamp
  after_crc.write_int64(1'700'000'000'000);  // max timestamp
  after_crc.write_int64(-1);                 // producer id
  after_crc.write_int16(-1);                 // producer epoch
  after_crc.write_int32(-1);                 // base sequence
  after_crc.write_int32(1);                  // record count
  after_crc.write_varint(static_cast<std::int32_t>(record_bytes.size()));
  after_crc.write_raw(record_bytes);
  Bytes tail = after_crc.take();

  Writer batch;
  batch.write_int64(0);                                                   // base offset
  batch.write_int32(static_cast<std::int32_t>(4 + 1 + 4 + tail.size()));  // batch length
  batch.write_int32(0);                                                   // partition leader epoch
  batch.write_int8(2);                                                    // magic
  batch.write_uint32(records::crc32c(tail));
  batch.write_raw(tail);
  return batch.take();
}

// One message, value "v", as the message set a Produce v0-2 client sends: magic 0 for v0-1
// (Kafka 0.9 clients), magic 1 for v2.
Bytes one_legacy_message(std::int16_t produce_version) {
  const Bytes value{std::byte{'v'}};
  Bytes message_set;
  records::append_legacy_message({0, produce_version >= 2 ? records::kMagicV1 : records::kMagicV0,
                                  0, 1'700'000'000'000, std::nullopt, BytesView(value)},
                                 &message_set);
  return message_set;
}

const ApiEntry& served(std::int16_t api_key) {
  const ApiEntry* entry = find_served_api(api_key);
  REQUIRE(entry != nullptr);
  return *entry;
}

std::string topic_for(std::string_view prefix, std::int16_t version) {
  return std::string(prefix) + "-v" + std::to_string(version);
}

void create_topic(Broker& broker, const std::string& name, std::int32_t partitions) {
  REQUIRE(broker.store().create_topic(name, partitions, {}, nullptr) == storage::StorageErrc::ok);
}

}  // namespace

TEST_CASE("the advertised ranges reach the versions Kafka 3.x and 4.x brokers advertise") {
  struct Expected {
    std::int16_t api_key, min_version, max_version;
  };
  // Kafka 3.x's minimum is v0 for every API, Produce v0-2 and Fetch v0-3 (message formats
  // 0 and 1) included: librdkafka compresses only when they are there.
  for (auto expected :
       {Expected{0, 0, 11}, Expected{1, 0, 17}, Expected{2, 0, 10}, Expected{3, 0, 12},
        Expected{18, 0, 4}, Expected{19, 0, 7}, Expected{32, 0, 4}, Expected{33, 0, 2},
        Expected{35, 0, 4}, Expected{37, 0, 3}, Expected{44, 0, 1}, Expected{60, 0, 1}}) {
    INFO("api key " << expected.api_key);
    const ApiEntry& entry = served(expected.api_key);
    CHECK(entry.min_version == expected.min_version);
    CHECK(entry.max_version == expected.max_version);
  }
}

TEST_CASE("every advertised ApiVersions version lists the admin APIs") {
  Broker broker;
  const ApiEntry& api = served(ApiVersionsRequest::api_key);
  for (std::int16_t version = api.min_version; version <= api.max_version; ++version) {
    INFO("version " << version);
    ApiVersionsRequest request;
    request.client_software_name = "versions-test";
    request.client_software_version = "1";
    auto response = broker.call<ApiVersionsResponse>(request, version);
    CHECK(response.error_code == 0);
    bool has_describe_configs = false;
    for (const auto& key : response.api_keys)
      has_describe_configs |= key.api_key == DescribeConfigsRequest::api_key;
    CHECK(has_describe_configs);
  }
}

TEST_CASE("every advertised Metadata version describes a named topic") {
  Broker broker;
  create_topic(broker, "described", 2);
  const ApiEntry& api = served(MetadataRequest::api_key);
  for (std::int16_t version = api.min_version; version <= api.max_version; ++version) {
    INFO("version " << version);
    MetadataRequest request;
    MetadataRequest::MetadataRequestTopic topic;
    topic.name = "described";
    request.topics = std::vector{topic};
    auto response = broker.call<MetadataResponse>(request, version);
    REQUIRE(response.topics.size() == 1);
    CHECK(response.topics[0].error_code == 0);
    CHECK(response.topics[0].partitions.size() == 2);
    REQUIRE(response.brokers.size() == 1);
  }
}

TEST_CASE("every advertised Produce, Fetch and ListOffsets version serves a record") {
  Broker broker;
  const Bytes batch = one_record_batch();
  const ApiEntry& produce = served(ProduceRequest::api_key);
  for (std::int16_t version = produce.min_version; version <= produce.max_version; ++version) {
    INFO("produce version " << version);
    const std::string topic = topic_for("produced", version);
    create_topic(broker, topic, 1);
    ProduceRequest request;
    request.acks = -1;
    request.timeout_ms = 10000;
    ProduceRequest::TopicProduceData data;
    data.name = topic;
    ProduceRequest::PartitionProduceData partition;
    const Bytes legacy = one_legacy_message(version);
    partition.records = version < 3 ? BytesView(legacy) : BytesView(batch);
    data.partition_data.push_back(partition);
    request.topic_data.push_back(data);
    auto response = broker.call<ProduceResponse>(request, version);
    REQUIRE(response.responses.size() == 1);
    REQUIRE(response.responses[0].partition_responses.size() == 1);
    CHECK(response.responses[0].partition_responses[0].error_code == 0);
    CHECK(response.responses[0].partition_responses[0].base_offset == 0);
  }

  create_topic(broker, "fetched", 1);
  {
    ProduceRequest request;
    request.acks = -1;
    request.timeout_ms = 10000;
    ProduceRequest::TopicProduceData data;
    data.name = "fetched";
    ProduceRequest::PartitionProduceData partition;
    partition.records = BytesView(batch);
    data.partition_data.push_back(partition);
    request.topic_data.push_back(data);
    broker.call<ProduceResponse>(request, produce.max_version);
  }
  const auto fetched_id = broker.store().find_topic("fetched")->topic_id;
  const ApiEntry& fetch = served(FetchRequest::api_key);
  for (std::int16_t version = fetch.min_version; version <= fetch.max_version; ++version) {
    INFO("fetch version " << version);
    FetchRequest request;
    request.replica_id = -1;
    request.max_wait_ms = 0;
    request.min_bytes = 0;
    request.max_bytes = 1 << 20;
    request.session_epoch = -1;
    FetchRequest::FetchTopic topic;
    topic.topic = "fetched";
    topic.topic_id = fetched_id;  // v13+ name topics by id
    FetchRequest::FetchPartition partition;
    partition.partition_max_bytes = 1 << 20;
    topic.partitions.push_back(partition);
    request.topics.push_back(topic);
    auto response = broker.call<FetchResponse>(request, version);
    REQUIRE(response.responses.size() == 1);
    REQUIRE(response.responses[0].partitions.size() == 1);
    const auto& data = response.responses[0].partitions[0];
    CHECK(data.error_code == 0);
    CHECK(data.high_watermark == 1);
    REQUIRE(data.records);
    if (version >= 4) {
      CHECK(data.records->size() == batch.size());
      continue;
    }
    // v0-3 read the stored batch down-converted: magic 0 for v0-1, magic 1 for v2-3.
    std::vector<records::LegacyMessage> messages;
    CHECK(
        records::for_each_legacy_message(*data.records, [&](const records::LegacyMessage& message) {
          messages.push_back(message);
        }) == records::BatchError::none);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].offset == 0);
    CHECK(messages[0].magic == (version >= 2 ? records::kMagicV1 : records::kMagicV0));
    REQUIRE(messages[0].value);
    CHECK(messages[0].value->size() == 1);
  }

  const ApiEntry& list_offsets = served(ListOffsetsRequest::api_key);
  for (std::int16_t version = list_offsets.min_version; version <= list_offsets.max_version;
       ++version) {
    INFO("list offsets version " << version);
    ListOffsetsRequest request;
    request.replica_id = -1;
    ListOffsetsRequest::ListOffsetsTopic topic;
    topic.name = "fetched";
    ListOffsetsRequest::ListOffsetsPartition partition;
    partition.timestamp = -1;  // latest
    topic.partitions.push_back(partition);
    request.topics.push_back(topic);
    auto response = broker.call<ListOffsetsResponse>(request, version);
    REQUIRE(response.topics.size() == 1);
    REQUIRE(response.topics[0].partitions.size() == 1);
    const auto& answer = response.topics[0].partitions[0];
    CHECK(answer.error_code == 0);
    if (version == 0)
      CHECK(answer.old_style_offsets == std::vector<std::int64_t>{1});
    else
      CHECK(answer.offset == 1);
  }
}

TEST_CASE("every advertised CreateTopics version creates topics and refuses invalid configs") {
  Broker broker;
  const ApiEntry& api = served(CreateTopicsRequest::api_key);
  for (std::int16_t version = api.min_version; version <= api.max_version; ++version) {
    INFO("version " << version);
    CreateTopicsRequest request;
    request.timeout_ms = 10000;
    CreateTopicsRequest::CreatableTopic good;
    good.name = topic_for("created", version);
    good.num_partitions = 2;
    good.replication_factor = 1;
    CreateTopicsRequest::CreatableTopicConfig retention;
    retention.name = "retention.ms";
    retention.value = "60000";
    good.configs.push_back(retention);
    CreateTopicsRequest::CreatableTopic bad = good;
    bad.name = topic_for("refused", version);
    bad.configs[0].value = "a minute";
    request.topics = {good, bad};
    auto response = broker.call<CreateTopicsResponse>(request, version);
    REQUIRE(response.topics.size() == 2);
    CHECK(response.topics[0].error_code == 0);
    CHECK(response.topics[1].error_code == invalid_config);
    if (version >= 1) {
      REQUIRE(response.topics[1].error_message);
      CHECK(response.topics[1].error_message->find("retention.ms") != std::string::npos);
    }
    if (version >= 5) {
      REQUIRE(response.topics[0].configs);
      bool reported = false;
      for (const auto& config : *response.topics[0].configs)
        reported |=
            config.name == "retention.ms" && config.value == "60000" && config.config_source == 1;
      CHECK(reported);
    }
    auto created = broker.store().find_topic(good.name);
    REQUIRE(created);
    CHECK(created->configs.at("retention.ms") == "60000");
    CHECK_FALSE(broker.store().find_topic(bad.name));
  }
}

TEST_CASE("every advertised DescribeConfigs version describes topic configs with their source") {
  Broker broker;
  REQUIRE(broker.store().create_topic("configured", 1, {{"retention.ms", "60000"}}, nullptr) ==
          storage::StorageErrc::ok);
  const ApiEntry& api = served(DescribeConfigsRequest::api_key);
  for (std::int16_t version = api.min_version; version <= api.max_version; ++version) {
    INFO("version " << version);
    DescribeConfigsRequest request;
    DescribeConfigsRequest::DescribeConfigsResource resource;
    resource.resource_type = 2;
    resource.resource_name = "configured";
    resource.configuration_keys = std::vector<std::string>{"retention.ms", "segment.bytes"};
    request.resources.push_back(resource);
    request.include_synonyms = true;
    request.include_documentation = true;
    auto response = broker.call<DescribeConfigsResponse>(request, version);
    REQUIRE(response.results.size() == 1);
    const auto& result = response.results[0];
    CHECK(result.error_code == 0);
    REQUIRE(result.configs.size() == 2);
    const auto& retention =
        result.configs[0].name == "retention.ms" ? result.configs[0] : result.configs[1];
    const auto& segment =
        result.configs[0].name == "retention.ms" ? result.configs[1] : result.configs[0];
    CHECK(retention.value == "60000");
    CHECK(segment.value == "1073741824");
    if (version == 0) {
      CHECK_FALSE(retention.is_default);
      CHECK(segment.is_default);
    } else {
      CHECK(retention.config_source == 1);
      CHECK(segment.config_source == 5);
      REQUIRE(retention.synonyms.size() == 2);
      CHECK(retention.synonyms[0].name == "retention.ms");
      CHECK(retention.synonyms[1].name == "log.retention.hours");
    }
    if (version >= 3) {
      CHECK(retention.config_type == 5);  // LONG
      REQUIRE(retention.documentation);
      CHECK_FALSE(retention.documentation->empty());
    }
  }
}

TEST_CASE(
    "every advertised AlterConfigs and IncrementalAlterConfigs version alters and validates") {
  Broker broker;
  create_topic(broker, "altered", 1);
  const ApiEntry& alter = served(AlterConfigsRequest::api_key);
  for (std::int16_t version = alter.min_version; version <= alter.max_version; ++version) {
    INFO("alter version " << version);
    AlterConfigsRequest request;
    AlterConfigsRequest::AlterConfigsResource resource;
    resource.resource_type = 2;
    resource.resource_name = "altered";
    AlterConfigsRequest::AlterableConfig entry;
    entry.name = "retention.bytes";
    entry.value = std::to_string(1000 + version);
    resource.configs.push_back(entry);
    request.resources.push_back(resource);
    auto response = broker.call<AlterConfigsResponse>(request, version);
    REQUIRE(response.responses.size() == 1);
    CHECK(response.responses[0].error_code == 0);
    CHECK(broker.store().find_topic("altered")->configs.at("retention.bytes") ==
          std::to_string(1000 + version));

    request.resources[0].configs[0].value = "many";
    response = broker.call<AlterConfigsResponse>(request, version);
    CHECK(response.responses[0].error_code == invalid_config);
  }
  const ApiEntry& incremental = served(IncrementalAlterConfigsRequest::api_key);
  for (std::int16_t version = incremental.min_version; version <= incremental.max_version;
       ++version) {
    INFO("incremental version " << version);
    IncrementalAlterConfigsRequest request;
    IncrementalAlterConfigsRequest::AlterConfigsResource resource;
    resource.resource_type = 2;
    resource.resource_name = "altered";
    IncrementalAlterConfigsRequest::AlterableConfig entry;
    entry.name = "segment.ms";
    entry.config_operation = 0;  // SET
    entry.value = std::to_string(60000 + version);
    resource.configs.push_back(entry);
    request.resources.push_back(resource);
    auto response = broker.call<IncrementalAlterConfigsResponse>(request, version);
    REQUIRE(response.responses.size() == 1);
    CHECK(response.responses[0].error_code == 0);
    auto configs = broker.store().find_topic("altered")->configs;
    CHECK(configs.at("segment.ms") == std::to_string(60000 + version));
    CHECK(configs.count("retention.bytes") == 1);  // incremental keeps the other overrides
  }
}

TEST_CASE("every advertised CreatePartitions version grows a topic and refuses shrinking") {
  Broker broker;
  create_topic(broker, "growing", 1);
  const ApiEntry& api = served(CreatePartitionsRequest::api_key);
  std::int32_t partitions = 1;
  for (std::int16_t version = api.min_version; version <= api.max_version; ++version) {
    INFO("version " << version);
    CreatePartitionsRequest request;
    request.timeout_ms = 10000;
    CreatePartitionsRequest::CreatePartitionsTopic topic;
    topic.name = "growing";
    topic.count = partitions + 1;
    topic.assignments = std::nullopt;
    request.topics.push_back(topic);
    auto response = broker.call<CreatePartitionsResponse>(request, version);
    REQUIRE(response.results.size() == 1);
    CHECK(response.results[0].error_code == 0);
    ++partitions;
    CHECK(broker.store().find_topic("growing")->partition_count == partitions);

    request.topics[0].count = 1;
    response = broker.call<CreatePartitionsResponse>(request, version);
    CHECK(response.results[0].error_code == invalid_partitions);
  }
}

TEST_CASE("every advertised DescribeCluster and DescribeLogDirs version describes this broker") {
  Broker broker;
  create_topic(broker, "stored", 3);
  const ApiEntry& cluster = served(DescribeClusterRequest::api_key);
  for (std::int16_t version = cluster.min_version; version <= cluster.max_version; ++version) {
    INFO("describe cluster version " << version);
    auto response = broker.call<DescribeClusterResponse>(DescribeClusterRequest{}, version);
    CHECK(response.error_code == 0);
    CHECK(response.cluster_id == broker.store().cluster_id());
    REQUIRE(response.brokers.size() == 1);
    CHECK(response.brokers[0].port == 9092);
  }
  const ApiEntry& log_dirs = served(DescribeLogDirsRequest::api_key);
  for (std::int16_t version = log_dirs.min_version; version <= log_dirs.max_version; ++version) {
    INFO("describe log dirs version " << version);
    DescribeLogDirsRequest request;
    request.topics = std::nullopt;
    auto response = broker.call<DescribeLogDirsResponse>(request, version);
    REQUIRE(response.results.size() == 1);
    CHECK(response.results[0].error_code == 0);
    REQUIRE(response.results[0].topics.size() == 1);
    CHECK(response.results[0].topics[0].partitions.size() == 3);
    if (version >= 4) CHECK(response.results[0].total_bytes > 0);
  }
}

namespace {

Bytes read_fixture(const std::filesystem::path& path) {
  Bytes bytes(std::filesystem::file_size(path));
  std::FILE* file = std::fopen(path.c_str(), "rb");
  REQUIRE(file != nullptr);
  const std::size_t read = std::fread(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  REQUIRE(read == bytes.size());
  return bytes;
}

}  // namespace

TEST_CASE("admin requests captured from real clients are answered without errors") {
  // Frames recorded with tests/fixtures/capture_proxy.py from librdkafka (confluent-kafka),
  // kafka-python and kafkajs: DescribeConfigs, AlterConfigs and CreatePartitions on topic
  // "cap1" (growing it to 3, 4 or 5 partitions).
  int captured = 0;
  for (const auto& client : std::filesystem::directory_iterator(WEIR_FIXTURES_DIR "/requests")) {
    for (const auto& file : std::filesystem::directory_iterator(client.path())) {
      const std::string name = file.path().filename().string();
      const auto api_key = static_cast<std::int16_t>(std::stoi(name.substr(0, name.find('_'))));
      if (api_key != DescribeConfigsRequest::api_key && api_key != AlterConfigsRequest::api_key &&
          api_key != CreatePartitionsRequest::api_key)
        continue;
      ++captured;
      DYNAMIC_SECTION(client.path().filename().string() << "/" << name) {
        Broker broker;
        create_topic(broker, "cap1", 1);
        Bytes frame = read_fixture(file.path());
        ParsedRequest parsed;
        REQUIRE(parse_request(frame, &parsed) == RequestParseError::none);
        const std::int16_t version = parsed.header.request_api_version;
        Reader body(parsed.body);
        if (api_key == DescribeConfigsRequest::api_key) {
          DescribeConfigsRequest request;
          REQUIRE(request.decode(body, version));
          auto response = broker.call<DescribeConfigsResponse>(request, version);
          REQUIRE(response.results.size() == 1);
          CHECK(response.results[0].error_code == 0);
          CHECK(response.results[0].configs.size() > 30);
        } else if (api_key == AlterConfigsRequest::api_key) {
          AlterConfigsRequest request;
          REQUIRE(request.decode(body, version));
          auto response = broker.call<AlterConfigsResponse>(request, version);
          REQUIRE(response.responses.size() == 1);
          CHECK(response.responses[0].error_code == 0);
          CHECK(broker.store().find_topic("cap1")->configs.count("retention.ms") == 1);
        } else {
          CreatePartitionsRequest request;
          REQUIRE(request.decode(body, version));
          auto response = broker.call<CreatePartitionsResponse>(request, version);
          REQUIRE(response.results.size() == 1);
          CHECK(response.results[0].error_code == 0);
          CHECK(broker.store().find_topic("cap1")->partition_count >= 3);
        }
      }
    }
  }
  CHECK(captured >= 9);
}
