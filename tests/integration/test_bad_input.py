"""Malformed and hostile requests, sent with the raw client in kafka_wire.py.

A broken frame (bad size, unknown API or version, a body shorter than its fields) closes
that one connection, as Apache Kafka does; a bad record batch or partition is answered
with the partition's Kafka error code. After every case the broker must still be up, a
new connection must get an ApiVersions answer, and the records produced before must read
back unchanged.
"""
import select
import socket
import struct
import time

import pytest

import kafka_wire as wire
from support import unique_topic

MAX_REQUEST_BYTES = 1024 * 1024
CLOSE_TIMEOUT = 10.0

# What the broker serves today (docs/compatibility.md). More APIs may be added; these
# ranges must not shrink.
SERVED_API_VERSIONS = {0: (0, 11), 1: (0, 17), 2: (0, 10), 3: (0, 12), 18: (0, 4), 19: (0, 7)}

SEED_RECORDS = [(b"seed-key-0", b"seed value 0", [("h", b"0")]),
                (b"seed-key-1", b"seed value 1", []),
                (None, b"seed value 2 with a null key", [])]


class Seeded:
    """A broker with MAX_REQUEST_BYTES = 1 MiB and a 1-partition topic holding
    SEED_RECORDS at offsets 0..2."""

    def __init__(self, broker):
        self.broker = broker
        self.topic = unique_topic("bad-input")
        with self.connect() as connection:
            wire.ensure_topic(connection, self.topic)
            result = wire.produce_v3(connection, self.topic, 0, wire.record_batch(SEED_RECORDS))
        assert result[(self.topic, 0)] == (wire.NONE, 0), result

    def connect(self):
        return wire.Connection.to(self.broker.bootstrap)

    def assert_healthy(self, extra_records=()):
        """Still running; a new connection gets ApiVersions; the log reads back as
        SEED_RECORDS followed by `extra_records` (key, value) pairs, and nothing else."""
        self.broker.assert_running()
        with self.connect() as connection:
            error_code, apis = wire.api_versions_v0(connection)
            assert error_code == wire.NONE
            assert 18 in apis, apis
            records, fetched = wire.fetch_all(connection, self.topic, 0)
        assert fetched["error_code"] == wire.NONE, fetched
        want = [(key, value) for key, value, _ in SEED_RECORDS] + list(extra_records)
        assert [(r["key"], r["value"]) for r in records] == want
        assert [r["offset"] for r in records] == list(range(len(want)))
        assert records[0]["headers"] == [("h", b"0")]
        assert fetched["high_watermark"] == len(want)


@pytest.fixture
def seeded(broker_factory):
    return Seeded(broker_factory(MAX_REQUEST_BYTES=MAX_REQUEST_BYTES))


@pytest.fixture
def seeded_without_rate_limit(broker_factory):
    """Like `seeded`, for tests opening connections faster than CONNECTION_RATE_LIMIT
    allows one address (admission itself is tested in test_admission.py)."""
    return Seeded(broker_factory(MAX_REQUEST_BYTES=MAX_REQUEST_BYTES, CONNECTION_RATE_LIMIT=0))


def assert_closed(connection, what):
    problem = connection.wait_closed(CLOSE_TIMEOUT)
    assert problem is None, f"after {what}: {problem}"


# --- frames the broker must refuse by closing the connection ---------------------------

def test_frame_larger_than_max_request_bytes_closes_the_connection(seeded):
    with seeded.connect() as connection:
        # Only the size prefix and a header: the broker must not wait for 2 MiB of body.
        connection.send_raw(wire.int32(2 * 1024 * 1024) + wire.request_header(wire.API_PRODUCE, 3, 1))
        assert_closed(connection, "a 2 MiB size prefix with MAX_REQUEST_BYTES = 1 MiB")
    seeded.assert_healthy()


def produce_frame_of_size(topic, size, key=b"big"):
    """A Produce v3 request frame (without the size prefix) of exactly `size` bytes."""
    value_length = size
    for _ in range(10):
        batch = wire.record_batch([(key, b"x" * value_length)])
        frame = (wire.request_header(wire.API_PRODUCE, 3, 7)
                 + wire.produce_v3_body(topic, 0, batch))
        if len(frame) == size:
            return frame
        value_length -= len(frame) - size
    raise AssertionError(f"could not build a {size}-byte frame")


