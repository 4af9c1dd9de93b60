"""REQUEST_BUFFER_BUDGET_BYTES against a burst of large frames: 50 clients each send a
64 MiB request at once, and the broker's resident memory (VmRSS from /proc) stays under
the budget plus a fixed overhead, while every client is still served in turn."""
import concurrent.futures
import os
import pathlib
import threading
import time

import pytest

import kafka_wire as wire

MIB = 1024 * 1024
CLIENTS = 50
FRAME_BYTES = 64 * MIB
BUDGET_BYTES = 256 * MIB
# Threads, RocksDB and allocator slack on top of the request buffers. Without the
# budget the burst would hold CLIENTS * FRAME_BYTES = 3200 MiB.
OVERHEAD_BYTES = 128 * MIB


def rss_bytes(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/<pid>/status")


class PeakRss:
    """Samples the broker's VmRSS every 10 ms from a thread."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = rss_bytes(pid)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while not self.stopping.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        return self.peak


def big_api_versions_frame():
    """An ApiVersions v0 request padded to FRAME_BYTES: the broker must buffer all of it
    before it can answer (trailing bytes are ignored or close the connection; either
    way the frame was held in full)."""
    header = wire.request_header(wire.API_API_VERSIONS, 0, 1) + wire.api_versions_v0_body()
    return wire.int32(FRAME_BYTES) + header + b"\x00" * (FRAME_BYTES - len(header))


@pytest.mark.weir_timeout(120)
def test_a_burst_of_large_frames_stays_within_the_request_memory_budget(broker_factory):
    # Under AddressSanitizer freed blocks sit in a quarantine (256 MiB by default) before
    # their memory is returned, which would measure ASan rather than the broker.
    asan_options = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=0"]))
    broker = broker_factory(REQUEST_BUFFER_BUDGET_BYTES=BUDGET_BYTES, MAX_REQUEST_BYTES=FRAME_BYTES,
                            CONNECTION_RATE_LIMIT=0, WEIR_LOG_LEVEL="debug", ASAN_OPTIONS=asan_options)
    with wire.Connection.to(broker.bootstrap) as warm_up:
        assert wire.api_versions_v0(warm_up)[0] == wire.NONE
    baseline = rss_bytes(broker.pid)
    frame = big_api_versions_frame()
    start = threading.Barrier(CLIENTS)

    def client(_):
        with wire.Connection.to(broker.bootstrap, timeout=60) as connection:
            start.wait(timeout=30)
            connection.send_raw(frame)
            try:
                connection.read_frame(timeout=60)
                return "answered"
            except wire.ConnectionClosed:
                return "closed"

    sampler = PeakRss(broker.pid)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            outcomes = list(pool.map(client, range(CLIENTS)))
    finally:
        peak = sampler.stop()

    growth = peak - baseline
    print(f"baseline RSS {baseline / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB, "
          f"growth {growth / MIB:.0f} MiB, budget {BUDGET_BYTES / MIB:.0f} MiB, outcomes "
          f"{ {outcome: outcomes.count(outcome) for outcome in set(outcomes)} }")
    assert len(outcomes) == CLIENTS
    assert peak <= baseline + BUDGET_BYTES + OVERHEAD_BYTES, (
        f"RSS peaked at {peak / MIB:.0f} MiB from {baseline / MIB:.0f} MiB with a "
        f"{BUDGET_BYTES / MIB:.0f} MiB budget")
    # The burst really did fill the budget, and frames really did wait for it.
    assert growth >= 2 * FRAME_BYTES, f"RSS grew only {growth / MIB:.0f} MiB: the frames were not buffered"
    assert "waits for request memory" in broker.log_text()

    broker.assert_running()
    with wire.Connection.to(broker.bootstrap) as after:
        assert wire.api_versions_v0(after)[0] == wire.NONE
