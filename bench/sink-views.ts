/**
 * What the materialized views cost the sink's inserts.
 *
 *   npx tsx bench/sink-views.ts [--json] [--events 9000] [--repeat 3]
 *
 * The same rows (generated traffic through the real scorers, the sink's own mapping, redacted
 * text) are inserted with the sink's BufferedWriter, 1,800 events per insert, into two fresh
 * databases of one embedded chDB: one with every migration (the four aggregate views), one with
 * the views dropped. Alternated --repeat times; CPU is this process's (chDB's threads included).
 * Progress on stderr; the last stdout line is the JSON result.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMPACT_COLUMNS, scoredUnit, TABLES } from '../services/sink/rows.js'
import { BufferedWriter } from '../services/sink/writer.js'
import { scoreEvent } from '../services/scorer/engine.js'
import { defaultScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS } from '../services/scorer/scorers/index.js'
import { createEmbeddedClickHouse } from '../shared/clickhouse.js'
import { silentLogger } from '../shared/logger.js'
import { migrate } from '../shared/migrate.js'
import { generateEvents } from '../shared/traffic/index.js'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name)
  return i < 0 ? dflt : Number(process.argv[i + 1])
}
const json = process.argv.includes('--json')
const N = arg('--events', 9000)
const repeat = arg('--repeat', 3)
const VIEWS = ['metrics_1m_mv', 'metrics_1h_mv', 'scores_1m_mv', 'scores_1h_mv']
const log = (m: string) => process.stderr.write(`[sink-views] ${m}\n`)

const dir = mkdtempSync(join(tmpdir(), 'llmwatch-bench-views-'))
try {
  log(`scoring ${N} generated events ...`)
  const config = defaultScorerConfig(SCORERS)
  const scored = generateEvents(N, 3, { ratePerSec: 50 }).map((e) => scoreEvent(e, SCORERS, config))
  const client = await createEmbeddedClickHouse({ database: 'bench', path: dir })
  const run = async (db: string, views: boolean): Promise<number> => {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` })
    await migrate(client, { database: db, log: () => {} })
    if (!views) for (const v of VIEWS) await client.command({ query: `DROP VIEW IF EXISTS ${db}.${v}` })
    await client.command({ query: `USE ${db}` })
    const units = scored.map((v, i) => scoredUnit(v, { topic: db, partition: 0, offset: String(i) }, 'redacted'))
    const writer = new BufferedWriter({
      client, tables: [TABLES.interactions], batchRows: 1_000_000, flushMs: 5, retryBudgetMs: 1_000,
      logger: silentLogger, deadLetter: async () => {}, compactColumns: COMPACT_COLUMNS,
    })
    const cpu0 = process.cpuUsage()
    for (let i = 0; i < units.length; i += 1800) await writer.write(units.slice(i, i + 1800))
    const cpu = process.cpuUsage(cpu0)
    return (cpu.user + cpu.system) / 1000 / N
  }
  const withViews: number[] = []
  const without: number[] = []
  for (let r = 0; r < repeat; r++) {
    withViews.push(await run(`views_${r}`, true))
    without.push(await run(`plain_${r}`, false))
    log(`round ${r + 1}/${repeat}: ms CPU per event with views ${withViews[r]!.toFixed(3)}, without ${without[r]!.toFixed(3)}`)
  }
  await client.close()
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const result = { bench: 'sink-views', events: N, repeat, ms_cpu_per_event: { with_views: withViews.map((x) => +x.toFixed(4)), without_views: without.map((x) => +x.toFixed(4)) }, median_ratio_with_to_without: +(median(withViews) / median(without)).toFixed(3) }
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
