import { writeFile, mkdir, cp, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir, testClickHouse } from '../helpers.js'
import { applyRetention, migrate, MIGRATIONS_DIR, splitStatements, type Retention } from '../../shared/migrate.js'

let client: ClickHouseClient
let dir: string

beforeAll(async () => {
  dir = tempDir('llmwatch-migrate-')
  client = await testClickHouse('m0')
})
afterAll(async () => {
  await client.close()
})

async function rows<T>(query: string): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow' })
  return rs.json<T>()
}

describe('migrate', () => {
  it('splits statements on line-ending semicolons and drops comment lines', () => {
    expect(splitStatements('-- a comment; here\nSELECT 1;\n\nSELECT\n  2 ;\n')).toEqual(['SELECT 1', 'SELECT\n  2'])
  })

  it('creates every table and view, and a second run applies nothing', async () => {
    const first = await migrate(client, { database: 'm1' })
    expect(first.applied.map((m) => m.version)).toEqual([1, 2, 3])
    const tables = await rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'm1' ORDER BY name`)
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'interactions', 'scores', 'alerts', 'metrics_1m', 'metrics_1h', 'scores_1m', 'scores_1h',
        'quality_by_model_daily', 'cost_by_app_daily', 'latency_slo_daily', 'top_flagged_events', 'schema_migrations',
      ]),
    )
    const second = await migrate(client, { database: 'm1' })
    expect(second).toEqual({ applied: [], skipped: 3 })
    const recorded = await rows<{ n: string | number }>('SELECT count() AS n FROM m1.schema_migrations')
    expect(Number(recorded[0]?.n)).toBe(3)
  })

  it('re-applies a half-applied migration without error (statements are idempotent)', async () => {
    // Simulate a crash after the first statement of 0001: the table exists, nothing is recorded.
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS m2' })
    const sql = await readFile(path.join(MIGRATIONS_DIR, '0001_raw_tables.sql'), 'utf8')
    const first = splitStatements(sql)[0]!
    await client.command({ query: first.replaceAll('{{database}}', 'm2') })
    const res = await migrate(client, { database: 'm2' })
    expect(res.applied.map((m) => m.version)).toEqual([1, 2, 3])
  })

  it('refuses a migration file edited after it was applied', async () => {
    const mdir = path.join(dir, 'migrations')
    await mkdir(mdir)
    await cp(MIGRATIONS_DIR, mdir, { recursive: true })
    await migrate(client, { database: 'm3', dir: mdir })
    await writeFile(path.join(mdir, '0003_analyst_views.sql'), '-- edited\nSELECT 1;\n')
    await expect(migrate(client, { database: 'm3', dir: mdir })).rejects.toThrow(/changed after it was applied/)
  })

  it('sets TTLs from the retention config and only alters what changed', async () => {
    await migrate(client, { database: 'm4' })
    const retention: Retention = {
      interactions: 7, scores: 7, alerts: 90, metrics_1m: 14, scores_1m: 14, metrics_1h: 0, scores_1h: 0,
    }
    const changed = await applyRetention(client, 'm4', retention)
    expect(changed.sort()).toEqual(['alerts', 'interactions', 'metrics_1m', 'scores', 'scores_1m'])
    const t = await rows<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = 'm4' AND name = 'interactions'`)
    expect(t[0]?.engine_full).toContain('TTL toDateTime(event_time) + toIntervalDay(7)')
    expect(await applyRetention(client, 'm4', retention)).toEqual([])
    expect(await applyRetention(client, 'm4', { ...retention, interactions: 0 })).toEqual(['interactions'])
    const t2 = await rows<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = 'm4' AND name = 'interactions'`)
    expect(t2[0]?.engine_full).not.toContain('TTL')
  })
})