def test_frame_of_exactly_max_request_bytes_is_accepted(seeded):
    frame = produce_frame_of_size(seeded.topic, MAX_REQUEST_BYTES)
    with seeded.connect() as connection:
        connection.send_frame(frame)
        result = wire.decode_produce_v3(connection.read_response(7, timeout=30))
    assert result[(seeded.topic, 0)] == (wire.NONE, 3), result
    with seeded.connect() as connection:
        fetched = wire.fetch_v4(connection, seeded.topic, 0, 3)
    (record,) = wire.decode_record_batches(fetched["records"])
    assert record["offset"] == 3 and record["key"] == b"big"
    assert len(record["value"]) > MAX_REQUEST_BYTES - 200 and set(record["value"]) == {ord("x")}
    seeded.assert_healthy(extra_records=[(b"big", record["value"])])


def test_frame_one_byte_over_max_request_bytes_closes_the_connection(seeded):
    frame = produce_frame_of_size(seeded.topic, MAX_REQUEST_BYTES + 1)
    with seeded.connect() as connection:
        try:
            connection.send_frame(frame)
        except wire.ConnectionClosed:
            pass  # closed while we were still sending: also correct
        assert_closed(connection, "a frame one byte over MAX_REQUEST_BYTES")
    seeded.assert_healthy()


@pytest.mark.parametrize("size", [-1, -2147483648])
def test_negative_frame_size_closes_the_connection(seeded, size):
    with seeded.connect() as connection:
        connection.send_raw(wire.int32(size) + wire.request_header(wire.API_API_VERSIONS, 0, 1))
        assert_closed(connection, f"size prefix {size}")
    seeded.assert_healthy()


@pytest.mark.parametrize("size", [0, 4, 7])
def test_frame_shorter_than_a_request_header_closes_the_connection(seeded, size):
    header = wire.request_header(wire.API_API_VERSIONS, 0, 1)
    with seeded.connect() as connection:
        connection.send_raw(wire.int32(size) + header[:size])
        assert_closed(connection, f"a {size}-byte frame")
    seeded.assert_healthy()


def test_unknown_api_key_closes_the_connection(seeded):
    with seeded.connect() as connection:
        connection.send_request(9999, 0, b"")
        assert_closed(connection, "API key 9999")
    seeded.assert_healthy()


def test_unsupported_metadata_version_closes_the_connection(seeded):
    with seeded.connect() as connection:
        connection.send_request(wire.API_METADATA, 99, wire.metadata_v1_body(None))
        assert_closed(connection, "Metadata v99")
    seeded.assert_healthy()


