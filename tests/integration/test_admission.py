"""Admission control at accept time: per-IP caps, the per-IP rate limit and its ban, and
the broker-wide MAX_CONNECTIONS, with clients on distinct loopback source addresses
(127.0.0.2, 127.0.0.3, ...: all of 127/8 reaches the broker on 127.0.0.1).

A refused connection is accepted by the kernel and then reset by the broker before it
reads anything; an admitted one answers ApiVersions.
"""
import concurrent.futures
import socket
import time

import kafka_wire as wire
from support import wait_until

CONNECT_TIMEOUT = 5.0


def connect_from(source_ip, broker):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT)
    try:
        sock.bind((source_ip, 0))
        sock.connect(("127.0.0.1", broker.port))
    except OSError:
        sock.close()
        raise
    connection = wire.Connection.__new__(wire.Connection)
    connection.timeout = CONNECT_TIMEOUT
    connection.sock = sock
    connection.next_correlation_id = 1
    return connection


def admitted(connection):
    """True when the broker answers ApiVersions on this connection, False when it closed it."""
    try:
        error_code, _ = wire.api_versions_v0(connection)
    except (wire.ConnectionClosed, ConnectionResetError, BrokenPipeError):
        return False
    assert error_code == wire.NONE
    return True


class Refused:
    """Stands in for a connection reset before connect() returned."""

    def close(self):
        pass


def open_from(source_ip, broker):
    """Connects from `source_ip`; returns (connection, admitted)."""
    try:
        connection = connect_from(source_ip, broker)
    except ConnectionResetError:
        return Refused(), False
    return connection, admitted(connection)


def probe(source_ip, broker):
    """Whether a connection from `source_ip` is admitted now; it is closed again."""
    connection, ok = open_from(source_ip, broker)
    connection.close()
    return ok


def refusals(broker, reason):
    return broker.log_text().count(f'reason="{reason}"')


def test_connection_past_the_per_ip_cap_is_refused_while_another_address_connects(broker_factory):
    broker = broker_factory(MAX_CONNECTIONS_PER_IP=5, CONNECTION_RATE_LIMIT=0, WEIR_LOG_LEVEL="debug")
    kept = []
    try:
        for _ in range(5):
            connection, ok = open_from("127.0.0.2", broker)
            kept.append(connection)
            assert ok, "a connection within MAX_CONNECTIONS_PER_IP was refused"
        assert not probe("127.0.0.2", broker), "the 6th connection from 127.0.0.2 was admitted with MAX_CONNECTIONS_PER_IP=5"
        other, ok = open_from("127.0.0.3", broker)
        kept.append(other)
        assert ok, "127.0.0.3 was refused while only 127.0.0.2 was at its cap"
        assert refusals(broker, "MAX_CONNECTIONS_PER_IP reached") == 1

        # Closing one gives its slot back.
        kept.pop(0).close()
        wait_until(lambda: probe("127.0.0.2", broker), timeout=10,
                   what="127.0.0.2 admitted again after one of its connections closed")
    finally:
        for connection in kept:
            connection.close()
    broker.assert_running()


def test_an_address_connecting_too_fast_is_banned_and_let_in_after_the_ban(broker_factory):
    ban_secs = 3
    broker = broker_factory(CONNECTION_RATE_LIMIT=5, RATE_LIMIT_BAN_SECS=ban_secs, WEIR_LOG_LEVEL="debug")
    results = [probe("127.0.0.4", broker) for _ in range(10)]
    banned_at = time.monotonic()
    # The bucket holds 5 connections; the first attempt that finds it empty starts the
    # ban (normally the 6th; later if the machine is slow enough for the bucket to
    # refill meanwhile), and every attempt after it is refused.
    assert results[:5] == [True] * 5, results
    first_refused = results.index(False) if False in results else len(results)
    assert first_refused < len(results), results
    assert not any(results[first_refused:]), results
    assert refusals(broker, "CONNECTION_RATE_LIMIT exceeded, address banned") == 1
    assert refusals(broker, "address banned for exceeding CONNECTION_RATE_LIMIT") == len(results) - first_refused - 1

    assert probe("127.0.0.5", broker), "another address was refused during 127.0.0.4's ban"

    time.sleep(1.0)
    assert not probe("127.0.0.4", broker), "127.0.0.4 was let in during its ban"

    time.sleep(max(0.0, banned_at + ban_secs + 0.5 - time.monotonic()))
    assert probe("127.0.0.4", broker), "127.0.0.4 still refused after RATE_LIMIT_BAN_SECS"
    broker.assert_running()


def test_the_default_limits_admit_a_host_starting_a_dozen_real_clients_at_once(broker_factory):
    """Each librdkafka consumer opens a bootstrap, a broker and a coordinator connection:
    the built-in CONNECTION_RATE_LIMIT must not ban an application host that starts a
    dozen of them together (it did at its first default of 10 per second)."""
    from confluent_kafka import Consumer, Producer

    broker = broker_factory(CONNECTION_RATE_LIMIT=None, RATE_LIMIT_BAN_SECS=None)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce("burst", b"x")
    assert producer.flush(20) == 0
    consumers = [Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"burst-{i}",
                           "auto.offset.reset": "earliest"}) for i in range(12)]
    try:
        for consumer in consumers:
            consumer.subscribe(["burst"])
        received = [None] * len(consumers)
        deadline = time.monotonic() + 60
        while None in received and time.monotonic() < deadline:
            for i, consumer in enumerate(consumers):
                if received[i] is None:
                    message = consumer.poll(0.1)
                    if message is not None and message.error() is None:
                        received[i] = message.value()
        assert received == [b"x"] * len(consumers)
    finally:
        for consumer in consumers:
            consumer.close()
    assert refusals(broker, "CONNECTION_RATE_LIMIT exceeded, address banned") == 0
    broker.assert_running()


def test_max_connections_holds_under_a_flood_of_twice_as_many(broker_factory):
    limit = 40
    broker = broker_factory(MAX_CONNECTIONS=limit, MAX_CONNECTIONS_PER_IP=1000, CONNECTION_RATE_LIMIT=0,
                            WEIR_LOG_LEVEL="debug")
    # The harness's readiness probe has closed; let the broker notice before counting.
    time.sleep(0.5)
    sources = [f"127.0.1.{n}" for n in range(1, 9)]

    def attempt(index):
        return open_from(sources[index % len(sources)], broker)

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(2 * limit)))
    try:
        admitted_count = sum(1 for _, ok in outcomes if ok)
        assert admitted_count == limit, f"{admitted_count} of {2 * limit} admitted with MAX_CONNECTIONS={limit}"
        assert refusals(broker, "MAX_CONNECTIONS reached") == limit
        # Held connections still work.
        for connection, ok in outcomes:
            if ok:
                assert admitted(connection)
    finally:
        for connection, _ in outcomes:
            connection.close()
    wait_until(lambda: probe("127.0.0.9", broker), timeout=10,
               what="a new connection admitted once the flood closed")
    broker.assert_running()
