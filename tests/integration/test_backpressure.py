"""Per-connection backpressure: a connection stops reading while BACKPRESSURE_THRESHOLD
requests or BACKPRESSURE_THRESHOLD_BYTES of requests are queued, and resumes as they are
answered. Long-polling fetches on an empty partition (each waits max_wait_ms) keep
requests queued, so a client pipelining many of them is served a few at a time, every
answer still arrives in request order, and each pause is logged."""
import time

import kafka_wire as wire
from support import unique_topic

LONG_POLL_MS = 300


def pipeline_long_polls(broker, count, client_id="weir-integration"):
    """Sends `count` fetches at once on one connection, then reads every answer in
    order; returns the seconds from the first send to the last answer."""
    topic = unique_topic("backpressure")
    with wire.Connection.to(broker.bootstrap, timeout=60) as connection:
        wire.ensure_topic(connection, topic)
        body = wire.fetch_v4_body(topic, 0, 0, max_wait_ms=LONG_POLL_MS, min_bytes=1)
        started = time.monotonic()
        correlation_ids = list(range(1000, 1000 + count))
        connection.send_raw(b"".join(
            wire.int32(len(frame)) + frame
            for frame in (wire.request_header(wire.API_FETCH, 4, correlation_id, client_id=client_id) + body
                          for correlation_id in correlation_ids)))
        for correlation_id in correlation_ids:
            fetched = wire.decode_fetch_v4(connection.read_response(correlation_id))[(topic, 0)]
            assert fetched["error_code"] == wire.NONE, fetched
        return time.monotonic() - started


def pauses(broker):
    return broker.log_text().count('msg="connection paused reading"')


def test_reading_pauses_at_the_queued_request_threshold(broker_factory):
    broker = broker_factory(BACKPRESSURE_THRESHOLD=5, WEIR_LOG_LEVEL="debug")
    elapsed = pipeline_long_polls(broker, 30)
    # At most 5 long polls wait at a time, so 30 take at least 6 rounds.
    assert elapsed >= 6 * LONG_POLL_MS / 1000 * 0.9, f"30 long polls answered in {elapsed:.2f} s"
    assert pauses(broker) >= 5


def test_reading_pauses_at_the_queued_byte_threshold(broker_factory):
    broker = broker_factory(BACKPRESSURE_THRESHOLD_BYTES=1024, WEIR_LOG_LEVEL="debug")
    # Each request is about 560 bytes, so two fill the 1 KiB allowance.
    elapsed = pipeline_long_polls(broker, 10, client_id="c" * 480)
    assert elapsed >= 5 * LONG_POLL_MS / 1000 * 0.9, f"10 long polls answered in {elapsed:.2f} s"
    assert pauses(broker) >= 4


def test_without_backpressure_long_polls_wait_together(broker_factory):
    """The control for the two tests above: with the defaults the same pipeline is
    answered in about one long-poll time, so their slowness is the pauses."""
    broker = broker_factory()
    elapsed = pipeline_long_polls(broker, 30)
    assert elapsed < 6 * LONG_POLL_MS / 1000 * 0.9, f"30 long polls answered in {elapsed:.2f} s"
