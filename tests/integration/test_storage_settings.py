"""Storage settings: DURABILITY, FLUSH_INTERVAL_MS and TAIL_CACHE_BYTES.

A bad value stops start-up with exit code 2 and a message naming the setting. Under every
durability policy, and with the tail cache on or off (fetches then read RocksDB on the
storage reader threads), records produced with acks=all and acks=1 are all consumed back
at their acknowledged offsets.
"""
import os
import subprocess

import pytest

from conftest import broker_binary, broker_settings, free_port
from support import unique_topic

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

RECORDS = 300


@pytest.mark.parametrize("setting,value", [
    ("DURABILITY", "sometimes"),
    ("DURABILITY", ""),
    ("FLUSH_INTERVAL_MS", "0"),
    ("FLUSH_INTERVAL_MS", "1s"),
    ("TAIL_CACHE_BYTES", "-1"),
    ("TAIL_CACHE_BYTES", "lots"),
])
def test_a_bad_storage_setting_stops_start_up_naming_it(tmp_path, setting, value):
    env = {k: v for k, v in os.environ.items() if k not in broker_settings()}
    env.update({"BIND_ADDRESS": f"127.0.0.1:{free_port()}", "STORAGE_PATH": str(tmp_path / "data"),
                setting: value})
    result = subprocess.run([str(broker_binary())], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=30)
    assert result.returncode == 2
    assert setting in result.stderr.decode()


def produce_and_consume(bootstrap, acks):
    topic = unique_topic("durability")
    producer = Producer({"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 2,
                         "enable.idempotence": False})
    acknowledged = {}
    errors = []

    def on_delivery(error, message):
        if error is not None:
            errors.append(str(error))
        else:
            acknowledged[message.offset()] = message.value()

    for number in range(RECORDS):
        producer.produce(topic, partition=0, value=f"record-{number}".encode() + bytes(number % 97),
                         on_delivery=on_delivery)
        producer.poll(0)
    assert producer.flush(60) == 0
    assert not errors, errors[:5]
    assert sorted(acknowledged) == list(range(RECORDS))

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False,
                         "fetch.max.bytes": 1000000, "message.max.bytes": 4096,
                         "max.partition.fetch.bytes": 2048})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = {}
    try:
        while len(seen) < RECORDS:
            message = consumer.poll(30)
            assert message is not None, f"only {len(seen)} of {RECORDS} records consumed"
            assert message.error() is None, message.error()
            seen[message.offset()] = message.value()
    finally:
        consumer.close()
    assert seen == acknowledged


@pytest.mark.parametrize("settings", [
    {"DURABILITY": "acks"},
    {"DURABILITY": "always", "TAIL_CACHE_BYTES": "0"},
    {"DURABILITY": "interval", "FLUSH_INTERVAL_MS": "50"},
    {"DURABILITY": "interval", "TAIL_CACHE_BYTES": "4096"},
], ids=["acks", "always-no-cache", "interval", "interval-tiny-cache"])
def test_every_durability_policy_stores_and_serves_every_acknowledged_record(broker_factory, settings):
    broker = broker_factory(**settings)
    for acks in ("all", "1"):
        produce_and_consume(broker.bootstrap, acks)
    broker.assert_running()
