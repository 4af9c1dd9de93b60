"""Message formats 0 and 1 (Produce v0-2, Fetch v0-3) next to the stored magic 2.

librdkafka 2.0.2 (kcat, confluent-kafka) compresses gzip and snappy only when the broker
advertises Produce v2 and Fetch v2 (its MsgVer1 feature), so these tests read the stored
batches back through raw Fetch v4 frames to prove its batches now arrive compressed.
kafka-python pinned to api_version (0, 10) speaks message format 1 and to (0, 9) / (0, 8, 2)
format 0; what either writes must read back through the newest protocol and the reverse.
"""
import shutil
import struct
import time

import pytest

import kafka_wire as wire
from support import run_command, unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
kafka = pytest.importorskip("kafka")
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

KCAT = shutil.which("kcat")
CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3}
# Many short-lived clients from one address.
MODULE_BROKER_SETTINGS = {"CONNECTION_RATE_LIMIT": 0}
RECORDS = 40


@pytest.fixture
def broker(module_broker):
    return module_broker


def value_of(label, index):
    # Compressible, so librdkafka keeps the compressed form (it sends a batch uncompressed
    # when compressing does not make it smaller).
    return f"{label}-{index:04d}-".encode() + b"compressible payload " * 10


def stored_codecs(bootstrap, topic):
    """The codec of every batch stored in partition 0, read through raw Fetch v4."""
    codecs = []
    offset = 0
    with wire.Connection.to(bootstrap) as connection:
        while True:
            fetched = wire.fetch_v4(connection, topic, 0, offset)
            assert fetched["error_code"] == 0, fetched
            data = fetched["records"] or b""
            position = 0
            while position + 61 <= len(data):
                base_offset, length = struct.unpack_from(">qi", data, position)
                if position + 12 + length > len(data):
                    break
                assert data[position + 16] == 2, "stored batches are magic 2"
                attributes, last_delta = struct.unpack_from(">hi", data, position + 21)
                codecs.append(attributes & 7)
                offset = base_offset + last_delta + 1
                position += 12 + length
            if not data or offset >= fetched["high_watermark"]:
                return codecs


def kafka_python_produce(bootstrap, topic, api_version, codec, label):
    producer = kafka.KafkaProducer(bootstrap_servers=bootstrap, api_version=api_version,
                                   compression_type=None if codec == "none" else codec, linger_ms=50)
    try:
        futures = [producer.send(topic, key=f"key-{i}".encode(), value=value_of(label, i), partition=0)
                   for i in range(RECORDS)]
        producer.flush(30)
        return [future.get(timeout=30) for future in futures]
    finally:
        producer.close(timeout=10)


def kafka_python_consume(bootstrap, topic, api_version, count, start=0, timeout=30.0):
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, api_version=api_version, group_id=None,
                                   enable_auto_commit=False)
    try:
        partition = kafka.TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek(partition, start)
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < count:
            assert time.monotonic() < deadline, f"read {len(messages)} of {count} records"
            for batch in consumer.poll(timeout_ms=500).values():
                messages.extend(batch)
        return messages
    finally:
        consumer.close()


def confluent_consume(bootstrap, topic, count, timeout=30.0):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < count:
            assert time.monotonic() < deadline, f"read {len(messages)} of {count} records"
            for message in consumer.consume(num_messages=1000, timeout=0.5):
                assert message.error() is None, message.error()
                messages.append(message)
        return messages
    finally:
        consumer.close()


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed")
@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4"])
def test_kcat_batches_arrive_compressed_and_round_trip_keys_and_headers(broker, codec):
    topic = unique_topic(f"kcat-{codec}")
    lines = [f"key-{i}:" + value_of(codec, i).decode() for i in range(RECORDS)]
    result = run_command([KCAT, "-P", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-z", codec, "-K:",
                          "-H", "trace=abc", "-H", "empty=", "-X", "linger.ms=50"],
                         input_bytes="".join(line + "\n" for line in lines).encode(), timeout=30)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert set(stored_codecs(broker.bootstrap, topic)) == {CODEC_IDS[codec]}

    result = run_command([KCAT, "-C", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-e", "-q",
                          "-f", "%k:%s|%h\\n"], timeout=30)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.decode().splitlines() == [line + "|trace=abc,empty=" for line in lines]


@pytest.mark.parametrize("api_version,codec", [((0, 10), "none"), ((0, 10), "gzip"), ((0, 10), "snappy"),
                                               ((0, 9), "none"), ((0, 9), "gzip"), ((0, 8, 2), "gzip")])
