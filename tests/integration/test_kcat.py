"""kcat 1.7.1 (librdkafka 2.0.2) against the real broker: metadata, a keyed round trip
with headers under every compression codec, and ListOffsets by timestamp."""
import json
import re
import shutil
import time

import pytest

from support import run_command, unique_topic

KCAT = shutil.which("kcat")
pytestmark = pytest.mark.skipif(KCAT is None, reason="kcat is not installed (apt-get install kcat)")

RECORDS = 10_000
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
# Producer settings: acks=all, and no idempotent producer (librdkafka 2.0.2 defaults to
# false; test_idempotent_producer.py covers it). librdkafka sends gzip, snappy and lz4
# uncompressed to Weir (see test_produce_topic_configs.py), zstd compressed.
PRODUCER_SETTINGS = ["-X", "acks=all", "-X", "enable.idempotence=false"]


@pytest.fixture
def broker(module_broker):
    """Every test here works on topics of its own, so one broker serves the module."""
    return module_broker


def kcat(*args, input_bytes=None, timeout=60):
    result = run_command([KCAT, *args], input_bytes=input_bytes, timeout=timeout)
    assert result.returncode == 0, (
        f"kcat {' '.join(args)} exited {result.returncode}\n"
        f"stderr:\n{result.stderr.decode(errors='replace')[-5000:]}")
    return result


def produce_lines(broker, topic, lines, *extra):
    """Produces `lines` (each "key:value") and checks kcat reported no delivery error."""
    data = "".join(line + "\n" for line in lines).encode()
    result = kcat("-P", "-b", broker.bootstrap, "-t", topic, "-K:", *PRODUCER_SETTINGS,
                  *extra, input_bytes=data)
    stderr = result.stderr.decode(errors="replace")
    assert "ERROR" not in stderr and "Failed" not in stderr, stderr[-5000:]


def test_metadata_lists_the_broker_and_its_topics(broker):
    topics = [unique_topic("kcat-list-a"), unique_topic("kcat-list-b")]
    for topic in topics:
        produce_lines(broker, topic, ["k:v"])  # auto-creates the topic

    listing = json.loads(kcat("-L", "-J", "-b", broker.bootstrap).stdout)
    brokers = {entry["id"]: entry["name"] for entry in listing["brokers"]}
    assert list(brokers.values()) == [broker.bootstrap], listing["brokers"]
    (node_id,) = brokers
    assert listing["controllerid"] == node_id
    by_name = {entry["topic"]: entry for entry in listing["topics"]}
    for topic in topics:
        assert topic in by_name, f"{topic} missing from {sorted(by_name)}"
        entry = by_name[topic]
        assert "error" not in entry, entry
        assert [p["partition"] for p in entry["partitions"]] == [0]
        assert entry["partitions"][0]["leader"] == node_id
        assert entry["partitions"][0]["replicas"] == [{"id": node_id}]
        assert entry["partitions"][0]["isrs"] == [{"id": node_id}]

    text = kcat("-L", "-b", broker.bootstrap, "-t", topics[0]).stdout.decode()
    assert re.search(rf"^ 1 brokers:\n  broker {node_id} at {re.escape(broker.bootstrap)}",
                     text, re.MULTILINE), text
    assert f'topic "{topics[0]}" with 1 partitions:' in text, text
    assert re.search(rf"partition 0, leader {node_id}, replicas: {node_id}, isrs: {node_id}",
                     text), text
    assert topics[1] not in text, "a single-topic listing should not show other topics"


def expected_line(index):
    # Keys repeat (100 distinct) and values vary in length so batches compress unevenly.
    return f"key-{index % 100:03d}", f"value {index:05d} " + "payload " * (index % 37)


@pytest.mark.parametrize("codec", CODECS)
def test_keyed_records_with_headers_round_trip(broker, codec):
    topic = unique_topic(f"kcat-{codec}")
    lines = [f"{key}:{value}" for key, value in map(expected_line, range(RECORDS))]
    # Partition 0 named explicitly, so order is checked on one log whatever the
    # partitioner does with the keys (auto-created topics have one partition anyway).
    produce_lines(broker, topic, lines, "-p", "0", "-z", codec,
                  "-H", "source=kcat", "-H", f"codec={codec}")

    result = kcat("-C", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e",
                  "-f", r"%p\t%o\t%k\t%s\t%h\n", timeout=120)
    consumed = result.stdout.decode().splitlines()
    assert len(consumed) == RECORDS, (
        f"consumed {len(consumed)} records, produced {RECORDS}; first lines: {consumed[:3]}")
    for index, line in enumerate(consumed):
        key, value = expected_line(index)
        want = f"0\t{index}\t{key}\t{value}\tsource=kcat,codec={codec}"
        assert line == want, f"record {index}: got {line!r}, want {want!r}"


def test_list_offsets_by_timestamp(broker):
    topic = unique_topic("kcat-timestamps")
    produce_lines(broker, topic, [f"early:{i}" for i in range(100)], "-p", "0")
    time.sleep(0.05)  # the clock moves past every early record's timestamp
    boundary_ms = int(time.time() * 1000)
    time.sleep(0.05)
    produce_lines(broker, topic, [f"late:{i}" for i in range(100)], "-p", "0")

    def offset_for(timestamp_ms):
        text = kcat("-Q", "-b", broker.bootstrap, "-t", f"{topic}:0:{timestamp_ms}").stdout.decode()
        match = re.search(r"\[0\]\s+offset\s+(-?\d+)", text)
        assert match, f"unexpected kcat -Q output: {text!r}"
        return int(match.group(1))

    assert offset_for(boundary_ms) == 100
    assert offset_for(0) == 0
    # Kafka answers offset -1 when every record is older than the timestamp.
    assert offset_for(int(time.time() * 1000) + 3_600_000) == -1
