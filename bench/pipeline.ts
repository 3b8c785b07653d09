/**
 * End-to-end pipeline benchmark: `npm run bench -- --json`.
 *
 *   npx tsx bench/pipeline.ts [--json] [--events 50000] [--rate 5000] [--duration 30s]
 *                             [--probe-every 100] [--repeat 3] [--chart docs/bench/pipeline.svg]
 *
 * One run, on a private Kafka broker started for it (fresh data dir; the services use the default
 * topic names, so the benchmark never shares a broker) and a private `llmwatch clickhouse serve` on a
 * fresh chDB directory (a child process like the services, measured like them: peak RSS and CPU as
 * `clickhouse`); the services reach it through CLICKHOUSE_URL:
 *  0. backlog: --events realistic LlmInteraction events (shared/traffic), Avro, produced as fast as
 *     the broker takes them to llm.interactions (6 partitions).
 *  1. baseline: a raw kafkajs consumer group reads + Avro-decodes the whole backlog in this process,
 *     --repeat times (median): the ceiling for this client on this machine.
 *  2. throughput: sink, alerter and scorer run as separate processes (`node bin/llmwatch.mjs run
 *     <name>`, default settings, every scorer on, scorer worker pool, exactly-once hand-off). The
 *     scorer starts last, once sink and alerter are up; events/s = N / (scorer's partition
 *     assignment -> the scorer, sink and alerter groups all at lag 0). Peak RSS per process from
 *     /proc/<pid>/status (VmHWM).
 *  3. latency at a fixed load: --rate events/s for --duration (paced, acks=all). Every
 *     --probe-every-th event is a probe: a response that leaks another person's contact/card data,
 *     with a unique prompt_template_id. The sink is replaced by bench/pipeline/sink-probe.ts (the same
 *     sink plus a probe that asks ClickHouse which probe rows are visible, every 50 ms, and reads the
 *     server's MemoryTracking): produce-to-queryable = visible time - send time. An extra `immediate`
 *     rule (grouped by prompt_template_id) raises one alert per probe: produce-to-alert = time the
 *     Alert is read back from llm.alerts by this process - send time.
 * Progress goes to stderr; the last stdout line is one JSON object (pretty-printed without --json).
 * The SVG chart (throughput over time, latency percentiles over time, peak memory) goes to --chart.
 * Child processes inherit the environment, so SINK_BATCH_ROWS, SCORER_WORKERS ... can be varied;
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles them, BENCH_KEEP_DIR=1 keeps their logs.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { Codec } from '../shared/codec.js'
import { TOPICS } from '../shared/contract.js'
import { resolveKafka } from '../shared/infra/index.js'
import { freePort } from '../shared/infra/ports.js'
import { createKafka, type KafkaHandle } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { repoPath } from '../shared/paths.js'
import { startConsumer } from '../shared/runner.js'
import { rawConsume, type BaselineResult } from './pipeline/baseline.js'
import { renderSvg } from './pipeline/chart.js'
import { procCpuSeconds, startChild, tail, waitUntil, type Child } from './pipeline/children.js'
import type { ProbeReport, ProbeRequest } from './pipeline/sink-probe.js'
import { bucketed, median, percentiles } from './pipeline/stats.js'
import { produceBacklog, producePaced, PROBE_PREFIX, type ProbeSent } from './pipeline/traffic.js'

interface Args {
  json: boolean
  events: number
  rate: number
  durationMs: number
  probeEvery: number
  repeat: number
  chart: string
}

const USAGE = 'usage: bench/pipeline.ts [--json] [--events N] [--rate N] [--duration 30s] [--probe-every N] [--repeat N] [--chart file.svg]'

function parseDurationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s)
  if (!m) throw new Error(`expected a duration like 30s or 2m, got "${s}"`)
  const unit = m[2] ?? 's'
  return Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000)
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { json: false, events: 50_000, rate: 5000, durationMs: 30_000, probeEvery: 100, repeat: 3, chart: repoPath('docs', 'bench', 'pipeline.svg') }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    const v = () => {
      const x = argv[++i]
      if (x === undefined) throw new Error(`${k} needs a value (${USAGE})`)
      return x
    }
    if (k === '--json') a.json = true
    else if (k === '--events') a.events = Number(v())
    else if (k === '--rate') a.rate = Number(v())
    else if (k === '--duration') a.durationMs = parseDurationMs(v())
    else if (k === '--probe-every') a.probeEvery = Number(v())
    else if (k === '--repeat') a.repeat = Number(v())
    else if (k === '--chart') a.chart = resolve(v())
    else throw new Error(`unknown argument ${k} (${USAGE})`)
  }
  for (const [name, n] of [['--events', a.events], ['--rate', a.rate], ['--duration', a.durationMs], ['--probe-every', a.probeEvery], ['--repeat', a.repeat]] as const) {
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`${name} must be a positive integer, got ${n}`)
  }
  return a
}

const benchStart = Date.now()
const log = (m: string) => process.stderr.write(`[bench ${((Date.now() - benchStart) / 1000).toFixed(0).padStart(4)}s] ${m}\n`)
const loadAvg = () => os.loadavg().map((x) => Number(x.toFixed(2)))
const round = (x: number, d = 0) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null)

const GROUPS = { scorer: 'llmwatch-scorer' } as const
const PROBE_RULE = 'bench-probe-pii-leak'

/** The default rules plus one `immediate` rule that alerts once per probe event. */
function writeRules(dir: string): string {
  const doc = parseYaml(readFileSync(repoPath('config', 'alert-rules.yaml'), 'utf8')) as { rules: unknown[] }
  doc.rules.push({
    name: PROBE_RULE,
    kind: 'immediate',
    severity: 'info',
    select: { scorer: 'pii', target: 'response', label: 'leak' },
    group_by: ['prompt_template_id'],
    quiet_for: '1h',
    annotations: { summary: 'benchmark probe {{ prompt_template_id }}' },
  })
  const file = join(dir, 'rules.yaml')
  writeFileSync(file, stringifyYaml(doc))
  return file
}

