"""Records, offsets and topics survive a broker restart on the same data folder.

After a graceful restart (SIGTERM, exit 0) and after SIGKILL, every acknowledged record
is read back at the offset its delivery report gave, with the same key, value, headers
and timestamp, and new records continue each partition's offsets without a gap.
"""
import time

import pytest

from support import unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 2
BASE_TIMESTAMP_MS = 1_600_000_000_000  # fixed, so a restart cannot be confused with "now"


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  request_timeout=30)
    futures[topic].result(timeout=30)


def produce(bootstrap, topic, first, count, acks="all"):
    """Produces records first..first+count-1 round-robin over the partitions; returns
    {(partition, offset): record} for the acknowledged ones, and fails on any error."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": acks,
                         "enable.idempotence": False, "retries": 0, "linger.ms": 5})
    acknowledged = {}
    errors = []

    def on_delivery(error, message):
        if error is not None:
            errors.append(f"{message.value()}: {error}")
            return
        # Delivery reports of confluent-kafka 1.7 carry no headers: take them from what
        # was sent for this key.
        acknowledged[(message.partition(), message.offset())] = {
            "key": message.key(), "value": message.value(),
            "headers": sent_headers[message.key()], "timestamp": message.timestamp()[1]}

    sent_headers = {}
    for number in range(first, first + count):
        key = f"key-{number}".encode()
        sent_headers[key] = [("number", str(number).encode())]
        producer.produce(topic, partition=number % PARTITIONS, key=key,
                         value=f"value-{number}-".encode() + bytes(number % 251),
                         headers=sent_headers[key],
                         timestamp=BASE_TIMESTAMP_MS + number, on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(60)
    assert remaining == 0, f"{remaining} records undelivered after 60 s"
    assert not errors, f"{len(errors)} delivery errors, first: {errors[:5]}"
    return acknowledged


def read_all(bootstrap, topic, partitions, timeout=60.0):
    """Every record of every partition from offset 0 to the end: {(partition, offset): record}."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-integration-unused",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "auto.offset.reset": "error"})
    records = {}
    try:
        consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                         for p in range(partitions)])
        at_end = set()
        deadline = time.monotonic() + timeout
        while len(at_end) < partitions:
            assert time.monotonic() < deadline, (
                f"partitions {sorted(set(range(partitions)) - at_end)} did not reach their end "
                f"within {timeout} s ({len(records)} records read)")
            for message in consumer.consume(num_messages=10000, timeout=1.0):
                error = message.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, f"consumer error: {error}"
                    at_end.add(message.partition())
                    continue
                position = (message.partition(), message.offset())
                assert position not in records, f"offset {position} read twice"
                records[position] = {"key": message.key(), "value": message.value(),
                                     "headers": message.headers(),
                                     "timestamp": message.timestamp()[1]}
        watermarks = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10,
                                                        cached=False)
                      for p in range(partitions)}
    finally:
        consumer.close()
    return records, watermarks


def assert_log(bootstrap, topic, expected):
    """The topic holds exactly `expected` ({(partition, offset): record}), with each
    partition's offsets contiguous from 0 and the watermarks agreeing."""
    records, watermarks = read_all(bootstrap, topic, PARTITIONS)
    for partition in range(PARTITIONS):
        offsets = sorted(o for p, o in expected if p == partition)
        assert offsets == list(range(len(offsets))), (
            f"partition {partition}: acknowledged offsets are not contiguous from 0")
        assert watermarks[partition] == (0, len(offsets)), (
            f"partition {partition}: watermarks {watermarks[partition]}, "
            f"expected (0, {len(offsets)})")
    missing = sorted(set(expected) - set(records))
    extra = sorted(set(records) - set(expected))
    assert not missing, f"{len(missing)} acknowledged records missing, first: {missing[:5]}"
    assert not extra, f"{len(extra)} unexpected records, first: {extra[:5]}"
    for position, record in expected.items():
        assert records[position] == record, f"at {position}: {records[position]} != {record}"


def assert_continues(before, after):
    """New offsets start where each partition ended, without a gap."""
    for partition in range(PARTITIONS):
        old = sorted(o for p, o in before if p == partition)
        new = sorted(o for p, o in after if p == partition)
        assert new == list(range(len(old), len(old) + len(new))), (
            f"partition {partition}: {len(old)} records before, new offsets "
            f"{new[:3]}...{new[-3:]}")


def test_records_and_offsets_survive_a_graceful_restart(broker):
    topic = unique_topic("restart")
    empty_topic = unique_topic("restart-empty")
    create_topic(broker.bootstrap, topic, PARTITIONS)
    create_topic(broker.bootstrap, empty_topic, 3)
    before = produce(broker.bootstrap, topic, 0, 5000)

    broker.restart()

    assert_log(broker.bootstrap, topic, before)
    metadata = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=10)
    assert sorted(metadata.topics[empty_topic].partitions) == [0, 1, 2], (
        "a created topic with no records lost its partitions across the restart")

    after = produce(broker.bootstrap, topic, 5000, 1000)
    assert_continues(before, after)
    assert_log(broker.bootstrap, topic, {**before, **after})

    broker.restart()  # a second restart, after appends made by the restarted broker
    assert_log(broker.bootstrap, topic, {**before, **after})


@pytest.mark.parametrize("acks", ["all", "1"])
def test_acknowledged_records_survive_sigkill(broker, acks):
    # docs: acks=1 survives a process crash (WAL written), acks=all is also fsynced.
    topic = unique_topic(f"kill-acks{acks}")
    create_topic(broker.bootstrap, topic, PARTITIONS)
    before = produce(broker.bootstrap, topic, 0, 3000, acks=acks)

    broker.kill_and_restart()

    assert_log(broker.bootstrap, topic, before)
    after = produce(broker.bootstrap, topic, 3000, 500, acks=acks)
    assert_continues(before, after)
    assert_log(broker.bootstrap, topic, {**before, **after})
