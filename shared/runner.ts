/**
 * The consumer loop every service uses.
 *
 * Per partition batch: decode + validate each message; send the ones that fail to the DLQ (durably,
 * with their bytes and the reason); hand the good ones to `handle`, which resolves only when its
 * effect is durable; then commit the offset after the batch. A failing `handle` pauses the partition
 * and is retried with exponential backoff while the consumer keeps heartbeating, so the group does not
 * churn and nothing is skipped. On a rebalance or shutdown mid-retry the batch is left uncommitted for
 * the next owner (at-least-once; exactly-once where the handler commits transactionally).
 *
 * `startUndecodedConsumer` is the same loop for a handler that decodes itself (the scorer decodes in
 * its worker threads, so the Kafka thread never touches the records): the handler gets the raw
 * messages and must hand the ones it rejects to `batch.deadLetter` (durable once it resolves) before
 * its effect commits the offsets; the DLQ records are the same as the runner's own.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs'
import type { Codec, DecodeResult, SkipFields } from './codec.js'
import { TOPICS, type RecordName, type RecordOf } from './contract.js'
import { errorMessage } from './errors.js'
import type { KafkaHandle, OutMessage, Producer } from './kafka.js'
import type { Logger } from './logger.js'
import { metrics } from './metrics.js'

export interface ConsumerMessage<T> {
  topic: string
  partition: number
  offset: string
  timestamp: number
  key: string | null
  headers: Record<string, string>
  value: T
}

export interface ConsumerBatch<T> {
  groupId: string
  topic: string
  partition: number
  /** Valid messages only, in offset order. May be empty when the whole batch was dead-lettered. */
  messages: ConsumerMessage<T>[]
  /** Offset of the last message of the batch, valid or not. */
  lastOffset: string
  /** The offset to commit after this batch (lastOffset + 1). */
  nextOffset: string
  /** Whether the consumer still owns the partition and is running (check in long handlers). */
  isActive(): boolean
  heartbeat(): Promise<void>
}

/** A message the handler decodes itself: the value's bytes and the original key and headers. */
export interface UndecodedMessage extends ConsumerMessage<Buffer | null> {
  keyBytes: Buffer | null
  /** Headers as received (first value of each), for the dead-letter record. */
  rawHeaders: Record<string, string | Buffer>
}

/** A message the handler could not decode or validate: its index in the batch and why. */
export interface Rejected {
  index: number
  code: string
  reason: string
}

export interface UndecodedBatch extends Omit<ConsumerBatch<Buffer | null>, 'messages'> {
  /** Every message of the batch, in offset order. */
  messages: UndecodedMessage[]
  /**
   * Sends the rejected messages to the DLQ (bytes, key, headers, reason) and resolves once they are
   * durable. Call it before the batch's offsets commit. Idempotent across retries of the batch: a
   * message already dead-lettered is not sent again.
   */
  deadLetter(rejected: readonly Rejected[]): Promise<void>
}

/** `'committed'`: the handler committed the offsets itself (transactionally); the runner must not. */
export type HandleResult = void | 'committed'

interface LoopOptions {
  kafka: KafkaHandle
  logger: Logger
  service: string
  groupId: string
  topic: string
  /** Called on every (re)assignment with this member's partitions of `topic`. */
  onAssignment?: (partitions: number[], ctl: { seek(partition: number, offset: string): void }) => void
  fromBeginning?: boolean
  partitionsConsumedConcurrently?: number
  maxBytesPerPartition?: number
  /**
   * Fetch sizing: the broker answers once this many bytes are ready, or after fetchMaxWaitMs
   * (defaults 1 byte / 100 ms). kafkajs fetches again only after every batch of a fetch is handled,
   * so a handler that waits for more data never gets it: batching belongs here.
   */
  fetchMinBytes?: number
  fetchMaxWaitMs?: number
  /** Called with batches whose handler is being retried, to expose the backlog in health. */
  retry?: { initialMs?: number; maxMs?: number }
  /** Called when the consumer crashed for good (kafkajs gave up): the service should exit non-zero. */
  onFatal?: (err: Error) => void
  /** Dead-letter topic (default llm.dlq). */
  dlqTopic?: string
}

export interface RunnerOptions<R extends RecordName> extends LoopOptions {
  codec: Codec
  record: R
  /** Fields this consumer does not read: skipped while decoding, left at their defaults (codec.ts). */
  skipFields?: SkipFields
  handle: (batch: ConsumerBatch<RecordOf<R>>) => Promise<HandleResult>
}

export interface UndecodedRunnerOptions extends LoopOptions {
  handle: (batch: UndecodedBatch) => Promise<HandleResult>
}

export interface ConsumerHandle {
  groupId: string
  stop(): Promise<void>
  pause(): void
  resume(): void
  /** Partitions of the topic this member currently owns. */
  assigned(): number[]
  /** True while at least one batch is being retried after a handler failure. */
  degraded(): boolean
}

export interface DeadLetter {
  topic: string
  partition: number
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, string | Buffer>
  code: string
  reason: string
}

