/**
 * What the served ClickHouse spends per event on the sink's inserts, and on what.
 *
 *   npx tsx bench/sink-clickhouse.ts [--json] [--events 12000] [--batch 2000] [--repeat 3] [--variants a,b,...] [--settle 3]
 *                                    [--interval-ms 0] [--idle 0] [--optimize]
 *
 * One `llmwatch clickhouse serve` (a child process, its own directory). The same rows (generated
 * traffic through the real scorers, the sink's mapping, redacted text) are inserted in --batch-row
 * inserts into a fresh database per variant and round, variants in alternating order from one round
 * to the next. CPU is the server process's (/proc, all its threads): `insert` while the inserts run,
 * `settle` over the --settle seconds after them (background merges), and this process's for the
 * encoding (`client`). --interval-ms paces the inserts (one every that many ms, as the sink inserts
 * one fetch a second when traffic is below SINK_FETCH_MIN_BYTES a second): `insert` then includes
 * the server's idle time and merges between them. --idle S: first the server's CPU over S idle
 * seconds (migrations applied, nothing inserted), reported as ms per second. --optimize: after the
 * settle, `OPTIMIZE TABLE ... FINAL` of interactions and the four aggregate tables (`merge`): what
 * one more merge of every row costs (a long-lived table merges each row several times). Variants:
 *   rowbinary      every migration, RowBinary bodies (the sink's insert)
 *   json           every migration, JSONCompactEachRow bodies (the sink's insert before)
 *   no_views       RowBinary, the four aggregate views dropped: parse + store alone
 *   metrics_views  RowBinary, only metrics_1m_mv and metrics_1h_mv
 *   scores_views   RowBinary, only scores_1m_mv and scores_1h_mv
 *   null_table     RowBinary into a Null-engine copy of interactions, no views: parse alone
 *   zstd1          RowBinary, the text columns (prompt_text, response_text, score_details) ZSTD(1) instead of ZSTD(3)
 *   lz4            RowBinary, the text columns LZ4
 *   big_inserts    RowBinary, inserts of 3 x --batch rows
 *   no_index       RowBinary, without the event_id bloom filter index
 *   cascade        RowBinary, the hourly views fed by the minute tables (metrics_1m -> metrics_1h,
 *                  scores_1m -> scores_1h) instead of each reading the raw row
 *   lazy_merge     RowBinary, interactions and the four aggregate tables with other MergeTree
 *                  merge settings (BENCH_MERGE_SETTINGS, `;`-separated; default
 *                  min_parts_to_merge_at_once = 10: wait for more parts before merging)
 * Progress on stderr; the last stdout line is the JSON result.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMPACT_COLUMNS, scoredUnit, TABLES } from '../services/sink/rows.js'
import { rowBinaryEncoder } from '../services/sink/rowbinary.js'
import { compactBody, insertRowBinary } from '../services/sink/writer.js'
import { scoreEvent } from '../services/scorer/engine.js'
import { defaultScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS } from '../services/scorer/scorers/index.js'
import { createClickHouse, type ClickHouseClient } from '../shared/clickhouse.js'
import { startServedClickHouse } from '../shared/infra/clickhouse-local.js'
import { migrate } from '../shared/migrate.js'
import { generateEvents } from '../shared/traffic/index.js'
import { procCpuSeconds } from './pipeline/children.js'

const argv = process.argv.slice(2)
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(name)
  return i < 0 ? dflt : String(argv[i + 1])
}
const N = Number(arg('--events', '12000'))
const batch = Number(arg('--batch', '2000'))
const repeat = Number(arg('--repeat', '3'))
const settleSec = Number(arg('--settle', '3'))
const intervalMs = Number(arg('--interval-ms', '0'))
const idleSec = Number(arg('--idle', '0'))
const optimize = argv.includes('--optimize')
const ALL = ['rowbinary', 'json', 'no_views', 'metrics_views', 'scores_views', 'null_table', 'zstd1', 'lz4', 'no_index', 'cascade', 'big_inserts', 'lazy_merge'] as const
type Variant = (typeof ALL)[number]
const variants = arg('--variants', ALL.join(',')).split(',') as Variant[]
for (const v of variants) if (!ALL.includes(v)) throw new Error(`unknown variant ${v} (${ALL.join(', ')})`)
const log = (m: string) => process.stderr.write(`[sink-clickhouse] ${m}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const VIEWS = ['metrics_1m_mv', 'metrics_1h_mv', 'scores_1m_mv', 'scores_1h_mv']

const sums = (cols: string[]) => cols.map((c) => `sum(${c}) AS ${c}`).join(', ')
const CASCADE = [
  'DROP VIEW metrics_1h_mv',
  `CREATE MATERIALIZED VIEW metrics_1h_mv TO metrics_1h AS SELECT toStartOfHour(minute) AS hour, app_name, request_model, environment, prompt_template_version,
     ${sums(['events', 'errors', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_usd', 'unpriced_events', 'cache_hits', 'latency_ms_sum'])},
     quantileTDigestMergeState(latency_ms_q) AS latency_ms_q, quantileTDigestMergeState(ttft_ms_q) AS ttft_ms_q
   FROM metrics_1m GROUP BY hour, app_name, request_model, environment, prompt_template_version`,
  'DROP VIEW scores_1h_mv',
  `CREATE MATERIALIZED VIEW scores_1h_mv TO scores_1h AS SELECT toStartOfHour(minute) AS hour, app_name, request_model, scorer, target,
     ${sums(['rows', 'scored', 'errors', 'flagged', 'value_sum'])}, quantileTDigestMergeState(value_q) AS value_q
   FROM scores_1m GROUP BY hour, app_name, request_model, scorer, target`,
]

/** lazy_merge: MergeTree settings of the raw and aggregate tables (see the variant above). */
const MERGE_SETTINGS = (process.env.BENCH_MERGE_SETTINGS ?? 'min_parts_to_merge_at_once = 10').split(';').map((x) => x.trim()).filter(Boolean)
const MERGE_TABLES = ['interactions', 'metrics_1m', 'metrics_1h', 'scores_1m', 'scores_1h']

