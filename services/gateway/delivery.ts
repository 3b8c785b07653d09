/**
 * Events to Kafka with acks=all, answered only once Kafka acknowledged them, in bounded memory.
 *
 * - Bounded: the encoded bytes of every request waiting for Kafka count against `maxInflightBytes`;
 *   a request that would pass it is refused at once (`overloaded`, the caller answers 503 +
 *   Retry-After) and nothing of it is sent. A request still waiting after `ackTimeoutMs` is answered
 *   `timeout` (503) while its send goes on: its bytes stay counted until Kafka answers.
 * - Idempotent: events are keyed by event id. An id Kafka already acknowledged (the last `dedupIds`
 *   of them) is not produced again, and an id in flight is waited for instead of sent twice; so a
 *   retried request (same event ids, or the same spans, whose ids derive from trace + span id)
 *   does not create a second record downstream. The window is this process's memory: a retry that
 *   reaches another gateway instance, or comes after a restart, is produced again.
 */
import { LIMITS, TOPICS, type LlmInteraction } from '../../shared/contract.js'
import type { Codec } from '../../shared/codec.js'
import type { OutMessage, Producer } from '../../shared/kafka.js'
import type { Logger } from '../../shared/logger.js'
import { metrics } from '../../shared/metrics.js'
import { gatewayMetrics } from './metrics.js'

export type DeliveryResult =
  | { status: 'ok'; produced: number; duplicates: number; /** Event ids over the 2 MB event limit once encoded: not sent. */ oversized: string[] }
  | { status: 'overloaded' | 'timeout' | 'failed'; retryAfterS: number; reason: string }

export interface DeliveryOptions {
  producer: Producer
  codec: Codec
  topic?: string
  maxInflightBytes: number
  ackTimeoutMs: number
  dedupIds: number
  logger: Logger
}

/** Messages per produce request (kafkajs builds one request per call). */
const CHUNK = 2000

export class Delivery {
  private inflight = 0
  private readonly delivered = new Set<string>()
  private readonly pending = new Map<string, Promise<void>>()
  private lastTrouble = 0
  private readonly topic: string

  constructor(private readonly opts: DeliveryOptions) {
    this.topic = opts.topic ?? TOPICS.interactions.name
  }

  get inflightBytes(): number {
    return this.inflight
  }

  /** Whether Kafka answered the last sends in time (no failure or timeout in the last 10 s) and memory is free. */
  ready(): boolean {
    return Date.now() - this.lastTrouble > 10_000 && this.inflight < this.opts.maxInflightBytes
  }

  private remember(id: string): void {
    if (this.opts.dedupIds === 0) return
    this.delivered.add(id)
    if (this.delivered.size > this.opts.dedupIds) {
      // Sets iterate in insertion order: the oldest id goes.
      for (const old of this.delivered) {
        this.delivered.delete(old)
        break
      }
    }
  }

  async deliver(events: readonly LlmInteraction[]): Promise<DeliveryResult> {
    const waits: Promise<void>[] = []
    const fresh: LlmInteraction[] = []
    const ids = new Set<string>()
    let duplicates = 0
    for (const e of events) {
      const p = this.pending.get(e.event_id)
      if (this.delivered.has(e.event_id) || ids.has(e.event_id)) duplicates++
      else if (p) {
        duplicates++
        waits.push(p)
      } else {
        ids.add(e.event_id)
        fresh.push(e)
      }
    }
    const messages: OutMessage[] = []
    const oversized: string[] = []
    let bytes = 0
    for (const e of fresh) {
      const value = this.opts.codec.encode('LlmInteraction', e)
      if (value.length > LIMITS.maxEventBytes) {
        oversized.push(e.event_id)
        ids.delete(e.event_id)
        continue
      }
      bytes += value.length
      messages.push({ key: `${e.app_name}|${e.request_model}`, value, timestamp: String(e.end_time) })
    }
    if (messages.length > 0 && this.inflight + bytes > this.opts.maxInflightBytes) {
      gatewayMetrics.refused.inc({ reason: 'inflight_full' })
      return { status: 'overloaded', retryAfterS: 1, reason: `${Math.round(this.inflight / 1024)} KiB already wait for Kafka's ack (GATEWAY_MAX_INFLIGHT_BYTES); retry later` }
    }
    const started = process.hrtime.bigint()
    let send: Promise<void> = Promise.resolve()
    if (messages.length > 0) {
      this.inflight += bytes
      gatewayMetrics.inflightBytes.set(this.inflight)
      const chunks: Promise<void>[] = []
      for (let i = 0; i < messages.length; i += CHUNK) chunks.push(this.opts.producer.send(this.topic, messages.slice(i, i + CHUNK)))
      send = Promise.all(chunks).then(
        () => {
          for (const id of ids) {
            this.pending.delete(id)
            this.remember(id)
          }
          this.inflight -= bytes
          gatewayMetrics.inflightBytes.set(this.inflight)
          metrics.produced.inc({ service: 'gateway', topic: this.topic }, messages.length)
        },
        (err: unknown) => {
          for (const id of ids) this.pending.delete(id)
          this.inflight -= bytes
          gatewayMetrics.inflightBytes.set(this.inflight)
          this.lastTrouble = Date.now()
          throw err
        },
      )
      for (const id of ids) this.pending.set(id, send)
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.opts.ackTimeoutMs)))
    try {
      const all = Promise.all([send, ...waits])
      all.catch(() => {}) // a late failure after a timeout answer is logged below, not unhandled
      const r = await Promise.race([all, timeout])
      if (r === 'timeout') {
        this.lastTrouble = Date.now()
        gatewayMetrics.refused.inc({ reason: 'ack_timeout' })
        send.catch((err: unknown) => this.opts.logger.warn({ err }, 'a send answered 503 (ack timeout) failed later'))
        return { status: 'timeout', retryAfterS: Math.max(1, Math.ceil(this.opts.ackTimeoutMs / 1000)), reason: `Kafka did not acknowledge within ${this.opts.ackTimeoutMs} ms (GATEWAY_ACK_TIMEOUT_MS); retry later` }
      }
      gatewayMetrics.ackSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9)
      return { status: 'ok', produced: messages.length, duplicates, oversized }
    } catch (err) {
      gatewayMetrics.refused.inc({ reason: 'kafka_error' })
      this.opts.logger.warn({ err }, 'producing to Kafka failed')
      return { status: 'failed', retryAfterS: 5, reason: `Kafka refused the records: ${(err as Error).message}; retry later` }
    } finally {
      clearTimeout(timer)
    }
  }
}
