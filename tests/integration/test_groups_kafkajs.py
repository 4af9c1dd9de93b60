"""Consumer groups with kafkajs 2.2.4 (JoinGroup/SyncGroup v0-v5 as it negotiates,
MEMBER_ID_REQUIRED rejoin). Members are child processes (node/group_member.js); see
group_support.py for what each scenario checks. kafkajs comes from `npm ci` in node/.
"""
import pytest

import group_support

CLIENT = "kafkajs"


@pytest.fixture
def broker(broker_factory):
    if group_support.NODE is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (group_support.HERE / "node" / "node_modules" / "kafkajs").is_dir():
        pytest.skip("kafkajs is not installed: run `npm ci` in node/ (or scripts/dev deps)")
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
