/**
 * The sink in the test process, over the test run's served ClickHouse, behind a fault-injecting wrapper of the
 * ClickHouse client (a real client whose calls can be made to fail or slow down; nothing is
 * mocked behind it). Used where a fault must sit between the sink and ClickHouse: an outage
 * (scenario 3) and a throttled sink (scenario 5).
 */
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import type { KafkaHandle } from '../../shared/kafka.js'
import { createLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { startSink, type SinkHandle } from '../../services/sink/sink.js'
import { codec, GROUPS, openClickHouse, scenarioDatabase, sleep } from './harness.js'

export interface Faults {
  /** While true, every insert and query fails as a refused connection would. */
  down: boolean
  /** Extra delay per `interactions` row inserted (ms), to cap the sink's event rate. */
  msPerEvent: number
}

export interface InProcessSink {
  sink: SinkHandle
  /** The real client (for the books once the sink stopped). */
  client: ClickHouseClient
  faults: Faults
  stop(): Promise<void>
}

/** An error like the one a refused TCP connection gives: classified as an outage by the writer. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123 (fault injected)'), { code: 'ECONNREFUSED' })
}

/**
 * `batchRows` caps one insert. The writer does not heartbeat inside one insert call, so a throttled
 * insert (msPerEvent x its rows) must end well within the consumer's session timeout (15 s), or the
 * group drops the member, as it would for a real insert that slow.
 */
export async function startInProcessSink(kafka: KafkaHandle, workDir: string, opts: { retryBudgetMs?: number; batchRows?: number } = {}): Promise<InProcessSink> {
  const client = await openClickHouse(workDir)
  await migrate(client, { database: scenarioDatabase(workDir), log: () => {} })
  const faults: Faults = { down: false, msPerEvent: 0 }
  const flaky: Pick<ClickHouseClient, 'insert' | 'query' | 'exec'> = {
    insert: (async (params: Parameters<ClickHouseClient['insert']>[0]) => {
      if (faults.down) throw refused()
      // The writer streams JSONCompactEachRow bodies (services/sink/writer.ts compactBody), which say their row count.
      const rows = Array.isArray(params.values) ? params.values.length : ((params.values as { rowCount?: number }).rowCount ?? 0)
      if (faults.msPerEvent > 0 && params.table === 'interactions') await sleep(rows * faults.msPerEvent)
      if (faults.down) throw refused()
      return client.insert(params)
    }) as ClickHouseClient['insert'],
    query: (async (params: Parameters<ClickHouseClient['query']>[0]) => {
      if (faults.down) throw refused()
      return client.query(params)
    }) as ClickHouseClient['query'],
    // The writer's RowBinary inserts of interactions (insertRowBinary: its body says its row count).
    exec: (async (params: Parameters<ClickHouseClient['exec']>[0]) => {
      if (faults.down) throw refused()
      const rows = 'values' in params ? ((params.values as { rowCount?: number }).rowCount ?? 0) : 0
      if (faults.msPerEvent > 0 && /^INSERT INTO interactions\b/.test(params.query)) await sleep(rows * faults.msPerEvent)
      if (faults.down) throw refused()
      return client.exec(params)
    }) as ClickHouseClient['exec'],
  }
  const logger = createLogger('sink').child({ inProcess: true }, { level: process.env.FAULTS_SINK_LOG ?? 'error' })
  const sink = await startSink({
    kafka,
    codec,
    logger,
    client: flaky,
    config: {
      groupId: GROUPS.sink, batchRows: opts.batchRows ?? 5000, flushMs: 200, retryBudgetMs: opts.retryBudgetMs ?? 5_000, textMode: 'redacted', concurrency: 6,
      retry: { initialMs: 200, maxMs: 2_000 },
    },
  })
  return { sink, client, faults, stop: () => sink.stop() }
}
