/**
 * Scorer service benchmark: how should scoring be parallelized? Same backlog, same run, four ways:
 *   inline      one process, scoring on the Kafka thread (SCORER_WORKERS=0)
 *   pool        one process, worker-thread pool of one thread per core (the default)
 *   processes   two processes in one consumer group, each scoring inline
 *   pool, no EOS  the pool with SCORER_EXACTLY_ONCE=false: the cost of Kafka transactions
 *
 *   npx tsx bench/scorer-service.ts [--json] [--events 20000]
 *
 * Each variant consumes the same pre-produced backlog of generated events (1-4 KB, some with RAG
 * context and samples) with a fresh consumer group into a fresh output topic; events/s = events /
 * time from start to the group having committed every offset. Services run as child processes
 * (`node bin/llmwatch.mjs run scorer`), as deployed. Kafka: KAFKA_BROKERS, or a temporary local broker.
 * Progress on stderr; with --json the last stdout line is the JSON result.
 *
 *   npx tsx bench/scorer-service.ts --cpu [--json] [--events 4000] [--rounds 3] [--profile file.cpuprofile]
 *                                   [--variants inline,inline_noscore] [--no-steps]
 *
 * CPU mode: the service's overhead per event, in CPU time (process.cpuUsage, all threads of this
 * process: on a shared, loaded box wall time mostly measures the neighbours). Two parts:
 *  - steps: each step outside the scorers alone, on the same events (Avro decode, contract check,
 *    whole `codec.decode`, structured clone of decoded events to a worker, ScoredInteraction encode);
 *  - service: `startScorer` in this process on a real broker (inline scoring, then the worker pool of
 *    2 threads, both reused across rounds so their JIT is warm), from start until every event is
 *    scored and committed, minus the scorers alone (`scoreEvent` on the same events, measured in the
 *    same round). Round 1 is a warm-up; the figures are medians of the other rounds. The `*_noscore`
 *    variants run with every scorer disabled and text mode full: their whole CPU per event is the
 *    overhead (Kafka, decode, validation, hand-off to workers, encode of a record without score
 *    entries, produce), without the noise of subtracting two large numbers.
 * --profile writes a CPU profile of the main thread during round 2's service runs. --variants runs only
 * the named service variants (default all four); --no-steps skips the steps and the hand-off.
 *
 *   npx tsx bench/scorer-service.ts --process [--json] [--events 50000] [--rounds 3] [--roots DIR,DIR]
 *
 * Process mode: the scorer as bench/pipeline.ts runs it (`node bin/llmwatch.mjs run scorer`, default
 * settings) on a backlog like the pipeline's (shared/traffic, seed 7, on llm.interactions), a fresh
 * group and output topic per run. Per run: CPU ms per event of the child process (/proc, from its
 * first committed offset to lag 0, over the events scored in between) and its peak RSS (VmHWM).
 * --roots runs the `bin/llmwatch.mjs` of each checkout (e.g. a `git worktree` of an earlier commit),
 * alternated round by round on the same broker and backlog: before/after in the same minutes; a root
 * may carry settings for its scorer, `DIR?SCORER_FETCH_MAX_BYTES=262144&SCORER_CONCURRENCY=2`.
 * BENCH_NODE_ARGS (e.g. "--heapsnapshot-near-heap-limit=1") go to the child's node.
 *
 *   npx tsx bench/scorer-service.ts --process --rate 2000 [--duration 20s] [--rounds 3] [--roots DIR,DIR] [--json]
 *
 * Paced process mode (--rate): events arrive in real time, as in the pipeline's latency phase and in
 * production, so batches are small and per-batch costs (fetch, transaction round trips, timers) weigh
 * more than on a backlog. Per run: a fresh input topic, the scorer started on it, 5 s of paced
 * warm-up traffic (its JIT warms up and the group joins), then --rate events/s for --duration
 * (shared/traffic, seed 7, event times = send time); CPU ms per event of the child between the
 * warm-up's lag reaching 0 and the measured traffic's lag reaching 0, plus the service's batches and
 * transactions per event (its /healthz) and the mean event-to-score latency of the measured part
 * (llmwatch_event_to_score_seconds). `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"` profiles it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import v8 from 'node:v8'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Codec } from '../shared/codec.js'
import { resolveKafka } from '../shared/infra/index.js'
import { createKafka } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { repoPath } from '../shared/paths.js'
import { createTrafficGenerator, generateEvents, type TrafficGenerator } from '../shared/traffic/index.js'
import { LlmInteractionSchema, TOPICS, type LlmInteraction } from '../shared/contract.js'
import type { KafkaHandle, OutMessage, Producer } from '../shared/kafka.js'
import { toMessage } from '../services/producer/produce.js'
import { scoreEvent } from '../services/scorer/engine.js'
import { InlineScoring, WorkerPoolScoring, type Scoring } from '../services/scorer/pool.js'
import { resolveScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS } from '../services/scorer/scorers/index.js'
import { startScorer } from '../services/scorer/service.js'
import { startChild, tail } from './pipeline/children.js'
import { produceBacklog } from './pipeline/traffic.js'

const log = (m: string) => process.stderr.write(`[bench:scorer-service] ${m}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Args { json: boolean; events: number; cpu: boolean; process: boolean; roots: string[]; rounds: number; profile: string | null; variants: string[] | null; steps: boolean; rate: number; durationMs: number }

function args(argv: string[]): Args {
  const a: Args = { json: false, events: 0, cpu: false, process: false, roots: [repoPath()], rounds: 3, profile: null, variants: null, steps: true, rate: 0, durationMs: 20_000 }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') a.json = true
    else if (argv[i] === '--events') a.events = Number(argv[++i])
    else if (argv[i] === '--cpu') a.cpu = true
    else if (argv[i] === '--process') a.process = true
    else if (argv[i] === '--roots') a.roots = (argv[++i] ?? '').split(',').map((r) => (r.includes('?') ? `${path.resolve(r.slice(0, r.indexOf('?')))}${r.slice(r.indexOf('?'))}` : path.resolve(r)))
    else if (argv[i] === '--rounds') a.rounds = Number(argv[++i])
    else if (argv[i] === '--profile') a.profile = argv[++i] ?? null
    else if (argv[i] === '--variants') a.variants = (argv[++i] ?? '').split(',')
    else if (argv[i] === '--no-steps') a.steps = false
    else if (argv[i] === '--rate') a.rate = Number(argv[++i])
    else if (argv[i] === '--duration') a.durationMs = Number(/^(\d+(?:\.\d+)?)s?$/.exec(argv[++i] ?? '')?.[1] ?? NaN) * 1000
    else throw new Error(`unknown argument ${argv[i]} (usage: bench/scorer-service.ts [--cpu [--rounds R] [--profile F] [--variants a,b] [--no-steps] | --process [--rate N [--duration 20s]] [--rounds R] [--roots DIR,DIR]] [--json] [--events N])`)
  }
  if (a.events === 0) a.events = a.cpu ? 4000 : a.process ? 50_000 : 20_000
  if (!(a.events > 0)) throw new Error('--events must be positive')
  if (a.rate !== 0 && !(a.process && a.rate > 0)) throw new Error('--rate needs --process and a positive events/s')
  if (!(a.durationMs > 0)) throw new Error('--duration must be a positive number of seconds, e.g. 20s')
  if (!(a.rounds >= (a.process ? 1 : 2))) throw new Error(a.process ? '--rounds must be at least 1' : '--rounds must be at least 2 (the first is a warm-up)')
  return a
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** CPU microseconds (user + system, all threads) per item of `fn` over `n` items. */
function cpuUs(n: number, fn: () => unknown): number {
  const c0 = process.cpuUsage()
  fn()
  const u = process.cpuUsage(c0)
  return (u.user + u.system) / n
}

