/**
 * The floor of this stack (Node 20, kafkajs, avsc, chDB served over HTTP) for this design
 * (producer -> llm.interactions -> scorer -> llm.scores -> sink -> ClickHouse, alerter on llm.scores):
 * the least CPU per event each layer costs, measured alone with the pipeline's own events
 * (the traffic generator's, same sizes), then summed per service as the design places them.
 *
 *   npx tsx bench/floor.ts [--json] [--events 10000] [--rounds 3] [--batch 1500] [--quick]
 *
 * Layers (CPU ms per event, median of --rounds after a warm-up):
 *  1. scoring: `scoreEvent` with every scorer of config/scorers.json on (the learned ones included),
 *     text mode 'redacted', on decoded events;
 *  2. Avro (shared/codec.ts, bounds guard and contract check included, as the services decode):
 *     decode LlmInteraction, encode ScoredInteraction, decode ScoredInteraction in full (sink) and
 *     through the alerter's projection (ALERTER_SKIP_FIELDS); plus the sink's row mapping and
 *     RowBinary encoding (scoredUnit + rowBinaryEncoder);
 *  3. kafkajs through shared/kafka.ts on a private broker (this process's CPU, and the broker's from
 *     /proc/<pid>/stat, per record): (b) the scorer's hand-off without the scoring: consume
 *     llm.interactions-like records and, per batch, produce each one's pre-encoded ScoredInteraction
 *     (an array lookup) with the scorer's key and headers in a transaction with the batch's offsets
 *     (the service's group commit); (a) a consumer that only iterates the records of that
 *     transactional llm.scores-like topic (eachBatch, no decode), with the sink's and the alerter's
 *     fetch settings;
 *  4. ClickHouse served (`llmwatch clickhouse serve`, its own process): RowBinary inserts of the
 *     sink's rows, --batch rows about once a second, into a Null-engine table and into the real
 *     schema with its views; server CPU over the inserts plus 3 s of merges after, this process's
 *     CPU for encoding and sending.
 * The broker and the served ClickHouse also spend CPU doing nothing (ms per s, the lower of 3 s
 * before and 3 s after their rounds): that is taken out of their per-event figures and counted apart. Kafka rounds start with one
 * warm-up round that is not counted.
 * Floors per service: scorer = (b) client + decode + scoring + encode; sink = (a) client + full
 * decode + rows + RowBinary encode and HTTP send; alerter = (a) client + projected decode;
 * clickhouse = insert with views; the broker apart = (b) broker + 2 x (a) broker. Rate ceiling on
 * this machine = (cores x 1000 - the idle ms per s) / (total + broker) events/s. `--quick` (1,500
 * events, 1 round, 500-row inserts: about 45 s) checks that it runs. Progress on stderr; the last
 * stdout line is JSON.
 */
import { execSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Codec } from '../shared/codec.js'
import { createClickHouse, type ClickHouseClient } from '../shared/clickhouse.js'
import type { LlmInteraction, ScoredInteraction } from '../shared/contract.js'
import { resolveKafka } from '../shared/infra/index.js'
import { startServedClickHouse } from '../shared/infra/clickhouse-local.js'
import { createKafka, type OutMessage, type SourceOffset } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { migrate } from '../shared/migrate.js'
import { PII_REDACTION, REDACTION_HEADER } from '../shared/pii.js'
import { generateEvents } from '../shared/traffic/index.js'
import { ALERTER_SKIP_FIELDS } from '../services/alerter/alerter.js'
import { toMessage } from '../services/producer/produce.js'
import { scoreEvent } from '../services/scorer/engine.js'
import { scoreKey } from '../services/scorer/pool.js'
import { loadScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS } from '../services/scorer/scorers/index.js'
import { COMPACT_COLUMNS, scoredUnit, TABLES } from '../services/sink/rows.js'
import { rowBinaryEncoder, type RowBinaryEncoder } from '../services/sink/rowbinary.js'
import { ScoredTranscoder } from '../services/sink/transcode.js'
import { insertRowBinary } from '../services/sink/writer.js'
import { log, sleep } from './common.js'
import { procCpuSeconds } from './pipeline/children.js'

