/**
 * Sink benchmark.
 *
 *   npx tsx bench/sink.ts [--json] [--events 30000] [--batches 1000,5000,20000,60000] [--repeat 3] [--simple]
 *   npx tsx bench/sink.ts --stages [--json] [--events 10000] [--repeat 3] [--formats compact,json]
 *   npx tsx bench/sink.ts --process [--json] [--events 30000] [--repeat 2] [--checkouts DIR,DIR]
 *
 * --process: the deployed sink (`node <checkout>/bin/llmwatch.mjs run sink`, a child process with
 * its defaults) drains the topic into the served ClickHouse (a fresh database and group per run),
 * once per checkout per repeat, checkouts alternated (default: this one; give a worktree of an
 * older commit to compare in the same minutes). Per run: the sink's and the server's CPU ms per
 * event (/proc, from the sink's start until every row is stored, then 3 s of the server's merges;
 * the sink's also from its first stored row on, without start-up: `sinkSteadyCpuMsPerEvent`),
 * the sink's peak RSS (VmHWM) and events/s from the first stored row.
 *
 * --stages: CPU time per event of each sink stage, no Kafka (see stages() below).
 *
 * Data: --events ScoredInteraction records, the traffic generator's events through the real scorers
 * (~10 score entries with their evidence, ~800 chars of redacted text, ~2.3 KB Avro each; --simple:
 * the earlier synthetic records with 7 entries, ~300 chars and empty evidence), Avro-encoded and
 * produced once to a fresh 6-partition topic.
 * For each batch size (SINK_BATCH_ROWS) of the sweep, in a fresh database with all materialized
 * views on:
 *  1. raw: the same rows (built by the sink's own mapping) inserted with client.insert in chunks
 *     of that size in the sink's format (JSONCompactEachRow), no Kafka: the ClickHouse ceiling,
 *     twice: into chDB in this process (`inProcess`) and through `llmwatch clickhouse serve` (a
 *     child process on its own directory, over HTTP, as the services write: `served`), --repeat
 *     times each (default 3) in alternating order, the median run reported; `servedVsInProcess` is
 *     the ratio of their rates.
 *  2. sink: a real sink (new consumer group, reads the topic from the beginning) writing to the
 *     served ClickHouse, until every row is stored and its group lag is 0. Rate = rows / time from
 *     partition assignment to the end (the consumer-group join before it is reported apart: it is
 *     not throughput). CPU per event: this process's (the sink) and the server's, apart.
 * SINK_BATCH_ROWS is the flush trigger: one partition fetch (up to 1 MiB) is written whole, so
 * small settings give inserts of one fetch each rather than inserts of exactly that many rows.
 * Kafka: KAFKA_BROKERS, a broker from `llmwatch infra up`, or a temporary local broker.
 * Everything but the server runs in this one process on a shared 2-core machine. Progress on stderr; with --json
 * the last stdout line is the JSON result.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSink } from '../services/sink/sink.js'
import { scoredUnit, TABLES, COMPACT_COLUMNS } from '../services/sink/rows.js'
import { BufferedWriter, compactBody } from '../services/sink/writer.js'
import { scoreEvent } from '../services/scorer/engine.js'
import { defaultScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS as SCORER_IMPLS } from '../services/scorer/scorers/index.js'
import { createClickHouse, createEmbeddedClickHouse, type ClickHouseClient } from '../shared/clickhouse.js'
import { startServedClickHouse } from '../shared/infra/clickhouse-local.js'
import { procCpuSeconds } from './pipeline/children.js'
import { Codec } from '../shared/codec.js'
import type { ScoredInteraction } from '../shared/contract.js'
import { createKafka, type KafkaHandle } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { migrate } from '../shared/migrate.js'
import { generateEvents } from '../shared/traffic/index.js'
import { brokersFor, log, prng, sleep } from './common.js'
import { resolve as resolvePath } from 'node:path'
import { repoPath } from '../shared/paths.js'
import { startChild } from './pipeline/children.js'
import { PII_REDACTION, REDACTION_HEADER } from '../shared/pii.js'

interface Args {
  json: boolean
  events: number
  batches: number[]
  stages: boolean
  repeat: number
  /** Kafka mode: the old synthetic records (7 scores, short text, empty evidence) instead of scored traffic. */
  simple: boolean
  /** --stages: insert formats to measure ('compact' = the sink's JSONCompactEachRow, 'json' = JSONEachRow). */
  formats: ('compact' | 'json')[]
  process: boolean
  checkouts: string[]
}

