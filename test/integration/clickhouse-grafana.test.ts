/**
 * The served ClickHouse (the test run's `llmwatch clickhouse serve`) answering the HTTP requests the
 * Grafana ClickHouse datasource (grafana-clickhouse-datasource, protocol "http") sends through
 * clickhouse-go v2: POST with the statement as a gzip-compressed body, `default_format=Native`,
 * `database`, `enable_http_compression=1` + `Accept-Encoding: gzip`, basic auth in the URL, a
 * `query_id`. What it asks: `SELECT timeZone()` (connect), `SELECT 1` (ping, column named "1"),
 * `SELECT version()` (minimum-version check), the schema browser's queries, and a time-series
 * panel's query. Answers are decoded as clickhouse-go decodes them (Native blocks); errors must
 * carry `DB::Exception` and the exception code (the plugin tells ClickHouse errors from others by
 * that text). Replayed with fetch: Grafana itself (Go) does not run here.
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { clickhouseUrl, testClickHouse, uniqueDatabase } from '../helpers.js'

const DB = uniqueDatabase('grafana')
let writer: ClickHouseClient

beforeAll(async () => {
  writer = await testClickHouse(DB)
  await writer.command({ query: 'CREATE TABLE requests (ts DateTime, app LowCardinality(String), latency_ms UInt32) ENGINE = MergeTree ORDER BY ts' })
  await writer.insert({
    table: 'requests',
    values: Array.from({ length: 120 }, (_, i) => ({ ts: 1_700_000_000 + i * 30, app: i % 2 ? 'support-bot' : 'rag-search', latency_ms: 100 + i })),
    format: 'JSONEachRow',
  })
})
afterAll(async () => {
  await writer.command({ query: `DROP DATABASE IF EXISTS ${DB}` })
  await writer.close()
})

/** One POST as clickhouse-go's HTTP transport makes it, as the read-only reader. */
async function grafana(sql: string, extra: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const url = new URL(clickhouseUrl())
  url.username = 'reader'
  url.searchParams.set('database', DB)
  url.searchParams.set('default_format', 'Native')
  url.searchParams.set('enable_http_compression', '1')
  url.searchParams.set('query_id', crypto.randomUUID())
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v)
  // fetch refuses credentials in the URL: Go's client turns them into this header.
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:`).toString('base64')}`
  url.username = ''
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: auth, 'content-encoding': 'gzip', 'accept-encoding': 'gzip', 'user-agent': 'clickhouse-go/2 (database/sql; lv:go/1.22; os:linux) grafana/11 clickhouse-datasource/4' },
    body: gzipSync(Buffer.from(sql)),
  })
  // fetch already undoes a gzip Content-Encoding; the raw bytes are checked once below.
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
}

type Value = string | number | bigint
/**
 * Decodes Native-format blocks (no custom serialization: what the server sends without
 * client_protocol_version), for the types these queries return.
 */
function native(buf: Buffer): { names: string[]; types: string[]; rows: Value[][] } {
  let o = 0
  const varuint = () => {
    let v = 0
    for (let shift = 0; ; shift += 7) {
      const b = buf[o++]!
      v += (b & 0x7f) * 2 ** shift
      if (b < 0x80) return v
    }
  }
  const str = () => {
    const n = varuint()
    const s = buf.toString('utf8', o, o + n)
    o += n
    return s
  }
  const u64 = () => Number(buf.readBigUInt64LE((o += 8) - 8))
  const column = (type: string, n: number): Value[] => {
    if (type === 'LowCardinality(String)') {
      // Keys version, then (one granule) index type + flags, the dictionary, the indexes.
      u64()
      const indexBytes = [1, 2, 4, 8][u64() & 0xff]!
      const keys = Array.from({ length: u64() }, str)
      const count = u64()
      return Array.from({ length: count }, () => keys[Number(buf.readUIntLE((o += indexBytes) - indexBytes, indexBytes))]!)
    }
    return Array.from({ length: n }, (): Value => {
      if (type === 'String') return str()
      if (type === 'UInt8') return buf.readUInt8((o += 1) - 1)
      if (type === 'UInt32' || type.startsWith('DateTime')) return buf.readUInt32LE((o += 4) - 4)
      if (type === 'UInt64') return buf.readBigUInt64LE((o += 8) - 8)
      if (type === 'Float64') return buf.readDoubleLE((o += 8) - 8)
      throw new Error(`test decoder: type ${type} not handled`)
    })
  }
  const names: string[] = []
  const types: string[] = []
  const rows: Value[][] = []
  while (o < buf.length) {
    const cols = varuint()
    const n = varuint()
    const base = rows.length
    for (let r = 0; r < n; r++) rows.push([])
    for (let c = 0; c < cols; c++) {
      const name = str()
      const type = str()
      if (base === 0) names.push(name), types.push(type)
      const values = column(type, n)
      for (let r = 0; r < n; r++) rows[base + r]!.push(values[r]!)
    }
  }
  return { names, types, rows }
}

