"""confluent-kafka (librdkafka 2.0.2) and kafka-python 2.0.2 against the real broker.

Each client creates a 3-partition topic with its admin API, produces keyed records with
acks=all, reads every partition back from the beginning with assign(), and checks:
each partition's offsets run 0..n-1, each key's sequence numbers arrive in order with
nothing missing or doubled, every record sits at the offset its delivery report gave,
and the partition's high watermark equals its record count.
"""
import time

import pytest

from support import unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
kafka = pytest.importorskip("kafka")

PARTITIONS = 3
KEYS = 1000
RECORDS = 100_000  # KEYS keys, RECORDS // KEYS records each
CONSUME_TIMEOUT = 120.0


def record_plan():
    """(key, value) in produce order; the value carries the key's sequence number."""
    per_key = RECORDS // KEYS
    for sequence in range(per_key):
        for key_number in range(KEYS):
            key = f"key-{key_number:04d}"
            yield key.encode(), f"{key}:{sequence:06d}".encode()


def check_read_back(consumed, delivered, high_watermarks):
    """consumed: {partition: [(offset, key, value)]} in the order read.
    delivered: {value: (partition, offset)} from the producer's delivery reports.
    high_watermarks: {partition: high watermark} from the client's offset query."""
    assert len(delivered) == RECORDS, f"{len(delivered)} delivery reports for {RECORDS} records"
    seen = set()
    key_partition = {}
    for partition in range(PARTITIONS):
        records = consumed.get(partition, [])
        assert records, f"partition {partition} is empty: keys should spread over all {PARTITIONS}"
        offsets = [offset for offset, _, _ in records]
        if offsets != list(range(len(records))):
            gaps = [(i, o) for i, o in enumerate(offsets) if o != i][:5]
            pytest.fail(f"partition {partition}: offsets are not 0..{len(records) - 1}; "
                        f"first mismatches (position, offset): {gaps}")
        next_sequence = {}
        for offset, key, value in records:
            value_key, sequence = value.decode().rsplit(":", 1)
            sequence = int(sequence)
            assert value_key == key.decode(), f"p{partition}@{offset}: key {key} with value {value}"
            assert value not in seen, f"p{partition}@{offset}: {value} read twice"
            seen.add(value)
            assert key_partition.setdefault(key, partition) == partition, (
                f"key {key} found in partitions {key_partition[key]} and {partition}")
            want = next_sequence.get(key, 0)
            assert sequence == want, (
                f"p{partition}@{offset}: key {key} sequence {sequence}, expected {want}")
            next_sequence[key] = sequence + 1
            assert delivered.get(value) == (partition, offset), (
                f"{value} read at p{partition}@{offset}, delivery report said "
                f"{delivered.get(value)}")
        assert high_watermarks[partition] == len(records), (
            f"partition {partition}: high watermark {high_watermarks[partition]}, "
            f"{len(records)} records")
    missing = RECORDS - len(seen)
    assert missing == 0, f"{missing} records produced but not read back"


# --- confluent-kafka ---------------------------------------------------------------------