function parse(argv: readonly string[]): Args {
  const a: Args = { json: false, events: 30_000, batches: [1_000, 5_000, 20_000, 60_000], stages: false, repeat: 3, formats: ['compact'], simple: false, process: false, checkouts: [repoPath()] }
  if (argv.includes('--stages')) a.events = 10_000
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    if (k === '--json') a.json = true
    else if (k === '--stages') a.stages = true
    else if (k === '--simple') a.simple = true
    else if (k === '--process') a.process = true
    else if (k === '--checkouts') a.checkouts = String(argv[++i]).split(',').map((d) => resolvePath(d))
    else if (k === '--repeat') a.repeat = Number(argv[++i])
    else if (k === '--formats') {
      const fs = String(argv[++i]).split(',')
      if (fs.some((f) => f !== 'compact' && f !== 'json')) throw new Error('--formats takes compact and/or json')
      a.formats = fs as Args['formats']
    }
    else if (k === '--events') a.events = Number(argv[++i])
    else if (k === '--batches') a.batches = String(argv[++i]).split(',').map(Number)
    else throw new Error(`unknown argument ${k} (usage: bench/sink.ts [--json] [--events N] [--batches a,b,c] [--repeat N] [--simple] | --stages [--json] [--events N] [--repeat N] [--formats compact,json])`)
  }
  if (!(a.events > 0) || !(a.repeat > 0) || a.batches.some((b) => !(b > 0))) throw new Error('--events and --batches must be positive')
  return a
}


const APPS = ['support-bot', 'rag-search', 'code-helper', 'sales-email', 'summarizer']
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-sonnet', 'claude-3-5-haiku', 'llama-3.1-70b', 'mistral-large', 'gemini-1.5-pro']
const SCORERS = ['toxicity', 'bias', 'hallucination', 'latency', 'cost', 'pii', 'injection']

function makeEvents(n: number): ScoredInteraction[] {
  const rnd = prng(42)
  const now = Date.now() - 3_600_000
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  return Array.from({ length: n }, (_, i) => {
    const start = now + Math.floor((i / n) * 3_000_000)
    const latency = 200 + Math.floor(rnd() * 3000)
    return {
      event_id: randomUUID(),
      app_name: pick(APPS),
      environment: rnd() < 0.9 ? 'production' : 'staging',
      provider_name: 'openai',
      operation_name: 'chat',
      request_model: pick(MODELS),
      response_model: null,
      prompt_template_id: 'tpl',
      prompt_template_version: `v${1 + Math.floor(rnd() * 3)}`,
      trace_id: null,
      session_id: null,
      user_id_hash: null,
      request_start_time: start,
      end_time: start + latency,
      scored_time: start + latency + 3,
      latency_ms: latency,
      ttft_ms: latency / 5,
      usage_input_tokens: 500,
      usage_output_tokens: 150,
      usage_cached_input_tokens: 100,
      cost_usd: 0.0012,
      cache_hit: rnd() < 0.1,
      status: rnd() < 0.02 ? 'error' : 'ok',
      error_type: null,
      text_mode: 'redacted',
      prompt_text: 'Summarize the attached ticket and suggest a reply for the customer, keep it short.',
      response_text: 'The customer cannot log in after the update. Suggested reply: please clear the cache and sign in again; if it persists we will reset the account.',
      scores: SCORERS.map((name) => {
        const value = rnd()
        return { name, target: 'response' as const, version: '1', status: 'ok' as const, value, label: value > 0.8 ? 'flagged' : '', flagged: value > 0.8, details: '{}' }
      }),
    }
  })
}

