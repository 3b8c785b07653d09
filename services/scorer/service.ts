/**
 * The scorer service: consumes llm.interactions as one consumer group, runs every enabled scorer on
 * each event, and publishes one ScoredInteraction per event to llm.scores, keyed by app so that one
 * app's scores (and so each app+model's) stay on one partition (the alerter relies on it). Order within a
 * partition is kept: a partition batch is scored and produced in offset order.
 *
 * Delivery: with exactly-once (default) each batch's scores and its consumer offset commit in one
 * Kafka transaction, so a crash or rebalance never yields a duplicate score downstream
 * (consumers read committed). Without it, scores are produced (acks=all) before the offset commit:
 * at-least-once.
 *
 * Both scorings take the raw bytes (`scoreRaw`): the runner does not decode; the scoring decodes and
 * validates each message as it scores it (inline: one at a time, so a decoded event dies young; the
 * pool: in its worker threads), and the rejected messages are dead-lettered (durably) before the
 * batch's scores and offsets commit, exactly as the shared runner does it.
 */
import os from 'node:os'
import type { Codec } from '../../shared/codec.js'
import { TOPICS, type LlmInteraction } from '../../shared/contract.js'
import type { KafkaHandle, OutMessage, Producer, SourceOffset } from '../../shared/kafka.js'
import type { Logger } from '../../shared/logger.js'
import { metrics, prom, registry } from '../../shared/metrics.js'
import { PII_REDACTION, REDACTION_HEADER } from '../../shared/pii.js'
import { startConsumer, startUndecodedConsumer, type ConsumerHandle, type Rejected } from '../../shared/runner.js'
import type { TextMode } from './engine.js'
import { InlineScoring, type Encoded, type Scoring } from './pool.js'
import type { Scorer } from './scorer.js'
import type { ScorerConfig } from './scorer-config.js'

export interface ScorerDeps {
  kafka: KafkaHandle
  codec: Codec
  logger: Logger
  scorers: readonly Scorer<unknown>[]
  config: ScorerConfig
  groupId?: string
  /** The text mode scoring runs with (also that of `scoring` when given): 'redacted' marks the records as redacted here. */
  textMode?: TextMode
  exactlyOnce?: boolean
  concurrency?: number
  inputTopic?: string
  outputTopic?: string
  dlqTopic?: string
  /** Transactional id; must be unique per live instance. Default: group-host-pid. */
  transactionalId?: string
  /** Where scoring runs (default: inline on this thread). The service closes it on stop. */
  scoring?: Scoring
}

export interface ScorerService {
  consumer: ConsumerHandle
  /** Events scored, partition batches handled, Kafka transactions committed (exactly-once; several batches may share one). */
  stats(): { scored: number; batches: number; transactions: number }
  stop(): Promise<void>
}

export { scoreKey } from './pool.js'

function getMetric<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}
/** Time from the event (its end_time, the producer's clock) to its score being durable on llm.scores. */
const eventToScore = getMetric(
  'llmwatch_event_to_score_seconds',
  () =>
    new prom.Histogram({
      name: 'llmwatch_event_to_score_seconds',
      help: 'Seconds from the event (end_time) to its score being committed to llm.scores',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers: [registry],
    }),
)
const flaggedTotal = getMetric(
  'llmwatch_scores_flagged_total',
  () =>
    new prom.Counter({
      name: 'llmwatch_scores_flagged_total',
      help: 'Score entries flagged, by scorer, target and app (counted once the scores are committed)',
      labelNames: ['scorer', 'target', 'app'],
      registers: [registry],
    }),
)

/** Observes a committed batch: event-to-score latency per event, flagged entries per scorer, target and app. */
function observeScores(results: readonly Encoded[], now: number): void {
  let flags: Map<string, number> | null = null
  for (const r of results) {
    if (r.endTime !== undefined) eventToScore.observe(Math.max(0, now - r.endTime) / 1000)
    if (r.flagged) {
      flags ??= new Map()
      // The record key is the app (scoreKey).
      for (const f of r.flagged) flags.set(`${f}\u0001${r.key}`, (flags.get(`${f}\u0001${r.key}`) ?? 0) + 1)
    }
  }
  if (flags) {
    for (const [k, n] of flags) {
      const [scorer, target, app] = k.split('\u0001')
      flaggedTotal.inc({ scorer: scorer!, target: target!, app: app! }, n)
    }
  }
}

