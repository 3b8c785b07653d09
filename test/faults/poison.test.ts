/**
 * Scenario 4: 10 % poison messages mixed into llm.interactions: random bytes, truncated Avro, wrong
 * schema ids, valid Avro with invalid values (negative tokens, timestamps in 1970 and 2100),
 * oversized text (5 MB), invalid UTF-8, deeply nested attributes. Every poison message must land on
 * the DLQ once, with its original key and a reason; the valid events' books must be exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LlmInteraction } from '../../shared/contract.js'
import type { OutMessage } from '../../shared/kafka.js'
import { Rng } from '../../shared/traffic/index.js'
import { tempDir } from '../helpers.js'
import {
  assertBooks, checkBooks, violations, codec, drained, logTail, openClickHouse, produce, recordResult, serviceEnv, spawnService, startBroker, toMessage,
  workload, type Broker, type ServiceName, type ServiceProc,
} from './harness.js'

const N = Number(process.env.FAULTS_POISON_EVENTS ?? 5_000)
/** Poison is 10 % of the stream: one poison message per nine valid events. */
const P = Math.round(N / 9)
/** 5 MB messages are costly to move around: a few are enough to prove the path. */
const OVERSIZED = 2

let broker: Broker
const live = new Map<ServiceName, ServiceProc>()

beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  for (const p of live.values()) await p.kill9()
  await broker?.destroy()
})

/** Avro of `e` with the bytes of `marker` (inside a string field) replaced by invalid UTF-8 of the same length. */
function invalidUtf8(e: LlmInteraction): Buffer {
  const marker = 'QQQQQQQQ'
  const buf = codec.encode('LlmInteraction', { ...e, response_text: `${e.response_text} ${marker}` })
  const at = buf.indexOf(marker)
  Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28]).copy(buf, at)
  return buf
}

