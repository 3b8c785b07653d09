/**
 * Aggregate reconciliation at sink start-up.
 *
 * A materialized view runs inside the INSERT into its source table, but the views of one source
 * run one after the other and not atomically with it. With embedded chDB the engine lives in the
 * sink's process, so a kill -9 in the middle of an insert can leave a raw block stored and one of
 * its views without it. On restart the writer sees those offsets in the raw table and skips them
 * (exactly-once into raw tables), so the view would stay short for good.
 *
 * The raw tables are the truth. Before consuming, the sink compares, for every time bucket that
 * received raw rows recently, the aggregate's row count with the raw table's, and rebuilds the
 * buckets that differ from the raw rows with the view's own SELECT (read from system.tables, so the
 * rebuild cannot drift from the view). Nothing else writes these tables while it runs: it runs before
 * the sink's consumers start.
 */
import type { ClickHouseClient } from '../../shared/clickhouse.js'

interface AggregateSpec {
  view: string
  target: string
  /** The table the view reads (its `FROM ... AS src`). */
  source: 'interactions'
  /** What the aggregate counts, one row each: the raw table, or the `scores` view (one row per score entry). */
  counted: 'interactions' | 'scores'
  bucket: 'minute' | 'hour'
  /** The aggregate column that counts source rows. */
  countColumn: string
}

export const AGGREGATES: readonly AggregateSpec[] = [
  { view: 'metrics_1m_mv', target: 'metrics_1m', source: 'interactions', counted: 'interactions', bucket: 'minute', countColumn: 'events' },
  { view: 'metrics_1h_mv', target: 'metrics_1h', source: 'interactions', counted: 'interactions', bucket: 'hour', countColumn: 'events' },
  { view: 'scores_1m_mv', target: 'scores_1m', source: 'interactions', counted: 'scores', bucket: 'minute', countColumn: 'rows' },
  { view: 'scores_1h_mv', target: 'scores_1h', source: 'interactions', counted: 'scores', bucket: 'hour', countColumn: 'rows' },
]

export interface ReconcileResult {
  /** Buckets rebuilt, per aggregate table. */
  rebuilt: Record<string, number>
}

const bucketFn = (b: AggregateSpec['bucket']) => (b === 'minute' ? 'toStartOfMinute' : 'toStartOfHour')

async function rows<T>(ch: Pick<ClickHouseClient, 'query'>, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const r = await ch.query({ query, query_params: params, format: 'JSONEachRow' })
  return (await r.json()) as T[]
}

/**
 * Rebuilds every aggregate bucket whose row count differs from its raw table, among the buckets
 * that received raw rows in the last `lookbackHours` (by insert time).
 */
export async function reconcileAggregates(
  ch: Pick<ClickHouseClient, 'query' | 'command'>,
  database: string,
  opts: { lookbackHours?: number; log?: (msg: string, data?: Record<string, unknown>) => void } = {},
): Promise<ReconcileResult> {
  const lookback = opts.lookbackHours ?? 24
  const rebuilt: Record<string, number> = {}
  for (const a of AGGREGATES) {
    const fn = bucketFn(a.bucket)
    // Buckets with recent raw rows whose counts differ from the aggregate's.
    const diff = await rows<{ b: number }>(
      ch,
      `SELECT toUnixTimestamp(r.b) AS b
       FROM (SELECT ${fn}(event_time) AS b, count() AS n FROM ${database}.${a.counted}
             WHERE ${fn}(event_time) IN (SELECT DISTINCT ${fn}(event_time) FROM ${database}.${a.source} WHERE _inserted_at >= now() - INTERVAL {h:UInt32} HOUR)
             GROUP BY b) AS r
       LEFT JOIN (SELECT ${a.bucket} AS b, sum(${a.countColumn}) AS n FROM ${database}.${a.target} GROUP BY b) AS g ON r.b = g.b
       WHERE r.n != g.n`,
      { h: lookback },
    )
    rebuilt[a.target] = diff.length
    if (diff.length === 0) continue
    const buckets = diff.map((d) => Number(d.b))
    const [def] = await rows<{ as_select: string }>(ch, 'SELECT as_select FROM system.tables WHERE database = {db:String} AND name = {v:String}', { db: database, v: a.view })
    if (!def?.as_select) throw new Error(`reconcile: materialized view ${database}.${a.view} not found`)
    const from = new RegExp(`FROM\\s+\`?${database}\`?\\.\`?${a.source}\`?\\s+AS\\s+src`, 'i')
    if (!from.test(def.as_select)) throw new Error(`reconcile: cannot find the source of ${a.view} in its SELECT`)
    const inList = `(${buckets.map((b) => `toDateTime(${b}, 'UTC')`).join(', ')})`
    const select = def.as_select.replace(from, `FROM (SELECT * FROM ${database}.${a.source} WHERE ${fn}(event_time) IN ${inList}) AS src`)
    opts.log?.('rebuilding aggregate buckets from raw rows', { table: a.target, buckets: buckets.length })
    await ch.command({ query: `ALTER TABLE ${database}.${a.target} DELETE WHERE ${a.bucket} IN ${inList}`, clickhouse_settings: { mutations_sync: '2' } })
    await ch.command({ query: `INSERT INTO ${database}.${a.target} ${select}` })
  }
  return { rebuilt }
}
