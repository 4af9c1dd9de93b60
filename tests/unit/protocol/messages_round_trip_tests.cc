#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "protocol/generated/messages.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

using namespace weir::protocol;

namespace {

[[maybe_unused]] Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

template <typename Message>
Bytes encode_at(const Message& message, std::int16_t version) {
  Writer writer;
  message.encode(writer, version);
  return writer.take();
}

// Encodes, decodes and re-encodes at `version`; the two encodings must match and the
// decoder must consume exactly what the encoder wrote. Returns the decoded message.
template <typename Message>
Message check_round_trip(const Message& message, std::int16_t version) {
  INFO("version " << version);
  const Bytes first = encode_at(message, version);
  Message decoded;
  Reader reader(first);
  CHECK(decoded.decode(reader, version));
  CHECK(reader.ok());
  CHECK(reader.remaining() == 0);
  CHECK(encode_at(decoded, version) == first);
  return decoded;
}

template <typename Message>
void check_round_trip_every_version(const Message& message) {
  for (std::int16_t version = Message::lowest_supported_version;
       version <= Message::highest_supported_version; ++version) {
    check_round_trip(message, version);
  }
}

// Every strict prefix of a valid encoding must fail to decode, without crashing.
template <typename Message>
void check_every_prefix_fails(const Message& message, std::int16_t version) {
  INFO("version " << version);
  const Bytes full = encode_at(message, version);
  for (std::size_t length = 0; length < full.size(); ++length) {
    INFO("prefix length " << length << " of " << full.size());
    Message decoded;
    Reader reader(BytesView(full.data(), length));
    CHECK_FALSE(decoded.decode(reader, version));
    CHECK_FALSE(reader.ok());
  }
}

Uuid uuid_with(std::uint8_t seed) {
  Uuid id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}

// Stand-in record batch bytes: the message codec treats records as opaque.
const Bytes& batch_bytes() {
  static const Bytes batch =
      bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef, 2, 1, 2});
  return batch;
}

ApiVersionsRequest sample_api_versions_request() {
  ApiVersionsRequest request;
  request.client_software_name = "librdkafka";
  request.client_software_version = "2.0.2";
  return request;
}

ApiVersionsResponse sample_api_versions_response() {
  ApiVersionsResponse response;
  response.error_code = 0;
  response.api_keys = {{0, 0, 11, {}}, {1, 0, 17, {}}, {18, 0, 4, {}}};
  response.throttle_time_ms = 5;
  response.supported_features = {{"metadata.version", 1, 20, {}}};
  response.finalized_features_epoch = 3;
  response.finalized_features = {{"metadata.version", 20, 1, {}}};
  response.zk_migration_ready = true;
  return response;
}

MetadataRequest sample_metadata_request() {
  MetadataRequest request;
  MetadataRequest::MetadataRequestTopic topic;
  topic.name = "orders";
  topic.topic_id = uuid_with(1);
  request.topics = std::vector<MetadataRequest::MetadataRequestTopic>{topic};
  request.allow_auto_topic_creation = false;
  request.include_cluster_authorized_operations = true;
  request.include_topic_authorized_operations = true;
  return request;
}

MetadataResponse sample_metadata_response() {
  MetadataResponse response;
  response.throttle_time_ms = 7;
  response.brokers = {{1, "localhost", 9092, std::string("rack-a"), {}},
                      {2, "broker-2", 9093, std::nullopt, {}}};
  response.cluster_id = "weir-cluster";
  response.controller_id = 1;
  MetadataResponse::MetadataResponseTopic topic;
  topic.error_code = 0;
  topic.name = "orders";
  topic.topic_id = uuid_with(9);
  topic.is_internal = false;
  MetadataResponse::MetadataResponsePartition partition;
  partition.partition_index = 3;
  partition.leader_id = 1;
  partition.leader_epoch = 4;
  partition.replica_nodes = {1, 2};
  partition.isr_nodes = {1};
  partition.offline_replicas = {2};
  topic.partitions = {partition};
  topic.topic_authorized_operations = 0x0ff8;
  response.topics = {topic};
  response.cluster_authorized_operations = 0x0100;
  return response;
}

ProduceRequest sample_produce_request() {
  ProduceRequest request;
  request.transactional_id = "txn-1";
  request.acks = -1;
  request.timeout_ms = 30000;
  ProduceRequest::TopicProduceData topic;
  topic.name = "orders";
  topic.partition_data = {{0, BytesView(batch_bytes()), {}}, {1, std::nullopt, {}}};
  request.topic_data = {topic};
  return request;
}

