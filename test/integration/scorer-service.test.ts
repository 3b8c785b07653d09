/**
 * The scorer service on the real broker: one ScoredInteraction per event, keyed by app+model and in
 * partition order, bad events dead-lettered, a crashing scorer isolated to an error entry, the
 * worker-thread pool giving the same scores as inline scoring (and dead-lettering the same poison when
 * it decodes in its workers), and exactly-once hand-off.
 */
import { PII_REDACTION, REDACTION_HEADER } from '../../shared/pii.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Codec } from '../../shared/codec.js'
import type { ScoredInteraction } from '../../shared/contract.js'
import type { KafkaHandle } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { InlineScoring, WorkerPoolScoring, type Scoring } from '../../services/scorer/pool.js'
import type { Scorer } from '../../services/scorer/scorer.js'
import { defaultScorerConfig, resolveScorerConfig } from '../../services/scorer/scorer-config.js'
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

const crashing: Scorer<Record<string, never>> = {
  name: 'crashy',
  version: '0.0.1',
  reads: ['response_text'],
  params: z.object({}).strict(),
  score: () => {
    throw new Error('boom: scorer bug')
  },
}

async function run(events: ReturnType<typeof generateEvents>, opts: { scoring?: (s: readonly Scorer<unknown>[]) => Scoring; scorers?: Scorer<unknown>[]; poison?: Buffer[]; exactlyOnce?: boolean; inPartitions?: number }) {
  const t = { in: uniqueName('sc-in'), out: uniqueName('sc-out'), dlq: uniqueName('sc-dlq') }
  await kafka.ensureTopics([{ name: t.in, partitions: opts.inPartitions ?? 2 }, { name: t.out, partitions: 3 }, { name: t.dlq, partitions: 1 }])
  const producer = await kafka.producer()
  await producer.send(t.in, [
    ...events.map((e) => ({ key: `${e.app_name}|${e.request_model}`, value: codec.encode('LlmInteraction', e) })),
    ...(opts.poison ?? []).map((value) => ({ key: 'poison', value })),
  ])
  await producer.disconnect()
  const scorers = opts.scorers ?? SCORERS
  const config = defaultScorerConfig(scorers)
  const svc = await startScorer({
    kafka, codec, logger: silentLogger, scorers, config, groupId: uniqueName('g'), inputTopic: t.in, outputTopic: t.out, dlqTopic: t.dlq,
    exactlyOnce: opts.exactlyOnce ?? true, ...(opts.scoring ? { scoring: opts.scoring(scorers) } : {}),
  })
  const out: { partition: number; key: string; value: ScoredInteraction; redaction: string; headerKeys: string[] }[] = []
  let stats = svc.stats()
  try {
    await waitFor(async () => {
      out.length = 0
      await kafka.readRange({ topic: t.out, onMessage: (m) => {
        const r = codec.decode('ScoredInteraction', m.value)
        if (r.ok) out.push({ partition: m.partition, key: m.key!.toString(), value: r.value, redaction: String(m.headers[REDACTION_HEADER] ?? ''), headerKeys: Object.keys(m.headers) })
      } })
      return out.length >= events.length
    }, 60_000, 'scores for every event')
  } finally {
    await svc.stop()
    stats = svc.stats()
  }
  const dead: string[] = []
  const deadValues: Buffer[] = []
  await kafka.readRange({ topic: t.dlq, onMessage: (m) => {
    dead.push(String(m.headers['dlq.error.code']))
    deadValues.push(m.value ?? Buffer.alloc(0))
  } })
  return { out, dead, deadValues, stats, topics: t }
}

