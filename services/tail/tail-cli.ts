/**
 * `llmwatch tail scores|alerts|dlq`: prints the records of an output topic, decoded, as they come
 * (or from the beginning), one line each: text for people, or one JSON object per line
 * (`--format json`) for jq and scripts. Reads with a throw-away consumer group that it deletes at
 * the end; never writes to any topic (undecodable records are printed with the reason, not
 * dead-lettered). Stops after --count records, after --timeout, or on Ctrl-C.
 *
 * JSON lines: scores and alerts `{topic, partition, offset, timestamp, key, schema_id, format, value}`
 * (value: the decoded record; `error: {code, reason}` instead when it does not decode); dlq
 * `{topic, partition, offset, timestamp, key, reason, code, service, time, source: {topic,
 * partition, offset, timestamp}, value_base64, value_preview, headers}`.
 */
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { Codec } from '../../shared/codec.js'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import { TOPICS, type Alert, type ScoredInteraction } from '../../shared/contract.js'
import { ConfigError, errorMessage, LlmwatchError } from '../../shared/errors.js'
import { runningLocalBrokers } from '../../shared/infra/index.js'
import { createKafka } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { startUndecodedConsumer, type UndecodedMessage } from '../../shared/runner.js'
import { loadCodec } from '../../shared/schema-registry.js'
import { formatAlert } from '../alerter/tail-cli.js'

export const USAGE =
  'usage: llmwatch tail scores|alerts|dlq [--format text|json] [--from-beginning] [--count N] [--timeout 30s] [--topic NAME]\n' +
  '  --format          text (default): one line per record; json: one JSON object per line\n' +
  '  --from-beginning  start at the oldest record kept (default: only records that arrive from now on)\n' +
  '  --count N         exit after N records\n' +
  '  --timeout D       exit after D (e.g. 30s, 5m) even if fewer records came\n' +
  '  --topic NAME      read NAME instead of the default topic (llm.scores, llm.alerts, llm.dlq)\n'

const STREAMS = { scores: TOPICS.scores, alerts: TOPICS.alerts, dlq: TOPICS.dlq } as const
type Stream = keyof typeof STREAMS

/** How long the first answer from Kafka may take before the command gives up. */
const CONNECT_LIMIT_MS = 15_000

export interface TailIo {
  out: NodeJS.WritableStream
  err: NodeJS.WritableStream
  env?: Record<string, string | undefined>
  signal?: AbortSignal
}

class UsageError extends Error {}

type TailArgs = Exclude<ReturnType<typeof parseTailArgs>, 'help'>

