/**
 * `npx tsx bench/insert-formats.ts [--events 9000] [--repeat 3] [--batch 1800] [--json]`: the CPU of
 * one insert of the sink's `interactions` rows (one per event, its scores on it), by format, in
 * this process with embedded chDB: JSONCompactEachRow (what the sink sends; JSON.stringify +
 * ClickHouse's JSON parser) against RowBinary (services/sink/rowbinary.ts, what the sink sends now,
 * + ClickHouse's binary reader). Both are read by the engine from a file (`INSERT ... SELECT * FROM file(...)`), with the
 * views on, so the difference is the serialization and the parsing alone. Reports ms of CPU per event,
 * and checks that both formats stored the same rows (a hash over every written column, per round).
 * Also the sink's row mapping (redacted mode) with and without its second PII pass.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Session } from 'chdb'
import { loadMigrations } from '../shared/migrate.js'
import { generateEvents } from '../shared/traffic/index.js'
import { scoreEvent } from '../services/scorer/engine.js'
import { defaultScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS } from '../services/scorer/scorers/index.js'
import { COMPACT_COLUMNS, scoredUnit, TABLES } from '../services/sink/rows.js'
import { rowBinaryEncoder } from '../services/sink/rowbinary.js'

const argv = process.argv.slice(2)
const arg = (name: string, def: number) => {
  const i = argv.indexOf(name)
  return i >= 0 ? Number(argv[i + 1]) : def
}
const N = arg('--events', 9000)
const repeat = arg('--repeat', 3)
const batch = arg('--batch', 1800)
const log = (m: string) => process.stderr.write(`[insert-formats] ${m}\n`)

const dir = mkdtempSync(join(tmpdir(), 'llmwatch-bench-formats-'))
const session = new Session(dir)
try {
  log(`scoring ${N} generated events ...`)
  const config = defaultScorerConfig(SCORERS)
  const scored = generateEvents(N, 3, { ratePerSec: 50 }).map((e) => scoreEvent(e, SCORERS, config))
  // The sink's row mapping in redacted mode, with its second PII pass (a record it must scan) and
  // without (a record the scorer marked as redacted by the same detector).
  const mapMs: Record<'scan' | 'trusted', number[]> = { scan: [], trusted: [] }
  for (let r = 0; r < repeat; r++) {
    for (const trusted of r % 2 ? [true, false] : [false, true]) {
      const t = process.cpuUsage()
      for (const [i, v] of scored.entries()) scoredUnit(v, { topic: 'bench', partition: 0, offset: String(i) }, 'redacted', trusted)
      const d = process.cpuUsage(t)
      mapMs[trusted ? 'trusted' : 'scan'].push(+((d.user + d.system) / 1000 / N).toFixed(4))
    }
  }
  log(`row mapping ms/event: with the second PII pass ${mapMs.scan.join(', ')}; trusted ${mapMs.trusted.join(', ')}`)
  const rows = scored.map((v, i) => scoredUnit(v, { topic: 'bench', partition: 0, offset: String(i) }, 'redacted').rows[TABLES.interactions]![0]!)
  const columns = COMPACT_COLUMNS[TABLES.interactions]!
  const cpu = () => process.cpuUsage()
  const ms = (t: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(t)
    return (d.user + d.system) / 1000
  }
  const encoders = {
    JSONCompactEachRow: (rs: Record<string, unknown>[]) => Buffer.from(rs.map((r) => JSON.stringify(columns.map((c) => r[c]))).join('\n')),
    RowBinary: (rs: Record<string, unknown>[], types: readonly string[]) => Buffer.concat([...rowBinaryEncoder(columns, types).chunks(rs)]),
  }
  const results: Record<string, { encode: number[]; insert: number[]; bytesPerEvent: number }> = {}
  const hashes: string[] = []
  for (let r = 0; r < repeat; r++) {
    for (const [format, encode] of r % 2 ? Object.entries(encoders).reverse() : Object.entries(encoders)) {
      const db = `f_${format}_${r}`
      await session.queryAsync(`CREATE DATABASE ${db}`)
      for (const m of await loadMigrations()) for (const st of m.statements) await session.queryAsync(st.replaceAll('{{database}}', db))
      const prefix = `INSERT INTO ${db}.interactions (${columns.join(', ')}) FORMAT ${format}`
      const types = await session.queryAsync(`SELECT name, type FROM system.columns WHERE database = '${db}' AND table = 'interactions'`, { format: 'JSONEachRow' })
      const typeOf = new Map(types.text().trim().split('\n').map((l) => JSON.parse(l) as { name: string; type: string }).map((c) => [c.name, c.type]))
      const structure = columns.map((c) => `${c} ${typeOf.get(c)}`).join(', ').replaceAll("'", "\\'")
      let encodeMs = 0
      let insertMs = 0
      let bytes = 0
      for (let i = 0; i < rows.length; i += batch) {
        let t = cpu()
        const body = encode(rows.slice(i, i + batch), columns.map((c) => typeOf.get(c)!))
        encodeMs += ms(t)
        bytes += body.length
        // Through a file: chDB's raw insert cuts binary payloads at a blank line ("\n\n" occurs in
        // texts), and its client connection turns bodies into strings; file() reads the bytes as they are.
        const file = join(dir, `batch.${format}`)
        writeFileSync(file, body)
        t = cpu()
        await session.queryAsync(`${prefix.replace(/ FORMAT \w+$/, '')} SELECT * FROM file('${file}', ${format}, '${structure}')`)
        insertMs += ms(t)
      }
      const stored = Number((await session.queryAsync(`SELECT count() FROM ${db}.interactions`, { format: 'CSV' })).text().trim())
      if (stored !== rows.length) throw new Error(`${format}: stored ${stored} of ${rows.length}`)
      const hash = (await session.queryAsync(`SELECT sum(cityHash64(${columns.join(', ')})) FROM ${db}.interactions`, { format: 'CSV' })).text().trim()
      if ((hashes[r] ??= hash) !== hash) throw new Error(`round ${r + 1}: ${format} stored other rows than the other format`)
      await session.queryAsync(`DROP DATABASE ${db} SYNC`)
      const res = (results[format] ??= { encode: [], insert: [], bytesPerEvent: 0 })
      res.encode.push(+(encodeMs / N).toFixed(4))
      res.insert.push(+(insertMs / N).toFixed(4))
      res.bytesPerEvent = Math.round(bytes / N)
      log(`round ${r + 1} ${format}: encode ${(encodeMs / N).toFixed(4)} ms/event, insert (parse + views) ${(insertMs / N).toFixed(4)} ms/event, ${Math.round(bytes / N)} B/event`)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const out = {
    bench: 'insert-formats', events: N, batch, repeat, same_rows: true,
    map_ms_per_event: { second_pii_pass: mapMs.scan, trusted: mapMs.trusted },
    formats: Object.fromEntries(Object.entries(results).map(([f, r]) => [f, { ...r, median_ms_per_event: +(median(r.encode) + median(r.insert)).toFixed(4) }])),
  }
  process.stdout.write(`${JSON.stringify(out, null, argv.includes('--json') ? undefined : 2)}\n`)
} finally {
  session.close()
  rmSync(dir, { recursive: true, force: true })
}
