"""Produce under topic configs: compression.type (validation and recompression with
every codec), max.message.bytes, message.timestamp.type, and refusal of corrupt
compressed batches.

Which client sends which codec: librdkafka 2.0.2 compresses gzip and snappy only when the
broker advertises Produce v2 and Fetch v2 (its MsgVer1 feature) and lz4 only with
FindCoordinator; Weir serves both (test_message_formats.py checks that kcat's batches
arrive compressed). kafka-python sends gzip, xerial snappy and
lz4 frames (python3-snappy, python3-lz4), and raw requests cover raw snappy. The stored
codec is read from the raw batches a Fetch returns.
"""
import gzip
import shutil
import struct
import time

import pytest

import kafka_wire as wire
from support import run_command, unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

KCAT = shutil.which("kcat")
# (client, codec) pairs; between them every codec reaches the broker compressed.
PRODUCERS = [("librdkafka", "none"), ("librdkafka", "zstd"), ("librdkafka", "gzip"),
             ("kafka-python", "gzip"), ("kafka-python", "snappy"), ("kafka-python", "lz4")]
TOPIC_COMPRESSION = ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"]
CODEC_IDS = {"none": 0, "uncompressed": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
RECORDS_PER_PRODUCER = 300
# Many short-lived clients, each opening connections: faster than the default
# CONNECTION_RATE_LIMIT lets one address (loopback here) do.
MODULE_BROKER_SETTINGS = {"CONNECTION_RATE_LIMIT": 0}
MESSAGE_TOO_LARGE = 10
INVALID_TIMESTAMP = 32
UNSUPPORTED_COMPRESSION_TYPE = 76


@pytest.fixture
def broker(module_broker):
    return module_broker


def create_topic(bootstrap, topic, configs, partitions=1):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1,
                                            config=configs)], request_timeout=30)
    futures[topic].result(timeout=30)


def value_of(codec, index):
    # Repetitive enough to compress, varied enough that a mix-up shows.
    return f"{codec}-{index:05d}-".encode() + b"payload " * (index % 50)


def produce(bootstrap, topic, codec, count=RECORDS_PER_PRODUCER, **settings):
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 20,
                         "enable.idempotence": True, **settings})
    for index in range(count):
        producer.produce(topic, partition=0, value=value_of(codec, index),
                         on_delivery=lambda error, message: errors.append(error) if error else None)
    assert producer.flush(30) == 0
    return errors


def produce_kafka_python(bootstrap, topic, codec, label, count=RECORDS_PER_PRODUCER):
    kafka = pytest.importorskip("kafka")
    producer = kafka.KafkaProducer(bootstrap_servers=bootstrap, compression_type=codec, linger_ms=20)
    try:
        futures = [producer.send(topic, value=value_of(label, i), partition=0) for i in range(count)]
        producer.flush(30)
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close(timeout=10)


def label_of(client, codec):
    return f"{client}-{codec}"