def truncated_bodies(topic):
    """(name, api_key, version, body) with the body cut short of its own fields."""
    produce = wire.produce_v3_body(topic, 0, wire.record_batch([(b"k", b"never stored")]))
    fetch = wire.fetch_v4_body(topic, 0, 0)
    metadata = wire.metadata_v1_body([topic, "other-topic"])
    return [
        ("metadata-half", wire.API_METADATA, 1, metadata[:len(metadata) // 2]),
        ("metadata-count-only", wire.API_METADATA, 1, metadata[:4]),
        ("produce-no-topics", wire.API_PRODUCE, 3, produce[:8]),
        ("produce-half-batch", wire.API_PRODUCE, 3, produce[:len(produce) - 20]),
        ("fetch-half", wire.API_FETCH, 4, fetch[:len(fetch) // 2]),
        ("api-versions-v3-half-string", wire.API_API_VERSIONS, 3,
         wire.api_versions_v3_body()[:5]),
    ]


@pytest.mark.parametrize("case", range(6), ids=[name for name, *_ in truncated_bodies("t")])
def test_truncated_request_body_closes_the_connection_or_gets_an_error(seeded, case):
    # Apache Kafka closes the connection when a body does not parse; an error response is
    # also acceptable, as long as nothing of the request is applied.
    name, api_key, version, body = truncated_bodies(seeded.topic)[case]
    with seeded.connect() as connection:
        correlation_id = connection.send_request(
            api_key, version, body, flexible_header=version >= 3 and api_key == 18)
        try:
            response = connection.read_frame(timeout=CLOSE_TIMEOUT)
        except wire.ConnectionClosed:
            response = None
        except TimeoutError:
            pytest.fail(f"truncated body {name}: no answer and the connection is still open "
                        f"after {CLOSE_TIMEOUT} s (the broker may be waiting for more bytes "
                        f"than the frame holds)")
    if response is not None:
        (got,) = struct.unpack_from(">i", response)
        assert got == correlation_id, f"truncated body {name}: answered correlation id {got}"
        if api_key == wire.API_PRODUCE:
            partitions = wire.decode_produce_v3(response[4:])
            assert partitions and all(error != wire.NONE for error, _ in partitions.values()), (
                f"truncated produce {name} answered without an error: {partitions}")
        if api_key == wire.API_API_VERSIONS:
            (error_code,) = struct.unpack_from(">h", response, 4)  # first field of every version
            assert error_code != wire.NONE, f"truncated ApiVersions {name} answered without an error"
    seeded.assert_healthy()


def test_connection_dropped_mid_frame_leaves_the_broker_up(seeded):
    frame = wire.request_header(wire.API_PRODUCE, 3, 1) + wire.produce_v3_body(
        seeded.topic, 0, wire.record_batch([(b"k", b"half sent")]))
    with seeded.connect() as connection:
        connection.send_raw(wire.int32(len(frame)) + frame[:len(frame) // 2])
    seeded.assert_healthy()


# --- ApiVersions answers even a version it does not know (KIP-511) ---------------------

def test_api_versions_v99_gets_unsupported_version_with_the_api_versions_range(seeded):
    with seeded.connect() as connection:
        correlation_id = connection.send_request(wire.API_API_VERSIONS, 99,
                                                 wire.api_versions_v3_body(), flexible_header=True)
        body = connection.read_response(correlation_id)
        assert body == struct.pack(">hihhh", wire.UNSUPPORTED_VERSION, 1, 18, 0, 4), body.hex()
        # librdkafka retries on the same connection with a version from that range.
        correlation_id = connection.send_request(wire.API_API_VERSIONS, 3,
                                                 wire.api_versions_v3_body(), flexible_header=True)
        error_code, apis = wire.decode_api_versions_v3(connection.read_response(correlation_id))
        assert error_code == wire.NONE
        assert 18 in apis
    seeded.assert_healthy()


def test_api_versions_advertises_the_served_ranges(seeded):
    with seeded.connect() as connection:
        answers = {0: wire.api_versions_v0(connection)}
        correlation_id = connection.send_request(wire.API_API_VERSIONS, 3,
                                                 wire.api_versions_v3_body(), flexible_header=True)
        answers[3] = wire.decode_api_versions_v3(connection.read_response(correlation_id))
    for version, (error_code, apis) in answers.items():
        assert error_code == wire.NONE, f"ApiVersions v{version}: error {error_code}"
        for api_key, served in SERVED_API_VERSIONS.items():
            assert apis.get(api_key) == served, (
                f"ApiVersions v{version}: key {api_key} advertised {apis.get(api_key)}, "
                f"expected {served}")


# --- bad data inside well-formed requests: answered with error codes ------------------

def test_record_batch_with_wrong_crc_is_rejected_with_corrupt_message(seeded):
    batch = wire.record_batch([(b"k", b"corrupted")], corrupt_crc=True)
    with seeded.connect() as connection:
        result = wire.produce_v3(connection, seeded.topic, 0, batch)
        assert result[(seeded.topic, 0)][0] == wire.CORRUPT_MESSAGE, result
        # The connection stays usable after an error answer.
        error_code, _ = wire.api_versions_v0(connection)
        assert error_code == wire.NONE
    seeded.assert_healthy()


def test_record_batch_with_bit_flip_in_a_value_is_rejected(seeded):
    batch = bytearray(wire.record_batch([(b"k", b"a value that will be flipped")]))
    batch[-5] ^= 0x01  # inside the value; the CRC no longer matches
    with seeded.connect() as connection:
        result = wire.produce_v3(connection, seeded.topic, 0, bytes(batch))
    assert result[(seeded.topic, 0)][0] == wire.CORRUPT_MESSAGE, result
    seeded.assert_healthy()


def test_record_batch_claiming_more_records_than_it_holds_is_rejected(seeded):
    batch = bytearray(wire.record_batch([(b"k1", b"one"), (b"k2", b"two")]))
    # Record count is the last int32 before the records (offset 57 in a magic-2 batch);
    # recompute the CRC so only the count is wrong.
    struct.pack_into(">i", batch, 57, 5)
    struct.pack_into(">I", batch, 17, wire.crc32c(bytes(batch[21:])))
    with seeded.connect() as connection:
        result = wire.produce_v3(connection, seeded.topic, 0, bytes(batch))
    # Kafka reports a batch whose contents disagree with its header as CORRUPT_MESSAGE
    # (2) or INVALID_RECORD (87); either way nothing may be stored.
    assert result[(seeded.topic, 0)][0] in (wire.CORRUPT_MESSAGE, 87), result
    seeded.assert_healthy()


def test_produce_to_a_partition_the_topic_does_not_have_gets_unknown_topic_or_partition(seeded):
    with seeded.connect() as connection:
        result = wire.produce_v3(connection, seeded.topic, 7, wire.record_batch([(b"k", b"v")]))
        assert result[(seeded.topic, 7)][0] == wire.UNKNOWN_TOPIC_OR_PARTITION, result
        fetched = wire.fetch_v4(connection, seeded.topic, 7, 0)
        assert fetched["error_code"] == wire.UNKNOWN_TOPIC_OR_PARTITION, fetched
    seeded.assert_healthy()


def test_fetch_past_the_end_gets_offset_out_of_range(seeded):
    with seeded.connect() as connection:
        fetched = wire.fetch_v4(connection, seeded.topic, 0, 1000)
    assert fetched["error_code"] == 1, fetched  # OFFSET_OUT_OF_RANGE
    seeded.assert_healthy()


# --- awkward but valid framing ---------------------------------------------------------

def test_request_sent_one_byte_at_a_time_is_answered(seeded):
    frame = wire.request_header(wire.API_API_VERSIONS, 0, 42)
    data = wire.int32(len(frame)) + frame
    with seeded.connect() as connection:
        for byte in data:
            connection.send_raw(bytes([byte]))
            time.sleep(0.005)
        error_code, apis = wire.decode_api_versions_v0(connection.read_response(42))
    assert error_code == wire.NONE and 18 in apis
    seeded.assert_healthy()


def test_pipelined_requests_are_answered_in_order(seeded):
    with seeded.connect() as connection:
        payload = b""
        expected = []
        for correlation_id in range(100, 130):
            if correlation_id % 3 == 0:
                request = wire.request_header(wire.API_METADATA, 1, correlation_id) + \
                    wire.metadata_v1_body([seeded.topic])
            elif correlation_id % 3 == 1:
                request = wire.request_header(wire.API_FETCH, 4, correlation_id) + \
                    wire.fetch_v4_body(seeded.topic, 0, correlation_id % 3)
            else:
                request = wire.request_header(wire.API_API_VERSIONS, 0, correlation_id)
            payload += wire.int32(len(request)) + request
            expected.append(correlation_id)
        connection.send_raw(payload)  # all in one write
        got = [struct.unpack(">i", connection.read_frame()[:4])[0] for _ in expected]
    assert got == expected
    seeded.assert_healthy()


def test_fetch_long_poll_waits_for_max_wait_ms_then_answers_empty(seeded):
    with seeded.connect() as connection:
        started = time.monotonic()
        fetched = wire.fetch_v4(connection, seeded.topic, 0, 3, max_wait_ms=1000, min_bytes=1)
        waited = time.monotonic() - started
    assert fetched["error_code"] == wire.NONE and not fetched["records"], fetched
    assert 0.8 <= waited < 5.0, f"long poll answered after {waited:.2f} s, max_wait_ms was 1000"


def test_fetch_long_poll_returns_early_when_a_record_arrives(seeded):
    with seeded.connect() as waiting, seeded.connect() as producing:
        correlation_id = waiting.send_request(
            wire.API_FETCH, 4, wire.fetch_v4_body(seeded.topic, 0, 3, max_wait_ms=10000, min_bytes=1))
        readable, _, _ = select.select([waiting.sock], [], [], 0.5)
        assert not readable, "the fetch was answered before any record arrived (no long poll)"
        started = time.monotonic()
        result = wire.produce_v3(producing, seeded.topic, 0, wire.record_batch([(b"late", b"arrival")]))
        assert result[(seeded.topic, 0)] == (wire.NONE, 3), result
        body = waiting.read_response(correlation_id, timeout=12)
        waited = time.monotonic() - started
    fetched = wire.decode_fetch_v4(body)[(seeded.topic, 0)]
    records = wire.decode_record_batches(fetched["records"])
    assert [(r["offset"], r["key"]) for r in records] == [(3, b"late")]
    assert waited < 5.0, f"the waiting fetch answered {waited:.2f} s after the produce"
    seeded.assert_healthy(extra_records=[(b"late", b"arrival")])


def test_many_idle_connections_do_not_block_new_ones(seeded_without_rate_limit):
    seeded = seeded_without_rate_limit
    idle = []
    try:
        for _ in range(50):
            idle.append(socket.create_connection(("127.0.0.1", seeded.broker.port), timeout=5))
        seeded.assert_healthy()
    finally:
        for sock in idle:
            sock.close()
