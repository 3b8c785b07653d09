/**
 * The one module that imports kafkajs. Services use this API, so a later switch of client
 * (kafkajs is in maintenance mode upstream) is this module's work alone.
 */
import { randomUUID } from 'node:crypto'
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
  type Message,
} from 'kafkajs'
import type { Logger } from './logger.js'
import { TOPICS } from './contract.js'
import { LlmwatchError } from './errors.js'

export interface KafkaOptions {
  brokers: string[]
  clientId: string
  logger: Logger
  /** Partitions for topics this project creates. */
  partitions?: number
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

/** Maps kafkajs' log levels onto pino. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log
      const child = { kafkajs: extra.logger ?? true, ...('groupId' in extra ? { groupId: extra.groupId } : {}) }
      if (level === logLevel.ERROR) logger.error({ ...child, error: extra.error }, String(message))
      else if (level === logLevel.WARN) logger.warn({ ...child, error: extra.error }, String(message))
      else if (level === logLevel.INFO) logger.debug(child, String(message))
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

  constructor(opts: KafkaOptions) {
    this.brokers = opts.brokers
    this.clientId = opts.clientId
    this.logger = opts.logger
    this.partitions = opts.partitions ?? 6
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

  private async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = this.kafka.admin()
      await admin.connect()
      this.adminClient = admin
    }
    return this.adminClient
  }

  /** Creates the given topics (default: the project's four) if missing; waits for leaders. */
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
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      })
    } catch (err) {
      // Another instance may have created it concurrently: only fail if still missing.
      const now = new Set(await admin.listTopics())
      if (missing.some((t) => !now.has(t.name))) throw new LlmwatchError('KAFKA', `could not create topics: ${(err as Error).message}`, { cause: err, retryable: true })
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
        createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2 on the key
        idempotent: true,
        // Idempotence needs unlimited retries (kafkajs warns otherwise); during a broker outage a
        // send waits for the broker to come back instead of failing the batch.
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
        maxInFlightRequests: transactional ? 1 : 5,
        allowAutoTopicCreation: false,
        ...(transactional ? { transactionalId: opts.transactionalId, transactionTimeout: 60_000 } : {}),
      })
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
    return this.kafka.consumer({
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
