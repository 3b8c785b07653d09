/**
 * Issue 13: the served ClickHouse (`llmwatch clickhouse serve`) is SIGKILLed while the sink (its own
 * process, CLICKHOUSE_URL) inserts a backlog, and started again on the same directory and port. The
 * sink retries through the outage; once the server is back, raw tables must hold every event once,
 * and the aggregates must agree.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClickHouse, type ClickHouseClient } from '../../shared/clickhouse.js'
import { Codec } from '../../shared/codec.js'
import { freePort } from '../../shared/infra/ports.js'
import type { KafkaHandle } from '../../shared/kafka.js'
import { repoPath } from '../../shared/paths.js'
import { alertsGroupId } from '../../services/sink/sink.js'
import { brokers, tempDir, testKafka, uniqueName, waitFor } from '../helpers.js'
import { alert, scored } from '../integration/sink-fixtures.js'
import { recordResult } from './results.js'

const codec = Codec.load()
const N = 6_000
let kafka: KafkaHandle
let client: ClickHouseClient | null = null
const children = new Set<ChildProcess>()

beforeAll(() => {
  kafka = testKafka()
})
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  await kafka.close()
  await client?.close()
})

interface Proc {
  child: ChildProcess
  lines: Record<string, unknown>[]
  exited: Promise<number | null>
}

function start(args: string[], env: Record<string, string>, onLine: (l: Record<string, unknown>) => void = () => {}): Proc {
  const child = spawn(process.execPath, args, { cwd: repoPath(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  children.add(child)
  const lines: Record<string, unknown>[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return
    const l = JSON.parse(line) as Record<string, unknown>
    lines.push(l)
    onLine(l)
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (children.delete(child), resolve(code))))
  return { child, lines, exited }
}

async function startServer(dir: string, port: number): Promise<Proc> {
  const p = start([repoPath('bin', 'llmwatch.mjs'), 'clickhouse', 'serve'], { CLICKHOUSE_PATH: dir, CLICKHOUSE_SERVE_PORT: String(port), LOG_LEVEL: 'info' })
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)) || p.child.exitCode !== null, 60_000, 'clickhouse serve to answer /ping')
  expect(p.child.exitCode).toBe(null)
  return p
}

describe('served ClickHouse killed during inserts', () => {
  it('SIGKILL of the server mid-backlog, restart: exact counts in raw tables and aggregates', async () => {
    const started = Date.now()
    const t = { scores: uniqueName('scores'), alerts: uniqueName('alerts'), dlq: uniqueName('dlq') }
    await kafka.ensureTopics([{ name: t.scores, partitions: 3 }, { name: t.alerts, partitions: 1 }, { name: t.dlq, partitions: 1 }])
    const p = await kafka.producer()
    for (let i = 0; i < N; i += 1_000) {
      await p.send(t.scores, Array.from({ length: 1_000 }, () => {
        const e = scored({ app: 'served-kill' })
        return { key: e.event_id, value: codec.encode('ScoredInteraction', e) }
      }))
    }
    await p.send(t.alerts, Array.from({ length: 10 }, () => ({ key: 'k', value: codec.encode('Alert', alert({ rule: 'served-kill-rule' })) })))
    await p.disconnect()

    const dir = tempDir('llmwatch-served-kill-')
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    let server = await startServer(dir, port)
    const group = uniqueName('sink')
    let inserts = 0
    let killedAt = 0
    const sink = start(['--import', 'tsx', repoPath('services', 'sink', 'main.ts')], {
      KAFKA_BROKERS: brokers().join(','), CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: 'llmwatch',
      SINK_GROUP_ID: group, SINK_SCORES_TOPIC: t.scores, SINK_ALERTS_TOPIC: t.alerts, SINK_DLQ_TOPIC: t.dlq,
      SINK_BATCH_ROWS: '900', SINK_FLUSH_MS: '20', SINK_CONCURRENCY: '3', METRICS_PORT: '0', LOG_LEVEL: 'debug',
    }, (l) => {
      // The 3rd insert: the first flush is in ClickHouse, more are on the way.
      if (l.msg === 'inserted' && ++inserts === 3) {
        killedAt = Date.now()
        server.child.kill('SIGKILL')
      }
    })
    await waitFor(() => killedAt > 0, 120_000, 'the sink to insert three times')
    expect(await server.exited).toBe(null) // killed by the signal
    const lagAtKill = await kafka.groupLag(group, t.scores)
    await new Promise((r) => setTimeout(r, 3_000)) // down for a while: the sink's inserts fail and are retried
    server = await startServer(dir, port)
    const downMs = Date.now() - killedAt
    await waitFor(async () => (await kafka.groupLag(group, t.scores)) === 0 && (await kafka.groupLag(alertsGroupId(group), t.alerts)) === 0, 180_000, 'the sink to catch up after the restart')
    sink.child.kill('SIGTERM')
    expect(await sink.exited).toBe(0)

    client = await createClickHouse({ url, database: 'llmwatch' })
    const n = async (q: string) => Number((await (await client!.query({ query: q, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n)
    const books = {
      interactions: await n('SELECT count() AS n FROM interactions'),
      distinct: await n('SELECT uniqExact(event_id) AS n FROM interactions'),
      scores: await n('SELECT count() AS n FROM scores'),
      metrics_1m: await n('SELECT sum(events) AS n FROM metrics_1m'),
      metrics_1h: await n('SELECT sum(events) AS n FROM metrics_1h'),
      scores_1m: await n('SELECT sum(rows) AS n FROM scores_1m'),
      scores_1h: await n('SELECT sum(rows) AS n FROM scores_1h'),
      alerts: await n('SELECT count() AS n FROM alerts'),
    }
    const expected = { interactions: N, distinct: N, scores: 2 * N, metrics_1m: N, metrics_1h: N, scores_1m: 2 * N, scores_1h: 2 * N, alerts: 10 }
    const violations = Object.entries(expected).filter(([k, v]) => books[k as keyof typeof books] !== v).map(([k, v]) => `${k}: ${books[k as keyof typeof books]} (expected ${v})`)
    console.log(`[served-kill] killed at the sink's 3rd insert (${inserts} logged in all), lag at kill ${lagAtKill}, down ${downMs} ms; books ${JSON.stringify(books)}`)
    recordResult({
      scenario: 'served ClickHouse SIGKILL during inserts', events: N, lost: Math.max(0, N - books.distinct), duplicated: Math.max(0, books.interactions - books.distinct),
      dlq: 0, recoveryMs: downMs, durationMs: Date.now() - started, violations,
      notes: `server killed after the sink's 3rd insert, restarted after ~3 s on the same directory and port`,
    })
    expect(violations).toEqual([])
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })
})
