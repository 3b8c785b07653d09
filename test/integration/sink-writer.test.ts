/**
 * The sink's writer against real ClickHouse (chDB): flush triggers, dedup of re-delivered
 * messages in raw tables and aggregates, dead-lettering of rejected rows, outage retries, privacy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { silentLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { alertUnit, COMPACT_COLUMNS, scoredUnit, TABLES } from '../../services/sink/rows.js'
import { BufferedWriter, type Rejected, type Unit, type WriterOptions } from '../../services/sink/writer.js'
import { testClickHouse, uniqueName } from '../helpers.js'
import { alert, scored, type ScoredOpts } from './sink-fixtures.js'

let client: ClickHouseClient
const DB = 'sinkw'

beforeAll(async () => {
  client = await testClickHouse(DB)
  await migrate(client, { database: DB })
})
afterAll(async () => {
  await client.close()
})

async function one<T>(query: string, params: Record<string, unknown> = {}): Promise<T> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' })
  const rows = await rs.json<T>()
  return rows[0] as T
}
const num = async (query: string, params: Record<string, unknown> = {}) => Number((await one<{ n: string | number }>(query, params)).n)

function writer(over: Partial<WriterOptions> = {}, rejected: Rejected[] = []): BufferedWriter {
  return new BufferedWriter({
    client,
    tables: Object.values(TABLES),
    batchRows: 1_000_000,
    flushMs: 50,
    retryBudgetMs: 3_000,
    backoff: { initialMs: 50, maxMs: 400 },
    logger: silentLogger,
    deadLetter: async (r) => {
      rejected.push(...r)
    },
    // As the sink runs it: interactions as RowBinary, alerts as JSONEachRow.
    compactColumns: COMPACT_COLUMNS,
    rowBinary: { [TABLES.interactions]: COMPACT_COLUMNS[TABLES.interactions]! },
    ...over,
  })
}

/** Units for `n` events of one app on partition `partition`, offsets from `from`. */
function units(app: string, n: number, partition = 0, from = 0, opts: ScoredOpts = {}): Unit[] {
  // The app name doubles as the topic: each test has its own offsets.
  return Array.from({ length: n }, (_, i) =>
    scoredUnit(scored({ app, ...opts }), { topic: app, partition, offset: String(from + i) }, 'full'),
  )
}

