/**
 * `llmwatch alerts tail [--from-beginning] [--json] [--max N] [--topic NAME]`: prints alerts from
 * llm.alerts as they come (Avro or JSON records): a headline per alert, then the affected series,
 * the runbook and example event ids on indented lines (or one JSON object per line with --json).
 * Uses its own throw-away consumer group, so it never disturbs the services. Ends on
 * SIGINT/SIGTERM or after N.
 */
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { loadEnv, baseEnvSchema } from '../../shared/config.js'
import { TOPICS, type Alert } from '../../shared/contract.js'
import { errorMessage } from '../../shared/errors.js'
import { runningLocalBrokers } from '../../shared/infra/index.js'
import { createKafka } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { startConsumer } from '../../shared/runner.js'
import { loadCodec } from '../../shared/schema-registry.js'
import { affectedText, formatValue, reasonText } from './format.js'

const USAGE = 'usage: llmwatch alerts tail [--from-beginning] [--json] [--max N] [--topic NAME]\n'

/**
 * One alert for people: a headline (time, state, severity, rule, group labels, rounded value and
 * threshold with their unit, summary), then indented lines with what an on-call person acts on:
 * the affected series, the runbook and example event ids (each only when the alert has them).
 */
export function formatAlert(a: Alert): string {
  const state =
    a.state === 'resolved' ? `RESOLVED${a.resolve_reason ? ` (${reasonText(a.resolve_reason)})` : ''}` : a.reminder ? 'FIRING (reminder)' : 'FIRING'
  const labels = Object.entries(a.labels)
    .filter(([k]) => k !== 'alertname' && k !== 'severity')
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
  const lines = [
    `${new Date(a.emitted_time).toISOString()} ${state} ${a.severity} ${a.rule} {${labels}} value=${formatValue(a.value, a.unit)} threshold=${formatValue(a.threshold, a.unit)} :: ${a.summary}`,
  ]
  const series = affectedText(a)
  if (series) lines.push(`    affected: ${series}`)
  if (a.runbook_url) lines.push(`    runbook:  ${a.runbook_url}`)
  if (a.example_event_ids.length > 0) lines.push(`    examples: ${a.example_event_ids.join(' ')}`)
  return lines.join('\n')
}

export interface TailIo {
  out: { write(s: string): unknown }
  err: { write(s: string): unknown }
  /** Ends the tail (default: SIGINT/SIGTERM). */
  signal?: AbortSignal
  env?: Record<string, string | undefined>
}

export async function main(argv: string[], io: TailIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  const args = argv[0] === 'tail' ? argv.slice(1) : argv
  if (argv[0] !== undefined && argv[0] !== 'tail' && !argv[0].startsWith('-')) {
    io.err.write(`llmwatch alerts: unknown subcommand ${argv[0]}\n${USAGE}`)
    return 2
  }
  let opts: { 'from-beginning'?: boolean; json?: boolean; max?: string; topic?: string; help?: boolean }
  try {
    opts = parseArgs({
      args,
      options: { 'from-beginning': { type: 'boolean' }, json: { type: 'boolean' }, max: { type: 'string' }, topic: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values
  } catch (err) {
    io.err.write(`llmwatch alerts tail: ${errorMessage(err)}\n${USAGE}`)
    return 2
  }
  if (opts.help) {
    io.out.write(USAGE)
    return 0
  }
  const max = opts.max === undefined ? Infinity : Number(opts.max)
  if (!(max > 0)) {
    io.err.write(`llmwatch alerts tail: --max expects a positive number\n`)
    return 2
  }
  const env = loadEnv(baseEnvSchema, io.env ?? process.env)
  const brokers = env.KAFKA_BROKERS ?? runningLocalBrokers()
  if (!brokers) {
    io.err.write('llmwatch alerts tail: set KAFKA_BROKERS or start a local broker with `llmwatch infra up`\n')
    return 2
  }
  const kafka = createKafka({ brokers, source: env.KAFKA_BROKERS ? 'KAFKA_BROKERS' : 'the broker of `llmwatch infra up`', clientId: 'llmwatch-alerts-tail', logger: silentLogger })
  const topic = opts.topic ?? TOPICS.alerts.name
  // On a new cluster no alerter may have created the topic yet: wait for alerts instead of failing.
  await kafka.ensureTopics([{ name: topic }])
  const groupId = `llmwatch-alerts-tail-${randomUUID()}`
  let seen = 0
  let finish: () => void = () => {}
  const finished = new Promise<void>((r) => (finish = r))
  const consumer = await startConsumer({
    kafka,
    // With SCHEMA_REGISTRY_URL, the registry's ids (looked up, never registered).
    codec: await loadCodec({ url: env.SCHEMA_REGISTRY_URL, register: false }),
    logger: silentLogger,
    service: 'alerts-tail',
    groupId,
    topic,
    record: 'Alert',
    fromBeginning: opts['from-beginning'] ?? false,
    handle: async (batch) => {
      for (const m of batch.messages) {
        if (seen >= max) break
        io.out.write(opts.json ? `${JSON.stringify(m.value)}\n` : `${formatAlert(m.value)}\n`)
        if (++seen >= max) finish()
      }
    },
  })
  const onSignal = () => finish()
  if (io.signal) io.signal.addEventListener('abort', onSignal, { once: true })
  else {
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }
  await finished
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  await consumer.stop()
  // The group was this command's alone: leave nothing behind on the broker.
  await kafka.deleteGroups([groupId]).catch(() => {})
  await kafka.close()
  return 0
}
