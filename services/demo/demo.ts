/**
 * `llmwatch demo`: the main job. Starts the local infrastructure (a Kafka broker; ClickHouse served
 * by `llmwatch clickhouse serve` as a child process, unless CLICKHOUSE_URL or a running `llmwatch
 * infra up` names one), creates the topics, runs every service in this process (each talks to
 * ClickHouse over HTTP, as deployed; analysts can query the same server meanwhile: the demo prints
 * how), drives realistic traffic from four apps with six scripted incidents, shows a live summary,
 * and ends with the incidents' verdicts (which alert fired, which did not) and a few analyst
 * queries with their answers.
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Codec } from '../../shared/codec.js'
import { createClickHouse, redactUrl, type ClickHouseClient } from '../../shared/clickhouse.js'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import { TOPICS, type Alert } from '../../shared/contract.js'
import { infraClickHouseUrl, resolveKafka, startServedClickHouse, type KafkaInfra, type ServedClickHouse } from '../../shared/infra/index.js'
import { createKafka, type KafkaHandle } from '../../shared/kafka.js'
import { Lifecycle } from '../../shared/lifecycle.js'
import { createFileLogger } from '../../shared/logger.js'
import { startHttp } from '../../shared/metrics.js'
import { migrate } from '../../shared/migrate.js'
import { repoPath } from '../../shared/paths.js'
import { defaultIncidentScript, type IncidentSpec } from '../../shared/traffic/index.js'
import { startAlerter, type AlerterHandle } from '../alerter/alerter.js'
import { loadRulesFile } from '../alerter/rules.js'
import { produce } from '../producer/produce.js'
import { SCORERS } from '../scorer/scorers/index.js'
import { loadScorerConfig } from '../scorer/scorer-config.js'
import { startScorer, type ScorerService } from '../scorer/service.js'
import { loadServeEnv } from '../clickhouse/config.js'
import { startSink, type SinkHandle } from '../sink/sink.js'
import { startEmbeddedGateway } from '../gateway/embedded.js'
import { startDemoUi } from '../ui/main.js'
import { DEMO_QUERIES, EXPECTED_ALERTS } from './expectations.js'
import { formatTable } from './table.js'

const GROUPS = { scorer: 'llmwatch-scorer', sink: 'llmwatch-sink', alerter: 'llmwatch-alerter' } as const

export interface DemoOptions {
  durationMs: number
  rate: number
  keep: boolean
  seed: number
  /** Where the demo keeps Kafka and ClickHouse data (wiped at start). */
  dataDir: string
  rulesFile: string
  /** Quiet period after traffic stops, for alerts to resolve and the sink to drain. */
  drainMs: number
  out: (line: string) => void
}

export interface DemoResult {
  produced: number
  alerts: Alert[]
  incidents: { incident: string; rule: string; app: string; fired: boolean; resolved: boolean; firstFiredAfterMs: number | null }[]
  rows: { interactions: number; scores: number; alerts: number }
  queries: { title: string; rows: Record<string, unknown>[] }[]
}

/** Set by Ctrl-C (SIGINT/SIGTERM): the lifecycle is stopping everything and will exit. */
let interrupted = false

/** How long after an incident ends its alert may still fire and count (windows and `for` delays). */
const VERDICT_GRACE_MS = 30_000

/**
 * The firing record of an alert that was firing at some time in [from, to]: fired inside the span,
 * or fired before it and not resolved by its start. Null if none.
 */
export function firingDuring(alerts: readonly Alert[], from: number, to: number): Alert | null {
  const byKey = new Map<string, Alert[]>()
  for (const a of [...alerts].sort((x, y) => x.emitted_time - y.emitted_time)) byKey.set(a.dedup_key, [...(byKey.get(a.dedup_key) ?? []), a])
  for (const seq of byKey.values()) {
    let open: Alert | null = null
    for (const a of seq) {
      if (a.state === 'firing') {
        open ??= a
        if (a.emitted_time >= from && a.emitted_time <= to) return a
      } else {
        if (open && a.emitted_time >= from) return open
        open = null
      }
    }
    if (open && open.emitted_time <= to) return open
  }
  return null
}

/**
 * How an analyst reaches the demo's ClickHouse while it runs: the read-only reader of `llmwatch
 * clickhouse serve` (its password, when CLICKHOUSE_SERVE_READER_PASSWORD sets one, is not printed).
 */