describe('scorer service', () => {
  it('publishes one scored record per event, keyed by app, order kept, poison dead-lettered', async () => {
    const events = generateEvents(120, 5)
    const { out, dead } = await run(events, { poison: [Buffer.from('garbage'), codec.encode('LlmInteraction', { ...events[0]!, usage_input_tokens: -1 })] })
    expect(out).toHaveLength(events.length)
    expect(new Set(out.map((o) => o.value.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
    for (const o of out) {
      expect(o.key).toBe(o.value.app_name)
      // Redacted here (the default text mode), with the detector the sink would use: it skips its own pass.
      expect([o.value.text_mode, o.redaction]).toEqual(['redacted', PII_REDACTION])
      // That is the one header a score record carries (each costs kafkajs an encoder per record).
      expect(o.headerKeys).toEqual([REDACTION_HEADER])
      const names = new Set(o.value.scores.map((s) => s.name))
      for (const s of SCORERS) expect(names.has(s.name)).toBe(true)
    }
    // One app (and so each app+model) lives on one partition.
    const partOf = new Map<string, number>()
    for (const o of out) {
      expect(partOf.get(o.key) ?? o.partition).toBe(o.partition)
      partOf.set(o.key, o.partition)
    }
    // Per app+model (one input partition), scores come out in input order.
    const inputOrder = new Map(events.map((e, i) => [e.event_id, i]))
    const byKey = new Map<string, number[]>()
    for (const o of out) {
      const k = `${o.value.app_name}|${o.value.request_model}`
      byKey.set(k, [...(byKey.get(k) ?? []), inputOrder.get(o.value.event_id)!])
    }
    for (const seq of byKey.values()) expect(seq).toEqual([...seq].sort((a, b) => a - b))
    expect(dead.sort()).toEqual(['DECODE_UNKNOWN_FORMAT', 'VALIDATION'])
  })

  it('group commit: partition batches that finish during a transaction share the next one, each event exactly once', async () => {
    const events = generateEvents(600, 21)
    const { out, stats } = await run(events, { inPartitions: 6 })
    // readRange reads committed records only: aborted or duplicated transactions would show here.
    expect(out).toHaveLength(events.length)
    expect(new Set(out.map((o) => o.value.event_id)).size).toBe(events.length)
    expect(stats.scored).toBe(events.length)
    expect(stats.batches).toBeGreaterThanOrEqual(3)
    expect(stats.transactions).toBeGreaterThan(0)
    expect(stats.transactions).toBeLessThan(stats.batches)
  })

  it('isolates a crashing scorer: an error entry for it, every other scorer still scores', async () => {
    const events = generateEvents(20, 6)
    const { out } = await run(events, { scorers: [...SCORERS, crashing as Scorer<unknown>], exactlyOnce: false })
    expect(out).toHaveLength(events.length)
    for (const o of out) {
      const crash = o.value.scores.filter((s) => s.name === 'crashy')
      expect(crash).toEqual([expect.objectContaining({ status: 'error', label: expect.stringContaining('boom'), value: null })])
      expect(o.value.scores.some((s) => s.name === 'toxicity' && s.status === 'ok')).toBe(true)
    }
  })

  it('the worker-thread pool scores exactly like inline scoring', async () => {
    const events = generateEvents(80, 7)
    // A generous time budget: a GC pause or a cold JIT must not turn a result into a budget error here.
    const raw = { timeBudgetMs: 10_000 }
    const inline = await new InlineScoring(SCORERS, resolveScorerConfig(raw, SCORERS), codec, 'redacted').score(events)
    const { out } = await run(events, { scoring: () => new WorkerPoolScoring(2, raw, 'redacted') })
    const strip = (s: ScoredInteraction) => ({ ...s, scored_time: 0, scores: s.scores.map((e) => ({ ...e, details: e.name === 'latency' || e.name === 'cost' ? '' : e.details })) })
    const want = new Map(inline.map((r) => {
      const d = codec.decode('ScoredInteraction', r.value)
      if (!d.ok) throw new Error(d.reason)
      return [d.value.event_id, strip(d.value)]
    }))
    expect(out).toHaveLength(events.length)
    for (const o of out) expect(strip(o.value)).toEqual(want.get(o.value.event_id))
  })

  it('the pool decoding in its workers dead-letters the same poison with its bytes, and scores the rest', async () => {
    const events = generateEvents(60, 8)
    const poison = [Buffer.from('garbage'), codec.encode('LlmInteraction', { ...events[1]!, usage_input_tokens: -1 }), codec.encode('LlmInteraction', events[2]!).subarray(0, 30)]
    const { out, dead, deadValues } = await run(events, { poison, scoring: () => new WorkerPoolScoring(2, {}, 'redacted') })
    expect(out).toHaveLength(events.length)
    expect(new Set(out.map((o) => o.value.event_id))).toEqual(new Set(events.map((e) => e.event_id)))
    expect(dead.sort()).toEqual(['DECODE_AVRO', 'DECODE_UNKNOWN_FORMAT', 'VALIDATION'])
    expect(deadValues.map((v) => v.toString('hex')).sort()).toEqual(poison.map((v) => v.toString('hex')).sort())
  })
})
