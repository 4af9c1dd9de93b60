// One kafkajs consumer group member, run as a child process by test_groups_kafkajs.py.
//   node group_member.js BOOTSTRAP TOPIC GROUP LOG [SESSION_TIMEOUT_MS]
// Same log format as group_member.py: per batch, "P <partition> <offset>" for each record
// processed, then a synchronous commit of offset + 1 and "C <partition> <offset>";
// "A <partitions>" on assignment. SIGTERM disconnects (leaving the group) and exits 0.
'use strict'
const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')

const [bootstrap, topic, groupId, logPath, sessionArg] = process.argv.slice(2)
const sessionTimeout = Number(sessionArg || 6000)
const log = (lines) => { if (lines.length) fs.appendFileSync(logPath, lines.join('\n') + '\n') }

async function main () {
  const kafka = new Kafka({ clientId: 'kafkajs-member', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId, sessionTimeout, heartbeatInterval: 500, rebalanceTimeout: 10000 })
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = (payload.memberAssignment[topic] || []).join(',')
    log([`A ${partitions}`])
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let stopping = false
  process.on('SIGTERM', async () => {
    if (stopping) return
    stopping = true
    await consumer.disconnect()
    process.exit(0)
  })
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return
      log(batch.messages.map((m) => `P ${batch.partition} ${m.offset}`))
      const last = batch.messages[batch.messages.length - 1].offset
      const next = (BigInt(last) + 1n).toString()
      resolveOffset(last)
      try {
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
        log([`C ${batch.partition} ${next}`])
      } catch (error) {
        log([`E commit failed: ${error.message}`])
      }
      await heartbeat()
    }
  })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
