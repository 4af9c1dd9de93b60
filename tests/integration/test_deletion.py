"""DeleteRecords, DeleteTopics and retention through real clients.

confluent-kafka 1.7 (Debian 12) has no `delete_records` in its AdminClient, but the
librdkafka 2.0 it runs on does: `delete_records` below calls librdkafka's own
rd_kafka_DeleteRecords through ctypes, the same code confluent-kafka 2.x wraps. Offsets
and consumption go through confluent-kafka as usual.
"""
import ctypes
import ctypes.util
import time

import pytest

import kafka_wire as wire
from support import unique_topic, wait_until

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

RD_KAFKA_PRODUCER = 0
RD_KAFKA_CONF_OK = 0


@pytest.fixture
def broker(broker_factory):
    """Each Consumer below opens three connections (bootstrap, broker, group coordinator),
    several per second from 127.0.0.1: no per-address connection rate limit here."""
    return broker_factory(CONNECTION_RATE_LIMIT=0)


class _TopicPartition(ctypes.Structure):
    _fields_ = [("topic", ctypes.c_char_p), ("partition", ctypes.c_int32), ("offset", ctypes.c_int64),
                ("metadata", ctypes.c_void_p), ("metadata_size", ctypes.c_size_t),
                ("opaque", ctypes.c_void_p), ("err", ctypes.c_int), ("_private", ctypes.c_void_p)]


class _TopicPartitionList(ctypes.Structure):
    _fields_ = [("cnt", ctypes.c_int), ("size", ctypes.c_int),
                ("elems", ctypes.POINTER(_TopicPartition))]


