/**
 * The alerting service: consumes llm.scores through a consumer group, feeds the pure AlertEngine,
 * publishes Alert records (Avro, or JSON with `alertsFormat: 'json'`) to llm.alerts keyed by dedup
 * key, and optionally posts them to a webhook.
 *
 * Ordering and durability: alerts go through one outbox that publishes in order and retries until
 * Kafka accepts them; a batch handler resolves (and the runner commits its offsets) only after the
 * alerts it caused are durable. Publishing never throws into the runner, so a batch is never
 * observed twice by the engine.
 *
 * Restarts and rebalances: on every assignment the engine is rebuilt for the assigned partitions by
 * replaying llm.scores from (now - the longest rule span) by timestamp, then adopting the firing set
 * read from llm.alerts (latest record per dedup key). Live messages at offsets the replay already
 * saw are skipped, so nothing is counted twice. See docs/ALERTING.md for the partitioning caveats.
 */
import { randomUUID } from 'node:crypto'
import { JSON_CONTENT_TYPE, type Codec } from '../../shared/codec.js'
import type { Alert, ScoredInteraction } from '../../shared/contract.js'
import { errorMessage } from '../../shared/errors.js'
import type { KafkaHandle, OutMessage, Producer } from '../../shared/kafka.js'
import type { Logger } from '../../shared/logger.js'
import { metrics, prom, registry } from '../../shared/metrics.js'
import { startConsumer, type ConsumerBatch, type ConsumerHandle } from '../../shared/runner.js'
import { AlertEngine, type EngineOptions } from './engine.js'
import type { Rule } from './rules.js'
import type { WebhookNotifier } from './webhook.js'

export const SERVICE = 'alerter'

export interface AlerterConfig {
  groupId: string
  scoresTopic: string
  alertsTopic: string
  tickMs: number
  /** Rebuild state from the topics on assignment (default true). */
  replay?: boolean
  /** Longest a rebuild may read a topic before the alerter gives up (default 1 h). */
  replayTimeoutMs?: number
  /**
   * Encoding of the records on the alerts topic: Avro in Confluent framing (default) or JSON with
   * `content-type: application/json` (for integrations; the sink and `alerts tail` read both).
   */
  alertsFormat?: 'avro' | 'json'
  /** Base URL that runbook paths (docs/ALERTING.md#x) are resolved against (ALERTER_RUNBOOK_BASE_URL). */
  runbookBaseUrl?: string
  /** Fetch sizing of the llm.scores consumer (shared/runner.ts; defaults 256 KiB / 100 ms). */
  fetchMinBytes?: number
  fetchMaxWaitMs?: number
}

export interface AlerterDeps {
  kafka: KafkaHandle
  codec: Codec
  logger: Logger
  rules: Rule[]
  config: AlerterConfig
  webhook?: WebhookNotifier | null
  engineOptions?: EngineOptions
  /** Wall clock (tests may shift it). */
  now?: () => number
  onFatal?: (err: Error) => void
  /** Called with every alert once it is durable on the topic (tests, benchmarks). */
  onPublished?: (alerts: Alert[]) => void
}

export interface AlerterHandle {
  stop(): Promise<void>
  /** Resolves when the current (re)build is done and live consumption has started. */
  ready(): Promise<void>
  health(): { ok: boolean; ready: boolean; partitions: number[]; outbox: number; firing: number; groups: number; groupsDropped: number; lateDropped: number; degraded: boolean }
  engine(): AlertEngine
}

function getMetric<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}
const alertsCounter = getMetric(
  'llmwatch_alerts_published_total',
  () => new prom.Counter({ name: 'llmwatch_alerts_published_total', help: 'Alert records published', labelNames: ['rule', 'state', 'reminder'], registers: [registry] }),
)
const firingGauge = getMetric('llmwatch_alerts_firing', () => new prom.Gauge({ name: 'llmwatch_alerts_firing', help: 'Alerts currently firing on this instance', registers: [registry] }))
const lateCounter = getMetric(
  'llmwatch_alerter_late_events_total',
  () => new prom.Counter({ name: 'llmwatch_alerter_late_events_total', help: 'Events too old for a rule window, dropped', registers: [registry] }),
)

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Resolves once `p` (which never rejects) has, heartbeating the batch every second until then. */
async function heartbeatUntil(p: Promise<void>, batch: { heartbeat(): Promise<void> }): Promise<void> {
  let settled = false
  const done = p.then(() => {
    settled = true
  })
  while (!settled) {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, 1000)))])
    clearTimeout(timer)
    if (!settled) await batch.heartbeat()
  }
}

