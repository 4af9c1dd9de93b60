"""The operator's HTTP endpoint on METRICS_BIND_ADDRESS: Prometheus text format at
/metrics (checked by promtool and scraped by Debian's real Prometheus server), JSON
liveness at /health and readiness at /ready, against a broker that real clients have
produced to and fetched from."""
import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import kafka_wire as wire
from conftest import free_port
from support import unique_topic, wait_until

confluent_kafka = pytest.importorskip("confluent_kafka")
from test_restart import create_topic, produce, read_all  # noqa: E402

PARTITIONS = 3
RECORDS = 500


def http_get(port, path, timeout=10):
    """(status, body text) of GET http://127.0.0.1:port/path; errors are answers too."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sample(exposition, series):
    """The value of one series line (`name` or `name{labels}`) in a text exposition."""
    pattern = re.compile(r"^" + re.escape(series) + r" (\S+)$", re.MULTILINE)
    found = pattern.findall(exposition)
    assert len(found) == 1, f"{series}: expected one sample, found {found}"
    return float(found[0])


def start_with_traffic(broker_factory):
    """A broker with the endpoint on, after RECORDS records were produced and read back."""
    metrics_port = free_port()
    broker = broker_factory(METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}")
    broker.metrics_port = metrics_port
    topic = broker.topic = unique_topic("metrics")
    create_topic(broker.bootstrap, topic, PARTITIONS)
    acknowledged = produce(broker.bootstrap, topic, 0, RECORDS)
    assert len(acknowledged) == RECORDS
    records, _ = read_all(broker.bootstrap, topic, PARTITIONS)
    assert len(records) == RECORDS
    return broker


@pytest.mark.weir_timeout(60)
def test_metrics_health_and_ready_describe_what_clients_did(broker_factory):
    broker = start_with_traffic(broker_factory)
    port = broker.metrics_port
    with wire.Connection.to(broker.bootstrap) as connection:
        [(error, _)] = wire.produce_v3(connection, broker.topic, 99,
                                       wire.record_batch([(b"k", b"v")])).values()
        assert error == 3  # UNKNOWN_TOPIC_OR_PARTITION
        assert wire.fetch_v4(connection, broker.topic, 0, 10**9)["error_code"] == 1  # OFFSET_OUT_OF_RANGE

    status, text = http_get(port, "/metrics")
    assert status == 200
    assert sample(text, "weir_produced_records_total") == RECORDS
    assert sample(text, "weir_produced_bytes_total") > RECORDS
    assert sample(text, "weir_fetched_bytes_total") >= sample(text, "weir_produced_bytes_total")
    assert sample(text, 'weir_requests_total{api="Produce"}') >= 1
    assert sample(text, 'weir_requests_total{api="Fetch"}') >= 1
    assert sample(text, 'weir_request_duration_seconds_count{api="Produce"}') == \
        sample(text, 'weir_requests_total{api="Produce"}')
    assert sample(text, "weir_connections_accepted_total") >= 3
    assert sample(text, 'weir_connections_rejected_total{reason="limit"}') == 0
    assert sample(text, "weir_connections_active") >= 0
    assert sample(text, 'weir_request_errors_total{api="Produce",code="3"}') == 1
    assert sample(text, 'weir_request_errors_total{api="Fetch",code="1"}') == 1
    assert sample(text, "weir_received_bytes_total") > sample(text, "weir_produced_bytes_total")
    assert sample(text, "weir_sent_bytes_total") > sample(text, "weir_fetched_bytes_total")
    assert sample(text, "weir_commit_appends_total") >= 1
    assert sample(text, "weir_commit_bytes_total") == sample(text, "weir_produced_bytes_total")
    assert sample(text, "process_open_fds") > 3
    assert sample(text, "process_resident_memory_bytes") > 1 << 20
    assert sample(text, "process_cpu_seconds_total") > 0

    # The consumer read every record once, from batches the broker sent whole.
    assert sample(text, "weir_fetched_records_total") == RECORDS
    # The producer used acks=all: every write it caused was fsynced, and timed.
    assert sample(text, "weir_commit_wal_sync_duration_seconds_count") == sample(text, "weir_commit_wal_syncs_total")
    assert sample(text, "weir_commit_wal_sync_duration_seconds_count") >= 1
    assert sample(text, 'weir_commit_wal_sync_duration_seconds_bucket{le="+Inf"}') == \
        sample(text, "weir_commit_wal_sync_duration_seconds_count")
    assert sample(text, "weir_commit_write_appends_sum") == sample(text, "weir_commit_appends_total")
    assert sample(text, "weir_commit_write_bytes_sum") == sample(text, "weir_commit_bytes_total")
    assert 1 <= sample(text, "weir_commit_write_appends_count") <= sample(text, "weir_commit_appends_total")
    assert sample(text, 'weir_storage_disk_bytes{kind="wal"}') >= sample(text, "weir_commit_bytes_total")
    assert sample(text, 'weir_storage_disk_bytes{kind="sst"}') >= 0
    assert sample(text, 'weir_storage_disk_bytes{kind="blob"}') >= 0
    assert sample(text, "weir_storage_pending_compaction_bytes") >= 0
    assert sample(text, "weir_storage_blob_garbage_bytes") == 0
    assert sample(text, "weir_storage_blob_garbage_collections_total") == 0
    assert sample(text, "weir_storage_write_stall_seconds_total") == 0
    assert sample(text, "weir_storage_writes_stopped") == 0
    assert sample(text, "weir_storage_delayed_write_rate_bytes") == 0
    assert sample(text, 'weir_consumer_groups{state="Stable"}') == 0
    assert sample(text, "weir_consumer_group_rebalances_total") == 0
    assert sample(text, "weir_requests_pending") == 0
    assert sample(text, 'weir_request_timeouts_total{api="Fetch"}') == 0
    assert 'weir_partition_' not in text  # METRICS_PER_PARTITION is off by default

    promtool = shutil.which("promtool")
    if promtool:
        check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True,
                               timeout=30)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()

    status, body = http_get(port, "/health")
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ok"
    assert re.fullmatch(r"\d+\.\d+\.\d+", health["version"])
    assert health["uptime_seconds"] > 0
    assert health["topics"] >= 1
    assert health["partitions"] >= PARTITIONS
    assert isinstance(health["active_connections"], int)

    status, body = http_get(port, "/ready")
    assert (status, body) == (200, "ready\n")
    assert http_get(port, "/nothing-here")[0] == 404


# Each frame closes its connection; the broker counts it under the reason.
BAD_FRAMES = {
    "invalid_size": wire.int32(-1),
    "too_large": wire.int32(2**31 - 1),
    # Metadata v1 whose client id claims 100 bytes and carries 2.
    "malformed_header": wire.int32(12) + wire.int16(3) + wire.int16(1) + wire.int32(1) + wire.int16(100) + b"ab",
    "unsupported_api": wire.int32(10) + wire.request_header(99, 0, 1, client_id=None),
    "unsupported_version": wire.int32(10) + wire.request_header(0, 99, 1, client_id=None),
    # Metadata v1 whose topic array claims 5 names and holds none.
    "malformed_body": wire.int32(14) + wire.request_header(3, 1, 1, client_id=None) + wire.int32(5),
}


@pytest.mark.weir_timeout(60)
def test_bad_frames_errors_and_pending_requests_are_counted(broker_factory):
    metrics_port = free_port()
    broker = broker_factory(METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}")
    for reason, frame in BAD_FRAMES.items():
        with wire.Connection.to(broker.bootstrap) as connection:
            connection.send_raw(frame)
            assert connection.wait_closed() is None, reason
    text = http_get(metrics_port, "/metrics")[1]
    for reason in BAD_FRAMES:
        assert sample(text, f'weir_frame_errors_total{{reason="{reason}"}}') == 1, reason

    # An error answered by an API other than Produce and Fetch: CreateTopics of a topic
    # that exists gets TOPIC_ALREADY_EXISTS (36).
    topic = unique_topic("metrics-errors")
    create_topic(broker.bootstrap, topic, 1)
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    [future] = admin.create_topics([NewTopic(topic, 1, 1)]).values()
    with pytest.raises(confluent_kafka.KafkaException) as refused:
        future.result(timeout=10)
    assert refused.value.args[0].code() == confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS
    text = http_get(metrics_port, "/metrics")[1]
    assert sample(text, 'weir_request_errors_total{api="CreateTopics",code="36"}') == 1

    # A long poll is a request read and not yet answered until its data comes.
    with wire.Connection.to(broker.bootstrap) as connection:
        correlation_id = connection.send_request(
            wire.API_FETCH, 4, wire.fetch_v4_body(topic, 0, 0, max_wait_ms=20000, min_bytes=1))
        wait_until(lambda: sample(http_get(metrics_port, "/metrics")[1], "weir_requests_pending") == 1,
                   timeout=10, what="the parked fetch to count as pending")
        with wire.Connection.to(broker.bootstrap) as producer:
            [(error, _)] = wire.produce_v3(producer, topic, 0, wire.record_batch([(b"k", b"v")])).values()
            assert error == 0
        connection.read_response(correlation_id)
    text = http_get(metrics_port, "/metrics")[1]
    assert sample(text, "weir_requests_pending") == 0
    assert sample(text, "weir_fetched_records_total") == 1
    # A connection that goes away with a request in flight takes it off the gauge.
    with wire.Connection.to(broker.bootstrap) as connection:
        connection.send_request(wire.API_FETCH, 4, wire.fetch_v4_body(topic, 0, 1, max_wait_ms=20000, min_bytes=1))
        wait_until(lambda: sample(http_get(metrics_port, "/metrics")[1], "weir_requests_pending") == 1,
                   timeout=10, what="the second parked fetch to count as pending")
    wait_until(lambda: sample(http_get(metrics_port, "/metrics")[1], "weir_requests_pending") == 0,
               timeout=10, what="the closed connection's fetch to leave the gauge")


@pytest.mark.weir_timeout(60)
def test_request_timeouts_and_per_partition_series(broker_factory):
    metrics_port = free_port()
    broker = broker_factory(METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}", METRICS_PER_PARTITION="true",
                            REQUEST_TIMEOUT_SECS=1)
    topic = unique_topic("metrics-partitions")
    create_topic(broker.bootstrap, topic, 2)
    with wire.Connection.to(broker.bootstrap) as connection:
        batch = wire.record_batch([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])
        [(error, _)] = wire.produce_v3(connection, topic, 1, batch).values()
        assert error == 0
        records, _ = wire.fetch_all(connection, topic, 1)
        assert len(records) == 3
    text = http_get(metrics_port, "/metrics")[1]
    series = f'{{partition="1",topic="{topic}"}}'
    assert sample(text, "weir_partition_produced_records_total" + series) == 3
    assert sample(text, "weir_partition_produced_bytes_total" + series) == len(batch)
    assert sample(text, "weir_partition_fetched_records_total" + series) == 3
    assert sample(text, "weir_partition_fetched_bytes_total" + series) == len(batch)
    assert f'weir_partition_produced_records_total{{partition="0",topic="{topic}"}}' not in text

    # A frame left half sent past REQUEST_TIMEOUT_SECS closes its connection under its own
    # reason. (A request read in full but never answered is counted in
    # weir_request_timeouts_total; no handler leaves one that long, see the network unit
    # tests.) A long poll longer than the request clock is answered, not cut off.
    with wire.Connection.to(broker.bootstrap) as connection:
        connection.send_raw(wire.int32(100) + b"\x00" * 10)
        assert connection.wait_closed(timeout=10) is None
    with wire.Connection.to(broker.bootstrap) as connection:
        correlation_id = connection.send_request(
            wire.API_FETCH, 4, wire.fetch_v4_body(topic, 0, 3, max_wait_ms=10000, min_bytes=1))
        connection.read_response(correlation_id, timeout=5)
    text = http_get(metrics_port, "/metrics")[1]
    assert sample(text, 'weir_connection_timeouts_total{reason="partial_frame"}') == 1
    assert 'weir_request_timeouts_total{api="Fetch"} 1' not in text
    assert sample(text, "weir_requests_pending") == 0


@pytest.mark.weir_timeout(60)
def test_consumer_groups_by_state_and_rebalances(broker_factory):
    metrics_port = free_port()
    broker = broker_factory(METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}", GROUP_INITIAL_REBALANCE_DELAY_MS=0)
    topic = unique_topic("metrics-groups")
    create_topic(broker.bootstrap, topic, 2)
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique_topic("group"),
                                         "session.timeout.ms": 6000, "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])

        def stable():
            consumer.poll(0.2)
            text = http_get(metrics_port, "/metrics")[1]
            return text if sample(text, 'weir_consumer_groups{state="Stable"}') == 1 else None

        text = wait_until(stable, timeout=30, what="the group to become Stable")
        assert sample(text, "weir_consumer_group_rebalances_total") >= 1
        assert sample(text, 'weir_consumer_groups{state="PreparingRebalance"}') == 0
    finally:
        consumer.close()  # leaves the group: Empty, and then forgotten (it holds no offsets)

    def settled():
        text = http_get(metrics_port, "/metrics")[1]
        busy = sum(sample(text, f'weir_consumer_groups{{state="{state}"}}')
                   for state in ("Stable", "PreparingRebalance", "CompletingRebalance"))
        return text if busy == 0 else None

    text = wait_until(settled, timeout=10, what="the group to leave Stable")
    assert sample(text, 'weir_consumer_groups{state="Empty"}') <= 1


PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: weir
    static_configs:
      - targets: ["127.0.0.1:{metrics_port}"]
"""


