"""The load tools in bench/ (weir-producer-perf, weir-consumer-perf, e2e-latency and the
mock-cluster launcher) against a real broker with tiny counts: their final lines must
parse as Kafka's tools print them and their counts must match what the broker holds.
bench/run.sh parses the same lines, so this is what keeps it working."""
import os
import pathlib
import re
import signal
import subprocess

import pytest
from confluent_kafka import Consumer, TopicPartition

from support import run_command, unique_topic

REPO = pathlib.Path(__file__).resolve().parents[2]
BENCH_DIR = pathlib.Path(os.environ.get("WEIR_BENCH_BIN_DIR") or REPO / "build/dev/bench")

PRODUCER_FINAL = re.compile(
    r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$",
    re.M)
PRODUCER_WINDOW = re.compile(
    r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency\.$", re.M)
CONSUMER_HEADER = ("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, "
                   "nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
LATENCY_FINAL = re.compile(
    r"^(CreateTime: )?(\d+) records received, ([\d.]+) records/sec, ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, ([\d.]+) ms 50th, ([\d.]+) ms 99th, ([\d.]+) ms 99\.9th\.$", re.M)


def tool(name):
    path = BENCH_DIR / name
    if not path.exists():
        pytest.fail(f"{path} is not built (the bench tools need librdkafka-dev)", pytrace=False)
    return path


def high_watermark(bootstrap, topic, partition=0):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1]
    finally:
        consumer.close()


def produce(bootstrap, topic, *extra, records=2000, size=100, props=("acks=all",)):
    result = run_command([tool("weir-producer-perf"), "--topic", topic, "--num-records", records,
                          "--record-size", size, "--throughput", -1, *extra,
                          "--producer-props", f"bootstrap.servers={bootstrap}", *props],
                         timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


@pytest.fixture
def fast_group_broker(broker_factory):
    # Kafka's default 3 s initial rebalance delay would dominate a 2,000-record read.
    return broker_factory(GROUP_INITIAL_REBALANCE_DELAY_MS=0)


def test_producer_perf_prints_kafkas_final_line_and_every_record_is_stored(broker):
    topic = unique_topic("bench-producer")
    output = produce(broker.bootstrap, topic, "--reporting-interval", 1,
                     props=("acks=all", "linger.ms=5"))
    final = PRODUCER_FINAL.findall(output)
    assert len(final) == 1, output
    sent, rate, _, average, maximum, p50, p95, p99, p999 = final[0]
    assert int(sent) == 2000 and float(rate) > 0
    assert float(average) <= float(maximum)
    assert int(p50) <= int(p95) <= int(p99) <= int(p999) <= float(maximum)
    windows = PRODUCER_WINDOW.findall(output)
    assert sum(int(window[0]) for window in windows) <= 2000
    assert high_watermark(broker.bootstrap, topic) == 2000


def test_producer_perf_takes_payloads_from_a_file_and_a_config_file(broker, tmp_path):
    topic = unique_topic("bench-payloads")
    (tmp_path / "payloads").write_bytes(b"alpha|beta|gamma")
    (tmp_path / "producer.properties").write_text(
        f"# as Kafka's tool reads it\nbootstrap.servers={broker.bootstrap}\nacks=1\n"
        "key.serializer=org.apache.kafka.common.serialization.ByteArraySerializer\n")
    result = run_command([tool("weir-producer-perf"), "--topic", topic, "--num-records", 300,
                          "--payload-file", tmp_path / "payloads", "--payload-delimiter", "|",
                          "--throughput", 1000, "--producer.config",
                          tmp_path / "producer.properties"], timeout=60)
    output = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Number of messages read: 3" in output
    assert PRODUCER_FINAL.search(output).group(1) == "300"
    # A Java-only key is skipped with the Java clients' warning, not an error.
    assert "key.serializer' was supplied but isn't a known config" in result.stderr.decode()
    assert high_watermark(broker.bootstrap, topic) == 300


def test_producer_perf_rejects_bad_flags_with_a_clear_message(broker):
    missing = run_command([tool("weir-producer-perf"), "--topic", "t", "--num-records", 10,
                           "--record-size", 10], timeout=30)
    assert missing.returncode != 0 and b"--throughput" in missing.stderr
    no_equals = run_command([tool("weir-producer-perf"), "--topic", "t", "--num-records", 10,
                             "--record-size", 10, "--throughput", -1, "--producer-props",
                             "acks"], timeout=30)
    assert no_equals.returncode == 2 and b"expected key=value" in no_equals.stderr
    no_bootstrap = run_command([tool("weir-producer-perf"), "--topic", "t", "--num-records", 10,
                                "--record-size", 10, "--throughput", -1, "--producer-props",
                                "acks=1"], timeout=30)
    assert no_bootstrap.returncode == 2 and b"bootstrap.servers" in no_bootstrap.stderr


def test_consumer_perf_prints_kafkas_header_and_counts_every_record(fast_group_broker):
    topic = unique_topic("bench-consumer")
    produce(fast_group_broker.bootstrap, topic, props=("acks=all", "compression.type=lz4"))
    result = run_command([tool("weir-consumer-perf"), "--bootstrap-server",
                          fast_group_broker.bootstrap, "--topic", topic, "--messages", 2000,
                          "--group", "bench-consumer", "--timeout", 20000], timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    header, row = result.stdout.decode().strip().splitlines()
    assert header == CONSUMER_HEADER
    fields = row.split(", ")
    assert len(fields) == 10
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}", fields[0])
    assert int(fields[4]) == 2000
    assert float(fields[2]) == pytest.approx(2000 * 100 / 1024 / 1024, abs=1e-4)
    assert float(fields[9]) > 0


def test_consumer_perf_detailed_stats_print_rows_instead_of_the_summary(fast_group_broker):
    topic = unique_topic("bench-detailed")
    produce(fast_group_broker.bootstrap, topic, records=5000)
    result = run_command([tool("weir-consumer-perf"), "--bootstrap-server",
                          fast_group_broker.bootstrap, "--topic", topic, "--messages", 5000,
                          "--show-detailed-stats", "--reporting-interval", 1,
                          "--timeout", 20000], timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().strip().splitlines()
    assert lines[0].startswith("time, threadId, data.consumed.in.MB")
    counts = [int(line.split(", ")[4]) for line in lines[1:]]
    assert counts and counts == sorted(counts) and counts[-1] <= 5000


def test_e2e_latency_receives_every_record_and_prints_percentiles(broker):
    topic = unique_topic("bench-e2e")
    result = run_command([tool("e2e-latency"), "--bootstrap-server", broker.bootstrap,
                          "--topic", topic, "--num-records", 1000, "--throughput", 1000,
                          "--record-size", 256, "--reporting-interval", 200], timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    finals = LATENCY_FINAL.findall(result.stdout.decode())
    assert [final[0] for final in finals] == ["", "CreateTime: "], result.stdout.decode()
    for _, received, _, average, maximum, p50, p99, p999 in finals:
        assert int(received) == 1000
        assert 0 < float(p50) <= float(p99) <= float(p999) <= float(maximum)
        assert float(average) <= float(maximum)
    assert high_watermark(broker.bootstrap, topic) == 1000


def test_mock_cluster_serves_the_tools_and_stops_on_sigterm():
    mock = subprocess.Popen([tool("mock-cluster"), "--topic", "mocked:2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        bootstrap = mock.stdout.readline().decode().strip()
        assert re.fullmatch(r"127\.0\.0\.1:\d+", bootstrap), bootstrap
        output = produce(bootstrap, "mocked", records=1000)
        assert PRODUCER_FINAL.search(output).group(1) == "1000"
        assert (high_watermark(bootstrap, "mocked", 0) + high_watermark(bootstrap, "mocked", 1)
                == 1000)
    finally:
        mock.send_signal(signal.SIGTERM)
        assert mock.wait(timeout=20) == 0