def _librdkafka():
    lib = ctypes.CDLL(ctypes.util.find_library("rdkafka") or "librdkafka.so.1")
    p = ctypes.c_void_p
    signatures = {
        "rd_kafka_conf_new": (p, []),
        "rd_kafka_conf_set": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]),
        "rd_kafka_new": (p, [ctypes.c_int, p, ctypes.c_char_p, ctypes.c_size_t]),
        "rd_kafka_destroy": (None, [p]),
        "rd_kafka_topic_partition_list_new": (ctypes.POINTER(_TopicPartitionList), [ctypes.c_int]),
        "rd_kafka_topic_partition_list_add": (ctypes.POINTER(_TopicPartition),
                                              [ctypes.POINTER(_TopicPartitionList), ctypes.c_char_p, ctypes.c_int32]),
        "rd_kafka_topic_partition_list_destroy": (None, [ctypes.POINTER(_TopicPartitionList)]),
        "rd_kafka_DeleteRecords_new": (p, [ctypes.POINTER(_TopicPartitionList)]),
        "rd_kafka_DeleteRecords_destroy": (None, [p]),
        "rd_kafka_queue_new": (p, [p]),
        "rd_kafka_queue_destroy": (None, [p]),
        "rd_kafka_DeleteRecords": (None, [p, ctypes.POINTER(p), ctypes.c_size_t, p, p]),
        "rd_kafka_queue_poll": (p, [p, ctypes.c_int]),
        "rd_kafka_event_error": (ctypes.c_int, [p]),
        "rd_kafka_event_error_string": (ctypes.c_char_p, [p]),
        "rd_kafka_event_DeleteRecords_result": (p, [p]),
        "rd_kafka_DeleteRecords_result_offsets": (ctypes.POINTER(_TopicPartitionList), [p]),
        "rd_kafka_event_destroy": (None, [p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def delete_records(bootstrap, topic, before_offsets, timeout_s=20):
    """librdkafka's DeleteRecords: {partition: offset} -> {partition: (error code, low watermark)}.
    A whole-request failure raises."""
    lib = _librdkafka()
    errstr = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    assert lib.rd_kafka_conf_set(conf, b"bootstrap.servers", bootstrap.encode(), errstr, 512) == RD_KAFKA_CONF_OK
    client = lib.rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, 512)
    assert client, errstr.value
    queue = lib.rd_kafka_queue_new(client)
    offsets = lib.rd_kafka_topic_partition_list_new(len(before_offsets))
    try:
        for partition, offset in before_offsets.items():
            lib.rd_kafka_topic_partition_list_add(offsets, topic.encode(), partition).contents.offset = offset
        request = ctypes.c_void_p(lib.rd_kafka_DeleteRecords_new(offsets))
        lib.rd_kafka_DeleteRecords(client, ctypes.byref(request), 1, None, queue)
        lib.rd_kafka_DeleteRecords_destroy(request)
        event = lib.rd_kafka_queue_poll(queue, int(timeout_s * 1000))
        assert event, f"no DeleteRecords result within {timeout_s} s"
        try:
            if lib.rd_kafka_event_error(event):
                raise AssertionError(f"DeleteRecords failed: {lib.rd_kafka_event_error_string(event)}")
            result = lib.rd_kafka_DeleteRecords_result_offsets(lib.rd_kafka_event_DeleteRecords_result(event))
            return {result.contents.elems[i].partition: (result.contents.elems[i].err, result.contents.elems[i].offset)
                    for i in range(result.contents.cnt)}
        finally:
            lib.rd_kafka_event_destroy(event)
    finally:
        lib.rd_kafka_topic_partition_list_destroy(offsets)
        lib.rd_kafka_queue_destroy(queue)
        lib.rd_kafka_destroy(client)


def create_topic(bootstrap, topic, partitions=1, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
                        request_timeout=30)[topic].result(timeout=30)


def produce(bootstrap, topic, count, partition=0, timestamp=None, batch=True):
    """Produces `count` records (value = their number); one batch per record unless `batch`."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    errors = []
    for number in range(count):
        producer.produce(topic, partition=partition, value=str(number).encode(), timestamp=timestamp or 0,
                         on_delivery=lambda error, message: error and errors.append(error))
        if not batch:
            producer.flush(10)
    assert producer.flush(30) == 0
    assert not errors, errors[:3]


def watermarks(bootstrap, topic, partition=0):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-deletion-unused"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10, cached=False)
    finally:
        consumer.close()


def consume_from(bootstrap, topic, offset, reset, count, partition=0, timeout=20):
    """Assigns at `offset` with auto.offset.reset=`reset`; returns the first `count` offsets
    read, or the first error that is not an end-of-partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-deletion-unused",
                         "enable.auto.commit": False, "auto.offset.reset": reset})
    offsets = []
    try:
        consumer.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + timeout
        while len(offsets) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                return message.error()
            offsets.append(message.offset())
    finally:
        consumer.close()
    return offsets


def test_delete_records_moves_the_log_start_and_reads_below_it_are_out_of_range(broker):
    topic = unique_topic("delete-records")
    create_topic(broker.bootstrap, topic)
    produce(broker.bootstrap, topic, 30)
    assert watermarks(broker.bootstrap, topic) == (0, 30)

    assert delete_records(broker.bootstrap, topic, {0: 12}) == {0: (0, 12)}
    assert watermarks(broker.bootstrap, topic) == (12, 30), "ListOffsets earliest did not move"

    # Kafka's consumer semantics below the log start: reset to earliest, or an error.
    assert consume_from(broker.bootstrap, topic, 3, "earliest", 5) == [12, 13, 14, 15, 16]
    error = consume_from(broker.bootstrap, topic, 3, "error", 1)
    assert isinstance(error, KafkaError) and error.code() == KafkaError._AUTO_OFFSET_RESET, error
    assert consume_from(broker.bootstrap, topic, 20, "error", 3) == [20, 21, 22]

    # An offset above the high watermark is refused; -1 means the high watermark.
    assert delete_records(broker.bootstrap, topic, {0: 31})[0][0] == KafkaError.OFFSET_OUT_OF_RANGE
    assert delete_records(broker.bootstrap, topic, {0: -1}) == {0: (0, 30)}
    assert watermarks(broker.bootstrap, topic) == (30, 30)

    # The start survives a restart, and appends continue at the high watermark.
    broker.kill_and_restart()
    assert watermarks(broker.bootstrap, topic) == (30, 30)
    produce(broker.bootstrap, topic, 2)
    assert watermarks(broker.bootstrap, topic) == (30, 32)
    assert consume_from(broker.bootstrap, topic, 0, "earliest", 2) == [30, 31]


