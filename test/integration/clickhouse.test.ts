/** A ClickHouse round trip through the project's client factory (embedded chDB unless CLICKHOUSE_URL). */
import { afterAll, describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { testClickHouse } from '../helpers.js'

let ch: ClickHouseClient | undefined
afterAll(async () => {
  await ch?.close()
})

describe('ClickHouse through @clickhouse/client', () => {
  it('creates, inserts, aggregates with -State/-Merge and queries with parameters', async () => {
    ch = await testClickHouse()
    await ch.command({ query: 'CREATE TABLE ev (t DateTime64(3), app LowCardinality(String), ms Float64) ENGINE = MergeTree ORDER BY (app, t)' })
    await ch.command({
      query: 'CREATE TABLE ev_1m (m DateTime, app LowCardinality(String), n AggregateFunction(count), p AggregateFunction(quantileTDigest(0.95), Float64)) ENGINE = AggregatingMergeTree ORDER BY (app, m)',
    })
    await ch.command({ query: 'CREATE MATERIALIZED VIEW ev_mv TO ev_1m AS SELECT toStartOfMinute(t) m, app, countState() n, quantileTDigestState(0.95)(ms) p FROM ev GROUP BY m, app' })
    const rows = Array.from({ length: 1000 }, (_, i) => ({ t: Date.now() - i, app: i % 2 ? 'a' : 'b', ms: i }))
    await ch.insert({ table: 'ev', values: rows, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } })
    const res = await ch.query({ query: 'SELECT app, countMerge(n) AS n FROM ev_1m WHERE app = {app:String} GROUP BY app', query_params: { app: 'a' }, format: 'JSONEachRow' })
    // UInt64 is a JSON string over HTTP and a number from chDB: callers coerce with Number().
    const got = (await res.json()) as { app: string; n: string | number }[]
    expect(got.map((r) => ({ app: r.app, n: Number(r.n) }))).toEqual([{ app: 'a', n: 500 }])
    await expect(ch.query({ query: 'SELECT no_such_column FROM ev' })).rejects.toMatchObject({ code: '47' })
  })
})
