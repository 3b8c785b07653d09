/**
 * The one module that imports kafkajs. Services use this API, so a later switch of client
 * (kafkajs is in maintenance mode upstream) is this module's work alone.
 */
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import {
  Kafka,
  logLevel,
  Partitioners,
  CompressionTypes,
  type Consumer,
  type Producer as KjsProducer,
  type Admin,
  type LogEntry,
  type IHeaders,
  type ICustomPartitioner,
  type Message,
} from 'kafkajs'
import type { Logger } from './logger.js'
import { TOPICS } from './contract.js'
import { errorMessage, LlmwatchError } from './errors.js'

export interface KafkaOptions {
  brokers: string[]
  clientId: string
  logger: Logger
  /** Partitions for topics this project creates. */
  partitions?: number
  /** Where `brokers` came from (e.g. KAFKA_BROKERS), named in "cannot reach" messages. */
  source?: string
  /**
   * No broker answers at the first connection: 'fail' (default, one-shot commands) throws
   * "cannot reach Kafka at <brokers> (<source>)" within about 5 s; 'retry' (long-running services)
   * waits with backoff (1 s doubling to 30 s), one warning per step.
   */
  unreachable?: 'fail' | 'retry'
}

export interface TopicSpec {
  name: string
  partitions?: number
  config?: Record<string, string>
}

export interface OutMessage {
  key: string | Buffer | null
  value: Buffer
  headers?: Record<string, string | Buffer>
  timestamp?: string
  partition?: number
}

export interface SourceOffset {
  groupId: string
  topic: string
  partition: number
  /** The next offset to consume (last processed + 1). */
  offset: string
}

export interface Producer {
  /** Sends and waits for acks from all in-sync replicas: resolved means durable. */
  send(topic: string, messages: OutMessage[]): Promise<void>
  /**
   * Exactly-once hand-off (transactional producers only): the messages and the consumer offset
   * commit in one Kafka transaction, aborted on any error.
   */
  sendWithOffsets(topic: string, messages: OutMessage[], source: SourceOffset | readonly SourceOffset[]): Promise<void>
  readonly transactional: boolean
  disconnect(): Promise<void>
}

export interface RawMessage {
  topic: string
  partition: number
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: IHeaders
}

export interface PartitionOffset {
  partition: number
  offset: string
}

/**
 * Messages of the broker errors kafkajs retries by itself (the protocol's retriable codes, plus
 * CONCURRENT_TRANSACTIONS, which the broker expects clients to retry).
 */
const RETRIABLE_PROTOCOL_MESSAGES: ReadonlySet<string> = (() => {
  const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; retriable: boolean; message: string }[] }
  return new Set(errorCodes.filter((e) => e.retriable || e.type === 'CONCURRENT_TRANSACTIONS').map((e) => e.message))
})()

/**
 * The level a kafkajs ERROR entry deserves. kafkajs logs every attempt it retries at ERROR; a
 * retried, recovered condition is not an error: per-attempt reports (connection errors, retriable
 * broker responses, failed sends it will retry) go to debug, and consumer crashes to debug too,
 * because shared/runner.ts reports each one itself (warn when kafkajs restarts the consumer, error
 * when it gives up). What fails for good reaches the caller as an exception.
 */
export function kafkajsErrorLevel(message: string, extra: Record<string, unknown>): 'error' | 'warn' | 'debug' {
  if (extra.retryCount !== undefined || extra.retryTime !== undefined) return 'debug'
  if (/^(Crash: |Restarting the consumer|Connection error|Connection timeout|Failed to connect)/.test(message)) return 'debug'
  if (message.startsWith('Response ') && typeof extra.error === 'string' && RETRIABLE_PROTOCOL_MESSAGES.has(extra.error)) return 'debug'
  if (message.startsWith('The coordinator is not aware of this member')) return 'warn'
  return 'error'
}

