/**
 * Alerter benchmark.
 *
 *   npx tsx bench/alerter.ts [--json] [--rate 5000] [--seconds 20] [--burst 100000]
 *
 * 1. engine: scored events/s of the pure engine with the default rules (+ a probe rule), one core.
 * 2. latency: a real alerter (Kafka consumer group, default rules + an `immediate` probe rule) while
 *    a producer writes ScoredInteraction records at --rate events/s over 200 app/model groups; ten
 *    probe events per second each open a new alert group. Produce-to-alert latency = time from the
 *    probe's send() call until the alert record is read back from the alerts topic by a consumer.
 * 3. catch-up: --burst events produced as fast as possible; scores/s the running alerter consumes.
 * 4. replay: a fresh alerter rebuilds its state from the topic; events/s of the replay.
 *
 * Kafka: KAFKA_BROKERS, a broker from `llmwatch infra up`, or a temporary local broker.
 * Everything (producer, alerter, probe reader) runs in this one process on a shared machine.
 * Progress on stderr; with --json the last stdout line is the JSON result.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { startAlerter } from '../services/alerter/alerter.js'
import { AlertEngine } from '../services/alerter/engine.js'
import { loadRulesFile, validateRules, type Rule } from '../services/alerter/rules.js'
import { Codec } from '../shared/codec.js'
import type { ScoreEntry, ScoredInteraction } from '../shared/contract.js'
import { createKafka, type KafkaHandle } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { repoPath } from '../shared/paths.js'
import { startConsumer } from '../shared/runner.js'
import { brokersFor, log, prng, sleep } from './common.js'

interface Args {
  json: boolean
  rate: number
  seconds: number
  burst: number
}

function parse(argv: readonly string[]): Args {
  const a: Args = { json: false, rate: 5000, seconds: 20, burst: 100_000 }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    if (k === '--json') a.json = true
    else if (k === '--rate' || k === '--seconds' || k === '--burst') a[k.slice(2) as 'rate' | 'seconds' | 'burst'] = Number(argv[++i])
    else throw new Error(`unknown argument ${k} (usage: bench/alerter.ts [--json] [--rate N] [--seconds N] [--burst N])`)
  }
  if (!(a.rate > 0 && a.seconds > 0 && a.burst > 0)) throw new Error('--rate, --seconds and --burst must be positive')
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
  const a = parse(process.argv.slice(2))
  const rs = rules()
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
