/**
 * The metrics a Prometheus user expects, scraped from real services on the test broker and chDB:
 * scorer, sink and alerter run in this process (one registry), traffic flows through them, and
 * /metrics must show consumer lag per group and partition, the event-to-score and event-to-row
 * histograms, flagged counts per scorer, target and app, every *_total typed as a counter, and every
 * metric that infra/prometheus/llmwatch-rules.yml reads, under that name and the type it assumes.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { startAlerter, type AlerterHandle } from '../../services/alerter/alerter.js'
import { validateRules } from '../../services/alerter/rules.js'
import { defaultScorerConfig } from '../../services/scorer/scorer-config.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { startScorer, type ScorerService } from '../../services/scorer/service.js'
import { startSink, type SinkHandle } from '../../services/sink/sink.js'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { Codec } from '../../shared/codec.js'
import type { KafkaHandle } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { startHttp, type HttpServer } from '../../shared/metrics.js'
import { migrate } from '../../shared/migrate.js'
import { repoPath } from '../../shared/paths.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { testClickHouse, testKafka, uniqueName, waitFor } from '../helpers.js'

const codec = Codec.load()
let kafka: KafkaHandle
let client: ClickHouseClient
let http: HttpServer
const stops: (() => Promise<void>)[] = []

beforeAll(async () => {
  kafka = testKafka()
  client = await testClickHouse('pmetrics')
  await migrate(client, { database: 'pmetrics' })
  http = await startHttp({ port: 0, health: () => ({ ok: true }) })
})
afterAll(async () => {
  for (const s of stops.reverse()) await s()
  await http.close()
  await kafka.close()
  await client.close()
})

interface Sample {
  labels: Record<string, string>
  value: number
}
interface Family {
  type: string
  samples: Map<string, Sample[]>
}

/** Parses the Prometheus text format: metric families by name, with their TYPE and samples. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const familyOf = (sample: string): Family | undefined => {
    for (const suffix of ['', '_bucket', '_sum', '_count']) {
      if (suffix && !sample.endsWith(suffix)) continue
      const f = families.get(sample.slice(0, sample.length - suffix.length))
      if (f) return f
    }
    return undefined
  }
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) {
      families.set(type[1]!, { type: type[2]!, samples: new Map() })
      continue
    }
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    const f = familyOf(m[1]!)
    if (!f) throw new Error(`sample ${m[1]} without a TYPE line`)
    const list = f.samples.get(m[1]!) ?? []
    list.push({ labels, value: Number(m[3]) })
    f.samples.set(m[1]!, list)
  }
  return families
}

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`http://127.0.0.1:${http.port}/metrics`)
  expect(res.status).toBe(200)
  return parseExposition(await res.text())
}

/** Metric names a PromQL expression reads (llmwatch_* and up), without histogram suffixes. */
function metricsRead(expr: string): string[] {
  const names = new Set<string>()
  for (const m of expr.matchAll(/\b(llmwatch_[a-z0-9_]+|up)\b/g)) names.add(m[1]!.replace(/_(bucket|sum|count)$/, ''))
  return [...names]
}

