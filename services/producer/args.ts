/**
 * Argument parsing for `llmwatch produce`: durations ("60s", "5m", "1500ms", "90"), the incident
 * script ("default", "none" or a YAML/JSON file) and the option set, validated with zod so every
 * usage error says what was expected.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { brokerList } from '../../shared/config.js'
import { TOPICS } from '../../shared/contract.js'
import { APP_NAMES, defaultIncidentScript, INCIDENT_NAMES, type IncidentSpec } from '../../shared/traffic/index.js'

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export const USAGE = `Usage: llmwatch produce [options]

Sends realistic LlmInteraction events (support chatbot, RAG assistant, code assistant, agent) to
Kafka at a steady rate, with optional scripted incidents.

Options:
  --rate N             events per second (default 100)
  --duration D         how long to send: 500ms, 60s, 5m, 1h, or seconds (default 60s)
  --count N            stop after N events (with --duration: whichever comes first)
  --format F           avro (Confluent-framed, default) or json
  --incidents S        default (the six-incident demo script over the run), none (default),
                       or a YAML/JSON file: a list of {name, app?, model?, start, duration, share}
                       with start/duration relative to the run start (e.g. start: 30s)
  --seed N             PRNG seed (default 1): the same seed gives the same traffic
  --apps a,b           only these apps (${APP_NAMES.join(', ')})
  --topic T            topic to write to (default ${TOPICS.interactions.name})
  --brokers h:p,...    Kafka brokers (default: KAFKA_BROKERS, else a local \`llmwatch infra up\` broker)
  -h, --help           show this help

Progress goes to stderr every second; exit code 0 when done, 2 on a usage error, 1 on failure.
`

/** Milliseconds from "500ms", "60s", "5m", "1h" or a bare number of seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (!m) throw new UsageError(`invalid duration "${s}": use e.g. 500ms, 60s, 5m, 1h`)
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']
  if (ms <= 0) throw new UsageError(`duration "${s}" must be positive`)
  return Math.round(ms)
}

const fileIncident = z.object({
  name: z.enum(INCIDENT_NAMES),
  app: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  start: z.union([z.string(), z.number()]),
  duration: z.union([z.string(), z.number()]),
  share: z.number().min(0).max(1).default(0.3),
})

/** A function from the run's start and length to the incident specs. */
export type IncidentPlan = (startMs: number, totalMs: number) => IncidentSpec[]

export function parseIncidents(arg: string): IncidentPlan {
  if (arg === 'none') return () => []
  if (arg === 'default') return defaultIncidentScript
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(arg, 'utf8'))
  } catch (err) {
    throw new UsageError(`--incidents expects default, none or a readable YAML/JSON file; ${arg}: ${(err as Error).message}`)
  }
  const parsed = z.array(fileIncident).safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new UsageError(`${arg}: expected a list of {name (${INCIDENT_NAMES.join('|')}), app?, model?, start, duration, share}: ${issues}`)
  }
  const items = parsed.data.map((i) => ({ ...i, startOffset: parseDuration(String(i.start)), durationMs: parseDuration(String(i.duration)) }))
  return (startMs) =>
    items.map((i) => ({
      name: i.name,
      ...(i.app === undefined ? {} : { app: i.app }),
      ...(i.model === undefined ? {} : { model: i.model }),
      startMs: startMs + i.startOffset,
      durationMs: i.durationMs,
      share: i.share,
    }))
}

export interface ProduceArgs {
  help: boolean
  rate: number
  durationMs: number | undefined
  count: number | undefined
  format: 'avro' | 'json'
  incidents: IncidentPlan
  seed: number
  apps: string[] | undefined
  topic: string
  brokers: string[] | undefined
}

const positiveNumber = (flag: string, s: string, integer: boolean): number => {
  const n = Number(s)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} expects a positive ${integer ? 'integer' : 'number'}, got "${s}"`)
  }
  return n
}

export function parseProduceArgs(argv: string[]): ProduceArgs {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        rate: { type: 'string' }, duration: { type: 'string' }, count: { type: 'string' }, format: { type: 'string' },
        incidents: { type: 'string' }, seed: { type: 'string' }, apps: { type: 'string' }, topic: { type: 'string' },
        brokers: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined)
  const format = str('format') ?? 'avro'
  if (format !== 'avro' && format !== 'json') throw new UsageError(`--format expects avro or json, got "${format}"`)
  const count = str('count') === undefined ? undefined : positiveNumber('--count', str('count') as string, true)
  // Without --count the run is time-bound (default 60 s); with --count alone it runs until N are sent.
  const durationArg = str('duration')
  const durationMs = durationArg !== undefined ? parseDuration(durationArg) : count === undefined ? 60_000 : undefined
  const seedArg = str('seed') ?? '1'
  const seed = Number(seedArg)
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed expects a non-negative integer, got "${seedArg}"`)
  const apps = str('apps')?.split(',').map((a) => a.trim()).filter(Boolean)
  const unknown = apps?.filter((a) => !APP_NAMES.includes(a)) ?? []
  if (unknown.length > 0) throw new UsageError(`--apps: unknown app ${unknown.join(', ')}; known apps: ${APP_NAMES.join(', ')}`)
  let brokers: string[] | undefined
  if (str('brokers') !== undefined) {
    const b = brokerList.safeParse(str('brokers'))
    if (!b.success) throw new UsageError(`--brokers expects host:port[,host:port...], got "${str('brokers')}"`)
    brokers = b.data
  }
  return {
    help: values.help === true,
    rate: positiveNumber('--rate', str('rate') ?? '100', false),
    durationMs,
    count,
    format,
    incidents: parseIncidents(str('incidents') ?? 'none'),
    seed,
    apps,
    topic: str('topic') ?? TOPICS.interactions.name,
    brokers,
  }
}