# --- error codes and topic ids, as raw requests (librdkafka filters unknown partitions
# itself, and confluent-kafka 1.7 shows no topic ids) ------------------------------------

API_CREATE_TOPICS, API_DELETE_TOPICS, API_DELETE_RECORDS = 19, 20, 21
NO_ERROR, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION = 0, 1, 3
INVALID_REQUEST, UNKNOWN_TOPIC_ID = 42, 100


def raw_delete_records_v0(connection, topic, partitions):
    """{partition: offset} -> {partition: (error code, low watermark)}."""
    body = wire.array([wire.string(topic) + wire.array([wire.int32(p) + wire.int64(o) for p, o in partitions.items()])])
    body += wire.int32(10000)
    reader = wire.Reader(connection.read_response(connection.send_request(API_DELETE_RECORDS, 0, body)))
    reader.int32()  # throttle
    results = {}
    for _ in range(reader.int32()):
        reader.string()
        for _ in range(reader.int32()):
            partition, low_watermark, error = reader.int32(), reader.int64(), reader.int16()
            results[partition] = (error, low_watermark)
    return results


def raw_create_topic_v7(connection, topic):
    """Creates a 1-partition topic; returns its topic id (16 bytes)."""
    body = wire.unsigned_varint(2) + wire.compact_string(topic) + wire.int32(1) + wire.int16(1)
    body += wire.unsigned_varint(1) + wire.unsigned_varint(1) + wire.EMPTY_TAGGED_FIELDS  # no assignments, configs
    body += wire.int32(10000) + wire.int8(0) + wire.EMPTY_TAGGED_FIELDS
    correlation_id = connection.send_request(API_CREATE_TOPICS, 7, body, flexible_header=True)
    reader = wire.Reader(connection.read_response(correlation_id, flexible_header=True))
    reader.int32()  # throttle
    assert reader.unsigned_varint() == 2
    reader.take(reader.unsigned_varint() - 1)  # name
    topic_id = reader.take(16)
    assert reader.int16() == NO_ERROR
    return topic_id


def raw_delete_topic_v6(connection, name=None, topic_id=bytes(16)):
    """One DeleteTopics v6 entry -> (name, topic id, error code)."""
    body = wire.unsigned_varint(2) + wire.compact_string(name) + topic_id + wire.EMPTY_TAGGED_FIELDS
    body += wire.int32(10000) + wire.EMPTY_TAGGED_FIELDS
    correlation_id = connection.send_request(API_DELETE_TOPICS, 6, body, flexible_header=True)
    reader = wire.Reader(connection.read_response(correlation_id, flexible_header=True))
    reader.int32()  # throttle
    assert reader.unsigned_varint() == 2
    length = reader.unsigned_varint() - 1
    answered_name = None if length < 0 else reader.take(length).decode()
    return answered_name, reader.take(16), reader.int16()


def test_delete_records_error_codes_are_kafkas(broker):
    topic = unique_topic("delete-records-errors")
    create_topic(broker.bootstrap, topic)
    produce(broker.bootstrap, topic, 3)
    with wire.Connection.to(broker.bootstrap) as connection:
        assert raw_delete_records_v0(connection, topic, {0: 1, 5: 1}) == {
            0: (NO_ERROR, 1), 5: (UNKNOWN_TOPIC_OR_PARTITION, -1)}
        assert raw_delete_records_v0(connection, topic, {0: 4}) == {0: (OFFSET_OUT_OF_RANGE, -1)}
        assert raw_delete_records_v0(connection, topic, {0: -7}) == {0: (OFFSET_OUT_OF_RANGE, -1)}
        assert raw_delete_records_v0(connection, topic, {0: 0}) == {0: (NO_ERROR, 1)}, "the start went back"
        assert raw_delete_records_v0(connection, topic, {0: -1}) == {0: (NO_ERROR, 3)}
        assert raw_delete_records_v0(connection, "no-such-topic", {0: 0}) == {0: (UNKNOWN_TOPIC_OR_PARTITION, -1)}


