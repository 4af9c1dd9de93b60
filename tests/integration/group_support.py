"""Consumer group scenarios shared by the per-client group tests.

Members run as child processes (group_member.py, or node/group_member.js for kafkajs)
that log every processed record and every successful commit, so a test can check that
each produced record was processed exactly once, or, after a SIGKILL, that the only
duplicates are records the killed member processed after its last commit.
"""
import collections
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from support import wait_until

HERE = pathlib.Path(__file__).resolve().parent
NODE = shutil.which("node")
PARTITIONS = 6
SESSION_TIMEOUT_MS = 6000
# Members start together: one rebalance rather than one per member. Every client here
# connects from 127.0.0.1, several connections each: no per-address connection rate limit.
BROKER_SETTINGS = {"GROUP_INITIAL_REBALANCE_DELAY_MS": 1000, "CONNECTION_RATE_LIMIT": 0}

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def create_topic(bootstrap, topic, partitions=PARTITIONS):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    futures[topic].result(timeout=30)


class Member:
    """One member process and its log."""

    def __init__(self, client, bootstrap, topic, group, log_path, env=None):
        self.log_path = pathlib.Path(log_path)
        self.log_path.touch()
        if client == "kafkajs":
            command = [NODE, str(HERE / "node" / "group_member.js")]
        else:
            command = [sys.executable, str(HERE / "group_member.py"), client]
        command += [bootstrap, topic, group, str(self.log_path), str(SESSION_TIMEOUT_MS)]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=open(self.log_path.with_suffix(".out"), "wb"),
                                        stderr=subprocess.STDOUT,
                                        env=dict(os.environ, **(env or {})))

    def lines(self):
        return self.log_path.read_text().splitlines()

    def assignments(self):
        return [line for line in self.lines() if line.startswith("A")]

    def processed(self):
        return [tuple(map(int, line.split()[1:])) for line in self.lines() if line.startswith("P ")]

    def last_commits(self):
        commits = {}
        for line in self.lines():
            if line.startswith("C "):
                partition, offset = map(int, line.split()[1:])
                commits[partition] = max(offset, commits.get(partition, 0))
        return commits

    def processed_without_commit(self):
        """Records of batches whose commit failed (an `E` line after the batch's `P` lines):
        the partition's next owner may process them again."""
        uncommitted, batch = set(), []
        for line in self.lines():
            if line.startswith("P "):
                batch.append(tuple(map(int, line.split()[1:])))
            elif line.startswith("E "):
                uncommitted.update(batch)
                batch = []
            elif line.startswith("C "):
                batch = []
        return uncommitted

    def stop(self, timeout=30):
        """SIGTERM: the member closes its consumer, leaving the group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"member {self.log_path.name} did not exit after SIGTERM\n{self.output()}")
        assert code == 0, f"member {self.log_path.name} exited {code}\n{self.output()}"

    def kill(self):
        self.process.kill()
        self.process.wait()

    def output(self):
        return self.log_path.with_suffix(".out").read_text(errors="replace")[-5000:]


class Group:
    """Members of one group on one topic, started and checked together."""

    def __init__(self, client, broker, tmp_path, name):
        self.client = client
        self.broker = broker
        self.tmp_path = tmp_path
        self.topic = f"{name}-topic"
        self.group = f"{name}-group"
        self.members = []
        self.produced = 0
        create_topic(broker.bootstrap, self.topic)

    def start_member(self, **env):
        member = Member(self.client, self.broker.bootstrap, self.topic, self.group,
                        self.tmp_path / f"member{len(self.members)}.log", env)
        self.members.append(member)
        return member

    def wait_assigned(self, members, timeout=60):
        """Until every given member has been assigned partitions at least once."""
        wait_until(lambda: all(m.assignments() for m in members), timeout=timeout,
                   what=f"partitions assigned to {len(members)} members")

    def produce(self, count, pace_seconds=0.0):
        """Produces `count` records round-robin over the partitions, spread over
        `pace_seconds`; returns when every record is acknowledged."""
        producer = Producer({"bootstrap.servers": self.broker.bootstrap, "linger.ms": 5})
        chunks = max(1, int(pace_seconds * 10))
        per_chunk = -(-count // chunks)
        sent = 0
        for chunk in range(chunks):
            for _ in range(min(per_chunk, count - sent)):
                producer.produce(self.topic, value=b"record %d" % (self.produced + sent),
                                 partition=(self.produced + sent) % PARTITIONS)
                sent += 1
                if sent % 10000 == 0:
                    producer.poll(0)
            producer.poll(0)
            if pace_seconds:
                time.sleep(pace_seconds / chunks)
        assert producer.flush(60) == 0, "records left unacknowledged"
        self.produced += count

    def produce_in_background(self, count, pace_seconds):
        thread = threading.Thread(target=self.produce, args=(count, pace_seconds))
        thread.start()
        return thread

    def expected(self):
        """Every (partition, offset) produced so far."""
        per_partition = collections.Counter(i % PARTITIONS for i in range(self.produced))
        return {(p, o) for p, n in per_partition.items() for o in range(n)}

    def processed_counts(self):
        counts = collections.Counter()
        for member in self.members:
            counts.update(member.processed())
        return counts

    def wait_all_processed(self, timeout=90):
        expected = self.expected()

        def done():
            for member in self.members:
                if member.process.poll() not in (None, 0, -signal.SIGKILL):
                    pytest.fail(f"member exited {member.process.returncode}\n{member.output()}")
            return expected <= set(self.processed_counts())
        wait_until(done, timeout=timeout, interval=0.5,
                   what=f"all {len(expected)} records processed "
                        f"(so far {len(set(self.processed_counts()) & expected)})")

    def wait_all_committed(self, timeout=60):
        """Until, per partition, some member's last commit reaches the partition's end."""
        ends = collections.Counter(i % PARTITIONS for i in range(self.produced))

        def done():
            committed = {}
            for member in self.members:
                for partition, offset in member.last_commits().items():
                    committed[partition] = max(offset, committed.get(partition, 0))
            return all(committed.get(p, 0) >= n for p, n in ends.items())
        wait_until(done, timeout=timeout, interval=0.2, what="commits up to the end of every partition")

    def assert_exactly_once(self):
        counts = self.processed_counts()
        missing = self.expected() - set(counts)
        twice = sorted(key for key, n in counts.items() if n > 1)
        assert not missing, f"{len(missing)} records never processed, e.g. {sorted(missing)[:5]}"
        assert not twice, f"{len(twice)} records processed more than once, e.g. {twice[:5]}"

    def assert_each_once_unless_its_commit_failed(self):
        """Nothing lost; a record processed twice was first processed in a batch whose
        commit failed (a commit racing a rebalance gets REBALANCE_IN_PROGRESS or
        ILLEGAL_GENERATION, as from Kafka), so its partition's next owner started before it."""
        counts = self.processed_counts()
        missing = self.expected() - set(counts)
        assert not missing, f"{len(missing)} records never processed, e.g. {sorted(missing)[:5]}"
        uncommitted = set().union(*(m.processed_without_commit() for m in self.members))
        unexplained = sorted(key for key, n in counts.items() if n > 1 and key not in uncommitted)
        assert not unexplained, (f"{len(unexplained)} records processed more than once although "
                                 f"their commit succeeded, e.g. {unexplained[:5]}")

    def assert_duplicates_only_after_last_commit_of(self, killed):
        """Nothing lost; a record processed twice must be one the killed member processed
        at or after its last successful commit of that partition."""
        counts = self.processed_counts()
        missing = self.expected() - set(counts)
        assert not missing, f"{len(missing)} records never processed, e.g. {sorted(missing)[:5]}"
        last_commit = killed.last_commits()
        killed_processed = set(killed.processed())
        for (partition, offset), n in counts.items():
            if n == 1:
                continue
            assert (partition, offset) in killed_processed and offset >= last_commit.get(partition, 0), (
                f"p{partition}@{offset} processed {n} times, but it is not a record the killed "
                f"member processed after its last commit ({last_commit.get(partition)})")

    def stop_all(self):
        for member in self.members:
            if member.process.poll() is None:
                member.stop()