/** Publishes alerts in order, retrying with backoff until Kafka accepts them or the outbox closes. */
class Outbox {
  private chain: Promise<void> = Promise.resolve()
  private pending = 0
  private closed = false

  constructor(
    private readonly producer: Producer,
    private readonly codec: Codec,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly onDurable: (alerts: Alert[]) => void,
    private readonly format: 'avro' | 'json' = 'avro',
  ) {}

  private message(a: Alert): OutMessage {
    if (this.format === 'json') {
      return { key: a.dedup_key, value: this.codec.encodeJson(a), headers: { 'content-type': JSON_CONTENT_TYPE }, timestamp: String(a.emitted_time) }
    }
    return { key: a.dedup_key, value: this.codec.encode('Alert', a), timestamp: String(a.emitted_time) }
  }

  size(): number {
    return this.pending
  }

  publish(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return Promise.resolve()
    this.pending += alerts.length
    const messages = alerts.map((a) => this.message(a))
    this.chain = this.chain.then(async () => {
      let delay = 100
      for (let attempt = 1; ; attempt++) {
        try {
          await this.producer.send(this.topic, messages)
          break
        } catch (err) {
          if (this.closed) {
            this.log.error({ err: errorMessage(err), alerts: alerts.length }, 'outbox closed with unpublished alerts; a restart re-announces them from the replay')
            this.pending -= alerts.length
            return
          }
          this.log.warn({ err: errorMessage(err), attempt, delayMs: delay }, 'publishing alerts failed; retrying')
          await sleep(delay)
          delay = Math.min(10_000, delay * 2)
        }
      }
      this.pending -= alerts.length
      metrics.produced.inc({ service: SERVICE, topic: this.topic }, alerts.length)
      this.onDurable(alerts)
    })
    return this.chain
  }

  async close(timeoutMs: number): Promise<void> {
    await Promise.race([this.chain, sleep(timeoutMs)])
    this.closed = true
  }
}

/**
 * What the alerter reads of a ScoredInteraction: everything but the texts and the scorers'
 * evidence, which make up most of each record's bytes. Decoding skips them (codec.ts SkipFields).
 */
export const ALERTER_SKIP_FIELDS = { ScoredInteraction: ['prompt_text', 'response_text'], ScoreEntry: ['details'] } as const

/** Replay decoding: the live path's decoder (bounds guard and contract included: the topic may hold poison the live runner dead-lettered). */
function decodeForReplay(codec: Codec, buf: Buffer | null): { ok: true; value: ScoredInteraction } | { ok: false; reason: string } {
  const res = codec.decode('ScoredInteraction', buf, undefined, ALERTER_SKIP_FIELDS)
  return res.ok ? { ok: true, value: res.value } : { ok: false, reason: res.reason }
}

/** Latest record per dedup key in the alerts topic. */
async function readLatestAlerts(kafka: KafkaHandle, codec: Codec, topic: string, log: Logger, timeoutMs: number): Promise<Alert[]> {
  const latest = new Map<string, Alert>()
  let bad = 0
  await kafka.readRange({
    topic,
    timeoutMs,
    onMessage: (m) => {
      const res = codec.decode('Alert', m.value, m.headers)
      if (!res.ok) {
        bad++
        return
      }
      const prev = latest.get(res.value.dedup_key)
      if (!prev || prev.emitted_time <= res.value.emitted_time) latest.set(res.value.dedup_key, res.value)
    },
  })
  if (bad > 0) log.warn({ topic, bad }, 'undecodable records in the alerts topic were ignored')
  return [...latest.values()]
}

/**
 * The scorer keys llm.scores by app_name + request_model. Rules whose groups do not include both
 * span partitions: with several instances each one sees only part of such a group.
 */
export function crossPartitionRules(rules: readonly Rule[]): string[] {
  // llm.scores is keyed by app: a group that includes app_name lives on one partition.
  return rules.filter((r) => !r.group_by.includes('app_name')).map((r) => r.name)
}

/**
 * The resolved record for a firing alert whose rule is gone from the rules file (`rule_removed`),
 * or whose rule now groups differently, so that its dedup key is not the rule's any more (`rule_changed`).
 */
