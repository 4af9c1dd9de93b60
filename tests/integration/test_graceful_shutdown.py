"""Graceful shutdown: SIGTERM/SIGINT stop accepting, every request the broker has read is
answered, the process exits 0 within SHUTDOWN_TIMEOUT_SECS, and a restart finds every
acknowledged record with nothing to recover. A second signal exits at once. Under
systemd (Type=notify) the broker reports READY=1 and STOPPING=1.

"Accepted" is checked from the outside: a request the broker read and wrote to its log
but did not answer would leave records in the log that no client saw acknowledged. So
after each stop the log must hold exactly the acknowledged records.
"""
import ctypes
import os
import pathlib
import signal
import socket
import threading
import time

import pytest

import kafka_wire as wire
from support import unique_topic, wait_until

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import KafkaError, Producer  # noqa: E402

from test_restart import PARTITIONS, create_topic, read_all  # noqa: E402

# Errors a client may see for records whose request never reached the broker (sent into
# a closing connection, or queued when the broker had gone).
TRANSPORT_ERRORS = {KafkaError._TRANSPORT, KafkaError._MSG_TIMED_OUT, KafkaError._ALL_BROKERS_DOWN,
                    KafkaError._TIMED_OUT, KafkaError._DESTROY}


def wal_bytes(data_dir):
    """Bytes in RocksDB's write-ahead log files: what the next open would replay."""
    return sum(path.stat().st_size for path in pathlib.Path(data_dir).glob("*.log"))


def watch_exit(broker):
    """Starts timing the broker's exit; returns wait(timeout) -> (exit code, seconds
    from this call to the exit)."""
    process, broker.process = broker.process, None
    started = time.monotonic()
    exited = {}

    def watch():
        process.wait()
        exited["at"] = time.monotonic()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    def wait(timeout):
        watcher.join(timeout)
        if watcher.is_alive():
            process.kill()
            pytest.fail(f"broker did not exit within {timeout} s\n{broker.log_tail()}", pytrace=False)
        return process.returncode, exited["at"] - started
    return wait


def signal_and_watch(broker, signal_number):
    broker.process.send_signal(signal_number)
    return watch_exit(broker)


def log_events(broker, message):
    return [line for line in broker.log_text().splitlines() if f'msg="{message}"' in line
            or f"msg={message} " in line or line.endswith(f"msg={message}")]


@pytest.mark.weir_timeout(120)
def test_sigterm_during_acks_all_load_answers_every_accepted_request(broker_factory):
    broker = broker_factory(SHUTDOWN_TIMEOUT_SECS=10)
    topic = unique_topic("shutdown")
    create_topic(broker.bootstrap, topic, PARTITIONS)

    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "enable.idempotence": False,
                         "retries": 0, "linger.ms": 2, "message.timeout.ms": 8000,
                         "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})
    acknowledged = {}
    failures = []
    sent = 0

    def on_delivery(error, message):
        if error is None:
            acknowledged[(message.partition(), message.offset())] = message.value()
        else:
            failures.append(error)

    def produce_for(seconds):
        nonlocal sent
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for _ in range(50):
                producer.produce(topic, partition=sent % PARTITIONS, value=f"record-{sent}".encode(),
                                 on_delivery=on_delivery)
                sent += 1
            producer.poll(0.005)

    produce_for(2.0)
    acknowledged_before_signal = len(acknowledged)
    assert acknowledged_before_signal > 0, f"nothing acknowledged under load; failures: {failures[:3]}"

    wait_for_exit = signal_and_watch(broker, signal.SIGTERM)
    produce_for(1.0)  # keep the load on while the broker drains
    code, took = wait_for_exit(timeout=20)
    assert producer.flush(20) == 0, "delivery reports missing after 20 s"

    assert code == 0, f"exit code {code} after SIGTERM\n{broker.log_tail()}"
    assert took < 10 + 2, f"exit took {took:.1f} s, beyond SHUTDOWN_TIMEOUT_SECS=10"
    assert len(acknowledged) + len(failures) == sent, "a record got no delivery report"
    unexpected = [e for e in failures if e.code() not in TRANSPORT_ERRORS]
    assert not unexpected, f"{len(unexpected)} records failed with broker errors: {unexpected[:3]}"
    assert not log_events(broker, "shutdown timeout reached, closing connections with requests in flight")
    assert wal_bytes(broker.data_dir) == 0, "graceful stop left WAL records to replay"

    broker.start()
    records, _ = read_all(broker.bootstrap, topic, PARTITIONS)
    missing = set(acknowledged) - set(records)
    assert not missing, f"{len(missing)} acknowledged records missing after restart"
    unanswered = set(records) - set(acknowledged)
    assert not unanswered, (f"{len(unanswered)} records in the log were never acknowledged: the "
                            f"broker accepted their requests without answering")
    for position, value in acknowledged.items():
        assert records[position]["value"] == value
    print(f"sent {sent}, acknowledged {len(acknowledged)} ({acknowledged_before_signal} before SIGTERM), "
          f"failed {len(failures)}, exit after {took:.2f} s")