const r1 = (x: number) => Math.round(x * 10) / 10

/** Steps outside the scorers, each alone, on the same events: CPU us per event, median of rounds. */
function measureSteps(events: LlmInteraction[], rounds: number): Record<string, number> {
  const codec = Codec.load()
  const n = events.length
  const bufs = events.map((e) => codec.encode('LlmInteraction', e))
  const type = codec.typeOf('LlmInteraction')
  const decoded = bufs.map((b) => type.fromBuffer(b.subarray(5)) as unknown)
  const config = resolveScorerConfig({ timeBudgetMs: 60_000 }, SCORERS)
  const scored = events.map((e) => scoreEvent(e, SCORERS, config))
  let sink = 0
  const steps: Record<string, () => unknown> = {
    avro_decode: () => { for (const b of bufs) sink += (type.fromBuffer(b.subarray(5)) as LlmInteraction).messages.length },
    zod_validate: () => { for (const d of decoded) sink += LlmInteractionSchema.safeParse(d).success ? 1 : 0 },
    codec_decode: () => { for (const b of bufs) sink += codec.decode('LlmInteraction', b, {}).ok ? 1 : 0 },
    // postMessage serializes with the same V8 serializer; the worker deserializes.
    clone_decoded_events: () => { sink += (v8.deserialize(v8.serialize(events)) as unknown[]).length },
    encode_scored: () => { for (const s of scored) sink += codec.encode('ScoredInteraction', s).length },
    scorers: () => { for (const e of events) sink += scoreEvent(e, SCORERS, config).scores.length },
  }
  const out: Record<string, number> = {}
  for (const [name, fn] of Object.entries(steps)) {
    fn() // warm-up
    const xs: number[] = []
    for (let r = 0; r < rounds; r++) xs.push(cpuUs(n, fn))
    out[name] = r1(median(xs))
    log(`step ${name.padEnd(22)} ${String(out[name]).padStart(7)} us/event (CPU)`)
  }
  if (sink < 0) log('unreachable')
  return out
}