const dir = mkdtempSync(join(tmpdir(), 'llmwatch-bench-chcost-'))
const server = await startServedClickHouse({ path: join(dir, 'ch'), logFile: join(dir, 'ch.log'), env: { CLICKHOUSE_SERVE_PORT: '0', LOG_LEVEL: 'info' }, log })
const clients: ClickHouseClient[] = []
try {
  log(`scoring ${N} generated events ...`)
  const config = defaultScorerConfig(SCORERS)
  // Spread over the last hour, as live traffic: the minute and hour aggregates get realistic groups.
  const scored = generateEvents(N, 3, { ratePerSec: Math.max(1, N / 3600) }).map((e) => scoreEvent(e, SCORERS, config, { textMode: 'redacted' }))
  const rows = scored.map((v, i) => scoredUnit(v, { topic: 'bench', partition: i % 6, offset: String(i) }, 'redacted', true).rows[TABLES.interactions]![0]!)
  const columns = COMPACT_COLUMNS[TABLES.interactions]!
  const results: Record<string, { insert: number[]; settle: number[]; client: number[]; merge: number[] }> = {}
  const storedBytes: Record<string, number[]> = {}
  let idleMsPerSec: number | null = null
  if (idleSec > 0) {
    const c = await createClickHouse({ url: server.url, database: 'chcost_idle' })
    clients.push(c)
    await migrate(c, { database: 'chcost_idle', log: () => {} })
    await sleep(2_000)
    const i0 = procCpuSeconds(server.pid)!
    await sleep(idleSec * 1000)
    idleMsPerSec = +(((procCpuSeconds(server.pid)! - i0) * 1000) / idleSec).toFixed(2)
    log(`idle: ${idleMsPerSec} ms CPU per second`)
    await c.command({ query: 'DROP DATABASE chcost_idle SYNC' })
  }
  for (let r = 0; r < repeat; r++) {
    for (const variant of r % 2 ? [...variants].reverse() : variants) {
      const db = `chcost_${variant}_${r}`
      const c = await createClickHouse({ url: server.url, database: db })
      clients.push(c)
      await migrate(c, { database: db, log: () => {} })
      if (variant === 'no_views' || variant === 'null_table') for (const v of VIEWS) await c.command({ query: `DROP VIEW ${v}` })
      if (variant === 'metrics_views') for (const v of VIEWS.filter((x) => x.startsWith('scores'))) await c.command({ query: `DROP VIEW ${v}` })
      if (variant === 'scores_views') for (const v of VIEWS.filter((x) => x.startsWith('metrics'))) await c.command({ query: `DROP VIEW ${v}` })
      for (const col of variant === 'zstd1' || variant === 'lz4' ? ['prompt_text', 'response_text', 'score_details'] : []) {
        const type = col === 'score_details' ? 'Array(String)' : 'String'
        await c.command({ query: `ALTER TABLE interactions MODIFY COLUMN ${col} ${type} CODEC(${variant === 'lz4' ? 'LZ4' : 'ZSTD(1)'})` })
      }
      if (variant === 'no_index') await c.command({ query: 'ALTER TABLE interactions DROP INDEX idx_event_id' })
      if (variant === 'cascade') for (const q of CASCADE) await c.command({ query: q })
      if (variant === 'lazy_merge') for (const t of MERGE_TABLES) for (const m of MERGE_SETTINGS) await c.command({ query: `ALTER TABLE ${t} MODIFY SETTING ${m}` })
      const table = variant === 'null_table' ? 'interactions_null' : TABLES.interactions
      if (variant === 'null_table') await c.command({ query: 'CREATE TABLE interactions_null AS interactions ENGINE = Null' })
      const rs = await c.query({ query: `SELECT name, type FROM system.columns WHERE database = '${db}' AND table = '${table}'`, format: 'JSONEachRow' })
      const types = new Map((await rs.json<{ name: string; type: string }>()).map((x) => [x.name, x.type]))
      const enc = rowBinaryEncoder(columns, columns.map((x) => types.get(x)!))
      await sleep(500)
      const s0 = procCpuSeconds(server.pid)!
      const c0 = process.cpuUsage()
      const perInsert = variant === 'big_inserts' ? 3 * batch : batch
      const t0 = performance.now()
      for (let i = 0, k = 0; i < rows.length; i += perInsert, k++) {
        if (intervalMs > 0) await sleep(Math.max(0, t0 + k * intervalMs - performance.now()))
        const part = rows.slice(i, i + perInsert)
        if (variant === 'json') await c.insert({ table, columns: columns as [string, ...string[]], values: compactBody(part, columns), format: 'JSONCompactEachRow' })
        else await insertRowBinary(c.exec.bind(c), table, enc, part)
      }
      const cd = process.cpuUsage(c0)
      const s1 = procCpuSeconds(server.pid)!
      await sleep(settleSec * 1000)
      const s2 = procCpuSeconds(server.pid)!
      let merge = NaN
      if (optimize) {
        const m0 = procCpuSeconds(server.pid)!
        for (const t of variant === 'null_table' ? [] : MERGE_TABLES) await c.command({ query: `OPTIMIZE TABLE ${t} FINAL` })
        merge = +(((procCpuSeconds(server.pid)! - m0) * 1000) / N).toFixed(4)
      }
      const res = (results[variant] ??= { insert: [], settle: [], client: [], merge: [] })
      res.merge.push(merge)
      res.insert.push(+(((s1 - s0) * 1000) / N).toFixed(4))
      res.settle.push(+(((s2 - s1) * 1000) / N).toFixed(4))
      res.client.push(+((cd.user + cd.system) / 1000 / N).toFixed(4))
      log(`round ${r + 1} ${variant}: server ${res.insert.at(-1)} ms/event inserting + ${res.settle.at(-1)} settling${optimize ? `, ${merge} merging every part (OPTIMIZE FINAL)` : ''}; client ${res.client.at(-1)}`)
      const size = await c.query({ query: `SELECT sum(data_compressed_bytes) AS b FROM system.columns WHERE database = '${db}' AND table = 'interactions'`, format: 'JSONEachRow' })
      const bytes = Number((await size.json<{ b: string }>())[0]?.b ?? 0)
      ;(storedBytes[variant] ??= []).push(Math.round(bytes / N))
      await c.command({ query: `DROP DATABASE ${db} SYNC` })
    }
  }
  const out = {
    bench: 'sink-clickhouse', events: N, batch, repeat, settle_s: settleSec, interval_ms: intervalMs, idle_ms_per_s: idleMsPerSec,
    ms_per_event: Object.fromEntries(Object.entries(results).map(([v, r]) => [v, {
      server_insert: median(r.insert), server_settle: median(r.settle), server_total: +(median(r.insert) + median(r.settle)).toFixed(4), ...(optimize ? { server_optimize_final: median(r.merge) } : {}), client: median(r.client), stored_bytes_per_event: median(storedBytes[v] ?? [NaN]), runs: r,
    }])),
  }
  process.stdout.write(`${JSON.stringify(out, null, argv.includes('--json') ? undefined : 2)}\n`)
} finally {
  for (const c of clients) await c.close()
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
