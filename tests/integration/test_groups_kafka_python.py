"""Consumer groups with kafka-python 2.0.2 (JoinGroup v2, SyncGroup/Heartbeat/LeaveGroup
v1, OffsetCommit v2, OffsetFetch v1, FindCoordinator v0). Members are child processes
(group_member.py); see group_support.py for what each scenario checks.
"""
import pytest

import group_support

CLIENT = "kafka-python"
pytest.importorskip("kafka")


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


@pytest.mark.weir_timeout(90)
def test_admin_lists_describes_reads_offsets_of_and_deletes_groups(broker, tmp_path):
    from kafka import KafkaAdminClient, TopicPartition
    from kafka.errors import NoError, NonEmptyGroupError
    from support import wait_until

    group = group_support.Group(CLIENT, broker, tmp_path, "admin")
    members = [group.start_member() for _ in range(2)]
    group.wait_assigned(members)
    group.produce(600)
    group.wait_all_processed()
    group.wait_all_committed()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        assert (group.group, "consumer") in admin.list_consumer_groups()

        def stable():
            [info] = admin.describe_consumer_groups([group.group])
            return info if info.state == "Stable" and len(info.members) == 2 else None
        info = wait_until(stable, timeout=30, what="the group described Stable with 2 members")
        assert info.protocol_type == "consumer"
        # Kafka reports the member's address as Java's InetAddress.toString() shows it.
        assert {(m.client_id, m.client_host) for m in info.members} == {("kafka-python-member", "/127.0.0.1")}
        assigned = sorted(p for m in info.members
                          for topic, partitions in m.member_assignment.assignment
                          for p in partitions if topic == group.topic)
        assert assigned == list(range(group_support.PARTITIONS)), info
        offsets = admin.list_consumer_group_offsets(group.group)
        assert {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == group.topic} == \
            {p: 100 for p in range(group_support.PARTITIONS)}
        refused = dict(admin.delete_consumer_groups([group.group]))
        assert refused[group.group] is NonEmptyGroupError, refused
        group.stop_all()
        results = dict(admin.delete_consumer_groups([group.group]))
        assert results[group.group] is NoError, results
        assert group.group not in [g for g, _ in admin.list_consumer_groups()]
        assert admin.list_consumer_group_offsets(group.group,
                                                 partitions=[TopicPartition(group.topic, 0)]
                                                 )[TopicPartition(group.topic, 0)].offset == -1
    finally:
        admin.close()