/** The poison kinds, each a builder from a valid event; the expected DLQ codes per kind. */
const KINDS: { name: string; codes: string[]; build: (e: LlmInteraction, r: Rng) => Buffer }[] = [
  { name: 'random bytes', codes: ['DECODE_UNKNOWN_FORMAT', 'DECODE_UNKNOWN_SCHEMA_ID', 'DECODE_JSON', 'DECODE_AVRO', 'DECODE_EMPTY'], build: (_e, r) => Buffer.from(Array.from({ length: r.int(1, 400) }, () => r.int(0, 255))) },
  { name: 'truncated Avro', codes: ['DECODE_AVRO'], build: (e, r) => { const b = codec.encode('LlmInteraction', e); return b.subarray(0, r.int(6, b.length - 2)) } },
  { name: 'unknown schema id', codes: ['DECODE_UNKNOWN_SCHEMA_ID'], build: (e) => { const b = codec.encode('LlmInteraction', e); b.writeInt32BE(9999, 1); return b } },
  { name: 'schema id of another record', codes: ['DECODE_SCHEMA_MISMATCH'], build: (e) => { const b = codec.encode('LlmInteraction', e); b.writeInt32BE(codec.schemaIdOf('ScoredInteraction'), 1); return b } },
  { name: 'negative tokens', codes: ['VALIDATION'], build: (e) => codec.encode('LlmInteraction', { ...e, usage_input_tokens: -5, usage_cached_input_tokens: 0 }) },
  { name: 'timestamp in 1970', codes: ['VALIDATION'], build: (e) => codec.encode('LlmInteraction', { ...e, request_start_time: 0, first_token_time: null, end_time: 1000 }) },
  { name: 'timestamp in 2100', codes: ['VALIDATION'], build: (e) => { const t = Date.UTC(2100, 0, 1); return codec.encode('LlmInteraction', { ...e, request_start_time: t, first_token_time: null, end_time: t + 500 }) } },
  { name: 'invalid UTF-8', codes: ['DECODE_INVALID_UTF8'], build: (e) => invalidUtf8(e) },
  { name: 'deeply nested attributes (JSON)', codes: ['VALIDATION', 'DECODE_JSON'], build: (e) => {
    const depth = 10_000
    const text = JSON.stringify({ ...e, attributes: '\u0001' }).replace('"\\u0001"', `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`)
    return Buffer.from(text, 'utf8')
  } },
  { name: 'too many attributes (Avro)', codes: ['VALIDATION'], build: (e) => codec.encode('LlmInteraction', { ...e, attributes: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v'])) }) },
]
// Over the 2 MB event limit, under the topics' 8 MB max.message.bytes (TOPIC_MAX_MESSAGE_BYTES): the
// broker takes it and the scorer dead-letters it. (Bigger than the topic allows, the producer is told no.)
const OVERSIZED_KIND = { name: 'oversized text (5 MB)', codes: ['DECODE_TOO_LARGE'], build: (e: LlmInteraction) => codec.encode('LlmInteraction', { ...e, response_text: 'x'.repeat(5 * 1024 * 1024) }) }

describe('scenario 4: 10 % poison messages', () => {
  it(`${N} valid events + ${P} poison messages: all poison in the DLQ with reasons, nothing else affected`, async () => {
    const started = Date.now()
    const { kafka } = broker
    const workDir = tempDir('llmwatch-faults-poison-')
    const env = serviceEnv(broker.brokers, workDir)
    const w = workload(N, 404, 2)
    const r = new Rng(404)
    const expectedCodes = new Map<string, string[]>()
    const poison: OutMessage[] = []
    for (let i = 0; i < P; i++) {
      const kind = i < OVERSIZED ? OVERSIZED_KIND : KINDS[i % KINDS.length]!
      const key = `poison-${i}`
      expectedCodes.set(key, kind.codes)
      poison.push({ key, value: kind.build(r.pick(w.events), r) })
    }
    // Interleave: one poison message after every nine valid events.
    const stream: OutMessage[] = []
    const valid = w.events.map(toMessage)
    let p = 0
    for (let i = 0; i < valid.length; i++) {
      stream.push(valid[i]!)
      if (i % 9 === 8 && p < poison.length) stream.push(poison[p++]!)
    }
    stream.push(...poison.slice(p))
    expect(stream.length).toBe(N + P)
    for (const s of ['scorer', 'sink', 'alerter'] as const) live.set(s, spawnService(s, env[s], workDir))
    // Small produce chunks: a 5 MB message stays (nearly) alone in its request.
    await produce(kafka, stream, { chunk: 50 })
    try {
      await drained(kafka, undefined, w.events.length)
    } catch (err) {
      for (const p of live.values()) console.error(`--- ${p.name} log tail\n${logTail(p)}`)
      throw err
    }
    for (const s of ['scorer', 'alerter', 'sink'] as const) expect(await live.get(s)!.stop(), s).toBe('0')
    live.clear()

    const ch = await openClickHouse(workDir)
    try {
      const books = await checkBooks(kafka, ch, w)
      console.log(`[poison] ${P} poison messages; DLQ codes ${JSON.stringify(books.dlqCodes)}; books ${JSON.stringify({ ...books, dlqRecords: undefined })}`)
      recordResult({
        scenario: '4. 10 % poison messages',
        events: books.events + P,
        lost: books.lost,
        duplicated: books.duplicated + books.topicDuplicates,
        dlq: books.dlq,
        recoveryMs: 0,
        durationMs: Date.now() - started,
        violations: violations(books, w, P),
        notes: `${P} poison of ${KINDS.length + 1} kinds (${OVERSIZED} of them 5 MB); DLQ codes ${JSON.stringify(books.dlqCodes)}`,
      })
      assertBooks(expect, books, w, P)
      // Every poison message exactly once on the DLQ, from the scorer, with a code its kind explains.
      expect(books.dlqRecords.map((d) => d.key).sort()).toEqual([...expectedCodes.keys()].sort())
      const unexplained = books.dlqRecords.filter((d) => !expectedCodes.get(d.key)?.includes(d.code))
      expect(unexplained, 'DLQ codes that do not match the poison kind').toEqual([])
      expect(books.dlqServices).toEqual({ scorer: P })
    } finally {
      await ch.close()
    }
  })
})
