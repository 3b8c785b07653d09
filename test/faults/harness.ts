/**
 * The fault-injection harness: a dedicated Kafka broker per scenario file (so the services' fixed
 * topic names are isolated and the broker can be restarted), the services as child processes the
 * way they are deployed (`node bin/llmwatch.mjs run <name>`), a known set of events with marked
 * incidents, and the books check every scenario ends with (see checkBooks).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Codec } from '../../shared/codec.js'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { TOPICS, type LlmInteraction } from '../../shared/contract.js'
import { startLocalKafka, type LocalKafka } from '../../shared/infra/kafka-local.js'
import { freePort } from '../../shared/infra/ports.js'
import { createKafka, type KafkaHandle, type OutMessage } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { repoPath } from '../../shared/paths.js'
import { generateEvents, Rng } from '../../shared/traffic/index.js'
import { piiLeakResponse } from '../../shared/traffic/incidents.js'
import { scoreKey } from '../../services/scorer/service.js'
import { clickhouseEnv, testClickHouse, tempDir } from '../helpers.js'

export const codec = Codec.load()
export const PARTITIONS = 6
/** Consumer groups of the services with their default env. */
export const GROUPS = { scorer: 'llmwatch-scorer', sink: 'llmwatch-sink', sinkAlerts: 'llmwatch-sink.alerts', alerter: 'llmwatch-alerter' } as const

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

// ------------------------------------------------------------------------------------ broker

export interface Broker {
  brokers: string[]
  kafka: KafkaHandle
  dataDir: string
  /** Stops the JVM (SIGTERM, controlled shutdown; SIGKILL after 20 s). */
  stop(): Promise<void>
  /** Starts the broker again on the same ports and data directory. */
  start(): Promise<void>
  /** End of the scenario: closes the test's client, stops the broker and deletes its data. */
  destroy(): Promise<void>
}

