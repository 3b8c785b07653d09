/**
 * The binary insert path (issue 14): `llmwatch clickhouse serve` takes RowBinary / Native bodies
 * over HTTP as a ClickHouse server does, and the sink's RowBinary rows round-trip exactly: what
 * ClickHouse stores from them (raw table and the aggregate views) equals what it stores from the
 * JSONCompactEachRow insert of the same rows, for every column type, nulls, unicode, empty maps and
 * arrays, extreme numbers and dates.
 */
import { gzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { silentLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { COMPACT_COLUMNS, scoredUnit, TABLES } from '../../services/sink/rows.js'
import { RowBinaryError, rowBinaryEncoder } from '../../services/sink/rowbinary.js'
import { TRANSCODED_KINDS } from '../../services/sink/transcode.js'
import { BufferedWriter, compactBody, insertRowBinary, type Rejected, type Unit } from '../../services/sink/writer.js'
import { clickhouseUrl, testClickHouse, uniqueDatabase, uniqueName } from '../helpers.js'
import { scored } from './sink-fixtures.js'

const COLUMNS = COMPACT_COLUMNS[TABLES.interactions]!
const dbJson = uniqueDatabase('rbjson')
const dbBin = uniqueDatabase('rbbin')
let json: ClickHouseClient
let bin: ClickHouseClient

beforeAll(async () => {
  json = await testClickHouse(dbJson)
  bin = await testClickHouse(dbBin)
  await migrate(json, { database: dbJson })
  await migrate(bin, { database: dbBin })
})
afterAll(async () => {
  for (const [c, db] of [[json, dbJson], [bin, dbBin]] as const) {
    await c.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` })
    await c.close()
  }
})

async function rows(c: ClickHouseClient, query: string): Promise<unknown[]> {
  const rs = await c.query({ query, format: 'JSONCompactEachRow' })
  return rs.json()
}

async function types(c: ClickHouseClient, table: string): Promise<string[]> {
  const rs = await c.query({ query: 'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String}', query_params: { t: table }, format: 'JSONEachRow' })
  const byName = new Map((await rs.json<{ name: string; type: string }>()).map((r) => [r.name, r.type]))
  return COLUMNS.map((c) => byName.get(c)!)
}

/** POSTs a body to the test run's ClickHouse as @clickhouse/client's `exec` would, without it. */
async function post(query: string, body: Buffer, headers: Record<string, string> = {}, database = dbBin) {
  const res = await fetch(`${clickhouseUrl()}/?database=${database}&query=${encodeURIComponent(query)}`, { method: 'POST', body: new Uint8Array(body), headers })
  return { status: res.status, code: res.headers.get('x-clickhouse-exception-code'), text: await res.text() }
}

const MS = { min: Date.UTC(1900, 0, 1), max: Date.UTC(2299, 11, 31, 23, 59, 59, 999) }
const long = (unit: string, n: number) => unit.repeat(n)

/** Events whose rows hold every awkward value the columns can carry. */
function awkwardUnits(topic: string): Unit[] {
  const texts = [
    'plain ascii',
    '', // empty
    'emoji 😀 and astral 𝔘𝔫𝔦 and CJK 漢字 and combining é and RTL שלום',
    'blank lines\n\nin the middle\r\n\r\nand\ttabs, "quotes", \\backslash\\ and NUL \u0000 byte',
    long('é', 63), // 126 bytes: the last 1-byte length
    long('é', 64), // 128 bytes
    long('€', 42), // 126 bytes from 3-byte chars: the 2-byte length reserved, 1 used
    long('😀', 1023), // 4,092 bytes, 2,046 UTF-16 units
    long('x', 4095), // the last short string
    long('字', 4096), // the long-string path
    long('a', 70_000), // a 3-byte length
  ]
  const times = [MS.min, -1, 0, 999_999_999_999, 1_000_000_000_000, Date.UTC(2026, 11, 2, 10, 0, 0, 123), MS.max - 10_000]
  const out: Unit[] = []
  let offset = 0
  for (const [i, text] of texts.entries()) {
    const t = times[i % times.length]!
    const v = scored({
      app: i % 2 ? 'app-ä' : 'app-plain', time: t, latencyMs: [0, 5e-324, 1.7976931348623157e308 / 1e300, 123.456][i % 4],
      ttftMs: i % 3 === 0 ? null : 0.25, costUsd: i % 4 === 1 ? null : [0, 1e-12, 12345.678901][i % 3],
      tokens: [[0, 0, 0], [Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 32 - 1]][i % 2] as [number, number, number],
      prompt: i % 5 === 0 ? null : text, response: text, textMode: 'full', status: i % 2 ? 'error' : 'ok', cacheHit: i % 2 === 0,
      scores: i === 1 ? {} : { toxicity: [i % 3 === 0 ? null : 0.5, i % 2 === 0], 'pii-😀': [1e-300, true, 'prompt'], bias: [-0.25, false] },
    })
    const u = scoredUnit(v, { topic, partition: i % 2 ? 4_294_967_295 : 0, offset: String(offset++) }, 'full')
    out.push(u)
  }
  // The largest offset a UInt64 holds.
  const last = scoredUnit(scored({ app: 'app-plain' }), { topic, partition: 1, offset: '18446744073709551615' }, 'full')
  out.push(last)
  return out
}

describe('RowBinary through llmwatch clickhouse serve', () => {
  it('stores exactly what JSONCompactEachRow stores, raw rows and aggregates', async () => {
    const topic = uniqueName('rb')
    const units = awkwardUnits(topic)
    const values = units.flatMap((u) => u.rows[TABLES.interactions]!)
    await json.insert({ table: TABLES.interactions, columns: COLUMNS as [string, ...string[]], values: compactBody(values, COLUMNS), format: 'JSONCompactEachRow' })
    const enc = rowBinaryEncoder(COLUMNS, await types(bin, TABLES.interactions))
    // The sink transcodes Avro straight to RowBinary for exactly these column kinds (transcode.ts).
    expect(enc.kinds).toBe(TRANSCODED_KINDS)
    await insertRowBinary(bin.exec.bind(bin), TABLES.interactions, enc, values)

    const all = `SELECT ${COLUMNS.join(', ')} FROM interactions ORDER BY _partition, _offset`
    const [a, b] = [await rows(json, all), await rows(bin, all)]
    expect(a.length).toBe(units.length)
    expect(b).toEqual(a)
    // Bit for bit (JSON output could hide a difference in a float's last bits or a string's bytes).
    const hash = `SELECT sum(cityHash64(${COLUMNS.join(', ')})) AS h, count() AS n FROM interactions`
    expect(await rows(bin, hash)).toEqual(await rows(json, hash))
    // Spot checks of what was stored, not only that both agree.
    const one = (await rows(bin, `SELECT response_text, length(response_text), scores, flags, toString(toUnixTimestamp64Milli(event_time)), toString(input_tokens) FROM interactions WHERE _partition = 4294967295 AND _offset = 3`))[0] as unknown[]
    expect(one[0]).toBe(values[3]!.response_text)
    expect(one[1]).toBe(Buffer.byteLength(values[3]!.response_text as string))
    expect(one[2]).toEqual({ 'toxicity:response': null, 'pii-😀:prompt': 1e-300, 'bias:response': -0.25 })
    expect(one[3]).toEqual(['pii-😀:prompt'])
    expect(one[4]).toBe('999999999999')
    expect(one[5]).toBe(String(Number.MAX_SAFE_INTEGER))
    expect(await rows(bin, 'SELECT toString(toUnixTimestamp64Milli(event_time)), length(scores), length(flags), length(score_details) FROM interactions WHERE _offset = 1')).toEqual([['-1', 0, 0, 0]])
    expect(await rows(bin, 'SELECT toString(_offset) FROM interactions WHERE _partition = 1')).toEqual([['18446744073709551615']])
    // The aggregates the four views made from either insert.
    for (const q of [
      'SELECT minute, app_name, request_model, environment, prompt_template_version, sum(events), sum(errors), sum(input_tokens), sum(cost_usd), sum(unpriced_events), sum(cache_hits), sum(latency_ms_sum), quantileTDigestMerge(0.5)(latency_ms_q), quantileTDigestMerge(0.5)(ttft_ms_q) FROM metrics_1m GROUP BY ALL ORDER BY ALL',
      'SELECT hour, app_name, sum(events), sum(output_tokens) FROM metrics_1h GROUP BY ALL ORDER BY ALL',
      'SELECT minute, app_name, scorer, target, sum(rows), sum(scored), sum(flagged), sum(value_sum), quantileTDigestMerge(0.9)(value_q) FROM scores_1m GROUP BY ALL ORDER BY ALL',
      'SELECT hour, app_name, scorer, target, sum(rows), sum(flagged) FROM scores_1h GROUP BY ALL ORDER BY ALL',
      'SELECT event_id, scorer, target, version, status, value, label, flagged, details FROM scores ORDER BY ALL',
    ]) {
      const [x, y] = [await rows(json, q), await rows(bin, q)]
      expect(x.length, q).toBeGreaterThan(0)
      expect(y, q).toEqual(x)
    }
  })

  it('the sink writer sends interactions as RowBinary; a lone surrogate or a bad value dead-letters its row only', async () => {
    const topic = uniqueName('rbw')
    const sent: string[] = []
    const client = {
      insert: bin.insert.bind(bin),
      query: bin.query.bind(bin),
      exec: ((p: Parameters<ClickHouseClient['exec']>[0]) => (sent.push(p.query), bin.exec(p))) as ClickHouseClient['exec'],
    }
    const rejected: Rejected[] = []
    const w = new BufferedWriter({
      client, tables: Object.values(TABLES), batchRows: 1_000_000, flushMs: 20, retryBudgetMs: 2_000, logger: silentLogger,
      deadLetter: async (r) => void rejected.push(...r), compactColumns: COMPACT_COLUMNS, rowBinary: { [TABLES.interactions]: COLUMNS },
    })
    const units = Array.from({ length: 6 }, (_, i) => scoredUnit(scored({ app: topic }), { topic, partition: 0, offset: String(i) }, 'full'))
    units[2] = scoredUnit(scored({ app: topic, response: 'broken \ud800 text' }), { topic, partition: 0, offset: '2' }, 'full')
    ;(units[4]!.rows[TABLES.interactions]![0] as Record<string, unknown>).input_tokens = -1
    await w.write(units)
    await w.close()
    expect(sent.every((q) => /^INSERT INTO interactions \(event_id, .*\) FORMAT RowBinary$/.test(q))).toBe(true)
    expect(sent.length).toBeGreaterThan(1) // bisected
    expect(rejected.map((r) => [r.code, r.unit.offset])).toEqual([[25, 2n], [70, 4n]])
    expect(rejected[0]!.reason).toMatch(/lone UTF-16 surrogate/)
    expect(await rows(bin, `SELECT toString(_offset) FROM interactions WHERE _topic = '${topic}' ORDER BY _offset`)).toEqual([['0'], ['1'], ['3'], ['5']])
    // Re-delivery: the dedup bookkeeping reads the watermark and skips what is stored.
    const again = new BufferedWriter({
      client, tables: Object.values(TABLES), batchRows: 1_000_000, flushMs: 20, retryBudgetMs: 2_000, logger: silentLogger,
      deadLetter: async () => {}, rowBinary: { [TABLES.interactions]: COLUMNS },
    })
    await again.write(units)
    await again.close()
    expect(again.stats.skippedUnits).toBe(6)
    expect(await rows(bin, `SELECT toString(count()) FROM interactions WHERE _topic = '${topic}'`)).toEqual([['4']])
  })

  it('a table with a type the encoder does not write, or a client without exec, is inserted as JSON', async () => {
    const db = uniqueDatabase('rbfallback')
    const c = await testClickHouse(db)
    try {
      await c.command({ query: 'CREATE TABLE interactions (event_id UUID, latency_ms Float32, _topic String, _partition UInt32, _offset UInt64) ENGINE = MergeTree ORDER BY _offset' })
      const cols = ['event_id', 'latency_ms', '_topic', '_partition', '_offset']
      const unit = (o: number): Unit => ({ topic: 't', partition: 0, offset: BigInt(o), rows: { interactions: [{ event_id: '3b241101-e2bb-4255-8caf-4136c566a962', latency_ms: 1.5, _topic: 't', _partition: 0, _offset: String(o) }] } })
      const warnings: string[] = []
      const logger = { ...silentLogger, warn: (_: unknown, m: string) => void warnings.push(m) } as unknown as typeof silentLogger
      const w = new BufferedWriter({ client: c, tables: ['interactions'], batchRows: 10, flushMs: 10, retryBudgetMs: 1_000, logger, deadLetter: async () => {}, rowBinary: { interactions: cols } })
      await w.write([unit(0)])
      const noExec = new BufferedWriter({ client: { insert: c.insert.bind(c), query: c.query.bind(c) }, tables: ['interactions'], batchRows: 10, flushMs: 10, retryBudgetMs: 1_000, logger, deadLetter: async () => {}, rowBinary: { interactions: cols } })
      await noExec.write([unit(1)])
      expect(await rows(c, 'SELECT latency_ms, toString(_offset) FROM interactions ORDER BY _offset')).toEqual([[1.5, '0'], [1.5, '1']])
      expect(warnings).toEqual(['cannot insert this table as RowBinary: inserting JSON instead', 'this ClickHouse client has no exec: inserting JSON instead of RowBinary'])
    } finally {
      await c.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` })
      await c.close()
    }
  })

  it('the encoder refuses values its column cannot hold, naming the column', () => {
    const enc = rowBinaryEncoder(['a', 'b', 'c'], ['UUID', 'UInt32', "DateTime64(3, 'UTC')"])
    const encode = (row: Record<string, unknown>) => [...enc.chunks([row])]
    expect(encode({ a: '3b241101-e2bb-4255-8caf-4136c566a962', b: 1, c: 0 })[0]!.length).toBe(28)
    for (const [row, code, msg] of [
      [{ a: 'not-a-uuid', b: 1, c: 0 }, '376', /a: not a UUID/],
      [{ a: '3b241101-e2bb-4255-8caf-4136c566a96z', b: 1, c: 0 }, '376', /a: not a UUID/],
      [{ a: '3b241101-e2bb-4255-8caf-4136c566a962', b: 2 ** 32, c: 0 }, '70', /b: expected a UInt32/],
      [{ a: '3b241101-e2bb-4255-8caf-4136c566a962', b: 1, c: 1.5 }, '41', /c: expected epoch milliseconds/],
    ] as const) {
      let err: unknown
      try {
        encode(row)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(RowBinaryError)
      expect((err as RowBinaryError).code).toBe(code)
      expect((err as Error).message).toMatch(msg)
    }
    expect(() => rowBinaryEncoder(['x'], ['Float32'])).toThrow(/no RowBinary encoding for column x of type Float32/)
  })

  it('serves binary bodies as ClickHouse does: RowBinary with blank lines, WithNamesAndTypes, Native, gzip; errors with codes', async () => {
    await bin.command({ query: 'CREATE TABLE IF NOT EXISTS rb_raw (s String, n UInt32) ENGINE = MergeTree ORDER BY n' })
    const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])
    const u32 = (n: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(n)
      return b
    }
    const rowBinary = Buffer.concat([str('a\n\nb'), u32(1), str('\r\n\r\n'), u32(2)])
    expect((await post('INSERT INTO rb_raw FORMAT RowBinary', rowBinary)).status).toBe(200)
    expect((await post('INSERT INTO rb_raw (n, s) FORMAT RowBinaryWithNamesAndTypes', Buffer.concat([Buffer.from([2]), str('n'), str('s'), str('UInt32'), str('String'), u32(3), str('named')]))).status).toBe(200)
    // Native: one block, 1 column... here 2 columns x 1 row.
    const native = Buffer.concat([Buffer.from([2, 1]), str('s'), str('String'), str('native'), str('n'), str('UInt32'), u32(4)])
    expect((await post('INSERT INTO rb_raw FORMAT Native', native)).status).toBe(200)
    expect((await post('INSERT INTO rb_raw FORMAT RowBinary', gzipSync(Buffer.concat([str('zipped'), u32(5)])), { 'Content-Encoding': 'gzip' })).status).toBe(200)
    // Through @clickhouse/client's exec, as the sink sends it, with a setting (another session).
    const r = await bin.exec({ query: 'INSERT INTO rb_raw FORMAT RowBinary', values: Readable.from([Buffer.concat([str('exec'), u32(6)])]), clickhouse_settings: { max_threads: 1 } })
    for await (const _ of r.stream) void _
    expect(await rows(bin, 'SELECT s, n FROM rb_raw ORDER BY n')).toEqual([['a\n\nb', 1], ['\r\n\r\n', 2], ['named', 3], ['native', 4], ['zipped', 5], ['exec', 6]])

    const cut = await post('INSERT INTO rb_raw FORMAT RowBinary', rowBinary.subarray(0, rowBinary.length - 2))
    expect([cut.status, cut.code]).toEqual([500, '33'])
    expect(cut.text).toMatch(/^Code: 33\. DB::Exception: .*Cannot read all data/)
    expect(cut.text).not.toContain('llmwatch-ch-insert') // the server's temp file is not shown
    const wrongTypes = await post('INSERT INTO rb_raw (n, s) FORMAT RowBinaryWithNamesAndTypes', Buffer.concat([Buffer.from([2]), str('n'), str('s'), str('UInt64'), str('String')]))
    expect([wrongTypes.status, wrongTypes.code]).toEqual([400, '117'])
    const noTable = await post('INSERT INTO nope FORMAT RowBinary', rowBinary)
    expect([noTable.status, noTable.code]).toEqual([404, '60'])
    const badGzip = await post('INSERT INTO rb_raw FORMAT RowBinary', Buffer.from('not gzip'), { 'Content-Encoding': 'gzip' })
    expect([badGzip.status, badGzip.code]).toEqual([500, '354'])
    const badFormat = await post('INSERT INTO rb_raw FORMAT NoSuchFormat', rowBinary)
    expect([badFormat.status, badFormat.code]).toEqual([400, '73'])
    expect(await rows(bin, 'SELECT toString(count()) FROM rb_raw')).toEqual([['6']])
  })
})
