/**
 * The sink's per-record work from Avro bytes to RowBinary bytes, in this process, no Kafka or
 * ClickHouse: the transcoder (services/sink/transcode.ts) against the path it replaces
 * (codec.decode + scoredUnit + the RowBinary encoder).
 *
 *   npx tsx bench/sink-transcode.ts [--json] [--events 6000] [--rounds 30]
 *
 * Data: generated traffic through the real scorers (redacted text, ~10 score entries, ~2.4 KB of
 * Avro each), marked as redacted by the scorer (so neither path runs a second PII pass). Each round
 * runs both paths over every record, in alternating order; reported: the fastest round's wall time
 * per record (the work itself, without other processes' interference) and the median round's CPU
 * time per record (process.cpuUsage: garbage collection included). Progress on stderr; the last
 * stdout line is the JSON result.
 */
import { Codec } from '../shared/codec.js'
import { PII_REDACTION, REDACTION_HEADER } from '../shared/pii.js'
import { generateEvents } from '../shared/traffic/index.js'
import { scoreEvent } from '../services/scorer/engine.js'
import { defaultScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS } from '../services/scorer/scorers/index.js'
import { rowBinaryEncoder } from '../services/sink/rowbinary.js'
import { COMPACT_COLUMNS, redactedByScorer, scoredUnit, TABLES } from '../services/sink/rows.js'
import { INTERACTIONS_COLUMN_TYPES, ScoredTranscoder } from '../services/sink/transcode.js'

const argv = process.argv.slice(2)
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(name)
  return i < 0 ? dflt : String(argv[i + 1])
}
const N = Number(arg('--events', '6000'))
const rounds = Number(arg('--rounds', '30'))
const log = (m: string) => process.stderr.write(`[sink-transcode] ${m}\n`)

const columns = COMPACT_COLUMNS[TABLES.interactions]!
const enc = rowBinaryEncoder(columns, columns.map((c) => INTERACTIONS_COLUMN_TYPES[c] ?? 'LowCardinality(String)'))
const codec = Codec.load()
const tc = ScoredTranscoder.create(codec)
if (!tc) throw new Error('the transcoder does not take this ScoredInteraction schema')

log(`scoring ${N} generated events ...`)
const config = defaultScorerConfig(SCORERS)
const values = generateEvents(N, 7).map((e) => codec.encode('ScoredInteraction', scoreEvent(e, SCORERS, config, { textMode: 'redacted' })))
const headers = { [REDACTION_HEADER]: PII_REDACTION }
const src = (i: number) => ({ topic: 'llm.scores', partition: i % 6, offset: String(i) })

let sink = 0
const paths: Record<string, () => void> = {
  reference: () => {
    const rows: Record<string, unknown>[] = []
    for (let i = 0; i < N; i++) {
      const r = codec.decode('ScoredInteraction', values[i]!, headers)
      if (!r.ok) throw new Error(r.reason)
      rows.push(scoredUnit(r.value, src(i), 'redacted', redactedByScorer(r.value, headers)).rows[TABLES.interactions]![0]!)
    }
    for (const c of enc.chunks(rows)) sink += c.length
  },
  transcoder: () => {
    const rows: Record<string, unknown>[] = []
    for (let i = 0; i < N; i++) rows.push(tc.unit(values[i]!, headers, src(i), 'redacted')!.rows[TABLES.interactions]![0]!)
    for (const c of enc.chunks(rows)) sink += c.length
  },
}
const wall: Record<string, number[]> = { reference: [], transcoder: [] }
const cpu: Record<string, number[]> = { reference: [], transcoder: [] }
for (let r = 0; r < rounds; r++) {
  for (const name of r % 2 ? ['transcoder', 'reference'] : ['reference', 'transcoder']) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    paths[name]!()
    const t = ((performance.now() - t0) * 1000) / N
    const c = process.cpuUsage(c0)
    wall[name]!.push(t)
    cpu[name]!.push((c.user + c.system) / N)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const us = (x: number) => +x.toFixed(2)
const result = {
  bench: 'sink-transcode', events: N, rounds, avro_bytes_per_record: Math.round(values.reduce((a, v) => a + v.length, 0) / N), rowbinary_bytes: sink > 0 ? Math.round(sink / N / rounds / 2) : 0,
  us_per_record: Object.fromEntries(Object.keys(paths).map((k) => [k, { fastest_round_wall: us(Math.min(...wall[k]!)), median_round_cpu: us(median(cpu[k]!)) }])),
}
log(JSON.stringify(result.us_per_record))
process.stdout.write(`${JSON.stringify(result, null, argv.includes('--json') ? undefined : 2)}\n`)