/** The service in this process on a real broker: CPU per event minus the scorers alone. */
async function measureService(kafka: KafkaHandle, input: string, events: LlmInteraction[], rounds: number, profile: string | null, variants: string[] | null) {
  const codec = Codec.load()
  const n = events.length
  const raw = { timeBudgetMs: 60_000 }
  const config = resolveScorerConfig(raw, SCORERS)
  const off = { ...raw, ...Object.fromEntries(SCORERS.map((s) => [s.name, { enabled: false }])) }
  const offConfig = resolveScorerConfig(off, SCORERS)
  const all: Record<string, () => Scoring> = {
    inline: () => new InlineScoring(SCORERS, config, codec, 'redacted'),
    pool: () => new WorkerPoolScoring(2, raw, 'redacted'),
    inline_noscore: () => new InlineScoring(SCORERS, offConfig, codec, 'full'),
    pool_noscore: () => new WorkerPoolScoring(2, off, 'full'),
  }
  for (const v of variants ?? []) if (!(v in all)) throw new Error(`unknown variant ${v} (${Object.keys(all).join(', ')})`)
  const pools = Object.fromEntries(Object.entries(all).filter(([m]) => variants === null || variants.includes(m)).map(([m, make]) => [m, make()]))
  // The service closes its scoring on stop: hand it a view whose close() keeps the pool for the next round.
  // (Methods listed: a spread of the class instance would drop scoreRaw, a prototype method, and the
  // service would then decode in the runner instead of in the scoring, which is not how it runs.)
  const keep = (s: Scoring): Scoring => ({
    score: (...a) => s.score(...a),
    ...(s.scoreRaw ? { scoreRaw: (...a: Parameters<NonNullable<Scoring['scoreRaw']>>) => s.scoreRaw!(...a) } : {}),
    close: async () => {},
  })
  const session = profile ? new Session() : null
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
  }
  const rows: Record<string, { total: number[]; overhead: number[]; batches: number }> = {}
  try {
    for (let r = 0; r < rounds; r++) {
      const scorersUs = cpuUs(n, () => { for (const e of events) scoreEvent(e, SCORERS, config) })
      log(`round ${r + 1} scorers alone ${Math.round(scorersUs)} us/event CPU`)
      for (const [mode, scoring] of Object.entries(pools)) {
        const output = `bench.scores.${randomUUID().slice(0, 8)}`
        await kafka.ensureTopics([{ name: output, partitions: 6 }])
        if (session && r === 1) await session.post('Profiler.start')
        const c0 = process.cpuUsage()
        const svc = await startScorer({
          kafka, codec, logger: silentLogger, scorers: SCORERS, config, scoring: keep(scoring),
          groupId: `bench-scorer-${randomUUID().slice(0, 8)}`, inputTopic: input, outputTopic: output,
        })
        while (svc.stats().scored < n) await sleep(10)
        const u = process.cpuUsage(c0)
        const batches = svc.stats().batches
        await svc.stop()
        const total = (u.user + u.system) / n
        const overhead = mode.endsWith('_noscore') ? total : total - scorersUs
        log(`round ${r + 1} ${mode.padEnd(14)} ${Math.round(total)} us/event CPU, overhead ${Math.round(overhead)} (${batches} batches)${r === 0 ? ' [warm-up]' : ''}`)
        if (r === 0) continue
        const row = (rows[mode] ??= { total: [], overhead: [], batches })
        row.total.push(total)
        row.overhead.push(overhead)
      }
      if (session && r === 1) {
        const { profile: p } = await session.post('Profiler.stop')
        writeFileSync(profile!, JSON.stringify(p))
        log(`profile of round 2 written to ${profile}`)
      }
    }
  } finally {
    for (const s of Object.values(pools)) await s.close()
    session?.disconnect()
  }
  return Object.fromEntries(Object.entries(rows).map(([m, x]) => [m, { cpu_us_per_event: Math.round(median(x.total)), overhead_us_per_event: Math.round(median(x.overhead)), batches: x.batches }]))
}

