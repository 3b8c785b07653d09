/**
 * The consumer loop every service uses.
 *
 * Per partition batch: decode + validate each message; send the ones that fail to the DLQ (durably,
 * with their bytes and the reason); hand the good ones to `handle`, which resolves only when its
 * effect is durable; then commit the offset after the batch. A failing `handle` pauses the partition
 * and is retried with exponential backoff while the consumer keeps heartbeating, so the group does not
 * churn and nothing is skipped. On a rebalance or shutdown mid-retry the batch is left uncommitted for
 * the next owner (at-least-once; exactly-once where the handler commits transactionally).
 */
import type { Consumer, EachBatchPayload } from 'kafkajs'
import type { Codec, DecodeResult } from './codec.js'
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

/** `'committed'`: the handler committed the offsets itself (transactionally); the runner must not. */
export type HandleResult = void | 'committed'

export interface RunnerOptions<R extends RecordName> {
  kafka: KafkaHandle
  codec: Codec
  logger: Logger
  service: string
  groupId: string
  topic: string
  record: R
  handle: (batch: ConsumerBatch<RecordOf<R>>) => Promise<HandleResult>
  /** Called on every (re)assignment with this member's partitions of `topic`. */
  onAssignment?: (partitions: number[], ctl: { seek(partition: number, offset: string): void }) => void
  fromBeginning?: boolean
  partitionsConsumedConcurrently?: number
  maxBytesPerPartition?: number
  /** Called with batches whose handler is being retried, to expose the backlog in health. */
  retry?: { initialMs?: number; maxMs?: number }
  /** Called when the consumer crashed for good (kafkajs gave up): the service should exit non-zero. */
  onFatal?: (err: Error) => void
  /** Dead-letter topic (default llm.dlq). */
  dlqTopic?: string
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
  for (const [k, v] of Object.entries(h ?? {})) {
    const first = Array.isArray(v) ? v[0] : v
    if (first === undefined) continue
    raw[k] = first
    str[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first)
  }
  return { str, raw }
}

export async function startConsumer<R extends RecordName>(opts: RunnerOptions<R>): Promise<ConsumerHandle> {
  const log = opts.logger.child({ topic: opts.topic, groupId: opts.groupId })
  const dlqTopic = opts.dlqTopic ?? TOPICS.dlq.name
  const initialMs = opts.retry?.initialMs ?? 200
  const maxMs = opts.retry?.maxMs ?? 10_000
  const consumer: Consumer = opts.kafka.createConsumer(opts.groupId, opts.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: opts.maxBytesPerPartition })
  const dlq: Producer = await opts.kafka.producer()
  let assigned: number[] = []
  let retrying = 0
  let stopped = false

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = [...(e.payload.memberAssignment[opts.topic] ?? [])].sort((a, b) => a - b)
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
    const good: ConsumerMessage<RecordOf<R>>[] = []
    const bad: DeadLetter[] = []
    for (const m of batch.messages) {
      const { str, raw } = headersToStrings(m.headers)
      const res: DecodeResult<RecordOf<R>> = opts.codec.decode(opts.record, m.value, str)
      if (res.ok) {
        good.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: Number(m.timestamp), key: m.key ? m.key.toString('utf8') : null, headers: str, value: res.value })
      } else {
        bad.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: raw, code: res.code, reason: res.reason })
      }
    }
    const lastOffset = batch.lastOffset()
    const nextOffset = (BigInt(lastOffset) + 1n).toString()
    const active = () => p.isRunning() && !p.isStale()
    let resumePartition: (() => void) | null = null
    let delay = initialMs
    let attempt = 0
    // Dead letters first: once they are durable, committing past them loses nothing.
    let dlqDone = bad.length === 0
    let result: HandleResult
    for (;;) {
      if (!active()) {
        if (resumePartition) retrying--
        log.info({ partition: batch.partition, attempt }, 'batch abandoned uncommitted (rebalance or shutdown)')
        return
      }
      try {
        if (!dlqDone) {
          await dlq.send(dlqTopic, bad.map((d) => deadLetterMessage(d, opts.service)))
          for (const d of bad) {
            metrics.deadLettered.inc({ service: opts.service, topic: opts.topic, code: d.code })
            log.warn({ partition: d.partition, offset: d.offset, code: d.code, reason: d.reason.slice(0, 300) }, 'message dead-lettered')
          }
          dlqDone = true
        }
        result = await opts.handle({
          groupId: opts.groupId,
          topic: batch.topic,
          partition: batch.partition,
          messages: good,
          lastOffset,
          nextOffset,
          isActive: active,
          heartbeat: () => p.heartbeat(),
        })
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
    if (resumePartition) {
      retrying--
      resumePartition()
      log.info({ partition: batch.partition, attempts: attempt + 1 }, 'batch succeeded after retries; partition resumed')
    }
    metrics.consumed.inc({ service: opts.service, topic: opts.topic }, good.length)
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
    },
    pause: () => consumer.pause([{ topic: opts.topic }]),
    resume: () => consumer.resume([{ topic: opts.topic }]),
    assigned: () => assigned,
    degraded: () => retrying > 0,
  }
}
