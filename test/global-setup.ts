/**
 * Starts the infrastructure the integration tests need, once per `vitest run`, and hands the
 * addresses to tests with provide/inject: KAFKA_BROKERS if set, else a Docker broker where an engine
 * exists, else a real Apache Kafka broker on the JVM (fresh data dir, free ports).
 * ClickHouse: CLICKHOUSE_URL if set; otherwise each test file opens embedded chDB in its own temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { resolveKafka } from '../shared/infra/index.js'
import { ensurePromtool } from './promtool.js'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[]
    kafkaMode: string
    clickhouseUrl: string | null
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
  project.provide('clickhouseUrl', process.env.CLICKHOUSE_URL ?? null)
  try {
    project.provide('promtool', { path: ensurePromtool((m) => console.log(`[global-setup] ${m}`)) })
  } catch (err) {
    // Only the tests that need promtool fail, with this reason.
    project.provide('promtool', { error: err instanceof Error ? err.message : String(err) })
  }
  return async () => {
    await kafka.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