/**
 * The hand-off to the worker pool with every scorer disabled (text mode full), batches of 400: decode
 * on this thread and structured-clone the events (`score`) vs raw bytes packed into one transferred
 * buffer and decoded in the workers (`scoreRaw`). CPU us per event of the whole process.
 */
async function measureHandoff(events: LlmInteraction[], rounds: number): Promise<Record<string, number>> {
  const codec = Codec.load()
  const n = events.length
  const bufs = events.map((e) => codec.encode('LlmInteraction', e))
  const pool = new WorkerPoolScoring(2, Object.fromEntries(SCORERS.map((s) => [s.name, { enabled: false }])), 'full')
  const cpu = async (fn: () => Promise<void>) => {
    const c0 = process.cpuUsage()
    await fn()
    const u = process.cpuUsage(c0)
    return (u.user + u.system) / n
  }
  const decoded = async () => {
    for (let i = 0; i < n; i += 400) {
      await pool.score(bufs.slice(i, i + 400).map((b) => {
        const r = codec.decode('LlmInteraction', b, {})
        if (!r.ok) throw new Error(r.reason)
        return r.value
      }))
    }
  }
  const raw = async () => {
    for (let i = 0; i < n; i += 400) await pool.scoreRaw(bufs.slice(i, i + 400).map((b) => ({ value: b, contentType: undefined })))
  }
  const a: number[] = []
  const b: number[] = []
  try {
    for (let r = 0; r < rounds + 2; r++) {
      const x = await cpu(decoded)
      const y = await cpu(raw)
      if (r > 1) { a.push(x); b.push(y) } // rounds 0-1 warm the workers' JIT
    }
  } finally {
    await pool.close()
  }
  const out = { handoff_decode_then_clone: r1(median(a)), handoff_raw_to_workers: r1(median(b)) }
  log(`hand-off, scorers off: decode here + clone ${out.handoff_decode_then_clone} us/event, raw bytes to workers ${out.handoff_raw_to_workers}`)
  return out
}