describe('pipeline metrics on real services', () => {
  let scorer: ScorerService
  let sink: SinkHandle
  let alerter: AlerterHandle
  const t = { in: uniqueName('pm-in'), scores: uniqueName('pm-scores'), alerts: uniqueName('pm-alerts'), dlq: uniqueName('pm-dlq') }
  const groups = { scorer: uniqueName('pm-scorer'), sink: uniqueName('pm-sink'), alerter: uniqueName('pm-alerter') }
  // One failed call at least: the alerter's immediate rule fires on it, publishing a JSON alert.
  const events = generateEvents(300, 42).map((e, i) => (i === 10 ? { ...e, status: 'error' as const, error_type: 'timeout' } : e))

  beforeAll(async () => {
    await kafka.ensureTopics([{ name: t.in, partitions: 2 }, { name: t.scores, partitions: 3 }, { name: t.alerts, partitions: 1 }, { name: t.dlq, partitions: 1 }])
    scorer = await startScorer({
      kafka, codec, logger: silentLogger, scorers: SCORERS, config: defaultScorerConfig(SCORERS),
      groupId: groups.scorer, inputTopic: t.in, outputTopic: t.scores, dlqTopic: t.dlq,
    })
    stops.push(() => scorer.stop())
    sink = await startSink({
      kafka, codec, logger: silentLogger, client,
      config: { groupId: groups.sink, batchRows: 500, flushMs: 100, retryBudgetMs: 5_000, textMode: 'redacted', concurrency: 3, scoresTopic: t.scores, alertsTopic: t.alerts, dlqTopic: t.dlq },
    })
    stops.push(() => sink.stop())
    alerter = await startAlerter({
      kafka, codec, logger: silentLogger,
      rules: validateRules({ rules: [{ name: 'pm-errors', kind: 'immediate', select: { status: 'error' }, annotations: { summary: '{{ app_name }}: {{ value }} failed', runbook_url: 'docs/ALERTING.md#llm-errors' } }] }),
      config: { groupId: groups.alerter, scoresTopic: t.scores, alertsTopic: t.alerts, tickMs: 200, alertsFormat: 'json' },
    })
    stops.push(() => alerter.stop())
    await alerter.ready()
    const producer = await kafka.producer()
    await producer.send(t.in, events.map((e) => ({ key: e.app_name, value: codec.encode('LlmInteraction', e) })))
    await producer.disconnect()
    // Every event scored and stored.
    await waitFor(async () => {
      const rs = await client.query({ query: 'SELECT count() AS n FROM interactions WHERE _topic = {t:String}', query_params: { t: t.scores }, format: 'JSONEachRow' })
      return Number((await rs.json<{ n: string }>())[0]?.n) === events.length
    }, 120_000, 'all events in ClickHouse')
  })

  it('exposes lag per group and partition, latency histograms, flag counters, and counters typed as counters', async () => {
    // The lag settles at 0 once every batch is committed.
    const m = await waitFor(async () => {
      const s = await scrape()
      const lag = s.get('llmwatch_consumer_lag_messages')?.samples.get('llmwatch_consumer_lag_messages') ?? []
      const mine = lag.filter((x) => [groups.scorer, groups.sink, groups.alerter].includes(x.labels['group']!))
      return mine.length >= 6 && mine.every((x) => x.value === 0) ? s : null
    }, 30_000, 'consumer lag 0 on every partition')

    const lag = m.get('llmwatch_consumer_lag_messages')!
    expect(lag.type).toBe('gauge')
    const scorerLag = lag.samples.get('llmwatch_consumer_lag_messages')!.filter((x) => x.labels['group'] === groups.scorer)
    expect(scorerLag.map((x) => x.labels['partition']).sort()).toEqual(['0', '1'])
    expect(scorerLag[0]!.labels).toMatchObject({ service: 'scorer', topic: t.in })
    const sinkLag = lag.samples.get('llmwatch_consumer_lag_messages')!.filter((x) => x.labels['group'] === groups.sink)
    expect(sinkLag.map((x) => x.labels['partition']).sort()).toEqual(['0', '1', '2'])

    for (const [name, least] of [['llmwatch_event_to_score_seconds', events.length], ['llmwatch_event_to_row_seconds', events.length]] as const) {
      const h = m.get(name)
      expect(h?.type, name).toBe('histogram')
      expect(h!.samples.get(`${name}_count`)![0]!.value).toBeGreaterThanOrEqual(least)
      // The generator's events ended a few seconds ago at most: every one lands in a finite bucket.
      const buckets = h!.samples.get(`${name}_bucket`)!
      expect(buckets.find((b) => b.labels['le'] === '+Inf')!.value).toBe(h!.samples.get(`${name}_count`)![0]!.value)
    }

    const flagged = m.get('llmwatch_scores_flagged_total')
    expect(flagged?.type).toBe('counter')
    const flags = flagged!.samples.get('llmwatch_scores_flagged_total')!
    expect(flags.length).toBeGreaterThan(0)
    for (const f of flags) expect(Object.keys(f.labels).sort()).toEqual(['app', 'scorer', 'target'])
    // What the scorer counted is what it wrote: the flagged entries of the stored scores.
    const rs = await client.query({
      query: 'SELECT scorer, target, app_name, count() AS n FROM scores WHERE _topic = {t:String} AND flagged GROUP BY scorer, target, app_name',
      query_params: { t: t.scores },
      format: 'JSONEachRow',
    })
    const stored = await rs.json<{ scorer: string; target: string; app_name: string; n: string }>()
    expect(stored.length).toBeGreaterThan(0)
    for (const row of stored) {
      const c = flags.find((f) => f.labels['scorer'] === row.scorer && f.labels['target'] === row.target && f.labels['app'] === row.app_name)
      expect(c?.value, `${row.scorer}/${row.target}/${row.app_name}`).toBeGreaterThanOrEqual(Number(row.n))
    }

    const rows = m.get('llmwatch_sink_rows_inserted_total')
    expect(rows?.type).toBe('counter')
    expect(rows!.samples.get('llmwatch_sink_rows_inserted_total')!.find((x) => x.labels['table'] === 'interactions')!.value).toBeGreaterThanOrEqual(events.length)

    for (const [name, f] of m) if (name.endsWith('_total')) expect(f.type, `${name} is a ${f.type}`).toBe('counter')
  })

  it('alerts published as JSON (ALERTER_ALERTS_FORMAT=json) reach the sink like Avro ones', async () => {
    const raw: { value: Buffer | null; contentType: string | undefined }[] = []
    await kafka.readRange({ topic: t.alerts, onMessage: (msg) => void raw.push({ value: msg.value, contentType: msg.headers['content-type']?.toString() }) })
    expect(raw.length).toBeGreaterThan(0)
    for (const r of raw) {
      expect(r.contentType).toBe('application/json')
      expect(JSON.parse(r.value!.toString('utf8'))).toMatchObject({ rule: 'pm-errors', state: 'firing', unit: 'events', runbook_url: 'docs/ALERTING.md#llm-errors' })
    }
    const stored = await waitFor(async () => {
      const rs = await client.query({ query: 'SELECT rule, state, summary FROM alerts WHERE _topic = {t:String}', query_params: { t: t.alerts }, format: 'JSONEachRow' })
      const rows = await rs.json<{ rule: string; state: string; summary: string }>()
      return rows.length === raw.length ? rows : null
    }, 30_000, 'the JSON alerts in ClickHouse')
    expect(stored[0]).toMatchObject({ rule: 'pm-errors', state: 'firing' })
    expect(stored[0]!.summary).toMatch(/: \d+ events? failed$/)
  })

  it('passes promtool check metrics (the lint of names, types and help that Prometheus ships)', async () => {
    const tool = inject('promtool')
    if ('error' in tool) throw new Error(`promtool is not available: ${tool.error}`)
    const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text()
    const res = spawnSync(tool.path, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 })
    expect(`${res.stdout}${res.stderr}`.trim()).toBe('')
    expect(res.status).toBe(0)
  })

  it('exports every metric the Prometheus rules read, with the type the rules assume', async () => {
    const m = await scrape()
    const file = parseYaml(readFileSync(repoPath('infra', 'prometheus', 'llmwatch-rules.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
    const rules = file.groups.flatMap((g) => g.rules)
    const read = new Set(rules.flatMap((r) => metricsRead(r.expr)))
    read.delete('up') // Prometheus' own
    expect(read.size).toBeGreaterThanOrEqual(8)
    for (const name of read) {
      const f = m.get(name)
      expect(f, `${name} (read by the Prometheus rules) is not exported`).toBeDefined()
      const expected = name.endsWith('_total') ? 'counter' : name.endsWith('_seconds') ? 'histogram' : 'gauge'
      expect(f!.type, name).toBe(expected)
    }
  })
})
