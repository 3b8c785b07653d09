/**
 * The ceiling for this client: a plain kafkajs consumer group that reads every event of the
 * backlog and Avro-decodes it (avsc, no validation, no work), in this process. kafkajs is imported
 * directly on purpose: the raw client is what is being measured (services go through shared/kafka.ts).
 * Consumer settings match shared/kafka.ts createConsumer (1 MiB per partition fetch, 100 ms max wait).
 */
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import type { Codec } from '../../shared/codec.js'
import { TOPICS } from '../../shared/contract.js'

export interface BaselineResult {
  events: number
  /** From the group's partition assignment to the last event decoded. */
  seconds: number
  eventsPerSec: number
  joinSeconds: number
}

export async function rawConsume(opts: { brokers: string[]; codec: Codec; expected: number; concurrency: number; timeoutMs?: number }): Promise<BaselineResult> {
  // kafkajs logs retried errors (the fresh broker's group coordinator is not ready for the first
  // join); real failures reach us as rejections, so its log stays off.
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers: opts.brokers, logLevel: logLevel.NOTHING })
  const groupId = `bench-baseline-${randomUUID().slice(0, 8)}`
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 100, sessionTimeout: 30_000 })
  const type = opts.codec.typeOf('LlmInteraction')
  const started = performance.now()
  let joinedAt = 0
  let decoded = 0
  // Touch a decoded field so the decode is used (and the count is a check the records are real).
  let idChars = 0
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ||= performance.now()
  })
  try {
    await consumer.connect()
    await consumer.subscribe({ topic: TOPICS.interactions.name, fromBeginning: true })
    const done = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baseline read ${decoded} of ${opts.expected} events before the timeout`)), opts.timeoutMs ?? 300_000)
      consumer
        .run({
          partitionsConsumedConcurrently: opts.concurrency,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              if (!m.value) continue
              // Confluent framing: magic byte + 4-byte schema id, then the Avro body.
              const v = type.fromBuffer(m.value.subarray(5)) as { event_id: string }
              idChars += v.event_id.length
              decoded++
            }
            if (decoded >= opts.expected) {
              if (idChars !== decoded * 36) reject(new Error('decoded records without a 36-character event_id'))
              clearTimeout(timer)
              resolve(performance.now())
            }
          },
        })
        .catch(reject)
    })
    const end = await done
    const seconds = (end - joinedAt) / 1000
    return { events: decoded, seconds, eventsPerSec: Math.round(decoded / seconds), joinSeconds: (joinedAt - started) / 1000 }
  } finally {
    await consumer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteGroups([groupId]).catch((err: unknown) => process.stderr.write(`[bench] could not delete group ${groupId}: ${String(err)}\n`))
    await admin.disconnect()
  }
}
