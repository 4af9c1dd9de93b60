// kafkajs 2.2.4: admin.deleteTopicRecords moves the low watermark that
// admin.fetchTopicOffsets reports, and admin.deleteTopics followed by createTopics gives
// an empty topic. Run by test_kafkajs.py (WEIR_BOOTSTRAP names the broker).
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Kafka, Partitioners, logLevel } = require('kafkajs');

const bootstrap = process.env.WEIR_BOOTSTRAP;
if (!bootstrap) throw new Error('WEIR_BOOTSTRAP must name a running broker (host:port)');

const kafka = new Kafka({
  clientId: 'weir-integration-deletion',
  brokers: [bootstrap],
  logLevel: logLevel.ERROR,
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 2 },
});

let topicNumber = 0;
function uniqueTopic(prefix) {
  topicNumber += 1;
  return `${prefix}-${process.pid}-${topicNumber}`;
}

async function withClients(body) {
  const admin = kafka.admin();
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await admin.connect();
  await producer.connect();
  try {
    await body(admin, producer);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}

async function createTopic(admin, topic) {
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
    timeout: 10000,
  });
  assert.equal(created, true, `createTopics(${topic}) should report a new topic`);
}

async function offsets(admin, topic) {
  const [{ low, high }] = await admin.fetchTopicOffsets(topic);
  return { low: Number(low), high: Number(high) };
}

async function send(producer, topic, count) {
  const messages = Array.from({ length: count }, (_, i) => ({ partition: 0, value: `record-${i}` }));
  await producer.send({ topic, acks: -1, messages });
}

test('deleteTopicRecords moves the low watermark; -1 deletes up to the high watermark', async () => {
  await withClients(async (admin, producer) => {
    const topic = uniqueTopic('kafkajs-delete-records');
    await createTopic(admin, topic);
    await send(producer, topic, 20);
    assert.deepEqual(await offsets(admin, topic), { low: 0, high: 20 });

    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '8' }] });
    assert.deepEqual(await offsets(admin, topic), { low: 8, high: 20 });

    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
    assert.deepEqual(await offsets(admin, topic), { low: 20, high: 20 });

    await send(producer, topic, 2);
    assert.deepEqual(await offsets(admin, topic), { low: 20, high: 22 });
  });
});

test('deleteTopicRecords above the high watermark fails with OFFSET_OUT_OF_RANGE', async () => {
  await withClients(async (admin, producer) => {
    const topic = uniqueTopic('kafkajs-delete-records-range');
    await createTopic(admin, topic);
    await send(producer, topic, 3);
    // kafkajs looks the leader up in metadata it already holds; fetchTopicOffsets loads it.
    assert.deepEqual(await offsets(admin, topic), { low: 0, high: 3 });
    await assert.rejects(
      admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '10' }] }),
      // kafkajs wraps the broker's per-partition error once its retries give up.
      (error) => (error.cause ?? error).partitions?.[0]?.error?.type === 'OFFSET_OUT_OF_RANGE',
    );
    assert.deepEqual(await offsets(admin, topic), { low: 0, high: 3 });
  });
});

test('deleteTopics then createTopics with the same name gives an empty topic', async () => {
  await withClients(async (admin, producer) => {
    const topic = uniqueTopic('kafkajs-recreate');
    await createTopic(admin, topic);
    await send(producer, topic, 5);
    await admin.deleteTopics({ topics: [topic], timeout: 10000 });
    assert.ok(!(await admin.listTopics()).includes(topic), 'the deleted topic is still listed');
    await createTopic(admin, topic);
    assert.deepEqual(await offsets(admin, topic), { low: 0, high: 0 });
  });
});