export function analystHints(url: string, database: string): string[] {
  const serve = loadServeEnv()
  const user = serve.CLICKHOUSE_SERVE_READER_USER
  const password = serve.CLICKHOUSE_SERVE_READER_PASSWORD ? '$CLICKHOUSE_SERVE_READER_PASSWORD' : ''
  const db = database === 'llmwatch' ? '' : ` CLICKHOUSE_DATABASE=${database}`
  return [
    `query it while the demo runs, as the read-only user ${user}${password ? ' (password: CLICKHOUSE_SERVE_READER_PASSWORD)' : ' (no password)'}:`,
    `  CLICKHOUSE_URL=${url} CLICKHOUSE_USER=${user}${password ? ` CLICKHOUSE_PASSWORD=${password}` : ''}${db} npx llmwatch sql "SELECT app_name, count() AS events FROM interactions GROUP BY app_name"`,
    `  curl -u '${user}:${password}' '${url}/?database=${database}' --data-binary 'SELECT count() FROM interactions'`,
  ]
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim())
  if (!m) throw new Error(`expected a duration like 90s, 3m or 1h; got "${s}"`)
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000))
}

async function count(ch: ClickHouseClient, table: string): Promise<number> {
  const r = await ch.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })
  const rows = (await r.json()) as { n: number | string }[]
  return Number(rows[0]?.n ?? 0)
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const out = opts.out
  const env = loadEnv(baseEnvSchema)
  rmSync(opts.dataDir, { recursive: true, force: true })
  // The console is for people: the services' JSON logs go to a file.
  const logFile = path.resolve(opts.dataDir, 'demo.log')
  const logger = createFileLogger('demo', logFile)
  const life = new Lifecycle(logger)
  // Ctrl-C at any time: what runs so far stops in order (the broker last, or at exit), then exit 0.
  life.installSignalHandlers()
  const traffic = new AbortController()
  const onSignal = () => {
    interrupted = true
    traffic.abort()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  out(`llmwatch demo: ${Math.round(opts.durationMs / 1000)} s of traffic at ${opts.rate} events/s with six scripted incidents`)
  out(`logs (JSON, level ${logger.level}): ${logFile}`)
  out('starting infrastructure ...')
  const infra: KafkaInfra = await resolveKafka({ dataDir: `${opts.dataDir}/kafka`, fresh: true, log: (m) => out(`  ${m}`) })
  const kafka: KafkaHandle = createKafka({ brokers: infra.brokers, clientId: 'llmwatch-demo', logger, partitions: env.KAFKA_PARTITIONS })
  await kafka.ensureTopics()
  // ClickHouse: CLICKHOUSE_URL, else the one of a running `llmwatch infra up`, else a server of its own.
  let server: ServedClickHouse | null = null
  let chUrl = env.CLICKHOUSE_URL ?? infraClickHouseUrl()
  const chSource = env.CLICKHOUSE_URL ? 'CLICKHOUSE_URL' : chUrl ? '`llmwatch infra up`' : null
  if (!chUrl) {
    server = await startServedClickHouse({
      path: path.resolve(opts.dataDir, 'clickhouse'), logFile: path.resolve(opts.dataDir, 'clickhouse.log'),
      env: { CLICKHOUSE_SERVE_PORT: process.env.CLICKHOUSE_SERVE_PORT ?? '0' }, log: (m) => out(`  ${m}`),
    })
    chUrl = server.url
  }
  const ch = await createClickHouse({ url: chUrl, user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE })
  await migrate(ch, { database: env.CLICKHOUSE_DATABASE, log: () => {} })
  out(`  ClickHouse at ${redactUrl(chUrl)} (${server ? `llmwatch clickhouse serve, pid ${server.pid}, data ${path.resolve(opts.dataDir, 'clickhouse')}` : chSource}), database ${env.CLICKHOUSE_DATABASE}`)
  // Its own server or `infra up`'s: `llmwatch clickhouse serve`, whose read-only reader analysts use.
  if (!env.CLICKHOUSE_URL) for (const line of analystHints(chUrl, env.CLICKHOUSE_DATABASE)) out(`  ${line}`)
  const codec = Codec.load()
  const alerts: Alert[] = []
  const scorer: ScorerService = await startScorer({
    kafka, codec, logger, scorers: SCORERS, config: loadScorerConfig(SCORERS, repoPath('config', 'scorers.json')), groupId: GROUPS.scorer,
  })
  const sink: SinkHandle = await startSink({
    kafka, codec, logger, client: ch,
    config: { groupId: GROUPS.sink, batchRows: 20_000, flushMs: 500, retryBudgetMs: 5000, textMode: 'redacted', concurrency: 6 },
  })
  const alerter: AlerterHandle = await startAlerter({
    kafka, codec, logger, rules: loadRulesFile(opts.rulesFile),
    config: { groupId: GROUPS.alerter, scoresTopic: TOPICS.scores.name, alertsTopic: TOPICS.alerts.name, tickMs: 500 },
    onPublished: (as) => {
      for (const a of as) {
        alerts.push(a)
        if (!a.reminder) out(`  ALERT ${a.state.toUpperCase().padEnd(8)} ${a.severity.padEnd(8)} ${a.rule}  ${a.summary}`)
      }
    },
  })
  await alerter.ready()
  const http = await startHttp({
    port: env.METRICS_PORT,
    health: () => ({ ok: !scorer.consumer.degraded() && sink.health().ok && alerter.health().ok, scorer: scorer.stats(), sink: sink.health(), alerter: alerter.health() }),
  })
  out(`  services running in this process; metrics at http://127.0.0.1:${http.port}/metrics, health at /healthz`)
  // The ingest gateway (README: Ingest gateway): OpenTelemetry-instrumented apps may export to it while the demo runs.
  const gateway = await startEmbeddedGateway({ kafka, codec, logger })
  out(`  ingest gateway at ${gateway.url} (OTLP/HTTP /v1/traces and /v1/logs, JSON /v1/interactions; header Authorization: Bearer ${gateway.key})`)
  life.add('gateway', () => gateway.stop())
  // The dashboard (docs/DASHBOARD.md), as the read-only reader; a ClickHouse without that user gets a note.
  const ui = await startDemoUi(chUrl, env.CLICKHOUSE_DATABASE, logger).catch((err: unknown) => (out(`  dashboard not started: ${(err as Error).message}`), null))
  if (ui) out(`  dashboard at ${ui.server.url}`)
  if (ui) life.add('ui', () => ui.close())
  life.add('http', () => http.close())
  life.add('scorer', () => scorer.stop())
  life.add('alerter', () => alerter.stop())
  life.add('sink', () => sink.stop())
  life.add('clickhouse', () => ch.close())
  if (server) life.add('clickhouse server', () => server.stop())
  life.add('kafka client', () => kafka.close())
  life.add('kafka broker', () => infra.stop())
  life.add('logs', () => new Promise<void>((resolve) => logger.flush(() => resolve())))

  const startedAt = Date.now()
  const incidents: IncidentSpec[] = defaultIncidentScript(startedAt, opts.durationMs)
  out('incident script:')
  for (const i of incidents) {
    out(`  +${Math.round((i.startMs - startedAt) / 1000)}s for ${Math.round(i.durationMs / 1000)}s  ${i.name} on ${i.app ?? i.model ?? 'all'} (${Math.round(i.share * 100)}% of its events)`)
  }
  let produced = 0
  const lag = async () => {
    const [s, k, a] = await Promise.all([
      kafka.groupLag(GROUPS.scorer, TOPICS.interactions.name),
      kafka.groupLag(GROUPS.sink, TOPICS.scores.name),
      kafka.groupLag(GROUPS.alerter, TOPICS.scores.name),
    ])
    return { scorer: s, sink: k, alerter: a }
  }
  let lastProduced = 0
  let lastTick = Date.now()
  const progress = setInterval(() => {
    void (async () => {
      const l = await lag().catch(() => null)
      const now = Date.now()
      const rate = ((produced - lastProduced) * 1000) / Math.max(1, now - lastTick)
      lastProduced = produced
      lastTick = now
      const firing = new Map<string, Alert>()
      for (const a of alerts) if (!a.reminder) a.state === 'firing' ? firing.set(a.dedup_key, a) : firing.delete(a.dedup_key)
      out(
        `[${String(Math.round((now - startedAt) / 1000)).padStart(4)}s] produced ${produced} (${Math.round(rate)}/s)  lag scorer ${l?.scorer ?? '?'} sink ${l?.sink ?? '?'} alerter ${l?.alerter ?? '?'}  scored ${scorer.stats().scored}  alerts firing ${firing.size}`,
      )
    })()
  }, 2000)
  try {
    const res = await produce({
      kafka, codec, topic: TOPICS.interactions.name, rate: opts.rate, durationMs: opts.durationMs, format: 'avro', seed: opts.seed, incidents, signal: traffic.signal,
      onProgress: (p: { sent: number }) => {
        produced = p.sent
      },
    })
    produced = res.sent
    out(`traffic done: ${produced} events; draining (up to ${Math.round(opts.drainMs / 1000)} s) ...`)
    const drainUntil = Date.now() + opts.drainMs
    while (Date.now() < drainUntil) {
      const l = await lag()
      if (l.scorer === 0 && l.sink === 0 && l.alerter === 0 && (await count(ch, 'interactions')) >= produced) break
      await new Promise((r) => setTimeout(r, 500))
    }
  } finally {
    clearInterval(progress)
  }
  // Let incident alerts resolve: the traffic after the last incident is clean.
  await new Promise((r) => setTimeout(r, Math.min(opts.drainMs, 3000)))

  const verdicts = EXPECTED_ALERTS.map((x) => {
    const spec = incidents.find((i) => i.name === x.incident)!
    const mine = alerts.filter((a) => a.rule === x.rule && !a.reminder && (x.label === undefined || Object.values(a.labels).includes(x.label)))
    const during = firingDuring(mine, spec.startMs, spec.startMs + spec.durationMs + VERDICT_GRACE_MS)
    return {
      incident: x.incident,
      rule: x.rule,
      app: x.label ?? '',
      fired: during !== null,
      resolved: during !== null && mine.some((a) => a.state === 'resolved' && a.dedup_key === during.dedup_key && a.emitted_time >= during.emitted_time),
      firstFiredAfterMs: during ? Math.max(0, during.emitted_time - spec.startMs) : null,
    }
  })
  out('\nincidents and their alerts:')
  for (const v of verdicts) {
    out(`  ${v.fired ? 'FIRED    ' : 'NOT FIRED'} ${v.incident.padEnd(20)} -> ${v.rule}${v.app ? ` (${v.app})` : ''}${v.firstFiredAfterMs !== null ? `, ${Math.round(v.firstFiredAfterMs / 1000)} s after the incident began` : ''}${v.resolved ? ', resolved' : ''}`)
  }
  const rows = { interactions: await count(ch, 'interactions'), scores: await count(ch, 'scores'), alerts: await count(ch, 'alerts') }
  out(`\nClickHouse holds ${rows.interactions} interactions, ${rows.scores} score rows, ${rows.alerts} alert records.`)
  const queries: DemoResult['queries'] = []
  for (const q of DEMO_QUERIES) {
    const r = await ch.query({ query: q.sql, format: 'JSONEachRow' })
    const data = (await r.json()) as Record<string, unknown>[]
    queries.push({ title: q.title, rows: data })
    out(`\n-- ${q.title}\n${q.sql.trim()}\n${formatTable(data)}`)
  }
  if (opts.keep) {
    out(`\n--keep: the pipeline keeps running (Ctrl-C stops it). Brokers: ${infra.brokers.join(',')}; ClickHouse: ${redactUrl(chUrl)}`)
    await new Promise(() => {})
  }
  await life.close()
  out(`\nlogs: ${logFile}`)
  return { produced, alerts, incidents: verdicts, rows, queries }
}

