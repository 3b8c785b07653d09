/**
 * `llmwatch compare` (shared/compare.ts compareInClickHouse and the CLI) against real ClickHouse
 * holding known rows, written through the sink's own writer: two prompt versions of support-bot,
 * another app and old events that the filters and the time range must leave out. Also the gate's
 * ClickHouse baseline (--baseline-where).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { compareInClickHouse, querySide, type Comparison } from '../../shared/compare.js'
import type { ScoredInteraction } from '../../shared/contract.js'
import { silentLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { scoredUnit, TABLES } from '../../services/sink/rows.js'
import { BufferedWriter, type Unit } from '../../services/sink/writer.js'
import { main as compareMain } from '../../services/gate/compare-cli.js'
import { main as gateMain } from '../../services/gate/gate-cli.js'
import { tempDir, testClickHouse, uniqueName } from '../helpers.js'
import { scored } from './sink-fixtures.js'

let client: ClickHouseClient
const NOW = Date.now()
const HOUR = 3_600_000

/**
 * support-bot, 10-40 minutes ago (`i` = 0..199 per version):
 * - v1: toxicity (response) flagged when i % 20 == 0 (10/200); pii never; latency 100 + (i % 100) ms;
 *   errors i < 2; cost $0.001 (cache hits every 10th: $0, saving $0.001).
 * - v2: toxicity flagged when i % 5 == 0 (40/200); pii flagged i == 0 (1/200); latency 300 + (i % 100) ms;
 *   errors i < 12; cost $0.002 (no cache hits).
 * kb-assistant v2: 100 events, every one toxic (must not leak into support-bot's numbers).
 * support-bot v1 and v2, 30 hours ago: 50 events each, all toxic (outside a 24 h range).
 */
function load(): Unit[] {
  const units: Unit[] = []
  const add = (e: ScoredInteraction) => units.push(scoredUnit(e, { topic: 'compare', partition: 0, offset: String(units.length) }, 'redacted'))
  const event = (app: string, version: string, time: number, o: { toxic: boolean; pii?: boolean; latency: number; error?: boolean; cost: number; cacheHit?: boolean }) => {
    const e = scored({
      app, promptVersion: version, time, latencyMs: o.latency, status: o.error === true ? 'error' : 'ok', cacheHit: o.cacheHit ?? false, costUsd: o.cost,
      scores: { toxicity: [o.toxic ? 0.9 : 0.1, o.toxic, 'response'], pii: [o.pii === true ? 1 : 0, o.pii === true, 'response'], cost: [o.cost, false, 'event'] },
    })
    // The cost scorer's entry as the scorer writes it for a cache hit: value 0, label and saving in its details.
    e.scores = e.scores.map((s) => (s.name === 'cost' && o.cacheHit === true ? { ...s, label: 'cache_hit', details: JSON.stringify({ savings_usd: 0.001 }) } : s))
    add(e)
  }
  for (let i = 0; i < 200; i++) {
    const t = NOW - 10 * 60_000 - i * 9_000
    const hit = i % 10 === 0
    event('support-bot', 'v1', t, { toxic: i % 20 === 0, latency: 100 + (i % 100), error: i < 2, cost: hit ? 0 : 0.001, cacheHit: hit })
    event('support-bot', 'v2', t - 1, { toxic: i % 5 === 0, pii: i === 0, latency: 300 + (i % 100), error: i < 12, cost: 0.002 })
  }
  for (let i = 0; i < 100; i++) event('kb-assistant', 'v2', NOW - 15 * 60_000 - i, { toxic: true, latency: 5000, cost: 0.01 })
  for (let i = 0; i < 50; i++) {
    event('support-bot', 'v1', NOW - 30 * HOUR - i, { toxic: true, latency: 9000, cost: 0.1 })
    event('support-bot', 'v2', NOW - 30 * HOUR - i, { toxic: true, latency: 9000, cost: 0.1 })
  }
  return units
}

beforeAll(async () => {
  const database = uniqueName('compare').replace(/-/g, '_')
  client = await testClickHouse(database)
  await migrate(client, { database })
  const writer = new BufferedWriter({
    client, tables: Object.values(TABLES), batchRows: 100_000, flushMs: 10, retryBudgetMs: 1_000, logger: silentLogger,
    deadLetter: async (r) => { throw new Error(`unexpected rejection: ${r[0]?.reason}`) },
  })
  await writer.write(load())
  await writer.close()
})
afterAll(async () => {
  await client?.close()
})