/** The first 'partitions assigned' time in a service's pino log (ms), or null. */
function assignedAt(logFile: string): number | null {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue
    const rec = JSON.parse(line) as { msg?: string; time?: string | number; partitions?: number[] }
    // shared/logger.ts writes ISO times.
    const t = rec.time === undefined ? NaN : new Date(rec.time).getTime()
    if (rec.msg === 'partitions assigned' && (rec.partitions?.length ?? 0) > 0 && Number.isFinite(t)) return t
  }
  return null
}

const PROBE_WAIT_MS = 30_000
/** Issue 14's targets (docs/BENCHMARKS.md, Pipeline). */
const TARGET_EPS = 5_000
const TARGET_CPU_MS = 0.25

interface LatencyStep {
  name: string
  rate: number
  achievedRate: number
  sent: number
  probes: number
  queryable: { t: number; v: number }[]
  alerted: { t: number; v: number }[]
  loadBefore: number[]
  loadAfter: number[]
}

type Censored = { n: number; unseen: number; p50_ms: number | null; p90_ms: number | null; p99_ms: number | null; max_ms: number | null }

/** Percentiles over all `total` probes; those not seen within the wait count as later than any seen (null). */
function censored(values: number[], total: number): Censored {
  const p = percentiles([...values, ...Array.from({ length: Math.max(0, total - values.length) }, () => Infinity)])
  const fin = (x: number) => (Number.isFinite(x) ? x : null)
  return { n: p.n, unseen: Math.max(0, total - values.length), p50_ms: fin(p.p50_ms), p90_ms: fin(p.p90_ms), p99_ms: fin(p.p99_ms), max_ms: fin(p.max_ms) }
}

