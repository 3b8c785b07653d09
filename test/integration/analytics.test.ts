/**
 * Runs every SQL block of docs/ANALYTICS.md against ClickHouse holding known data (written through
 * the sink's own writer, so the materialized views fill the aggregates) and checks each answer.
 * Expected values are derived by hand from the data set described in `load()`.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { silentLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { repoPath } from '../../shared/paths.js'
import { alertUnit, scoredUnit, TABLES } from '../../services/sink/rows.js'
import { BufferedWriter, type Unit } from '../../services/sink/writer.js'
import { testClickHouse } from '../helpers.js'
import { alert, scored, type ScoredOpts } from './sink-fixtures.js'

type Row = Record<string, unknown>
let client: ClickHouseClient
const answers = new Map<string, Row[]>()

const QUERIES = [...readFileSync(repoPath('docs', 'ANALYTICS.md'), 'utf8').matchAll(/^### (Q\d+)\.[^\n]*\n+```sql\n([\s\S]*?)```/gm)].map((m) => ({ id: m[1]!, sql: m[2]! }))

/**
 * The data set (times relative to now; "prev" = 61 minutes ago, a different hour bucket):
 * - support-bot / gpt-4o-mini / production: 40 events now; latency 10,20..400 ms, TTFT latency/4;
 *   prompt v1 (i<20) and v2; cost 0.001; tokens 100/50/20 cached; errors i=0,1; cache hit every 4th.
 *   Toxicity (response) flagged i=2,3 (v1) and 20..25 (v2); PII (response) flagged i=2.
 * - kb-assistant / claude-3-5-sonnet / production, prompt r1: 10 events prev hour, 20 now; latency 1000,
 *   TTFT 200; cost 0.01; tokens 1000/100/500. Hallucination 0.2 (prev), 0.6 now with i=10..19
 *   flagged; PII flagged i=10,11,12 (their responses contain an email); toxicity 0.05.
 * - code-helper / gpt-4o / staging, no prompt version: 10 events now; latency 2000, no TTFT;
 *   cost unknown for i<4, else 0.02; tokens 200/300/0; errors i<5. Injection (prompt) flagged i=0.
 * - alerts: toxicity-rate (warning) 3 firing + 1 reminder + 1 resolved; latency-p95 (critical) 2 firing.
 */
function load(): Unit[] {
  const now = Date.now()
  const cur = now - 60_000
  const prev = now - 61 * 60_000
  const units: Unit[] = []
  const add = (o: ScoredOpts) => units.push(scoredUnit(scored(o), { topic: 'analytics', partition: 0, offset: String(units.length) }, 'redacted'))
  for (let i = 0; i < 40; i++) {
    const toxic = [2, 3, 20, 21, 22, 23, 24, 25].includes(i)
    add({
      app: 'support-bot', model: 'gpt-4o-mini', env: 'production', promptVersion: i < 20 ? 'v1' : 'v2', time: cur - i,
      latencyMs: 10 * (i + 1), costUsd: 0.001, tokens: [100, 50, 20], status: i < 2 ? 'error' : 'ok', cacheHit: i % 4 === 0,
      scores: { toxicity: [toxic ? 0.9 : 0.1, toxic, 'response'], pii: [i === 2 ? 1 : 0, i === 2, 'response'] },
    })
  }
  for (let i = 0; i < 30; i++) {
    const pii = i >= 10 && i <= 12
    add({
      app: 'kb-assistant', model: 'claude-3-5-sonnet', env: 'production', promptVersion: 'r1', time: i < 10 ? prev - i : cur - i,
      latencyMs: 1000, ttftMs: 200, costUsd: 0.01, tokens: [1000, 100, 500],
      response: pii ? 'Ask Bob directly at bob.smith@example.org for the report.' : 'According to the docs, yes.',
      scores: {
        hallucination: [i < 10 ? 0.2 : 0.6, i >= 10 && i < 20, 'response'],
        pii: [pii ? 1 : 0, pii, 'response'],
        toxicity: [0.05, false, 'response'],
      },
    })
  }
  for (let i = 0; i < 10; i++) {
    add({
      app: 'code-helper', model: 'gpt-4o', env: 'staging', promptVersion: null, time: cur - i,
      latencyMs: 2000, ttftMs: null, costUsd: i < 4 ? null : 0.02, tokens: [200, 300, 0], status: i < 5 ? 'error' : 'ok',
      scores: { toxicity: [0.1, false, 'response'], pii: [0, false, 'response'], injection: [i === 0 ? 0.95 : 0.05, i === 0, 'prompt'] },
    })
  }
  const alerts = [
    alert({ rule: 'toxicity-rate' }), alert({ rule: 'toxicity-rate' }), alert({ rule: 'toxicity-rate' }),
    alert({ rule: 'toxicity-rate', reminder: true }), alert({ rule: 'toxicity-rate', state: 'resolved' }),
    alert({ rule: 'latency-p95', severity: 'critical' }), alert({ rule: 'latency-p95', severity: 'critical' }),
  ]
  alerts.forEach((a, i) => units.push(alertUnit(a, { topic: 'analytics-alerts', partition: 0, offset: String(i) })))
  return units
}