const row = (c: Comparison, key: string) => {
  const r = c.rows.find((x) => x.key === key)
  if (!r) throw new Error(`no row ${key} in ${c.rows.map((x) => x.key).join(', ')}`)
  return r
}

describe('compareInClickHouse', () => {
  it('by prompt version within one app: exact counts, intervals, verdicts after Holm', async () => {
    const c = await compareInClickHouse(client, { by: 'prompt_template_version', a: 'v1', b: 'v2', fromMs: NOW - 24 * HOUR, toMs: NOW, where: { app_name: 'support-bot' } })
    expect(c.a).toEqual({ label: 'prompt_template_version=v1', events: 200 })
    expect(c.b).toEqual({ label: 'prompt_template_version=v2', events: 200 })
    expect(c.correction).toBe('holm')
    const tox = row(c, 'flag_rate:toxicity:response')
    expect(tox.a).toMatchObject({ count: 10, n: 200, estimate: 0.05 })
    expect(tox.b).toMatchObject({ count: 40, n: 200, estimate: 0.2 })
    expect(tox.diff.estimate).toBeCloseTo(0.15, 12)
    expect(tox).toMatchObject({ significant: true, verdict: 'worse' })
    // 0/200 -> 1/200: no evidence.
    expect(row(c, 'flag_rate:pii:response')).toMatchObject({ verdict: 'same', a: { count: 0 }, b: { count: 1 } })
    expect(row(c, 'error_rate')).toMatchObject({ a: { count: 2 }, b: { count: 12 }, verdict: 'worse' })
    expect(row(c, 'cache_hit_rate')).toMatchObject({ a: { count: 20 }, b: { count: 0 }, verdict: 'worse' })
    // Latency 100..199 ms vs 300..399 ms (each value twice): p50 149.5 vs 349.5.
    const p50 = row(c, 'latency_p50_ms')
    expect(p50.a.estimate).toBe(149.5)
    expect(p50.b.estimate).toBe(349.5)
    expect(p50).toMatchObject({ verdict: 'worse', a: { n: 200 } })
    // Cost: v1 $0.0009 per priced event (cache hits at $0), v2 $0.002; savings $0.0001 per v1 event.
    expect(row(c, 'cost_per_event_usd').a.estimate).toBeCloseTo(0.0009, 12)
    expect(row(c, 'cost_per_event_usd').b.estimate).toBeCloseTo(0.002, 12)
    expect(row(c, 'cache_savings_per_event_usd').a.estimate).toBeCloseTo(0.0001, 12)
  })

  it('the time range and filters leave other apps and old events out; a filter on an interactions-only column works', async () => {
    const all = await querySide(client, { label: 'x', fromMs: NOW - 48 * HOUR, toMs: NOW, where: { prompt_template_version: 'v2' } })
    expect(all.events).toBe(350) // 200 + 100 kb-assistant + 50 old
    const byTemplate = await querySide(client, { label: 'x', fromMs: NOW - 24 * HOUR, toMs: NOW, where: { app_name: 'support-bot', prompt_template_version: 'v2', prompt_template_id: 'support' } })
    expect(byTemplate.events).toBe(200)
    expect(byTemplate.flags.find((f) => f.scorer === 'toxicity')).toEqual({ scorer: 'toxicity', target: 'response', scored: 200, flagged: 40 })
    const none = await querySide(client, { label: 'x', fromMs: NOW - 24 * HOUR, toMs: NOW, where: { prompt_template_id: 'no-such-template' } })
    expect(none).toMatchObject({ events: 0, flags: [], latencyMs: [] })
    await expect(querySide(client, { label: 'x', fromMs: 0, toMs: NOW, where: { 'event_id; DROP TABLE scores': 'x' } as never })).rejects.toThrow(/cannot filter on/)
  })

  it('before/after a time', async () => {
    // support-bot v1 and v2 in the last 24 h; the split after the first 100 of each (i >= 100 is older).
    const split = NOW - 10 * 60_000 - 99 * 9_000 - 500
    const c = await compareInClickHouse(client, { splitMs: split, fromMs: NOW - 24 * HOUR, toMs: NOW, where: { app_name: 'support-bot' } })
    expect(c.a.events + c.b.events).toBe(400)
    expect(c.b.events).toBe(200)
    expect(c.a.label).toBe(`before ${new Date(split).toISOString()}`)
  })
})

