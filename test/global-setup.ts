/**
 * Starts the infrastructure the integration tests need, once per `vitest run`, and hands the
 * addresses to tests with provide/inject: KAFKA_BROKERS if set, else a Docker broker where an engine
 * exists, else a real Apache Kafka broker on the JVM (fresh data dir, free ports).
 * ClickHouse: CLICKHOUSE_URL if set; otherwise ONE `llmwatch clickhouse serve` (a child process on
 * a fresh temp data directory and a free port), as services use it. Test files share it, each in
 * databases of its own (test/helpers.ts testClickHouse); processes the tests start get its URL.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { resolveKafka, startServedClickHouse, type ServedClickHouse } from '../shared/infra/index.js'
import { ensurePromtool } from './promtool.js'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[]
    kafkaMode: string
    /** CLICKHOUSE_URL, or the served ClickHouse global setup started. */
    clickhouseUrl: string
    /** promtool for the Prometheus rules tests, or why there is none (test/promtool.ts). */
    promtool: { path: string } | { error: string }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-test-kafka-'))
  const started = Date.now()
  const kafka = await resolveKafka({ dataDir, fresh: true, log: (m) => console.log(`[global-setup] ${m}`) })
  console.log(`[global-setup] Kafka (${kafka.mode}) at ${kafka.brokers.join(',')} in ${Date.now() - started} ms`)
  project.provide('kafkaBrokers', kafka.brokers)
  project.provide('kafkaMode', kafka.mode)
  let clickhouse: ServedClickHouse | null = null
  if (process.env.CLICKHOUSE_URL) project.provide('clickhouseUrl', process.env.CLICKHOUSE_URL)
  else {
    const t0 = Date.now()
    clickhouse = await startServedClickHouse({
      path: path.join(dataDir, 'clickhouse'), logFile: path.join(dataDir, 'clickhouse.log'),
      env: { CLICKHOUSE_SERVE_PORT: '0', LOG_LEVEL: 'info' },
    })
    console.log(`[global-setup] ClickHouse (llmwatch clickhouse serve, pid ${clickhouse.pid}) at ${clickhouse.url} in ${Date.now() - t0} ms; log ${clickhouse.logFile}`)
    project.provide('clickhouseUrl', clickhouse.url)
  }
  try {
    project.provide('promtool', { path: ensurePromtool((m) => console.log(`[global-setup] ${m}`)) })
  } catch (err) {
    // Only the tests that need promtool fail, with this reason.
    project.provide('promtool', { error: err instanceof Error ? err.message : String(err) })
  }
  return async () => {
    await clickhouse?.stop()
    await kafka.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
