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
 * With a scoring that takes raw bytes (the worker pool), the Kafka thread does not decode: the workers
 * decode, validate and score, and the rejected messages are dead-lettered (durably) before the batch's
 * scores and offsets commit, exactly as the shared runner does it.
 */
import os from 'node:os'
import type { Codec } from '../../shared/codec.js'
import { TOPICS, type LlmInteraction } from '../../shared/contract.js'
import type { KafkaHandle, OutMessage, Producer } from '../../shared/kafka.js'
import type { Logger } from '../../shared/logger.js'
import { metrics } from '../../shared/metrics.js'
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
  /** Events scored, partition batches handled, Kafka transactions committed (exactly-once: one per batch). */
  stats(): { scored: number; batches: number; transactions: number }
  stop(): Promise<void>
}

export { scoreKey } from './pool.js'

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
  // One transactional producer runs one transaction at a time: serialize the hand-offs, one
  // transaction per partition batch. (A group commit of several batches per transaction was tried
  // on 2026-11-27 and backed out: the kill -9 fault scenario lost one partition's tail once in four
  // runs with it on; see docs/RELIABILITY.md.)
  let txChain: Promise<unknown> = Promise.resolve()
  let transactions = 0
  let scored = 0
  let batches = 0

  /** Produces one batch's scores and commits its offsets (in one transaction with exactly-once). */
  const publish = async (batch: { topic: string; partition: number; nextOffset: string }, results: readonly Encoded[], offsets: readonly string[]) => {
    const sourcePartition = String(batch.partition)
    const messages: OutMessage[] = results.map((r, i) => ({
      key: r.key,
      value: r.value,
      headers: { 'llmwatch.source.offset': offsets[i]!, 'llmwatch.source.partition': sourcePartition },
    }))
    if (exactlyOnce) {
      const run = txChain.then(() =>
        producer.sendWithOffsets(outputTopic, messages, { groupId, topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }),
      )
      txChain = run.catch(() => {})
      await run
      transactions++
    } else {
      await producer.send(outputTopic, messages)
    }
    scored += results.length
    batches++
    metrics.produced.inc({ service: 'scorer', topic: outputTopic }, messages.length)
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
  }
  const scoreRaw = scoring.scoreRaw?.bind(scoring)
  const consumer = scoreRaw
    ? await startUndecodedConsumer({
        ...common,
        handle: async (batch) => {
          const outcomes = await scoreRaw(batch.messages.map((m) => ({ value: m.value, contentType: m.headers['content-type'] })))
          const results: Encoded[] = []
          const offsets: string[] = []
          const rejected: Rejected[] = []
          outcomes.forEach((o, index) => {
            if (o.ok) {
              results.push(o)
              offsets.push(batch.messages[index]!.offset)
            } else rejected.push({ index, code: o.code, reason: o.reason })
          })
          // Durable in the DLQ before the offsets commit below.
          await batch.deadLetter(rejected)
          return publish(batch, results, offsets)
        },
      })
    : await startConsumer({
        ...common,
        codec: deps.codec,
        record: 'LlmInteraction',
        handle: async (batch) => {
          const results = await scoring.score(batch.messages.map((m) => m.value))
          return publish(batch, results, batch.messages.map((m) => m.offset))
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
        await txChain
        await producer.disconnect()
        await scoring.close()
        log.info({ scored }, 'scorer stopped')
      })()),
  }
}