const DEMO_OPTIONS = {
  duration: { type: 'string', default: '3m' },
  rate: { type: 'string', default: '200' },
  keep: { type: 'boolean', default: false },
  seed: { type: 'string', default: '1' },
  'data-dir': { type: 'string', default: repoPath('.data', 'demo') },
  rules: { type: 'string', default: repoPath('config', 'demo-alert-rules.yaml') },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const

export async function main(argv: string[]): Promise<number> {
  const parse = () => parseArgs({ args: argv, options: DEMO_OPTIONS }).values
  let values: ReturnType<typeof parse>
  try {
    values = parse()
  } catch (err) {
    process.stderr.write(`llmwatch demo: ${(err as Error).message}\nRun \`llmwatch demo --help\` for the options.\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write('Options: --duration 3m  --rate 200  --keep  --seed 1  --data-dir .data/demo  --rules config/demo-alert-rules.yaml  --json\n')
    return 0
  }
  const rate = Number(values.rate)
  if (!Number.isFinite(rate) || rate <= 0) {
    process.stderr.write(`llmwatch demo: --rate expects a positive number of events per second; got "${values.rate}"\n`)
    return 2
  }
  const seed = Number(values.seed)
  if (!Number.isInteger(seed) || seed < 0) {
    process.stderr.write(`llmwatch demo: --seed expects a non-negative integer; got "${values.seed}"\n`)
    return 2
  }
  let durationMs: number
  try {
    durationMs = parseDuration(values.duration)
  } catch (err) {
    process.stderr.write(`llmwatch demo: --duration ${(err as Error).message}\n`)
    return 2
  }
  let res: DemoResult
  try {
    res = await runDemo({
      durationMs, rate, keep: values.keep, seed, dataDir: values['data-dir'], rulesFile: values.rules,
      drainMs: 30_000, out: (l) => process.stderr.write(l + '\n'),
    })
  } catch (err) {
    // After Ctrl-C the services close under the run's feet: its errors are expected, the exit is the lifecycle's.
    if (interrupted) return new Promise<number>(() => {})
    throw err
  }
  if (values.json) process.stdout.write(JSON.stringify({ produced: res.produced, rows: res.rows, incidents: res.incidents, alerts: res.alerts.length }) + '\n')
  return res.incidents.every((i) => i.fired) ? 0 : 1
}