describe('Grafana ClickHouse datasource over HTTP (clickhouse-go v2 requests, replayed)', () => {
  it('connect and health check: SELECT timeZone(), SELECT 1 (a column named "1"), SELECT version()', async () => {
    const tz = await grafana('SELECT timeZone()')
    expect(tz.status).toBe(200)
    expect(tz.headers.get('x-clickhouse-format')).toBe('Native')
    expect(native(tz.body)).toEqual({ names: ['timeZone()'], types: ['String'], rows: [[expect.stringMatching(/^[A-Za-z_/]+$/)]] })
    expect(native((await grafana('SELECT 1')).body)).toEqual({ names: ['1'], types: ['UInt8'], rows: [[1]] })
    const v = native((await grafana('SELECT version()')).body)
    expect(v.types).toEqual(['String'])
    expect(String(v.rows[0]![0])).toMatch(/^\d+\.\d+\.\d+/) // the plugin parses major.minor.patch
  })

  it('the response is gzip when asked (enable_http_compression=1, Accept-Encoding: gzip), as the Go client reads it', async () => {
    const url = new URL(clickhouseUrl())
    url.search = new URLSearchParams({ database: DB, default_format: 'Native', enable_http_compression: '1' }).toString()
    // node:http instead of fetch, to see the bytes on the wire.
    const http = await import('node:http')
    const raw = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', auth: 'reader:', headers: { 'accept-encoding': 'gzip', 'content-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }))
      })
      req.on('error', reject)
      req.end(gzipSync(Buffer.from('SELECT 1')))
    })
    expect(raw.enc).toBe('gzip')
    expect(native(gunzipSync(raw.body)).rows).toEqual([[1]])
  })

  it('the schema browser: databases, tables, columns', async () => {
    expect(native((await grafana('SHOW DATABASES')).body).rows.map((r) => r[0])).toContain(DB)
    const tables = native((await grafana(`SELECT name FROM system.tables WHERE database = '${DB}'`)).body)
    expect(tables.rows).toEqual([['requests']])
    const cols = native((await grafana(`SELECT name, type FROM system.columns WHERE database = '${DB}' AND table = 'requests' ORDER BY position`)).body)
    expect(cols.rows).toEqual([['ts', 'DateTime'], ['app', 'LowCardinality(String)'], ['latency_ms', 'UInt32']])
  })

  it('a time-series panel: $__timeInterval / $__timeFilter expanded, one series per app', async () => {
    const sql = `SELECT toStartOfInterval(ts, INTERVAL 600 second) AS time, app, count() AS requests, avg(latency_ms) AS latency
      FROM requests WHERE ts >= toDateTime(1700000000) AND ts <= toDateTime(1700003600) GROUP BY time, app ORDER BY time, app`
    const r = await grafana(sql)
    expect(r.status).toBe(200)
    const b = native(r.body)
    expect(b.names).toEqual(['time', 'app', 'requests', 'latency'])
    expect(b.types).toEqual(['DateTime', 'LowCardinality(String)', 'UInt64', 'Float64'])
    // 120 rows 30 s apart from 1700000000 (200 s into a 10-minute bucket): 7 buckets x 2 apps; the
    // first bucket holds rows 0-13, its even ones (latency 100, 102, ... 112) rag-search's.
    expect(b.rows).toHaveLength(14)
    expect(b.rows[0]).toEqual([1_699_999_800, 'rag-search', 7n, 106])
    expect(b.rows.reduce((s, row) => s + Number(row[2]), 0)).toBe(120)
  })

  it('errors as the plugin recognizes them: status, X-ClickHouse-Exception-Code, a DB::Exception body; the reader cannot write', async () => {
    const bad = await grafana('SELECT nope FROM requests')
    expect(bad.status).toBe(400) // ClickHouse's status for UNKNOWN_IDENTIFIER
    expect(bad.headers.get('x-clickhouse-exception-code')).toBe('47')
    expect(bad.body.toString()).toMatch(/^Code: 47\. DB::Exception: .*UNKNOWN_IDENTIFIER/)
    const write = await grafana('DROP TABLE requests')
    expect(write.status).toBe(403)
    expect(write.headers.get('x-clickhouse-exception-code')).toBe('164')
  })
})
