/**
 * `llmwatch produce`: sends generated traffic (shared/traffic) to Kafka at a steady rate.
 *
 * Pacing is a token bucket: tokens accrue at `rate` per second up to one second of burst, each
 * batch spends one token per event, and every `producer.send` is awaited (acks=all), so a slow
 * broker slows the producer instead of growing a buffer. Messages are keyed by app + model so
 * one app/model's events stay ordered on one partition.
 */
import { Codec, JSON_CONTENT_TYPE } from '../../shared/codec.js'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import type { LlmInteraction } from '../../shared/contract.js'
import { ConfigError, errorMessage } from '../../shared/errors.js'
import { runningLocalBrokers } from '../../shared/infra/index.js'
import { createKafka, type KafkaHandle, type OutMessage } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { loadCodec } from '../../shared/schema-registry.js'
import { createTrafficGenerator, type IncidentSpec } from '../../shared/traffic/index.js'
import { parseProduceArgs, UsageError, USAGE } from './args.js'

export interface ProduceProgress {
  sent: number
  elapsedMs: number
  /** Average events per second since the start. */
  ratePerSec: number
}

export interface ProduceOptions {
  kafka: KafkaHandle
  codec: Codec
  topic: string
  /** Events per second. */
  rate: number
  /** Stop after this long (ms). At least one of durationMs, count or signal must bound the run. */
  durationMs?: number
  /** Stop after this many events. */
  count?: number
  format: 'avro' | 'json'
  seed: number
  /** Incidents with absolute times (see shared/traffic/incidents.ts). */
  incidents: readonly IncidentSpec[]
  apps?: readonly string[]
  /** Largest batch per send (default: a twentieth of a second's worth, 1..500). */
  maxBatch?: number
  /** Stops the run early (the batch in flight completes). */
  signal?: AbortSignal
  onProgress?: (p: ProduceProgress) => void
  /** Clock (ms), for the start time and event timestamps. */
  now?: () => number
}

export interface ProduceResult extends ProduceProgress {
  /** Events per incident name (events outside incidents are not counted). */
  incidents: Record<string, number>
  /** The run's first event time, for callers that place incidents relative to it. */
  startMs: number
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })

/** The Kafka message for an event: key app|model, Avro or JSON value, timestamp = end_time. */
export function toMessage(codec: Codec, e: LlmInteraction, format: 'avro' | 'json'): OutMessage {
  return {
    key: `${e.app_name}|${e.request_model}`,
    value: format === 'avro' ? codec.encode('LlmInteraction', e) : codec.encodeJson(e),
    timestamp: String(e.end_time),
    ...(format === 'json' ? { headers: { 'content-type': JSON_CONTENT_TYPE } } : {}),
  }
}

export async function produce(opts: ProduceOptions): Promise<ProduceResult> {
  if (!(opts.rate > 0)) throw new RangeError(`rate must be positive, got ${opts.rate}`)
  if (opts.durationMs === undefined && opts.count === undefined && opts.signal === undefined) {
    throw new RangeError('produce needs durationMs, count or signal to end')
  }
  const now = opts.now ?? Date.now
  const gen = createTrafficGenerator({ seed: opts.seed, incidents: opts.incidents, now, ...(opts.apps ? { apps: opts.apps } : {}) })
  const producer = await opts.kafka.producer()
  const maxBatch = opts.maxBatch ?? Math.min(500, Math.max(1, Math.ceil(opts.rate / 20)))
  const capacity = Math.max(maxBatch, opts.rate) // at most one second of catch-up burst
  const perEventMs = 1000 / opts.rate
  const start = now()
  const byIncident: Record<string, number> = {}
  let sent = 0
  let tokens = 0
  let last = start
  const progress = (): ProduceProgress => {
    const elapsedMs = Math.max(1, now() - start)
    return { sent, elapsedMs, ratePerSec: (sent * 1000) / elapsedMs }
  }
  try {
    for (;;) {
      if (opts.signal?.aborted) break
      const t = now()
      if (opts.durationMs !== undefined && t - start >= opts.durationMs) break
      const remaining = opts.count === undefined ? Infinity : opts.count - sent
      if (remaining <= 0) break
      tokens = Math.min(capacity, tokens + (t - last) / perEventMs)
      last = t
      const n = Math.min(Math.floor(tokens), maxBatch, remaining)
      if (n < 1) {
        await sleep(Math.max(1, (1 - tokens) * perEventMs), opts.signal)
        continue
      }
      tokens -= n
      const messages: OutMessage[] = new Array(n)
      for (let i = 0; i < n; i++) {
        // Spread the batch's completion times over the interval it stands for.
        const e = gen.next(Math.round(t - (n - 1 - i) * perEventMs))
        const inc = e.attributes['incident']
        if (inc !== undefined) byIncident[inc] = (byIncident[inc] ?? 0) + 1
        messages[i] = toMessage(opts.codec, e, opts.format)
      }
      await producer.send(opts.topic, messages)
      sent += n
      opts.onProgress?.(progress())
    }
  } finally {
    await producer.disconnect()
  }
  return { ...progress(), incidents: byIncident, startMs: start }
}