def prometheus_query(port, query):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    status, body = http_get(port, url[len(f"http://127.0.0.1:{port}"):])
    assert status == 200, body
    answer = json.loads(body)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


@pytest.mark.weir_timeout(90)
def test_prometheus_scrapes_the_records_produced(broker_factory, tmp_path):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("Debian's prometheus package is not installed (scripts/dev install-test)")
    broker = start_with_traffic(broker_factory)
    config = tmp_path / "prometheus.yml"
    config.write_text(PROMETHEUS_CONFIG.format(metrics_port=broker.metrics_port))
    web_port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    server = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                               f"--web.listen-address=127.0.0.1:{web_port}"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        def scraped():
            if server.poll() is not None:
                pytest.fail(f"prometheus exited: {(tmp_path / 'prometheus.log').read_text()[-3000:]}")
            try:
                return prometheus_query(web_port, 'weir_produced_records_total{job="weir"}')
            except (OSError, AssertionError):
                return None

        wait_until(scraped, timeout=40, what="prometheus to scrape weir_produced_records_total")
        [series] = prometheus_query(web_port, 'weir_produced_records_total{job="weir"}')
        assert float(series["value"][1]) == RECORDS
        [up] = prometheus_query(web_port, 'up{job="weir"}')
        assert float(up["value"][1]) == 1
        latency = prometheus_query(web_port, 'weir_request_duration_seconds_bucket{api="Produce",le="+Inf"}')
        assert len(latency) == 1 and float(latency[0]["value"][1]) >= 1
        [fetched] = prometheus_query(web_port, 'weir_fetched_records_total{job="weir"}')
        assert float(fetched["value"][1]) == RECORDS
        [syncs] = prometheus_query(web_port, 'weir_commit_wal_sync_duration_seconds_count{job="weir"}')
        assert float(syncs["value"][1]) >= 1
        disk = prometheus_query(web_port, 'weir_storage_disk_bytes{job="weir"}')
        assert {entry["metric"]["kind"] for entry in disk} == {"sst", "blob", "wal"}
        groups = prometheus_query(web_port, 'weir_consumer_groups{job="weir"}')
        assert len(groups) == 4
        frames = prometheus_query(web_port, 'weir_frame_errors_total{job="weir"}')
        assert len(frames) == len(BAD_FRAMES)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.mark.weir_timeout(60)