ProduceResponse sample_produce_response() {
  ProduceResponse response;
  ProduceResponse::PartitionProduceResponse partition;
  partition.index = 0;
  partition.error_code = 0;
  partition.base_offset = 42;
  partition.log_append_time_ms = 1700000000000;
  partition.log_start_offset = 10;
  partition.record_errors = {{2, std::string("bad record"), {}}};
  partition.error_message = "partial failure";
  partition.current_leader.leader_id = 1;
  partition.current_leader.leader_epoch = 9;
  response.responses = {{"orders", {partition}, {}}};
  response.throttle_time_ms = 11;
  response.node_endpoints = {{1, "localhost", 9092, std::nullopt, {}}};
  return response;
}

FetchRequest sample_fetch_request() {
  FetchRequest request;
  request.cluster_id = "weir-cluster";
  request.replica_id = -1;
  request.replica_state.replica_id = 5;
  request.replica_state.replica_epoch = 6;
  request.max_wait_ms = 500;
  request.min_bytes = 1;
  request.max_bytes = 52428800;
  request.isolation_level = 1;
  request.session_id = 0;
  request.session_epoch = -1;
  FetchRequest::FetchPartition partition;
  partition.partition = 0;
  partition.current_leader_epoch = 2;
  partition.fetch_offset = 100;
  partition.last_fetched_epoch = 1;
  partition.log_start_offset = 0;
  partition.partition_max_bytes = 1048576;
  partition.replica_directory_id = uuid_with(3);
  request.topics = {{"orders", uuid_with(9), {partition}, {}}};
  request.forgotten_topics_data = {{"old", uuid_with(7), {1, 2}, {}}};
  request.rack_id = "rack-a";
  return request;
}

FetchResponse sample_fetch_response() {
  FetchResponse response;
  response.throttle_time_ms = 1;
  response.error_code = 0;
  response.session_id = 0;
  FetchResponse::PartitionData partition;
  partition.partition_index = 0;
  partition.high_watermark = 120;
  partition.last_stable_offset = 120;
  partition.log_start_offset = 0;
  partition.diverging_epoch.epoch = 3;
  partition.diverging_epoch.end_offset = 99;
  partition.current_leader.leader_id = 1;
  partition.current_leader.leader_epoch = 4;
  partition.snapshot_id.end_offset = 50;
  partition.snapshot_id.epoch = 2;
  partition.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{{7, 101, {}}};
  partition.preferred_read_replica = -1;
  partition.records = BytesView(batch_bytes());
  FetchResponse::PartitionData empty_partition;
  empty_partition.partition_index = 1;
  empty_partition.aborted_transactions = std::nullopt;
  response.responses = {{"orders", uuid_with(9), {partition, empty_partition}, {}}};
  response.node_endpoints = {{1, "localhost", 9092, std::string("rack-a"), {}}};
  return response;
}

CreateTopicsRequest sample_create_topics_request() {
  CreateTopicsRequest request;
  CreateTopicsRequest::CreatableTopic topic;
  topic.name = "orders";
  topic.num_partitions = -1;
  topic.replication_factor = -1;
  topic.assignments = {{0, {1, 2}, {}}};
  topic.configs = {{"cleanup.policy", std::string("compact"), {}},
                   {"retention.ms", std::nullopt, {}}};
  request.topics = {topic};
  request.timeout_ms = 15000;
  request.validate_only = true;
  return request;
}

CreateTopicsResponse sample_create_topics_response() {
  CreateTopicsResponse response;
  response.throttle_time_ms = 3;
  CreateTopicsResponse::CreatableTopicResult result;
  result.name = "orders";
  result.topic_id = uuid_with(9);
  result.error_code = 36;
  result.error_message = "Topic 'orders' already exists.";
  result.topic_config_error_code = 0;
  result.num_partitions = 3;
  result.replication_factor = 1;
  result.configs = std::vector<CreateTopicsResponse::CreatableTopicConfigs>{
      {"cleanup.policy", std::string("delete"), false, 5, false, {}},
      {"sasl.jaas.config", std::nullopt, true, 4, true, {}}};
  response.topics = {result};
  return response;
}

ListOffsetsRequest sample_list_offsets_request() {
  ListOffsetsRequest request;
  request.replica_id = -1;
  request.isolation_level = 1;
  request.topics = {{"orders", {{0, 3, -1, 1, {}}, {1, -1, -2, 1, {}}}, {}}};
  request.timeout_ms = 1000;
  return request;
}