/** Maps kafkajs' log levels onto pino. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log
      const child = { kafkajs: extra.logger ?? true, ...('groupId' in extra ? { groupId: extra.groupId } : {}) }
      const msg = String(message)
      if (level === logLevel.ERROR) logger[kafkajsErrorLevel(msg, extra)]({ ...child, error: extra.error }, msg)
      else if (level === logLevel.WARN) logger.warn({ ...child, error: extra.error }, msg)
      else if (level === logLevel.INFO) logger.debug(child, msg)
    }
}

/**
 * Largest message the project's topics take (the broker's default is 1 MB). Above the 2 MB event
 * limit (LIMITS.maxEventBytes) on purpose: an oversized event must reach the scorer, which
 * dead-letters it with its reason (the DLQ keeps the original bytes), instead of being refused at
 * the producer by the broker.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
const DEFAULT_TOPIC_CONFIG: Readonly<Record<string, string>> = { 'max.message.bytes': String(TOPIC_MAX_MESSAGE_BYTES) }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * kafkajs' DefaultPartitioner (Java-compatible murmur2 of the key modulo the partition count), with
 * its answer for a string key remembered per topic and partition count: its murmur2 runs on Long
 * objects (~1 us per record), and the services' keys are few (the scorer keys by app). Same
 * partition as the DefaultPartitioner for every message (test/unit/kafka-partitioner.test.ts);
 * messages with an explicit partition or a non-string key go to it unchanged.
 */
export const memoizedDefaultPartitioner: ICustomPartitioner = () => {
  const inner = Partitioners.DefaultPartitioner()
  const known = new Map<string, number>()
  return (args) => {
    const { topic, partitionMetadata, message } = args
    if (typeof message.key !== 'string' || (message.partition !== undefined && message.partition !== null)) return inner(args)
    const k = `${topic}\u0000${partitionMetadata.length}\u0000${message.key}`
    let p = known.get(k)
    if (p === undefined) {
      p = inner(args)
      // Bounded: keys beyond this many (an unusual producer) are hashed every time.
      if (known.size < 10_000) known.set(k, p)
    }
    return p
  }
}

export class KafkaHandle {
  readonly brokers: string[]
  readonly clientId: string
  private readonly kafka: Kafka
  private readonly logger: Logger
  private readonly partitions: number
  private readonly closers = new Set<() => Promise<void>>()
  private adminClient: Admin | null = null
  private readonly source: string
  private readonly unreachable: 'fail' | 'retry'
  private reach: Promise<void> | null = null
  private closed = false