class PipelinedProducer:
    """One raw connection sending acks=all Produce requests back to back from one thread
    while another reads the replies, so requests are in flight when the signal lands."""

    def __init__(self, bootstrap, topic, partition):
        self.connection = wire.Connection.to(bootstrap, timeout=20)
        self.topic, self.partition = topic, partition
        self.sent = []       # correlation ids, in order
        self.answered = []   # (correlation id, error code, base offset)
        self.values = {}     # correlation id -> record value
        self.read_error = None
        self.stop_sending = threading.Event()
        self.sender = threading.Thread(target=self._send, daemon=True)
        self.reader = threading.Thread(target=self._read, daemon=True)

    def start(self):
        self.sender.start()
        self.reader.start()

    def _send(self):
        number = 0
        while not self.stop_sending.is_set():
            value = f"p{self.partition}-{number}".encode()
            body = wire.produce_v3_body(self.topic, self.partition, wire.record_batch([(None, value)]))
            correlation_id = self.connection.next_correlation_id
            self.values[correlation_id] = value
            try:
                self.connection.send_request(wire.API_PRODUCE, 3, body)
            except (wire.ConnectionClosed, OSError):
                return
            self.sent.append(correlation_id)
            number += 1
            if len(self.sent) - len(self.answered) > 200:
                time.sleep(0.001)  # bounded pipelining, like a client's max in-flight

    def _read(self):
        while True:
            try:
                frame = wire.Reader(self.connection.read_frame(timeout=20))
            except (wire.ConnectionClosed, TimeoutError, OSError) as error:
                self.read_error = error
                return
            correlation_id = frame.int32()
            body = frame.data[frame.position:]
            (error_code, base_offset), = wire.decode_produce_v3(body).values()
            self.answered.append((correlation_id, error_code, base_offset))

    def join(self):
        self.stop_sending.set()
        self.sender.join(timeout=30)
        self.reader.join(timeout=30)
        self.connection.close()


@pytest.mark.weir_timeout(120)
def test_pipelined_requests_read_before_sigterm_are_answered_and_the_rest_are_not_written(broker_factory):
    broker = broker_factory(SHUTDOWN_TIMEOUT_SECS=10)
    topic = unique_topic("pipelined")
    with wire.Connection.to(broker.bootstrap) as connection:
        create_topic(broker.bootstrap, topic, PARTITIONS)
        wire.ensure_topic(connection, topic)
    producers = [PipelinedProducer(broker.bootstrap, topic, p % PARTITIONS) for p in range(4)]
    for producer in producers:
        producer.start()
    wait_until(lambda: all(len(p.answered) > 50 for p in producers), timeout=30, what="replies under load")

    wait_for_exit = signal_and_watch(broker, signal.SIGTERM)
    for producer in producers:
        producer.reader.join(timeout=20)
    code, took = wait_for_exit(timeout=20)
    for producer in producers:
        producer.join()
    assert code == 0, broker.log_tail()
    assert took < 10, f"exit took {took:.1f} s"

    answered = {}
    for producer in producers:
        ids = [correlation_id for correlation_id, _, _ in producer.answered]
        assert ids == producer.sent[:len(ids)], "replies out of order or for requests never sent"
        assert all(error == 0 for _, error, _ in producer.answered), producer.answered[-3:]
        # The connection ended with an orderly end-of-file after the last reply, not a reset.
        assert isinstance(producer.read_error, wire.ConnectionClosed), repr(producer.read_error)
        assert "closed by the broker" in str(producer.read_error), producer.read_error
        for correlation_id, _, base_offset in producer.answered:
            answered[(producer.partition, base_offset)] = producer.values[correlation_id]
    assert wal_bytes(broker.data_dir) == 0

    broker.start()
    records, _ = read_all(broker.bootstrap, topic, PARTITIONS)
    in_log = {position: record["value"] for position, record in records.items()}
    assert in_log == answered, (f"log holds {len(in_log)} records, {len(answered)} were answered; "
                                f"unanswered in log: {sorted(set(in_log) - set(answered))[:5]}")
    sent = sum(len(p.sent) for p in producers)
    print(f"sent {sent} requests, {len(answered)} answered and in the log, exit after {took:.2f} s")