interface RawResult { batchRows: number; seconds: number; rowsPerSec: number; eventsPerSec: number }
interface SinkResult extends RawResult { joinSeconds: number; flushes: number; ratioToRaw: number; cpuMsPerEvent: number; clickhouseCpuMsPerEvent: number }

async function count(client: ClickHouseClient, table: string): Promise<number> {
  const rs = await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })
  return Number((await rs.json<{ n: string }>())[0]?.n)
}

/** Realistic records: the traffic generator's events through the real scorers, text redacted. */
function scoredTraffic(n: number): ScoredInteraction[] {
  const config = defaultScorerConfig(SCORER_IMPLS)
  return generateEvents(n, 7).map((e) => scoreEvent(e, SCORER_IMPLS, config, { textMode: 'redacted' }))
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since)
  return (d.user + d.system) / 1000
}

/**
 * --stages: where the sink's CPU goes, without Kafka. Realistic ScoredInteractions (traffic
 * generator + scorers, ~10 score entries each), Avro-encoded once; then per repeat, in this process:
 *  decode: codec.decode of every message (Avro + zod, as the shared runner does);
 *  map:    the sink's row mapping (scoredUnit, SINK_TEXT_MODE redacted);
 *  write:  BufferedWriter into a fresh chDB database with all views (serialization + chDB insert),
 *          fed per partition batch of 1,000 events over 6 partitions, default SINK_BATCH_ROWS; once
 *          per --formats entry (compact = the sink's JSONCompactEachRow, json = JSONEachRow as
 *          before), alternating their order from one repeat to the next.
 * CPU is process.cpuUsage (user + system, all threads: chDB's included), not wall time.
 */
async function stages(args: Args): Promise<void> {
  const chPath = mkdtempSync(join(tmpdir(), 'llmwatch-bench-ch-'))
  const codec = Codec.load()
  let peakRss = 0
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50)
  try {
    const events = scoredTraffic(args.events)
    const bufs = events.map((e) => codec.encode('ScoredInteraction', e))
    const rowsPerEvent = 1 // one interactions row per event, its scores on it (migration 0004)
    log(`${events.length} events, ${(bufs.reduce((a, b) => a + b.length, 0) / bufs.length).toFixed(0)} B Avro each, ${rowsPerEvent.toFixed(2)} rows each`)
    const runs: { decode: number; map: number; write: Record<string, number> }[] = []
    const per = (ms: number) => +(ms / events.length).toFixed(4)
    for (let r = 0; r < args.repeat; r++) {
      let t = process.cpuUsage()
      const decoded: ScoredInteraction[] = []
      for (const b of bufs) {
        const res = codec.decode('ScoredInteraction', b)
        if (!res.ok) throw new Error(res.reason)
        decoded.push(res.value)
      }
      const decode = cpuMs(t)
      t = process.cpuUsage()
      const units = decoded.map((v, i) => ({ ...scoredUnit(v, { topic: 'bench', partition: i % 6, offset: String(Math.floor(i / 6)) }, 'redacted'), source: v }))
      const map = cpuMs(t)
      const write: Record<string, number> = {}
      // Formats alternate in order from one repeat to the next, so a change of machine load hits both.
      const formats = r % 2 === 0 ? args.formats : [...args.formats].reverse()
      for (const format of formats) {
        const db = `bench_stages_${r}_${format}`
        const client = await createEmbeddedClickHouse({ database: db, path: chPath })
        await migrate(client, { database: db })
        t = process.cpuUsage()
        const writer = new BufferedWriter({
          client, tables: [TABLES.interactions, TABLES.alerts], batchRows: 20_000, flushMs: 1_000, retryBudgetMs: 5_000,
          logger: silentLogger, deadLetter: async () => { throw new Error('unexpected dead letter') },
          ...(format === 'compact' ? { compactColumns: COMPACT_COLUMNS } : {}),
        })
        // As the runner hands them over: one batch per partition, 1,000 events each.
        const writes: Promise<void>[] = []
        for (let i = 0; i < units.length; i += 6_000) {
          for (let p = 0; p < 6; p++) writes.push(writer.write(units.slice(i, i + 6_000).filter((u) => u.partition === p)))
        }
        await writer.close()
        await Promise.all(writes)
        write[format] = per(cpuMs(t))
        const stored = await count(client, 'scores')
        if (stored !== events.reduce((a, e) => a + e.scores.length, 0)) throw new Error(`stored ${stored} score rows, expected more`)
        // Dropped so its background merges do not bill the next measurement.
        await client.command({ query: `DROP DATABASE ${db} SYNC` })
        await client.close()
      }
      runs.push({ decode: per(decode), map: per(map), write })
      log(`run ${r + 1}: ms CPU per event: decode ${per(decode)}, map ${per(map)}, write ${JSON.stringify(write)}`)
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const result = {
      benchmark: 'sink-stages', events: args.events, rowsPerEvent: +rowsPerEvent.toFixed(2), runs,
      medianMsPerEvent: {
        decode: median(runs.map((x) => x.decode)),
        map: median(runs.map((x) => x.map)),
        write: Object.fromEntries(args.formats.map((f) => [f, median(runs.map((x) => x.write[f]!))])),
      },
      peakRssMb: Math.round(peakRss / 1e6),
    }
    process.stdout.write(`${JSON.stringify(result, null, args.json ? undefined : 2)}\n`)
  } finally {
    clearInterval(rssTimer)
    rmSync(chPath, { recursive: true, force: true })
  }
}

