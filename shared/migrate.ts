/**
 * ClickHouse schema migrations: versioned SQL files in infra/clickhouse/migrations
 * (`NNNN_name.sql`), applied in order and recorded in `<db>.schema_migrations` with a checksum.
 * Every statement is idempotent (`IF NOT EXISTS`), so two processes migrating at once, or a crash
 * half-way through a file, are harmless: the next run re-applies the file and records it.
 * Editing a file after it was applied is refused (checksum mismatch): add a new migration instead.
 *
 * Retention is configuration, not schema: after migrating, `applyRetention` sets each table's TTL
 * from the environment, and only issues an ALTER when the TTL actually changes.
 *
 * `main(argv)` is `llmwatch migrate [--status]`.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { z } from 'zod'
import { LlmwatchError } from './errors.js'
import { repoPath } from './paths.js'

export const MIGRATIONS_DIR = repoPath('infra', 'clickhouse', 'migrations')

export interface Migration {
  version: number
  name: string
  checksum: string
  statements: string[]
}

export interface MigrateResult {
  applied: { version: number; name: string }[]
  skipped: number
}

/**
 * Table name -> column the TTL counts from. Days of 0 mean "keep forever". `scores` is a view of
 * `interactions` since migration 0004 (the scores are on the event's row): it follows that table.
 */
export const RETENTION_TABLES = {
  interactions: 'event_time',
  alerts: 'emitted_time',
  metrics_1m: 'minute',
  scores_1m: 'minute',
  metrics_1h: 'hour',
  scores_1h: 'hour',
} as const
export type RetentionTable = keyof typeof RETENTION_TABLES
export type Retention = Record<RetentionTable, number>

const days = (def: number) => z.coerce.number().int().min(0).max(36_500).default(def)

/** Retention per table, in days (0 = no TTL). Shared by the sink and `llmwatch migrate`. */
export const retentionEnvSchema = z.object({
  CLICKHOUSE_RETENTION_INTERACTIONS_DAYS: days(30),
  CLICKHOUSE_RETENTION_ALERTS_DAYS: days(365),
  CLICKHOUSE_RETENTION_1M_DAYS: days(30),
  CLICKHOUSE_RETENTION_1H_DAYS: days(400),
})
export type RetentionEnv = z.infer<typeof retentionEnvSchema>

export function retentionFromEnv(env: RetentionEnv): Retention {
  return {
    interactions: env.CLICKHOUSE_RETENTION_INTERACTIONS_DAYS,
    alerts: env.CLICKHOUSE_RETENTION_ALERTS_DAYS,
    metrics_1m: env.CLICKHOUSE_RETENTION_1M_DAYS,
    scores_1m: env.CLICKHOUSE_RETENTION_1M_DAYS,
    metrics_1h: env.CLICKHOUSE_RETENTION_1H_DAYS,
    scores_1h: env.CLICKHOUSE_RETENTION_1H_DAYS,
  }
}

/** Splits a SQL file into statements: `--` comment lines dropped, statements end with `;` at line end. */
export function splitStatements(sql: string): string[] {
  const body = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
  return body
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/

/** Reads and orders the migration files; `{{database}}` is substituted at apply time. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  const out: Migration[] = []
  for (const file of files) {
    const m = FILE_RE.exec(file)
    if (!m || m[1] === undefined || m[2] === undefined) {
      throw new LlmwatchError('CLICKHOUSE', `migration file name ${file} does not match NNNN_name.sql`)
    }
    const text = await readFile(path.join(dir, file), 'utf8')
    const version = Number(m[1])
    if (out.some((x) => x.version === version)) {
      throw new LlmwatchError('CLICKHOUSE', `two migrations share version ${version}`)
    }
    out.push({
      version,
      name: m[2],
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    })
  }
  return out
}

function assertIdentifier(database: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new LlmwatchError('CONFIG_INVALID', `database name ${JSON.stringify(database)} is not a SQL identifier`)
  }
}

async function appliedMigrations(client: ClickHouseClient, database: string): Promise<Map<number, string>> {
  const rs = await client.query({
    query: `SELECT version, any(checksum) AS checksum FROM ${database}.schema_migrations GROUP BY version`,
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{ version: number | string; checksum: string }>()
  return new Map(rows.map((r) => [Number(r.version), r.checksum]))
}

/**
 * Creates the database and applies every migration not yet recorded.
 * Throws when an applied migration's file changed since.
 */
export async function migrate(
  client: ClickHouseClient,
  opts: { database: string; dir?: string; log?: (msg: string) => void },
): Promise<MigrateResult> {
  const { database } = opts
  assertIdentifier(database)
  const migrations = await loadMigrations(opts.dir)
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = MergeTree ORDER BY version`,
  })
  const done = await appliedMigrations(client, database)
  const result: MigrateResult = { applied: [], skipped: 0 }
  for (const m of migrations) {
    const prior = done.get(m.version)
    if (prior !== undefined) {
      if (prior !== m.checksum) {
        throw new LlmwatchError(
          'CLICKHOUSE',
          `migration ${m.version}_${m.name} was changed after it was applied (checksum differs); add a new migration instead`,
        )
      }
      result.skipped++
      continue
    }
    for (const stmt of m.statements) {
      const query = stmt.replaceAll('{{database}}', database)
      try {
        await client.command({ query })
      } catch (err) {
        throw new LlmwatchError('CLICKHOUSE', `migration ${m.version}_${m.name} failed on: ${query.slice(0, 120)}...`, {
          cause: err,
          retryable: true,
        })
      }
    }
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    })
    result.applied.push({ version: m.version, name: m.name })
    opts.log?.(`applied migration ${m.version}_${m.name}`)
  }
  return result
}

/** Current TTL days of a table as ClickHouse reports it, or 0 when it has none. */
async function currentTtlDays(client: ClickHouseClient, database: string, table: string): Promise<number> {
  const rs = await client.query({
    query: 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}',
    query_params: { db: database, t: table },
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{ engine_full: string }>()
  const row = rows[0]
  if (!row) throw new LlmwatchError('CLICKHOUSE', `table ${database}.${table} does not exist; run migrations first`)
  // ClickHouse normalizes `INTERVAL n DAY` to `toIntervalDay(n)` in engine_full.
  const m = / TTL .*?toIntervalDay\((\d+)\)/.exec(row.engine_full)
  return m?.[1] === undefined ? 0 : Number(m[1])
}

/** Sets each table's TTL to the configured retention; returns the tables it changed. */
export async function applyRetention(client: ClickHouseClient, database: string, retention: Retention): Promise<RetentionTable[]> {
  assertIdentifier(database)
  const changed: RetentionTable[] = []
  for (const [table, column] of Object.entries(RETENTION_TABLES) as [RetentionTable, string][]) {
    const want = retention[table]
    if ((await currentTtlDays(client, database, table)) === want) continue
    const query =
      want === 0
        ? `ALTER TABLE ${database}.${table} REMOVE TTL`
        : `ALTER TABLE ${database}.${table} MODIFY TTL toDateTime(${column}) + INTERVAL ${want} DAY`
    await client.command({ query })
    changed.push(table)
  }
  return changed
}