# --- scenarios, one test each per client ----------------------------------------------

def three_members_share_partitions(client, broker, tmp_path, records=100_000):
    group = Group(client, broker, tmp_path, "share")
    members = [group.start_member() for _ in range(3)]
    group.wait_assigned(members)
    group.produce(records)
    group.wait_all_processed()
    # Each member has its own partitions: together all six, none twice.
    finals = [m.assignments()[-1][1:].strip() for m in members]
    owned = [int(p) for final in finals for p in final.split(",") if p]
    assert sorted(owned) == list(range(PARTITIONS)), f"assignments {finals}"
    group.stop_all()
    group.assert_exactly_once()


def rebalance_join_leave_and_kill(client, broker, tmp_path, records=30_000):
    group = Group(client, broker, tmp_path, "rebalance")
    leaver = group.start_member()
    victim = group.start_member()
    group.wait_assigned([leaver, victim])
    producing = group.produce_in_background(records, pace_seconds=12)
    time.sleep(3)
    joiner = group.start_member()           # joins mid-stream
    group.wait_assigned([joiner])
    time.sleep(2)
    leaver.stop()                           # leaves cleanly
    time.sleep(2)
    victim.kill()                           # its partitions move after the session timeout
    producing.join()
    group.wait_all_processed(timeout=90)
    assert victim.processed(), "the killed member processed nothing: the test proves nothing"
    group.stop_all()
    group.assert_duplicates_only_after_last_commit_of(victim)


def broker_restart_resumes_from_commits(client, broker, tmp_path, records=20_000):
    group = Group(client, broker, tmp_path, "restart")
    members = [group.start_member() for _ in range(2)]
    group.wait_assigned(members)
    group.produce(records)
    group.wait_all_processed()
    group.wait_all_committed()
    broker.restart()
    # The members carry on in the generation the broker persisted.
    group.produce(records)
    group.wait_all_processed(timeout=90)
    group.wait_all_committed()
    group.stop_all()
    # New members start from the commits, not from the beginning.
    fresh = [group.start_member() for _ in range(2)]
    group.wait_assigned(fresh)
    group.produce(records)
    group.wait_all_processed(timeout=90)
    group.stop_all()
    group.assert_exactly_once()