def consume_all(bootstrap, topic, expected_count, timeout=30.0):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-integration-unused",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    messages = []
    try:
        consumer.assign([TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        deadline = time.monotonic() + timeout
        at_end = False
        while not at_end or len(messages) < expected_count:
            assert time.monotonic() < deadline, f"read {len(messages)} of {expected_count} records"
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                if message.error():
                    assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                    at_end = True
                else:
                    messages.append(message)
    finally:
        consumer.close()
    return messages


def stored_batches(bootstrap, topic):
    """(attributes, base_offset, max_timestamp) of every stored batch of partition 0."""
    batches = []
    offset = 0
    with wire.Connection.to(bootstrap) as connection:
        while True:
            fetched = wire.fetch_v4(connection, topic, 0, offset)
            assert fetched["error_code"] == 0, fetched
            data = fetched["records"]
            if not data:
                return batches
            position = 0
            while position + 61 <= len(data):
                base_offset, length = struct.unpack_from(">qi", data, position)
                if position + 12 + length > len(data):
                    break
                attributes, last_delta, _, max_timestamp = struct.unpack_from(">hiqq", data, position + 21)
                batches.append((attributes, base_offset, max_timestamp))
                offset = base_offset + last_delta + 1
                position += 12 + length
            if offset >= fetched["high_watermark"]:
                return batches


@pytest.mark.parametrize("topic_compression", TOPIC_COMPRESSION)
def test_every_producer_codec_round_trips_under_topic_compression(broker, topic_compression):
    topic = unique_topic(f"compression-{topic_compression}")
    create_topic(broker.bootstrap, topic, {"compression.type": topic_compression})
    for client, codec in PRODUCERS:
        if client == "librdkafka":
            errors = produce(broker.bootstrap, topic, codec)
            assert not errors, f"{codec}: {errors[:3]}"
        else:
            produce_kafka_python(broker.bootstrap, topic, codec, label_of(client, codec))
    messages = consume_all(broker.bootstrap, topic, RECORDS_PER_PRODUCER * len(PRODUCERS))
    want = [value_of(codec if client == "librdkafka" else label_of(client, codec), i)
            for client, codec in PRODUCERS for i in range(RECORDS_PER_PRODUCER)]
    assert [m.value() for m in messages] == want
    assert [m.offset() for m in messages] == list(range(len(want)))

    codecs_stored = {attributes & 7 for attributes, _, _ in stored_batches(broker.bootstrap, topic)}
    if topic_compression == "producer":
        assert codecs_stored == {0, 1, 2, 3, 4}, codecs_stored
    else:
        assert codecs_stored == {CODEC_IDS[topic_compression]}, codecs_stored


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed")
@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_kcat_batches_are_recompressed_to_the_topic_codec(broker, codec):
    topic = unique_topic(f"kcat-recompress-{codec}")
    target = "zstd" if codec != "zstd" else "gzip"
    create_topic(broker.bootstrap, topic, {"compression.type": target})
    lines = [f"line {i} " + "x" * (i % 90) for i in range(2000)]
    result = run_command([KCAT, "-P", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-z", codec,
                          "-X", "acks=all"], input_bytes="".join(l + "\n" for l in lines).encode(), timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    result = run_command([KCAT, "-C", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-e", "-q",
                          "-f", "%s\\n"], timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.decode().splitlines() == lines
    assert {a & 7 for a, _, _ in stored_batches(broker.bootstrap, topic)} == {CODEC_IDS[target]}


def test_raw_snappy_as_librdkafka_writes_it_is_accepted_and_recompressed(broker):
    snappy = pytest.importorskip("snappy")
    topic = unique_topic("raw-snappy")
    create_topic(broker.bootstrap, topic, {"compression.type": "lz4"})
    values = [b"raw snappy %d " % i + b"z" * (i % 40) for i in range(200)]
    batch = compressed_batch(snappy.compress(records_payload(values)), 2, len(values))
    with wire.Connection.to(broker.bootstrap) as connection:
        assert produce_raw(connection, topic, batch)[:2] == (0, 0)
    assert [m.value() for m in consume_all(broker.bootstrap, topic, len(values))] == values
    assert {a & 7 for a, _, _ in stored_batches(broker.bootstrap, topic)} == {3}


# --- raw requests -------------------------------------------------------------------------

def produce_raw(connection, topic, batch, version=3):
    """(error_code, base_offset, log_append_time_ms) of a Produce to partition 0."""
    body = wire.produce_v3_body(topic, 0, batch)
    if version >= 7:  # same body layout from v3 to v8
        pass
    reader = wire.Reader(connection.request(wire.API_PRODUCE, version, body))
    [(_, [(_, error_code, base_offset, log_append_time, *_)])] = reader.array(
        lambda r: (r.string(), r.array(lambda p: (p.int32(), p.int16(), p.int64(), p.int64())
                                       + ((p.int64(),) if version >= 5 else ())
                                       + ((p.array(lambda e: (e.int32(), e.string())), p.string())
                                          if version >= 8 else ()))))
    return error_code, base_offset, log_append_time


def compressed_batch(payload, codec_id, count, base_timestamp=None):
    """A magic-2 batch whose records field is `payload` as given (already compressed)."""
    if base_timestamp is None:
        base_timestamp = int(time.time() * 1000)
    after_crc = (wire.int16(codec_id) + wire.int32(count - 1) + wire.int64(base_timestamp)
                 + wire.int64(base_timestamp) + wire.int64(-1) + wire.int16(-1) + wire.int32(-1)
                 + wire.int32(count) + payload)
    after_length = wire.int32(0) + wire.int8(2) + struct.pack(">I", wire.crc32c(after_crc)) + after_crc
    return wire.int64(0) + wire.int32(len(after_length)) + after_length


def records_payload(values):
    return b"".join(wire.encode_record(i, None, value) for i, value in enumerate(values))


def test_a_corrupt_compressed_payload_is_refused_with_corrupt_message(broker):
    topic = unique_topic("corrupt-gzip")
    values = [b"value-%d" % i * 20 for i in range(50)]
    good = gzip.compress(records_payload(values))
    damaged = bytearray(good)
    for i in range(len(damaged) // 3, 2 * len(damaged) // 3):
        damaged[i] ^= 0x5A
    with wire.Connection.to(broker.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        # The CRC is valid: only decompressing shows the damage.
        assert produce_raw(connection, topic, compressed_batch(bytes(damaged), 1, len(values)))[0] == \
            wire.CORRUPT_MESSAGE
        # A well-formed stream whose record count disagrees with the header is invalid.
        assert produce_raw(connection, topic, compressed_batch(good, 1, len(values) + 1))[0] == 87
        assert produce_raw(connection, topic, compressed_batch(good, 1, len(values)))[:2] == (0, 0)
        assert wire.fetch_v4(connection, topic, 0, 0)["high_watermark"] == len(values)


def test_zstd_before_produce_v7_is_unsupported_compression_type(broker):
    topic = unique_topic("zstd-v3")
    # A zstd frame of the records is not needed: the version is checked first.
    with wire.Connection.to(broker.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        batch = compressed_batch(b"\x28\xb5\x2f\xfd" + b"\x00" * 8, 4, 1)
        assert produce_raw(connection, topic, batch)[0] == UNSUPPORTED_COMPRESSION_TYPE


def test_batches_above_max_message_bytes_are_refused(broker):
    topic = unique_topic("max-message-bytes")
    create_topic(broker.bootstrap, topic, {"max.message.bytes": "2000"})
    errors = []
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "retries": 0})
    producer.produce(topic, partition=0, value=b"s" * 100,
                     on_delivery=lambda error, message: errors.append(error))
    producer.flush(30)
    producer.produce(topic, partition=0, value=b"L" * 5000,
                     on_delivery=lambda error, message: errors.append(error))
    producer.flush(30)
    assert errors[0] is None
    assert errors[1] is not None and errors[1].code() == KafkaError.MSG_SIZE_TOO_LARGE, errors[1]
    with wire.Connection.to(broker.bootstrap) as connection:
        big = wire.record_batch([(None, b"x" * 3000)])
        assert produce_raw(connection, topic, big)[0] == MESSAGE_TOO_LARGE
        assert wire.fetch_v4(connection, topic, 0, 0)["high_watermark"] == 1


def test_the_broker_default_max_message_bytes_applies_to_topics_without_one(broker_factory):
    small = broker_factory(MAX_MESSAGE_BYTES=4096, CONNECTION_RATE_LIMIT=0)
    topic = unique_topic("broker-max-message-bytes")
    with wire.Connection.to(small.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        assert produce_raw(connection, topic, wire.record_batch([(None, b"x" * 3000)]))[0] == 0
        assert produce_raw(connection, topic, wire.record_batch([(None, b"x" * 5000)]))[0] == MESSAGE_TOO_LARGE


def test_log_append_time_is_stamped_on_append_and_returned(broker):
    topic = unique_topic("log-append-time")
    create_topic(broker.bootstrap, topic, {"message.timestamp.type": "LogAppendTime"})
    create_time_topic = unique_topic("create-time")
    create_topic(broker.bootstrap, create_time_topic, {})
    old = 1_500_000_000_000
    with wire.Connection.to(broker.bootstrap) as connection:
        before = int(time.time() * 1000)
        error, base_offset, log_append_time = produce_raw(
            connection, topic, wire.record_batch([(None, b"a"), (None, b"b")], base_timestamp=old), version=5)
        after = int(time.time() * 1000)
        assert (error, base_offset) == (0, 0)
        assert before <= log_append_time <= after
        [(attributes, _, max_timestamp)] = stored_batches(broker.bootstrap, topic)
        assert attributes & 0x08, "the stored batch is not marked LogAppendTime"
        assert max_timestamp == log_append_time
        # CreateTime topics keep the producer's timestamps and answer -1.
        error, _, create_time_answer = produce_raw(
            connection, create_time_topic, wire.record_batch([(None, b"c")], base_timestamp=old), version=5)
        assert (error, create_time_answer) == (0, -1)
        # A producer may not claim LogAppendTime itself on a CreateTime topic.
        claimed = wire.record_batch([(None, b"d")], base_timestamp=old, attributes=0x08)
        assert produce_raw(connection, create_time_topic, claimed)[0] == INVALID_TIMESTAMP

    consumer_messages = consume_all(broker.bootstrap, topic, 2)
    for message in consumer_messages:
        kind, timestamp = message.timestamp()
        assert kind == confluent_kafka.TIMESTAMP_LOG_APPEND_TIME and timestamp == log_append_time


def test_altered_topic_configs_apply_to_the_next_produce(broker):
    from confluent_kafka.admin import ConfigResource
    topic = unique_topic("altered-compression")
    create_topic(broker.bootstrap, topic, {})
    assert not produce(broker.bootstrap, topic, "none", count=10)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic,
                              set_config={"compression.type": "gzip", "max.message.bytes": "3000"})
    for future in admin.alter_configs([resource], request_timeout=30).values():
        future.result(timeout=30)
    assert not produce(broker.bootstrap, topic, "none", count=10)
    assert [a & 7 for a, _, _ in stored_batches(broker.bootstrap, topic)] == [0, 1]
    with wire.Connection.to(broker.bootstrap) as connection:
        assert produce_raw(connection, topic, wire.record_batch([(None, b"x" * 4000)]))[0] == MESSAGE_TOO_LARGE


def test_with_validation_off_compressed_batches_are_stored_unopened(broker_factory):
    unchecked = broker_factory(VALIDATE_COMPRESSED_BATCHES="false")
    topic = unique_topic("unvalidated")
    payload = gzip.compress(records_payload([b"a", b"b"]))
    with wire.Connection.to(unchecked.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        # The count disagrees with the payload: only opening the batch would show it.
        assert produce_raw(connection, topic, compressed_batch(payload, 1, 3))[:2] == (0, 0)
        assert wire.fetch_v4(connection, topic, 0, 0)["high_watermark"] == 3
