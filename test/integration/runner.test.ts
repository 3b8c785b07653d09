/**
 * The shared consumer runner against the real broker: Avro and JSON events consumed back, poison
 * messages dead-lettered with reasons while good ones keep flowing, failed handlers retried without
 * loss, graceful shutdown committing exactly what was processed.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALERTER_SKIP_FIELDS } from '../../services/alerter/alerter.js'
import { Codec } from '../../shared/codec.js'
import type { LlmInteraction, ScoredInteraction } from '../../shared/contract.js'
import type { KafkaHandle, RawMessage } from '../../shared/kafka.js'
import { headerValue } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { startConsumer, startUndecodedConsumer, type ConsumerHandle, type Rejected } from '../../shared/runner.js'
import { interaction } from '../fixtures.js'
import { testKafka, uniqueName, waitFor } from '../helpers.js'

const codec = Codec.load()
let kafka: KafkaHandle

beforeAll(async () => {
  kafka = testKafka()
})
afterAll(async () => {
  await kafka.close()
})

async function topics() {
  const input = uniqueName('in')
  const dlq = uniqueName('dlq')
  await kafka.ensureTopics([{ name: input, partitions: 3 }, { name: dlq, partitions: 1 }])
  return { input, dlq }
}

async function readAll(topic: string): Promise<RawMessage[]> {
  const out: RawMessage[] = []
  await kafka.readRange({ topic, onMessage: (m) => void out.push(m) })
  return out
}

describe('shared runner on a real broker', () => {
  it('consumes Avro and JSON events, dead-letters poison with reasons, keeps good ones flowing', async () => {
    const { input, dlq } = await topics()
    const producer = await kafka.producer()
    const good = Array.from({ length: 30 }, (_, i) => interaction({ app_name: `app-${i % 3}` }))
    const poison = [
      { value: Buffer.from([1, 2, 3, 4, 5, 6]), why: 'DECODE_UNKNOWN_FORMAT' },
      { value: codec.encode('LlmInteraction', interaction()).subarray(0, 20), why: 'DECODE_AVRO' },
      { value: codec.encode('LlmInteraction', interaction({ usage_input_tokens: -1 })), why: 'VALIDATION' },
      { value: Buffer.from('{"event_id": 12}'), why: 'VALIDATION' },
    ]
    const messages = [
      ...good.slice(0, 15).map((e) => ({ key: e.app_name, value: codec.encode('LlmInteraction', e) })),
      ...poison.map((p, i) => ({ key: `poison-${i}`, value: p.value, headers: { 'x-test': 'kept' } })),
      ...good.slice(15).map((e) => ({ key: e.app_name, value: codec.encodeJson(e), headers: { 'content-type': 'application/json' } })),
    ]
    await producer.send(input, messages)
    await producer.disconnect()

    const seen: LlmInteraction[] = []
    const consumer = await startConsumer({
      kafka, codec, logger: silentLogger, service: 'test', groupId: uniqueName('g'), topic: input, record: 'LlmInteraction', dlqTopic: dlq,
      handle: async (b) => void seen.push(...b.messages.map((m) => m.value)),
    })
    try {
      await waitFor(() => seen.length === good.length, 30_000, 'all good events')
      expect(new Set(seen.map((e) => e.event_id))).toEqual(new Set(good.map((e) => e.event_id)))
      const dead = await waitFor(async () => {
        const d = await readAll(dlq)
        return d.length === poison.length ? d : null
      }, 30_000, 'dead letters')
      const byKey = new Map(dead.map((d) => [d.key!.toString(), d]))
      poison.forEach((p, i) => {
        const d = byKey.get(`poison-${i}`)!
        expect(headerValue(d.headers, 'dlq.error.code')).toBe(p.why)
        expect(headerValue(d.headers, 'dlq.reason')!.length).toBeGreaterThan(10)
        expect(headerValue(d.headers, 'dlq.source.topic')).toBe(input)
        expect(headerValue(d.headers, 'dlq.source.offset')).toMatch(/^\d+$/)
        expect(headerValue(d.headers, 'x-test')).toBe('kept')
        expect(d.value!.equals(p.value)).toBe(true)
      })
    } finally {
      await consumer.stop()
    }
  })

  it('retries a failing handler without losing or skipping messages, then commits', async () => {
    const { input, dlq } = await topics()
    const producer = await kafka.producer()
    const events = Array.from({ length: 20 }, () => interaction())
    await producer.send(input, events.map((e) => ({ key: e.event_id, value: codec.encode('LlmInteraction', e) })))
    await producer.disconnect()
    const groupId = uniqueName('g')
    let failuresLeft = 3
    const done = new Set<string>()
    const consumer = await startConsumer({
      kafka, codec, logger: silentLogger, service: 'test', groupId, topic: input, record: 'LlmInteraction', dlqTopic: dlq,
      retry: { initialMs: 50, maxMs: 200 },
      handle: async (b) => {
        if (failuresLeft > 0) {
          failuresLeft--
          throw new Error('downstream unavailable')
        }
        for (const m of b.messages) done.add(m.value.event_id)
      },
    })
    try {
      await waitFor(() => done.size === events.length, 30_000, 'all events after retries')
      await waitFor(async () => (await kafka.groupLag(groupId, input)) === 0, 15_000, 'zero lag')
    } finally {
      await consumer.stop()
    }
  })

  it('graceful stop commits exactly what was processed; a restart resumes after it', async () => {
    const { input, dlq } = await topics()
    const producer = await kafka.producer()
    const first = Array.from({ length: 25 }, () => interaction())
    await producer.send(input, first.map((e) => ({ key: e.event_id, value: codec.encode('LlmInteraction', e) })))
    const groupId = uniqueName('g')
    const processed: string[] = []
    const start = (): Promise<ConsumerHandle> =>
      startConsumer({
        kafka, codec, logger: silentLogger, service: 'test', groupId, topic: input, record: 'LlmInteraction', dlqTopic: dlq,
        handle: async (b) => {
          await new Promise((r) => setTimeout(r, 20))
          for (const m of b.messages) processed.push(m.value.event_id)
        },
      })
    const c1 = await start()
    await waitFor(() => processed.length === first.length, 30_000, 'first wave')
    await c1.stop()
    expect(await kafka.groupLag(groupId, input)).toBe(0)
    const second = Array.from({ length: 10 }, () => interaction())
    await producer.send(input, second.map((e) => ({ key: e.event_id, value: codec.encode('LlmInteraction', e) })))
    await producer.disconnect()
    const c2 = await start()
    try {
      await waitFor(() => processed.length === first.length + second.length, 30_000, 'second wave')
      // Nothing processed twice: the restart resumed exactly after the committed offsets.
      expect(new Set(processed).size).toBe(processed.length)
      expect(new Set(processed)).toEqual(new Set([...first, ...second].map((e) => e.event_id)))
    } finally {
      await c2.stop()
    }
  })

  it('reaches zero lag behind a transactional producer (commit markers included)', async () => {
    const { input, dlq } = await topics()
    const groupId = uniqueName('g')
    const seen: string[] = []
    const consumer = await startConsumer({
      kafka, codec, logger: silentLogger, service: 'test', groupId, topic: input, record: 'LlmInteraction', dlqTopic: dlq,
      handle: async (b) => void seen.push(...b.messages.map((m) => m.value.event_id)),
    })
    const tx = await kafka.producer({ transactionalId: uniqueName('tx') })
    try {
      // Small transactions while the consumer is caught up: a marker can arrive in a fetch of its own.
      for (let i = 0; i < 15; i++) {
        const e = interaction()
        await tx.sendWithOffsets(input, [{ key: e.app_name, value: codec.encode('LlmInteraction', e) }], { groupId: uniqueName('unused'), topic: input, partition: 0, offset: '0' })
        await new Promise((r) => setTimeout(r, 150))
      }
      await waitFor(() => seen.length === 15, 30_000, 'all transactional events')
      await waitFor(async () => (await kafka.groupLag(groupId, input)) === 0, 15_000, 'zero lag past the commit markers')
    } finally {
      await tx.disconnect()
      await consumer.stop()
    }
  })

  it('undecoded mode: the handler decodes, its rejects are dead-lettered once across retries, then committed', async () => {
    const { input, dlq } = await topics()
    const producer = await kafka.producer()
    const good = Array.from({ length: 12 }, () => interaction())
    const poison = Buffer.from([9, 9, 9, 9, 9, 9])
    await producer.send(input, [
      ...good.map((e) => ({ key: e.event_id, value: codec.encode('LlmInteraction', e) })),
      { key: 'poison', value: poison, headers: { 'x-test': 'kept' } },
    ])
    await producer.disconnect()
    const groupId = uniqueName('g')
    let failuresLeft = 2
    const seen = new Set<string>()
    const consumer = await startUndecodedConsumer({
      kafka, logger: silentLogger, service: 'test', groupId, topic: input, dlqTopic: dlq, retry: { initialMs: 50, maxMs: 100 },
      handle: async (b) => {
        const rejected: Rejected[] = []
        const ok: string[] = []
        b.messages.forEach((m, index) => {
          const r = codec.decode('LlmInteraction', m.value, m.headers)
          if (r.ok) ok.push(r.value.event_id)
          else rejected.push({ index, code: r.code, reason: r.reason })
        })
        await b.deadLetter(rejected)
        // Fails after the dead letters are durable: the retry must not send them again.
        if (rejected.length > 0 && failuresLeft-- > 0) throw new Error('downstream unavailable')
        for (const id of ok) seen.add(id)
      },
    })
    try {
      await waitFor(() => seen.size === good.length, 30_000, 'all good events')
      await waitFor(async () => (await kafka.groupLag(groupId, input)) === 0, 15_000, 'zero lag')
    } finally {
      await consumer.stop()
    }
    const dead = await readAll(dlq)
    expect(dead).toHaveLength(1)
    expect(dead[0]!.value!.equals(poison)).toBe(true)
    expect(headerValue(dead[0]!.headers, 'dlq.error.code')).toBe('DECODE_UNKNOWN_FORMAT')
    expect(headerValue(dead[0]!.headers, 'x-test')).toBe('kept')
    expect(headerValue(dead[0]!.headers, 'dlq.source.topic')).toBe(input)
  })

  it('a consumer that skips fields (the alerter) still dead-letters what it cannot decode or validate, with the bytes and reason', async () => {
    const { input, dlq } = await topics()
    const producer = await kafka.producer()
    const t = Date.now()
    const scored = (over: Partial<ScoredInteraction> = {}): ScoredInteraction => ({
      event_id: randomUUID(), app_name: 'app', environment: 'production', provider_name: 'openai', operation_name: 'chat', request_model: 'm1',
      response_model: null, prompt_template_id: null, prompt_template_version: null, trace_id: null, session_id: null, user_id_hash: null,
      request_start_time: t - 400, end_time: t, scored_time: t, latency_ms: 400, ttft_ms: null, usage_input_tokens: 10, usage_output_tokens: 10,
      usage_cached_input_tokens: 0, cost_usd: 0.0001, cache_hit: false, status: 'ok', error_type: null, text_mode: 'redacted',
      prompt_text: 'the prompt [EMAIL]', response_text: 'the response',
      scores: [{ name: 'toxicity', target: 'response', version: '1', status: 'ok', value: 0.1, label: '', flagged: false, details: '{"evidence":["x"]}' }],
      ...over,
    })
    const good = Array.from({ length: 10 }, () => scored())
    const hugeCount = codec.encode('ScoredInteraction', scored())
    // The scores array's block count sits right after the last text: make it claim 2^30 entries.
    const at = hugeCount.indexOf(Buffer.from('the response')) + 'the response'.length
    const poison = [
      { value: codec.encode('ScoredInteraction', scored()).subarray(0, 60), why: 'DECODE_AVRO' },
      { value: Buffer.concat([hugeCount.subarray(0, at), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]), hugeCount.subarray(at + 1)]), why: 'DECODE_AVRO' },
      { value: codec.encode('ScoredInteraction', scored({ latency_ms: -1 })), why: 'VALIDATION' },
      { value: codec.encode('ScoredInteraction', scored({ event_id: 'not-a-uuid' })), why: 'VALIDATION' },
      { value: codec.encode('LlmInteraction', interaction()), why: 'DECODE_SCHEMA_MISMATCH' },
    ]
    await producer.send(input, [
      ...good.slice(0, 5).map((e) => ({ key: e.app_name, value: codec.encode('ScoredInteraction', e) })),
      ...poison.map((p, i) => ({ key: `poison-${i}`, value: p.value })),
      ...good.slice(5).map((e) => ({ key: e.app_name, value: codec.encode('ScoredInteraction', e) })),
    ])
    await producer.disconnect()

    const seen: ScoredInteraction[] = []
    const consumer = await startConsumer({
      kafka, codec, logger: silentLogger, service: 'test', groupId: uniqueName('g'), topic: input, record: 'ScoredInteraction', dlqTopic: dlq,
      skipFields: ALERTER_SKIP_FIELDS,
      handle: async (b) => void seen.push(...b.messages.map((m) => m.value)),
    })
    try {
      await waitFor(() => seen.length === good.length, 30_000, 'all good records')
      expect(new Set(seen.map((e) => e.event_id))).toEqual(new Set(good.map((e) => e.event_id)))
      // What the alerter reads is there; the texts and evidence it skips are at their defaults.
      expect(seen[0]).toMatchObject({ app_name: 'app', latency_ms: 400, prompt_text: null, response_text: null, scores: [{ name: 'toxicity', value: 0.1, details: '{}' }] })
      const dead = await waitFor(async () => {
        const d = await readAll(dlq)
        return d.length === poison.length ? d : null
      }, 30_000, 'dead letters')
      const byKey = new Map(dead.map((d) => [d.key!.toString(), d]))
      poison.forEach((p, i) => {
        const d = byKey.get(`poison-${i}`)!
        expect(headerValue(d.headers, 'dlq.error.code'), headerValue(d.headers, 'dlq.reason')).toBe(p.why)
        expect(headerValue(d.headers, 'dlq.reason')!.length).toBeGreaterThan(10)
        expect(d.value!.equals(p.value)).toBe(true)
      })
    } finally {
      await consumer.stop()
    }
  })
})
