"""Committed offsets expire as in Kafka (KIP-211), and go with a deleted topic.

With OFFSETS_RETENTION_MINUTES=0 and a short check interval, an offset expires at the
first check at which it is eligible: while the group has members, only offsets of topics
it does not subscribe to; once it is Empty, all of them, and the group disappears.
"""
import pytest

from group_support import create_topic
from support import wait_until

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

OFFSET_INVALID = -1001  # librdkafka's "no committed offset"


def consumer(broker, group):
    return Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False,
                     "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})


def committed(broker, group, partitions):
    """The group's committed offsets, read by a consumer that does not join it."""
    reader = consumer(broker, group)
    try:
        return {(p.topic, p.partition): p.offset for p in reader.committed(partitions, timeout=10)}
    finally:
        reader.close()


def listed_groups(broker):
    return {g.id for g in AdminClient({"bootstrap.servers": broker.bootstrap}).list_groups(timeout=10)}


@pytest.mark.weir_timeout(90)
def test_offsets_expire_by_subscription_while_live_and_all_once_the_group_is_empty(broker_factory):
    broker = broker_factory(OFFSETS_RETENTION_MINUTES=0, OFFSETS_RETENTION_CHECK_INTERVAL_MS=200,
                            GROUP_INITIAL_REBALANCE_DELAY_MS=0)
    create_topic(broker.bootstrap, "subscribed", partitions=1)
    create_topic(broker.bootstrap, "dropped", partitions=1)
    member = consumer(broker, "retained")
    member.subscribe(["subscribed"])
    wait_until(lambda: member.poll(0.2) is None and member.assignment(), timeout=30, what="the member assigned")
    member.commit(offsets=[TopicPartition("subscribed", 0, 0), TopicPartition("dropped", 0, 0)], asynchronous=False)
    both = [TopicPartition("subscribed", 0), TopicPartition("dropped", 0)]
    wait_until(lambda: committed(broker, "retained", both)[("dropped", 0)] == OFFSET_INVALID, timeout=20,
               what="the offset of the topic the live group does not subscribe to expired")
    member.poll(0.5)
    assert committed(broker, "retained", both)[("subscribed", 0)] == 0, "a subscribed topic's offset expired"
    assert "retained" in listed_groups(broker)

    member.close()  # leaves: the group is Empty, and its retention (0) is over at once
    wait_until(lambda: committed(broker, "retained", both)[("subscribed", 0)] == OFFSET_INVALID, timeout=20,
               what="the Empty group's offsets expired")
    wait_until(lambda: "retained" not in listed_groups(broker), timeout=20, what="the group gone from ListGroups")


@pytest.mark.weir_timeout(60)
def test_deleting_a_topic_removes_the_groups_offsets_of_it(broker_factory):
    broker = broker_factory()
    create_topic(broker.bootstrap, "doomed", partitions=2)
    create_topic(broker.bootstrap, "survivor", partitions=1)
    committer = consumer(broker, "deleting")
    committer.commit(offsets=[TopicPartition("doomed", 0, 5), TopicPartition("doomed", 1, 6)], asynchronous=False)
    committer.commit(offsets=[TopicPartition("survivor", 0, 7)], asynchronous=False)
    committer.close()
    committer = consumer(broker, "only-doomed")
    committer.commit(offsets=[TopicPartition("doomed", 0, 1)], asynchronous=False)
    committer.close()
    assert {"deleting", "only-doomed"} <= listed_groups(broker)

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.delete_topics(["doomed"])["doomed"].result(timeout=30)
    offsets = committed(broker, "deleting", [TopicPartition("doomed", 0), TopicPartition("doomed", 1),
                                             TopicPartition("survivor", 0)])
    assert offsets == {("doomed", 0): OFFSET_INVALID, ("doomed", 1): OFFSET_INVALID, ("survivor", 0): 7}
    groups = listed_groups(broker)
    assert "deleting" in groups and "only-doomed" not in groups, groups
