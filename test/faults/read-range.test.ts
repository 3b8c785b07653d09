/**
 * Regression test (bug found by scenario 1, fixed in shared/kafka.ts 1a5701b): KafkaHandle.readRange
 * must finish a partition of a transactional topic whose last record up to the high watermark is a
 * transaction marker that comes in a fetch of its own (the previous fetch was full). kafkajs does not
 * call eachBatch for a fetch whose records are all control records (or aborted); before the fix
 * readRange waited for its timeout there, and a restarted alerter hung in its start-up replay
 * (ALERTER_REPLAY_TIMEOUT_MS, 1 h). The suite's own reader (readAll in harness.ts) is checked too.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { testKafka, uniqueName, waitFor } from '../helpers.js'
import { readAll } from './harness.js'

const kafka = testKafka()
afterAll(async () => {
  await kafka.close()
})

describe('reading a transactional topic to its end', () => {
  it('finishes when the commit marker comes in a fetch of its own', async () => {
    const topic = uniqueName('rr-marker')
    const source = uniqueName('rr-src')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }, { name: source, partitions: 1 }])
    const p = await kafka.producer({ transactionalId: uniqueName('rr-tx') })
    // One record larger than a fetch (1 MiB per partition): the fetch returns that batch alone, the
    // commit marker after it comes in the next fetch, with nothing else.
    const big = Buffer.alloc(1_500_000, 'x')
    const group = uniqueName('rr-g')
    // On a fresh broker the group coordinator may still be moving: retry (the transaction aborts each time).
    for (let attempt = 1; ; attempt++) {
      try {
        await p.sendWithOffsets(topic, [{ key: 'k', value: big }], { groupId: group, topic: source, partition: 0, offset: '1' })
        break
      } catch (err) {
        if (attempt >= 10) throw err
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    await p.disconnect()
    // The commit marker is written after commit() returns; the offsets the readers aim at are the
    // read-committed high watermark, so wait until it covers the record and its marker.
    await waitFor(async () => Number((await kafka.highWatermarks(topic))[0]?.high ?? 0) >= 2, 30_000, 'the transaction to be visible')

    const viaHarness: number[] = []
    await readAll(kafka, topic, (m) => void viaHarness.push(m.value?.length ?? 0), 30_000)
    expect(viaHarness.filter((n) => n === big.length)).toHaveLength(1)

    const viaRange: number[] = []
    await kafka.readRange({ topic, timeoutMs: 20_000, onMessage: (m) => void viaRange.push(m.value?.length ?? 0) })
    expect(viaRange.filter((n) => n === big.length)).toHaveLength(1)
  })
})
