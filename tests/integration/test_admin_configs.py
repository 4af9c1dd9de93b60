"""Topic configs and partitions through the admin clients: CreateTopics validation,
DescribeConfigs (sources and synonyms), AlterConfigs, IncrementalAlterConfigs,
CreatePartitions, DescribeCluster and DescribeLogDirs.

confluent-kafka 1.7 and kafka-python 2.0.2 (Debian 12) drive what they implement;
IncrementalAlterConfigs, DescribeCluster, DescribeLogDirs and the oldest versions of
DescribeConfigs are sent with the raw client (kafka_wire.py), since neither library
has them. A restart checks that configs and added partitions are persisted.
"""
import pytest

import kafka_wire as wire
from support import unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import KafkaException, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic  # noqa: E402

TIMEOUT = 30
# Admin, producer and consumer clients open connections faster than the default
# CONNECTION_RATE_LIMIT lets one address (loopback here) do.
MODULE_BROKER_SETTINGS = {"CONNECTION_RATE_LIMIT": 0}
INVALID_CONFIG = 40
INVALID_PARTITIONS = 37
INVALID_REQUEST = 42
RESOURCE_TOPIC = 2
RESOURCE_BROKER = 4
SOURCE_TOPIC = 1
SOURCE_DEFAULT = 5
API_DESCRIBE_CONFIGS = 32
API_DESCRIBE_LOG_DIRS = 35
API_INCREMENTAL_ALTER_CONFIGS = 44
API_DESCRIBE_CLUSTER = 60
OP_SET, OP_DELETE, OP_APPEND, OP_SUBTRACT = 0, 1, 2, 3


def admin_for(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap})


def create(admin, topic, partitions=1, config=None):
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1,
                                            config=config or {})], request_timeout=TIMEOUT)
    futures[topic].result(timeout=TIMEOUT)


def describe_topic(admin, topic):
    futures = admin.describe_configs([ConfigResource("topic", topic)], request_timeout=TIMEOUT)
    (future,) = futures.values()
    return future.result(timeout=TIMEOUT)


def alter_error(futures):
    (future,) = futures.values()
    with pytest.raises(KafkaException) as raised:
        future.result(timeout=TIMEOUT)
    return raised.value.args[0]


# --- raw requests for what the Python clients lack --------------------------------------

def incremental_alter_v0(connection, topic, operations, validate_only=False, resource_type=RESOURCE_TOPIC):
    body = wire.array([(resource_type, topic, operations)], lambda resource: (
        wire.int8(resource[0]) + wire.string(resource[1])
        + wire.array(resource[2], lambda op: wire.string(op[0]) + wire.int8(op[1]) + wire.string(op[2]))))
    body += wire.int8(1 if validate_only else 0)
    reader = wire.Reader(connection.request(API_INCREMENTAL_ALTER_CONFIGS, 0, body))
    reader.int32()  # throttle
    (result,) = reader.array(lambda r: {"error_code": r.int16(), "error_message": r.string(),
                                        "resource_type": r.int8(), "resource_name": r.string()})
    return result


def describe_configs_v0(connection, topic, keys=None):
    body = wire.array([topic], lambda name: wire.int8(RESOURCE_TOPIC) + wire.string(name)
                      + wire.array(keys, wire.string))
    reader = wire.Reader(connection.request(API_DESCRIBE_CONFIGS, 0, body))
    reader.int32()  # throttle
    (result,) = reader.array(lambda r: {
        "error_code": r.int16(), "error_message": r.string(), "resource_type": r.int8(),
        "resource_name": r.string(),
        "configs": r.array(lambda c: {"name": c.string(), "value": c.string(), "read_only": c.boolean(),
                                      "is_default": c.boolean(), "is_sensitive": c.boolean()})})
    return result


def compact_string(reader):
    length = reader.unsigned_varint() - 1
    return None if length < 0 else reader.take(length).decode()


def describe_cluster_v0(connection):
    body = wire.int8(0) + wire.EMPTY_TAGGED_FIELDS
    correlation_id = connection.send_request(API_DESCRIBE_CLUSTER, 0, body, flexible_header=True)
    reader = wire.Reader(connection.read_response(correlation_id, flexible_header=True))
    response = {"throttle": reader.int32(), "error_code": reader.int16(), "error_message": compact_string(reader),
                "cluster_id": compact_string(reader), "controller_id": reader.int32()}

    def broker(r):
        entry = {"id": r.int32(), "host": compact_string(r), "port": r.int32(), "rack": compact_string(r)}
        r.skip_tagged_fields()
        return entry

    response["brokers"] = reader.compact_array(broker)
    response["authorized_operations"] = reader.int32()
    return response


