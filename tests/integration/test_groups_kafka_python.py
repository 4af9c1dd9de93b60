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
