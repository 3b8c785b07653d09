/**
 * The whole pipeline on the real broker and ClickHouse (chDB): generated events and poison messages
 * in; one ScoredInteraction per valid event; every event's rows in ClickHouse with aggregates equal
 * to the raw counts; the injected incident's alert on the alerts topic and in ClickHouse; poison in
 * the DLQ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Codec } from '../../shared/codec.js'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import type { Alert, ScoredInteraction } from '../../shared/contract.js'
import type { KafkaHandle } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { startAlerter, type AlerterHandle } from '../../services/alerter/alerter.js'
import { validateRules } from '../../services/alerter/rules.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { defaultScorerConfig } from '../../services/scorer/scorer-config.js'
import { scoreKey, startScorer, type ScorerService } from '../../services/scorer/service.js'
import { startSink, type SinkHandle } from '../../services/sink/sink.js'
import { testClickHouse, testKafka, uniqueName, waitFor } from '../helpers.js'

const codec = Codec.load()
const t = { interactions: uniqueName('e2e-int'), scores: uniqueName('e2e-sc'), alerts: uniqueName('e2e-al'), dlq: uniqueName('e2e-dlq') }
let kafka: KafkaHandle
let ch: ClickHouseClient
let scorer: ScorerService
let sink: SinkHandle
let alerter: AlerterHandle
let database: string
const sinkGroup = uniqueName('sink')
const published: Alert[] = []

const num = async (sql: string): Promise<number> => {
  const r = await ch.query({ query: sql, format: 'JSONEachRow' })
  const rows = (await r.json()) as Record<string, unknown>[]
  return Number(Object.values(rows[0] ?? { n: 0 })[0])
}

beforeAll(async () => {
  kafka = testKafka()
  await kafka.ensureTopics([
    { name: t.interactions, partitions: 3 },
    { name: t.scores, partitions: 3 },
    { name: t.alerts, partitions: 1 },
    { name: t.dlq, partitions: 1 },
  ])
  database = uniqueName('e2e').replace(/-/g, '_')
  ch = await testClickHouse(database)
  await migrate(ch, { database, log: () => {} })
  scorer = await startScorer({
    kafka, codec, logger: silentLogger, scorers: SCORERS, config: defaultScorerConfig(SCORERS),
    groupId: uniqueName('scorer'), inputTopic: t.interactions, outputTopic: t.scores, dlqTopic: t.dlq, exactlyOnce: true,
  })
  sink = await startSink({
    kafka, codec, logger: silentLogger, client: ch,
    config: { groupId: sinkGroup, batchRows: 500, flushMs: 200, retryBudgetMs: 2000, textMode: 'redacted', concurrency: 3, scoresTopic: t.scores, alertsTopic: t.alerts, dlqTopic: t.dlq },
  })
  const rules = validateRules({
    rules: [
      {
        name: 'e2e-pii-leak', kind: 'immediate', severity: 'critical', select: { scorer: 'pii', target: 'response', label: 'leak' },
        group_by: ['app_name'], where: { app_name: 'support-bot' }, quiet_for: '10m', annotations: { summary: '{{ app_name }} leaked PII' },
      },
    ],
  }, 'e2e rules')
  alerter = await startAlerter({
    kafka, codec, logger: silentLogger, rules,
    config: { groupId: uniqueName('alerter'), scoresTopic: t.scores, alertsTopic: t.alerts, tickMs: 200 },
    onPublished: (as) => void published.push(...as),
  })
  await alerter.ready()
})

afterAll(async () => {
  await scorer?.stop()
  await alerter?.stop()
  await sink?.stop()
  await ch?.close()
  await kafka?.close()
})

describe('pipeline end to end', () => {
  it('scores every event once, stores rows and exact aggregates, raises the incident alert, dead-letters poison', async () => {
    const clean = generateEvents(300, 11, { apps: ['support-bot', 'kb-assistant'] })
    // One injected incident: a response that leaks a card number and an email the prompt never had.
    const leak = { ...clean[150]!, app_name: 'support-bot', response_text: 'Sure, the account holder is jane.roe@example.org and the card on file is 4111 1111 1111 1111.' }
    clean[150] = leak
    const producer = await kafka.producer()
    const poison = [Buffer.from('not an event'), Buffer.from([0, 0, 0, 0, 99, 1]), codec.encode('LlmInteraction', { ...clean[0]!, usage_output_tokens: -3 })]
    await producer.send(t.interactions, [
      ...clean.map((e, i) => ({ key: scoreKey(e), value: i % 2 ? codec.encode('LlmInteraction', e) : codec.encodeJson(e) })),
      ...poison.map((value, i) => ({ key: `poison-${i}`, value })),
    ])
    await producer.disconnect()

    // Every valid event lands in ClickHouse exactly once.
    await waitFor(async () => (await num('SELECT count() FROM interactions')) >= clean.length, 90_000, 'all interactions in ClickHouse')
    expect(await num('SELECT count() FROM interactions')).toBe(clean.length)
    expect(await num('SELECT uniqExact(event_id) FROM interactions')).toBe(clean.length)

    // One ScoredInteraction per event on the scores topic, and one scores row per entry.
    const scored: ScoredInteraction[] = []
    await kafka.readRange({ topic: t.scores, onMessage: (m) => {
      const r = codec.decode('ScoredInteraction', m.value)
      if (r.ok) scored.push(r.value)
    } })
    expect(scored.length).toBe(clean.length)
    expect(new Set(scored.map((s) => s.event_id))).toEqual(new Set(clean.map((e) => e.event_id)))
    const entries = scored.reduce((n, s) => n + s.scores.length, 0)
    await waitFor(async () => (await num('SELECT count() FROM scores')) >= entries, 30_000, 'all score rows')
    expect(await num('SELECT count() FROM scores')).toBe(entries)

    // Aggregates equal the raw counts.
    expect(await num('SELECT sum(events) FROM metrics_1m')).toBe(clean.length)
    expect(await num('SELECT sum(rows) FROM scores_1m')).toBe(entries)
    expect(await num('SELECT sum(flagged) FROM scores_1m')).toBe(await num('SELECT countIf(flagged) FROM scores'))
    const errors = clean.filter((e) => e.status === 'error').length
    expect(await num('SELECT sum(errors) FROM metrics_1m')).toBe(errors)

    // Redacted text: the leaked card number and email never reach ClickHouse.
    expect(await num("SELECT count() FROM interactions WHERE response_text LIKE '%4111 1111%' OR response_text LIKE '%jane.roe@%'")).toBe(0)

    // Exactly one firing alert for the incident, on the topic and in ClickHouse.
    await waitFor(() => published.some((a) => a.rule === 'e2e-pii-leak'), 30_000, 'the PII alert')
    const alerts: Alert[] = []
    await kafka.readRange({ topic: t.alerts, onMessage: (m) => {
      const r = codec.decode('Alert', m.value)
      if (r.ok) alerts.push(r.value)
    } })
    const firing = alerts.filter((a) => a.rule === 'e2e-pii-leak' && a.state === 'firing' && !a.reminder)
    expect(firing).toHaveLength(1)
    expect(firing[0]!.labels.app_name).toBe('support-bot')
    // Its examples are events the PII scorer marked as leaks, and our injected leak is one of those.
    const leakers = new Set(scored.filter((x) => x.scores.some((e) => e.name === 'pii' && e.label === 'leak')).map((x) => x.event_id))
    expect(leakers.has(leak.event_id)).toBe(true)
    for (const id of firing[0]!.example_event_ids) expect(leakers.has(id)).toBe(true)
    await waitFor(async () => (await num("SELECT count() FROM alerts WHERE rule = 'e2e-pii-leak' AND state = 'firing'")) === 1, 30_000, 'the alert row')

    // The sink's committed offsets reach the end of the transactional scores topic (markers included).
    await waitFor(async () => (await kafka.groupLag(sinkGroup, t.scores)) === 0, 30_000, 'sink lag 0 on the scores topic')

    // Poison went to the DLQ with reasons, nothing else did.
    const dead: string[] = []
    await kafka.readRange({ topic: t.dlq, onMessage: (m) => void dead.push(String(m.headers['dlq.error.code'])) })
    expect(dead.sort()).toEqual(['DECODE_UNKNOWN_FORMAT', 'DECODE_UNKNOWN_SCHEMA_ID', 'VALIDATION'].sort())
  })
})