interface Sample {
  t: number
  scorerDone: number
  sinkDone: number
  alerterDone: number
  rss: Record<string, number>
  /** CPU seconds used so far, per process. */
  cpu: Record<string, number>
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const tmp = mkdtempSync(join(tmpdir(), 'llmwatch-bench-pipeline-'))
  const loadAtStart = loadAvg()
  log(`machine: ${os.availableParallelism()} cores, load average ${loadAtStart.join(' / ')} (1/5/15 min); work dir ${tmp}`)
  // A private broker: the services use the default topic names, which must hold only this run's data.
  const infra = await resolveKafka({ env: {}, dataDir: join(tmp, 'kafka'), fresh: true, log: (m) => log(m) })
  const kafka: KafkaHandle = createKafka({ brokers: infra.brokers, clientId: 'bench-pipeline', logger: silentLogger, partitions: 6 })
  const codec = Codec.load()
  const children: Child[] = []
  // The served ClickHouse: a child process like the services (CLICKHOUSE_SERVE_* from the environment).
  const chPort = await freePort()
  const clickhouse = (await startChild({
    name: 'clickhouse', logDir: tmp, args: [repoPath('bin', 'llmwatch.mjs'), 'clickhouse', 'serve'],
    env: { CLICKHOUSE_PATH: join(tmp, 'clickhouse'), CLICKHOUSE_SERVE_PORT: String(chPort), LOG_LEVEL: 'info' },
  })).child
  children.push(clickhouse)
  const env = {
    KAFKA_BROKERS: infra.brokers.join(','),
    CLICKHOUSE_URL: `http://127.0.0.1:${chPort}`,
    ALERTER_RULES_FILE: writeRules(tmp),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  }
  try {
    await waitUntil('llmwatch clickhouse serve', async () => {
      if (clickhouse.exited()) throw new Error(`clickhouse serve exited:\n${tail(clickhouse.logFile)}`)
      return fetch(`${env.CLICKHOUSE_URL}/ping`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)
    }, 60_000, 200)
    await kafka.ensureTopics()

    // ---- 0. backlog
    log(`phase 0: producing a backlog of ${args.events} events to ${TOPICS.interactions.name} ...`)
    let lastPrint = 0
    const backlog = await produceBacklog({
      kafka, codec, count: args.events, seed: 7,
      onProgress: (sent) => {
        if (Date.now() - lastPrint > 2000) {
          lastPrint = Date.now()
          log(`  ${sent} produced`)
        }
      },
    })
    log(`  backlog: ${backlog.sent} events, ${(backlog.bytes / 1e6).toFixed(0)} MB, ${Math.round(backlog.sent / backlog.seconds)} events/s produced`)

    // ---- 1. baseline
    const baselines: BaselineResult[] = []
    const cpuMs: number[] = []
    for (let i = 0; i < args.repeat; i++) {
      const cpu0 = process.cpuUsage()
      const b = await rawConsume({ brokers: infra.brokers, codec, expected: args.events, concurrency: 3 })
      const cpu = process.cpuUsage(cpu0)
      cpuMs.push((cpu.user + cpu.system) / 1000 / args.events)
      baselines.push(b)
      log(`phase 1: baseline run ${i + 1}/${args.repeat}: raw kafkajs consume + Avro decode ${b.eventsPerSec} events/s (${b.seconds.toFixed(2)} s, group join ${b.joinSeconds.toFixed(1)} s)`)
    }
    const baselineEps = median(baselines.map((b) => b.eventsPerSec))
    const baselineCpuMs = median(cpuMs)

    // ---- 2. throughput
    log('phase 2: starting sink and alerter ...')
    const sinkRun = await startChild({ name: 'sink', env, logDir: tmp })
    const alerterRun = await startChild({ name: 'alerter', env, logDir: tmp })
    children.push(sinkRun.child, alerterRun.child)
    const healthy = async (c: Child) => {
      if (c.exited()) throw new Error(`${c.name} exited during start-up:\n${tail(c.logFile)}`)
      const h = await c.health()
      return h !== null && h.ok === true
    }
    await waitUntil('sink and alerter health', async () => (await healthy(sinkRun.child)) && (await healthy(alerterRun.child)), 120_000, 200)
    log('  sink and alerter are up; starting the scorer on the backlog ...')
    const scorerSpawn = Date.now()
    const scorerRun = await startChild({ name: 'scorer', env, logDir: tmp })
    children.push(scorerRun.child)
    const sink = sinkRun.child
    const alerter = alerterRun.child
    const scorer = scorerRun.child

    const samples: Sample[] = []
    // Progress: the scorer's group lag on llm.interactions (produced without transactions, so the
    // lag reaches exactly 0); for sink and alerter the runner's consumed counter on llm.scores
    // from /metrics: their group lag never reaches 0 there, since the scorer's transaction markers
    // take offsets that no consumer commits past.
    const consumed = async (c: Child) => (await c.metric('llmwatch_messages_consumed_total', { service: c.name, topic: TOPICS.scores.name })) ?? 0
    const sample = async (): Promise<Sample> => {
      const [ls, sinkDone, alerterDone] = await Promise.all([kafka.groupLag(GROUPS.scorer, TOPICS.interactions.name), consumed(sink), consumed(alerter)])
      const rss: Record<string, number> = {}
      const cpu: Record<string, number> = {}
      for (const c of children) {
        c.sample()
        rss[c.name] = c.memory()?.rssMb ?? NaN
        cpu[c.name] = c.cpuSeconds() ?? NaN
      }
      cpu.broker = infra.pid === undefined ? NaN : (procCpuSeconds(infra.pid) ?? NaN)
      const s: Sample = { t: Date.now(), scorerDone: args.events - ls, sinkDone, alerterDone, rss, cpu }
      samples.push(s)
      return s
    }
    let scorerFinished = 0
    let lastLog = 0
    const phase2Timeout = Date.now() + 600_000
    for (;;) {
      for (const c of children) if (c.exited()) throw new Error(`${c.name} exited during the run:\n${tail(c.logFile)}`)
      const s = await sample()
      if (!scorerFinished && s.scorerDone >= args.events) scorerFinished = s.t
      if (s.t - lastLog >= 2000) {
        lastLog = s.t
        log(`  scored ${s.scorerDone}, stored ${s.sinkDone}, alerter ${s.alerterDone} of ${args.events}; RSS MB ${Object.entries(s.rss).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}; load ${loadAvg()[0]}`)
      }
      if (s.scorerDone >= args.events && s.sinkDone >= args.events && s.alerterDone >= args.events) break
      if (Date.now() > phase2Timeout) throw new Error('phase 2 did not finish within 10 minutes')
      await sleep(250)
    }
    const doneAt = samples.at(-1)!.t
    const startAt = assignedAt(scorer.logFile) ?? scorerSpawn
    const e2eSeconds = (doneAt - startAt) / 1000
    const e2eEps = Math.round(args.events / e2eSeconds)
    // Sustained: the slope of stored events between 10 % and 90 % of the backlog.
    const at = (frac: number) => samples.find((s) => s.sinkDone >= frac * args.events)?.t ?? NaN
    const sustainedEps = Math.round((0.8 * args.events) / ((at(0.9) - at(0.1)) / 1000))
    const alerterDoneAt = samples.find((s) => s.alerterDone >= args.events)?.t ?? NaN
    const maxAlerterLag = Math.max(...samples.map((s) => s.scorerDone - s.alerterDone))
    const maxSinkLag = Math.max(...samples.map((s) => s.scorerDone - s.sinkDone))
    // CPU per event and service between the scorer's assignment and the end: unlike events/s, this
    // hardly depends on what else runs on the machine.
    const first = samples.find((x) => x.t >= startAt) ?? samples[0]!
    const last = samples.at(-1)!
    const cpuMsPerEvent = Object.fromEntries(
      ['scorer', 'sink', 'alerter', 'clickhouse'].map((n) => [n, round((((last.cpu[n] ?? NaN) - (first.cpu[n] ?? NaN)) * 1000) / args.events, 3)]),
    )
    // The broker's share (the local JVM broker only), reported apart from the services'.
    const brokerCpuMs = round((((last.cpu.broker ?? NaN) - (first.cpu.broker ?? NaN)) * 1000) / args.events, 3)
    log(`  CPU ms per event: ${Object.entries(cpuMsPerEvent).map(([k, v]) => `${k} ${v}`).join(', ')}; broker ${brokerCpuMs}; baseline ${baselineCpuMs.toFixed(3)}`)
    log(
      `  phase 2: ${args.events} events through scorer -> sink (+ alerter) in ${e2eSeconds.toFixed(1)} s = ${e2eEps} events/s end to end ` +
        `(sustained ${sustainedEps}/s; scorer start-up ${((startAt - scorerSpawn) / 1000).toFixed(1)} s excluded); baseline ratio ${(e2eEps / baselineEps).toFixed(2)}`,
    )

    // Rows the raw tables hold per stored event after phase 2 (issue 14: 11 when every score entry
    // was a row of its own; 1 with the scores on the event's row). Alerts are not per event.
    const rawRows = await fetch(`${env.CLICKHOUSE_URL}/?query=${encodeURIComponent("SELECT sum(rows) FROM system.parts WHERE database = 'llmwatch' AND active AND table IN ('interactions', 'scores')")}`)
      .then(async (r) => (r.ok ? Number((await r.text()).trim()) : NaN), () => NaN)
    const storageRowsPerEvent = round(rawRows / args.events, 2)
    log(`  storage: ${rawRows} raw rows for ${args.events} events = ${storageRowsPerEvent} per event`)

    // ---- 3. latency at a fixed load: swap the sink for the probing sink (same group: it resumes).
    log('phase 3: replacing the sink by the probing sink ...')
    await sink.stop()
    const probeRun = await startChild({ name: 'sink-probe', env, logDir: tmp, args: ['--import', 'tsx', repoPath('bench', 'pipeline', 'sink-probe.ts')], ipc: true })
    children.push(probeRun.child)
    const probeSink = probeRun.child
    await waitUntil('probing sink health', () => healthy(probeSink), 120_000, 200)
    // Probe bookkeeping: which step a probe belongs to and when it was sent.
    const byEvent = new Map<string, { step: LatencyStep; sentAt: number }>()
    const byTemplate = new Map<string, { step: LatencyStep; sentAt: number }>()
    const chdbBytes: number[] = []
    /** The probing sink's VmRSS minus libchdb's resident pages minus chDB's MemoryTracking, per sample. */
    const sinkOwnBytes: number[] = []
    const sinkV8Bytes: number[] = []
    let probeErrors = 0
    probeRun.proc.on('message', (m: ProbeReport) => {
      if (m.type === 'visible') {
        for (const id of m.ids) {
          const p = byEvent.get(id)
          if (p) p.step.queryable.push({ t: p.sentAt, v: m.at - p.sentAt })
        }
      } else if (m.type === 'chdb') {
        chdbBytes.push(m.bytes)
        // chDB's MemoryTracking is the sink's own only when chDB runs inside it (libchdb mapped).
        sinkOwnBytes.push(m.libRss > 0 ? m.rss - m.libRss - m.bytes : m.rss)
        sinkV8Bytes.push(m.v8)
      }
      else if (++probeErrors <= 3) log(`  probe error in the sink: ${m.message}`)
    })
    const reader = await startConsumer({
      kafka, codec, logger: silentLogger, service: 'bench', groupId: 'bench-alert-reader', topic: TOPICS.alerts.name, record: 'Alert',
      handle: async (batch) => {
        const now = Date.now()
        for (const m of batch.messages) {
          if (m.value.rule !== PROBE_RULE || m.value.state !== 'firing' || m.value.reminder) continue
          const p = byTemplate.get(m.value.labels['prompt_template_id'] ?? '')
          if (p) p.step.alerted.push({ t: p.sentAt, v: now - p.sentAt })
        }
      },
    })
    await waitUntil('alert reader assignment', () => reader.assigned().length > 0, 60_000)
    const memSampler = setInterval(() => {
      for (const c of children) c.sample()
    }, 250)

    const runStep = async (name: string, rate: number): Promise<LatencyStep> => {
      const step: LatencyStep = { name, rate, queryable: [], alerted: [], probes: 0, sent: 0, achievedRate: 0, loadBefore: loadAvg(), loadAfter: [] }
      log(`  ${name}: producing ${rate} events/s for ${args.durationMs / 1000} s, every ${args.probeEvery}th a probe ...`)
      let lastPrint = Date.now()
      const paced = await producePaced({
        kafka, codec, rate, durationMs: args.durationMs, probeEvery: args.probeEvery, seed: 11 + rate,
        onProbe: (p: ProbeSent) => {
          byEvent.set(p.eventId, { step, sentAt: p.sentAt })
          byTemplate.set(p.templateId, { step, sentAt: p.sentAt })
          probeRun.proc.send({ type: 'watch', ids: [p.eventId] } satisfies ProbeRequest)
        },
        onSecond: (second, sent) => {
          if (Date.now() - lastPrint < 5000) return
          lastPrint = Date.now()
          const q = percentiles(step.queryable.map((x) => x.v))
          const a = percentiles(step.alerted.map((x) => x.v))
          log(`    ${second} s: ${sent} sent; queryable p50 ${q.p50_ms} p99 ${q.p99_ms} ms (${q.n}); alert p50 ${a.p50_ms} p99 ${a.p99_ms} ms (${a.n}); load ${loadAvg()[0]}`)
        },
      })
      step.probes = paced.probes.length
      step.sent = paced.sent
      step.achievedRate = paced.achievedRate
      log(`    produced ${paced.sent} events at ${paced.achievedRate}/s (${paced.probes.length} probes); waiting up to ${PROBE_WAIT_MS / 1000} s for the last probes ...`)
      await waitUntil('probes', () => step.queryable.length >= step.probes && step.alerted.length >= step.probes, PROBE_WAIT_MS, 200).catch((err: unknown) =>
        log(`    ${(err as Error).message}: ${step.queryable.length} queryable, ${step.alerted.length} alerted of ${step.probes} probes; the rest count as slower than the wait`),
      )
      step.loadAfter = loadAvg()
      const q = censored(step.queryable.map((x) => x.v), step.probes)
      const a = censored(step.alerted.map((x) => x.v), step.probes)
      log(`    ${name}: produce-to-queryable p50 ${q.p50_ms} p99 ${q.p99_ms} ms; produce-to-alert p50 ${a.p50_ms} p99 ${a.p99_ms} ms`)
      return step
    }
    // First a load the pipeline just measured it sustains (half its backlog rate), then the target rate.
    const steps: LatencyStep[] = []
    const easyRate = Math.min(args.rate, Math.max(100, Math.round((sustainedEps * 0.5) / 100) * 100))
    if (easyRate < args.rate) {
      steps.push(await runStep('sustainable', easyRate))
      // Let the pipeline drain before the next step.
      await waitUntil('drain', async () => (await kafka.groupLag(GROUPS.scorer, TOPICS.interactions.name)) === 0, 60_000, 500).catch((err: unknown) => log(`    ${(err as Error).message}`))
    }
    steps.push(await runStep('target', args.rate))
    clearInterval(memSampler)
    await reader.stop()

    // ---- memory and shutdown
    for (const c of [scorer, alerter, probeSink]) await c.stop()
    const peakMb = {
      scorer: scorer.peak().hwmMb,
      sink: sink.peak().hwmMb, // the real sink, phase 2 (stopped before phase 3)
      alerter: alerter.peak().hwmMb,
      sink_probe_phase3: probeSink.peak().hwmMb,
      clickhouse: (clickhouse.sample(), clickhouse.peak().hwmMb),
    }
    const chdbPeakMb = chdbBytes.length ? Math.max(...chdbBytes) / 1024 / 1024 : NaN
    const sinkOwnPeakMb = sinkOwnBytes.length ? Math.max(...sinkOwnBytes) / 1024 / 1024 : NaN
    log(`  peak RSS MB: scorer ${Math.round(peakMb.scorer)}, sink ${Math.round(peakMb.sink)} (phase 2), alerter ${Math.round(peakMb.alerter)}, probing sink ${Math.round(peakMb.sink_probe_phase3)} (phase 3; Node's heap + Buffers at most ${Math.round(Math.max(...sinkV8Bytes) / 1048576)} MB); clickhouse serve ${Math.round(peakMb.clickhouse)} (its MemoryTracking peak ${Math.round(chdbPeakMb)} MB)`)

    const target = steps.at(-1)!
    const targetAlert = censored(target.alerted.map((x) => x.v), target.probes)
    const targetQueryable = censored(target.queryable.map((x) => x.v), target.probes)
    const totalCpuMs = Object.values(cpuMsPerEvent).reduce<number>((x, y) => x + (y ?? NaN), 0)
    const result = {
      bench: 'pipeline',
      machine: { cores: os.availableParallelism(), load_avg_start: loadAtStart, load_avg_end: loadAvg(), node: process.version },
      kafka: infra.mode,
      clickhouse: 'llmwatch clickhouse serve (chDB, its own process; the services over HTTP)',
      backlog: { events: backlog.sent, mb: round(backlog.bytes / 1e6, 1), produce_events_per_s: Math.round(backlog.sent / backlog.seconds) },
      baseline: { what: 'raw kafkajs consumer group + avsc decode, one process', runs: baselines.map((b) => b.eventsPerSec), median_events_per_s: baselineEps, cpu_ms_per_event: round(baselineCpuMs, 3) },
      throughput: {
        events: args.events,
        seconds: round(e2eSeconds, 2),
        events_per_s: e2eEps,
        sustained_events_per_s: sustainedEps,
        scorer_startup_s: round((startAt - scorerSpawn) / 1000, 2),
        scorer_done_s: round((scorerFinished - startAt) / 1000, 2),
        alerter_done_s: round((alerterDoneAt - startAt) / 1000, 2),
        alerter_max_lag: maxAlerterLag,
        sink_max_lag: maxSinkLag,
        ratio_to_baseline: round(e2eEps / baselineEps, 3),
        cpu_ms_per_event: cpuMsPerEvent,
        broker_cpu_ms_per_event: brokerCpuMs,
        storage_rows_per_event: storageRowsPerEvent,
        // What 2 cores would do if the services had them to themselves (broker and producer excluded).
        cpu_bound_events_per_s: Math.round((os.availableParallelism() * 1000) / Object.values(cpuMsPerEvent).reduce<number>((x, y) => x + (y ?? NaN), 0)),
        // Issue 14's targets: >= 5,000 events/s end to end, <= 0.25 ms CPU per event for every
        // llmwatch process together (the served ClickHouse included, the broker apart).
        target_events_per_s: TARGET_EPS,
        target_cpu_ms_per_event: TARGET_CPU_MS,
      },
      latency: steps.map((st) => ({
        step: st.name,
        rate: st.rate,
        achieved_rate: st.achievedRate,
        seconds: args.durationMs / 1000,
        events: st.sent,
        probes: st.probes,
        produce_to_queryable: censored(st.queryable.map((x) => x.v), st.probes),
        produce_to_alert: censored(st.alerted.map((x) => x.v), st.probes),
        load_avg_before: st.loadBefore,
        load_avg_after: st.loadAfter,
      })),
      target_alert_p99_ms: 2000,
      target_queryable_p99_ms: 3000,
      memory_mb: {
        peak_rss: Object.fromEntries(Object.entries(peakMb).map(([k, v]) => [k, round(v)])),
        chdb_memory_tracking_peak: round(chdbPeakMb),
        // The probing sink's VmRSS (minus chDB's share, were chDB in it), sampled once a second.
        sink_without_chdb_peak: round(sinkOwnPeakMb),
        sink_v8_heap_and_buffers_peak: round(sinkV8Bytes.length ? Math.max(...sinkV8Bytes) / 1048576 : NaN),
        target_per_service: 300,
      },
      verdict: {
        throughput_5k: e2eEps >= TARGET_EPS,
        cpu_0_25_ms: totalCpuMs <= TARGET_CPU_MS,
        alert_p99_2s_at_rate: targetAlert.p99_ms !== null && targetAlert.p99_ms <= 2000 && target.achievedRate >= args.rate * 0.95,
        queryable_p99_3s_at_rate: targetQueryable.p99_ms !== null && targetQueryable.p99_ms <= 3000 && target.achievedRate >= args.rate * 0.95,
        // Each service (scorer, sink in both phases, alerter); the served ClickHouse is reported apart.
        rss_300mb_each: [peakMb.scorer, peakMb.sink, peakMb.sink_probe_phase3, peakMb.alerter].every((v) => v <= 300),
      },
    }

    writeChart(args, samples, startAt, baselineEps, steps, cpuMsPerEvent, baselineCpuMs, peakMb, chdbPeakMb, result.machine.load_avg_start)
    log(`chart written to ${args.chart}`)
    process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`)
  } finally {
    // The served ClickHouse (started first) stops last.
    for (const c of [...children].reverse()) await c.stop(5000).catch((err: unknown) => log(`could not stop ${c.name}: ${String(err)}`))
    await kafka.close()
    await infra.stop()
    if (process.env.BENCH_KEEP_DIR) log(`kept ${tmp} (BENCH_KEEP_DIR)`)
    else rmSync(tmp, { recursive: true, force: true })
  }
}

function writeChart(
  args: Args,
  samples: Sample[],
  startAt: number,
  baselineEps: number,
  steps: LatencyStep[],
  cpuMsPerEvent: Record<string, number | null>,
  baselineCpuMs: number,
  peakMb: Record<string, number>,
  chdbPeakMb: number,
  load: number[],
): void {
  // Throughput: events/s of each stage, over the last ~2 s at each sample (commits come in steps).
  const rate = (pick: (s: Sample) => number): [number, number][] => {
    const out: [number, number][] = []
    for (let i = 1; i < samples.length; i++) {
      const j = samples.findIndex((s) => s.t >= samples[i]!.t - 2000)
      const from = samples[Math.min(j, i - 1)]!
      const to = samples[i]!
      out.push([(to.t - startAt) / 1000, ((pick(to) - pick(from)) * 1000) / Math.max(1, to.t - from.t)])
    }
    return out.filter(([t]) => t >= 0)
  }
  // Latency: p50/p99 per 2 s of send time, each step on its own time axis from its first probe.
  const latencySeries = steps.flatMap((st, i) => {
    const t0 = Math.min(...st.queryable.map((x) => x.t), ...st.alerted.map((x) => x.t))
    const qb = bucketed(st.queryable, t0, 2)
    const ab = bucketed(st.alerted, t0, 2)
    const q = censored(st.queryable.map((x) => x.v), st.probes)
    const a = censored(st.alerted.map((x) => x.v), st.probes)
    const colors = i === steps.length - 1 ? ['#2ca02c', '#9467bd'] : ['#98df8a', '#c5b0d5']
    const tag = `${st.rate}/s`
    return [
      { name: `${tag} queryable p50 (${q.p50_ms ?? '>wait'})`, color: colors[0]!, points: qb.map((b): [number, number] => [b.t, b.p50]) },
      { name: `${tag} queryable p99 (${q.p99_ms ?? '>wait'})`, color: colors[0]!, points: qb.map((b): [number, number] => [b.t, b.p99]), dashed: true },
      { name: `${tag} alert p50 (${a.p50_ms ?? '>wait'})`, color: colors[1]!, points: ab.map((b): [number, number] => [b.t, b.p50]) },
      { name: `${tag} alert p99 (${a.p99_ms ?? '>wait'})`, color: colors[1]!, points: ab.map((b): [number, number] => [b.t, b.p99]), dashed: true },
    ]
  })
  const svg = renderSvg(
    'llmwatch pipeline benchmark',
    `${args.events} events backlog; ${args.rate} events/s for ${args.durationMs / 1000} s; ${os.availableParallelism()} cores, load ${load.join('/')}; ${new Date().toISOString().slice(0, 16)}Z`,
    [
      {
        kind: 'line',
        title: 'Phase 2: backlog throughput per stage (events/s)',
        xLabel: "seconds since the scorer's partition assignment",
        yLabel: 'events/s',
        series: [
          { name: 'scorer (scored)', color: '#1f77b4', points: rate((s) => s.scorerDone) },
          { name: 'sink (stored)', color: '#2ca02c', points: rate((s) => s.sinkDone) },
          { name: 'alerter (evaluated)', color: '#ff7f0e', points: rate((s) => s.alerterDone), dashed: true },
        ],
        hlines: [
          { y: baselineEps, label: `raw consume ${Math.round(baselineEps)}/s`, color: '#777' },
          { y: TARGET_EPS, label: 'target 5,000/s', color: '#d62728' },
        ],
      },
      {
        kind: 'line',
        title: `Phase 3: latency per 2 s of send time, ms (whole step in brackets)`,
        xLabel: "seconds since the step's first probe",
        yLabel: 'ms',
        logY: true,
        series: latencySeries,
        hlines: [{ y: 2000, label: 'alert p99 target 2 s', color: '#d62728' }],
      },
      {
        kind: 'bar',
        title: 'Phase 2: CPU time per event (ms, user + system, all threads of the process)',
        yLabel: 'ms / event',
        bars: [
          { label: 'scorer', value: cpuMsPerEvent['scorer'] ?? NaN, color: '#1f77b4' },
          { label: 'sink', value: cpuMsPerEvent['sink'] ?? NaN, color: '#2ca02c' },
          { label: 'alerter', value: cpuMsPerEvent['alerter'] ?? NaN, color: '#ff7f0e' },
          { label: 'clickhouse serve', value: cpuMsPerEvent['clickhouse'] ?? NaN, color: '#9467bd' },
          { label: 'raw consume (baseline)', value: baselineCpuMs, color: '#777' },
        ],
        decimals: 3,
        hlines: [{ y: TARGET_CPU_MS, label: 'target, all llmwatch processes together: 0.25 ms', color: '#d62728' }],
      },
      {
        kind: 'bar',
        title: 'Peak resident memory per process (VmHWM, MB)',
        yLabel: 'MB',
        bars: [
          { label: 'scorer', value: peakMb.scorer ?? NaN, color: '#1f77b4' },
          { label: 'sink', value: peakMb.sink ?? NaN, color: '#2ca02c' },
          { label: 'alerter', value: peakMb.alerter ?? NaN, color: '#ff7f0e' },
          { label: 'probing sink (ph. 3)', value: peakMb.sink_probe_phase3 ?? NaN, color: '#98df8a' },
          { label: 'clickhouse serve', value: peakMb.clickhouse ?? NaN, color: '#9467bd' },
          { label: 'its MemoryTracking', value: chdbPeakMb, color: '#c7c7c7' },
        ],
        hlines: [{ y: 300, label: 'target 300 MB', color: '#d62728' }],
      },
    ],
  )
  mkdirSync(dirname(args.chart), { recursive: true })
  writeFileSync(args.chart, svg)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/pipeline failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