/** A broker of our own on fixed ports, with the project's four topics (6 partitions each). */
export async function startBroker(): Promise<Broker> {
  const dataDir = tempDir('llmwatch-faults-kafka-')
  const port = await freePort()
  const controllerPort = await freePort()
  let local: LocalKafka = await startLocalKafka({ dataDir, fresh: true, port, controllerPort, heap: '512m' })
  const kafka = createKafka({ brokers: local.brokers, clientId: 'faults-test', logger: silentLogger, partitions: PARTITIONS })
  await kafka.ensureTopics()
  return {
    brokers: local.brokers,
    kafka,
    dataDir,
    stop: () => local.stop(),
    start: async () => {
      local = await startLocalKafka({ dataDir, fresh: false, port, controllerPort, heap: '512m' })
    },
    destroy: async () => {
      await kafka.close()
      await local.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

// ------------------------------------------------------------------------------------ services

export type ServiceName = 'scorer' | 'sink' | 'alerter'

export interface ServiceProc {
  name: string
  proc: ChildProcess
  logFile: string
  /** Resolves with the exit code, or the signal name when killed. */
  exited: Promise<string>
  alive(): boolean
  kill9(): Promise<string>
  /** SIGTERM (ordered shutdown); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<string>
}

let spawnCount = 0

/** Starts `llmwatch run <service>` with `env` on top of this process's environment; output to logDir. */
export function spawnService(service: ServiceName, env: Record<string, string>, logDir: string, label: string = service): ServiceProc {
  mkdirSync(logDir, { recursive: true })
  const logFile = path.join(logDir, `${label}-${++spawnCount}.log`)
  const out = createWriteStream(logFile)
  const proc = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'run', service], {
    cwd: repoPath(),
    env: { ...process.env, LOG_LEVEL: 'info', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  proc.stdout!.pipe(out)
  proc.stderr!.pipe(out)
  let done = false
  const exited = new Promise<string>((resolve) =>
    proc.on('exit', (code, signal) => {
      done = true
      resolve(signal ?? String(code))
    }),
  )
  const handle: ServiceProc = {
    name: label,
    proc,
    logFile,
    exited,
    alive: () => !done,
    kill9: async () => {
      if (!done) proc.kill('SIGKILL')
      return exited
    },
    stop: async (graceMs = 60_000) => {
      if (done) return exited
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      const res = await exited
      clearTimeout(timer)
      return res
    },
  }
  return handle
}

/** The last `chars` of a service's log (for failure messages). */
export function logTail(p: ServiceProc, chars = 3000): string {
  return existsSync(p.logFile) ? readFileSync(p.logFile, 'utf8').slice(-chars) : ''
}

/** Rules of the fault suite: one immediate alert per app whose response leaks PII. */
export const RULES_YAML = `rules:
  - name: fault-pii-leak
    kind: immediate
    severity: critical
    select: { scorer: pii, target: response, label: leak }
    group_by: [app_name]
    quiet_for: 2h
    annotations:
      summary: "{{ app_name }} leaked personal data"
`

/** The dedup key of an incident app's alert (services/alerter/engine.ts dedupKey: rule{label="value"}). */
export const incidentKey = (app: string): string => `fault-pii-leak{app_name=${JSON.stringify(app)}}`

/**
 * The ClickHouse database of a scenario (its work directory's name): the test run's served
 * ClickHouse (test/global-setup.ts) holds every scenario's tables, each in its own database.
 */
export function scenarioDatabase(workDir: string): string {
  return `faults_${path.basename(workDir).replace(/[^A-Za-z0-9_]/g, '_')}`
}

/** Env of each service for a scenario: broker, the sink's ClickHouse (CLICKHOUSE_URL, the scenario's database), the rules file. */
export function serviceEnv(brokers: string[], workDir: string): Record<ServiceName, Record<string, string>> {
  const rulesFile = path.join(workDir, 'rules.yaml')
  mkdirSync(workDir, { recursive: true })
  writeFileSync(rulesFile, RULES_YAML)
  const base = { KAFKA_BROKERS: brokers.join(','), KAFKA_PARTITIONS: String(PARTITIONS) }
  return {
    // Inline scoring: the machine has 2 cores shared by the broker, three services and the test.
    scorer: { ...base, SCORER_WORKERS: '0' },
    sink: { ...base, ...clickhouseEnv(scenarioDatabase(workDir)), SINK_BATCH_ROWS: '5000', SINK_FLUSH_MS: '200' },
    alerter: { ...base, ALERTER_RULES_FILE: rulesFile, ALERTER_TICK_MS: '500' },
  }
}

// ------------------------------------------------------------------------------------ traffic

export interface Workload {
  events: LlmInteraction[]
  /** App names of the injected incidents: each must give exactly one firing alert. */
  incidentApps: string[]
}

/**
 * `n` generated events (deterministic from `seed`, spread over the last few minutes) of which
 * `incidents` are replaced by PII leaks from apps of their own (`fault-incident-<k>`), so every
 * incident has its own alert dedup key.
 */
export function workload(n: number, seed: number, incidents: number): Workload {
  const events = generateEvents(n, seed, { ratePerSec: 200 })
  const rng = new Rng(seed * 7 + 1)
  const incidentApps: string[] = []
  for (let k = 0; k < incidents; k++) {
    const i = Math.floor(((k + 0.5) * n) / incidents)
    const e = events[i]!
    const app = `fault-incident-${k}`
    incidentApps.push(app)
    events[i] = { ...e, app_name: app, environment: 'production', response_text: piiLeakResponse(rng, e.response_text || 'Here is the answer.') }
  }
  return { events, incidentApps }
}

export function toMessage(e: LlmInteraction): OutMessage {
  return { key: scoreKey(e), value: codec.encode('LlmInteraction', e) }
}

/** Produces `messages` to llm.interactions in chunks; `paceMs` between chunks (0: as fast as possible). */
export async function produce(kafka: KafkaHandle, messages: OutMessage[], opts: { chunk?: number; paceMs?: number } = {}): Promise<void> {
  const p = await kafka.producer()
  const chunk = opts.chunk ?? 500
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await p.send(TOPICS.interactions.name, messages.slice(i, i + chunk))
      if (opts.paceMs) await sleep(opts.paceMs)
    }
  } finally {
    await p.disconnect()
  }
}

// ------------------------------------------------------------------------------------ progress

export interface ReadRecord {
  partition: number
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>
}

/**
 * Reads every committed record of `topic` up to the high watermarks as of the call (read committed).
 * Unlike KafkaHandle.readRange it also finishes a partition whose tail holds only transaction
 * markers or aborted records: kafkajs never hands such fetches to eachBatch, but it does emit
 * END_BATCH_PROCESS for them with their last offset (test/faults/read-range.test.ts).
 */
export async function readAll(kafka: KafkaHandle, topic: string, onMessage: (m: ReadRecord) => void, timeoutMs = 180_000): Promise<number> {
  const hw = await kafka.highWatermarks(topic)
  const pending = new Map<number, bigint>()
  for (const p of hw) if (BigInt(p.high) > BigInt(p.low)) pending.set(p.partition, BigInt(p.high))
  if (pending.size === 0) return 0
  const consumer = kafka.createConsumer(`faults-reader-${randomUUID()}`)
  let count = 0
  const reached = (partition: number, lastOffset: string) => {
    const end = pending.get(partition)
    if (end !== undefined && BigInt(lastOffset) >= end - 1n) pending.delete(partition)
  }
  try {
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`readAll(${topic}) timed out; partitions left ${JSON.stringify([...pending].map(([p, e]) => `${p}<${e}`))}`)), timeoutMs)
      const check = () => {
        if (pending.size === 0) {
          clearTimeout(timer)
          resolve()
        }
      }
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        // firstOffset is null when the fetch held no record at or after the fetch position; kafkajs
        // then reports lastOffset as highWatermark - 1, which says nothing about what was read.
        if (process.env.FAULTS_DEBUG) console.log("END", JSON.stringify(e.payload), JSON.stringify([...pending].map(([a, b]) => [a, String(b)])))
        if (e.payload.firstOffset !== null) reached(e.payload.partition, e.payload.lastOffset)
        check()
      })
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = pending.get(batch.partition)
            if (end === undefined) return
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break
              onMessage({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {} })
              count++
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return count
}