async function cpuMain(a: Args): Promise<void> {
  const events = generateEvents(a.events, 99)
  const steps = a.steps ? { ...measureSteps(events, a.rounds), ...(await measureHandoff(events, a.rounds)) } : {}
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-bench-scorer-'))
  const infra = await resolveKafka({ dataDir, fresh: true, log })
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-scorer-service', logger: silentLogger, partitions: 6 })
  try {
    const codec = Codec.load()
    const input = `bench.interactions.${randomUUID().slice(0, 8)}`
    await kafka.ensureTopics([{ name: input, partitions: 6 }, { name: 'llm.dlq', partitions: 1 }])
    const producer = await kafka.producer()
    for (let i = 0; i < events.length; i += 1000) {
      await producer.send(input, events.slice(i, i + 1000).map((e) => ({ key: `${e.app_name}|${e.request_model}`, value: codec.encode('LlmInteraction', e) })))
    }
    await producer.disconnect()
    const service = await measureService(kafka, input, events, a.rounds, a.profile, a.variants)
    const out = { events: a.events, rounds: a.rounds, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), steps_us_per_event: steps, service }
    if (a.json) process.stdout.write(JSON.stringify(out) + '\n')
  } finally {
    await kafka.close()
    await infra.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** --process: the deployed scorer process of each root on one backlog, alternated; CPU per event and peak RSS. */
async function processMain(a: Args): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-bench-scorer-'))
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-bench-scorer-logs-'))
  const infra = await resolveKafka({ dataDir, fresh: true, log })
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-scorer-service', logger: silentLogger, partitions: 6 })
  const runs: { root: string; round: number; cpu_ms_per_event: number; peak_rss_mb: number; events_per_s: number }[] = []
  try {
    await kafka.ensureTopics()
    const backlog = await produceBacklog({ kafka, codec: Codec.load(), count: a.events, seed: 7 })
    log(`backlog: ${backlog.sent} events, ${(backlog.bytes / 1e6).toFixed(0)} MB on ${TOPICS.interactions.name}`)
    for (let r = 0; r < a.rounds; r++) {
      for (const root of a.roots) {
        const [dir, query] = root.split('?') as [string, string | undefined]
        const settings = Object.fromEntries(new URLSearchParams(query ?? ''))
        const id = randomUUID().slice(0, 8)
        const group = `bench-scorer-${id}`
        const output = `bench.scores.${id}`
        await kafka.ensureTopics([{ name: output, partitions: 6 }])
        const { child } = await startChild({
          name: `scorer-${r}-${path.basename(dir)}-${id}`, logDir,
          args: [path.join(dir, 'bin', 'llmwatch.mjs'), 'run', 'scorer'],
          env: { ...settings, KAFKA_BROKERS: infra.brokers.join(','), SCORER_GROUP_ID: group, SCORER_OUTPUT_TOPIC: output, LOG_LEVEL: 'warn' },
        })
        let first: { t: number; cpu: number; done: number } | null = null
        let done = 0
        try {
          while (done < a.events) {
            await sleep(200)
            if (child.exited()) throw new Error(`the scorer exited:\n${tail(child.logFile)}`)
            child.sample()
            done = a.events - (await kafka.groupLag(group, TOPICS.interactions.name).catch(() => a.events))
            if (first === null && done > 0) first = { t: Date.now(), cpu: child.cpuSeconds() ?? NaN, done }
          }
          const cpu = child.cpuSeconds() ?? NaN
          child.sample()
          const run = {
            root, round: r + 1,
            cpu_ms_per_event: Math.round(((cpu - first!.cpu) * 1e6) / (done - first!.done)) / 1000,
            peak_rss_mb: Math.round(child.peak().hwmMb),
            events_per_s: Math.round(((done - first!.done) * 1000) / (Date.now() - first!.t)),
          }
          runs.push(run)
          log(`round ${r + 1} ${root}: ${run.cpu_ms_per_event} ms CPU/event, peak RSS ${run.peak_rss_mb} MB, ${run.events_per_s} events/s`)
        } finally {
          await child.stop()
        }
      }
    }
    const summary = Object.fromEntries(a.roots.map((root) => {
      const mine = runs.filter((x) => x.root === root)
      const med = (f: (x: (typeof mine)[number]) => number, k: number) => Math.round(median(mine.map(f)) * k) / k
      return [root, { cpu_ms_per_event: med((x) => x.cpu_ms_per_event, 10_000), peak_rss_mb: med((x) => x.peak_rss_mb, 1), events_per_s: med((x) => x.events_per_s, 1) }]
    }))
    for (const [root, x] of Object.entries(summary)) log(`median ${root}: ${x.cpu_ms_per_event} ms CPU/event, peak RSS ${x.peak_rss_mb} MB, ${x.events_per_s} events/s`)
    if (a.json) process.stdout.write(JSON.stringify({ events: a.events, rounds: a.rounds, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), runs, median: summary }) + '\n')
  } finally {
    await kafka.close()
    await infra.stop()
    rmSync(dataDir, { recursive: true, force: true })
    if (process.env.BENCH_KEEP_DIR) log(`kept ${logDir} (BENCH_KEEP_DIR)`)
    else rmSync(logDir, { recursive: true, force: true })
  }
}