beforeAll(async () => {
  client = await testClickHouse('analytics')
  await migrate(client, { database: 'analytics' })
  const writer = new BufferedWriter({
    client, tables: Object.values(TABLES), batchRows: 100_000, flushMs: 10, retryBudgetMs: 1_000, logger: silentLogger,
    deadLetter: async (r) => { throw new Error(`unexpected rejection: ${r[0]?.reason}`) },
  })
  await writer.write(load())
  await writer.close()
  for (const q of QUERIES) {
    const rs = await client.query({ query: q.sql, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
    answers.set(q.id, await rs.json<Row>())
  }
})
afterAll(async () => {
  await client.close()
})

const ans = (id: string): Row[] => {
  const a = answers.get(id)
  if (!a) throw new Error(`${id} is not in docs/ANALYTICS.md`)
  return a
}
const pick = (rows: Row[], ...cols: string[]) => rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c]])))

describe('docs/ANALYTICS.md queries', () => {
  it('documents at least ten questions, each checked below', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(10)
    expect(QUERIES.map((q) => q.id)).toEqual(Array.from({ length: QUERIES.length }, (_, i) => `Q${i + 1}`))
    expect(QUERIES.length).toBe(14) // a new question needs its expected answer here
  })

  it('Q1 cost per app', () => {
    expect(ans('Q1')).toEqual([
      { app_name: 'kb-assistant', events: 30, cost_usd: 0.3, unpriced_events: 0 },
      { app_name: 'code-helper', events: 10, cost_usd: 0.12, unpriced_events: 4 },
      { app_name: 'support-bot', events: 40, cost_usd: 0.04, unpriced_events: 0 },
    ])
  })

  it('Q2 p95 latency by model', () => {
    const rows = ans('Q2')
    expect(pick(rows, 'request_model', 'events')).toEqual([
      { request_model: 'gpt-4o', events: 10 },
      { request_model: 'claude-3-5-sonnet', events: 30 },
      { request_model: 'gpt-4o-mini', events: 40 },
    ])
    expect(rows[0]?.p95_latency_ms).toBe(2000)
    expect(rows[1]?.p95_latency_ms).toBe(1000)
    // 10..400 ms uniformly: the exact p95 is 380; t-digest is approximate.
    expect(Number(rows[2]?.p95_latency_ms)).toBeGreaterThanOrEqual(360)
    expect(Number(rows[2]?.p95_latency_ms)).toBeLessThanOrEqual(400)
  })

  it('Q3 toxicity rate by prompt version', () => {
    expect(ans('Q3')).toEqual([
      { app_name: 'code-helper', prompt_template_version: '', scored: 10, toxic: 0, toxicity_rate: 0 },
      { app_name: 'kb-assistant', prompt_template_version: 'r1', scored: 30, toxic: 0, toxicity_rate: 0 },
      { app_name: 'support-bot', prompt_template_version: 'v1', scored: 20, toxic: 2, toxicity_rate: 0.1 },
      { app_name: 'support-bot', prompt_template_version: 'v2', scored: 20, toxic: 6, toxicity_rate: 0.3 },
    ])
  })

  it('Q4 hallucination trend of the RAG app', () => {
    const rows = ans('Q4')
    expect(pick(rows, 'scored', 'avg_hallucination', 'flagged')).toEqual([
      { scored: 10, avg_hallucination: 0.2, flagged: 0 },
      { scored: 20, avg_hallucination: 0.6, flagged: 10 },
    ])
  })

  it('Q5 PII leaks by app', () => {
    expect(ans('Q5')).toEqual([
      { app_name: 'kb-assistant', responses_with_pii: 3, responses_checked: 30 },
      { app_name: 'support-bot', responses_with_pii: 1, responses_checked: 40 },
      { app_name: 'code-helper', responses_with_pii: 0, responses_checked: 10 },
    ])
  })

  it('Q6 SLO report', () => {
    const rows = ans('Q6')
    expect(pick(rows, 'app_name', 'request_model', 'events', 'errors', 'error_rate')).toEqual([
      { app_name: 'code-helper', request_model: 'gpt-4o', events: 10, errors: 5, error_rate: 0.5 },
      { app_name: 'support-bot', request_model: 'gpt-4o-mini', events: 40, errors: 2, error_rate: 0.05 },
      { app_name: 'kb-assistant', request_model: 'claude-3-5-sonnet', events: 30, errors: 0, error_rate: 0 },
    ])
    expect(rows[0]?.worst_daily_p99_ms).toBe(2000)
    expect(rows[2]?.worst_daily_p99_ms).toBe(1000)
  })

  it('Q7 cache hit rate', () => {
    expect(ans('Q7')).toEqual([
      { app_name: 'support-bot', events: 40, cache_hits: 10, cache_hit_rate: 0.25 },
      { app_name: 'code-helper', events: 10, cache_hits: 0, cache_hit_rate: 0 },
      { app_name: 'kb-assistant', events: 30, cache_hits: 0, cache_hit_rate: 0 },
    ])
  })

  it('Q8 most-flagged events, with redacted text', () => {
    const rows = ans('Q8')
    expect(rows).toHaveLength(10)
    const top = rows.slice(0, 4)
    expect(top.every((r) => r.flag_count === 2)).toBe(true)
    expect(top.filter((r) => r.app_name === 'kb-assistant').map((r) => r.flagged_scorers)).toEqual([
      ['hallucination', 'pii'], ['hallucination', 'pii'], ['hallucination', 'pii'],
    ])
    expect(top.find((r) => r.app_name === 'support-bot')?.flagged_scorers).toEqual(['pii', 'toxicity'])
    expect(rows.slice(4).every((r) => r.flag_count === 1)).toBe(true)
    for (const r of top.filter((x) => x.app_name === 'kb-assistant')) {
      expect(r.response_text).toBe('Ask Bob directly at [EMAIL] for the report.')
    }
  })

  it('Q9 flag rate by model and scorer', () => {
    expect(ans('Q9')).toEqual([
      { request_model: 'claude-3-5-sonnet', scorer: 'hallucination', scored: 30, flagged: 10, flag_rate: 0.333 },
      { request_model: 'gpt-4o-mini', scorer: 'toxicity', scored: 40, flagged: 8, flag_rate: 0.2 },
      { request_model: 'claude-3-5-sonnet', scorer: 'pii', scored: 30, flagged: 3, flag_rate: 0.1 },
      { request_model: 'gpt-4o', scorer: 'injection', scored: 10, flagged: 1, flag_rate: 0.1 },
      { request_model: 'gpt-4o-mini', scorer: 'pii', scored: 40, flagged: 1, flag_rate: 0.025 },
    ])
  })

  it('Q10 tokens and cost per model', () => {
    expect(ans('Q10')).toEqual([
      { request_model: 'claude-3-5-sonnet', input_tokens: 30000, output_tokens: 3000, cached_input_share: 0.5, cost_per_1k_events: 10 },
      { request_model: 'gpt-4o', input_tokens: 2000, output_tokens: 3000, cached_input_share: 0, cost_per_1k_events: 12 },
      { request_model: 'gpt-4o-mini', input_tokens: 4000, output_tokens: 2000, cached_input_share: 0.2, cost_per_1k_events: 1 },
    ])
  })

  it('Q11 alerts per rule', () => {
    expect(ans('Q11')).toEqual([
      { rule: 'toxicity-rate', severity: 'warning', fired: 3, resolved: 1 },
      { rule: 'latency-p95', severity: 'critical', fired: 2, resolved: 0 },
    ])
  })

  it('Q12 slowest prompt versions by TTFT', () => {
    const rows = ans('Q12')
    expect(pick(rows, 'app_name', 'prompt_template_version', 'events')).toEqual([
      { app_name: 'kb-assistant', prompt_template_version: 'r1', events: 30 },
      { app_name: 'support-bot', prompt_template_version: 'v2', events: 20 },
      { app_name: 'support-bot', prompt_template_version: 'v1', events: 20 },
    ])
    expect(rows[0]?.median_ttft_ms).toBe(200)
    // v2: TTFT 52.5..100 (median ~76); v1: 2.5..50 (median ~26); t-digest is approximate.
    expect(Math.abs(Number(rows[1]?.median_ttft_ms) - 76)).toBeLessThanOrEqual(4)
    expect(Math.abs(Number(rows[2]?.median_ttft_ms) - 26)).toBeLessThanOrEqual(4)
  })

  it('Q13 unpriced models', () => {
    expect(ans('Q13')).toEqual([{ request_model: 'gpt-4o', unpriced_events: 4, events: 10 }])
  })

  it('Q14 toxicity and PII from the scores map on the event rows', () => {
    expect(ans('Q14')).toEqual([
      { app_name: 'code-helper', events: 10, avg_toxicity: 0.1, pii_responses: 0 },
      { app_name: 'kb-assistant', events: 30, avg_toxicity: 0.05, pii_responses: 3 },
      { app_name: 'support-bot', events: 40, avg_toxicity: 0.26, pii_responses: 1 },
    ])
  })
})
