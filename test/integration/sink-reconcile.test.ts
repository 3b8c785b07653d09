/**
 * Reconciliation rebuilds aggregate buckets that a crash left short, from the raw rows, and leaves
 * correct buckets alone.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { migrate } from '../../shared/migrate.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { reconcileAggregates } from '../../services/sink/reconcile.js'
import { scoredUnit, TABLES } from '../../services/sink/rows.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { defaultScorerConfig } from '../../services/scorer/scorer-config.js'
import { scoreEvent } from '../../services/scorer/engine.js'
import { testClickHouse, uniqueName } from '../helpers.js'

let ch: ClickHouseClient
afterAll(async () => {
  await ch?.close()
})

const num = async (q: string) => {
  const r = await ch.query({ query: q, format: 'JSONEachRow' })
  return Number(Object.values(((await r.json()) as Record<string, unknown>[])[0] ?? { n: 0 })[0])
}

describe('aggregate reconciliation', () => {
  it('rebuilds exactly the buckets that lost rows, from the raw tables', async () => {
    const database = uniqueName('rec').replace(/-/g, '_')
    ch = await testClickHouse(database)
    await migrate(ch, { database, log: () => {} })
    const config = defaultScorerConfig(SCORERS)
    const scored = generateEvents(400, 3, { ratePerSec: 2 }).map((e) => scoreEvent(e, SCORERS, config))
    const units = scored.map((s, i) => scoredUnit(s, { topic: 't', partition: 0, offset: String(i) }, 'redacted'))
    const interactions = units.flatMap((u) => u.rows[TABLES.interactions] ?? [])
    const scoreRows = scored.flatMap((s) => s.scores)
    await ch.insert({ table: 'interactions', values: interactions, format: 'JSONEachRow' })
    expect(await reconcileAggregates(ch, database)).toEqual({ rebuilt: { metrics_1m: 0, metrics_1h: 0, scores_1m: 0, scores_1h: 0 } })

    // A crash between views: rows of some minutes missing from metrics_1m and scores_1h.
    await ch.command({ query: `ALTER TABLE metrics_1m DELETE WHERE minute IN (SELECT DISTINCT minute FROM metrics_1m ORDER BY minute LIMIT 2)`, clickhouse_settings: { mutations_sync: '2' } })
    await ch.command({ query: `ALTER TABLE scores_1h DELETE WHERE scorer = 'toxicity'`, clickhouse_settings: { mutations_sync: '2' } })
    expect(await num('SELECT sum(events) FROM metrics_1m')).toBeLessThan(interactions.length)
    const res = await reconcileAggregates(ch, database)
    expect(res.rebuilt.metrics_1m).toBe(2)
    expect(res.rebuilt.scores_1h).toBeGreaterThan(0)
    expect(res.rebuilt.metrics_1h).toBe(0)

    // Every aggregate equals its raw table again, values included.
    expect(await num('SELECT sum(events) FROM metrics_1m')).toBe(interactions.length)
    expect(await num('SELECT sum(rows) FROM scores_1h')).toBe(scoreRows.length)
    expect(await num('SELECT round(sum(cost_usd), 6) FROM metrics_1m')).toBe(await num('SELECT round(sum(ifNull(cost_usd, 0)), 6) FROM interactions'))
    expect(await num('SELECT sum(flagged) FROM scores_1h')).toBe(await num('SELECT countIf(flagged) FROM scores'))
    expect(await num('SELECT round(quantileTDigestMerge(0.5)(latency_ms_q)) FROM metrics_1m')).toBeGreaterThan(0)
  })
})