export async function startScorer(deps: ScorerDeps): Promise<ScorerService> {
  const groupId = deps.groupId ?? 'llmwatch-scorer'
  const inputTopic = deps.inputTopic ?? TOPICS.interactions.name
  const outputTopic = deps.outputTopic ?? TOPICS.scores.name
  const exactlyOnce = deps.exactlyOnce ?? true
  const log = deps.logger.child({ component: 'scorer' })
  const producer: Producer = await deps.kafka.producer(
    exactlyOnce ? { transactionalId: deps.transactionalId ?? `${groupId}-${os.hostname()}-${process.pid}` } : {},
  )
  const scoring: Scoring = deps.scoring ?? new InlineScoring(deps.scorers, deps.config, deps.codec, deps.textMode ?? 'redacted')
  // Texts redacted here with shared/pii.ts (and evidence PII-free by construction): the sink need not scan them again.
  const redacted = (deps.textMode ?? 'redacted') === 'redacted'
  // One transactional producer runs one transaction at a time. Group commit: batches that finish
  // while a transaction is in flight wait for it and then go together in the next one (their
  // messages and every partition's offsets), so there are fewer transactions than batches when
  // busy and no added wait when idle. A failed transaction fails every batch in it (each retries).
  let waiting: { messages: OutMessage[]; source: SourceOffset; done: (err?: unknown) => void }[] = []
  let inFlight: Promise<void> | null = null
  let transactions = 0
  const commitNext = (): void => {
    if (inFlight !== null || waiting.length === 0) return
    const group = waiting
    waiting = []
    transactions++
    inFlight = producer
      .sendWithOffsets(outputTopic, group.flatMap((w) => w.messages), group.map((w) => w.source))
      .then(
        () => group.forEach((w) => w.done()),
        (err: unknown) => group.forEach((w) => w.done(err ?? new Error('transaction failed'))),
      )
      .finally(() => {
        inFlight = null
        commitNext()
      })
  }
  const commitInGroup = (messages: OutMessage[], source: SourceOffset): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ messages, source, done: (err) => (err === undefined ? resolve() : reject(err)) })
      commitNext()
    })
  let scored = 0
  let batches = 0

  // One header, the same object on every record (kafkajs only reads it), and only in redacted mode:
  // kafkajs encodes each header with its own zero-filled 512-byte buffer, ~2 us per header and
  // record. (The source partition and offset headers written until 2026-12-02 had no reader: a
  // score's source is its event_id.)
  const headers: Readonly<Record<string, string>> | undefined = redacted ? Object.freeze({ [REDACTION_HEADER]: PII_REDACTION }) : undefined

  /** Produces one batch's scores and commits its offsets (in one transaction with exactly-once). */
  const publish = async (batch: { topic: string; partition: number; nextOffset: string }, results: readonly Encoded[]) => {
    const messages: OutMessage[] = new Array<OutMessage>(results.length)
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!
      messages[i] = headers === undefined ? { key: r.key, value: r.value } : { key: r.key, value: r.value, headers }
    }
    if (exactlyOnce) {
      await commitInGroup(messages, { groupId, topic: batch.topic, partition: batch.partition, offset: batch.nextOffset })
    } else {
      await producer.send(outputTopic, messages)
    }
    scored += results.length
    batches++
    metrics.produced.inc({ service: 'scorer', topic: outputTopic }, messages.length)
    observeScores(results, Date.now())
    return exactlyOnce ? ('committed' as const) : undefined
  }

  const common = {
    kafka: deps.kafka,
    logger: deps.logger,
    service: 'scorer',
    groupId,
    topic: inputTopic,
    ...(deps.dlqTopic ? { dlqTopic: deps.dlqTopic } : {}),
    partitionsConsumedConcurrently: deps.concurrency ?? 3,
    // Each fetch, batch and transaction has a fixed cost: under load let the broker gather 64 KiB
    // (~30 events) per fetch; when quiet it answers within 50 ms anyway.
    fetchMinBytes: 64 * 1024,
    fetchMaxWaitMs: 50,
  }
  const scoreRaw = scoring.scoreRaw?.bind(scoring)
  const consumer = scoreRaw
    ? await startUndecodedConsumer({
        ...common,
        handle: async (batch) => {
          const outcomes = await scoreRaw(batch.messages.map((m) => ({ value: m.value, contentType: m.headers['content-type'] })))
          const results: Encoded[] = []
          const rejected: Rejected[] = []
          outcomes.forEach((o, index) => {
            if (o.ok) results.push(o)
            else rejected.push({ index, code: o.code, reason: o.reason })
          })
          // Durable in the DLQ before the offsets commit below.
          await batch.deadLetter(rejected)
          return publish(batch, results)
        },
      })
    : await startConsumer({
        ...common,
        codec: deps.codec,
        record: 'LlmInteraction',
        handle: async (batch) => {
          const results = await scoring.score(batch.messages.map((m) => m.value))
          return publish(batch, results)
        },
      })
  log.info({ groupId, inputTopic, outputTopic, exactlyOnce, scorers: deps.scorers.map((s) => s.name) }, 'scorer started')
  let stopping: Promise<void> | null = null
  return {
    consumer,
    stats: () => ({ scored, batches, transactions }),
    stop: () =>
      (stopping ??= (async () => {
        await consumer.stop()
        while (inFlight !== null) await inFlight
        await producer.disconnect()
        await scoring.close()
        log.info({ scored }, 'scorer stopped')
      })()),
  }
}