const USAGE = 'usage: bench/floor.ts [--json] [--events N] [--rounds R] [--batch ROWS] [--quick]'

function parseArgs(argv: readonly string[]): { json: boolean; events: number; rounds: number; batch: number } {
  const a = { json: false, events: 10_000, rounds: 3, batch: 1500 }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    const num = (): number => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 1) throw new Error(`${k} needs a positive integer (${USAGE})`)
      return v
    }
    if (k === '--json') a.json = true
    else if (k === '--events') a.events = num()
    else if (k === '--rounds') a.rounds = num()
    else if (k === '--batch') a.batch = num()
    else if (k === '--quick') Object.assign(a, { events: 1500, rounds: 1, batch: 500 })
    else throw new Error(`unknown argument ${k} (${USAGE})`)
  }
  return a
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const r4 = (x: number): number => Math.round(x * 10_000) / 10_000
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from)
  return (u.user + u.system) / 1000
}

/** CPU ms per s a process spends over 3 s of nothing asked of it. */
async function idleMsPerS(cpuSecs: () => number): Promise<number> {
  const c0 = cpuSecs()
  const t0 = performance.now()
  await sleep(3000)
  return r4(((cpuSecs() - c0) * 1000 * 1000) / (performance.now() - t0))
}

/** fn over all n items once (warm-up), then `rounds` times: the median CPU ms per item. */
function measure(label: string, n: number, rounds: number, fn: (i: number) => void): number {
  for (let i = 0; i < n; i++) fn(i)
  const per: number[] = []
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage()
    for (let i = 0; i < n; i++) fn(i)
    per.push(cpuMs(c0) / n)
  }
  const ms = r4(median(per))
  log(`  ${label.padEnd(44)} ${(ms * 1000).toFixed(1).padStart(7)} us/event`)
  return ms
}

/** One kafkajs round: CPU ms per record of this process; the broker's CPU ms and the wall ms it took; records per wall second. */
interface Round {
  clientMs: number
  brokerCpuMs: number
  wallMs: number
  records: number
  perWallS: number
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const N = args.events
  const R = args.rounds
  const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim()
  const dirty = execSync('git status --porcelain --untracked-files=no -- services shared schemas', { encoding: 'utf8' }).trim() !== ''
  log(`floor at ${commit}${dirty ? ' (services/shared/schemas with uncommitted changes)' : ''}; ${N} events, ${R} rounds; load ${os.loadavg()[0]!.toFixed(1)}`)

  // ---- the events, as the pipeline carries them. Only their bytes stay alive between the layers: a
  // big live heap would make every major GC of the later layers dearer than in a service.
  const codec = Codec.load()
  const config = loadScorerConfig(SCORERS)
  // Budgets are not what is measured: lifted so a GC pause cannot drop a result.
  for (const s of config.scorers.values()) s.timeBudgetMs = 60_000
  const { inMsgs, scoredBufs, keys } = (() => {
    const events = generateEvents(N, 7)
    const scored = events.map((e) => scoreEvent(e, SCORERS, config, { textMode: 'redacted' }))
    return { inMsgs: events.map((e) => toMessage(codec, e, 'avro')), scoredBufs: scored.map((v) => codec.encode('ScoredInteraction', v)), keys: scored.map(scoreKey) }
  })()
  const mean = (xs: Buffer[]) => Math.round(xs.reduce((t, b) => t + b.length, 0) / xs.length)
  const sizes = { interaction_bytes_mean: mean(inMsgs.map((m) => m.value)), scored_bytes_mean: mean(scoredBufs) }
  const decodeAll = <R extends 'LlmInteraction' | 'ScoredInteraction'>(record: R, bufs: Buffer[]) =>
    bufs.map((b) => {
      const d = codec.decode(record, b)
      if (!d.ok) throw new Error(`a ${record} does not decode: ${d.reason}`)
      return d.value
    })
  const rowOf = (v: ScoredInteraction, i: number) => scoredUnit(v, { topic: 'llm.scores', partition: i % 6, offset: String(i) }, 'redacted', true).rows[TABLES.interactions]![0]!
  log(`Avro bytes per record: LlmInteraction ${sizes.interaction_bytes_mean}, ScoredInteraction ${sizes.scored_bytes_mean}; ${SCORERS.filter((s) => config.scorers.get(s.name)?.enabled).length} scorers on`)

