// A Kafka 3.x Java producer's requests, without Java: the request sequence an idempotent
// KafkaProducer (kafka-console-producer, kafka-producer-perf-test) sends, built from
// Kafka's schemas at the versions each 3.x release picks (shared/kafka-protocol INDEX:
// ApiVersions v3/v4, Metadata v12, InitProducerId v4/v5, Produce v9/v10/v11), through the
// router and the real handlers on a real Store. Every response must decode at its version
// with no error, and a retried batch must get its original offset.
#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>

#include "protocol/framing/request.h"
#include "protocol/generated/messages.h"
#include "protocol/records/record_batch.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"
#include "server/dispatch/router.h"
#include "server/groups/coordinator_thread.h"
#include "server/handlers/fetch_waiters.h"
#include "tests/unit/server/in_process_broker.h"

using namespace weir;
using namespace weir::protocol;

namespace {

// One broker (router, handlers, Store in a temporary folder) served on this thread,
// called with the Java producer's client id.
struct JavaClientSession : weir::testing::InProcessBroker {
  JavaClientSession() : InProcessBroker("producer-1") {}
};

Bytes idempotent_batch(std::int64_t producer_id, std::int16_t epoch, std::int32_t sequence) {
  records::RecordBatchBuilder builder;
  builder.producer(producer_id, epoch, sequence);
  for (int i = 0; i < 3; ++i) {
    const std::string value = "java-" + std::to_string(sequence + i);
    builder.add({std::nullopt,
                 Bytes(reinterpret_cast<const std::byte*>(value.data()),
                       reinterpret_cast<const std::byte*>(value.data()) + value.size()),
                 {},
                 1'700'000'000'000 + sequence + i});
  }
  return builder.build();
}

ProduceResponse::PartitionProduceResponse produce(JavaClientSession& session, std::int16_t version,
                                                  const std::string& topic, const Bytes& batch) {
  ProduceRequest request;
  request.transactional_id = std::nullopt;
  request.acks = -1;  // the default once enable.idempotence is on
  request.timeout_ms = 30000;
  ProduceRequest::TopicProduceData data;
  data.name = topic;
  ProduceRequest::PartitionProduceData partition;
  partition.index = 0;
  partition.records = BytesView(batch);
  data.partition_data.push_back(partition);
  request.topic_data.push_back(data);
  auto response = session.call<ProduceResponse>(request, version);
  REQUIRE(response.responses.size() == 1);
  REQUIRE(response.responses[0].partition_responses.size() == 1);
  return response.responses[0].partition_responses[0];
}

}  // namespace

TEST_CASE("a Kafka 3.x Java idempotent producer's requests are answered at its versions") {
  struct JavaRelease {
    const char* name;
    std::int16_t api_versions, metadata, init_producer_id, produce;
  };
  for (const JavaRelease release :
       {JavaRelease{"3.0-3.6", 3, 12, 4, 9}, JavaRelease{"3.7", 3, 12, 4, 10},
        JavaRelease{"3.8", 3, 12, 5, 11}, JavaRelease{"3.9", 4, 12, 5, 11}}) {
    INFO("Java clients " << release.name);
    JavaClientSession session;

    ApiVersionsRequest api_versions;
    api_versions.client_software_name = "apache-kafka-java";
    api_versions.client_software_version = "3.9.0";
    const auto versions = session.call<ApiVersionsResponse>(api_versions, release.api_versions);
    CHECK(versions.error_code == 0);
    auto advertises = [&](std::int16_t key, std::int16_t version) {
      for (const auto& api : versions.api_keys)
        if (api.api_key == key) return api.min_version <= version && version <= api.max_version;
      return false;
    };
    CHECK(advertises(MetadataRequest::api_key, release.metadata));
    CHECK(advertises(InitProducerIdRequest::api_key, release.init_producer_id));
    CHECK(advertises(ProduceRequest::api_key, release.produce));

    // The producer's first Metadata names the topic and lets the broker create it.
    MetadataRequest metadata;
    MetadataRequest::MetadataRequestTopic wanted;
    wanted.name = "java-topic";
    metadata.topics = std::vector<MetadataRequest::MetadataRequestTopic>{wanted};
    metadata.allow_auto_topic_creation = true;
    const auto described = session.call<MetadataResponse>(metadata, release.metadata);
    REQUIRE(described.topics.size() == 1);
    CHECK(described.topics[0].error_code == 0);

    InitProducerIdRequest init;
    init.transactional_id = std::nullopt;
    init.transaction_timeout_ms = 2147483647;  // what the Java producer sends without transactions
    const auto producer = session.call<InitProducerIdResponse>(init, release.init_producer_id);
    CHECK(producer.error_code == 0);
    CHECK(producer.producer_id >= 0);
    CHECK(producer.producer_epoch == 0);

    const Bytes first = idempotent_batch(producer.producer_id, producer.producer_epoch, 0);
    auto stored = produce(session, release.produce, "java-topic", first);
    CHECK(stored.error_code == 0);
    CHECK(stored.base_offset == 0);
    CHECK(stored.log_append_time_ms == -1);
    // A retry (the response was lost) gets the original offset and no error.
    stored = produce(session, release.produce, "java-topic", first);
    CHECK(stored.error_code == 0);
    CHECK(stored.base_offset == 0);
    stored = produce(session, release.produce, "java-topic",
                     idempotent_batch(producer.producer_id, 0, 3));
    CHECK(stored.error_code == 0);
    CHECK(stored.base_offset == 3);
    // A gap is refused with the code the Java producer handles.
    stored = produce(session, release.produce, "java-topic",
                     idempotent_batch(producer.producer_id, 0, 9));
    CHECK(stored.error_code == 45);  // OUT_OF_ORDER_SEQUENCE_NUMBER
  }
}