def test_ready_turns_503_during_shutdown_while_health_still_answers(broker_factory):
    import signal
    from test_graceful_shutdown import signal_and_watch, start_stalled_request

    metrics_port = free_port()
    broker = broker_factory(METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}", SHUTDOWN_TIMEOUT_SECS=3)
    assert http_get(metrics_port, "/ready")[0] == 200
    # A half-read request holds the drain open until SHUTDOWN_TIMEOUT_SECS.
    stalled = start_stalled_request(broker)
    try:
        time.sleep(0.2)
        wait_for_exit = signal_and_watch(broker, signal.SIGTERM)
        status, body = wait_until(lambda: (lambda answer: answer if answer[0] == 503 else None)(
            http_get(metrics_port, "/ready")), timeout=2, interval=0.05, what="/ready to answer 503")
        assert body == "not ready: shutting down\n"
        status, body = http_get(metrics_port, "/health")
        assert status == 200 and json.loads(body)["ready"] is False
        code, took = wait_for_exit(timeout=20)
    finally:
        stalled.close()
    assert code == 0, broker.log_tail()
    assert took < 3 + 3, f"exit took {took:.1f} s with SHUTDOWN_TIMEOUT_SECS=3"


@pytest.mark.weir_timeout(90)
def test_ready_is_503_until_storage_has_recovered(broker_factory):
    """After a SIGKILL the restart replays ~50 MB of WAL before the listener opens; /ready
    is polled from the moment the process starts and must say why it is not ready first."""
    import threading

    metrics_port = free_port()
    broker = broker_factory(METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}")
    payload = b"".join(b"x" * 900 + b"\n" for _ in range(60_000))
    subprocess.run([shutil.which("kcat"), "-P", "-b", broker.bootstrap, "-t", unique_topic("recovery"),
                    "-X", "acks=1", "-X", "linger.ms=50"], input=payload, check=True, timeout=60)
    answers = []
    stop = threading.Event()

    def poll_ready():
        while not stop.is_set():
            try:
                answers.append(http_get(metrics_port, "/ready", timeout=1))
            except OSError:
                pass  # not listening yet
            if answers and answers[-1][0] == 200:
                return
            time.sleep(0.002)

    poller = threading.Thread(target=poll_ready, daemon=True)
    broker.kill()
    poller.start()
    try:
        broker.start()
        poller.join(timeout=30)
    finally:
        stop.set()
    assert answers, "the metrics endpoint never answered"
    assert answers[0][0] == 503, answers[:3]
    assert answers[0][1].startswith("not ready: "), answers[0]
    assert answers[-1] == (200, "ready\n"), answers[-3:]
    assert all(status == 503 for status, _ in answers[:-1]), answers