describe('BufferedWriter', () => {
  it('flushes when the row count is reached, without waiting for the timer', async () => {
    const app = uniqueName('size')
    const w = writer({ batchRows: 10, flushMs: 60_000 })
    const t0 = Date.now()
    await w.write(units(app, 10)) // 10 interactions rows, each with its scores
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(10)
    expect(w.stats.flushes).toBe(1)
  })

  it('flushes on time when the batch is not full, merging several writes into one flush', async () => {
    const app = uniqueName('time')
    const w = writer({ batchRows: 1_000_000, flushMs: 300 })
    const t0 = Date.now()
    await Promise.all([w.write(units(app, 3, 0)), w.write(units(app, 4, 1))])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(w.stats.flushes).toBe(1)
    expect(await num('SELECT count() AS n FROM scores WHERE app_name = {a:String}', { a: app })).toBe(14)
  })

  it('close() flushes what is buffered', async () => {
    const app = uniqueName('close')
    const w = writer({ flushMs: 60_000 })
    const pending = w.write(units(app, 5))
    await w.close()
    await pending
    expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(5)
    await expect(w.write(units(app, 1))).rejects.toThrow(/closed/)
  })

  it('skips re-delivered messages: raw tables and aggregates count each event once', async () => {
    const app = uniqueName('dedup')
    const batch = units(app, 20, 2, 100)
    await writer().write(batch.slice(0, 12))
    // A new writer (fresh process, empty cache) gets the whole range again, plus new ones.
    const w2 = writer()
    await w2.write(batch)
    expect(w2.stats.skippedUnits).toBe(12) // one row (one table) per event
    await w2.write(batch.slice(5, 15)) // and once more, from the cache
    expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(20)
    expect(await num('SELECT count() AS n FROM scores WHERE app_name = {a:String}', { a: app })).toBe(40)
    expect(await num('SELECT sum(events) AS n FROM metrics_1m WHERE app_name = {a:String}', { a: app })).toBe(20)
    expect(await num('SELECT sum(events) AS n FROM metrics_1h WHERE app_name = {a:String}', { a: app })).toBe(20)
    expect(await num('SELECT sum(rows) AS n FROM scores_1m WHERE app_name = {a:String}', { a: app })).toBe(40)
    expect(await num('SELECT sum(rows) AS n FROM scores_1h WHERE app_name = {a:String}', { a: app })).toBe(40)
  })

  it('completes a batch of which a prefix landed before a crash, scores included', async () => {
    const app = uniqueName('partial')
    const batch = units(app, 10, 3, 0)
    // Offsets 0..6 landed before the "crash"; the whole batch is re-delivered to a fresh writer.
    await writer().write(batch.slice(0, 7))
    await writer().write(batch)
    expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(10)
    expect(await num('SELECT count() AS n FROM scores WHERE app_name = {a:String}', { a: app })).toBe(20)
    expect(await num('SELECT sum(events) AS n FROM metrics_1m WHERE app_name = {a:String}', { a: app })).toBe(10)
    expect(await num('SELECT uniqExact(event_id) AS n FROM scores WHERE app_name = {a:String}', { a: app })).toBe(10)
  })

  it('dead-letters a row ClickHouse rejects for its content and inserts the rest of the batch', async () => {
    const app = uniqueName('reject')
    const rejected: Rejected[] = []
    const batch = units(app, 9, 4, 0)
    // end_time before request_start_time passes the contract but violates the table's constraint.
    const bad = scored({ app })
    bad.end_time = bad.request_start_time - 1000
    batch.splice(4, 0, scoredUnit(bad, { topic: app, partition: 4, offset: '50' }, 'full'))
    batch.forEach((u, i) => (u.offset = BigInt(i)))
    await writer({}, rejected).write(batch)
    expect(rejected).toHaveLength(1)
    expect(rejected[0]).toMatchObject({ table: 'interactions', code: 469 })
    expect(rejected[0]?.unit.offset).toBe(4n)
    expect(rejected[0]?.reason).toContain('end_after_start')
    expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(9)
    expect(await num('SELECT sum(events) AS n FROM metrics_1m WHERE app_name = {a:String}', { a: app })).toBe(9)
  })

  it('dead-letters a text ClickHouse cannot take (lone UTF-16 surrogate) instead of retrying it as an outage', async () => {
    // RowBinary (the sink's), JSONCompactEachRow, JSONEachRow.
    for (const formats of [{}, { rowBinary: {} }, { rowBinary: {}, compactColumns: {} }]) {
      const app = uniqueName('surrogate')
      const rejected: Rejected[] = []
      const batch = units(app, 3, 0, 0)
      // Possible in a JSON-encoded record: JSON.parse accepts "\ud800" alone.
      batch[1] = scoredUnit(scored({ app, response: 'broken \ud800 text' }), { topic: app, partition: 0, offset: '1' }, 'full')
      await writer(formats, rejected).write(batch)
      expect(rejected.map((r) => [r.table, r.code, r.unit.offset])).toEqual([['interactions', 25, 1n]])
      expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(2)
      // One row per event: the rejected event's scores go with it to the dead-letter topic.
      expect(await num('SELECT uniqExact(event_id) AS n FROM scores WHERE app_name = {a:String}', { a: app })).toBe(2)
    }
  })

  it('retries through a ClickHouse outage and loses nothing', async () => {
    const app = uniqueName('outage')
    let downUntil = Date.now() + 1_500
    let failures = 0
    // Real chDB calls, refused while "down" (as a closed port would refuse them).
    const flaky: WriterOptions['client'] = {
      insert: (async (p: Parameters<ClickHouseClient['insert']>[0]) => {
        if (Date.now() < downUntil) { failures++; throw new Error('connect ECONNREFUSED 127.0.0.1:8123') }
        return client.insert(p)
      }) as ClickHouseClient['insert'],
      query: (async (p: Parameters<ClickHouseClient['query']>[0]) => {
        if (Date.now() < downUntil) { failures++; throw new Error('connect ECONNREFUSED 127.0.0.1:8123') }
        return client.query(p)
      }) as ClickHouseClient['query'],
      exec: (async (p: Parameters<ClickHouseClient['exec']>[0]) => {
        if (Date.now() < downUntil) { failures++; throw new Error('connect ECONNREFUSED 127.0.0.1:8123') }
        return client.exec(p)
      }) as ClickHouseClient['exec'],
    }
    const w = writer({ client: flaky, retryBudgetMs: 10_000 })
    await w.write(units(app, 25, 5, 0))
    expect(failures).toBeGreaterThan(1)
    expect(w.stats.retries).toBeGreaterThan(0)
    expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(25)

    // Longer than the budget: the flush fails (the runner would retry the batch), then succeeds.
    downUntil = Date.now() + 2_000
    const batch = units(app, 10, 5, 25)
    const w2 = writer({ client: flaky, retryBudgetMs: 300 })
    await expect(w2.write(batch)).rejects.toMatchObject({ code: 'CLICKHOUSE', retryable: true })
    await new Promise((r) => setTimeout(r, 2_000))
    await w2.write(batch)
    expect(await num('SELECT count() AS n FROM interactions WHERE app_name = {a:String}', { a: app })).toBe(35)
    expect(await num('SELECT sum(events) AS n FROM metrics_1m WHERE app_name = {a:String}', { a: app })).toBe(35)
  })

  it('writes alerts once per offset', async () => {
    const rule = uniqueName('rule')
    const a = [alert({ rule }), alert({ rule, state: 'resolved' })].map((x, i) => alertUnit(x, { topic: rule, partition: 0, offset: String(i) }))
    await writer().write(a)
    await writer().write(a)
    expect(await num('SELECT count() AS n FROM alerts WHERE rule = {r:String}', { r: rule })).toBe(2)
  })

  it('redacted mode: a card number or email in the response never reaches ClickHouse', async () => {
    const app = uniqueName('pii')
    const card = '4111 1111 1111 1111'
    const email = 'jane.doe@example.com'
    const leaky = scored({ app, textMode: 'full', prompt: `my email is ${email}`, response: `Charged card ${card}, receipt sent to ${email}.` })
    leaky.scores[0]!.details = JSON.stringify({ evidence: email })
    // The event claims 'full' text, but the sink is configured 'redacted': the stricter wins.
    await writer().write([scoredUnit(leaky, { topic: app, partition: 6, offset: '0' }, 'redacted')])
    const row = await one<{ prompt_text: string; response_text: string; text_mode: string }>(
      'SELECT prompt_text, response_text, text_mode FROM interactions WHERE app_name = {a:String}', { a: app })
    expect(row.text_mode).toBe('redacted')
    expect(row.response_text).toContain('Charged card')
    const everything = await one<{ s: string }>(
      `SELECT concat((SELECT groupArray(toString(tuple(*))) FROM interactions WHERE app_name = {a:String})::String,
                     (SELECT groupArray(toString(tuple(*))) FROM scores WHERE app_name = {a:String})::String) AS s`, { a: app })
    expect(everything.s).not.toContain(email)
    expect(everything.s.replace(/\s/g, '')).not.toContain(card.replace(/\s/g, ''))

    const none = scored({ app: `${app}-none`, textMode: 'redacted', response: `card ${card}` })
    await writer().write([scoredUnit(none, { topic: app, partition: 6, offset: '1' }, 'none')])
    const r2 = await one<{ response_text: string; text_mode: string }>('SELECT response_text, text_mode FROM interactions WHERE app_name = {a:String}', { a: `${app}-none` })
    expect(r2).toEqual({ response_text: '', text_mode: 'none' })
  })

  it('JSONCompactEachRow stores exactly what JSONEachRow stores', async () => {
    const app = uniqueName('compact')
    const odd = ["it's", 'back\\slash', 'tab\tand\nnewline', 'quote"d', 'ünïcödé 😀', '\\N', '', '[x]', "a','b"]
    const events = odd.map((text, i) =>
      scored({
        app, prompt: text, response: `${text} ${i}`, latencyMs: [0.1, 1e-7, 123456.789, 5][i % 4]!, ttftMs: i % 2 ? null : 0.5,
        costUsd: i % 3 ? null : 0.1 + 0.2, tokens: [9_007_199_254_740_991, i, 0], promptVersion: i % 2 ? null : text,
        scores: { [text || 'empty']: [i % 2 ? null : i / 7, i % 2 === 0], other: [1e21, true, 'prompt'] },
      }),
    )
    for (const [i, e] of events.entries()) e.scores[0]!.details = JSON.stringify({ text: odd[i], n: [i, -0, 2.5e-8] })
    const store = async (topic: string, compactColumns: WriterOptions['compactColumns']) => {
      const rejected: Rejected[] = []
      const all = events.map((e, i) => scoredUnit(e, { topic, partition: 0, offset: String(i) }, 'full'))
      await writer({ compactColumns, rowBinary: {} }, rejected).write(all)
      return rejected.length
    }
    const compactTopic = `${app}-compact`
    const jsonTopic = `${app}-json`
    expect(await store(compactTopic, COMPACT_COLUMNS)).toBe(0)
    expect(await store(jsonTopic, {})).toBe(0)
    for (const table of [TABLES.interactions, 'scores']) {
      const rows = async (topic: string) => {
        const rs = await client.query({
          query: `SELECT * EXCEPT (_inserted_at, _topic) FROM ${table} WHERE _topic = {t:String} ORDER BY _offset, event_id, ${table === 'scores' ? 'scorer, target' : 'event_time'}`,
          query_params: { t: topic },
          format: 'JSONEachRow',
        })
        return rs.json<Record<string, unknown>>()
      }
      const compact = await rows(compactTopic)
      expect(compact.length).toBeGreaterThanOrEqual(events.length)
      expect(compact).toEqual(await rows(jsonTopic))
    }
  })
})