ListOffsetsResponse sample_list_offsets_response() {
  ListOffsetsResponse response;
  response.throttle_time_ms = 2;
  ListOffsetsResponse::ListOffsetsPartitionResponse partition;
  partition.partition_index = 0;
  partition.error_code = 0;
  partition.old_style_offsets = {120, 0};
  partition.timestamp = -1;
  partition.offset = 120;
  partition.leader_epoch = 4;
  response.topics = {{"orders", {partition}, {}}};
  return response;
}

}  // namespace

TEST_CASE("ApiVersions request and response round trip at every version") {
  check_round_trip_every_version(sample_api_versions_request());
  check_round_trip_every_version(sample_api_versions_response());
  check_round_trip_every_version(ApiVersionsResponse());
}

TEST_CASE("Metadata request and response round trip at every version") {
  check_round_trip_every_version(sample_metadata_request());
  check_round_trip_every_version(sample_metadata_response());
  MetadataRequest all_topics;
  all_topics.topics = std::nullopt;
  check_round_trip_every_version(all_topics);
}

TEST_CASE("Produce request and response round trip at every version") {
  check_round_trip_every_version(sample_produce_request());
  check_round_trip_every_version(sample_produce_response());
}

TEST_CASE("Fetch request and response round trip at every version") {
  check_round_trip_every_version(sample_fetch_request());
  check_round_trip_every_version(sample_fetch_response());
}

TEST_CASE("CreateTopics request and response round trip at every version") {
  check_round_trip_every_version(sample_create_topics_request());
  check_round_trip_every_version(sample_create_topics_response());
}

TEST_CASE("ListOffsets request and response round trip at every version") {
  check_round_trip_every_version(sample_list_offsets_request());
  check_round_trip_every_version(sample_list_offsets_response());
}

TEST_CASE("headers round trip at every version") {
  RequestHeader request;
  request.request_api_key = 3;
  request.request_api_version = 12;
  request.correlation_id = 77;
  request.client_id = "console-consumer";
  check_round_trip_every_version(request);
  request.client_id = std::nullopt;
  check_round_trip_every_version(request);
  ResponseHeader response;
  response.correlation_id = 77;
  check_round_trip_every_version(response);
}

TEST_CASE("decoding keeps the values of every field present in the version") {
  const MetadataResponse decoded = check_round_trip(sample_metadata_response(), 12);
  REQUIRE(decoded.brokers.size() == 2);
  CHECK(decoded.brokers[0].host == "localhost");
  CHECK(decoded.brokers[0].rack == std::optional<std::string>("rack-a"));
  CHECK(decoded.brokers[1].rack == std::nullopt);
  CHECK(decoded.cluster_id == std::optional<std::string>("weir-cluster"));
  REQUIRE(decoded.topics.size() == 1);
  CHECK(decoded.topics[0].topic_id == uuid_with(9));
  REQUIRE(decoded.topics[0].partitions.size() == 1);
  CHECK(decoded.topics[0].partitions[0].replica_nodes == std::vector<std::int32_t>{1, 2});
  CHECK(decoded.topics[0].partitions[0].leader_epoch == 4);
  // Present only in v8-10.
  CHECK(decoded.cluster_authorized_operations == std::numeric_limits<std::int32_t>::min());

  const CreateTopicsResponse topics = check_round_trip(sample_create_topics_response(), 7);
  REQUIRE(topics.topics.size() == 1);
  CHECK(topics.topics[0].error_message ==
        std::optional<std::string>("Topic 'orders' already exists."));
  REQUIRE(topics.topics[0].configs.has_value());
  CHECK((*topics.topics[0].configs)[1].value == std::nullopt);
  CHECK((*topics.topics[0].configs)[1].is_sensitive);
}

TEST_CASE("fields absent from the decoded version keep their defaults") {
  const MetadataResponse v0 = check_round_trip(sample_metadata_response(), 0);
  CHECK(v0.throttle_time_ms == 0);
  CHECK(v0.cluster_id == std::nullopt);
  CHECK(v0.controller_id == -1);
  CHECK(v0.brokers[0].rack == std::nullopt);
  CHECK(v0.topics[0].partitions[0].leader_epoch == -1);
  CHECK(v0.topics[0].partitions[0].offline_replicas.empty());

  const FetchRequest v4 = check_round_trip(sample_fetch_request(), 4);
  CHECK(v4.session_epoch == -1);
  CHECK(v4.cluster_id == std::nullopt);
  CHECK(v4.rack_id.empty());
  CHECK(v4.topics[0].topic_id == Uuid{});
  CHECK(v4.topics[0].partitions[0].log_start_offset == -1);
}

