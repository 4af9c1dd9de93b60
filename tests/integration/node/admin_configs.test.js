// kafkajs 2.2.4 admin against a running broker: describeConfigs (sources, synonyms),
// alterConfigs (valid and invalid values, validateOnly) and createPartitions. Run by
// test_kafkajs.py with the other *.test.js files in this folder.
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Kafka, ConfigResourceTypes, logLevel } = require('kafkajs');

const bootstrap = process.env.WEIR_BOOTSTRAP;
if (!bootstrap) throw new Error('WEIR_BOOTSTRAP must name a running broker (host:port)');

const kafka = new Kafka({
  clientId: 'weir-integration-admin',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 0 },
});

const TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;
const INVALID_CONFIG = 'INVALID_CONFIG';
const INVALID_PARTITIONS = 'INVALID_PARTITIONS';

function uniqueTopic(prefix) {
  return `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
}

async function withAdmin(body) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await body(admin);
  } finally {
    await admin.disconnect();
  }
}

async function describeTopic(admin, topic) {
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: true,
  });
  assert.equal(described.resources.length, 1);
  const [resource] = described.resources;
  assert.equal(resource.errorCode, 0);
  return Object.fromEntries(resource.configEntries.map((entry) => [entry.configName, entry]));
}

test('describeConfigs shows topic overrides with their source and synonyms', async () => {
  await withAdmin(async (admin) => {
    const topic = uniqueTopic('kafkajs-described');
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1,
                 configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
      timeout: 10000,
    });
    const configs = await describeTopic(admin, topic);
    assert.equal(configs['retention.ms'].configValue, '7200000');
    assert.equal(configs['retention.ms'].configSource, TOPIC_CONFIG);
    assert.equal(configs['retention.ms'].isDefault, false);
    assert.deepEqual(configs['retention.ms'].configSynonyms.map((s) => s.configName),
      ['retention.ms', 'log.retention.hours']);
    assert.equal(configs['cleanup.policy'].configValue, 'delete');
    assert.equal(configs['cleanup.policy'].configSource, DEFAULT_CONFIG);
  });
});

test('alterConfigs changes a topic config and refuses an invalid value', async () => {
  await withAdmin(async (admin) => {
    const topic = uniqueTopic('kafkajs-altered');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], timeout: 10000 });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
                    configEntries: [{ name: 'max.message.bytes', value: '500000' }] }],
    });
    let configs = await describeTopic(admin, topic);
    assert.equal(configs['max.message.bytes'].configValue, '500000');
    assert.equal(configs['max.message.bytes'].configSource, TOPIC_CONFIG);

    await assert.rejects(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
                      configEntries: [{ name: 'max.message.bytes', value: 'lots' }] }],
      }),
      (error) => error.type === INVALID_CONFIG,
    );
    await admin.alterConfigs({
      validateOnly: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
                    configEntries: [{ name: 'max.message.bytes', value: '100' }] }],
    });
    configs = await describeTopic(admin, topic);
    assert.equal(configs['max.message.bytes'].configValue, '500000');
  });
});

test('createPartitions grows a topic and refuses to shrink it', async () => {
  await withAdmin(async (admin) => {
    const topic = uniqueTopic('kafkajs-grown');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], timeout: 10000 });
    await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(metadata.topics[0].partitions.length, 5);
    await assert.rejects(
      admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }),
      (error) => error.type === INVALID_PARTITIONS,
    );
  });
});
