"""Starts the real `weir` binary for integration tests.

Each test that asks for `broker` (or `broker_factory`) gets its own broker process on a
free loopback port with an empty data folder under pytest's `tmp_path`. Tests that only
add their own topics may share one broker per module through `module_broker`. The
broker's stderr goes to `broker.log` beside the data folder; when a test fails, the end
of the log of every broker it could see is attached to the report. Teardown always stops
the broker with SIGTERM and fails if it does not exit 0 in time, or if it had already
died on its own.

No test may hang: every client call and wait has its own timeout, and on top of that
each test has a watchdog (`@pytest.mark.weir_timeout(seconds)`, default
DEFAULT_TEST_TIMEOUT) that interrupts it so teardown still stops the brokers.

The binary is `$WEIR_BINARY`, else `build/dev/server/weir` under the repository root.
Run with `/usr/bin/python3 -m pytest tests/integration` (Debian's client modules).
"""
import functools
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / "build" / "dev" / "server" / "weir"

# Seconds to wait for the listener to accept after start, and for exit after SIGTERM.
# Generous because the ASan build starts and stops more slowly.
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
# How much of the broker log a failure report shows.
LOG_TAIL_CHARS = 20000
# Seconds a test may run before its watchdog interrupts it.
DEFAULT_TEST_TIMEOUT = 240

class BrokerError(AssertionError):
    """The broker did not start, stop or stay up as the test expected."""


# Brokers started and not yet torn down; a failing test's report shows their logs.
_active_brokers = []

# If pytest itself is killed (say by a CTest timeout), the kernel sends the broker
# SIGKILL instead of leaving it running on its port. setpriv (util-linux) sets that and
# then execs the broker, so the broker keeps its pid and gets SIGTERM directly. Not a
# preexec_fn: client libraries run threads here, and code between fork and exec in a
# threaded process can deadlock.
SETPRIV = shutil.which("setpriv")


def broker_binary():
    return pathlib.Path(os.environ.get("WEIR_BINARY") or DEFAULT_BINARY)


@functools.cache
def broker_settings():
    """Environment variables the broker reads, taken from its own settings table
    (`--print-config-reference`) so that no list here can fall behind it. They are cleared
    before each start, so a value exported in the caller's shell cannot change what a test
    runs against."""
    reference = subprocess.run([str(broker_binary()), "--print-config-reference"], capture_output=True,
                               text=True, timeout=30, check=True).stdout
    settings = frozenset(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", reference, flags=re.M))
    if not settings:
        raise BrokerError(f"no settings found in {broker_binary()} --print-config-reference")
    return settings


def free_port():
    # The port is free when we close this socket; the broker binds it moments later.
    # A collision in between shows up as an early exit, which start() retries.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_accepts(port, timeout=0.5):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


class Broker:
    """One broker process and its data folder, which survives restart()."""

    def __init__(self, binary, work_dir, env_overrides=None):
        self.binary = pathlib.Path(binary)
        self.work_dir = pathlib.Path(work_dir)
        self.data_dir = self.work_dir / "data"
        self.log_path = self.work_dir / "broker.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # None stands for "the broker's built-in default": the setting is left unset.
        self.env_overrides = {k: None if v is None else str(v) for k, v in (env_overrides or {}).items()}
        self.port = None
        self.process = None
        self.starts = 0

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def environment(self):
        env = {k: v for k, v in os.environ.items() if k not in broker_settings()}
        env.update({
            "BIND_ADDRESS": f"127.0.0.1:{self.port}",
            "STORAGE_PATH": str(self.data_dir),
            "WEIR_LOG_LEVEL": "info",
            # Every test client connects from 127.0.0.1, and a module of tests opens new
            # connections far faster than one real host would: the default rate limit
            # would ban the address midway. test_admission.py sets its own limits.
            "CONNECTION_RATE_LIMIT": "0",
        })
        env.update(self.env_overrides)
        return {k: v for k, v in env.items() if v is not None}

    def start(self):
        """Starts the binary and waits until its port accepts connections.

        The first start picks a free port; later starts reuse it, so clients that cached
        the address (and the address advertised in Metadata) stay valid.
        """
        if self.running():
            raise BrokerError("start() called while the broker is running")
        if not self.binary.is_file():
            raise BrokerError(
                f"broker binary {self.binary} does not exist: build it "
                f"(cmake --preset dev && cmake --build --preset dev) or set WEIR_BINARY")
        attempts = 3 if self.port is None else 1
        for attempt in range(attempts):
            if self.starts == 0:
                self.port = free_port()
            try:
                self._start_once()
                return self
            except BrokerError:
                # Only a first start on a freshly picked port may have lost a race for it.
                if self.starts > 0 or attempt == attempts - 1:
                    raise
                self.port = None

    def _start_once(self):
        with open(self.log_path, "ab") as log:
            log.write(f"--- test harness: starting {self.binary} on port {self.port}\n".encode())
            log.flush()
            command = [str(self.binary)]
            if SETPRIV:
                command = [SETPRIV, "--pdeathsig", "KILL", "--"] + command
            self.process = subprocess.Popen(
                command, env=self.environment(), cwd=self.work_dir,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.process = None
                raise BrokerError(
                    f"broker exited with code {code} before accepting connections on "
                    f"port {self.port}\n{self.log_tail()}")
            if port_accepts(self.port):
                self.starts += 1
                return
            time.sleep(0.05)
        self.process.kill()
        self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None
        raise BrokerError(
            f"broker did not accept connections on port {self.port} within "
            f"{READY_TIMEOUT:.0f} s\n{self.log_tail()}")

    def running(self):
        return self.process is not None and self.process.poll() is None

    def assert_running(self):
        """Fails if the broker died (a crash shows here rather than as a client timeout)."""
        if self.process is None:
            raise BrokerError("broker is not started")
        code = self.process.poll()
        if code is not None:
            raise BrokerError(f"broker exited on its own with code {code}\n{self.log_tail()}")

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then requires exit code 0 within `timeout` seconds."""
        if self.process is None:
            return
        process, self.process = self.process, None
        code = process.poll()
        if code is not None:
            raise BrokerError(f"broker had already exited with code {code} before stop()\n"
                              f"{self.log_tail()}")
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
            raise BrokerError(f"broker did not exit within {timeout:.0f} s of SIGTERM\n"
                              f"{self.log_tail()}")
        if code != 0:
            raise BrokerError(f"broker exited with code {code} after SIGTERM (want 0)\n"
                              f"{self.log_tail()}")

    def kill(self):
        """SIGKILL: no chance to flush or close anything."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.kill()
        process.wait(timeout=STOP_TIMEOUT)

    def restart(self):
        """Graceful stop (exit 0 required), then start on the same data folder and port."""
        self.stop()
        return self.start()

    def kill_and_restart(self):
        self.kill()
        return self.start()

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, chars=LOG_TAIL_CHARS):
        text = self.log_text()
        if len(text) > chars:
            text = "...\n" + text[-chars:]
        return f"--- broker log ({self.log_path}) ---\n{text}--- end of broker log ---"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "weir_timeout(seconds): watchdog for one test (default %d s)" % DEFAULT_TEST_TIMEOUT)