/**
 * Sends `rate` events/s to `topic` for `ms`: every 20 ms the events due so far in one send (acks=all,
 * awaited), as bench/pipeline/traffic.ts paces the pipeline's latency phase. Returns the events sent.
 */
async function sendPaced(producer: Producer, codec: Codec, gen: TrafficGenerator, topic: string, rate: number, ms: number): Promise<number> {
  const t0 = Date.now()
  let sent = 0
  for (;;) {
    const elapsed = Date.now() - t0
    if (elapsed >= ms) break
    const due = Math.min(500, Math.floor((elapsed / 1000) * rate) - sent)
    if (due <= 0) {
      await sleep(5)
      continue
    }
    const now = Date.now()
    const messages: OutMessage[] = new Array(due)
    for (let i = 0; i < due; i++) messages[i] = toMessage(codec, gen.next(now), 'avro')
    await producer.send(topic, messages)
    sent += due
  }
  return sent
}

/** --process --rate: the deployed scorer of each root on paced traffic, alternated; see the module comment. */
async function pacedMain(a: Args): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-bench-scorer-'))
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-bench-scorer-logs-'))
  const infra = await resolveKafka({ dataDir, fresh: true, log })
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-scorer-service', logger: silentLogger, partitions: 6 })
  const codec = Codec.load()
  const gen = createTrafficGenerator({ seed: 7 })
  const runs: { root: string; round: number; events: number; cpu_ms_per_event: number; batches_per_event: number; transactions_per_s: number; event_to_score_mean_ms: number; peak_rss_mb: number }[] = []
  try {
    await kafka.ensureTopics()
    for (let r = 0; r < a.rounds; r++) {
      for (const root of a.roots) {
        const [dir, query] = root.split('?') as [string, string | undefined]
        const settings = Object.fromEntries(new URLSearchParams(query ?? ''))
        const id = randomUUID().slice(0, 8)
        const group = `bench-scorer-${id}`
        const input = `bench.interactions.${id}`
        const output = `bench.scores.${id}`
        await kafka.ensureTopics([{ name: input, partitions: 6 }, { name: output, partitions: 6 }])
        const { child } = await startChild({
          name: `scorer-${r}-${path.basename(dir)}-${id}`, logDir,
          args: [path.join(dir, 'bin', 'llmwatch.mjs'), 'run', 'scorer'],
          env: { ...settings, KAFKA_BROKERS: infra.brokers.join(','), SCORER_GROUP_ID: group, SCORER_INPUT_TOPIC: input, SCORER_OUTPUT_TOPIC: output, LOG_LEVEL: 'warn' },
        })
        const lagZero = async (what: string) => {
          const until = Date.now() + 120_000
          for (;;) {
            if (child.exited()) throw new Error(`the scorer exited:\n${tail(child.logFile)}`)
            child.sample()
            const lag = await kafka.groupLag(group, input).catch(() => -1)
            if (lag === 0) return
            if (Date.now() > until) throw new Error(`the scorer did not catch up with the ${what} within 120 s`)
            await sleep(100)
          }
        }
        const stats = async () => {
          const h = await child.health()
          const [sum, count] = await Promise.all([
            child.metric('llmwatch_event_to_score_seconds_sum', {}),
            child.metric('llmwatch_event_to_score_seconds_count', {}),
          ])
          return { scored: Number(h?.scored ?? NaN), batches: Number(h?.batches ?? NaN), transactions: Number(h?.transactions ?? NaN), latencySum: sum ?? NaN, latencyCount: count ?? NaN }
        }
        log(`round ${r + 1} ${root}: scorer pid ${child.pid}`)
        // A producer per run: kafkajs keeps refreshing the metadata of every topic it ever sent to.
        const producer = await kafka.producer()
        try {
          await sendPaced(producer, codec, gen, input, a.rate, 5000)
          await lagZero('warm-up')
          const s0 = await stats()
          const cpu0 = child.cpuSeconds() ?? NaN
          const t0 = Date.now()
          const sent = await sendPaced(producer, codec, gen, input, a.rate, a.durationMs)
          await lagZero('measured traffic')
          const cpu1 = child.cpuSeconds() ?? NaN
          const seconds = (Date.now() - t0) / 1000
          const s1 = await stats()
          child.sample()
          const run = {
            root, round: r + 1, events: sent,
            cpu_ms_per_event: Math.round(((cpu1 - cpu0) * 1e6) / sent) / 1000,
            batches_per_event: Math.round(((s1.batches - s0.batches) / sent) * 1000) / 1000,
            transactions_per_s: Math.round((s1.transactions - s0.transactions) / seconds),
            event_to_score_mean_ms: Math.round(((s1.latencySum - s0.latencySum) / (s1.latencyCount - s0.latencyCount)) * 1000),
            peak_rss_mb: Math.round(child.peak().hwmMb),
          }
          runs.push(run)
          log(`round ${r + 1} ${root}: ${run.cpu_ms_per_event} ms CPU/event over ${sent} events, ${run.batches_per_event} batches/event, ${run.transactions_per_s} transactions/s, event-to-score mean ${run.event_to_score_mean_ms} ms, peak RSS ${run.peak_rss_mb} MB`)
        } finally {
          await producer.disconnect()
          await child.stop()
        }
      }
    }
    const summary = Object.fromEntries(a.roots.map((root) => {
      const mine = runs.filter((x) => x.root === root)
      const med = (f: (x: (typeof mine)[number]) => number, k: number) => Math.round(median(mine.map(f)) * k) / k
      return [root, { cpu_ms_per_event: med((x) => x.cpu_ms_per_event, 10_000), batches_per_event: med((x) => x.batches_per_event, 1000), transactions_per_s: med((x) => x.transactions_per_s, 1), event_to_score_mean_ms: med((x) => x.event_to_score_mean_ms, 1), peak_rss_mb: med((x) => x.peak_rss_mb, 1) }]
    }))
    for (const [root, x] of Object.entries(summary)) log(`median ${root}: ${x.cpu_ms_per_event} ms CPU/event, ${x.transactions_per_s} transactions/s, event-to-score mean ${x.event_to_score_mean_ms} ms, peak RSS ${x.peak_rss_mb} MB`)
    if (a.json) process.stdout.write(JSON.stringify({ rate: a.rate, duration_s: a.durationMs / 1000, rounds: a.rounds, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), runs, median: summary }) + '\n')
  } finally {
    await kafka.close()
    await infra.stop()
    rmSync(dataDir, { recursive: true, force: true })
    if (process.env.BENCH_KEEP_DIR) log(`kept ${logDir} (BENCH_KEEP_DIR)`)
    else rmSync(logDir, { recursive: true, force: true })
  }
}