def test_kafka_python_old_message_formats_produce_and_consume(broker, api_version, codec):
    topic = unique_topic("kafka-python-" + "-".join(map(str, api_version)) + f"-{codec}")
    label = f"{api_version}-{codec}"
    before = int(time.time() * 1000)
    metadata = kafka_python_produce(broker.bootstrap, topic, api_version, codec, label)
    assert [m.offset for m in metadata] == list(range(RECORDS))
    # Up-converted batches keep the producer's codec.
    assert set(stored_codecs(broker.bootstrap, topic)) == {CODEC_IDS[codec]}

    consumer_version = max(api_version, (0, 9))  # kafka-python's consumer needs 0.9
    messages = kafka_python_consume(broker.bootstrap, topic, consumer_version, RECORDS)
    assert [m.offset for m in messages] == list(range(RECORDS))
    assert [m.key for m in messages] == [f"key-{i}".encode() for i in range(RECORDS)]
    assert [m.value for m in messages] == [value_of(label, i) for i in range(RECORDS)]
    if api_version >= (0, 10):
        assert all(m.timestamp >= before for m in messages)
    else:
        assert all(m.timestamp is None for m in messages)  # magic 0 has none

    # Mid-batch start: down-converted compressed wrappers hold earlier offsets, skipped.
    later = kafka_python_consume(broker.bootstrap, topic, consumer_version, RECORDS - 25, start=25)
    assert [m.offset for m in later][:RECORDS - 25] == list(range(25, RECORDS))


def test_a_current_consumer_reads_what_a_format_1_producer_wrote(broker):
    topic = unique_topic("v1-to-current")
    before = int(time.time() * 1000)
    kafka_python_produce(broker.bootstrap, topic, (0, 10), "gzip", "v1")
    messages = confluent_consume(broker.bootstrap, topic, RECORDS)
    assert [m.offset() for m in messages] == list(range(RECORDS))
    assert [m.key() for m in messages] == [f"key-{i}".encode() for i in range(RECORDS)]
    assert [m.value() for m in messages] == [value_of("v1", i) for i in range(RECORDS)]
    timestamp_type, timestamp = messages[0].timestamp()
    assert timestamp_type == confluent_kafka.TIMESTAMP_CREATE_TIME and timestamp >= before


@pytest.mark.parametrize("api_version", [(0, 10), (0, 9)])
def test_a_format_1_and_0_consumer_reads_what_a_current_producer_wrote(broker, api_version):
    topic = unique_topic("current-to-" + "-".join(map(str, api_version)))
    producer = Producer({"bootstrap.servers": broker.bootstrap, "compression.type": "gzip", "linger.ms": 50,
                         "enable.idempotence": True})
    for i in range(RECORDS):
        producer.produce(topic, partition=0, key=f"key-{i}".encode(), value=value_of("current", i),
                         headers=[("dropped-in-old-formats", b"x")])
    assert producer.flush(30) == 0
    assert set(stored_codecs(broker.bootstrap, topic)) == {CODEC_IDS["gzip"]}

    messages = kafka_python_consume(broker.bootstrap, topic, api_version, RECORDS)
    assert [m.offset for m in messages] == list(range(RECORDS))
    assert [m.key for m in messages] == [f"key-{i}".encode() for i in range(RECORDS)]
    assert [m.value for m in messages] == [value_of("current", i) for i in range(RECORDS)]
    if api_version >= (0, 10):
        assert all(m.timestamp > 0 for m in messages)


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed")
@pytest.mark.parametrize("fallback", ["0.10.0", "0.9.0"])
def test_librdkafka_pinned_to_an_old_broker_version_produces_and_consumes(broker, fallback):
    # Without ApiVersions librdkafka uses Produce v2 / Fetch v2 (0.10) or v1 (0.9).
    topic = unique_topic(f"kcat-fallback-{fallback}")
    old = ["-X", "api.version.request=false", "-X", f"broker.version.fallback={fallback}"]
    lines = [f"key-{i}:" + value_of(fallback, i).decode() for i in range(RECORDS)]
    result = run_command([KCAT, "-P", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-z", "snappy", "-K:",
                          "-X", "linger.ms=50", *old],
                         input_bytes="".join(line + "\n" for line in lines).encode(), timeout=30)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert set(stored_codecs(broker.bootstrap, topic)) == {CODEC_IDS["snappy"]}
    result = run_command([KCAT, "-C", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-o", "5", "-e", "-q",
                          "-f", "%o %k:%s\\n", *old], timeout=30)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.decode().splitlines() == [f"{i} {lines[i]}" for i in range(5, RECORDS)]