def test_delete_topics_by_id_and_a_recreated_topic_gets_a_new_id(broker):
    topic = unique_topic("delete-by-id")
    with wire.Connection.to(broker.bootstrap) as connection:
        first_id = raw_create_topic_v7(connection, topic)
        produce(broker.bootstrap, topic, 5)
        assert raw_delete_topic_v6(connection, topic_id=first_id) == (topic, first_id, NO_ERROR)
        assert raw_delete_topic_v6(connection, topic_id=first_id)[2] == UNKNOWN_TOPIC_ID
        assert raw_delete_topic_v6(connection, name=topic)[2] == UNKNOWN_TOPIC_OR_PARTITION

        second_id = raw_create_topic_v7(connection, topic)
        assert second_id != first_id
        assert watermarks(broker.bootstrap, topic) == (0, 0)
        assert raw_delete_topic_v6(connection, name=topic, topic_id=second_id)[2] == INVALID_REQUEST
        assert raw_delete_topic_v6(connection, name=topic) == (topic, second_id, NO_ERROR)


def test_a_deleted_topic_recreated_with_its_name_starts_empty(broker):
    topic = unique_topic("recreated")
    create_topic(broker.bootstrap, topic, partitions=2)
    produce(broker.bootstrap, topic, 20, partition=1)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.delete_topics([topic], operation_timeout=10)[topic].result(timeout=30)
    wait_until(lambda: topic not in admin.list_topics(timeout=10).topics, timeout=10,
               what="the deleted topic to leave the metadata")
    with pytest.raises(confluent_kafka.KafkaException) as unknown:
        admin.delete_topics([topic], operation_timeout=10)[topic].result(timeout=30)
    assert unknown.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART

    create_topic(broker.bootstrap, topic, partitions=2)
    assert watermarks(broker.bootstrap, topic, partition=1) == (0, 0)
    produce(broker.bootstrap, topic, 1, partition=1)
    assert consume_from(broker.bootstrap, topic, 0, "error", 1, partition=1) == [0]
    broker.restart()
    assert watermarks(broker.bootstrap, topic, partition=1) == (0, 1)


def test_retention_ms_deletes_old_batches_of_a_topic_created_with_it(broker_factory):
    broker = broker_factory(RETENTION_CHECK_INTERVAL_MS=100, CONNECTION_RATE_LIMIT=0)
    limited = unique_topic("retention")
    unlimited = unique_topic("retention-default")
    create_topic(broker.bootstrap, limited, config={"retention.ms": "60000"})
    create_topic(broker.bootstrap, unlimited)
    hour_ago = int(time.time() * 1000) - 3600 * 1000
    for topic in (limited, unlimited):
        produce(broker.bootstrap, topic, 10, timestamp=hour_ago, batch=False)
        produce(broker.bootstrap, topic, 5)  # now: within both limits

    wait_until(lambda: watermarks(broker.bootstrap, limited) == (10, 15), timeout=20,
               what=f"retention to move the start of {limited} to 10 (now {watermarks(broker.bootstrap, limited)})")
    assert consume_from(broker.bootstrap, limited, 0, "earliest", 5) == [10, 11, 12, 13, 14]
    time.sleep(0.5)  # several more checks: the fresh records and the default topic stay
    assert watermarks(broker.bootstrap, limited) == (10, 15)
    assert watermarks(broker.bootstrap, unlimited) == (0, 15)