export interface ProduceIo {
  err: { write(s: string): unknown }
  /** Where --help goes (default stdout). */
  out?: { write(s: string): unknown }
  env?: Record<string, string | undefined>
  /** Ends the run early (default: SIGINT/SIGTERM). */
  signal?: AbortSignal
}

/** `llmwatch produce ...`: returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], io: ProduceIo = { err: process.stderr }): Promise<number> {
  let args
  try {
    args = parseProduceArgs(argv)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`llmwatch produce: ${err.message}\nRun \`llmwatch produce --help\` for the options.\n`)
      return 2
    }
    throw err
  }
  if (args.help) {
    ;(io.out ?? process.stdout).write(USAGE)
    return 0
  }
  let env
  try {
    env = loadEnv(baseEnvSchema, io.env ?? process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err.write(`llmwatch produce: ${err.message}\n`)
      return 2
    }
    throw err
  }
  const brokers = args.brokers ?? env.KAFKA_BROKERS ?? runningLocalBrokers()
  const source = args.brokers ? '--brokers' : env.KAFKA_BROKERS ? 'KAFKA_BROKERS' : 'the broker of `llmwatch infra up`'
  if (!brokers) {
    io.err.write('llmwatch produce: no Kafka broker: pass --brokers host:port, set KAFKA_BROKERS, or start one with `llmwatch infra up`\n')
    return 2
  }

  const controller = new AbortController()
  const onSignal = () => controller.abort()
  if (io.signal) io.signal.addEventListener('abort', onSignal, { once: true })
  else {
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }
  // Fails within about 5 s, in one line, when no broker answers (see KafkaHandle.reachable).
  const kafka = createKafka({ brokers, source, clientId: 'llmwatch-produce', logger: silentLogger, partitions: env.KAFKA_PARTITIONS })
  try {
    await kafka.ensureTopics([{ name: args.topic }])
    const startMs = Date.now()
    const totalMs = args.durationMs ?? Math.ceil(((args.count ?? 0) / args.rate) * 1000)
    const incidents = args.incidents(startMs, totalMs)
    io.err.write(
      `llmwatch produce: ${args.rate}/s to ${args.topic} on ${brokers.join(',')} as ${args.format}` +
        `${args.durationMs !== undefined ? ` for ${args.durationMs / 1000}s` : ''}${args.count !== undefined ? ` (at most ${args.count} events)` : ''}` +
        `, seed ${args.seed}, ${incidents.length} incident(s)\n`,
    )
    for (const i of incidents) {
      io.err.write(`  incident ${i.name}${i.app ? ` app=${i.app}` : ''}${i.model ? ` model=${i.model}` : ''} at +${((i.startMs - startMs) / 1000).toFixed(0)}s for ${(i.durationMs / 1000).toFixed(0)}s, share ${i.share}\n`)
    }
    let lastPrint = 0
    const result = await produce({
      kafka,
      codec: await loadCodec({ url: env.SCHEMA_REGISTRY_URL }),
      topic: args.topic,
      rate: args.rate,
      ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : {}),
      ...(args.count !== undefined ? { count: args.count } : {}),
      format: args.format,
      seed: args.seed,
      incidents,
      ...(args.apps ? { apps: args.apps } : {}),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.elapsedMs - lastPrint < 1000) return
        lastPrint = p.elapsedMs
        io.err.write(`  ${p.sent} events sent, ${p.ratePerSec.toFixed(1)}/s\n`)
      },
    })
    const inc = Object.entries(result.incidents).map(([k, v]) => `${k}=${v}`).join(', ')
    io.err.write(
      `llmwatch produce: done: ${result.sent} events in ${(result.elapsedMs / 1000).toFixed(1)}s (${result.ratePerSec.toFixed(1)}/s)` +
        `${inc ? `; incident events: ${inc}` : ''}${controller.signal.aborted ? ' (stopped by signal)' : ''}\n`,
    )
    return 0
  } catch (err) {
    io.err.write(`llmwatch produce: ${errorMessage(err)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await kafka.close()
  }
}