/** Builds the DLQ record: original key, bytes and headers, plus why and where it came from. */
export function deadLetterMessage(d: DeadLetter, service: string): OutMessage {
  return {
    key: d.key,
    value: d.value ?? Buffer.alloc(0),
    headers: {
      ...d.headers,
      'dlq.reason': d.reason.slice(0, 2000),
      'dlq.error.code': d.code,
      'dlq.source.topic': d.topic,
      'dlq.source.partition': String(d.partition),
      'dlq.source.offset': d.offset,
      'dlq.source.timestamp': d.timestamp,
      'dlq.service': service,
      'dlq.time': new Date().toISOString(),
    },
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function headersToStrings(h: EachBatchPayload['batch']['messages'][number]['headers']): { str: Record<string, string>; raw: Record<string, string | Buffer> } {
  const str: Record<string, string> = {}
  const raw: Record<string, string | Buffer> = {}
  if (h === undefined) return { str, raw }
  for (const k in h) {
    const v = h[k]
    const first = Array.isArray(v) ? v[0] : v
    if (first === undefined) continue
    raw[k] = first
    str[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first)
  }
  return { str, raw }
}

/** Consumes `topic`, decoding and validating each message as `record`; see the module comment. */
export async function startConsumer<R extends RecordName>(opts: RunnerOptions<R>): Promise<ConsumerHandle> {
  return runLoop(opts, (batch, deadLetter) => {
    const good: ConsumerMessage<RecordOf<R>>[] = []
    const bad: Rejected[] = []
    const decodeAll = () => batch.messages.forEach((m, index) => {
      const res: DecodeResult<RecordOf<R>> = opts.codec.decode(opts.record, m.value, m.headers, opts.skipFields)
      if (res.ok) good.push({ topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key, headers: m.headers, value: res.value })
      else bad.push({ index, code: res.code, reason: res.reason })
    })
    // With a schema registry, schema ids not known yet are looked up before decoding, in the attempt
    // (an unreachable registry fails it, and it is retried); otherwise the batch decodes right here.
    let lookup = opts.codec.looksUpIds() && opts.codec.needsLookup(batch.messages.map((m) => m.value))
    if (!lookup) decodeAll()
    const { messages: _raw, deadLetter: _dl, ...rest } = batch
    // Dead letters first: once they are durable, committing past them loses nothing.
    return async () => {
      if (lookup) {
        await opts.codec.resolveUnknownIds(batch.messages.map((m) => m.value))
        decodeAll()
        lookup = false
      }
      if (bad.length > 0) await deadLetter(bad)
      return opts.handle({ ...rest, messages: good })
    }
  })
}

/** Consumes `topic` without decoding: the handler decodes and dead-letters (see the module comment). */
export async function startUndecodedConsumer(opts: UndecodedRunnerOptions): Promise<ConsumerHandle> {
  return runLoop(opts, (batch) => () => opts.handle(batch))
}

/**
 * The loop. `prepare` runs once per fetched batch and returns the attempt, which is retried until it
 * succeeds or the partition is lost; `deadLetter` remembers what it sent, so retries do not repeat it.
 */
async function runLoop(
  opts: LoopOptions,
  prepare: (batch: UndecodedBatch, deadLetter: (rejected: readonly Rejected[]) => Promise<void>) => () => Promise<HandleResult>,
): Promise<ConsumerHandle> {
  const log = opts.logger.child({ topic: opts.topic, groupId: opts.groupId })
  const dlqTopic = opts.dlqTopic ?? TOPICS.dlq.name
  const initialMs = opts.retry?.initialMs ?? 200
  const maxMs = opts.retry?.maxMs ?? 10_000
  const consumer: Consumer = opts.kafka.createConsumer(opts.groupId, {
    ...(opts.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: opts.maxBytesPerPartition }),
    ...(opts.fetchMinBytes === undefined ? {} : { fetchMinBytes: opts.fetchMinBytes }),
    ...(opts.fetchMaxWaitMs === undefined ? {} : { fetchMaxWaitMs: opts.fetchMaxWaitMs }),
  })
  const dlq: Producer = await opts.kafka.producer()
  let assigned: number[] = []
  let retrying = 0
  let stopped = false

  const lagLabels = (partition: number) => ({ service: opts.service, group: opts.groupId, topic: opts.topic, partition: String(partition) })
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const before = assigned
    assigned = [...(e.payload.memberAssignment[opts.topic] ?? [])].sort((a, b) => a - b)
    // A revoked partition's lag is its new owner's to report.
    for (const p of before) if (!assigned.includes(p)) metrics.consumerLag.remove(lagLabels(p))
    log.info({ partitions: assigned }, 'partitions assigned')
    opts.onAssignment?.(assigned, { seek: (partition, offset) => consumer.seek({ topic: opts.topic, partition, offset }) })
  })
  consumer.on(consumer.events.CRASH, (e) => {
    const err = e.payload.error
    if (e.payload.restart) log.warn({ err }, 'consumer crashed; kafkajs restarts it')
    else if (!stopped) {
      log.error({ err }, 'consumer crashed for good')
      opts.onFatal?.(err)
    }
  })

  await consumer.connect()
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning ?? true })

  const processBatch = async (p: EachBatchPayload): Promise<void> => {
    const { batch } = p
    if (batch.messages.length === 0) return
    const started = process.hrtime.bigint()
    const messages: UndecodedMessage[] = batch.messages.map((m) => {
      const { str, raw } = headersToStrings(m.headers)
      return {
        topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: Number(m.timestamp),
        key: m.key ? m.key.toString('utf8') : null, keyBytes: m.key, headers: str, rawHeaders: raw, value: m.value,
      }
    })
    const lastOffset = batch.lastOffset()
    const nextOffset = (BigInt(lastOffset) + 1n).toString()
    const highWatermark = BigInt(batch.highWatermark)
    const setLag = (from: bigint) => metrics.consumerLag.set(lagLabels(batch.partition), Math.max(0, Number(highWatermark - from)))
    setLag(BigInt(batch.firstOffset() ?? lastOffset))
    const active = () => p.isRunning() && !p.isStale()
    // Offsets already dead-lettered in this batch (a retried attempt must not send them twice).
    const dead = new Set<number>()
    const deadLetter = async (rejected: readonly Rejected[]): Promise<void> => {
      const todo = rejected.filter((r) => !dead.has(r.index))
      if (todo.length === 0) return
      const letters: DeadLetter[] = todo.map((r) => {
        const m = messages[r.index]
        if (!m) throw new Error(`deadLetter: no message at index ${r.index} of a batch of ${messages.length}`)
        const src = batch.messages[r.index]!
        return { topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: src.timestamp, key: m.keyBytes, value: m.value, headers: m.rawHeaders, code: r.code, reason: r.reason }
      })
      await dlq.send(dlqTopic, letters.map((d) => deadLetterMessage(d, opts.service)))
      for (const r of todo) dead.add(r.index)
      for (const d of letters) {
        metrics.deadLettered.inc({ service: opts.service, topic: opts.topic, code: d.code })
        log.warn({ partition: d.partition, offset: d.offset, code: d.code, reason: d.reason.slice(0, 300) }, 'message dead-lettered')
      }
    }
    const attemptBatch = prepare(
      { groupId: opts.groupId, topic: batch.topic, partition: batch.partition, messages, lastOffset, nextOffset, isActive: active, heartbeat: () => p.heartbeat(), deadLetter },
      deadLetter,
    )
    let resumePartition: (() => void) | null = null
    let delay = initialMs
    let attempt = 0
    let result: HandleResult
    for (;;) {
      if (!active()) {
        if (resumePartition) retrying--
        log.info({ partition: batch.partition, attempt }, 'batch abandoned uncommitted (rebalance or shutdown)')
        return
      }
      try {
        result = await attemptBatch()
        break
      } catch (err) {
        attempt++
        metrics.handlerRetries.inc({ service: opts.service, topic: opts.topic })
        if (!resumePartition) {
          resumePartition = p.pause()
          retrying++
        }
        log.warn({ partition: batch.partition, attempt, delayMs: delay, err: errorMessage(err) }, 'batch failed; partition paused, retrying')
        // Sleep in slices so heartbeats continue and shutdown is noticed quickly.
        const until = Date.now() + delay
        while (Date.now() < until && active()) {
          await sleep(Math.min(500, until - Date.now()))
          await p.heartbeat().catch(() => {})
        }
        delay = Math.min(maxMs, delay * 2)
      }
    }
    if (result !== 'committed') {
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset }])
    }
    p.resolveOffset(lastOffset)
    setLag(BigInt(nextOffset))
    if (resumePartition) {
      retrying--
      resumePartition()
      log.info({ partition: batch.partition, attempts: attempt + 1 }, 'batch succeeded after retries; partition resumed')
    }
    metrics.consumed.inc({ service: opts.service, topic: opts.topic }, messages.length - dead.size)
    metrics.batchSeconds.observe({ service: opts.service, topic: opts.topic }, Number(process.hrtime.bigint() - started) / 1e9)
  }

  await consumer.run({
    // Offsets are resolved only after a batch's effect is durable, and committed explicitly right
    // then. autoCommit stays on for what kafkajs resolves by itself: fetches that hold only
    // transaction markers (the scorer writes transactionally), which never reach eachBatch and would
    // otherwise leave the committed offset one short of the end of the partition forever.
    autoCommit: true,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
    eachBatch: processBatch,
  })

  return {
    groupId: opts.groupId,
    stop: async () => {
      if (stopped) return
      stopped = true
      // disconnect() waits for running batches to finish (and commit) before leaving the group.
      await consumer.disconnect()
      await dlq.disconnect()
      for (const p of assigned) metrics.consumerLag.remove(lagLabels(p))
    },
    pause: () => consumer.pause([{ topic: opts.topic }]),
    resume: () => consumer.resume([{ topic: opts.topic }]),
    assigned: () => assigned,
    degraded: () => retrying > 0,
  }
}
