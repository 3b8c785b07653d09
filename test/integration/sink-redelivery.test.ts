/**
 * Crash test: the sink runs as its own process (as deployed), is SIGKILLed in the middle of
 * consuming a backlog, and restarted. Whatever was inserted but not committed is delivered again;
 * raw tables and aggregates must still hold every event exactly once.
 * The sink talks to the test run's served ClickHouse (CLICKHOUSE_URL), in a database of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { Codec } from '../../shared/codec.js'
import type { KafkaHandle } from '../../shared/kafka.js'
import { repoPath } from '../../shared/paths.js'
import { alertsGroupId } from '../../services/sink/sink.js'
import { brokers, clickhouseEnv, testClickHouse, testKafka, uniqueName, waitFor } from '../helpers.js'
import { alert, scored } from './sink-fixtures.js'

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

interface Run {
  child: ChildProcess
  lines: Record<string, unknown>[]
  exited: Promise<number | null>
}

function startSinkProcess(env: Record<string, string>, onLine: (l: Record<string, unknown>) => void = () => {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('services', 'sink', 'main.ts')], {
    cwd: repoPath(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  const lines: Record<string, unknown>[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return
    const l = JSON.parse(line) as Record<string, unknown>
    lines.push(l)
    onLine(l)
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    children.delete(child)
    resolve(code)
  }))
  return { child, lines, exited }
}

describe('sink crash and restart', () => {
  it('SIGKILL mid-backlog, restart: exact counts in raw tables and aggregates', async () => {
    const t = { scores: uniqueName('scores'), alerts: uniqueName('alerts'), dlq: uniqueName('dlq') }
    await kafka.ensureTopics([{ name: t.scores, partitions: 3 }, { name: t.alerts, partitions: 1 }, { name: t.dlq, partitions: 1 }])
    const app = 'crash-app'
    const p = await kafka.producer()
    for (let i = 0; i < N; i += 1_000) {
      await p.send(t.scores, Array.from({ length: 1_000 }, () => {
        const e = scored({ app })
        return { key: e.event_id, value: codec.encode('ScoredInteraction', e) }
      }))
    }
    await p.send(t.alerts, Array.from({ length: 10 }, () => ({ key: 'k', value: codec.encode('Alert', alert({ rule: 'crash-rule' })) })))
    await p.disconnect()

    const ch = clickhouseEnv()
    const group = uniqueName('sink')
    const env = {
      KAFKA_BROKERS: brokers().join(','),
      ...ch,
      SINK_GROUP_ID: group,
      SINK_SCORES_TOPIC: t.scores,
      SINK_ALERTS_TOPIC: t.alerts,
      SINK_DLQ_TOPIC: t.dlq,
      SINK_BATCH_ROWS: '900',
      SINK_FLUSH_MS: '20',
      SINK_CONCURRENCY: '3',
      METRICS_PORT: '0',
    }

    // 1st run: killed right after its 2nd insert (first flush: interactions, then scores), with most
    // of the backlog still to go and, most likely, the flush's offsets not yet committed.
    let inserts = 0
    const first = startSinkProcess({ ...env, LOG_LEVEL: 'debug' }, (l) => {
      if (l.msg === 'inserted' && ++inserts === 2) first.child.kill('SIGKILL')
    })
    const code1 = await first.exited
    expect(code1, JSON.stringify(first.lines.filter((l) => Number(l.level) >= 50))).toBe(null) // killed by the signal
    const lagAfterKill = await kafka.groupLag(group, t.scores)
    expect(lagAfterKill).toBeGreaterThan(0)
    expect(lagAfterKill).toBeLessThanOrEqual(N)

    // 2nd run: resumes from the committed offsets, skips what ClickHouse already holds.
    const second = startSinkProcess({ ...env, LOG_LEVEL: 'info' })
    await waitFor(async () => (await kafka.groupLag(group, t.scores)) === 0 && (await kafka.groupLag(alertsGroupId(group), t.alerts)) === 0, 120_000, 'restarted sink caught up')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    const stopped = second.lines.find((l) => l.msg === 'sink stopped') as { stats?: { insertedRows?: Record<string, number> } } | undefined
    expect(stopped?.stats?.insertedRows?.interactions ?? 0).toBeGreaterThan(0) // the restart did real work too
    const skipped = second.lines.filter((l) => l.msg === 'skipped re-delivered messages already in ClickHouse').reduce((s, l) => s + Number(l.skipped), 0)
    console.log(`[sink-redelivery] killed after ${inserts} inserts; lag after kill ${lagAfterKill}; restart inserted ${stopped?.stats?.insertedRows?.interactions} events, skipped ${skipped} re-delivered units`)

    client = await testClickHouse(ch.CLICKHOUSE_DATABASE)
    const n = async (q: string) => Number((await (await client!.query({ query: q, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n)
    expect(await n(`SELECT count() AS n FROM interactions`)).toBe(N)
    expect(await n(`SELECT uniqExact(event_id) AS n FROM interactions`)).toBe(N)
    expect(await n(`SELECT count() AS n FROM scores`)).toBe(2 * N)
    expect(await n(`SELECT sum(events) AS n FROM metrics_1m`)).toBe(N)
    expect(await n(`SELECT sum(events) AS n FROM metrics_1h`)).toBe(N)
    expect(await n(`SELECT sum(rows) AS n FROM scores_1m`)).toBe(2 * N)
    expect(await n(`SELECT sum(rows) AS n FROM scores_1h`)).toBe(2 * N)
    expect(await n(`SELECT sum(input_tokens) AS n FROM metrics_1m`)).toBe(100 * N)
    expect(await n(`SELECT count() AS n FROM alerts`)).toBe(10)
  })
})
