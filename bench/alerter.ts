/**
 * Alerter benchmark.
 *
 *   npx tsx bench/alerter.ts [--json] [--rate 5000] [--seconds 20] [--burst 100000]
 *   npx tsx bench/alerter.ts --consume 60000 [--rounds 3] [--profile out.cpuprofile] [--json]
 *   npx tsx bench/alerter.ts --paced 2500 [--seconds 20] [--rounds 3] [--profile out.cpuprofile] [--json]
 *
 * 1. engine: scored events/s of the pure engine with the default rules (+ a probe rule), one core.
 * 2. latency: a real alerter (Kafka consumer group, default rules + an `immediate` probe rule) while
 *    a producer writes ScoredInteraction records at --rate events/s over 200 app/model groups; ten
 *    probe events per second each open a new alert group. Produce-to-alert latency = time from the
 *    probe's send() call until the alert record is read back from the alerts topic by a consumer.
 * 3. catch-up: --burst events produced as fast as possible; scores/s the running alerter consumes.
 * 4. replay: a fresh alerter rebuilds its state from the topic; events/s of the replay.
 *
 * --consume N runs only the consume cost instead: N pipeline-like ScoredInteraction records (redacted
 * prompt and response texts, evidence in every entry's details; ~2.3 KB, as the scorer writes them)
 * are produced while no alerter runs; then an alerter (replay off) resumes the group's committed
 * offsets and consumes them, alone in the process. Reported: CPU ms per event (process.cpuUsage,
 * from the first 2,000 events consumed, so start-up and group join are left out, to the last),
 * per round, and their median. --profile writes a CPU profile of the rounds' consume windows only.
 * --paced R measures the same at a steady R events/s, as in the pipeline (small fetches and batches,
 * so the per-fetch and per-batch costs show): a child process produces the records while the
 * alerter, alone in this process, consumes them; each round's window starts 3 s into the production.
 * BENCH_ALERTER_FETCH=minBytes/maxWaitMs (e.g. 262144/100) sets the alerter consumer's fetch sizing.
 *
 * Kafka: KAFKA_BROKERS, a broker from `llmwatch infra up`, or a temporary local broker.
 * Everything (producer, alerter, probe reader) runs in this one process on a shared machine.
 * Progress on stderr; with --json the last stdout line is the JSON result.
 */
import { randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import inspector from 'node:inspector'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startAlerter } from '../services/alerter/alerter.js'
import { AlertEngine } from '../services/alerter/engine.js'
import { loadRulesFile, validateRules, type Rule } from '../services/alerter/rules.js'
import { Codec } from '../shared/codec.js'
import type { ScoreEntry, ScoredInteraction } from '../shared/contract.js'
import { createKafka, type KafkaHandle } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { metrics } from '../shared/metrics.js'
import { repoPath } from '../shared/paths.js'
import { startConsumer } from '../shared/runner.js'
import { brokersFor, log, prng, sleep } from './common.js'

interface Args {
  json: boolean
  rate: number
  seconds: number
  burst: number
  consume: number
  paced: number
  rounds: number
  profile: string | null
}

function parse(argv: readonly string[]): Args {
  const a: Args = { json: false, rate: 5000, seconds: 20, burst: 100_000, consume: 0, paced: 0, rounds: 3, profile: null }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    if (k === '--json') a.json = true
    else if (k === '--rate' || k === '--seconds' || k === '--burst' || k === '--consume' || k === '--paced' || k === '--rounds') a[k.slice(2) as 'rate' | 'seconds' | 'burst' | 'consume' | 'paced' | 'rounds'] = Number(argv[++i])
    else if (k === '--profile') a.profile = argv[++i] ?? null
    else throw new Error(`unknown argument ${k} (usage: bench/alerter.ts [--json] [--rate N] [--seconds N] [--burst N] | --consume N | --paced N [--rounds N] [--profile FILE])`)
  }
  if (!(a.rate > 0 && a.seconds > 0 && a.burst > 0)) throw new Error('--rate, --seconds and --burst must be positive')
  if (!(a.paced >= 0 && Number.isInteger(a.consume) && a.consume >= 0 && Number.isInteger(a.rounds) && a.rounds > 0)) throw new Error('--consume must be a whole number >= 0 and --rounds >= 1')
  if (a.consume > 0 && a.consume <= CONSUME_WARMUP) throw new Error(`--consume must be above ${CONSUME_WARMUP} (the events consumed before the CPU clock starts)`)
  return a
}


