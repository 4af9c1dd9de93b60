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
