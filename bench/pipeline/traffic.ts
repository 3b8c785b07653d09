/**
 * Traffic for the pipeline benchmark: realistic LlmInteraction events from shared/traffic, a
 * backlog produced as fast as the broker takes it, and a paced producer whose every `probeEvery`-th
 * event is a probe: a real PII-leak response (the generator's own `pii_leak` incident) with a unique
 * prompt_template_id, so the benchmark's `immediate` rule raises one alert per probe and the
 * probe's row can be looked up in ClickHouse by event_id.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Codec } from '../../shared/codec.js'
import { TOPICS, type LlmInteraction } from '../../shared/contract.js'
import type { KafkaHandle, OutMessage } from '../../shared/kafka.js'
import { createTrafficGenerator, type TrafficGenerator } from '../../shared/traffic/index.js'
import { toMessage } from '../../services/producer/produce.js'

/** prompt_template_id prefix that marks a probe event (the probe rule groups by this field). */
export const PROBE_PREFIX = 'bench-probe-'

/** Probe events: support-bot responses that leak another person's contact or card data. */
export function probeGenerator(seed: number): { next(timeMs: number, n: number): LlmInteraction } {
  const gen: TrafficGenerator = createTrafficGenerator({
    seed,
    apps: ['support-bot'],
    incidents: [{ name: 'pii_leak', app: 'support-bot', startMs: 0, durationMs: Number.MAX_SAFE_INTEGER, share: 1 }],
  })
  return {
    next: (timeMs, n) => ({ ...gen.next(timeMs), prompt_template_id: `${PROBE_PREFIX}${n}` }),
  }
}

/**
 * Produces `count` events (generated and encoded chunk by chunk, so the backlog never sits in this
 * process's memory) as fast as the broker acknowledges them, a few sends in flight.
 */
export async function produceBacklog(opts: {
  kafka: KafkaHandle
  codec: Codec
  count: number
  seed: number
  onProgress?: (sent: number) => void
}): Promise<{ sent: number; seconds: number; bytes: number }> {
  const gen = createTrafficGenerator({ seed: opts.seed })
  const producer = await opts.kafka.producer()
  const chunk = 1000
  // Event times spread over the last minutes, so they are "recent" like live traffic.
  const start = Date.now() - 5 * 60_000
  const step = (5 * 60_000) / opts.count
  const inflight = new Set<Promise<void>>()
  let sent = 0
  let bytes = 0
  const t0 = performance.now()
  try {
    for (let i = 0; i < opts.count; i += chunk) {
      const n = Math.min(chunk, opts.count - i)
      const messages: OutMessage[] = new Array(n)
      for (let j = 0; j < n; j++) {
        messages[j] = toMessage(opts.codec, gen.next(Math.round(start + (i + j) * step)), 'avro')
        bytes += messages[j]!.value.length
      }
      const p: Promise<void> = producer.send(TOPICS.interactions.name, messages).then(() => {
        inflight.delete(p)
        sent += n
        opts.onProgress?.(sent)
      })
      inflight.add(p)
      if (inflight.size >= 4) await Promise.race(inflight)
    }
    await Promise.all(inflight)
  } finally {
    await producer.disconnect()
  }
  return { sent, seconds: (performance.now() - t0) / 1000, bytes }
}

const MAX_BATCH = 500

export interface ProbeSent {
  eventId: string
  templateId: string
  /** Date.now() just before the send() that carried the probe. */
  sentAt: number
}

export interface PacedResult {
  sent: number
  seconds: number
  achievedRate: number
  probes: ProbeSent[]
  /** Events acknowledged per second, one entry per whole second of the run. */
  perSecond: number[]
}

/**
 * Sends `rate` events/s for `durationMs`: every 20 ms the events due so far go out in one send
 * (acks=all, awaited, so a slow broker slows the producer rather than growing a buffer). Event
 * end_time is the send time, as a live app would stamp it.
 */
export async function producePaced(opts: {
  kafka: KafkaHandle
  codec: Codec
  rate: number
  durationMs: number
  probeEvery: number
  seed: number
  onProbe?: (p: ProbeSent) => void
  onSecond?: (second: number, sent: number) => void
}): Promise<PacedResult> {
  const gen = createTrafficGenerator({ seed: opts.seed })
  const probes = probeGenerator(opts.seed + 1)
  const producer = await opts.kafka.producer()
  const sentProbes: ProbeSent[] = []
  const perSecond: number[] = []
  let sent = 0
  let skipped = 0
  const t0 = Date.now()
  try {
    for (;;) {
      const now = Date.now()
      const elapsed = now - t0
      if (elapsed >= opts.durationMs) break
      let due = Math.floor((elapsed / 1000) * opts.rate) - sent - skipped
      // More than a second behind (the broker or this process is starved): give up the debt rather
      // than send an ever bigger burst; the achieved rate shows the shortfall.
      if (due > opts.rate) {
        skipped += due - Math.ceil(opts.rate / 50)
        due = Math.ceil(opts.rate / 50)
      }
      if (due <= 0) {
        await sleep(5)
        continue
      }
      // At most 500 events per send, as services/producer/produce.ts does: a partition's share of
      // a send must stay far below the broker's 1 MB message limit.
      due = Math.min(due, MAX_BATCH)
      const messages: OutMessage[] = new Array(due)
      const batchProbes: ProbeSent[] = []
      for (let i = 0; i < due; i++) {
        const n = sent + i
        let e: LlmInteraction
        if (n % opts.probeEvery === opts.probeEvery - 1) {
          e = probes.next(now, sentProbes.length + batchProbes.length)
          batchProbes.push({ eventId: e.event_id, templateId: e.prompt_template_id ?? '', sentAt: now })
        } else e = gen.next(now)
        messages[i] = toMessage(opts.codec, e, 'avro')
      }
      for (const p of batchProbes) opts.onProbe?.(p)
      await producer.send(TOPICS.interactions.name, messages)
      sent += due
      sentProbes.push(...batchProbes)
      const second = Math.floor((Date.now() - t0) / 1000)
      perSecond[second] = (perSecond[second] ?? 0) + due
      opts.onSecond?.(second, sent)
      if (due < MAX_BATCH) await sleep(20 - Math.min(19, Date.now() - now))
    }
  } finally {
    await producer.disconnect()
  }
  const seconds = (Date.now() - t0) / 1000
  return { sent, seconds, achievedRate: Math.round(sent / seconds), probes: sentProbes, perSecond: Array.from(perSecond, (v) => v ?? 0) }
}