const APPS = Array.from({ length: 50 }, (_, i) => `app-${i}`)
const MODELS = ['model-a', 'model-b', 'model-c', 'model-d']
const rnd = prng(7)

function entry(name: string, target: ScoreEntry['target'], p: number, label = ''): ScoreEntry {
  const flagged = rnd() < p
  return { name, target, version: '1', status: 'ok', value: flagged ? 0.9 : rnd() * 0.3, label: flagged && label ? label : '', flagged, details: '{}' }
}

/** A scored event with an entry per default scorer; a small share of each is flagged. */
function event(t: number, probe?: string): ScoredInteraction {
  const app = probe ? 'bench-probe' : APPS[Math.floor(rnd() * APPS.length)]!
  const latency = 200 + rnd() * rnd() * 8000
  return {
    event_id: randomUUID(),
    app_name: app,
    environment: rnd() < 0.8 ? 'production' : 'staging',
    provider_name: 'openai',
    operation_name: 'chat',
    request_model: MODELS[Math.floor(rnd() * MODELS.length)]!,
    response_model: null,
    prompt_template_id: probe ?? 'answer',
    prompt_template_version: '1',
    trace_id: null,
    session_id: null,
    user_id_hash: null,
    request_start_time: t - Math.round(latency),
    end_time: t,
    scored_time: t,
    latency_ms: latency,
    ttft_ms: latency / 4,
    usage_input_tokens: 500,
    usage_output_tokens: 200,
    usage_cached_input_tokens: 0,
    cost_usd: 0.0004 + rnd() * 0.001,
    cache_hit: false,
    status: rnd() < 0.01 ? 'error' : 'ok',
    error_type: null,
    text_mode: 'none',
    prompt_text: null,
    response_text: null,
    scores: probe
      ? [{ name: 'probe', target: 'event', version: '1', status: 'ok', value: 1, label: '', flagged: true, details: '{}' }]
      : [
          entry('toxicity', 'prompt', 0.02),
          entry('toxicity', 'response', 0.005),
          entry('bias', 'response', 0.01),
          entry('hallucination', 'response', 0.05),
          entry('latency', 'event', 0.03),
          { ...entry('cost', 'event', 0), value: 0.001 },
          entry('pii', 'response', 0.0005, 'leak'),
          entry('injection', 'prompt', 0.001),
          entry('injection', 'context', 0.0002),
        ],
  }
}

const WORDS = 'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ')

function text(chars: number): string {
  let s = ''
  while (s.length < chars) s += `${WORDS[Math.floor(rnd() * WORDS.length)]!} `
  return s.slice(0, chars)
}

/** A record as the scorer writes it in the pipeline: redacted texts and evidence in the details (~2.3 KB). */
function pipelineEvent(t: number): ScoredInteraction {
  const e = event(t)
  return {
    ...e,
    text_mode: 'redacted',
    prompt_text: `${text(380)} [EMAIL] ${text(150)}`,
    response_text: text(650),
    scores: [
      ...e.scores.map((x) => ({ ...x, details: JSON.stringify({ evidence: [text(24), text(16)], model: 'heuristic-v2', spans: [[12, 40]] }) })),
      { name: 'quality', target: 'response', version: '1', status: 'ok', value: rnd(), label: '', flagged: false, details: JSON.stringify({ reasons: [text(30)] }) },
    ],
  }
}

/** Events consumed before a round's CPU clock starts (start-up, group join and JIT warm-up left out). */
const CONSUME_WARMUP = 2000

interface ConsumeResult {
  cpu_ms_per_event: number[]
  events_per_s: number[]
  /** Partition batches the runner handled per event (each costs an offset commit). */
  events_per_batch: number[]
  bytes_per_event: number
}

/** Partition batches the alerter's runner has handled so far. */
async function batchesHandled(): Promise<number> {
  const m = await metrics.batchSeconds.get()
  return m.values.filter((v) => v.metricName === 'llmwatch_batch_duration_seconds_count' && v.labels.service === 'alerter').reduce((n, v) => n + v.value, 0)
}