TEST_CASE("generated structs start at the JSON defaults") {
  CHECK(ProduceRequest().transactional_id == std::nullopt);
  CHECK(FetchRequest().max_bytes == 0x7fffffff);
  CHECK(FetchRequest().replica_id == -1);
  CHECK(FetchRequest().session_epoch == -1);
  CHECK(FetchResponse::PartitionData().last_stable_offset == -1);
  CHECK(FetchResponse::PartitionData().records == std::nullopt);
  CHECK(MetadataRequest().allow_auto_topic_creation);
  CHECK(MetadataRequest().topics.has_value());
  CHECK(MetadataResponse().cluster_authorized_operations ==
        std::numeric_limits<std::int32_t>::min());
  CHECK(MetadataResponse::MetadataResponseTopic().name == std::optional<std::string>(""));
  CHECK(CreateTopicsRequest().timeout_ms == 60000);
  CHECK(ApiVersionsResponse().finalized_features_epoch == -1);
  CHECK(ListOffsetsRequest::ListOffsetsPartition().max_num_offsets == 1);
}

TEST_CASE("decoded records point into the request buffer instead of being copied") {
  const Bytes produce = encode_at(sample_produce_request(), 9);
  ProduceRequest request;
  Reader reader(produce);
  REQUIRE(request.decode(reader, 9));
  const std::optional<BytesView>& records = request.topic_data[0].partition_data[0].records;
  REQUIRE(records.has_value());
  CHECK(records->data() >= produce.data());
  CHECK(records->data() + records->size() <= produce.data() + produce.size());
  CHECK(Bytes(records->begin(), records->end()) == batch_bytes());
  CHECK(request.topic_data[0].partition_data[1].records == std::nullopt);
  CHECK(request.transactional_id == std::optional<std::string>("txn-1"));

  const Bytes fetch = encode_at(sample_fetch_response(), 11);
  FetchResponse response;
  Reader fetch_reader(fetch);
  REQUIRE(response.decode(fetch_reader, 11));
  const std::optional<BytesView>& fetched = response.responses[0].partitions[0].records;
  REQUIRE(fetched.has_value());
  CHECK(fetched->data() >= fetch.data());
  CHECK(Bytes(fetched->begin(), fetched->end()) == batch_bytes());
}

TEST_CASE("ApiVersions v0 error response has the KIP-511 fallback layout") {
  ApiVersionsResponse response;
  response.error_code = 35;
  response.api_keys = {{18, 0, 4, {}}};
  response.throttle_time_ms = 100;  // not in v0, so not written
  CHECK(encode_at(response, 0) ==
        bytes_of({0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04}));
}

TEST_CASE("a flexible ApiVersions request uses compact strings and tagged sections") {
  CHECK(encode_at(sample_api_versions_request(), 3) ==
        bytes_of({0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a', 0x06, '2', '.', '0', '.',
                  '2', 0x00}));
  CHECK(encode_at(sample_api_versions_request(), 2).empty());
}

TEST_CASE("request header v2 keeps an int16 client id length and adds a tagged section") {
  RequestHeader header;
  header.request_api_key = 18;
  header.request_api_version = 3;
  header.correlation_id = 1;
  header.client_id = "ab";
  CHECK(encode_at(header, 2) == bytes_of({0, 18, 0, 3, 0, 0, 0, 1, 0, 2, 'a', 'b', 0}));
  CHECK(encode_at(header, 1) == bytes_of({0, 18, 0, 3, 0, 0, 0, 1, 0, 2, 'a', 'b'}));
  CHECK(encode_at(header, 0) == bytes_of({0, 18, 0, 3, 0, 0, 0, 1}));
  header.client_id = std::nullopt;
  CHECK(encode_at(header, 1) == bytes_of({0, 18, 0, 3, 0, 0, 0, 1, 0xff, 0xff}));
}

