// kafkajs 2.2.4 against a running broker: admin createTopics, producer.send with each
// acks setting, and admin.fetchTopicOffsets. Run by test_kafkajs.py, which starts the
// broker and sets WEIR_BOOTSTRAP; by hand: WEIR_BOOTSTRAP=host:port node --test
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Kafka, CompressionTypes, Partitioners, logLevel } = require('kafkajs');

const bootstrap = process.env.WEIR_BOOTSTRAP;
if (!bootstrap) throw new Error('WEIR_BOOTSTRAP must name a running broker (host:port)');

const kafka = new Kafka({
  clientId: 'weir-integration',
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
    idempotent: false, // the broker has no InitProducerId yet
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

async function createTopic(admin, topic, numPartitions) {
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions, replicationFactor: 1 }],
    waitForLeaders: true,
    timeout: 10000,
  });
  assert.equal(created, true, `createTopics(${topic}) should report a new topic`);
}

// { partition: high watermark } from admin.fetchTopicOffsets, checking low is 0.
async function highWatermarks(admin, topic) {
  const offsets = await admin.fetchTopicOffsets(topic);
  const result = {};
  for (const { partition, high, low } of offsets) {
    assert.equal(low, '0', `partition ${partition} low offset`);
    result[partition] = Number(high);
  }
  return result;
}

function messages(partition, count, tag) {
  return Array.from({ length: count }, (_, i) => ({
    partition,
    key: `key-${i % 10}`,
    value: `${tag} ${partition}/${i}`,
    headers: { source: 'kafkajs' },
  }));
}

test('createTopics, send with acks -1, fetchTopicOffsets shows the high offsets', { timeout: 60000 }, async () => {
  await withClients(async (admin, producer) => {
    const topic = uniqueTopic('kafkajs');
    await createTopic(admin, topic, 3);
    assert.ok((await admin.listTopics()).includes(topic), 'listTopics shows the new topic');
    assert.equal(
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], timeout: 10000 }),
      false,
      'creating an existing topic again reports that it exists (TOPIC_ALREADY_EXISTS)',
    );

    // Partition 0 gets 100 records in 4 sends, partition 1 gets 250 in one, 2 stays empty.
    const baseOffsets = [];
    for (let send = 0; send < 4; send += 1) {
      const metadata = await producer.send({ topic, acks: -1, messages: messages(0, 25, `send${send}`) });
      assert.equal(metadata.length, 1);
      assert.equal(metadata[0].errorCode, 0);
      assert.equal(metadata[0].partition, 0);
      baseOffsets.push(metadata[0].baseOffset);
    }
    assert.deepEqual(baseOffsets, ['0', '25', '50', '75'], 'base offsets of consecutive sends');
    const big = await producer.send({ topic, acks: -1, messages: messages(1, 250, 'big') });
    assert.deepEqual(big.map((m) => [m.partition, m.errorCode, m.baseOffset]), [[1, 0, '0']]);

    assert.deepEqual(await highWatermarks(admin, topic), { 0: 100, 1: 250, 2: 0 });
  });
});

test('acks 1 with gzip and acks 0 records are stored', { timeout: 60000 }, async () => {
  await withClients(async (admin, producer) => {
    const topic = uniqueTopic('kafkajs-acks');
    await createTopic(admin, topic, 2);

    const gzipped = await producer.send({
      topic, acks: 1, compression: CompressionTypes.GZIP, messages: messages(0, 40, 'gzip'),
    });
    assert.deepEqual(gzipped.map((m) => [m.partition, m.errorCode, m.baseOffset]), [[0, 0, '0']]);

    // acks 0: no reply is expected, so poll the offsets until the records show up.
    await producer.send({ topic, acks: 0, messages: messages(1, 30, 'fire-and-forget') });
    const deadline = Date.now() + 10000;
    let high = await highWatermarks(admin, topic);
    while (high[1] < 30 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      high = await highWatermarks(admin, topic);
    }
    assert.deepEqual(high, { 0: 40, 1: 30 });
  });
});

test('fetchTopicOffsetsByTimestamp finds the first record at or after a time', { timeout: 60000 }, async () => {
  await withClients(async (admin, producer) => {
    const topic = uniqueTopic('kafkajs-time');
    await createTopic(admin, topic, 1);
    const early = messages(0, 10, 'early').map((m, i) => ({ ...m, timestamp: String(1600000000000 + i) }));
    const late = messages(0, 10, 'late').map((m, i) => ({ ...m, timestamp: String(1700000000000 + i) }));
    await producer.send({ topic, acks: -1, messages: early });
    await producer.send({ topic, acks: -1, messages: late });

    const at = async (timestamp) => (await admin.fetchTopicOffsetsByTimestamp(topic, timestamp))[0].offset;
    assert.equal(await at(1500000000000), '0');
    assert.equal(await at(1600000000005), '5');
    assert.equal(await at(1650000000000), '10');
    assert.equal(await at(1700000000009), '19');
  });
});