  constructor(opts: KafkaOptions) {
    this.brokers = opts.brokers
    this.clientId = opts.clientId
    this.logger = opts.logger
    this.partitions = opts.partitions ?? 6
    this.source = opts.source ?? 'KAFKA_BROKERS'
    this.unreachable = opts.unreachable ?? 'fail'
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator: logCreator(opts.logger),
      connectionTimeout: 5000,
      requestTimeout: 30000,
      // Reconnect patiently: a broker restart must not kill a service.
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 30 },
    })
  }

  /**
   * Resolves once a broker answers (checked once per handle, before the first connection). kafkajs'
   * own retries take minutes and log every attempt; this answers within seconds with one line.
   */
  reachable(): Promise<void> {
    this.reach ??= this.waitReachable()
    return this.reach
  }

  private async waitReachable(): Promise<void> {
    const started = Date.now()
    const failAt = started + 5_000
    let delay = this.unreachable === 'fail' ? 500 : 1000
    for (let attempt = 1; ; attempt++) {
      const err = await this.probe(this.unreachable === 'fail' ? Math.max(500, Math.min(3000, failAt - Date.now())) : 5000)
      if (err === null) {
        if (attempt > 1) this.logger.info({ brokers: this.brokers, attempts: attempt }, `Kafka at ${this.brokers.join(',')} answers`)
        return
      }
      const what = `cannot reach Kafka at ${this.brokers.join(',')} (${this.source})`
      if (this.closed) throw new LlmwatchError('KAFKA', `${what}: ${err}`, { retryable: true })
      if (this.unreachable === 'fail' && Date.now() + delay >= failAt) {
        const hint = this.source === 'KAFKA_BROKERS' || this.source === '--brokers' ? 'check the address and that the broker is running' : 'start it with `llmwatch infra up`, or set KAFKA_BROKERS'
        throw new LlmwatchError('KAFKA', `${what} after ${Math.round((Date.now() - started) / 1000)} s: ${err}; ${hint}`, { retryable: true })
      }
      if (this.unreachable === 'retry') this.logger.warn({ brokers: this.brokers, source: this.source, attempt, retryInMs: delay, err }, `${what}: ${err}; retrying in ${Math.round(delay / 1000)} s`)
      await sleep(delay)
      delay = Math.min(this.unreachable === 'fail' ? 2000 : 30_000, delay * 2)
    }
  }

  /** One connection attempt per broker, without retries; null when one answers, else the last error. */
  private async probe(timeoutMs: number): Promise<string | null> {
    let last = 'no broker answered'
    for (const broker of this.brokers) {
      const admin = new Kafka({ clientId: `${this.clientId}-probe`, brokers: [broker], logLevel: logLevel.NOTHING, connectionTimeout: timeoutMs, requestTimeout: timeoutMs, retry: { retries: 0 } }).admin()
      try {
        await admin.connect()
        return null
      } catch (err) {
        last = errorMessage(err).replace(/^Connection error: /, '')
      } finally {
        await admin.disconnect().catch(() => {})
      }
    }
    return last
  }

  private async admin(): Promise<Admin> {
    await this.reachable()
    if (!this.adminClient) {
      const admin = this.kafka.admin()
      await admin.connect()
      this.adminClient = admin
    }
    return this.adminClient
  }

  /**
   * Creates the given topics (default: the project's four) if missing, with max.message.bytes =
   * TOPIC_MAX_MESSAGE_BYTES unless a spec says otherwise; waits for leaders.
   */
  async ensureTopics(specs?: TopicSpec[]): Promise<void> {
    const wanted: TopicSpec[] = specs ?? Object.values(TOPICS).map((t) => ({ name: t.name }))
    const admin = await this.admin()
    const existing = new Set(await admin.listTopics())
    const missing = wanted.filter((t) => !existing.has(t.name))
    if (missing.length === 0) return
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions ?? this.partitions,
          replicationFactor: -1,
          configEntries: Object.entries({ ...DEFAULT_TOPIC_CONFIG, ...t.config }).map(([name, value]) => ({ name, value })),
        })),
      })
    } catch (err) {
      // Another instance may have created them concurrently, or the wait for leaders lost a race with
      // metadata propagation (UNKNOWN_TOPIC_OR_PARTITION on a busy broker): fail only if they do not
      // come up with leaders within 15 s.
      const names = missing.map((t) => t.name)
      const deadline = Date.now() + 15_000
      for (;;) {
        const ready = await admin
          .fetchTopicMetadata({ topics: names })
          .then((md) => md.topics.length === names.length && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          .catch(() => false)
        if (ready) return
        if (Date.now() > deadline) throw new LlmwatchError('KAFKA', `could not create topics ${names.join(', ')}: ${(err as Error).message}`, { cause: err, retryable: true })
        await sleep(250)
      }
    }
  }

  async deleteTopics(names: string[]): Promise<void> {
    const admin = await this.admin()
    await admin.deleteTopics({ topics: names })
  }

  /** Deletes consumer groups (throw-away readers). A group with live members cannot be deleted. */
  async deleteGroups(groupIds: string[]): Promise<void> {
    const admin = await this.admin()
    await admin.deleteGroups(groupIds)
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = await this.admin()
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    return md.topics[0]?.partitions.length ?? 0
  }

  async producer(opts: { transactionalId?: string } = {}): Promise<Producer> {
    const transactional = opts.transactionalId !== undefined
    const make = (): KjsProducer =>
      this.kafka.producer({
        createPartitioner: memoizedDefaultPartitioner, // Java-compatible murmur2 on the key
        idempotent: true,
        // Idempotence needs unlimited retries (kafkajs warns otherwise); during a broker outage a
        // send waits for the broker to come back instead of failing the batch.
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
        maxInFlightRequests: transactional ? 1 : 5,
        allowAutoTopicCreation: false,
        ...(transactional ? { transactionalId: opts.transactionalId, transactionTimeout: 60_000 } : {}),
      })
    await this.reachable()
    let p: KjsProducer = make()
    await p.connect()
    // Set when a transaction could not be aborted: kafkajs then stays in state ABORTING for good,
    // so the next transaction starts on a new producer with the same transactional id, whose
    // InitProducerId fences the old epoch and aborts the open transaction on the broker.
    let broken = false
    const close = async () => {
      await p.disconnect()
    }
    this.closers.add(close)
    // Fields assigned one by one: conditional spreads cost about 1 us per object in V8 11.
    const toKjs = (messages: OutMessage[]): Message[] =>
      messages.map((m) => {
        const out: Message = { key: m.key, value: m.value }
        if (m.headers) out.headers = m.headers
        if (m.timestamp) out.timestamp = m.timestamp
        if (m.partition !== undefined) out.partition = m.partition
        return out
      })
    return {
      transactional,
      send: async (topic, messages) => {
        if (messages.length === 0) return
        await p.send({ topic, acks: -1, compression: CompressionTypes.None, messages: toKjs(messages) })
      },
      sendWithOffsets: async (topic, messages, source) => {
        if (!transactional) throw new Error('sendWithOffsets needs a transactional producer')
        if (broken) {
          await p.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'disconnecting a broken transactional producer failed'))
          p = make()
          await p.connect()
          broken = false
          this.logger.info({ transactionalId: opts.transactionalId }, 'transactional producer recreated')
        }
        const tx = await p.transaction()
        try {
          if (messages.length > 0) await tx.send({ topic, acks: -1, messages: toKjs(messages) })
          // Several partitions' offsets (a group commit of several batches) go in one request per topic.
          const sources: readonly SourceOffset[] = Array.isArray(source) ? source : [source as SourceOffset]
          const groups = new Set(sources.map((x) => x.groupId))
          if (groups.size !== 1) throw new Error(`sendWithOffsets: one consumer group per transaction, got ${groups.size}`)
          const byTopic = new Map<string, { partition: number; offset: string }[]>()
          for (const x of sources) {
            const list = byTopic.get(x.topic) ?? []
            const same = list.find((y) => y.partition === x.partition)
            if (!same) list.push({ partition: x.partition, offset: x.offset })
            else if (BigInt(x.offset) > BigInt(same.offset)) same.offset = x.offset
            byTopic.set(x.topic, list)
          }
          await tx.sendOffsets({
            consumerGroupId: sources[0]!.groupId,
            topics: [...byTopic].map(([t, partitions]) => ({ topic: t, partitions })),
          })
          await tx.commit()
        } catch (err) {
          await tx.abort().catch((abortErr: unknown) => {
            broken = true
            this.logger.warn({ err: abortErr }, 'transaction abort failed; the producer will be recreated')
          })
          throw err
        }
      },
      disconnect: async () => {
        this.closers.delete(close)
        await close()
      },
    }
  }

  /** A raw kafkajs consumer: for shared/runner.ts and readRange only. */
  createConsumer(groupId: string, opts: { maxBytesPerPartition?: number; readUncommitted?: boolean; fetchMinBytes?: number; fetchMaxWaitMs?: number } = {}): Consumer {
    const consumer = this.kafka.consumer({
      groupId,
      // A dead member's partitions wait this long before reassignment (the recovery time after a
      // kill -9); handlers heartbeat while they retry, so only a single call longer than this rebalances.
      sessionTimeout: 15_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 1_048_576,
      // The broker answers a fetch once fetchMinBytes are ready or after fetchMaxWaitMs: a consumer
      // that wants large batches (the sink) lets the broker collect them instead of waiting itself.
      minBytes: opts.fetchMinBytes ?? 1,
      maxWaitTimeInMs: opts.fetchMaxWaitMs ?? 100,
      allowAutoTopicCreation: false,
      readUncommitted: opts.readUncommitted ?? false,
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 30 },
    })
    const connect = consumer.connect.bind(consumer)
    consumer.connect = async () => {
      await this.reachable()
      await connect()
    }
    return consumer
  }

  async offsetsForTimestamp(topic: string, timestampMs: number): Promise<PartitionOffset[]> {
    const admin = await this.admin()
    const res = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)
    return res.map((r) => ({ partition: r.partition, offset: r.offset }))
  }

  /** Per partition: the offset the next message will get, and the earliest still stored. */
  async highWatermarks(topic: string): Promise<{ partition: number; high: string; low: string }[]> {
    const admin = await this.admin()
    const res = await admin.fetchTopicOffsets(topic)
    return res.map((r) => ({ partition: r.partition, high: r.high, low: r.low }))
  }

  /** Committed offsets of a group on a topic (-1 where nothing is committed). */
  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const admin = await this.admin()
    const res = await admin.fetchOffsets({ groupId, topics: [topic] })
    return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }))
  }

  /** Messages a group has not yet committed on a topic. */
  async groupLag(groupId: string, topic: string): Promise<number> {
    const [hw, committed] = await Promise.all([this.highWatermarks(topic), this.committedOffsets(groupId, topic)])
    let lag = 0
    for (const p of hw) {
      const c = committed.find((x) => x.partition === p.partition)
      const from = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(p.low)
      lag += Math.max(0, Number(p.high) - from)
    }
    return lag
  }

  /**
   * Reads every partition of `topic` from `fromTimestamp` (or the beginning) up to the high
   * watermark as of the call, without a consumer group commit: for rebuilding state at start-up.
   * Returns the number of messages read.
   */
  async readRange(opts: { topic: string; fromTimestamp?: number; onMessage: (m: RawMessage) => void | Promise<void>; timeoutMs?: number }): Promise<number> {
    const hw = await this.highWatermarks(opts.topic)
    const starts = opts.fromTimestamp === undefined ? hw.map((p) => ({ partition: p.partition, offset: p.low })) : await this.offsetsForTimestamp(opts.topic, opts.fromTimestamp)
    const pending = new Map<number, { start: bigint; end: bigint }>()
    for (const p of hw) {
      const s = starts.find((x) => x.partition === p.partition)
      const start = BigInt(s && Number(s.offset) >= 0 ? s.offset : p.high)
      const end = BigInt(p.high)
      if (start < end) pending.set(p.partition, { start, end })
    }
    if (pending.size === 0) return 0
    const groupId = `llmwatch-reader-${randomUUID()}`
    const consumer = this.createConsumer(groupId)
    let count = 0
    try {
      await consumer.connect()
      await consumer.subscribe({ topic: opts.topic, fromBeginning: true })
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new LlmwatchError('KAFKA', `readRange(${opts.topic}) timed out`, { retryable: true })), opts.timeoutMs ?? 120_000)
        consumer.on(consumer.events.GROUP_JOIN, () => {
          for (const [partition, r] of pending) consumer.seek({ topic: opts.topic, partition, offset: r.start.toString() })
        })
        // kafkajs never calls eachBatch for a fetch holding only transaction markers (or aborted
        // records), but it reports the fetch's last offset here: a partition whose end is such a
        // marker is finished by this event.
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
          const r = pending.get(e.payload.partition)
          if (e.payload.topic !== opts.topic || !r) return
          // A fetch with no record at or after its position reports lastOffset = highWatermark - 1.
          if (e.payload.firstOffset !== null && BigInt(e.payload.lastOffset) >= r.end - 1n) pending.delete(e.payload.partition)
          if (pending.size === 0) {
            clearTimeout(timer)
            resolve()
          }
        })
        consumer
          .run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
              const r = pending.get(batch.partition)
              if (!r) return
              for (const m of batch.messages) {
                const off = BigInt(m.offset)
                if (off < r.start) continue
                if (off >= r.end) break
                await opts.onMessage({ topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: m.headers ?? {} })
                count++
                resolveOffset(m.offset)
                if (off === r.end - 1n) pending.delete(batch.partition)
              }
              // Compacted or transactional topics can end on a marker: stop at the batch's end.
              if (BigInt(batch.highWatermark) >= r.end && batch.messages.length > 0 && BigInt(batch.lastOffset()) >= r.end - 1n) pending.delete(batch.partition)
              await heartbeat()
              if (pending.size === 0) {
                clearTimeout(timer)
                resolve()
              }
            },
          })
          .catch(reject)
      })
      await done
    } finally {
      await consumer.disconnect().catch(() => {})
      const admin = await this.admin()
      await admin.deleteGroups([groupId]).catch(() => {})
    }
    return count
  }

  async close(): Promise<void> {
    this.closed = true
    for (const c of [...this.closers]) await c().catch(() => {})
    this.closers.clear()
    if (this.adminClient) await this.adminClient.disconnect().catch(() => {})
    this.adminClient = null
  }
}

export function createKafka(opts: KafkaOptions): KafkaHandle {
  return new KafkaHandle(opts)
}

/** Header value as a string (kafkajs hands headers over as Buffers). */
export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name]
  if (v === undefined) return undefined
  const first = Array.isArray(v) ? v[0] : v
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first)
}

export type { IHeaders }