def pytest_sessionfinish(session, exitstatus):
    # A missing client (kcat, confluent_kafka, node...) skips its tests on a developer's
    # machine; CI sets WEIR_REQUIRE_TEST_PEERS=1 so that a skip cannot pass for a success.
    # Only a limit of the machine itself, that installing packages cannot lift (a skip
    # reason starting "environment:", e.g. no permission to mount), is let through.
    if os.environ.get("WEIR_REQUIRE_TEST_PEERS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if any("environment:" not in str(report.longrepr) for report in skipped):
        reporter.write_line("tests were skipped but WEIR_REQUIRE_TEST_PEERS=1 requires every peer",
                            red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for broker in _active_brokers:
            report.sections.append((f"weir broker log, port {broker.port}", broker.log_tail()))


class TestTimeout(BaseException):
    """Raised in the main thread by the watchdog. A BaseException so that client code
    catching Exception cannot swallow it."""


@pytest.fixture(autouse=True)
def _watchdog(request):
    marker = request.node.get_closest_marker("weir_timeout")
    seconds = marker.args[0] if marker else DEFAULT_TEST_TIMEOUT
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise TestTimeout(f"test still running after {seconds} s (weir_timeout)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(int(seconds))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _stop_all(brokers):
    """Stops every broker, then fails with every problem seen."""
    problems = []
    for broker in brokers:
        try:
            broker.stop()
        except BrokerError as error:
            problems.append(str(error))
        except BaseException as error:  # stop the others whatever happens to one
            broker.kill()
            problems.append(f"stopping the broker on port {broker.port}: {error!r}")
        finally:
            if broker in _active_brokers:
                _active_brokers.remove(broker)
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _make_factory(brokers, work_dir):
    def start(**env_overrides):
        broker = Broker(broker_binary(), work_dir / f"broker{len(brokers)}", env_overrides)
        brokers.append(broker)
        _active_brokers.append(broker)
        return broker.start()
    return start


@pytest.fixture
def broker_factory(tmp_path):
    """Returns start(**env_overrides) -> a running Broker; all are stopped at teardown.

    Overrides are broker settings, e.g. start(MAX_REQUEST_BYTES=1048576,
    DEFAULT_PARTITIONS=3).
    """
    brokers = []
    yield _make_factory(brokers, tmp_path)
    _stop_all(brokers)


@pytest.fixture
def broker(broker_factory):
    """A running broker with default settings, for this test alone."""
    return broker_factory()


@pytest.fixture(scope="module")
def module_broker(request, tmp_path_factory):
    """One broker with default settings shared by the tests of a module. Only for tests
    that create their own topics and neither restart the broker nor break it on purpose.
    A test that finds it dead fails; the next test still gets the same dead broker, so
    the first failure is the one to read. A module may set MODULE_BROKER_SETTINGS (a dict
    of broker settings), e.g. to lift CONNECTION_RATE_LIMIT for many short-lived clients."""
    brokers = []
    start = _make_factory(brokers, tmp_path_factory.mktemp("module-broker"))
    yield start(**getattr(request.module, "MODULE_BROKER_SETTINGS", {}))
    _stop_all(brokers)