export function resolvedForRemovedRule(a: Alert, now: number, reason: 'rule_removed' | 'rule_changed' = 'rule_removed'): Alert {
  const why = reason === 'rule_removed' ? `rule ${a.rule} no longer exists` : `rule ${a.rule} now groups its alerts differently`
  return {
    ...a,
    alert_id: randomUUID(),
    state: 'resolved',
    reminder: false,
    ended_time: now,
    emitted_time: now,
    summary: `resolved (${why}): ${a.summary}`.slice(0, 4096),
    resolve_reason: reason,
  }
}

export async function startAlerter(deps: AlerterDeps): Promise<AlerterHandle> {
  const { kafka, codec, config } = deps
  const log = deps.logger.child({ component: 'alerter' })
  const now = deps.now ?? Date.now
  const replay = config.replay ?? true
  await kafka.ensureTopics([{ name: config.scoresTopic }, { name: config.alertsTopic }])
  const producer = await kafka.producer()
  const outbox = new Outbox(
    producer,
    codec,
    config.alertsTopic,
    log,
    (alerts) => {
      for (const a of alerts) {
        alertsCounter.inc({ rule: a.rule, state: a.state, reminder: String(a.reminder) })
        log.info({ rule: a.rule, state: a.state, severity: a.severity, reminder: a.reminder, dedup_key: a.dedup_key, value: a.value, unit: a.unit, resolve_reason: a.resolve_reason ?? undefined }, a.summary)
      }
      deps.webhook?.notify(alerts)
      deps.onPublished?.(alerts)
    },
    config.alertsFormat ?? 'avro',
  )

  const engineOptions: EngineOptions = { ...(config.runbookBaseUrl === undefined ? {} : { runbookBaseUrl: config.runbookBaseUrl }), ...deps.engineOptions }
  let engine = new AlertEngine(deps.rules, engineOptions)
  let assigned: number[] = []
  /** Per partition, the last offset the replay fed to the engine: live messages up to it are skipped. */
  let replayedUpTo = new Map<number, bigint>()
  let generation = 0
  let building: Promise<void> = Promise.resolve()
  let isReady = false
  let stopped = false

  const rebuild = async (partitions: number[], gen: number): Promise<void> => {
    const started = now()
    const total = await kafka.partitionCount(config.scoresTopic)
    const spanning = crossPartitionRules(deps.rules)
    if (partitions.length < total && spanning.length > 0) {
      log.warn(
        { partitions, total, rules: spanning },
        'this instance owns only some partitions: rules not grouped by app_name see part of each group (see docs/ALERTING.md, Scaling out)',
      )
    }
    const fresh = new AlertEngine(deps.rules, engineOptions)
    const upTo = new Map<number, bigint>()
    const mine = new Set(partitions)
    let observed = 0
    let skipped = 0
    if (replay && partitions.length > 0) {
      fresh.beginReplay()
      const from = started - fresh.replaySpanMs()
      await kafka.readRange({
        topic: config.scoresTopic,
        fromTimestamp: from,
        timeoutMs: config.replayTimeoutMs ?? 3_600_000,
        onMessage: (m) => {
          if (!mine.has(m.partition)) return
          const res = decodeForReplay(codec, m.value)
          if (!res.ok) {
            // The live runner dead-lettered it; the replay skips it too.
            if (skipped++ === 0) log.warn({ partition: m.partition, offset: m.offset, reason: res.reason }, 'replay skips undecodable records')
            return
          }
          fresh.observe(res.value, now())
          upTo.set(m.partition, BigInt(m.offset))
          if (++observed % 500 === 0) fresh.evaluateDirty()
        },
      })
      fresh.evaluateDirty()
      const published = await readLatestAlerts(kafka, codec, config.alertsTopic, log, config.replayTimeoutMs ?? 3_600_000)
      // Adopt the alerts of groups this instance saw; alerts of groups nobody saw in the replay
      // (e.g. an app silent for longer than the replay span) go to the owner of partition 0.
      const owned = published.filter((a) => fresh.hasGroup(a.rule, a.labels) || mine.has(0))
      const { alerts, unknown } = fresh.endReplay(owned, now())
      if (gen !== generation) return
      // A firing alert of a rule that was removed or renamed would stay firing forever: resolve it
      // (once: the owner of partition 0 does it).
      const ruleNames = new Set(deps.rules.map((r) => r.name))
      const orphans = mine.has(0) ? unknown.map((a) => resolvedForRemovedRule(a, now(), ruleNames.has(a.rule) ? 'rule_changed' : 'rule_removed')) : []
      for (const a of orphans) log.warn({ rule: a.rule, dedup_key: a.dedup_key, reason: a.resolve_reason }, 'resolving a firing alert whose rule no longer exists or now groups differently')
      void outbox.publish([...alerts, ...orphans])
    }
    if (gen !== generation) return // a newer assignment superseded this build
    engine = fresh
    replayedUpTo = upTo
    isReady = true
    log.info({ partitions, replayed: observed, skipped, ms: now() - started, firing: engine.firingKeys().length }, 'alert state rebuilt')
  }

  const handle = async (batch: ConsumerBatch<ScoredInteraction>): Promise<void> => {
    // Wait for the rebuild of this assignment (isReady: it is done), heartbeating so the group does not evict us.
    if (!isReady) await heartbeatUntil(building, batch)
    // A failed rebuild leaves the batch unprocessed: the runner retries it (and onFatal restarts us).
    if (!isReady) throw new Error('alert state is not rebuilt')
    const skipUpTo = replayedUpTo.get(batch.partition)
    const first = batch.messages[0]
    // Offsets ascend: past the replay's last one, the whole batch is new.
    const events =
      skipUpTo === undefined || (first !== undefined && BigInt(first.offset) > skipUpTo)
        ? batch.messages.map((m) => m.value)
        : batch.messages.filter((m) => BigInt(m.offset) > skipUpTo).map((m) => m.value)
    const late = engine.stats.lateDropped
    const alerts = engine.ingest(events, now())
    if (engine.stats.lateDropped > late) lateCounter.inc(engine.stats.lateDropped - late)
    // Hold the commit until the alerts this batch caused are on the topic (most batches cause none).
    if (alerts.length > 0) await heartbeatUntil(outbox.publish(alerts), batch)
  }

  const consumer: ConsumerHandle = await startConsumer({
    kafka,
    codec,
    logger: deps.logger,
    service: SERVICE,
    groupId: config.groupId,
    topic: config.scoresTopic,
    record: 'ScoredInteraction',
    skipFields: ALERTER_SKIP_FIELDS,
    // Each fetch, batch and offset commit has a fixed cost (about 1 ms of CPU per fetch cycle here,
    // docs/BENCHMARKS.md, Alerter): under load let the broker gather 256 KiB (~100 scored events)
    // per fetch; when quiet it answers within 100 ms anyway.
    fetchMinBytes: config.fetchMinBytes ?? 256 * 1024,
    fetchMaxWaitMs: config.fetchMaxWaitMs ?? 100,
    handle,
    fromBeginning: false,
    onAssignment: (partitions) => {
      assigned = partitions
      isReady = false
      const gen = ++generation
      building = rebuild(partitions, gen).catch((err: unknown) => {
        // Without a rebuilt state the alerter could re-fire or miss alerts: let the service restart.
        log.error({ err: errorMessage(err) }, 'rebuilding alert state failed')
        deps.onFatal?.(err instanceof Error ? err : new Error(String(err)))
      })
    },
    ...(deps.onFatal ? { onFatal: deps.onFatal } : {}),
  })

  const timer = setInterval(() => {
    if (!isReady || stopped) return
    const alerts = engine.tick(now())
    firingGauge.set(engine.firingKeys().length)
    void outbox.publish(alerts)
  }, config.tickMs)

  return {
    engine: () => engine,
    ready: async () => {
      while (!isReady) {
        if (stopped) throw new Error('alerter stopped')
        await building.catch(() => undefined)
        if (!isReady) await sleep(50)
      }
    },
    health: () => ({
      ok: !stopped && (isReady || assigned.length === 0) && !consumer.degraded(),
      ready: isReady,
      partitions: assigned,
      outbox: outbox.size(),
      firing: engine.firingKeys().length,
      groups: engine.snapshot().groups,
      groupsDropped: engine.stats.groupsDropped,
      lateDropped: engine.stats.lateDropped,
      degraded: consumer.degraded(),
    }),
    stop: async () => {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      await consumer.stop()
      await outbox.close(10_000)
      await deps.webhook?.close(5000)
      await producer.disconnect()
    },
  }
}
