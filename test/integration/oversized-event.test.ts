/**
 * An event over the 2 MB limit reaches the DLQ with its reason instead of being refused at the
 * producer: the topics llmwatch creates take messages up to 8 MB (max.message.bytes), against the
 * real broker (issue 11).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Codec, JSON_CONTENT_TYPE } from '../../shared/codec.js'
import { LIMITS } from '../../shared/contract.js'
import { TOPIC_MAX_MESSAGE_BYTES, type KafkaHandle } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { defaultScorerConfig } from '../../services/scorer/scorer-config.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { startScorer } from '../../services/scorer/service.js'
import { testKafka, uniqueName, waitFor } from '../helpers.js'

const codec = Codec.load()
let kafka: KafkaHandle
beforeAll(() => {
  kafka = testKafka()
})
afterAll(async () => {
  await kafka.close()
})

describe('oversized events', () => {
  it('a 5 MB JSON event is accepted by the broker and dead-lettered by the scorer with the size in its reason', async () => {
    const t = { in: uniqueName('big-in'), out: uniqueName('big-out'), dlq: uniqueName('big-dlq') }
    // No config in the specs: the topics get the project's default max.message.bytes.
    await kafka.ensureTopics([{ name: t.in, partitions: 1 }, { name: t.out, partitions: 1 }, { name: t.dlq, partitions: 1 }])
    const [small, big] = generateEvents(2, 11)
    const bigValue = codec.encodeJson({ ...big!, response_text: 'x'.repeat(5 * 1024 * 1024) })
    expect(bigValue.length).toBeGreaterThan(5 * 1024 * 1024)
    expect(bigValue.length).toBeLessThan(TOPIC_MAX_MESSAGE_BYTES)
    const producer = await kafka.producer()
    try {
      // The broker's default (1 MB) would refuse this send with MESSAGE_TOO_LARGE.
      await producer.send(t.in, [
        { key: 'big', value: bigValue, headers: { 'content-type': JSON_CONTENT_TYPE } },
        { key: 'small', value: codec.encode('LlmInteraction', small!) },
      ])
      // Above the topic limit the broker still refuses: the limit is the topic's, not unlimited.
      await expect(producer.send(t.in, [{ key: 'huge', value: Buffer.alloc(TOPIC_MAX_MESSAGE_BYTES + 1024, 0x7b) }])).rejects.toThrow(/too large|larger than/i)
    } finally {
      await producer.disconnect()
    }

    const svc = await startScorer({
      kafka, codec, logger: silentLogger, scorers: SCORERS, config: defaultScorerConfig(SCORERS),
      groupId: uniqueName('g'), inputTopic: t.in, outputTopic: t.out, dlqTopic: t.dlq, exactlyOnce: true,
    })
    const dead: { code: string; reason: string; bytes: number; key: string }[] = []
    const scored: string[] = []
    try {
      await waitFor(async () => {
        dead.length = 0
        await kafka.readRange({
          topic: t.dlq,
          onMessage: (m) => {
            dead.push({ code: String(m.headers['dlq.error.code']), reason: String(m.headers['dlq.reason']), bytes: m.value?.length ?? 0, key: String(m.key) })
          },
        })
        return dead.length >= 1
      }, 90_000, 'the oversized event in the DLQ')
      await waitFor(async () => {
        scored.length = 0
        await kafka.readRange({ topic: t.out, onMessage: (m) => void scored.push(String(m.key)) })
        return scored.length >= 1
      }, 60_000, 'the small event scored')
    } finally {
      await svc.stop()
    }
    expect(dead).toEqual([{ code: 'DECODE_TOO_LARGE', reason: `message is ${bigValue.length} bytes; the limit is ${LIMITS.maxEventBytes}`, bytes: bigValue.length, key: 'big' }])
    expect(scored).toHaveLength(1)
  })
})