  const tmp = mkdtempSync(join(tmpdir(), 'llmwatch-bench-floor-'))
  const server = await startServedClickHouse({ path: join(tmp, 'ch'), logFile: join(tmp, 'ch.log'), env: { CLICKHOUSE_SERVE_PORT: '0', LOG_LEVEL: 'info' }, log })
  const infra = await resolveKafka({ env: {}, dataDir: join(tmp, 'kafka'), fresh: true, log })
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-floor', logger: silentLogger, partitions: 6 })
  const clients: ClickHouseClient[] = []
  try {
    // The sink's column types, from the real schema.
    const types = async (c: ClickHouseClient, db: string, table: string): Promise<RowBinaryEncoder> => {
      const rs = await c.query({ query: `SELECT name, type FROM system.columns WHERE database = '${db}' AND table = '${table}'`, format: 'JSONEachRow' })
      const byName = new Map((await rs.json<{ name: string; type: string }>()).map((x) => [x.name, x.type]))
      const cols = COMPACT_COLUMNS[TABLES.interactions]!
      return rowBinaryEncoder(cols, cols.map((x) => byName.get(x)!))
    }
    const schemaClient = await createClickHouse({ url: server.url, database: 'floor_schema' })
    clients.push(schemaClient)
    await migrate(schemaClient, { database: 'floor_schema', log: () => {} })
    const encoder = await types(schemaClient, 'floor_schema', TABLES.interactions)

    // ---- 1 + 2: in this process
    log(`layers 1-2 in this process (CPU time, 1 warm-up + ${R} rounds, median):`)
    let sink = 0
    const scoring = (() => {
      const decodedIn = decodeAll('LlmInteraction', inMsgs.map((m) => m.value))
      return measure('scoring (scoreEvent, every scorer)', N, R, (i) => void (sink += scoreEvent(decodedIn[i]!, SCORERS, config, { textMode: 'redacted' }).scores.length))
    })()
    let decodedScored = decodeAll('ScoredInteraction', scoredBufs)
    let rows = decodedScored.map(rowOf)
    const inProcess = {
      scoring,
      decode_interaction: measure('Avro decode LlmInteraction (codec)', N, R, (i) => void (sink += codec.decode('LlmInteraction', inMsgs[i]!.value).ok ? 1 : 0)),
      encode_scored: measure('Avro encode ScoredInteraction (codec)', N, R, (i) => void (sink += codec.encode('ScoredInteraction', decodedScored[i]!).length)),
      decode_scored_full: measure('Avro decode ScoredInteraction, full (codec)', N, R, (i) => void (sink += codec.decode('ScoredInteraction', scoredBufs[i]).ok ? 1 : 0)),
      decode_scored_projection: measure("Avro decode ScoredInteraction, alerter's", N, R, (i) => void (sink += codec.decode('ScoredInteraction', scoredBufs[i], undefined, ALERTER_SKIP_FIELDS).ok ? 1 : 0)),
      // avsc alone (no framing check, bounds guard or contract): the library's own floor, for reference.
      avsc_decode_interaction: measure('  avsc alone: LlmInteraction fromBuffer', N, R, (i) => void (sink += (codec.typeOf('LlmInteraction').fromBuffer(inMsgs[i]!.value.subarray(5)) as LlmInteraction).messages.length)),
      avsc_decode_scored: measure('  avsc alone: ScoredInteraction fromBuffer', N, R, (i) => void (sink += (codec.typeOf('ScoredInteraction').fromBuffer(scoredBufs[i]!.subarray(5)) as ScoredInteraction).scores.length)),
      // Today's sink (services/sink/transcode.ts): Avro straight to RowBinary, instead of decode + rows + encode.
      sink_transcode: (() => {
        const tc = ScoredTranscoder.create(codec)
        const headers = { [REDACTION_HEADER]: PII_REDACTION }
        const src = (i: number) => ({ topic: 'llm.scores', partition: i % 6, offset: String(i) })
        if (!tc || scoredBufs.some((b, i) => tc.unit(b, headers, src(i), 'redacted') === null)) return null
        return measure('sink: Avro -> RowBinary transcode', N, R, (i) => void (sink += tc.unit(scoredBufs[i]!, headers, src(i), 'redacted')!.endTime > 0 ? 1 : 0))
      })(),
      sink_rows: measure('sink rows (scoredUnit)', N, R, (i) => void (sink += Object.keys(rowOf(decodedScored[i]!, i)).length)),
      rowbinary: (() => {
        // Per insert of --batch rows, as the sink encodes them.
        const enc = (): void => {
          for (let i = 0; i < N; i += args.batch) for (const c of encoder.chunks(rows.slice(i, i + args.batch))) sink += c.length
        }
        enc()
        const per: number[] = []
        for (let r = 0; r < R; r++) {
          const c0 = process.cpuUsage()
          enc()
          per.push(cpuMs(c0) / N)
        }
        const ms = r4(median(per))
        log(`  ${'RowBinary encode of the rows'.padEnd(44)} ${(ms * 1000).toFixed(1).padStart(7)} us/event`)
        return ms
      })(),
    }
    decodedScored = []
    rows = []

    // ---- 3: kafkajs
    const IN = 'floor.interactions'
    const SCORES = 'floor.scores'
    const P = 6
    await kafka.ensureTopics([{ name: IN, partitions: P }, { name: SCORES, partitions: P }])
    log(`layer 3: producing ${N} events to ${IN} (as the producer does) ...`)
    {
      // Event i on partition i % P, so a record's (partition, offset) names its event: offset * P + partition.
      const producer = await kafka.producer()
      for (let i = 0; i < N; i += 1000) await producer.send(IN, inMsgs.slice(i, i + 1000).map((m, j) => ({ ...m, partition: (i + j) % P })))
      await producer.disconnect()
    }
    const brokerSecs = (): number => (infra.pid === undefined ? NaN : (procCpuSeconds(infra.pid) ?? NaN))
    // What the broker spends doing nothing (ms per s, the lower of before and after the rounds): taken
    // out of its per-record figures, and counted apart.
    const brokerIdleBefore = await idleMsPerS(brokerSecs)

    /** One consumer group from the beginning until `expected` records; CPU from its join (a few ms of it the join's own). */
    const consumeRound = async (
      groupId: string,
      topic: string,
      expected: number,
      settings: { fetchMinBytes: number; fetchMaxWaitMs: number; maxBytesPerPartition: number; concurrency: number },
      perBatch: (batch: { partition: number; messages: { offset: string; value: Buffer | null }[]; lastOffset: () => string }) => Promise<void>,
    ): Promise<Round> => {
      const consumer = kafka.createConsumer(groupId, settings)
      let n = 0
      let c0: NodeJS.CpuUsage | null = null
      let b0 = 0
      let t0 = 0
      // From the group join on: kafkajs decodes a fetch's records before its first eachBatch call.
      consumer.on(consumer.events.GROUP_JOIN, () => {
        c0 = process.cpuUsage()
        b0 = brokerSecs()
        t0 = performance.now()
      })
      try {
        await consumer.connect()
        await consumer.subscribe({ topic, fromBeginning: true })
        const done = new Promise<Round>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${groupId}: ${n} of ${expected} records within 5 minutes`)), 300_000)
          consumer
            .run({
              autoCommit: false,
              partitionsConsumedConcurrently: settings.concurrency,
              eachBatch: async ({ batch }) => {
                await perBatch(batch)
                n += batch.messages.length
                if (n >= expected) {
                  clearTimeout(timer)
                  const wallMs = performance.now() - t0
                  resolve({ clientMs: cpuMs(c0!) / n, brokerCpuMs: (brokerSecs() - b0) * 1000, wallMs, records: n, perWallS: Math.round((n * 1000) / wallMs) })
                }
              },
            })
            .catch(reject)
        })
        return await done
      } finally {
        await consumer.disconnect()
        await kafka.deleteGroups([groupId]).catch(() => {})
      }
    }

    // (b) the scorer's hand-off: consume, produce each record's ScoredInteraction in a transaction with the offsets.
    // Each kind of round once more first, as a warm-up (JIT, the broker's transaction coordinator): not counted.
    const passthrough: Round[] = []
    let forwarded = 0
    let transactions = 0
    for (let r = -1; r < R; r++) {
      const groupId = `floor-scorer-${r}`
      const producer = await kafka.producer({ transactionalId: `floor-scorer-${process.pid}-${r}` })
      // The service's group commit: batches done while a transaction is in flight go in the next one.
      let waiting: { messages: OutMessage[]; source: SourceOffset; done: (err?: unknown) => void }[] = []
      let inFlight: Promise<void> | null = null
      const commitNext = (): void => {
        if (inFlight !== null || waiting.length === 0) return
        const group = waiting
        waiting = []
        if (r >= 0) transactions++
        inFlight = producer
          .sendWithOffsets(SCORES, group.flatMap((w) => w.messages), group.map((w) => w.source))
          .then(() => group.forEach((w) => w.done()), (err: unknown) => group.forEach((w) => w.done(err ?? new Error('transaction failed'))))
          .finally(() => {
            inFlight = null
            commitNext()
          })
      }
      // The scorer's one header (services/scorer/service.ts: redacted mode), one frozen object for every record.
      const headers = Object.freeze({ [REDACTION_HEADER]: PII_REDACTION })
      const res = await consumeRound(groupId, IN, N, { fetchMinBytes: 64 * 1024, fetchMaxWaitMs: 50, maxBytesPerPartition: 1_048_576, concurrency: 3 }, async (batch) => {
        const messages: OutMessage[] = batch.messages.map((m) => ({ key: keys[Number(m.offset) * P + batch.partition]!, value: scoredBufs[Number(m.offset) * P + batch.partition]!, headers }))
        const source = { groupId, topic: IN, partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) }
        await new Promise<void>((resolve, reject) => {
          waiting.push({ messages, source, done: (err) => (err === undefined ? resolve() : reject(err)) })
          commitNext()
        })
      })
      await producer.disconnect()
      forwarded += N
      if (r >= 0) passthrough.push(res)
      log(`  (b) consume + transactional produce, ${r < 0 ? 'warm-up' : `round ${r + 1}`}: client ${(res.clientMs * 1000).toFixed(1)} us/record, broker ${((res.brokerCpuMs * 1000) / res.records).toFixed(1)} us/record (idle included), ${res.perWallS} records/s`)
    }
    // (a) iterate the transactional scores topic, no decode: the sink's and the alerter's fetch settings.
    const consumeOnly = async (name: string, settings: { fetchMinBytes: number; fetchMaxWaitMs: number; maxBytesPerPartition: number; concurrency: number }) => {
      const runs: Round[] = []
      for (let r = -1; r < R; r++) {
        let bytes = 0
        const res = await consumeRound(`floor-${name}-${r}`, SCORES, forwarded, settings, async (batch) => {
          for (const m of batch.messages) bytes += m.value?.length ?? 0
        })
        if (r >= 0) runs.push(res)
        log(`  (a) consume only, ${name} settings, ${r < 0 ? 'warm-up' : `round ${r + 1}`}: client ${(res.clientMs * 1000).toFixed(1)} us/record, broker ${((res.brokerCpuMs * 1000) / res.records).toFixed(1)} us/record (idle included), ${res.perWallS} records/s (${Math.round(bytes / forwarded)} bytes/record)`)
      }
      return runs
    }
    const consumeSink = await consumeOnly('sink', { fetchMinBytes: 4 * 1024 * 1024, fetchMaxWaitMs: 1000, maxBytesPerPartition: 4 * 1024 * 1024, concurrency: 1 })
    const consumeAlerter = await consumeOnly('alerter', { fetchMinBytes: 256 * 1024, fetchMaxWaitMs: 100, maxBytesPerPartition: 1_048_576, concurrency: 1 })
    const brokerIdleMsPerS = Math.min(brokerIdleBefore, await idleMsPerS(brokerSecs))
    log(`  broker idle: ${brokerIdleMsPerS} ms CPU per s`)
    const med = (xs: Round[]) => ({
      client: r4(median(xs.map((x) => x.clientMs))),
      broker: r4(median(xs.map((x) => (x.brokerCpuMs - (brokerIdleMsPerS * x.wallMs) / 1000) / x.records))),
      records_per_wall_s: median(xs.map((x) => x.perWallS)),
    })
    const kafkaFloor = {
      scorer_passthrough: { ...med(passthrough), records_per_transaction: Math.round((R * N) / transactions) },
      sink_consume: med(consumeSink),
      alerter_consume: med(consumeAlerter),
      broker_idle_ms_per_s: brokerIdleMsPerS,
    }
    log(`  (b): ${kafkaFloor.scorer_passthrough.records_per_transaction} records per transaction`)

    // ---- 4: ClickHouse served, RowBinary inserts about once a second
    rows = decodeAll('ScoredInteraction', scoredBufs).map(rowOf)
    log(`layer 4: RowBinary inserts of ${args.batch} rows about once a second, server CPU incl. 3 s after ...`)
    const serverSecs = (): number => procCpuSeconds(server.pid)!
    const chIdleBefore = await idleMsPerS(serverSecs)
    const ch: Record<'null_table' | 'with_views', { server: { cpuMs: number; wallMs: number }[]; client: number[] }> = { null_table: { server: [], client: [] }, with_views: { server: [], client: [] } }
    for (let r = 0; r < R; r++) {
      for (const variant of (r % 2 ? ['with_views', 'null_table'] : ['null_table', 'with_views']) as ('null_table' | 'with_views')[]) {
        const db = `floor_${variant}_${r}`
        const c = await createClickHouse({ url: server.url, database: db })
        clients.push(c)
        await migrate(c, { database: db, log: () => {} })
        const table = variant === 'null_table' ? 'interactions_null' : TABLES.interactions
        if (variant === 'null_table') await c.command({ query: 'CREATE TABLE interactions_null AS interactions ENGINE = Null' })
        const enc = await types(c, db, table)
        await sleep(500)
        const s0 = serverSecs()
        const w0 = performance.now()
        let client = 0
        for (let i = 0; i < N; i += args.batch) {
          const t0 = Date.now()
          const c0 = process.cpuUsage()
          await insertRowBinary(c.exec.bind(c), table, enc, rows.slice(i, i + args.batch))
          client += cpuMs(c0)
          if (i + args.batch < N) await sleep(Math.max(0, 1000 - (Date.now() - t0)))
        }
        await sleep(3000)
        const server_ = { cpuMs: (serverSecs() - s0) * 1000, wallMs: performance.now() - w0 }
        ch[variant].server.push(server_)
        ch[variant].client.push(client / N)
        log(`  ${variant}, round ${r + 1}: server ${((server_.cpuMs * 1000) / N).toFixed(1)} us/event (inserts + 3 s, idle included), client ${((client / N) * 1000).toFixed(1)} us/event (encode + send)`)
        await c.command({ query: `DROP DATABASE ${db} SYNC` })
      }
    }
    // Less what it would have spent idle over the same time (counted apart): the lower of before and after.
    const chIdleMsPerS = Math.min(chIdleBefore, await idleMsPerS(serverSecs))
    log(`  served ClickHouse idle: ${chIdleMsPerS} ms CPU per s`)
    const serverMs = (xs: { cpuMs: number; wallMs: number }[]) => r4(median(xs.map((x) => (x.cpuMs - (chIdleMsPerS * x.wallMs) / 1000) / N)))
    const chFloor = {
      null_table: { server: serverMs(ch.null_table.server), client: r4(median(ch.null_table.client)) },
      with_views: { server: serverMs(ch.with_views.server), client: r4(median(ch.with_views.client)) },
      server_idle_ms_per_s: chIdleMsPerS,
      // The sink's side does not depend on the table: the median over every insert round.
      client_encode_and_send: r4(median([...ch.null_table.client, ...ch.with_views.client])),
    }

    // ---- the floors per service, as the design places the layers
    const L = inProcess
    const parts = {
      scorer: { kafka_consume_and_transactional_produce: kafkaFloor.scorer_passthrough.client, decode: L.decode_interaction, scoring: L.scoring, encode: L.encode_scored },
      sink: { kafka_consume: kafkaFloor.sink_consume.client, decode_full: L.decode_scored_full, rows: L.sink_rows, rowbinary_encode_and_send: chFloor.client_encode_and_send },
      alerter: { kafka_consume: kafkaFloor.alerter_consume.client, decode_projection: L.decode_scored_projection },
      clickhouse: { insert_with_views_and_merges: chFloor.with_views.server },
    }
    const sum = (o: Record<string, number>) => r4(Object.values(o).reduce((t, x) => t + x, 0))
    const floor = { scorer: sum(parts.scorer), sink: sum(parts.sink), alerter: sum(parts.alerter), clickhouse: sum(parts.clickhouse) }
    const total = r4(floor.scorer + floor.sink + floor.alerter + floor.clickhouse)
    // The sink as it is today: transcode instead of decode + rows + encode (the HTTP send: the insert client's CPU less the encode).
    const sinkTranscoding = L.sink_transcode === null ? null : r4(kafkaFloor.sink_consume.client + L.sink_transcode + Math.max(0, chFloor.client_encode_and_send - L.rowbinary))
    const broker = r4(kafkaFloor.scorer_passthrough.broker + kafkaFloor.sink_consume.broker + kafkaFloor.alerter_consume.broker)
    const cores = os.availableParallelism()
    // The cores' ms per s, less what the broker and ClickHouse spend idle, over the ms per event.
    const ceiling = Math.round((cores * 1000 - brokerIdleMsPerS - chIdleMsPerS) / (total + broker))
    log(`floor, CPU ms per event: scorer ${floor.scorer}, sink ${floor.sink}, alerter ${floor.alerter}, clickhouse ${floor.clickhouse} = ${total} (target <= 0.25: ${total <= 0.25 ? 'under' : 'over'}); broker ${broker}; the sink transcoding: ${sinkTranscoding}`)
    log(`rate ceiling on ${cores} cores: (${cores} x 1000 - idle ${brokerIdleMsPerS} broker - ${chIdleMsPerS} clickhouse) / (${total} + ${broker}) = ${ceiling} events/s (target >= 5,000)`)
    const result = {
      bench: 'floor',
      commit: `${commit}${dirty ? '+uncommitted' : ''}`,
      machine: { cores, load_avg_end: os.loadavg().map((x) => r4(x)), node: process.version },
      events: N,
      rounds: R,
      insert_rows: args.batch,
      sizes,
      clock: 'CPU time (user + system): this process (process.cpuUsage), the broker and the served ClickHouse (/proc/<pid>/stat); median of rounds',
      ms_per_event: { in_process: inProcess, kafka: kafkaFloor, clickhouse: chFloor },
      floor_ms_per_event: { parts, ...floor, total, broker, sink_transcoding: sinkTranscoding },
      target_ms_per_event: 0.25,
      under_target: total <= 0.25,
      rate_ceiling_events_per_s: ceiling,
      target_events_per_s: 5000,
      _sink: sink % 2,
    }
    process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`)
  } finally {
    for (const c of clients) await c.close().catch(() => {})
    await kafka.close()
    await infra.stop()
    await server.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/floor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