export async function main(argv: string[], io: TailIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let parsed: ReturnType<typeof parseTailArgs>
  try {
    parsed = parseTailArgs(argv)
  } catch (err) {
    io.err.write(`llmwatch tail: ${errorMessage(err)}\n${USAGE}`)
    return 2
  }
  if (parsed === 'help') {
    io.out.write(USAGE)
    return 0
  }
  let env
  try {
    env = loadEnv(baseEnvSchema, io.env ?? process.env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    io.err.write(`llmwatch tail: ${err.message}\n`)
    return 2
  }
  const brokers = env.KAFKA_BROKERS ?? runningLocalBrokers()
  if (!brokers) {
    io.err.write('llmwatch tail: no Kafka broker: set KAFKA_BROKERS=host:port or start one with `llmwatch infra up`\n')
    return 2
  }
  try {
    return await tail(io, parsed, env.SCHEMA_REGISTRY_URL, brokers)
  } catch (err) {
    // Unreachable Kafka or registry: one line that names the address and the variable.
    if (!(err instanceof LlmwatchError)) throw err
    io.err.write(`llmwatch tail: ${err.message}\n`)
    return 1
  }
}

async function tail(io: TailIo, args: TailArgs, registryUrl: string | undefined, brokers: string[]): Promise<number> {
  const { stream, json, fromBeginning, count, timeoutMs, topic } = args
  // Read-only: with a registry, look our schemas up but never register them.
  const codec = stream === 'dlq' ? null : await loadCodec({ url: registryUrl, register: false })
  const kafka = createKafka({ brokers, clientId: 'llmwatch-tail', logger: silentLogger })
  const groupId = `llmwatch-tail-${randomUUID()}`
  try {
    // One clear line, within seconds, when Kafka is not there. The project's topics are created if
    // missing (as every service does); another --topic must exist.
    const ready = topic === STREAMS[stream].name ? kafka.ensureTopics([{ name: topic }]) : kafka.highWatermarks(topic).then(() => {})
    const custom = topic === STREAMS[stream].name ? '' : ` (does topic ${topic} exist?)`
    await withinLimit(ready, CONNECT_LIMIT_MS, `no answer from Kafka at ${brokers.join(',')} (KAFKA_BROKERS) within ${CONNECT_LIMIT_MS / 1000} s${custom}`).catch((err: unknown) => {
      throw err instanceof LlmwatchError ? err : new LlmwatchError('KAFKA', `cannot read ${topic} from Kafka at ${brokers.join(',')} (KAFKA_BROKERS): ${errorMessage(err)}`, { cause: err })
    })
    let seen = 0
    let finish: () => void = () => {}
    const finished = new Promise<void>((r) => (finish = r))
    const consumer = await startUndecodedConsumer({
      kafka,
      logger: silentLogger,
      service: 'tail',
      groupId,
      topic,
      fromBeginning,
      handle: async (batch) => {
        if (codec) await codec.resolveUnknownIds(batch.messages.map((m) => m.value))
        for (const m of batch.messages) {
          if (seen >= count) break
          const line = stream === 'dlq' ? formatDeadLetter(m, json) : formatRecord(codec!, stream, m, json)
          io.out.write(line + '\n')
          if (++seen >= count) finish()
        }
      },
    })
    const timer = timeoutMs === undefined ? null : setTimeout(finish, timeoutMs)
    const onSignal = () => finish()
    if (io.signal) io.signal.addEventListener('abort', onSignal, { once: true })
    else {
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
    }
    await finished
    if (timer) clearTimeout(timer)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await consumer.stop()
    // The group was this command's alone: leave nothing behind on the broker.
    await kafka.deleteGroups([groupId]).catch(() => {})
    return 0
  } finally {
    await kafka.close()
  }
}

function parseTailArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string' },
      json: { type: 'boolean' },
      'from-beginning': { type: 'boolean' },
      count: { type: 'string' },
      timeout: { type: 'string' },
      topic: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help' as const
  const stream = positionals[0]
  if (!stream || !(stream in STREAMS)) throw new UsageError(`expected scores, alerts or dlq; got ${stream ?? 'nothing'}`)
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`)
  const format = values.format ?? (values.json ? 'json' : 'text')
  if (format !== 'json' && format !== 'text') throw new UsageError(`--format expects text or json; got ${format}`)
  let count = Infinity
  if (values.count !== undefined) {
    count = Number(values.count)
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count expects a positive whole number; got ${values.count}`)
  }
  let timeoutMs: number | undefined
  if (values.timeout !== undefined) {
    timeoutMs = parseDuration(values.timeout) ?? undefined
    if (timeoutMs === undefined) throw new UsageError(`--timeout expects a duration such as 30s, 5m or 1h; got ${values.timeout}`)
  }
  return {
    stream: stream as Stream,
    json: format === 'json',
    fromBeginning: values['from-beginning'] ?? false,
    count,
    timeoutMs,
    topic: values.topic ?? STREAMS[stream as Stream].name,
  }
}

function parseDuration(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (!m) return null
  const n = Number(m[1])
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!
  const ms = n * unit
  return ms > 0 ? ms : null
}

function withinLimit<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LlmwatchError('KAFKA', message)), ms)
  })
  return Promise.race([p, limit]).finally(() => clearTimeout(timer))
}

const iso = (ms: number | string): string => {
  const d = new Date(Number(ms))
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString()
}

