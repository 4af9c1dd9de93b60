"""One consumer group member, run as a child process by the group tests.

    group_member.py CLIENT BOOTSTRAP TOPIC GROUP LOG [SESSION_TIMEOUT_MS]

CLIENT is `confluent` (confluent-kafka) or `kafka-python`. The member consumes TOPIC in
GROUP and, per batch, first appends one line per record to LOG and flushes it ("processed"),
then commits offset + 1 for each partition synchronously and appends the commits:

    P <partition> <offset>     a record was processed
    C <partition> <offset>     a commit of <offset> (the next to read) succeeded
    A <p,p,...>                partitions assigned to this member
    E <text>                   an error the member survived (e.g. a failed commit)

Flushed lines reach the kernel, so they survive a SIGKILL of this process. SIGTERM makes
the member finish its batch, close the consumer (leaving the group) and exit 0.

Environment (confluent only): GROUP_INSTANCE_ID makes the member static (KIP-345);
ASSIGNMENT_STRATEGY sets partition.assignment.strategy (e.g. cooperative-sticky);
CONSUME_API=poll takes records one at a time with Consumer.poll() (librdkafka's
rd_kafka_consumer_poll) instead of Consumer.consume() (rd_kafka_consume_batch_queue, which
in librdkafka 2.0.x can skip records of partitions paused and resumed by a rebalance; see
docs/groups.md); RDKAFKA_DEBUG sets librdkafka's `debug` contexts.
"""
import os
import signal
import sys

stopping = False


def request_stop(signum, frame):
    global stopping
    stopping = True


class Log:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)

    def write(self, lines):
        if lines:
            self.file.write("".join(line + "\n" for line in lines))
            self.file.flush()


def run_confluent(bootstrap, topic, group, log, session_ms):
    from confluent_kafka import Consumer, KafkaException, TopicPartition
    settings = {
        "bootstrap.servers": bootstrap, "group.id": group, "client.id": "confluent-member",
        "enable.auto.commit": False, "auto.offset.reset": "earliest",
        "session.timeout.ms": session_ms, "heartbeat.interval.ms": 500,
    }
    if os.environ.get("GROUP_INSTANCE_ID"):
        settings["group.instance.id"] = os.environ["GROUP_INSTANCE_ID"]
    if os.environ.get("RDKAFKA_DEBUG"):
        settings["debug"] = os.environ["RDKAFKA_DEBUG"]  # librdkafka's log, to the .out file
    if os.environ.get("ASSIGNMENT_STRATEGY"):
        settings["partition.assignment.strategy"] = os.environ["ASSIGNMENT_STRATEGY"]
    consumer = Consumer(settings)
    cooperative = settings.get("partition.assignment.strategy") == "cooperative-sticky"
    owned = set()

    # The client assigns after these callbacks; cooperative assignors hand out and take
    # back increments, so the log shows what the member owns afterwards.
    def on_assign(consumer, partitions):
        if not cooperative:
            owned.clear()
        owned.update(p.partition for p in partitions)
        log.write(["A " + ",".join(str(p) for p in sorted(owned))])

    def on_revoke(consumer, partitions):
        owned.difference_update(p.partition for p in partitions)

    pending = []

    def process_and_commit(records):
        log.write([f"P {m.partition()} {m.offset()}" for m in records])
        last = {}
        for m in records:
            last[m.partition()] = m.offset() + 1
        try:
            consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in last.items()],
                            asynchronous=False)
            log.write([f"C {p} {o}" for p, o in last.items()])
        except KafkaException as error:
            log.write([f"E commit failed: {error}"])

    def on_revoke_processing_pending(consumer, partitions):
        # Records taken before the revocation are processed and committed while this
        # member still owns their partitions, so the next owner starts after them.
        if pending:
            process_and_commit(pending[:])
            pending.clear()
        on_revoke(consumer, partitions)

    def next_records():
        if os.environ.get("CONSUME_API") != "poll":
            return [m for m in consumer.consume(num_messages=1000, timeout=0.2) if m.error() is None]
        message = consumer.poll(0.2)
        while message is not None and len(pending) < 1000:
            if message.error() is None:
                pending.append(message)
            message = consumer.poll(0)
        if message is not None and message.error() is None:
            pending.append(message)
        records = pending[:]
        pending.clear()
        return records

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke_processing_pending)
    while not stopping:
        records = next_records()
        if records:
            process_and_commit(records)
    consumer.close()


def run_kafka_python(bootstrap, topic, group, log, session_ms):
    from kafka import KafkaConsumer, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.errors import KafkaError
    from kafka.structs import OffsetAndMetadata

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            pass

        def on_partitions_assigned(self, assigned):
            log.write(["A " + ",".join(str(tp.partition) for tp in assigned)])

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, client_id="kafka-python-member",
        enable_auto_commit=False, auto_offset_reset="earliest",
        session_timeout_ms=session_ms, heartbeat_interval_ms=500)
    consumer.subscribe([topic], listener=Listener())
    while not stopping:
        batches = consumer.poll(timeout_ms=200, max_records=1000)
        if not batches:
            continue
        log.write([f"P {tp.partition} {r.offset}" for tp, records in batches.items() for r in records])
        offsets = {tp: OffsetAndMetadata(records[-1].offset + 1, "") for tp, records in batches.items()}
        try:
            consumer.commit(offsets)
            log.write([f"C {tp.partition} {o.offset}" for tp, o in offsets.items()])
        except KafkaError as error:
            log.write([f"E commit failed: {error!r}"])
    consumer.close()


def main():
    client, bootstrap, topic, group, log_path = sys.argv[1:6]
    session_ms = int(sys.argv[6]) if len(sys.argv) > 6 else 6000
    signal.signal(signal.SIGTERM, request_stop)
    log = Log(log_path)
    runner = {"confluent": run_confluent, "kafka-python": run_kafka_python}[client]
    runner(bootstrap, topic, group, log, session_ms)


if __name__ == "__main__":
    main()