def describe_log_dirs_v1(connection, topics):
    body = wire.array(topics, lambda t: wire.string(t[0]) + wire.array(t[1], wire.int32))
    reader = wire.Reader(connection.request(API_DESCRIBE_LOG_DIRS, 1, body))
    reader.int32()  # throttle
    return reader.array(lambda r: {
        "error_code": r.int16(), "log_dir": r.string(),
        "topics": r.array(lambda t: {"name": t.string(), "partitions": t.array(lambda p: {
            "partition": p.int32(), "size": p.int64(), "offset_lag": p.int64(), "is_future": p.boolean()})})})


# --- confluent-kafka ---------------------------------------------------------------------

def test_create_topics_refuses_unknown_keys_and_invalid_values_with_a_message(module_broker):
    admin = admin_for(module_broker.bootstrap)
    bad_value, unknown_key = unique_topic("bad-value"), unique_topic("unknown-key")
    futures = admin.create_topics([NewTopic(bad_value, 1, 1, config={"retention.ms": "soon"}),
                                   NewTopic(unknown_key, 1, 1, config={"retention.msec": "1000"})],
                                  request_timeout=TIMEOUT)
    for topic, expected in ((bad_value, "Invalid value soon for configuration retention.ms"),
                            (unknown_key, "Unknown topic config name: retention.msec")):
        with pytest.raises(KafkaException) as raised:
            futures[topic].result(timeout=TIMEOUT)
        assert raised.value.args[0].code() == INVALID_CONFIG
        assert expected in raised.value.args[0].str()
    assert bad_value not in admin.list_topics(timeout=TIMEOUT).topics


