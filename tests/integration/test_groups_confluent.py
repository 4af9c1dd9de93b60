"""Consumer groups with confluent-kafka (librdkafka 2.0.2), kcat -G and the admin client.

Members are child processes (group_member.py); see group_support.py for what each
scenario checks.
"""
import shutil
import time

import pytest

import group_support
from group_support import Group, create_topic
from support import run_command, wait_until

CLIENT = "confluent"
KCAT = shutil.which("kcat")


@pytest.fixture
def broker(broker_factory):
    return broker_factory(**group_support.BROKER_SETTINGS)


@pytest.mark.weir_timeout(120)
def test_three_members_share_six_partitions_exactly_once(broker, tmp_path):
    group_support.three_members_share_partitions(CLIENT, broker, tmp_path)


@pytest.mark.weir_timeout(150)
def test_rebalance_on_join_leave_and_sigkill_loses_nothing(broker, tmp_path):
    group_support.rebalance_join_leave_and_kill(CLIENT, broker, tmp_path)


@pytest.mark.weir_timeout(150)
def test_members_resume_from_committed_offsets_after_a_broker_restart(broker, tmp_path):
    group_support.broker_restart_resumes_from_commits(CLIENT, broker, tmp_path)


@pytest.mark.weir_timeout(120)
def test_admin_lists_and_describes_the_group_with_members_and_assignments(broker, tmp_path):
    from confluent_kafka.admin import AdminClient
    group = Group(CLIENT, broker, tmp_path, "admin")
    members = [group.start_member() for _ in range(2)]
    group.wait_assigned(members)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})

    def described():
        found = [g for g in admin.list_groups(timeout=10) if g.id == group.group]
        return found[0] if found and found[0].state == "Stable" and len(found[0].members) == 2 else None
    info = wait_until(described, timeout=30, what="the group listed Stable with 2 members")
    assert info.protocol_type == "consumer"
    assert info.protocol in ("range", "roundrobin")
    assert {m.client_id for m in info.members} == {"confluent-member"}
    assert {m.client_host for m in info.members} == {"/127.0.0.1"}
    # Each assignment (ConsumerProtocolAssignment) names the topic: both members got some.
    assert all(group.topic.encode() in m.assignment for m in info.members)
    group.stop_all()
    info = [g for g in admin.list_groups(timeout=10) if g.id == group.group][0]
    assert info.state == "Empty" and not info.members


@pytest.mark.weir_timeout(90)
def test_kcat_consumes_as_a_group_and_a_second_run_starts_after_the_commits(broker, tmp_path):
    if KCAT is None:
        pytest.skip("kcat is not installed")
    topic = "kcat-group-topic"
    create_topic(broker.bootstrap, topic, partitions=3)
    lines = b"".join(b"line %d\n" % i for i in range(1000))
    run_command([KCAT, "-b", broker.bootstrap, "-P", "-t", topic], input_bytes=lines, timeout=30)
    consume = [KCAT, "-b", broker.bootstrap, "-G", "kcat-group", "-e", "-q",
               "-X", "auto.offset.reset=earliest", "-X", "enable.auto.commit=true", "-X", "auto.commit.interval.ms=100", topic]
    first = run_command(consume, timeout=60)
    assert first.returncode == 0, first.stderr.decode(errors="replace")
    assert sorted(first.stdout.splitlines()) == sorted(lines.splitlines())
    second = run_command(consume, timeout=60)
    assert second.returncode == 0, second.stderr.decode(errors="replace")
    assert second.stdout == b"", "the second run should start at the committed offsets"


@pytest.mark.weir_timeout(120)
def test_cooperative_sticky_rebalances_incrementally_and_processes_every_record(broker, tmp_path):
    """KIP-429 over the classic APIs while records flow: the joiner first gets nothing
    while the first member revokes, then its share; after the first member leaves, it owns
    all six. Nothing is lost, and a record is processed twice only when its commit raced a
    rebalance and was refused (as Kafka refuses it).

    The members take records with Consumer.poll(): librdkafka 2.0.2's batch API
    (Consumer.consume()) skips the records it had queued for a partition that an
    incremental rebalance pauses and resumes, fixed in librdkafka 2.1.0 (docs/groups.md).
    """
    group = Group(CLIENT, broker, tmp_path, "cooperative")
    settings = {"ASSIGNMENT_STRATEGY": "cooperative-sticky", "CONSUME_API": "poll"}
    first = group.start_member(**settings)
    group.wait_assigned([first])
    producing = group.produce_in_background(30_000, pace_seconds=8)
    time.sleep(2)
    second = group.start_member(**settings)
    wait_until(lambda: any(a != "A " and a != "A" for a in second.assignments()), timeout=60,
               what="the joiner owning partitions")
    first_owns = first.assignments()[-1]
    assert first_owns not in ("A 0,1,2,3,4,5", "A", "A "), first.assignments()
    assert first.process.poll() is None
    time.sleep(2)
    first.stop()
    wait_until(lambda: second.assignments()[-1] == "A 0,1,2,3,4,5", timeout=60,
               what=f"the remaining member owning all partitions ({second.assignments()})")
    producing.join()
    group.wait_all_processed(timeout=60)
    group.stop_all()
    group.assert_each_once_unless_its_commit_failed()


@pytest.mark.weir_timeout(120)
def test_a_static_member_restarting_within_its_session_keeps_its_partitions_without_a_rebalance(broker, tmp_path):
    group = Group(CLIENT, broker, tmp_path, "static")
    # `steady` joins first and so leads: a restarting leader must rebalance for clients
    # before JoinGroup v9 (KIP-814), a restarting follower need not.
    steady = group.start_member(GROUP_INSTANCE_ID="steady")
    group.wait_assigned([steady])
    bouncing = group.start_member(GROUP_INSTANCE_ID="bouncing")
    group.wait_assigned([bouncing])
    wait_until(lambda: len(steady.assignments()) and steady.assignments()[-1] != "A 0,1,2,3,4,5"
               and len(bouncing.assignments()), timeout=30, what="both members holding partitions")
    group.produce(6_000)
    group.wait_all_processed()
    group.wait_all_committed()
    before = bouncing.assignments()[-1]
    steady_assignments = len(steady.assignments())
    bouncing.kill()
    again = group.start_member(GROUP_INSTANCE_ID="bouncing")  # same instance, new process
    group.wait_assigned([again])
    assert again.assignments()[-1] == before
    group.produce(6_000)
    group.wait_all_processed()
    assert len(steady.assignments()) == steady_assignments, "the other member was rebalanced"
    group.stop_all()
    group.assert_exactly_once()