TEST_CASE("a null array is null only where the version allows it") {
  MetadataRequest request;
  request.topics = std::nullopt;
  CHECK(encode_at(request, 1) == bytes_of({0xff, 0xff, 0xff, 0xff}));
  // v0 cannot express null: the empty array is written instead.
  CHECK(encode_at(request, 0) == bytes_of({0x00, 0x00, 0x00, 0x00}));
  // Compact null, then allow_auto_topic_creation (true), two false flags and no tags.
  CHECK(encode_at(request, 9) == bytes_of({0x00, 0x01, 0x00, 0x00, 0x00}));

  const Bytes null_v0 = bytes_of({0xff, 0xff, 0xff, 0xff});
  MetadataRequest decoded;
  Reader reader(null_v0);
  CHECK_FALSE(decoded.decode(reader, 0));
  CHECK_FALSE(reader.ok());
}

TEST_CASE("a null string where the version cannot express it is written as empty") {
  MetadataResponse::MetadataResponseTopic topic;
  topic.name = std::nullopt;
  MetadataResponse response;
  response.topics = {topic};
  const MetadataResponse v11 = check_round_trip(response, 11);
  CHECK(v11.topics[0].name == std::optional<std::string>(""));
  const MetadataResponse v12 = check_round_trip(response, 12);
  CHECK(v12.topics[0].name == std::nullopt);
}

TEST_CASE("a nullable struct carries a presence marker") {
  DescribeTopicPartitionsRequest request;
  request.topics = {{"orders", {}}};
  request.response_partition_limit = 100;
  CHECK(check_round_trip(request, 0).cursor == std::nullopt);
  request.cursor = DescribeTopicPartitionsRequest::Cursor{"orders", 3, {}};
  const DescribeTopicPartitionsRequest decoded = check_round_trip(request, 0);
  REQUIRE(decoded.cursor.has_value());
  CHECK(decoded.cursor->topic_name == "orders");
  CHECK(decoded.cursor->partition_index == 3);
  // The struct is last before the message's tagged section: marker 1, compact "orders",
  // int32 3, the struct's own empty tagged section, then the message's.
  const Bytes present = encode_at(request, 0);
  const Bytes tail(present.end() - 14, present.end());
  CHECK(tail == bytes_of({0x01, 0x07, 'o', 'r', 'd', 'e', 'r', 's', 0, 0, 0, 3, 0x00, 0x00}));
  request.cursor = std::nullopt;
  const Bytes absent = encode_at(request, 0);
  CHECK(Bytes(absent.end() - 2, absent.end()) == bytes_of({0xff, 0x00}));
}

TEST_CASE("decoding an unsupported version fails") {
  const Bytes empty;
  ProduceRequest produce;
  Reader reader(empty);
  CHECK_FALSE(produce.decode(reader, ProduceRequest::highest_supported_version + 1));
  CHECK_FALSE(reader.ok());
  Reader negative(empty);
  CHECK_FALSE(produce.decode(negative, -1));
  CHECK_FALSE(negative.ok());
}

TEST_CASE("truncated input fails cleanly at every prefix length") {
  for (std::int16_t version : {0, 3, 4})
    check_every_prefix_fails(sample_api_versions_response(), version);
  for (std::int16_t version : {3, 8, 9, 11})
    check_every_prefix_fails(sample_produce_request(), version);
  for (std::int16_t version : {4, 11, 12, 16, 17})
    check_every_prefix_fails(sample_fetch_response(), version);
  for (std::int16_t version : {0, 9, 12})
    check_every_prefix_fails(sample_metadata_response(), version);
  for (std::int16_t version : {1, 2})
    check_every_prefix_fails(RequestHeader{3, 1, 2, std::string("id"), {}}, version);
  check_every_prefix_fails(sample_create_topics_request(), 7);
}

TEST_CASE("garbage input never decodes past the buffer") {
  // A deterministic pseudo-random stream: decoding must stop at the end with !ok(), or
  // succeed having read only what exists.
  std::uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    Bytes data(static_cast<std::size_t>(round % 64));
    for (auto& b : data) {
      state = state * 1103515245u + 12345u;
      b = static_cast<std::byte>(state >> 24);
    }
    const auto version =
        static_cast<std::int16_t>(round % (FetchResponse::highest_supported_version + 1));
    FetchResponse fetch;
    Reader fetch_reader(data);
    fetch.decode(fetch_reader, version);
    CHECK(fetch_reader.position() <= data.size());
    ProduceRequest produce;
    Reader produce_reader(data);
    produce.decode(produce_reader, static_cast<std::int16_t>(version % 12));
    CHECK(produce_reader.position() <= data.size());
  }
}