def test_describe_configs_shows_overrides_defaults_sources_and_synonyms(module_broker):
    admin = admin_for(module_broker.bootstrap)
    topic = unique_topic("described")
    create(admin, topic, config={"retention.ms": "3600000", "cleanup.policy": "compact"})
    configs = describe_topic(admin, topic)
    for key in ("cleanup.policy", "compression.type", "retention.ms", "retention.bytes", "max.message.bytes",
                "message.timestamp.type", "segment.bytes", "min.insync.replicas"):
        assert key in configs, key
    retention = configs["retention.ms"]
    assert retention.value == "3600000"
    assert retention.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert not retention.is_default
    synonyms = [(s.name, s.value, s.source) for s in retention.synonyms.values()]
    assert synonyms[0] == ("retention.ms", "3600000", ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
    assert ("log.retention.hours", "168", ConfigSource.DEFAULT_CONFIG.value) in synonyms
    max_bytes = configs["max.message.bytes"]
    assert (max_bytes.value, max_bytes.source, max_bytes.is_default) == ("1048588", ConfigSource.DEFAULT_CONFIG.value, True)
    assert [s.name for s in max_bytes.synonyms.values()] == ["message.max.bytes"]
    assert configs["cleanup.policy"].value == "compact"


def test_describe_configs_of_the_broker_is_read_only(module_broker):
    admin = admin_for(module_broker.bootstrap)
    futures = admin.describe_configs([ConfigResource("broker", "1")], request_timeout=TIMEOUT)
    (future,) = futures.values()
    configs = future.result(timeout=TIMEOUT)
    assert configs["broker.id"].value == "1"
    assert configs["log.retention.hours"].value == "168"
    assert configs["message.max.bytes"].value == "1048588"
    assert configs["advertised.listeners"].value.endswith(module_broker.bootstrap)
    assert all(entry.is_read_only for entry in configs.values())


def test_alter_configs_replaces_overrides_and_refuses_invalid_values(module_broker):
    admin = admin_for(module_broker.bootstrap)
    topic = unique_topic("altered")
    create(admin, topic, config={"retention.ms": "1000"})
    futures = admin.alter_configs([ConfigResource("topic", topic, set_config={
        "max.message.bytes": "2048", "message.timestamp.type": "LogAppendTime"})], request_timeout=TIMEOUT)
    (future,) = futures.values()
    future.result(timeout=TIMEOUT)
    configs = describe_topic(admin, topic)
    assert configs["max.message.bytes"].value == "2048"
    assert configs["max.message.bytes"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["message.timestamp.type"].value == "LogAppendTime"
    # AlterConfigs sets the whole override set: retention.ms is back to its default.
    assert configs["retention.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    assert configs["retention.ms"].value == "604800000"

    error = alter_error(admin.alter_configs([ConfigResource("topic", topic, set_config={
        "message.timestamp.type": "WallClock"})], request_timeout=TIMEOUT))
    assert error.code() == INVALID_CONFIG
    assert "Invalid value WallClock for configuration message.timestamp.type" in error.str()
    error = alter_error(admin.alter_configs([ConfigResource("topic", topic, set_config={
        "no.such.config": "1"})], request_timeout=TIMEOUT))
    assert error.code() == INVALID_CONFIG and "Unknown topic config name: no.such.config" in error.str()
    # A refused change changes nothing.
    assert describe_topic(admin, topic)["max.message.bytes"].value == "2048"

    futures = admin.alter_configs([ConfigResource("topic", topic, set_config={"max.message.bytes": "4096"})],
                                  request_timeout=TIMEOUT, validate_only=True)
    (future,) = futures.values()
    future.result(timeout=TIMEOUT)
    assert describe_topic(admin, topic)["max.message.bytes"].value == "2048"


def test_alter_configs_of_the_broker_is_refused_with_a_clear_error(module_broker):
    admin = admin_for(module_broker.bootstrap)
    error = alter_error(admin.alter_configs([ConfigResource("broker", "1", set_config={
        "log.retention.ms": "1000"})], request_timeout=TIMEOUT))
    assert error.code() == INVALID_REQUEST
    assert "static" in error.str() and "log.retention.ms" in error.str()


def test_create_partitions_grows_only(module_broker):
    admin = admin_for(module_broker.bootstrap)
    topic = unique_topic("growing")
    create(admin, topic, partitions=2)
    futures = admin.create_partitions([NewPartitions(topic, 4)], request_timeout=TIMEOUT, validate_only=True)
    futures[topic].result(timeout=TIMEOUT)
    assert len(admin.list_topics(topic, timeout=TIMEOUT).topics[topic].partitions) == 2

    futures = admin.create_partitions([NewPartitions(topic, 4)], request_timeout=TIMEOUT)
    futures[topic].result(timeout=TIMEOUT)
    assert sorted(admin.list_topics(topic, timeout=TIMEOUT).topics[topic].partitions) == [0, 1, 2, 3]

    for count, message in ((3, "Topic currently has 4 partitions, which is higher than the requested 3."),
                           (4, "Topic already has 4 partitions.")):
        futures = admin.create_partitions([NewPartitions(topic, count)], request_timeout=TIMEOUT)
        with pytest.raises(KafkaException) as raised:
            futures[topic].result(timeout=TIMEOUT)
        assert raised.value.args[0].code() == INVALID_PARTITIONS
        assert message in raised.value.args[0].str()

    # The new partitions take records.
    producer = Producer({"bootstrap.servers": module_broker.bootstrap})
    delivered = []
    producer.produce(topic, partition=3, value=b"into a new partition",
                     on_delivery=lambda error, message: delivered.append((error, message.partition())))
    assert producer.flush(TIMEOUT) == 0
    assert delivered == [(None, 3)]


# --- raw requests ------------------------------------------------------------------------

def test_incremental_alter_configs_set_delete_append_subtract(module_broker):
    admin = admin_for(module_broker.bootstrap)
    topic = unique_topic("incremental")
    create(admin, topic, config={"retention.ms": "1000", "segment.ms": "60000"})
    with wire.Connection.to(module_broker.bootstrap) as connection:
        result = incremental_alter_v0(connection, topic, [("retention.ms", OP_SET, "5000"),
                                                          ("segment.ms", OP_DELETE, None),
                                                          ("cleanup.policy", OP_APPEND, "compact")])
        assert (result["error_code"], result["error_message"], result["resource_name"]) == (0, None, topic)
        configs = describe_topic(admin, topic)
        assert configs["retention.ms"].value == "5000"
        assert configs["segment.ms"].source == ConfigSource.DEFAULT_CONFIG.value
        assert configs["cleanup.policy"].value == "delete,compact"

        result = incremental_alter_v0(connection, topic, [("cleanup.policy", OP_SUBTRACT, "delete")])
        assert result["error_code"] == 0
        assert describe_topic(admin, topic)["cleanup.policy"].value == "compact"

        refused = incremental_alter_v0(connection, topic, [("retention.ms", OP_APPEND, "1")])
        assert refused["error_code"] == INVALID_CONFIG
        assert "append" in refused["error_message"] and "retention.ms" in refused["error_message"]
        refused = incremental_alter_v0(connection, topic, [("retention.ms", OP_SET, "-7")])
        assert refused["error_code"] == INVALID_CONFIG
        assert refused["error_message"] == "Invalid value -7 for configuration retention.ms: Value must be at least -1"
        refused = incremental_alter_v0(connection, topic, [("cleanup.policy", OP_SET, "shred")])
        assert refused["error_code"] == INVALID_CONFIG

        unchanged = incremental_alter_v0(connection, topic, [("retention.ms", OP_SET, "9000")], validate_only=True)
        assert unchanged["error_code"] == 0
        assert describe_topic(admin, topic)["retention.ms"].value == "5000"

        broker = incremental_alter_v0(connection, "1", [("log.retention.ms", OP_SET, "1")],
                                      resource_type=RESOURCE_BROKER)
        assert broker["error_code"] == INVALID_REQUEST and "static" in broker["error_message"]


def test_describe_configs_v0_reports_defaults_with_is_default(module_broker):
    admin = admin_for(module_broker.bootstrap)
    topic = unique_topic("described-v0")
    create(admin, topic, config={"retention.bytes": "1048576"})
    with wire.Connection.to(module_broker.bootstrap) as connection:
        result = describe_configs_v0(connection, topic, ["retention.bytes", "segment.bytes"])
        assert result["error_code"] == 0
        by_name = {entry["name"]: entry for entry in result["configs"]}
        assert set(by_name) == {"retention.bytes", "segment.bytes"}
        assert (by_name["retention.bytes"]["value"], by_name["retention.bytes"]["is_default"]) == ("1048576", False)
        assert (by_name["segment.bytes"]["value"], by_name["segment.bytes"]["is_default"]) == ("1073741824", True)
        missing = describe_configs_v0(connection, unique_topic("missing"))
        assert missing["error_code"] == wire.UNKNOWN_TOPIC_OR_PARTITION


def test_describe_cluster_names_this_broker_as_controller(module_broker):
    with wire.Connection.to(module_broker.bootstrap) as connection:
        cluster = describe_cluster_v0(connection)
    assert cluster["error_code"] == 0
    assert len(cluster["cluster_id"]) == 22
    assert cluster["controller_id"] == 1
    host, port = module_broker.bootstrap.rsplit(":", 1)
    assert [(b["id"], b["host"], b["port"]) for b in cluster["brokers"]] == [(1, host, int(port))]


def test_describe_log_dirs_reports_partition_sizes(module_broker):
    admin = admin_for(module_broker.bootstrap)
    topic = unique_topic("sized")
    create(admin, topic, partitions=2)
    producer = Producer({"bootstrap.servers": module_broker.bootstrap, "linger.ms": 5})
    for number in range(200):
        producer.produce(topic, partition=0, value=bytes([number % 256]) * 1000)
    assert producer.flush(TIMEOUT) == 0
    with wire.Connection.to(module_broker.bootstrap) as connection:
        (log_dir,) = describe_log_dirs_v1(connection, [(topic, [0, 1, 7])])
        everything = describe_log_dirs_v1(connection, None)
    assert log_dir["error_code"] == 0 and log_dir["log_dir"].startswith("/")
    (described,) = log_dir["topics"]
    sizes = {p["partition"]: p["size"] for p in described["partitions"]}
    assert set(sizes) == {0, 1}
    assert sizes[0] >= 100_000 and sizes[1] == 0
    assert topic in {t["name"] for t in everything[0]["topics"]}


# --- kafka-python ------------------------------------------------------------------------

def test_kafka_python_admin_describes_alters_and_grows(module_broker):
    kafka = pytest.importorskip("kafka")
    from kafka.admin import ConfigResource as KafkaConfigResource, ConfigResourceType, NewPartitions as KafkaNewPartitions
    from kafka.admin import NewTopic as KafkaNewTopic
    admin = kafka.KafkaAdminClient(bootstrap_servers=module_broker.bootstrap, request_timeout_ms=TIMEOUT * 1000)
    try:
        topic = unique_topic("kafka-python")
        admin.create_topics([KafkaNewTopic(topic, 1, 1, topic_configs={"retention.ms": "120000"})])
        (response,) = admin.describe_configs([KafkaConfigResource(ConfigResourceType.TOPIC, topic)],
                                             include_synonyms=True)
        (resource,) = response.resources
        error_code, _, _, name, entries = resource
        assert (error_code, name) == (0, topic)
        by_name = {entry[0]: entry for entry in entries}
        # (name, value, read_only, config_source, is_sensitive, synonyms) at v1/v2
        assert by_name["retention.ms"][1] == "120000"
        assert by_name["retention.ms"][3] == SOURCE_TOPIC
        assert by_name["segment.bytes"][3] == SOURCE_DEFAULT

        admin.alter_configs([KafkaConfigResource(ConfigResourceType.TOPIC, topic,
                                                 configs={"retention.ms": "240000"})])
        (response,) = admin.describe_configs([KafkaConfigResource(ConfigResourceType.TOPIC, topic,
                                                                  configs={"retention.ms": None})])
        assert [(e[0], e[1]) for e in response.resources[0][4]] == [("retention.ms", "240000")]

        (response,) = admin.describe_configs([KafkaConfigResource(ConfigResourceType.BROKER, "1")])
        error_code, _, _, name, entries = response.resources[0]
        assert (error_code, name) == (0, "1")
        assert {entry[0]: entry[1] for entry in entries}["num.partitions"] == "1"

        admin.create_partitions({topic: KafkaNewPartitions(3)})
        assert len(admin.describe_topics([topic])[0]["partitions"]) == 3
    finally:
        admin.close()


# --- persistence -------------------------------------------------------------------------

def test_configs_and_added_partitions_survive_a_restart(broker):
    admin = admin_for(broker.bootstrap)
    topic = unique_topic("persisted")
    create(admin, topic, partitions=1, config={"retention.ms": "1000"})
    futures = admin.alter_configs([ConfigResource("topic", topic, set_config={
        "cleanup.policy": "compact", "max.message.bytes": "65536"})], request_timeout=TIMEOUT)
    (future,) = futures.values()
    future.result(timeout=TIMEOUT)
    admin.create_partitions([NewPartitions(topic, 3)], request_timeout=TIMEOUT)[topic].result(timeout=TIMEOUT)

    broker.restart()
    admin = admin_for(broker.bootstrap)
    configs = describe_topic(admin, topic)
    assert configs["cleanup.policy"].value == "compact"
    assert configs["max.message.bytes"].value == "65536"
    assert configs["max.message.bytes"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["retention.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    assert sorted(admin.list_topics(topic, timeout=TIMEOUT).topics[topic].partitions) == [0, 1, 2]


# --- broker settings behind Kafka broker configs -------------------------------------------

def test_broker_settings_show_their_effective_values_as_static_broker_configs(broker_factory):
    broker = broker_factory(MAX_MESSAGE_BYTES=2000000, PRODUCER_ID_EXPIRATION_MS=60000)
    admin = admin_for(broker.bootstrap)
    futures = admin.describe_configs([ConfigResource("broker", "1")], request_timeout=TIMEOUT)
    (future,) = futures.values()
    configs = future.result(timeout=TIMEOUT)
    static = ConfigSource.STATIC_BROKER_CONFIG.value
    assert (configs["message.max.bytes"].value, configs["message.max.bytes"].source) == ("2000000", static)
    assert not configs["message.max.bytes"].is_default
    assert (configs["producer.id.expiration.ms"].value, configs["producer.id.expiration.ms"].source) == \
        ("60000", static)
    assert configs["group.min.session.timeout.ms"].source == ConfigSource.DEFAULT_CONFIG.value

    # A topic without its own max.message.bytes inherits the broker's, as Kafka reports it.
    topic = unique_topic("inherits")
    create(admin, topic)
    max_bytes = describe_topic(admin, topic)["max.message.bytes"]
    assert (max_bytes.value, max_bytes.source, max_bytes.is_default) == ("2000000", static, False)
    assert [(s.name, s.value, s.source) for s in max_bytes.synonyms.values()] == \
        [("message.max.bytes", "2000000", static)]