/** A CPU profiler over chosen windows of this process (node:inspector), writing `${file}.${round}`. */
function profiler(file: string | null) {
  const session = file ? new inspector.Session() : null
  const post = (method: string): Promise<unknown> => new Promise((resolve, reject) => session!.post(method, {}, (err, res) => (err ? reject(err) : resolve(res))))
  return {
    start: async () => {
      if (!session) return
      session.connect()
      await post('Profiler.enable')
      await post('Profiler.start')
    },
    stop: async (round: number) => {
      if (!session) return
      const r = (await post('Profiler.stop')) as { profile: unknown }
      writeFileSync(`${file}.${round}`, JSON.stringify(r.profile))
      session.disconnect()
    },
  }
}

/**
 * Starts an alerter group on fresh topics with an offset committed on every partition, so later
 * alerters of the group resume exactly where the last one stopped.
 */
async function consumeSetup(kafka: KafkaHandle, codec: Codec, rs: Rule[]) {
  const suffix = randomUUID().slice(0, 8)
  const scoresTopic = `bench-consume-scores-${suffix}`
  const alertsTopic = `bench-consume-alerts-${suffix}`
  await kafka.ensureTopics([{ name: scoresTopic }, { name: alertsTopic }])
  const producer = await kafka.producer()
  const fetch = process.env.BENCH_ALERTER_FETCH // "minBytes/maxWaitMs", e.g. 262144/100: the consumer's fetch sizing
  const [minBytes, maxWait] = (fetch ?? '').split('/').map(Number)
  const config = { groupId: `bench-consume-${suffix}`, scoresTopic, alertsTopic, tickMs: 1000, replay: false, ...(fetch ? { fetchMinBytes: minBytes, fetchMaxWaitMs: maxWait } : {}) }
  const first = await startAlerter({ kafka, codec, logger: silentLogger, rules: rs, config })
  await first.ready()
  const partitions = await kafka.partitionCount(scoresTopic)
  await producer.send(scoresTopic, Array.from({ length: partitions }, (_, p) => ({ key: null, value: codec.encode('ScoredInteraction', pipelineEvent(Date.now())), partition: p })))
  while (first.engine().stats.observed < partitions) await sleep(20)
  await first.stop()
  return {
    producer,
    config,
    cleanup: async () => {
      await producer.disconnect()
      await kafka.deleteTopics([scoresTopic, alertsTopic]).catch((err: unknown) => log(`could not delete bench topics: ${String(err)}`))
    },
  }
}

/** As the scorer writes them: keyed by app and model, with its source-offset headers. */
let sourceOffset = 0
const toScoresMessage = (codec: Codec, e: ScoredInteraction) => ({
  key: `${e.app_name}|${e.request_model}`,
  value: codec.encode('ScoredInteraction', e),
  headers: { 'llmwatch.source.offset': String(sourceOffset++), 'llmwatch.source.partition': String(sourceOffset % 6) },
})

/**
 * The consume cost of a backlog: see the module comment. Each round produces `n` records with no
 * alerter running, then times an alerter that resumes the group's committed offsets.
 */
async function benchConsume(kafka: KafkaHandle, codec: Codec, rs: Rule[], n: number, rounds: number, profile: string | null): Promise<ConsumeResult> {
  const { producer, config, cleanup } = await consumeSetup(kafka, codec, rs)
  const cpu: number[] = []
  const rates: number[] = []
  const perBatch: number[] = []
  let bytes = 0
  for (let round = 1; round <= rounds; round++) {
    const start = Date.now()
    for (let i = 0; i < n; i += 2000) {
      const msgs = Array.from({ length: Math.min(2000, n - i) }, (_, j) => toScoresMessage(codec, pipelineEvent(start - (n - i - j) * 2)))
      bytes += msgs.reduce((sum, m) => sum + m.value.length, 0)
      await producer.send(config.scoresTopic, msgs)
    }
    const alerter = await startAlerter({ kafka, codec, logger: silentLogger, rules: rs, config })
    while (alerter.engine().stats.observed < CONSUME_WARMUP) await sleep(1)
    const prof = profiler(profile)
    await prof.start()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const from = alerter.engine().stats.observed
    const b0 = await batchesHandled()
    while (alerter.engine().stats.observed < n) await sleep(1)
    const c = process.cpuUsage(c0)
    perBatch.push(Math.round((alerter.engine().stats.observed - from) / ((await batchesHandled()) - b0)))
    const secs = (performance.now() - t0) / 1000
    await prof.stop(round)
    const events = alerter.engine().stats.observed - from
    await alerter.stop()
    cpu.push(Number(((c.user + c.system) / 1000 / events).toFixed(4)))
    rates.push(Math.round(events / secs))
    log(`consume round ${round}: ${events} events, ${cpu.at(-1)} ms CPU per event, ${rates.at(-1)} events/s`)
  }
  await cleanup()
  return { cpu_ms_per_event: cpu, events_per_s: rates, events_per_batch: perBatch, bytes_per_event: Math.round(bytes / (n * rounds)) }
}