/** Sum of a group's committed offsets on a topic (0 where nothing is committed). */
export async function committed(kafka: KafkaHandle, groupId: string, topic: string): Promise<number> {
  const offs = await kafka.committedOffsets(groupId, topic)
  return offs.reduce((s, o) => s + Math.max(0, Number(o.offset)), 0)
}

/** Polls until `fn` is truthy; transient errors (a broker restarting) are retried until the deadline. */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 250): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  while (Date.now() < deadline) {
    try {
      const v = await fn()
      if (v) return v as NonNullable<T>
    } catch (err) {
      lastErr = err
    }
    await sleep(everyMs)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ''}`)
}

/**
 * Milliseconds until a group's committed offsets on `topic` move past `from`, or the group has
 * consumed everything there is (then progress is impossible). On llm.scores "everything" is known
 * only once the scorer is at lag 0: then the end of its data is read (see endOfData).
 */
export async function timeToProgress(kafka: KafkaHandle, groupId: string, topic: string, from: number, timeoutMs = 240_000): Promise<number> {
  const t0 = Date.now()
  let end: Map<number, number> | null = null
  await until(async () => {
    if ((await committed(kafka, groupId, topic)) > from) return true
    if (topic === TOPICS.interactions.name) return (await kafka.groupLag(groupId, topic)) === 0
    if ((await kafka.groupLag(GROUPS.scorer, TOPICS.interactions.name)) !== 0) return false
    end ??= await endOfData(kafka, topic)
    return consumedTo(kafka, groupId, topic, end)
  }, timeoutMs, `${groupId} to make progress on ${topic}`, 100)
  return Date.now() - t0
}

/**
 * Per partition, the offset after the last data record a read-committed consumer sees (the scorer
 * writes llm.scores in transactions, so the log also holds commit/abort markers and aborted records).
 */
export async function endOfData(kafka: KafkaHandle, topic: string): Promise<Map<number, number>> {
  const end = new Map<number, number>()
  await readAll(kafka, topic, (m) => void end.set(m.partition, Math.max(end.get(m.partition) ?? 0, Number(m.offset) + 1)))
  return end
}

/** Whether a group has committed at least `end` on every partition of `topic`. */
export async function consumedTo(kafka: KafkaHandle, groupId: string, topic: string, end: Map<number, number>): Promise<boolean> {
  const offs = await kafka.committedOffsets(groupId, topic)
  return [...end].every(([p, e]) => Number(offs.find((o) => o.partition === p)?.offset ?? -1) >= e)
}

/**
 * Waits until the whole pipeline has consumed everything: the scorer at lag 0, the sink and the
 * alerter past the last data record of llm.scores, the sink's alerts consumer at lag 0.
 *
 * Not "lag 0" on llm.scores: the runner (shared/runner.ts) never commits past a batch that holds
 * only transaction markers or aborted records (kafkajs skips eachBatch for those), so a group can
 * keep a lag of a few marker offsets forever. See docs/RELIABILITY.md.
 */
export async function drained(kafka: KafkaHandle, timeoutMs = 300_000, expectedScores?: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const left = () => Math.max(1000, deadline - Date.now())
  await until(async () => (await kafka.groupLag(GROUPS.scorer, TOPICS.interactions.name)) === 0, left(), 'the scorer to reach lag 0', 500)
  if (expectedScores !== undefined) {
    // A scorer killed inside a transaction leaves it open until the broker aborts it (the
    // producer's transaction timeout, 60 s, when the replacement has another transactional id);
    // until then read-committed readers stop at its first record, and "the end of llm.scores"
    // would be read too early. Lost records would never appear: the wait then times out.
    const waitStart = Date.now()
    await until(async () => (await readAll(kafka, TOPICS.scores.name, () => {})) >= expectedScores, left(), `all ${expectedScores} score records readable on llm.scores`, 2000)
    const waited = Date.now() - waitStart
    if (waited > 5000) console.log(`[drained] score records were hidden behind an open transaction for ${waited} ms after the scorer reached lag 0`)
  }
  const end = await endOfData(kafka, TOPICS.scores.name)
  try {
    await until(async () => (await consumedTo(kafka, GROUPS.sink, TOPICS.scores.name, end)) && (await consumedTo(kafka, GROUPS.alerter, TOPICS.scores.name, end)), left(), 'the sink and the alerter to consume every score', 500)
  } catch (err) {
    const show = async (g: string) => JSON.stringify((await kafka.committedOffsets(g, TOPICS.scores.name)).map((o) => `${o.partition}:${o.offset}`))
    const hw = JSON.stringify((await kafka.highWatermarks(TOPICS.scores.name)).map((o) => `${o.partition}:${o.high}`))
    throw new Error(`${(err as Error).message}; end of data ${JSON.stringify([...end])}, high ${hw}, sink ${await show(GROUPS.sink)}, alerter ${await show(GROUPS.alerter)}`)
  }
  await until(async () => (await kafka.groupLag(GROUPS.sinkAlerts, TOPICS.alerts.name)) === 0, left(), 'the sink to store every alert', 500)
}

// ------------------------------------------------------------------------------------ books

export interface Books {
  /** Valid events produced. */
  events: number
  /** Produced events without a row in `interactions`. */
  lost: number
  /** Extra rows in `interactions` beyond one per event. */
  duplicated: number
  /** Records on the DLQ topic. */
  dlq: number
  /** ScoredInteraction records on llm.scores (read committed) beyond one per event. */
  topicDuplicates: number
  /** Events whose `scores` rows differ from their ScoredInteraction's entries. */
  scoreRowMismatches: number
  interactionsRows: number
  scoresRows: number
  aggregates: { metrics1m: number; metrics1h: number; scores1m: number; scores1h: number }
  /** Non-reminder firing alerts per incident dedup key, on the topic and in ClickHouse. */
  incidentFiring: { topic: Record<string, number>; clickhouse: Record<string, number> }
  /** Dedup keys with more than one non-reminder firing record on the topic (any app). */
  doubleFired: string[]
  dlqCodes: Record<string, number>
  dlqServices: Record<string, number>
  /** Each DLQ'd record's original key and error code. */
  dlqRecords: { key: string; code: string }[]
}

async function rows<T>(ch: ClickHouseClient, query: string): Promise<T[]> {
  return (await ch.query({ query, format: 'JSONEachRow' })).json<T>()
}

/**
 * Reads the topics (llm.scores read committed, llm.alerts, llm.dlq) and the ClickHouse tables and
 * counts: per produced event one interactions row and one scores row per score entry, aggregates
 * equal to the raw counts, one firing alert per incident. Call after `drained`.
 */
export async function checkBooks(kafka: KafkaHandle, ch: ClickHouseClient, w: Workload): Promise<Books> {
  const produced = new Set(w.events.map((e) => e.event_id))
  const perEvent = new Map<string, { n: number; entries: number }>()
  await readAll(kafka, TOPICS.scores.name, (m) => {
    const r = codec.decode('ScoredInteraction', m.value)
    if (!r.ok) throw new Error(`undecodable record on llm.scores: ${r.reason}`)
    const cur = perEvent.get(r.value.event_id)
    if (cur) cur.n++
    else perEvent.set(r.value.event_id, { n: 1, entries: r.value.scores.length })
  })
  let topicDuplicates = 0
  for (const v of perEvent.values()) topicDuplicates += v.n - 1

  const firingByKey = new Map<string, number>()
  await readAll(kafka, TOPICS.alerts.name, (m) => {
    const r = codec.decode('Alert', m.value)
    if (!r.ok) throw new Error(`undecodable record on llm.alerts: ${r.reason}`)
    if (r.value.state === 'firing' && !r.value.reminder) firingByKey.set(r.value.dedup_key, (firingByKey.get(r.value.dedup_key) ?? 0) + 1)
  })

  const dlqCodes: Record<string, number> = {}
  const dlqServices: Record<string, number> = {}
  const dlqRecords: { key: string; code: string }[] = []
  let dlq = 0
  await readAll(kafka, TOPICS.dlq.name, (m) => {
      dlq++
      const h = (n: string) => {
        const v = m.headers[n]
        const first = Array.isArray(v) ? v[0] : v
        return first === undefined ? '' : first.toString()
      }
      if (!h('dlq.reason')) throw new Error(`DLQ record at ${m.partition}/${m.offset} has no reason`)
      dlqCodes[h('dlq.error.code')] = (dlqCodes[h('dlq.error.code')] ?? 0) + 1
      dlqServices[h('dlq.service')] = (dlqServices[h('dlq.service')] ?? 0) + 1
      dlqRecords.push({ key: m.key?.toString('utf8') ?? '', code: h('dlq.error.code') })
  })

  const inter = await rows<{ id: string; c: string }>(ch, 'SELECT toString(event_id) AS id, count() AS c FROM interactions GROUP BY id')
  const interCount = new Map(inter.map((r) => [r.id, Number(r.c)]))
  let lost = 0
  let duplicated = 0
  for (const id of produced) if (!interCount.has(id)) lost++
  for (const c of interCount.values()) duplicated += c - 1
  const sc = await rows<{ id: string; c: string }>(ch, 'SELECT toString(event_id) AS id, count() AS c FROM scores GROUP BY id')
  const scCount = new Map(sc.map((r) => [r.id, Number(r.c)]))
  let scoreRowMismatches = 0
  for (const id of produced) if ((scCount.get(id) ?? 0) !== (perEvent.get(id)?.entries ?? -1)) scoreRowMismatches++

  const one = async (q: string) => Number((await rows<{ n: string }>(ch, q))[0]?.n ?? 0)
  const alertRows = await rows<{ k: string; c: string }>(ch, "SELECT dedup_key AS k, count() AS c FROM alerts WHERE state = 'firing' AND NOT reminder GROUP BY k")
  const chFiring = new Map(alertRows.map((r) => [r.k, Number(r.c)]))
  const incidentFiring = { topic: {} as Record<string, number>, clickhouse: {} as Record<string, number> }
  for (const app of w.incidentApps) {
    const key = incidentKey(app)
    incidentFiring.topic[app] = firingByKey.get(key) ?? 0
    incidentFiring.clickhouse[app] = chFiring.get(key) ?? 0
  }
  return {
    events: produced.size,
    lost,
    duplicated,
    dlq,
    topicDuplicates,
    scoreRowMismatches,
    interactionsRows: await one('SELECT count() AS n FROM interactions'),
    scoresRows: await one('SELECT count() AS n FROM scores'),
    aggregates: {
      metrics1m: await one('SELECT sum(events) AS n FROM metrics_1m'),
      metrics1h: await one('SELECT sum(events) AS n FROM metrics_1h'),
      scores1m: await one('SELECT sum(rows) AS n FROM scores_1m'),
      scores1h: await one('SELECT sum(rows) AS n FROM scores_1h'),
    },
    incidentFiring,
    doubleFired: [...firingByKey].filter(([, n]) => n > 1).map(([k]) => k),
    dlqCodes,
    dlqServices,
    dlqRecords,
  }
}

export { recordFailure, recordResult, RESULTS_FILE, type ScenarioResult } from './results.js'

/** A client on the scenario's ClickHouse database (see scenarioDatabase). */
export async function openClickHouse(workDir: string): Promise<ClickHouseClient> {
  return testClickHouse(scenarioDatabase(workDir))
}

/** What does not balance in the books (empty when they are exact): recorded with the results. */
export function violations(b: Books, w: Workload, dlq = 0): string[] {
  const out: string[] = []
  if (b.lost) out.push(`${b.lost} lost`)
  if (b.duplicated) out.push(`${b.duplicated} duplicated rows`)
  if (b.topicDuplicates) out.push(`${b.topicDuplicates} duplicates on llm.scores`)
  if (b.scoreRowMismatches) out.push(`${b.scoreRowMismatches} events with wrong scores rows`)
  const a = b.aggregates
  for (const [k, v] of Object.entries({ metrics1m: a.metrics1m, metrics1h: a.metrics1h })) if (v !== b.interactionsRows) out.push(`${k} ${v} != ${b.interactionsRows}`)
  for (const [k, v] of Object.entries({ scores1m: a.scores1m, scores1h: a.scores1h })) if (v !== b.scoresRows) out.push(`${k} ${v} != ${b.scoresRows}`)
  for (const app of w.incidentApps) {
    if (b.incidentFiring.topic[app] !== 1 || b.incidentFiring.clickhouse[app] !== 1) out.push(`${app}: ${b.incidentFiring.topic[app]} firing on the topic, ${b.incidentFiring.clickhouse[app]} in ClickHouse`)
  }
  if (b.doubleFired.length) out.push(`fired twice: ${b.doubleFired.join(', ')}`)
  if (b.dlq !== dlq) out.push(`DLQ ${b.dlq} != ${dlq}`)
  return out
}

/** The invariants every scenario ends with (vitest `expect` passed in to keep this file framework-free). */
export function assertBooks(expect: (v: unknown, msg?: string) => { toBe(x: unknown): void; toEqual(x: unknown): void }, b: Books, w: Workload, dlq = 0): void {
  expect(b.lost, 'events without an interactions row').toBe(0)
  expect(b.duplicated, 'extra interactions rows').toBe(0)
  expect(b.topicDuplicates, 'duplicate ScoredInteraction records on llm.scores').toBe(0)
  expect(b.scoreRowMismatches, 'events whose scores rows differ from their score entries').toBe(0)
  expect(b.interactionsRows, 'interactions rows').toBe(w.events.length)
  expect(b.aggregates, 'aggregates equal to the raw counts').toEqual({ metrics1m: b.interactionsRows, metrics1h: b.interactionsRows, scores1m: b.scoresRows, scores1h: b.scoresRows })
  const one = Object.fromEntries(w.incidentApps.map((a) => [a, 1]))
  expect(b.incidentFiring.topic, 'firing alerts per incident on llm.alerts').toEqual(one)
  expect(b.incidentFiring.clickhouse, 'firing alerts per incident in ClickHouse').toEqual(one)
  expect(b.doubleFired, 'dedup keys that fired twice').toEqual([])
  expect(b.dlq, 'dead-lettered records').toBe(dlq)
}
