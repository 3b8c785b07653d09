/**
 * Reading a transactional topic to its end (what the alerter's start-up replay, KafkaHandle.readRange,
 * and the fault suite's books reader, readAll, do) while the partition's tail is a transaction that
 * aborts during the read: its records and marker are filtered out by kafkajs, and the read must
 * still finish with exactly the committed records.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Kafka, logLevel } from 'kafkajs'
import { brokers, testKafka, uniqueName } from '../helpers.js'
import { readAll } from './harness.js'

const kafka = testKafka()
afterAll(async () => {
  await kafka.close()
})

describe('readRange over a transactional topic', () => {
  it('finishes when the partition ends with a transaction that aborts while it reads', async () => {
    const topic = uniqueName('rr-abort')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const raw = new Kafka({ clientId: 'rr', brokers: brokers(), logLevel: logLevel.NOTHING })
    const p = raw.producer({ transactionalId: uniqueName('rr-tx'), idempotent: true, maxInFlightRequests: 1 })
    await p.connect()
    const ok = await p.transaction()
    await ok.send({ topic, messages: [{ key: 'k', value: 'committed' }] })
    await ok.commit()
    // An open transaction (as a scorer killed mid-batch leaves it): a read-committed reader stops
    // before it; when it aborts, its records and the marker are the partition's tail.
    const open = await p.transaction()
    await open.send({ topic, messages: [{ key: 'k', value: 'aborted' }] })

    const seen: string[] = []
    const harness = readAll(kafka, topic, (m) => void seen.push(m.value?.toString() ?? ''), 30_000)
    const viaRange: string[] = []
    const range = kafka.readRange({ topic, timeoutMs: 30_000, onMessage: (m) => void viaRange.push(m.value?.toString() ?? '') })
    await new Promise((r) => setTimeout(r, 3_000))
    await open.abort()
    await p.disconnect()

    await harness
    expect(seen).toEqual(['committed'])
    // readRange must do the same instead of timing out.
    await range
    expect(viaRange).toEqual(['committed'])
  })
})
