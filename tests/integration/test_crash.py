"""Acknowledged records survive SIGKILL at random moments under continuous acks=all load.

One broker and one data folder for the whole test. A confluent-kafka producer keeps
records in flight with acks=all while a consumer tails the topic; the broker is killed
with SIGKILL at a random moment, restarted on the same folder and port, and killed again,
CRASH_KILLS times in a row. After every restart the whole log is read back from offset 0
and must hold:
- every acknowledged record (delivery report with an offset) exactly once, at the offset
  its delivery report gave;
- contiguous offsets from 0 to the high watermark in every partition;
- every record the tailing consumer saw before any kill, at the offset it saw it: a
  record visible to a consumer must never vanish, acknowledged or not.
The producer does not retry, so a record appears at most once even when its ack was lost.
"""
import random
import time

import pytest

from support import unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 2
CRASH_KILLS = 20
# Produce for a random time in this range (seconds) before each kill.
LOAD_SECONDS = (0.3, 1.2)
# Records the producer may have unacknowledged at once; keeps batches in flight at every kill.
MAX_IN_FLIGHT = 500
# Produce rate cap (records per second): every restart reads the whole log back, so the
# log must stay small enough for twenty full reads.
RECORDS_PER_SECOND = 4000
SEED = random.randrange(1 << 30)

# Reconnect quickly: the broker is back on the same port within a fraction of a second.
FAST_RECONNECT = {"reconnect.backoff.ms": 20, "reconnect.backoff.max.ms": 200,
                  "topic.metadata.refresh.interval.ms": 1000}


class Load:
    """The producer, the tailing consumer and what each has learnt so far."""

    def __init__(self, bootstrap, topic):
        self.topic = topic
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                                  "enable.idempotence": False, "retries": 0, "linger.ms": 2,
                                  "message.timeout.ms": 15000, **FAST_RECONNECT})
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-crash-unused",
                                  "enable.auto.commit": False, "auto.offset.reset": "error",
                                  "fetch.wait.max.ms": 50, **FAST_RECONNECT})
        self.consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                              for p in range(PARTITIONS)])
        self.sent = 0
        self.pending = 0
        self.acknowledged = {}  # (partition, offset) -> key
        self.failed = 0         # delivery reports with an error: in the log or not, either is fine
        self.seen = {}          # (partition, offset) -> key, read by the tailing consumer
        self.consumer_errors = []

    def _on_delivery(self, error, message):
        self.pending -= 1
        if error is not None:
            self.failed += 1
            return
        position = (message.partition(), message.offset())
        assert position not in self.acknowledged, (
            f"offset {position} acknowledged twice: {self.acknowledged[position]!r} and "
            f"{message.key()!r}")
        self.acknowledged[position] = message.key()

    def run(self, seconds):
        """Produces and tails for `seconds`."""
        started = time.monotonic()
        deadline = started + seconds
        first = self.sent
        while time.monotonic() < deadline:
            allowed = first + int((time.monotonic() - started) * RECORDS_PER_SECOND)
            while self.pending < MAX_IN_FLIGHT and self.sent < allowed:
                key = f"record-{self.sent}".encode()
                try:
                    self.producer.produce(self.topic, partition=self.sent % PARTITIONS, key=key,
                                          value=key * 4, on_delivery=self._on_delivery)
                except BufferError:
                    break
                self.sent += 1
                self.pending += 1
            self.producer.poll(0.005)
            self.tail(timeout=0)

    def tail(self, timeout):
        for message in self.consumer.consume(num_messages=5000, timeout=timeout):
            error = message.error()
            if error is not None:
                # Transport errors while the broker is down are expected; anything
                # about offsets means the log moved under the consumer.
                if error.code() not in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
                                        KafkaError._PARTITION_EOF):
                    self.consumer_errors.append(str(error))
                continue
            position = (message.partition(), message.offset())
            if position in self.seen:
                assert self.seen[position] == message.key(), (
                    f"the consumer read {position} twice with different records")
            self.seen[position] = message.key()

    def settle(self):
        """Waits for every delivery report (the producer reconnects to the restarted broker)."""
        remaining = self.producer.flush(30)
        assert remaining == 0, f"{remaining} records still without a delivery report after 30 s"

    def close(self):
        self.consumer.close()


