"""Consumer groups with confluent-kafka (librdkafka 2.0.2), kcat -G and the admin client.

Members are child processes (group_member.py); see group_support.py for what each
scenario checks.
"""
import shutil

import pytest

import group_support
from group_support import Group, create_topic
from support import run_command

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
    from support import wait_until
    info = wait_until(described, timeout=30, what="the group listed Stable with 2 members")
    assert info.protocol_type == "consumer"
    assert info.protocol in ("range", "roundrobin")
    assert {m.client_id for m in info.members} == {"confluent-member"}
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
