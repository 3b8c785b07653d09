/**
 * The sink against the real broker and chDB: end-to-end counts, full re-delivery (all commits
 * lost) leaves raw tables and aggregates exact, a ClickHouse outage pauses/retries without loss or
 * early commits, a row ClickHouse rejects goes to the DLQ while the rest goes in, undecodable records
 * go to the DLQ with the decoder's reason (the transcoder hands them to the decoding path).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { Codec } from '../../shared/codec.js'
import { type Alert, type ScoredInteraction } from '../../shared/contract.js'
import { headerValue, type KafkaHandle, type RawMessage } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { alertsGroupId, startSink, type SinkConfig, type SinkHandle } from '../../services/sink/sink.js'
import type { WriterOptions } from '../../services/sink/writer.js'
import { testClickHouse, testKafka, uniqueName, waitFor } from '../helpers.js'
import { alert, scored } from './sink-fixtures.js'
import { PII_REDACTION, REDACTION_HEADER } from '../../shared/pii.js'

const codec = Codec.load()
let kafka: KafkaHandle
let client: ClickHouseClient
const running: SinkHandle[] = []

beforeAll(async () => {
  kafka = testKafka()
  client = await testClickHouse('sinkp')
  await migrate(client, { database: 'sinkp' })
})
afterAll(async () => {
  for (const s of running) await s.stop()
  await kafka.close()
  await client.close()
})

async function num(query: string, params: Record<string, unknown>): Promise<number> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' })
  return Number((await rs.json<{ n: string | number }>())[0]?.n)
}

async function setup() {
  const t = { scores: uniqueName('scores'), alerts: uniqueName('alerts'), dlq: uniqueName('dlq') }
  await kafka.ensureTopics([{ name: t.scores, partitions: 3 }, { name: t.alerts, partitions: 2 }, { name: t.dlq, partitions: 1 }])
  return t
}

async function produce(t: { scores: string; alerts: string }, events: ScoredInteraction[], alerts: Alert[] = [], headers?: (e: ScoredInteraction) => Record<string, string>): Promise<void> {
  const p = await kafka.producer()
  await p.send(t.scores, events.map((e) => ({ key: e.event_id, value: codec.encode('ScoredInteraction', e), ...(headers ? { headers: headers(e) } : {}) })))
  if (alerts.length) await p.send(t.alerts, alerts.map((a) => ({ key: a.dedup_key, value: codec.encode('Alert', a) })))
  await p.disconnect()
}

async function sink(t: { scores: string; alerts: string; dlq: string }, over: Partial<SinkConfig> = {}, ch: WriterOptions['client'] = client): Promise<SinkHandle> {
  const s = await startSink({
    kafka, codec, logger: silentLogger, client: ch,
    config: { groupId: uniqueName('sink'), batchRows: 200, flushMs: 100, retryBudgetMs: 2_000, textMode: 'redacted', concurrency: 3, scoresTopic: t.scores, alertsTopic: t.alerts, dlqTopic: t.dlq, ...over },
  })
  running.push(s)
  return s
}

async function stop(s: SinkHandle): Promise<void> {
  await s.stop()
  running.splice(running.indexOf(s), 1)
}

const APP = { a: '' }
const counts = async (app: string) => ({
  interactions: await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app }),
  distinctEvents: await num('SELECT uniqExact(event_id) AS n FROM interactions WHERE app_name = {a:String}', { a: app }),
  scores: await num('SELECT count() AS n FROM scores WHERE app_name = {a:String}', { a: app }),
  metrics1m: await num('SELECT sum(events) AS n FROM metrics_1m WHERE app_name = {a:String}', { a: app }),
  metrics1h: await num('SELECT sum(events) AS n FROM metrics_1h WHERE app_name = {a:String}', { a: app }),
  scores1m: await num('SELECT sum(rows) AS n FROM scores_1m WHERE app_name = {a:String}', { a: app }),
  scores1h: await num('SELECT sum(rows) AS n FROM scores_1h WHERE app_name = {a:String}', { a: app }),
  cost1m: await num('SELECT round(sum(cost_usd), 6) AS n FROM metrics_1m WHERE app_name = {a:String}', { a: app }),
})

describe('sink on a real broker and chDB', () => {
  it('stores every event once; a full re-delivery (all commits lost) changes nothing in raw tables or aggregates', async () => {
    const t = await setup()
    const app = uniqueName('e2e')
    APP.a = app
    const events = Array.from({ length: 300 }, (_, i) => scored({ app, costUsd: 0.002, response: i === 7 ? 'Card 4111 1111 1111 1111, mail jane.doe@example.com' : 'fine' }))
    const rule = uniqueName('rule')
    const alerts = [alert({ rule }), alert({ rule, state: 'resolved' }), alert({ rule }), alert({ rule, state: 'resolved' })]
    await produce(t, events, alerts)

    const s1 = await sink(t, { groupId: uniqueName('g1') })
    await waitFor(async () => (await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })) === 300, 60_000, '300 interactions')
    await waitFor(async () => (await num('SELECT count() AS n FROM alerts WHERE rule = {r:String}', { r: rule })) === 4, 30_000, '4 alerts')
    await stop(s1)
    const expected = { interactions: 300, distinctEvents: 300, scores: 600, metrics1m: 300, metrics1h: 300, scores1m: 600, scores1h: 600, cost1m: 0.6 }
    expect(await counts(app)).toEqual(expected)

    // A new group reads both topics from the beginning: every message is delivered again.
    const g2 = uniqueName('g2')
    const s2 = await sink(t, { groupId: g2 })
    await waitFor(async () => (await kafka.groupLag(g2, t.scores)) === 0 && (await kafka.groupLag(alertsGroupId(g2), t.alerts)) === 0, 60_000, 'group g2 caught up')
    expect(s2.stats().skippedUnits).toBe(300 + 4) // one row per event, one per alert
    expect(s2.stats().insertedRows).toEqual({})
    await stop(s2)
    expect(await counts(app)).toEqual(expected)
    expect(await num('SELECT count() AS n FROM alerts WHERE rule = {r:String}', { r: rule })).toBe(4)

    // Privacy, end to end: the sink runs 'redacted'; the event said 'full'.
    const leaked = await num(
      `SELECT count() AS n FROM interactions WHERE app_name = {a:String} AND (response_text LIKE '%4111%' OR response_text LIKE '%jane.doe%')`, { a: app })
    expect(leaked).toBe(0)
  })

  it('drains a backlog on a single partition in full fetches, without a SINK_FLUSH_MS wait per fetch', async () => {
    const t = await setup()
    APP.a = uniqueName('one-partition')
    // ~10 MB on one partition: with a per-partition fetch cap below the fetch's min bytes, every
    // fetch would wait flushMs (5 s) for bytes no other partition brings: over 20 s in all.
    const events = Array.from({ length: 3300 }, (_, i) => scored({ app: APP.a, response: `${'lorem ipsum dolor '.repeat(170)} ${i}` }))
    const p = await kafka.producer()
    // In sends of 50, as the scorer writes them: the broker returns whole record batches only.
    for (let i = 0; i < events.length; i += 50) {
      await p.send(t.scores, events.slice(i, i + 50).map((e) => ({ key: 'one-key', partition: 1, value: codec.encode('ScoredInteraction', e) })))
    }
    await p.disconnect()
    const started = Date.now()
    await sink(t, { flushMs: 5_000, batchRows: 1_000_000 })
    await waitFor(async () => (await counts(APP.a)).interactions === events.length, 60_000, 'every event stored')
    // Start-up, one wait at the end of the backlog (less than 4 MiB left) and the inserts.
    expect(Date.now() - started).toBeLessThan(16_000)
    expect((await counts(APP.a)).distinctEvents).toBe(events.length)
  })

  it('a ClickHouse outage pauses consumption, commits nothing early, and loses nothing', async () => {
    const t = await setup()
    const app = uniqueName('outage')
    let down = true
    const refused = () => new Error('connect ECONNREFUSED 127.0.0.1:8123')
    // Real chDB calls, refused while "down" as a stopped server would refuse them.
    const flaky: WriterOptions['client'] = {
      insert: ((p: Parameters<ClickHouseClient['insert']>[0]) => (down ? Promise.reject(refused()) : client.insert(p))) as ClickHouseClient['insert'],
      query: ((p: Parameters<ClickHouseClient['query']>[0]) => (down ? Promise.reject(refused()) : client.query(p))) as ClickHouseClient['query'],
    }
    await produce(t, Array.from({ length: 200 }, () => scored({ app })))
    const group = uniqueName('g')
    const s = await sink(t, { groupId: group, retryBudgetMs: 200, retry: { initialMs: 100, maxMs: 500 } }, flaky)
    await waitFor(() => s.health().degraded, 30_000, 'sink degraded')
    const assignedDuringOutage = s.health().assigned[t.scores]
    expect(assignedDuringOutage).toEqual([0, 1, 2])
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await kafka.groupLag(group, t.scores)).toBe(200) // nothing committed while nothing is stored
    down = false
    await waitFor(async () => (await kafka.groupLag(group, t.scores)) === 0, 60_000, 'caught up after the outage')
    expect(s.health()).toMatchObject({ ok: true, degraded: false })
    expect(s.health().assigned[t.scores]).toEqual([0, 1, 2]) // no rebalance churn
    const c = await counts(app)
    expect(c).toMatchObject({ interactions: 200, distinctEvents: 200, scores: 400, metrics1m: 200, scores1m: 400 })
  })

  it('dead-letters an event ClickHouse rejects, with the reason, and stores the rest', async () => {
    const t = await setup()
    const app = uniqueName('reject')
    const events = Array.from({ length: 20 }, () => scored({ app }))
    const bad = events[11]!
    bad.end_time = bad.request_start_time - 5_000 // passes the contract, violates the table constraint
    await produce(t, events)
    const group = uniqueName('g')
    await sink(t, { groupId: group })
    await waitFor(async () => (await kafka.groupLag(group, t.scores)) === 0, 60_000, 'caught up')
    const dead: RawMessage[] = []
    await kafka.readRange({ topic: t.dlq, onMessage: (m) => void dead.push(m) })
    expect(dead).toHaveLength(1)
    expect(headerValue(dead[0]!.headers, 'dlq.error.code')).toBe('CLICKHOUSE_469')
    expect(headerValue(dead[0]!.headers, 'dlq.reason')).toContain('end_after_start')
    expect(headerValue(dead[0]!.headers, 'dlq.source.topic')).toBe(t.scores)
    expect(JSON.parse(dead[0]!.value!.toString('utf8')).event_id).toBe(bad.event_id)
    const c = await counts(app)
    expect(c.interactions).toBe(19)
    expect(c.metrics1m).toBe(19)
    // Its scores are on its row: they went to the dead-letter topic with it (one row per event).
    expect(c.scores).toBe(38)
  })

  it('dead-letters undecodable scored records with the decoder reason; stores transcoded, JSON and unusual records alike', async () => {
    const t = await setup()
    // Records that fail to decode go to the configured dead-letter topic (SINK_DLQ_TOPIC), like rejected rows.
    const app = uniqueName('poison')
    const good = Array.from({ length: 10 }, (_, i) => scored({ app, textMode: 'redacted', response: i === 3 ? 'astral 😀 and é' : `ok ${i}` }))
    const avro = (e: ScoredInteraction) => codec.encode('ScoredInteraction', e)
    const broken = avro(scored({ app, response: 'broken XXX text' }))
    Buffer.from([0xed, 0xa0, 0x80]).copy(broken, broken.indexOf('XXX'))
    const unknownId = avro(scored({ app }))
    unknownId.writeInt32BE(9999, 1)
    const poison = [Buffer.from('not an event'), avro(scored({ app })).subarray(0, 40), broken, unknownId]
    const json = scored({ app, textMode: 'full', response: 'as JSON' })
    const p = await kafka.producer()
    const redacted = { [REDACTION_HEADER]: PII_REDACTION }
    await p.send(t.scores, [
      ...good.map((e) => ({ key: e.event_id, value: avro(e), headers: redacted })),
      ...poison.map((value, i) => ({ key: `poison-${i}`, value })),
      { key: json.event_id, value: Buffer.from(JSON.stringify(json)), headers: { 'content-type': 'application/json' } },
    ])
    await p.disconnect()
    const group = uniqueName('g')
    await sink(t, { groupId: group })
    await waitFor(async () => (await kafka.groupLag(group, t.scores)) === 0, 60_000, 'caught up')
    const dead: RawMessage[] = []
    await kafka.readRange({ topic: t.dlq, onMessage: (m) => void dead.push(m) })
    expect(dead.map((m) => [m.key?.toString('utf8'), headerValue(m.headers, 'dlq.error.code')]).sort()).toEqual([
      ['poison-0', 'DECODE_UNKNOWN_FORMAT'], ['poison-1', 'DECODE_AVRO'], ['poison-2', 'DECODE_INVALID_UTF8'], ['poison-3', 'DECODE_UNKNOWN_SCHEMA_ID'],
    ])
    // The original bytes, as the runner dead-letters them.
    expect(dead.find((m) => m.key?.toString('utf8') === 'poison-2')!.value!.equals(broken)).toBe(true)
    const c = await counts(app)
    expect(c).toMatchObject({ interactions: 11, distinctEvents: 11, metrics1m: 11 })
    const rs = await client.query({ query: 'SELECT response_text, text_mode FROM interactions WHERE app_name = {a:String} ORDER BY response_text', query_params: { a: app }, format: 'JSONCompactEachRow' })
    const rows = await rs.json<[string, string]>()
    expect(rows).toContainEqual(['astral 😀 and é', 'redacted'])
    expect(rows).toContainEqual(['as JSON', 'redacted']) // a 'full' record is stored at the sink's stricter mode
  })

  it('skips its second PII pass only on records the scorer marked as redacted by the same detector', async () => {
    const t = await setup()
    const app = uniqueName('pii')
    // Emails left in on purpose: what the sink stores shows whether it scanned the record.
    const mk = (i: number) => scored({ app, textMode: 'redacted', response: `mail row${i}@example.com` })
    const events = Array.from({ length: 6 }, (_, i) => mk(i))
    const header = (e: ScoredInteraction): Record<string, string> => {
      const i = events.indexOf(e)
      return i < 2 ? { [REDACTION_HEADER]: PII_REDACTION } : i < 4 ? { [REDACTION_HEADER]: 'pii/0' } : {}
    }
    await produce(t, events, [], header)
    const group = uniqueName('g')
    await sink(t, { groupId: group })
    await waitFor(async () => (await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })) === 6, 60_000, '6 rows')
    const rs = await client.query({ query: 'SELECT response_text FROM interactions WHERE app_name = {a:String} ORDER BY response_text', query_params: { a: app }, format: 'JSONEachRow' })
    const texts = (await rs.json<{ response_text: string }>()).map((r) => r.response_text)
    // Trusted (this detector's header): as the scorer wrote it. Another version or no header: redacted here.
    expect(texts.filter((x) => x.includes('@example.com')).sort()).toEqual(['mail row0@example.com', 'mail row1@example.com'])
    expect(texts.filter((x) => x === 'mail [EMAIL]')).toHaveLength(4)
  })
})