def read_log(bootstrap, topic, timeout=60.0):
    """Every record from offset 0 to the high watermark: ({(partition, offset): key}, watermarks)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-crash-check",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "auto.offset.reset": "error"})
    records = {}
    try:
        watermarks = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10,
                                                        cached=False)
                      for p in range(PARTITIONS)}
        consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                         for p in range(PARTITIONS)])
        at_end = {p for p in range(PARTITIONS) if watermarks[p][1] == 0}
        deadline = time.monotonic() + timeout
        while len(at_end) < PARTITIONS:
            assert time.monotonic() < deadline, f"log not read to its end within {timeout} s"
            for message in consumer.consume(num_messages=10000, timeout=1.0):
                error = message.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, f"consumer error: {error}"
                    continue
                position = (message.partition(), message.offset())
                assert position not in records, f"offset {position} read twice"
                records[position] = message.key()
                if message.offset() + 1 >= watermarks[message.partition()][1]:
                    at_end.add(message.partition())
    finally:
        consumer.close()
    return records, watermarks


def check_log(bootstrap, topic, load, kills):
    records, watermarks = read_log(bootstrap, topic)
    where = f"after kill {kills} (seed {SEED})"
    for partition in range(PARTITIONS):
        start, end = watermarks[partition]
        offsets = sorted(o for p, o in records if p == partition)
        assert start == 0, f"{where}: partition {partition} starts at {start}"
        assert offsets == list(range(end)), (
            f"{where}: partition {partition} offsets are not contiguous 0..{end - 1} "
            f"({len(offsets)} records read)")
    keys = list(records.values())
    assert len(set(keys)) == len(keys), f"{where}: a record is stored twice"
    lost = [(position, key) for position, key in load.acknowledged.items()
            if records.get(position) != key]
    assert not lost, (f"{where}: {len(lost)} acknowledged records missing or moved, first: "
                      f"{lost[:5]} (log has {[records.get(p) for p, _ in lost[:5]]})")
    vanished = [(position, key) for position, key in load.seen.items()
                if records.get(position) != key]
    assert not vanished, (f"{where}: {len(vanished)} records a consumer saw are gone, first: "
                          f"{vanished[:5]}")
    return len(records)


@pytest.mark.weir_timeout(150)
def test_acknowledged_records_survive_repeated_sigkill_under_load(broker):
    rng = random.Random(SEED)
    topic = unique_topic("crash")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)],
                        request_timeout=30)[topic].result(timeout=30)
    load = Load(broker.bootstrap, topic)
    started = time.monotonic()
    stored = 0
    try:
        for kills in range(1, CRASH_KILLS + 1):
            load.run(rng.uniform(*LOAD_SECONDS))
            broker.kill()
            # Drain what the consumer fetched before the kill, so it counts as seen.
            load.tail(timeout=0.05)
            broker.start()
            load.settle()
            load.tail(timeout=0.2)
            stored = check_log(broker.bootstrap, topic, load, kills)
        assert not load.consumer_errors, f"tailing consumer errors: {load.consumer_errors[:5]}"
    finally:
        load.close()
    elapsed = time.monotonic() - started
    # Enough load that the kills hit records in flight, not an idle broker.
    assert len(load.acknowledged) > CRASH_KILLS * 100, f"only {len(load.acknowledged)} acks"
    print(f"\ncrash test: {CRASH_KILLS} kills in {elapsed:.1f} s, {len(load.acknowledged)} "
          f"acknowledged, {load.failed} failed deliveries, {stored} records in the log, "
          f"{len(load.seen)} seen by the tailing consumer, seed {SEED}")