/** The consume cost at a steady rate: a child process produces, this one consumes (module comment). */
async function benchPaced(kafka: KafkaHandle, codec: Codec, rs: Rule[], rate: number, seconds: number, rounds: number, profile: string | null): Promise<ConsumeResult> {
  const { config, cleanup } = await consumeSetup(kafka, codec, rs)
  const alerter = await startAlerter({ kafka, codec, logger: silentLogger, rules: rs, config })
  await alerter.ready()
  const cpu: number[] = []
  const rates: number[] = []
  const perBatch: number[] = []
  let bytes = 0
  for (let round = 1; round <= rounds; round++) {
    const child = spawn(process.execPath, [...process.execArgv.filter((x) => !x.startsWith('--cpu-prof')), fileURLToPath(import.meta.url), '--produce-child', config.scoresTopic, String(rate), String(seconds + 3)], {
      env: { ...process.env, KAFKA_BROKERS: kafka.brokers.join(',') },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    while (!out.includes('started')) {
      if (child.exitCode !== null) throw new Error('the producer child exited early')
      await sleep(10)
    }
    await sleep(3000)
    const prof = profiler(profile)
    await prof.start()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const from = alerter.engine().stats.observed
    const b0 = await batchesHandled()
    const code = await exited
    const c = process.cpuUsage(c0)
    perBatch.push(Math.round((alerter.engine().stats.observed - from) / ((await batchesHandled()) - b0)))
    const secs = (performance.now() - t0) / 1000
    await prof.stop(round)
    if (code !== 0) throw new Error(`the producer child exited with ${code}`)
    bytes = Number(/bytes_per_event=(\d+)/.exec(out)?.[1] ?? 0)
    const events = alerter.engine().stats.observed - from
    cpu.push(Number(((c.user + c.system) / 1000 / events).toFixed(4)))
    rates.push(Math.round(events / secs))
    log(`paced round ${round}: ${events} events consumed at ${rates.at(-1)} events/s, ${cpu.at(-1)} ms CPU per event, ${perBatch.at(-1)} events per batch`)
    await sleep(1000)
  }
  await alerter.stop()
  await cleanup()
  return { cpu_ms_per_event: cpu, events_per_s: rates, events_per_batch: perBatch, bytes_per_event: bytes }
}

/** The child of --paced: produces pipeline-like records at `rate` for `seconds`. */
async function produceChild(topic: string, rate: number, seconds: number): Promise<void> {
  const infra = await brokersFor()
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-alerter-producer', logger: silentLogger })
  const codec = Codec.load()
  const producer = await kafka.producer()
  process.stdout.write('started\n')
  const t0 = Date.now()
  let sent = 0
  let bytes = 0
  const inflight = new Set<Promise<void>>()
  while (Date.now() - t0 < seconds * 1000) {
    const now = Date.now()
    const due = Math.floor(((now - t0) / 1000) * rate) - sent
    if (due > 0) {
      const msgs = Array.from({ length: due }, () => toScoresMessage(codec, pipelineEvent(now)))
      for (const m of msgs) bytes += m.value.length
      sent += due
      const p = producer.send(topic, msgs).finally(() => inflight.delete(p))
      inflight.add(p)
      if (inflight.size >= 8) await Promise.race(inflight)
    }
    await sleep(10)
  }
  await Promise.all(inflight)
  process.stdout.write(`sent=${sent} bytes_per_event=${Math.round(bytes / sent)}\n`)
  await producer.disconnect()
  await kafka.close()
}

function rules(): Rule[] {
  const defaults = loadRulesFile(repoPath('config', 'alert-rules.yaml'))
  const probe = validateRules({
    rules: [{ name: 'bench-probe', kind: 'immediate', select: { scorer: 'probe' }, group_by: ['app_name', 'prompt_template_id'], quiet_for: '10m', annotations: { summary: 'probe {{ prompt_template_id }}' } }],
  })
  return [...defaults, ...probe]
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

function benchEngine(rs: Rule[]): number {
  const engine = new AlertEngine(rs)
  const n = 200_000
  const t0 = Date.now()
  const events = Array.from({ length: n }, (_, i) => event(t0 + Math.floor(i / 5)))
  const start = performance.now()
  for (let i = 0; i < n; i += 100) {
    const batch = events.slice(i, i + 100)
    engine.ingest(batch, t0 + Math.floor(i / 5))
    if (i % 5000 === 0) engine.tick(t0 + Math.floor(i / 5))
  }
  const eps = Math.round(n / ((performance.now() - start) / 1000))
  log(`engine: ${eps.toLocaleString('en-US')} scored events/s (${rs.length} rules, ${engine.snapshot().groups} groups)`)
  return eps
}

async function main(): Promise<void> {
  if (process.argv[2] === '--produce-child') {
    await produceChild(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]))
    return
  }
  const a = parse(process.argv.slice(2))
  const rs = rules()
  if (a.consume > 0 || a.paced > 0) {
    const infra = await brokersFor()
    const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-alerter', logger: silentLogger, partitions: 6 })
    const r = a.paced > 0 ? await benchPaced(kafka, Codec.load(), rs, a.paced, a.seconds, a.rounds, a.profile) : await benchConsume(kafka, Codec.load(), rs, a.consume, a.rounds, a.profile)
    await kafka.close()
    await infra.stop()
    const sorted = [...r.cpu_ms_per_event].sort((x, y) => x - y)
    const result = { bench: a.paced > 0 ? 'alerter-paced' : 'alerter-consume', ...(a.paced > 0 ? { rate: a.paced, seconds: a.seconds } : { events: a.consume }), rounds: a.rounds, ...r, cpu_ms_per_event_median: sorted[Math.floor(sorted.length / 2)] }
    process.stdout.write(`${JSON.stringify(result, null, a.json ? undefined : 2)}\n`)
    return
  }
  const engineEps = benchEngine(rs)

  const infra = await brokersFor()
  const kafka: KafkaHandle = createKafka({ brokers: infra.brokers, clientId: 'bench-alerter', logger: silentLogger, partitions: 6 })
  const codec = Codec.load()
  const suffix = randomUUID().slice(0, 8)
  const scoresTopic = `bench-scores-${suffix}`
  const alertsTopic = `bench-alerts-${suffix}`
  await kafka.ensureTopics([{ name: scoresTopic }, { name: alertsTopic }])
  const producer = await kafka.producer()
  const alerter = await startAlerter({ kafka, codec, logger: silentLogger, rules: rs, config: { groupId: `bench-alerter-${suffix}`, scoresTopic, alertsTopic, tickMs: 1000 } })
  await alerter.ready()

  // Probe alerts read back from the topic.
  const sentAt = new Map<string, number>()
  const latencies: number[] = []
  let measuring = false
  const reader = await startConsumer({
    kafka,
    codec,
    logger: silentLogger,
    service: 'bench',
    groupId: `bench-reader-${suffix}`,
    topic: alertsTopic,
    record: 'Alert',
    handle: async (batch) => {
      const now = Date.now()
      for (const m of batch.messages) {
        const id = m.value.labels['prompt_template_id']
        const t = m.value.rule === 'bench-probe' && id !== undefined ? sentAt.get(id) : undefined
        if (t !== undefined && measuring) latencies.push(now - t)
      }
    },
  })

  // Latency at the target rate.
  const toMsg = (e: ScoredInteraction) => ({ key: `${e.app_name}|${e.request_model}`, value: codec.encode('ScoredInteraction', e) })
  const warmupMs = 3000
  log(`latency: producing ${a.rate} events/s for ${warmupMs / 1000} s warm-up + ${a.seconds} s ...`)
  const t0 = Date.now()
  let sent = 0
  let probes = 0
  let nextProbe = t0
  const inflight = new Set<Promise<void>>()
  while (Date.now() - t0 < warmupMs + a.seconds * 1000) {
    const now = Date.now()
    measuring = now - t0 >= warmupMs
    const due = Math.floor(((now - t0) / 1000) * a.rate) - sent
    if (due > 0) {
      const msgs: { key: string; value: Buffer }[] = []
      for (let i = 0; i < due; i++) {
        if (now >= nextProbe && i === 0) {
          const id = `probe-${probes++}`
          msgs.push(toMsg(event(now, id)))
          sentAt.set(id, now)
          nextProbe += 100
        } else msgs.push(toMsg(event(now)))
      }
      sent += due
      const p = producer.send(scoresTopic, msgs).finally(() => inflight.delete(p))
      inflight.add(p)
      // Bound what is in flight so the producer measures the broker, not an unbounded queue.
      if (inflight.size >= 8) await Promise.race(inflight)
    }
    await sleep(10)
  }
  await Promise.all(inflight)
  const achieved = Math.round(sent / ((Date.now() - t0) / 1000))
  await sleep(3000) // let the last probes arrive
  latencies.sort((x, y) => x - y)
  const measuredProbes = latencies.length
  log(`latency: ${measuredProbes} probe alerts, p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms (achieved ${achieved} events/s)`)

  // Catch-up: a burst as fast as the producer goes; how fast does the alerter consume it?
  log(`catch-up: producing a burst of ${a.burst} events ...`)
  const before = alerter.engine().stats.observed
  const b0 = performance.now()
  const burstTime = Date.now()
  for (let i = 0; i < a.burst; i += 2000) {
    const msgs = Array.from({ length: Math.min(2000, a.burst - i) }, () => toMsg(event(burstTime)))
    await producer.send(scoresTopic, msgs)
  }
  const produceSecs = (performance.now() - b0) / 1000
  while (alerter.engine().stats.observed - before < a.burst) await sleep(20)
  const catchupSecs = (performance.now() - b0) / 1000
  const catchupEps = Math.round(a.burst / catchupSecs)
  log(`catch-up: produced at ${Math.round(a.burst / produceSecs)} events/s; alerter consumed the burst at ${catchupEps} events/s`)

  await reader.stop()
  await alerter.stop()

  // Replay: a fresh alerter rebuilds everything from the topic.
  const total = sent + a.burst
  const r0 = performance.now()
  const second = await startAlerter({ kafka, codec, logger: silentLogger, rules: rs, config: { groupId: `bench-alerter-${suffix}`, scoresTopic, alertsTopic, tickMs: 1000 } })
  await second.ready()
  const replaySecs = (performance.now() - r0) / 1000
  const replayed = second.engine().stats.observed
  const replayEps = Math.round(replayed / replaySecs)
  log(`replay: ${replayed} events rebuilt in ${replaySecs.toFixed(1)} s (${replayEps} events/s), ${second.engine().firingKeys().length} alerts firing adopted`)
  await second.stop()
  await producer.disconnect()
  await kafka.deleteTopics([scoresTopic, alertsTopic]).catch((err: unknown) => log(`could not delete bench topics: ${String(err)}`))
  await kafka.close()
  await infra.stop()

  const result = {
    bench: 'alerter',
    rules: rs.length,
    engine_events_per_s: engineEps,
    latency: {
      target_rate: a.rate,
      achieved_rate: achieved,
      seconds: a.seconds,
      probe_alerts: measuredProbes,
      p50_ms: quantile(latencies, 0.5),
      p99_ms: quantile(latencies, 0.99),
      max_ms: latencies.at(-1) ?? NaN,
      target_p99_ms: 2000,
    },
    catchup: { events: a.burst, produce_events_per_s: Math.round(a.burst / produceSecs), alerter_events_per_s: catchupEps },
    replay: { events: replayed, of_total: total, seconds: Number(replaySecs.toFixed(2)), events_per_s: replayEps },
  }
  if (a.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/alerter failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
