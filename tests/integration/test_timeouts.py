"""IDLE_TIMEOUT_SECS and REQUEST_TIMEOUT_SECS against the real broker, while a kcat
producer streams records beside the misbehaving clients and must lose none of them."""
import shutil
import subprocess
import threading
import time

import pytest

import kafka_wire as wire
from support import run_command, unique_topic

KCAT = shutil.which("kcat")
pytestmark = pytest.mark.skipif(KCAT is None, reason="kcat is not installed (apt-get install kcat)")

IDLE_TIMEOUT_SECS = 4
REQUEST_TIMEOUT_SECS = 2


class RepeatedProducer:
    """Runs `kcat -P` again and again, 20 records each time, from a thread until stop().
    (kcat reads its input in large blocks, so one long-running kcat fed slowly would
    send nothing for seconds; short runs keep produce requests arriving throughout.)"""

    def __init__(self, broker, topic):
        self.command = [KCAT, "-P", "-b", broker.bootstrap, "-t", topic, "-X", "acks=all",
                        "-X", "enable.idempotence=false", "-X", "linger.ms=0"]
        self.lines = []
        self.failures = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            lines = [f"record-{len(self.lines) + n}" for n in range(20)]
            result = subprocess.run(self.command, input="".join(line + "\n" for line in lines).encode(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
            if result.returncode != 0:
                self.failures.append(result.stderr.decode(errors="replace")[-2000:])
                return
            self.lines.extend(lines)
            time.sleep(0.1)

    def stop(self):
        """Waits for the current run; fails if any kcat run failed."""
        self.stopping.set()
        self.thread.join(timeout=40)
        assert not self.thread.is_alive(), "kcat producer still running 40 s after stop"
        assert not self.failures, f"kcat producer failed:\n{self.failures[0]}"


def seconds_until_closed(connection, limit):
    started = time.monotonic()
    problem = connection.wait_closed(limit)
    assert problem is None, problem
    return time.monotonic() - started


def test_idle_slow_and_stuck_clients_are_closed_without_disturbing_a_producer(broker_factory):
    # The producer reconnects for every run: the per-address rate limit is not under test here.
    broker = broker_factory(IDLE_TIMEOUT_SECS=IDLE_TIMEOUT_SECS, REQUEST_TIMEOUT_SECS=REQUEST_TIMEOUT_SECS,
                            CONNECTION_RATE_LIMIT=0, WEIR_LOG_LEVEL="debug")
    topic = unique_topic("timeouts")
    with wire.Connection.to(broker.bootstrap) as setup:
        wire.ensure_topic(setup, topic)
        empty_topic = unique_topic("timeouts-empty")
        wire.ensure_topic(setup, empty_topic)
    producer = RepeatedProducer(broker, topic)
    closed_after = {}
    long_poll_answered_after = []

    def idle_client():
        with wire.Connection.to(broker.bootstrap) as connection:
            assert wire.api_versions_v0(connection)[0] == wire.NONE
            closed_after["idle"] = seconds_until_closed(connection, IDLE_TIMEOUT_SECS + 10)

    def half_frame_client():
        with wire.Connection.to(broker.bootstrap) as connection:
            connection.send_raw(wire.int32(100) + b"\x00" * 10)
            closed_after["half frame"] = seconds_until_closed(connection, IDLE_TIMEOUT_SECS + 10)

    def half_size_prefix_client():
        with wire.Connection.to(broker.bootstrap) as connection:
            connection.send_raw(b"\x00\x00")
            closed_after["half size prefix"] = seconds_until_closed(connection, IDLE_TIMEOUT_SECS + 10)

    def long_poll_client():
        # A fetch asking to wait far longer than REQUEST_TIMEOUT_SECS for data that never
        # comes is answered (empty) within it, and its connection stays usable: a client
        # whose fetch wait exceeds the broker's request clock must not lose its connection.
        with wire.Connection.to(broker.bootstrap) as connection:
            started = time.monotonic()
            correlation_id = connection.send_request(
                wire.API_FETCH, 4, wire.fetch_v4_body(empty_topic, 0, 0, max_wait_ms=60000, min_bytes=1))
            connection.read_response(correlation_id, timeout=REQUEST_TIMEOUT_SECS + 5)
            long_poll_answered_after.append(time.monotonic() - started)
            assert wire.api_versions_v0(connection)[0] == wire.NONE

    clients = [threading.Thread(target=run) for run in
               (idle_client, half_frame_client, half_size_prefix_client, long_poll_client)]
    try:
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=IDLE_TIMEOUT_SECS + 20)
    finally:
        producer.stop()

    assert set(closed_after) == {"idle", "half frame", "half size prefix"}, closed_after
    assert len(long_poll_answered_after) == 1, "the long poll was not answered"
    assert REQUEST_TIMEOUT_SECS / 2 - 0.5 <= long_poll_answered_after[0] < REQUEST_TIMEOUT_SECS, long_poll_answered_after
    # Each is closed by its own clock: the request timeout well before the idle one.
    for case in ("half frame", "half size prefix"):
        assert REQUEST_TIMEOUT_SECS - 0.5 <= closed_after[case] < IDLE_TIMEOUT_SECS - 0.5, closed_after
    assert IDLE_TIMEOUT_SECS - 0.5 <= closed_after["idle"] < IDLE_TIMEOUT_SECS + 5, closed_after
    log = broker.log_text()
    assert 'reason="idle for IDLE_TIMEOUT_SECS"' in log
    assert log.count('reason="frame not completed within REQUEST_TIMEOUT_SECS"') == 2
    assert 'reason="request not answered within REQUEST_TIMEOUT_SECS"' not in log

    # The producer beside them delivered everything, in order.
    consumed = run_command([KCAT, "-C", "-b", broker.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q"],
                           timeout=60)
    assert consumed.returncode == 0, consumed.stderr.decode(errors="replace")[-3000:]
    got = consumed.stdout.decode().split("\n")[:-1]
    assert len(producer.lines) >= 100, "the producer did not run throughout the test"
    assert got == producer.lines, f"{len(got)} of {len(producer.lines)} records read back"
    broker.assert_running()