describe('llmwatch compare (CLI, this ClickHouse)', () => {
  const run = async (argv: string[]) => {
    let out = ''
    let err = ''
    const code = await compareMain(argv, {}, { client, now: NOW, out: (s) => void (out += s), err: (s) => void (err += s) })
    return { code, out, err }
  }
  it('a table for people', async () => {
    const r = await run(['--by', 'prompt_template_version', 'v1', 'v2', '--where', 'app_name=support-bot', '--since', '24h'])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toContain('llmwatch compare by prompt_template_version, the last 24h, where app_name=support-bot')
    expect(r.out).toMatch(/A = prompt_template_version=v1 \(200 events\), B = prompt_template_version=v2 \(200 events\); 95 % intervals, p-values with Holm's correction over \d+ metrics/)
    expect(r.out).toMatch(/^toxicity response flag rate\s+\| 5\.00% \[[\d.]+%, [\d.]+%\] 10\/200\s+\| 20\.00% \[[\d.]+%, [\d.]+%\] 40\/200\s+\| \+15\.00 pt \[\+[\d.]+ pt, \+[\d.]+ pt\]\s+\| [<\d.]+\s+\| WORSE$/m)
    expect(r.out).toMatch(/^B is significantly worse on: .*toxicity response flag rate/m)
  })
  it('--format json for machines', async () => {
    const r = await run(['--by', 'prompt_template_version', 'v1', 'v2', '--where', 'app_name=support-bot', '--format', 'json'])
    expect(r.code, r.err).toBe(0)
    const j = JSON.parse(r.out) as Comparison & { compare: string; where: Record<string, string> }
    expect(j.compare).toBe('by prompt_template_version')
    expect(j.where).toEqual({ app_name: 'support-bot' })
    expect(j.rows.find((x) => x.key === 'flag_rate:toxicity:response')).toMatchObject({ verdict: 'worse', a: { count: 10, n: 200 }, b: { count: 40, n: 200 } })
  })
  it('says so when a side has no events', async () => {
    const r = await run(['--by', 'prompt_template_version', 'v1', 'v9', '--where', 'app_name=support-bot'])
    expect(r.code).toBe(0)
    expect(r.err).toContain('note: B has no events in this range')
  })
})

describe('llmwatch gate with a ClickHouse baseline', () => {
  it('--baseline-where takes the baseline from production rows', async () => {
    const dir = tempDir('llmwatch-gate-ch-')
    const candidate = path.join(dir, 'candidate.jsonl')
    writeFileSync(candidate, generateEvents(40, 11, { apps: ['support-bot'], rates: { error: 0 } }).map((e) => JSON.stringify(e)).join('\n') + '\n')
    const gates = path.join(dir, 'gates.yaml')
    writeFileSync(gates, 'version: 1\nchecks:\n  - {name: errors not up, metric: error_rate, max_increase: 0.02, test: regression}\n  - {name: toxicity not up, metric: flag_rate, scorer: toxicity, target: response, max_increase: 0.02, test: regression}\n')
    let out = ''
    let err = ''
    const code = await gateMain([candidate, '--gates', gates, '--baseline-where', 'app_name=support-bot', '--baseline-where', 'prompt_template_version=v2', '--baseline-since', '24h'], {}, { client, now: NOW, out: (s) => void (out += s), err: (s) => void (err += s) })
    expect(code, err).toBe(0)
    expect(out).toContain('baseline ClickHouse (app_name=support-bot, prompt_template_version=v2, last 24 h): 200 events')
    expect(out).toMatch(/errors not up \| error rate not shown to increase by more than 2\.00 pt .*baseline 6\.00% \[[\d.%, ]+\] \(12\/200\)/)
    // A baseline with no rows is bad input.
    const none = await gateMain([candidate, '--gates', gates, '--baseline-where', 'app_name=nobody'], {}, { client, now: NOW, out: () => {}, err: (s) => void (err += s) })
    expect(none).toBe(2)
    expect(err).toContain('the ClickHouse baseline (app_name=nobody) has no events in the last 168 h')
  })
})