def test_confluent_kafka_produce_and_read_back_by_partition(broker):
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = unique_topic("confluent")
    client_errors = []

    def on_error(error):
        client_errors.append(str(error))

    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "error_cb": on_error})
    futures = admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)],
                                  request_timeout=30)
    futures[topic].result(timeout=30)
    metadata = admin.list_topics(topic, timeout=10)
    assert sorted(metadata.topics[topic].partitions) == list(range(PARTITIONS))

    producer = Producer({
        "bootstrap.servers": broker.bootstrap,
        "acks": "all",
        "enable.idempotence": False,
        # A failed request must show as a delivery error, not as a retried (and then
        # doubled or reordered) batch that would blur what the broker did.
        "retries": 0,
        "linger.ms": 10,
        "queue.buffering.max.messages": RECORDS + 1000,
        "error_cb": on_error,
    })
    delivered = {}
    delivery_errors = []

    def on_delivery(error, message):
        if error is not None:
            delivery_errors.append(f"{message.value()}: {error}")
        else:
            delivered[message.value()] = (message.partition(), message.offset())

    for key, value in record_plan():
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    assert remaining == 0, f"{remaining} records still undelivered after 60 s; errors {client_errors[:5]}"
    assert not delivery_errors, f"{len(delivery_errors)} delivery errors, first: {delivery_errors[:5]}"

    consumer = Consumer({
        "bootstrap.servers": broker.bootstrap,
        # Required by the client; with assign() and no commits it never joins a group.
        "group.id": "weir-integration-unused",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "error",
        "error_cb": on_error,
    })
    try:
        consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                         for p in range(PARTITIONS)])
        expected = {p: 0 for p in range(PARTITIONS)}
        for partition, _ in delivered.values():
            expected[partition] += 1
        consumed = {p: [] for p in range(PARTITIONS)}
        done = set()
        deadline = time.monotonic() + CONSUME_TIMEOUT
        while len(done) < PARTITIONS:
            if time.monotonic() > deadline:
                counts = {p: len(r) for p, r in consumed.items()}
                pytest.fail(f"read {counts} of {expected} within {CONSUME_TIMEOUT} s; "
                            f"client errors: {client_errors[:5]}")
            for message in consumer.consume(num_messages=10000, timeout=1.0):
                error = message.error()
                if error is None:
                    consumed[message.partition()].append(
                        (message.offset(), message.key(), message.value()))
                elif error.code() == KafkaError._PARTITION_EOF:
                    # End of partition: done once everything delivered has been read.
                    if len(consumed[message.partition()]) >= expected[message.partition()]:
                        done.add(message.partition())
                else:
                    pytest.fail(f"consumer error on partition {message.partition()}: {error}")
        high_watermarks = {}
        for partition in range(PARTITIONS):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                       timeout=10, cached=False)
            assert low == 0, f"partition {partition}: log start offset {low}"
            high_watermarks[partition] = high
    finally:
        consumer.close()

    check_read_back(consumed, delivered, high_watermarks)


# --- kafka-python ------------------------------------------------------------------------

def test_kafka_python_produce_and_read_back_by_partition(broker):
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic

    topic = unique_topic("kafka-python")
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)
    try:
        response = admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS,
                                                 replication_factor=1)], timeout_ms=30000)
        errors = [(entry[0], entry[1]) for entry in response.topic_errors]
        assert errors == [(topic, 0)], f"CreateTopics answered {response}"
    finally:
        admin.close()

    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", retries=0,
                             linger_ms=10, batch_size=128 * 1024, request_timeout_ms=30000)
    try:
        sends = [(value, producer.send(topic, key=key, value=value))
                 for key, value in record_plan()]
        producer.flush(timeout=120)
        delivered = {}
        for value, future in sends:
            metadata = future.get(timeout=10)
            delivered[value] = (metadata.partition, metadata.offset)
    finally:
        producer.close(timeout=10)

    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             fetch_max_wait_ms=200, request_timeout_ms=30000)
    try:
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        expected = {p: 0 for p in range(PARTITIONS)}
        for partition, _ in delivered.values():
            expected[partition] += 1
        consumed = {p: [] for p in range(PARTITIONS)}
        deadline = time.monotonic() + CONSUME_TIMEOUT

        def read(timeout_ms):
            for tp, messages in consumer.poll(timeout_ms=timeout_ms, max_records=10000).items():
                consumed[tp.partition].extend((m.offset, m.key, m.value) for m in messages)

        while any(len(consumed[p]) < expected[p] for p in range(PARTITIONS)):
            if time.monotonic() > deadline:
                counts = {p: len(r) for p, r in consumed.items()}
                pytest.fail(f"read {counts} of {expected} within {CONSUME_TIMEOUT} s")
            read(1000)
        read(500)  # anything more now would be a record read twice
        high_watermarks = {tp.partition: offset
                           for tp, offset in consumer.end_offsets(partitions).items()}
        beginnings = {tp.partition: offset
                      for tp, offset in consumer.beginning_offsets(partitions).items()}
        assert beginnings == {p: 0 for p in range(PARTITIONS)}
    finally:
        consumer.close(autocommit=False)

    check_read_back(consumed, delivered, high_watermarks)
