import { writeFile, mkdir, cp, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir, testClickHouse } from '../helpers.js'
import { applyRetention, migrate, MIGRATIONS_DIR, splitStatements, type Retention } from '../../shared/migrate.js'
import { scored } from './sink-fixtures.js'

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
    expect(first.applied.map((m) => m.version)).toEqual([1, 2, 3, 4])
    const tables = await rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'm1' ORDER BY name`)
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'interactions', 'scores', 'alerts', 'metrics_1m', 'metrics_1h', 'scores_1m', 'scores_1h',
        'quality_by_model_daily', 'cost_by_app_daily', 'latency_slo_daily', 'top_flagged_events', 'schema_migrations',
      ]),
    )
    const second = await migrate(client, { database: 'm1' })
    expect(second).toEqual({ applied: [], skipped: 4 })
    const recorded = await rows<{ n: string | number }>('SELECT count() AS n FROM m1.schema_migrations')
    expect(Number(recorded[0]?.n)).toBe(4)
  })

  it('re-applies a half-applied migration without error (statements are idempotent)', async () => {
    // Simulate a crash after the first statement of 0001: the table exists, nothing is recorded.
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS m2' })
    const sql = await readFile(path.join(MIGRATIONS_DIR, '0001_raw_tables.sql'), 'utf8')
    const first = splitStatements(sql)[0]!
    await client.command({ query: first.replaceAll('{{database}}', 'm2') })
    const res = await migrate(client, { database: 'm2' })
    expect(res.applied.map((m) => m.version)).toEqual([1, 2, 3, 4])
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
      interactions: 7, alerts: 90, metrics_1m: 14, scores_1m: 14, metrics_1h: 0, scores_1h: 0,
    }
    const changed = await applyRetention(client, 'm4', retention)
    expect(changed.sort()).toEqual(['alerts', 'interactions', 'metrics_1m', 'scores_1m'])
    const t = await rows<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = 'm4' AND name = 'interactions'`)
    expect(t[0]?.engine_full).toContain('TTL toDateTime(event_time) + toIntervalDay(7)')
    expect(await applyRetention(client, 'm4', retention)).toEqual([])
    expect(await applyRetention(client, 'm4', { ...retention, interactions: 0 })).toEqual(['interactions'])
    const t2 = await rows<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = 'm4' AND name = 'interactions'`)
    expect(t2[0]?.engine_full).not.toContain('TTL')
  })

  it('0004 moves the long score rows onto their events: the scores view and the aggregates answer as before, and a re-run changes nothing', async () => {
    // A database at 0003 holding data written in the old shape (one scores row per entry).
    const old = path.join(dir, 'upto3')
    await mkdir(old)
    for (const f of ['0001_raw_tables.sql', '0002_aggregates.sql', '0003_analyst_views.sql']) await cp(path.join(MIGRATIONS_DIR, f), path.join(old, f))
    await migrate(client, { database: 'm5', dir: old })
    const events = [
      scored({ app: 'a', scores: { toxicity: [0.25, true], pii: [null, false, 'prompt'] } }),
      scored({ app: 'a', scores: { toxicity: [0.5, false], injection: [0.125, true, 'prompt'] } }),
      scored({ app: 'b', scores: {} }),
    ]
    events[0]!.scores[0]!.details = '{"quote":"ünïcödé 😀","n":1}'
    events[0]!.scores[1]!.status = 'error'
    const meta = (i: number) => ({ _topic: 'llm.scores', _partition: 1, _offset: String(10 + i) })
    await client.insert({
      table: 'm5.interactions', format: 'JSONEachRow',
      values: events.map((e, i) => ({
        event_id: e.event_id, event_time: e.request_start_time, end_time: e.end_time, scored_time: e.scored_time, app_name: e.app_name,
        environment: e.environment, provider_name: e.provider_name, request_model: e.request_model, prompt_template_version: e.prompt_template_version, latency_ms: e.latency_ms,
        status: e.status, text_mode: 'full', flagged_scorers: [...new Set(e.scores.filter((x) => x.flagged).map((x) => x.name))], ...meta(i),
      })),
    })
    await client.insert({
      table: 'm5.scores', format: 'JSONEachRow',
      values: events.flatMap((e, i) => e.scores.map((x) => ({
        event_id: e.event_id, event_time: e.request_start_time, app_name: e.app_name, environment: e.environment, provider_name: e.provider_name,
        request_model: e.request_model, prompt_template_version: e.prompt_template_version, scorer: x.name, target: x.target, version: x.version,
        status: x.status, value: x.value, label: x.label, flagged: x.flagged, details: x.details, ...meta(i),
      }))),
    })
    const longRows = `SELECT * EXCEPT _inserted_at FROM m5.scores ORDER BY _offset, scorer, target`
    const aggs = `SELECT scorer, target, sum(rows) AS r, sum(scored) AS s, sum(errors) AS e, sum(flagged) AS f, sum(value_sum) AS v FROM m5.scores_1m GROUP BY scorer, target ORDER BY scorer, target`
    const before = { rows: await rows(longRows), aggs: await rows(aggs) }
    expect(before.rows).toHaveLength(4)

    expect((await migrate(client, { database: 'm5' })).applied.map((m) => m.version)).toEqual([4])
    const kinds = await rows<{ name: string; engine: string }>(`SELECT name, engine FROM system.tables WHERE database = 'm5' AND name IN ('scores', 'migration_0004_scores') ORDER BY name`)
    expect(kinds).toEqual([{ name: 'scores', engine: 'View' }])
    expect(await rows(longRows)).toEqual(before.rows)
    expect(await rows(aggs)).toEqual(before.aggs)
    const one = await rows<{ s: Record<string, number | null>; flags: string[] }>(`SELECT scores AS s, flags FROM m5.interactions WHERE _offset = 10`)
    expect(one[0]).toEqual({ s: { 'toxicity:response': 0.25, 'pii:prompt': null }, flags: ['toxicity:response'] })

    // A crash before 0004 was recorded: it runs again in full and changes nothing.
    await client.command({ query: `ALTER TABLE m5.schema_migrations DELETE WHERE version = 4`, clickhouse_settings: { mutations_sync: '2' } })
    expect((await migrate(client, { database: 'm5' })).applied.map((m) => m.version)).toEqual([4])
    expect(await rows(longRows)).toEqual(before.rows)
    expect(await rows(aggs)).toEqual(before.aggs)
  })
})