/** --process: the deployed sink of each checkout, alternated (see the top of this file). */
async function processes(args: Args): Promise<void> {
  const chPath = mkdtempSync(join(tmpdir(), 'llmwatch-bench-ch-'))
  const infra = await brokersFor()
  const kafka: KafkaHandle = createKafka({ brokers: infra.brokers, clientId: 'bench-sink', logger: silentLogger, partitions: 6 })
  const codec = Codec.load()
  const server = await startServedClickHouse({ path: join(chPath, 'served'), logFile: join(chPath, 'served.log'), env: { CLICKHOUSE_SERVE_PORT: '0', LOG_LEVEL: 'info' }, log })
  const admin = await createClickHouse({ url: server.url, database: 'default' })
  try {
    const events = scoredTraffic(args.events)
    const topic = `bench-scores-${randomUUID().slice(0, 8)}`
    await kafka.ensureTopics([{ name: topic, partitions: 6 }, { name: `${topic}-alerts`, partitions: 1 }, { name: `${topic}-dlq`, partitions: 1 }])
    const producer = await kafka.producer()
    // As the scorer writes them: marked as redacted by this detector, so the sink skips its second PII pass.
    const headers = { [REDACTION_HEADER]: PII_REDACTION }
    for (let i = 0; i < events.length; i += 2_000) {
      await producer.send(topic, events.slice(i, i + 2_000).map((e) => ({ key: e.event_id, value: codec.encode('ScoredInteraction', e), headers })))
    }
    await producer.disconnect()
    log(`produced ${events.length} events to ${topic}`)
    const runs: { checkout: string; sinkCpuMsPerEvent: number; sinkSteadyCpuMsPerEvent: number; clickhouseCpuMsPerEvent: number; sinkPeakRssMb: number; eventsPerSec: number }[] = []
    for (let r = 0; r < args.repeat; r++) {
      for (const checkout of r % 2 ? [...args.checkouts].reverse() : args.checkouts) {
        const db = `bench_proc_${r}_${runs.length}`
        const env = {
          KAFKA_BROKERS: infra.brokers.join(','), CLICKHOUSE_URL: server.url, CLICKHOUSE_DATABASE: db, LOG_LEVEL: 'warn',
          SINK_SCORES_TOPIC: topic, SINK_ALERTS_TOPIC: `${topic}-alerts`, SINK_DLQ_TOPIC: `${topic}-dlq`, SINK_GROUP_ID: `bench-sink-${randomUUID().slice(0, 8)}`,
        }
        const serverCpu0 = procCpuSeconds(server.pid) ?? NaN
        const { child } = await startChild({ name: 'sink', env, logDir: chPath, args: [join(checkout, 'bin', 'llmwatch.mjs'), 'run', 'sink'] })
        let firstRowAt = 0
        let firstRows = 0
        let sinkCpuAtFirst = NaN
        for (;;) {
          child.sample()
          if (child.exited()) throw new Error(`the sink of ${checkout} exited (log ${child.logFile})`)
          // From system.parts: no error (and no client log line) before the sink created the table.
          const rs = await admin.query({ query: `SELECT sum(rows) AS n FROM system.parts WHERE database = '${db}' AND table = 'interactions' AND active`, format: 'JSONEachRow' })
          const n = Number((await rs.json<{ n: string }>())[0]?.n ?? 0)
          if (n > 0 && !firstRowAt) {
            firstRowAt = performance.now()
            firstRows = n
            sinkCpuAtFirst = child.cpuSeconds() ?? NaN
          }
          if (n >= events.length) break
          await sleep(100)
        }
        const sec = (performance.now() - firstRowAt) / 1000
        child.sample()
        const sinkCpu = child.cpuSeconds() ?? NaN
        await sleep(3_000) // the server's merges of what was inserted
        const serverCpu = (procCpuSeconds(server.pid) ?? NaN) - serverCpu0
        await child.stop()
        const run = {
          checkout, sinkCpuMsPerEvent: +((sinkCpu * 1000) / events.length).toFixed(4),
          // Without start-up and migrations: from the first stored row on, per event stored since.
          sinkSteadyCpuMsPerEvent: +(((sinkCpu - sinkCpuAtFirst) * 1000) / (events.length - firstRows)).toFixed(4), clickhouseCpuMsPerEvent: +((serverCpu * 1000) / events.length).toFixed(4),
          sinkPeakRssMb: Math.round(child.peak().hwmMb), eventsPerSec: Math.round(events.length / sec),
        }
        runs.push(run)
        log(`run ${r + 1} ${checkout}: sink ${run.sinkCpuMsPerEvent} ms CPU/event (${run.sinkSteadyCpuMsPerEvent} from the first row on), clickhouse ${run.clickhouseCpuMsPerEvent}, sink peak RSS ${run.sinkPeakRssMb} MB, ${run.eventsPerSec} events/s`)
        await admin.command({ query: `DROP DATABASE ${db} SYNC` })
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const result = {
      benchmark: 'sink-process', events: args.events, partitions: 6, runs,
      medians: Object.fromEntries(args.checkouts.map((c) => {
        const rs = runs.filter((x) => x.checkout === c)
        return [c, { sinkCpuMsPerEvent: median(rs.map((x) => x.sinkCpuMsPerEvent)), sinkSteadyCpuMsPerEvent: median(rs.map((x) => x.sinkSteadyCpuMsPerEvent)), clickhouseCpuMsPerEvent: median(rs.map((x) => x.clickhouseCpuMsPerEvent)), sinkPeakRssMb: median(rs.map((x) => x.sinkPeakRssMb)), eventsPerSec: median(rs.map((x) => x.eventsPerSec)) }]
      })),
    }
    process.stdout.write(`${JSON.stringify(result, null, args.json ? undefined : 2)}\n`)
  } finally {
    await admin.close()
    await server.stop()
    await kafka.close()
    await infra.stop()
    rmSync(chPath, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2))
  if (args.stages) return stages(args)
  if (args.process) return processes(args)
  const chPath = mkdtempSync(join(tmpdir(), 'llmwatch-bench-ch-'))
  const infra = await brokersFor()
  const kafka: KafkaHandle = createKafka({ brokers: infra.brokers, clientId: 'bench-sink', logger: silentLogger, partitions: 6 })
  const codec = Codec.load()
  const clients: ClickHouseClient[] = []
  const server = await startServedClickHouse({
    path: join(chPath, 'served'), logFile: join(chPath, 'served.log'), env: { CLICKHOUSE_SERVE_PORT: '0', LOG_LEVEL: 'info' }, log,
  })
  try {
    const events = args.simple ? makeEvents(args.events) : scoredTraffic(args.events)
    const units = events.map((e, i) => scoredUnit(e, { topic: 'bench', partition: 0, offset: String(i) }, 'redacted'))
    const interactionRows = units.flatMap((u) => u.rows[TABLES.interactions] ?? [])
    const totalRows = interactionRows.length
    log(`${args.events} events = ${totalRows} rows (one per event, its ${events.reduce((a, e) => a + e.scores.length, 0)} scores on them)`)

    const topic = `bench-scores-${randomUUID().slice(0, 8)}`
    const alertsTopic = `${topic}-alerts`
    await kafka.ensureTopics([{ name: topic, partitions: 6 }, { name: alertsTopic, partitions: 1 }])
    const producer = await kafka.producer()
    for (let i = 0; i < events.length; i += 2_000) {
      await producer.send(topic, events.slice(i, i + 2_000).map((e) => ({ key: e.event_id, value: codec.encode('ScoredInteraction', e) })))
    }
    await producer.disconnect()
    log(`produced ${events.length} events to ${topic}`)

    const raw: RawResult[] = []
    const served: RawResult[] = []
    const sink: SinkResult[] = []
    /** Every table's rows, as the sink's mapping makes them. */
    const tableRows = [...new Set(units.flatMap((u) => Object.keys(u.rows)))].map((t) => [t, units.flatMap((u) => u.rows[t] ?? [])] as const)
    /** Inserts every row in chunks of `batchRows` (the sink's format); seconds. */
    const insertAll = async (client: ClickHouseClient, batchRows: number): Promise<number> => {
      const t0 = performance.now()
      for (const [table, rows] of tableRows) {
        const columns = COMPACT_COLUMNS[table]!
        // The sink's insert: the rows streamed to the client (compactBody), as services/sink/writer.ts does.
        for (let i = 0; i < rows.length; i += batchRows) {
          await client.insert({ table, columns: columns as [string, ...string[]], values: compactBody(rows.slice(i, i + batchRows), columns), format: 'JSONCompactEachRow' })
        }
      }
      return (performance.now() - t0) / 1000
    }
    const rawResult = (batchRows: number, sec: number): RawResult => ({ batchRows, seconds: +sec.toFixed(3), rowsPerSec: Math.round(totalRows / sec), eventsPerSec: Math.round(args.events / sec) })
    for (const [bi, batchRows] of args.batches.entries()) {
      // 1. raw inserts, views on, no Kafka: in this process and through the server, --repeat times
      // each in alternating order (the machine's load moves); the median run of each is reported.
      const runs: Record<'inProcess' | 'served', number[]> = { inProcess: [], served: [] }
      for (let rep = 0; rep < args.repeat; rep++) {
        for (const where of (bi + rep) % 2 === 0 ? ['inProcess', 'served'] as const : ['served', 'inProcess'] as const) {
          const rawDb = `bench_raw_${bi}_${rep}_${where}`
          const rc = where === 'inProcess' ? await createEmbeddedClickHouse({ database: rawDb, path: chPath }) : await createClickHouse({ url: server.url, database: rawDb })
          clients.push(rc)
          await migrate(rc, { database: rawDb })
          const sec = await insertAll(rc, batchRows)
          runs[where].push(sec)
          log(`raw   batch ${batchRows} ${where === 'inProcess' ? 'in-process' : 'served    '}: ${Math.round(totalRows / sec)} rows/s`)
          // Dropped so its background merges do not bill the next measurement.
          await rc.command({ query: `DROP DATABASE ${rawDb} SYNC` })
        }
      }
      const medianSec = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
      raw.push(rawResult(batchRows, medianSec(runs.inProcess)))
      served.push(rawResult(batchRows, medianSec(runs.served)))

      // 2. the sink from Kafka.
      const db = `bench_sink_${bi}`
      const sc = await createClickHouse({ url: server.url, database: db })
      clients.push(sc)
      await migrate(sc, { database: db })
      const groupId = `bench-sink-${randomUUID().slice(0, 8)}`
      const started = performance.now()
      const cpu0 = process.cpuUsage()
      const serverCpu0 = procCpuSeconds(server.pid) ?? NaN
      const s = await startSink({
        kafka, codec, logger: silentLogger, client: sc,
        config: { groupId, batchRows, flushMs: 1_000, retryBudgetMs: 5_000, textMode: 'redacted', concurrency: 6, scoresTopic: topic, alertsTopic, dlqTopic: `${topic}-dlq` },
      })
      // Throughput counts from the moment the group assigned the partitions: joining is not throughput.
      let joinedAt = 0
      for (;;) {
        if (!joinedAt && (s.health().assigned[topic]?.length ?? 0) > 0) joinedAt = performance.now()
        const inserted = Object.values(s.stats().insertedRows).reduce((a, b) => a + b, 0)
        if (inserted >= totalRows && (await kafka.groupLag(groupId, topic)) === 0) break
        await sleep(10)
      }
      const done = performance.now()
      const cpuMsPerEvent = +(cpuMs(cpu0) / args.events).toFixed(4)
      const clickhouseCpuMsPerEvent = +((((procCpuSeconds(server.pid) ?? NaN) - serverCpu0) * 1000) / args.events).toFixed(4)
      const flushes = s.stats().flushes
      await s.stop()
      const stored = await count(sc, 'interactions') // one row per event; `scores` is a view of it
      if (stored !== totalRows) throw new Error(`sink stored ${stored} rows, expected ${totalRows}`)
      const sec = (done - joinedAt) / 1000
      const rowsPerSec = Math.round(totalRows / sec)
      const rawRate = served[served.length - 1]!.rowsPerSec
      sink.push({
        batchRows, seconds: +sec.toFixed(3), joinSeconds: +((joinedAt - started) / 1000).toFixed(3),
        rowsPerSec, eventsPerSec: Math.round(args.events / sec), flushes, ratioToRaw: +(rowsPerSec / rawRate).toFixed(3), cpuMsPerEvent, clickhouseCpuMsPerEvent,
      })
      log(`sink  batch ${batchRows}: ${rowsPerSec} rows/s, ${cpuMsPerEvent} ms CPU per event in the sink + ${clickhouseCpuMsPerEvent} in the server (${flushes} flushes, group join ${((joinedAt - started) / 1000).toFixed(1)} s)`)
    }
    const servedVsInProcess = raw.map((r, i) => ({ batchRows: r.batchRows, ratio: +(served[i]!.rowsPerSec / r.rowsPerSec).toFixed(3) }))
    const result = {
      benchmark: 'sink', events: args.events, rowsPerEvent: totalRows / args.events, partitions: 6,
      clickhouse: 'raw: chDB in this process (raw) and llmwatch clickhouse serve (served); sink: served',
      raw, served, servedVsInProcess, sink,
    }
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`)
    else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } finally {
    for (const c of clients) await c.close()
    await server.stop()
    await kafka.close()
    await infra.stop()
    rmSync(chPath, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/sink failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