function envelope(m: UndecodedMessage): { topic: string; partition: number; offset: string; timestamp: number; key: string | null } {
  return { topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key }
}

/** A scores or alerts record: decoded (Avro with fixed or registry ids, or JSON), or why not. */
export function formatRecord(codec: Codec, stream: 'scores' | 'alerts', m: UndecodedMessage, json: boolean): string {
  const res = stream === 'scores' ? codec.decode('ScoredInteraction', m.value, m.headers) : codec.decode('Alert', m.value, m.headers)
  if (!res.ok) {
    if (json) return JSON.stringify({ ...envelope(m), error: { code: res.code, reason: res.reason } })
    return `${iso(m.timestamp)} ${m.topic}[${m.partition}]@${m.offset} undecodable (${res.code}): ${res.reason}`
  }
  if (json) return JSON.stringify({ ...envelope(m), schema_id: res.schemaId, format: res.format, value: res.value })
  return stream === 'scores' ? formatScored(res.value as ScoredInteraction) : formatAlert(res.value as Alert)
}

/** One line per scored interaction: when, where, the measures, and what was flagged. */
export function formatScored(s: ScoredInteraction): string {
  const flagged = s.scores.filter((e) => e.flagged).map((e) => `${e.name}${e.target !== 'event' ? `/${e.target}` : ''}${e.label ? `=${e.label}` : ''}`)
  const cost = s.cost_usd === null ? 'cost=?' : `cost=$${s.cost_usd.toFixed(s.cost_usd < 0.01 ? 5 : 2)}`
  return [
    iso(s.scored_time),
    `${s.app_name}/${s.environment}`,
    `${s.provider_name}/${s.request_model}`,
    s.status === 'error' ? `error=${s.error_type ?? 'unknown'}` : 'ok',
    `latency=${Math.round(s.latency_ms)}ms`,
    `tokens=${s.usage_input_tokens}/${s.usage_output_tokens}`,
    cost,
    flagged.length ? `flagged: ${flagged.join(', ')}` : 'flagged: none',
    `event=${s.event_id}`,
  ].join(' ')
}

const PREVIEW_CHARS = 200

/** Printable preview of bytes: UTF-8 text with control and invalid bytes shown as `.`. */
export function preview(buf: Buffer | null): string {
  if (!buf || buf.length === 0) return ''
  const text = buf.subarray(0, PREVIEW_CHARS * 4).toString('utf8').replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '.')
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}...` : text
}

/** A dead letter: why, from where, and the original bytes (base64, and a printable preview). */
export function formatDeadLetter(m: UndecodedMessage, json: boolean): string {
  const h = m.headers
  const rec = {
    ...envelope(m),
    reason: h['dlq.reason'] ?? null,
    code: h['dlq.error.code'] ?? null,
    service: h['dlq.service'] ?? null,
    time: h['dlq.time'] ?? null,
    source: {
      topic: h['dlq.source.topic'] ?? null,
      partition: h['dlq.source.partition'] === undefined ? null : Number(h['dlq.source.partition']),
      offset: h['dlq.source.offset'] ?? null,
      timestamp: h['dlq.source.timestamp'] === undefined ? null : Number(h['dlq.source.timestamp']),
    },
    value_bytes: m.value?.length ?? 0,
    value_base64: m.value ? m.value.toString('base64') : null,
    value_preview: preview(m.value),
    // The original message's own headers (content-type, ...), without the dlq.* ones.
    headers: Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith('dlq.'))),
  }
  if (json) return JSON.stringify(rec)
  const src = `${rec.source.topic ?? '?'}[${rec.source.partition ?? '?'}]@${rec.source.offset ?? '?'}`
  return `${rec.time ?? iso(m.timestamp)} ${src} ${rec.code ?? '?'} by ${rec.service ?? '?'}: ${rec.reason ?? '(no reason)'} | ${rec.value_bytes} bytes: ${rec.value_preview}`
}
