"""A full disk under a running broker, through a real client.

The broker's data folder is a small tmpfs (mounting needs root, which CI has; elsewhere
the test is skipped with the reason). Once the filesystem is full, produce gets
KAFKA_STORAGE_ERROR (56), the broker keeps serving every acknowledged record to a
consumer, and after space is freed writes resume at the next offset.
"""
import os
import subprocess
import time

import pytest

from support import unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

KAFKA_STORAGE_ERROR = 56


@pytest.fixture
def small_filesystem(tmp_path):
    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(mount_point)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if mounted.returncode != 0:
        pytest.skip(f"environment: cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); CI runs this as root")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)])


def fill(path):
    chunk = b"x" * (64 << 10)
    with open(path, "wb", buffering=0) as filler:
        size = len(chunk)
        while size > 0:
            try:
                while True:
                    filler.write(chunk[:size])
            except OSError:
                size //= 2


def produce_one(producer, topic, value):
    """Produces one record and waits for its delivery report: (error code or 0, offset)."""
    outcome = {}

    def on_delivery(error, message):
        outcome["error"] = error.code() if error is not None else 0
        outcome["offset"] = message.offset()

    producer.produce(topic, partition=0, value=value, on_delivery=on_delivery)
    assert producer.flush(30) == 0, "no delivery report within 30 s"
    return outcome["error"], outcome["offset"]


def consume_all(bootstrap, topic, count):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    offsets = []
    try:
        while len(offsets) < count:
            message = consumer.poll(30)
            assert message is not None, f"only {len(offsets)} of {count} records consumed"
            assert message.error() is None, message.error()
            offsets.append(message.offset())
    finally:
        consumer.close()
    return offsets


@pytest.mark.weir_timeout(120)
def test_full_disk_gives_storage_error_keeps_reads_and_writes_resume(small_filesystem, broker_factory):
    broker = broker_factory(STORAGE_PATH=str(small_filesystem / "data"))
    topic = unique_topic("disk-full")
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "retries": 0,
                         "enable.idempotence": False, "linger.ms": 0})
    acknowledged = []
    for number in range(20):
        error, offset = produce_one(producer, topic, f"before-{number}".encode())
        assert error == 0
        acknowledged.append(offset)

    filler = small_filesystem / "filler"
    fill(filler)
    error = 0
    for number in range(300):
        error, offset = produce_one(producer, topic, os.urandom(64 << 10))
        if error != 0:
            break
        acknowledged.append(offset)
    assert error == KAFKA_STORAGE_ERROR

    # Reads go on: every acknowledged record is served, in order.
    assert consume_all(broker.bootstrap, topic, len(acknowledged)) == acknowledged

    filler.unlink()
    deadline = time.monotonic() + 60
    while True:
        error, offset = produce_one(producer, topic, b"after")
        if error == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert error == 0, f"writes did not resume within 60 s of freeing space (last error {error})"
    assert offset == acknowledged[-1] + 1
    broker.assert_running()