def start_stalled_request(broker):
    """A connection that sent a frame's size and half its body, then stalls: a request
    the broker has started to read and must wait for."""
    stalled = socket.create_connection(("127.0.0.1", broker.port), timeout=10)
    stalled.sendall(wire.int32(1000) + b"\x00" * 500)
    return stalled


@pytest.mark.weir_timeout(60)
def test_shutdown_timeout_cuts_off_a_request_that_never_finishes(broker_factory):
    broker = broker_factory(SHUTDOWN_TIMEOUT_SECS=2)
    stalled = start_stalled_request(broker)
    with wire.Connection.to(broker.bootstrap) as idle:
        wire.api_versions_v0(idle)
        time.sleep(0.2)  # let the broker read the stalled half frame
        signalled_at = time.monotonic()
        wait_for_exit = signal_and_watch(broker, signal.SIGTERM)
        assert idle.wait_closed(timeout=5) is None, "idle connection not ended at once"
        ended_idle_after = time.monotonic() - signalled_at
        code, took = wait_for_exit(timeout=15)
    stalled.close()
    assert code == 0, broker.log_tail()
    assert ended_idle_after < 1.5, f"idle connection ended only after {ended_idle_after:.1f} s"
    assert 1.5 <= took < 2 + 5, f"exit after {took:.1f} s with SHUTDOWN_TIMEOUT_SECS=2"
    cut_off = log_events(broker, "shutdown timeout reached, closing connections with requests in flight")
    assert len(cut_off) == 1 and "open_connections=1" in cut_off[0], broker.log_tail()
    assert "connections_cut_off=1" in log_events(broker, "stopped")[0]


@pytest.mark.weir_timeout(60)
@pytest.mark.parametrize("first, second", [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGINT)])
def test_second_signal_exits_at_once(broker_factory, first, second):
    broker = broker_factory(SHUTDOWN_TIMEOUT_SECS=60)
    stalled = start_stalled_request(broker)
    time.sleep(0.2)
    broker.process.send_signal(first)
    wait_until(lambda: log_events(broker, "draining connections"), timeout=10, what="drain to start")
    code, took = signal_and_watch(broker, second)(timeout=10)
    stalled.close()
    assert code == 128 + second, f"exit code {code}, want {128 + second}"
    assert took < 5
    assert "second signal: exiting at once" in broker.log_text()


@pytest.mark.weir_timeout(60)
def test_sigint_stops_gracefully_and_data_reopens_without_replay(broker_factory):
    broker = broker_factory()
    topic = unique_topic("sigint")
    with wire.Connection.to(broker.bootstrap) as connection:
        wire.ensure_topic(connection, topic)
        error, base_offset = wire.produce_v3(connection, topic, 0, wire.record_batch([(b"k", b"v")]))[(topic, 0)]
        assert (error, base_offset) == (0, 0)
    code, _ = signal_and_watch(broker, signal.SIGINT)(timeout=20)
    assert code == 0, broker.log_tail()
    assert wal_bytes(broker.data_dir) == 0
    broker.start()
    with wire.Connection.to(broker.bootstrap) as connection:
        records, _ = wire.fetch_all(connection, topic, 0)
    assert [(r["key"], r["value"]) for r in records] == [(b"k", b"v")]


@pytest.mark.weir_timeout(60)
def test_systemd_is_told_ready_and_stopping(broker_factory):
    # An abstract socket ("@name" to sd_notify): no path-length limit from deep temp dirs.
    name = f"weir-notify-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind("\0" + name)
        notify.settimeout(10)
        broker = broker_factory(NOTIFY_SOCKET="@" + name)
        assert notify.recv(4096) == b"READY=1"
        code, _ = signal_and_watch(broker, signal.SIGTERM)(timeout=20)
        assert code == 0
        assert notify.recv(4096) == b"STOPPING=1"



@pytest.mark.weir_timeout(60)
def test_systemd_watchdog_is_pinged_while_running_and_not_after_stopping(broker_factory):
    name = f"weir-notify-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind("\0" + name)
        notify.settimeout(10)
        # 400 ms: the broker pings every 200 ms, each time after its threads answered.
        broker = broker_factory(NOTIFY_SOCKET="@" + name, WATCHDOG_USEC="400000")
        assert notify.recv(4096) == b"READY=1"
        # Traffic through the commit pipeline while the watchdog probes it.
        topic = unique_topic("watchdog")
        with wire.Connection.to(broker.bootstrap) as connection:
            wire.ensure_topic(connection, topic)
            error, _ = wire.produce_v3(connection, topic, 0, wire.record_batch([(b"k", b"v")]))[(topic, 0)]
            assert error == 0
        pings = [notify.recv(4096) for _ in range(5)]
        assert pings == [b"WATCHDOG=1"] * 5
        code, _ = signal_and_watch(broker, signal.SIGTERM)(timeout=20)
        assert code == 0
        after_stop = []
        notify.settimeout(1)
        while True:
            try:
                after_stop.append(notify.recv(4096))
            except socket.timeout:
                break
        # Pings already sent may still be queued, but none follows STOPPING=1.
        assert b"STOPPING=1" in after_stop
        assert b"WATCHDOG=1" not in after_stop[after_stop.index(b"STOPPING=1"):]
    assert log_events(broker, "systemd watchdog enabled"), broker.log_tail()


PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207


class StoppedThread:
    """Stops one thread of another process (ptrace seize + interrupt), the others running
    on: a stand-in for a thread wedged in a system call on a hung disk."""

    def __init__(self, pid, thread_name):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        self.tid = next(int(task.name) for task in pathlib.Path(f"/proc/{pid}/task").iterdir()
                        if (task / "comm").read_text().strip() == thread_name)

    def __enter__(self):
        if self.libc.ptrace(PTRACE_SEIZE, self.tid, None, None) != 0:
            pytest.skip(f"environment: ptrace is not permitted here: {os.strerror(ctypes.get_errno())}")
        assert self.libc.ptrace(PTRACE_INTERRUPT, self.tid, None, None) == 0, os.strerror(ctypes.get_errno())
        status = ctypes.c_int()
        assert self.libc.waitpid(self.tid, ctypes.byref(status), 0x40000000) == self.tid  # __WALL
        return self

    def __exit__(self, *exc):
        assert self.libc.ptrace(PTRACE_DETACH, self.tid, None, None) == 0, os.strerror(ctypes.get_errno())


def messages_within(notify, seconds):
    received, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        notify.settimeout(left)
        try:
            received.append(notify.recv(4096))
        except socket.timeout:
            break
    return received


@pytest.mark.weir_timeout(60)
def test_systemd_watchdog_is_not_pinged_while_the_commit_pipeline_is_stuck(broker_factory):
    name = f"weir-notify-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind("\0" + name)
        notify.settimeout(10)
        # 1 s: a round every 500 ms, whose probes must answer within 250 ms.
        broker = broker_factory(NOTIFY_SOCKET="@" + name, WATCHDOG_USEC="1000000")
        assert notify.recv(4096) == b"READY=1"
        assert notify.recv(4096) == b"WATCHDOG=1"
        with StoppedThread(broker.pid, "weir-commit"):
            # A ping already on its way may arrive; then none for six rounds.
            messages_within(notify, 0.6)
            assert messages_within(notify, 3.0) == []
            wait_until(lambda: log_events(broker, "watchdog: thread does not answer, not pinging systemd"),
                       timeout=5, what="the stall to be logged")
        # Once the writer runs again, so do the pings.
        notify.settimeout(10)
        assert notify.recv(4096) == b"WATCHDOG=1"
    # Under load another thread may miss a round too; the commit pipeline must be named.
    stalls = log_events(broker, "watchdog: thread does not answer, not pinging systemd")
    assert any('thread="commit pipeline"' in line for line in stalls), stalls
    broker.stop()


@pytest.mark.weir_timeout(60)
def test_a_long_poll_is_answered_at_once_and_does_not_hold_up_the_stop(broker_factory):
    broker = broker_factory(SHUTDOWN_TIMEOUT_SECS=30)
    topic = unique_topic("long-poll")
    with wire.Connection.to(broker.bootstrap, timeout=40) as connection:
        wire.ensure_topic(connection, topic)
        correlation_id = connection.send_request(
            wire.API_FETCH, 4, wire.fetch_v4_body(topic, 0, 0, max_wait_ms=30000, min_bytes=1))
        time.sleep(0.3)  # the fetch parks
        wait_for_exit = signal_and_watch(broker, signal.SIGTERM)
        signalled_at = time.monotonic()
        fetched = wire.decode_fetch_v4(connection.read_response(correlation_id, timeout=10))
        answered_after = time.monotonic() - signalled_at
        assert connection.wait_closed(timeout=5) is None
    code, took = wait_for_exit(timeout=20)
    assert code == 0, broker.log_tail()
    assert fetched[(topic, 0)]["error_code"] == wire.NONE and fetched[(topic, 0)]["records"] in (b"", None)
    assert answered_after < 3, f"long poll answered {answered_after:.1f} s after SIGTERM"
    assert took < 5, f"exit took {took:.1f} s"
    assert "connections_cut_off=0" in log_events(broker, "stopped")[0]