interface Variant { name: string; processes: number; env: Record<string, string> }

async function main(): Promise<void> {
  const a = args(process.argv.slice(2))
  if (a.cpu) return cpuMain(a)
  if (a.process) return a.rate > 0 ? pacedMain(a) : processMain(a)
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-bench-scorer-'))
  const infra = await resolveKafka({ dataDir, fresh: true, log })
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-scorer-service', logger: silentLogger, partitions: 6 })
  const codec = Codec.load()
  const children = new Set<ChildProcess>()
  try {
    const input = `bench.interactions.${randomUUID().slice(0, 8)}`
    await kafka.ensureTopics([{ name: input, partitions: 6 }, { name: 'llm.dlq', partitions: 1 }])
    log(`generating and producing ${a.events} events to ${input}`)
    const producer = await kafka.producer()
    const events = generateEvents(a.events, 99)
    for (let i = 0; i < events.length; i += 2000) {
      await producer.send(input, events.slice(i, i + 2000).map((e) => ({ key: `${e.app_name}|${e.request_model}`, value: codec.encode('LlmInteraction', e) })))
    }
    await producer.disconnect()
    const cores = os.availableParallelism()
    const variants: Variant[] = [
      { name: 'inline (1 process, Kafka thread)', processes: 1, env: { SCORER_WORKERS: '0' } },
      { name: `pool (1 process, ${cores} worker threads)`, processes: 1, env: { SCORER_WORKERS: String(cores) } },
      { name: `processes (${cores} processes, inline)`, processes: cores, env: { SCORER_WORKERS: '0' } },
      { name: `pool without exactly-once`, processes: 1, env: { SCORER_WORKERS: String(cores), SCORER_EXACTLY_ONCE: 'false' } },
    ]
    const results: { variant: string; events_per_sec: number; seconds: number }[] = []
    for (const v of variants) {
      // A fresh consumer group reads the shared input backlog; each variant writes a fresh output topic.
      const group = `bench-scorer-${randomUUID().slice(0, 8)}`
      const output = `bench.scores.${randomUUID().slice(0, 8)}`
      await kafka.ensureTopics([{ name: output, partitions: 6 }])
      log(`${v.name}: starting ${v.processes} process(es)`)
      const started = Date.now()
      for (let p = 0; p < v.processes; p++) {
        const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'run', 'scorer'], {
          env: {
            ...process.env, ...v.env, KAFKA_BROKERS: infra.brokers.join(','), SCORER_GROUP_ID: group, LOG_LEVEL: 'warn',
            SCORER_INPUT_TOPIC: input, SCORER_OUTPUT_TOPIC: output,
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        })
        children.add(child)
      }
      let lag = a.events
      while (lag > 0) {
        await sleep(500)
        lag = await kafka.groupLag(group, input).catch(() => a.events)
        const committed = a.events - lag
        if (committed > 0) log(`${v.name}: ${committed}/${a.events} scored, ${Math.round((committed * 1000) / (Date.now() - started))}/s`)
      }
      const seconds = (Date.now() - started) / 1000
      results.push({ variant: v.name, events_per_sec: Math.round(a.events / seconds), seconds: Math.round(seconds * 10) / 10 })
      for (const c of children) c.kill('SIGTERM')
      await Promise.all([...children].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
      children.clear()
    }
    const base = results[0]!.events_per_sec
    const out = {
      events: a.events,
      cores: os.availableParallelism(),
      loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      note: 'includes process start-up and group join; same backlog and broker for every variant',
      results: results.map((r) => ({ ...r, ratio_vs_inline: Math.round((r.events_per_sec / base) * 100) / 100 })),
    }
    for (const r of out.results) log(`${r.variant.padEnd(40)} ${String(r.events_per_sec).padStart(7)} events/s  x${r.ratio_vs_inline}`)
    if (a.json) process.stdout.write(JSON.stringify(out) + '\n')
  } finally {
    for (const c of children) c.kill('SIGKILL')
    await kafka.close()
    await infra.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
