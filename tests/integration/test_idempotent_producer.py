"""Idempotent producers: no duplicates and no reordering when connections drop, and
producer state that survives a broker restart.

The connection test puts a TCP relay (tcp_relay.py) between librdkafka and the broker,
which advertises the relay's address, and cuts every connection several times while
requests are in flight: librdkafka retries them with the same sequence numbers, and the
broker must answer each retry of a stored batch with its original offsets.
"""
import time

import pytest

import kafka_wire as wire
from support import unique_topic
from tcp_relay import TcpRelay

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

API_INIT_PRODUCER_ID = 22
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
INVALID_REQUEST = 42
INVALID_TXN_STATE = 48
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                  request_timeout=30)
    futures[topic].result(timeout=30)


def read_values(bootstrap, topic, partitions, timeout=60.0):
    """{partition: [value, ...]} in offset order, from offset 0 to each partition's end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-integration-unused",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "auto.offset.reset": "error", "fetch.max.bytes": 8 << 20})
    values = {p: [] for p in range(partitions)}
    offsets = {p: [] for p in range(partitions)}
    try:
        consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                         for p in range(partitions)])
        at_end = set()
        deadline = time.monotonic() + timeout
        while len(at_end) < partitions:
            assert time.monotonic() < deadline, f"partitions did not reach their end within {timeout} s"
            for message in consumer.consume(num_messages=10000, timeout=1.0):
                error = message.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, f"consumer error: {error}"
                    at_end.add(message.partition())
                    continue
                values[message.partition()].append(message.value())
                offsets[message.partition()].append(message.offset())
    finally:
        consumer.close()
    for partition, seen in offsets.items():
        assert seen == list(range(len(seen))), f"partition {partition}: offsets are not 0..n-1"
    return values


def assert_exactly_once_in_order(values, expected_per_partition):
    for partition, expected in expected_per_partition.items():
        got = [int(value) for value in values[partition]]
        duplicates = len(got) - len(set(got))
        assert duplicates == 0, f"partition {partition}: {duplicates} duplicated records"
        assert got == expected, (
            f"partition {partition}: {len(got)} records, want {len(expected)}; "
            f"first difference at index "
            f"{next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))}")


class DeliveryTracker:
    def __init__(self):
        self.errors = []
        self.delivered = 0
        self.offsets = set()

    def __call__(self, error, message):
        if error is not None:
            self.errors.append(f"{message.value()}: {error}")
            return
        self.delivered += 1
        self.offsets.add((message.partition(), message.offset()))


def produce_with_backpressure(producer, topic, partition, value, on_delivery):
    while True:
        try:
            producer.produce(topic, partition=partition, value=value, on_delivery=on_delivery)
            return
        except BufferError:
            producer.poll(0.05)


@pytest.mark.weir_timeout(150)
def test_idempotent_producer_keeps_exactly_once_order_while_connections_drop(broker_factory):
    records, partitions, chunks, cuts = 200_000, 6, 8, 5
    relay = TcpRelay()
    # The client reconnects at once after every cut: no connection rate limit.
    broker = broker_factory(ADVERTISED_ADDRESS=relay.address, CONNECTION_RATE_LIMIT=0)
    relay.start(broker.port)
    try:
        topic = unique_topic("idempotent-cuts")
        create_topic(relay.address, topic, partitions)
        tracker = DeliveryTracker()
        producer = Producer({"bootstrap.servers": relay.address, "enable.idempotence": True,
                             "linger.ms": 5, "message.timeout.ms": 90000,
                             # Small batches: many produce requests in flight at each cut.
                             "batch.num.messages": 500,
                             "reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 500,
                             "queue.buffering.max.messages": 200_000})
        started = time.monotonic()
        per_chunk = records // chunks
        cut_with_records_in_flight = 0
        for chunk in range(chunks):
            delivered_before = tracker.delivered
            for number in range(chunk * per_chunk, (chunk + 1) * per_chunk):
                produce_with_backpressure(producer, topic, number % partitions, str(number).encode(), tracker)
            if chunk < cuts:
                # Drop every connection once part of this chunk is acknowledged, while the
                # rest is being sent or waits for its response.
                deadline = time.monotonic() + 30
                while tracker.delivered < delivered_before + per_chunk // 4 and time.monotonic() < deadline:
                    producer.poll(0.001)
                cut_with_records_in_flight += 1 if len(producer) > 0 else 0
                relay.cut()
        remaining = producer.flush(90)
        elapsed = time.monotonic() - started
        assert remaining == 0, f"{remaining} records undelivered"
        assert not tracker.errors, f"{len(tracker.errors)} delivery errors, first: {tracker.errors[:5]}"
        assert tracker.delivered == records
        assert len(tracker.offsets) == records, "two records were acknowledged at the same offset"
        assert relay.cuts == cuts and relay.accepted > cuts, "the relay never dropped a live connection"
        assert cut_with_records_in_flight >= cuts - 1, "the cuts missed the records in flight"
        print(f"{records} idempotent records over {cuts} connection cuts in {elapsed:.1f} s; "
              f"{relay.accepted} connections relayed")

        values = read_values(broker.bootstrap, topic, partitions)
        expected = {p: list(range(p, records, partitions)) for p in range(partitions)}
        assert_exactly_once_in_order(values, expected)
    finally:
        relay.close()


def test_idempotent_producer_continues_without_duplicates_after_a_restart(broker):
    topic = unique_topic("idempotent-restart")
    partitions, first_half = 3, 6000
    create_topic(broker.bootstrap, topic, partitions)
    tracker = DeliveryTracker()
    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True,
                         "linger.ms": 5, "message.timeout.ms": 60000,
                         "reconnect.backoff.max.ms": 500})
    for number in range(first_half):
        produce_with_backpressure(producer, topic, number % partitions, str(number).encode(), tracker)
    assert producer.flush(30) == 0
    broker.restart()
    for number in range(first_half, 2 * first_half):
        produce_with_backpressure(producer, topic, number % partitions, str(number).encode(), tracker)
    assert producer.flush(60) == 0
    assert not tracker.errors, tracker.errors[:5]
    assert tracker.delivered == 2 * first_half
    values = read_values(broker.bootstrap, topic, partitions)
    assert_exactly_once_in_order(values, {p: list(range(p, 2 * first_half, partitions)) for p in range(partitions)})


# --- raw requests -------------------------------------------------------------------------

def init_producer_id(connection, transactional_id=None):
    body = (wire.int16(-1) if transactional_id is None else wire.string(transactional_id)) + wire.int32(60000)
    reader = wire.Reader(connection.request(API_INIT_PRODUCER_ID, 0, body))
    reader.int32()  # throttle time
    return reader.int16(), reader.int64(), reader.int16()


def produce(connection, topic, batch):
    """(error_code, base_offset, log_append_time_ms) of a Produce v3 to partition 0."""
    reader = wire.Reader(connection.request(wire.API_PRODUCE, 3, wire.produce_v3_body(topic, 0, batch)))
    [(_, [(_, error_code, base_offset, log_append_time)])] = reader.array(
        lambda r: (r.string(), r.array(lambda p: (p.int32(), p.int16(), p.int64(), p.int64()))))
    return error_code, base_offset, log_append_time


def idempotent_batch(producer_id, epoch, sequence, count=3):
    return wire.record_batch([(None, f"{sequence + i}".encode()) for i in range(count)],
                             producer_id=producer_id, producer_epoch=epoch, base_sequence=sequence)


def test_a_retry_after_a_restart_gets_its_original_offset_and_gaps_are_refused(broker):
    topic = unique_topic("idempotent-raw")
    with wire.Connection.to(broker.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        error, producer_id, epoch = init_producer_id(connection)
        assert (error, epoch) == (0, 0) and producer_id >= 0
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 0))[:2] == (0, 0)
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 3))[:2] == (0, 3)
        # A retry before the restart too.
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 0))[:2] == (0, 0)

    broker.restart()
    with wire.Connection.to(broker.bootstrap) as connection:
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 3))[:2] == (0, 3)
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 7))[0] == OUT_OF_ORDER_SEQUENCE_NUMBER
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 6))[:2] == (0, 6)
        # A new epoch starts at sequence 0; after it, the old epoch is fenced.
        assert produce(connection, topic, idempotent_batch(producer_id, 1, 0))[:2] == (0, 9)
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 9))[0] == INVALID_PRODUCER_EPOCH
        records, _ = wire.fetch_all(connection, topic, 0)
        assert [r["value"] for r in records] == [str(n).encode() for n in (0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2)]
        # Ids are never handed out twice, even across the restart.
        error, second_id, _ = init_producer_id(connection)
        assert error == 0 and second_id != producer_id


def test_a_transactional_init_producer_id_is_refused(broker):
    with wire.Connection.to(broker.bootstrap) as connection:
        error, producer_id, _ = init_producer_id(connection, transactional_id="tx-1")
        assert error == INVALID_REQUEST and producer_id == -1


def test_the_client_base_offset_is_ignored(broker):
    topic = unique_topic("base-offset")
    with wire.Connection.to(broker.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        batch = wire.record_batch([(None, b"a"), (None, b"b")], base_offset=12345)
        assert produce(connection, topic, batch)[:2] == (0, 0)
        assert produce(connection, topic, batch)[:2] == (0, 2)
        records, _ = wire.fetch_all(connection, topic, 0)
        assert [r["offset"] for r in records] == [0, 1, 2, 3]


def test_a_transactional_batch_is_refused_and_not_stored(broker):
    topic = unique_topic("transactional")
    with wire.Connection.to(broker.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        error, producer_id, _ = init_producer_id(connection)
        assert error == 0
        batch = wire.record_batch([(None, b"in a transaction")], producer_id=producer_id, producer_epoch=0,
                                  base_sequence=0, attributes=0x10)
        # Without a transactional id Kafka refuses before the log: the id is not authorized.
        assert produce(connection, topic, batch)[:2] == (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1)
        # With one, no transaction was ever begun for this producer id.
        body = wire.string("tx-1") + wire.produce_v3_body(topic, 0, batch)[2:]  # replace the null id
        reader = wire.Reader(connection.request(wire.API_PRODUCE, 3, body))
        [(_, [(_, error_code, base_offset, _)])] = reader.array(
            lambda r: (r.string(), r.array(lambda p: (p.int32(), p.int16(), p.int64(), p.int64()))))
        assert (error_code, base_offset) == (INVALID_TXN_STATE, -1)
        assert wire.fetch_v4(connection, topic, 0, 0)["high_watermark"] == 0
        # The producer id itself is still good for non-transactional batches.
        assert produce(connection, topic, idempotent_batch(producer_id, 0, 0))[:2] == (0, 0)
