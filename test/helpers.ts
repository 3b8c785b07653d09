/** Test helpers: real servers, unique names per test, waiting for conditions instead of sleeping. */
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inject } from 'vitest'
import { createClickHouse, type ClickHouseClient } from '../shared/clickhouse.js'
import { createKafka, type KafkaHandle } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'

export function brokers(): string[] {
  return inject('kafkaBrokers')
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

export function tempDir(prefix = 'llmwatch-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function testKafka(clientId = uniqueName('test')): KafkaHandle {
  return createKafka({ brokers: brokers(), clientId, logger: silentLogger, partitions: 3 })
}

/** The ClickHouse of this test run: CLICKHOUSE_URL, or the `llmwatch clickhouse serve` of test/global-setup.ts. */
export function clickhouseUrl(): string {
  return inject('clickhouseUrl')
}

/** A unique ClickHouse database name (test files share one server). */
export function uniqueDatabase(prefix = 't'): string {
  return uniqueName(prefix).replace(/-/g, '_')
}

/** The environment that points a process the test starts at the test run's ClickHouse, in `database`. */
export function clickhouseEnv(database = uniqueDatabase()): { CLICKHOUSE_URL: string; CLICKHOUSE_DATABASE: string } {
  return { CLICKHOUSE_URL: clickhouseUrl(), CLICKHOUSE_DATABASE: database }
}

/** A ClickHouse client on the test run's ClickHouse, in `database` (created if missing; unique by default). */
export async function testClickHouse(database = uniqueDatabase()): Promise<ClickHouseClient> {
  return createClickHouse({ url: clickhouseUrl(), database })
}

/** Polls `fn` until it returns a truthy value; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs = 30_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  let lastErr: unknown
  while (Date.now() < deadline) {
    try {
      last = await fn()
      if (last) return last as NonNullable<T>
    } catch (err) {
      lastErr = err
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}${lastErr ? `, last error ${String(lastErr)}` : ''}`)
}
