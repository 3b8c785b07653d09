/**
 * The dashboard's ClickHouse queries: SELECTs only, over the analyst tables of docs/ANALYTICS.md.
 * Overview and charts read the per-minute (ranges up to 2 days) or hourly aggregates; only the
 * event list, one event, its trace, and the scorer shares filtered by environment or prompt version
 * (which scores_1m/1h do not carry) read raw rows. Values come in as query parameters, never as SQL.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { loadCatalog, type CatalogEntry } from '../scorer/scorers/cost.js'
import type { Filters, View } from './params.js'

type Params = Record<string, string | number | string[]>

export interface Db {
  rows<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>
}

/** A Db over @clickhouse/client (JSONEachRow). */
export function clickhouseDb(client: ClickHouseClient): Db {
  return {
    async rows<T>(sql: string, params: Params = {}) {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
      return unprefix(await rs.json<Record<string, unknown>>()) as T[]
    },
  }
}

/**
 * Output columns named like a source column take an `o_` prefix in SQL (in ClickHouse an alias
 * shadows the column of the same name in WHERE and ORDER BY too); it is removed here.
 */
export function unprefix(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(r)) out[k.startsWith('o_') ? k.slice(2) : k] = v
    return out
  })
}

/** ClickHouse JSON numbers: 64-bit integers arrive quoted, NaN as null or "nan". */
export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null
  const n = typeof v === 'number' ? v : Number(v)
  return Number.isFinite(n) ? n : null
}

const COLUMN: Record<keyof Filters, string> = { app: 'app_name', env: 'environment', model: 'request_model', version: 'prompt_template_version' }

/** `AND col = {p:String}` for each filter set, limited to the columns a table has. */
function filterSql(f: Filters, params: Params, has: readonly (keyof Filters)[] = ['app', 'env', 'model', 'version'], prefix = ''): string {
  let sql = ''
  for (const k of has) {
    if (!f[k]) continue
    sql += ` AND ${prefix}${COLUMN[k]} = {f_${k}:String}`
    params[`f_${k}`] = f[k]
  }
  return sql
}

/** Time condition on an aggregate table: whole minutes (hours) from the one holding `from`, before `to`. */
function aggTime(v: View, params: Params, prefix = ''): string {
  params.from_s = Math.floor(v.range.from / 1000)
  params.to_s = Math.ceil(v.range.to / 1000)
  const start = v.timeCol === 'minute' ? 'toStartOfMinute' : 'toStartOfHour'
  const col = `${prefix}${v.timeCol}`
  return `${col} >= ${start}(toDateTime({from_s:UInt32}, 'UTC')) AND ${col} < toDateTime({to_s:UInt32}, 'UTC')`
}

/** Time condition on a raw table's event_time: [from, to). */
function rawTime(v: View, params: Params, col = 'event_time'): string {
  params.from_ms = v.range.from
  params.to_ms = v.range.to
  return `${col} >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND ${col} < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`
}

// ---------------------------------------------------------------------------------------------
// Filters: the values seen in the range

export interface FilterOptions {
  app: string[]
  env: string[]
  model: string[]
  version: string[]
}

export async function filterOptions(db: Db, v: View): Promise<FilterOptions> {
  const params: Params = {}
  // The hourly table answers any range quickly; values of the last minutes are in it too.
  const hourView: View = { ...v, metrics: 'metrics_1h', timeCol: 'hour' }
  const rows = await db.rows<{ a: string[]; e: string[]; m: string[]; p: string[] }>(
    `SELECT groupUniqArray(100)(app_name) AS a, groupUniqArray(100)(environment) AS e, groupUniqArray(100)(request_model) AS m,
            groupUniqArray(100)(prompt_template_version) AS p
     FROM metrics_1h WHERE ${aggTime(hourView, params)}`,
    params,
  )
  const r = rows[0] ?? { a: [], e: [], m: [], p: [] }
  const sort = (xs: string[]) => [...xs].filter((x) => x !== '').sort()
  return { app: sort(r.a), env: sort(r.e), model: sort(r.m), version: sort(r.p) }
}

// ---------------------------------------------------------------------------------------------
// Overview

export interface Breakdown {
  app: string
  model: string
  events: number
  eventsPerSec: number
  errors: number
  errorRate: number | null
  p50: number | null
  p95: number | null
  ttftP50: number | null
  ttftP95: number | null
  costUsd: number
  costPerHour: number
  costPer1k: number | null
  unpriced: number
  cacheHits: number
  cacheHitRate: number | null
  cachedInputTokens: number
  /** USD the provider's prompt cache saved: cached input tokens at (input - cached input) price. */
  cacheSavingsUsd: number
}

export interface ScorerShare {
  scorer: string
  target: string
  scored: number
  flagged: number
  share: number | null
}

export interface Overview {
  range: { from: number; to: number; step: number; live: boolean; table: string }
  totals: Omit<Breakdown, 'app' | 'model'>
  byAppModel: Breakdown[]
  scorers: ScorerShare[]
  /** Where the scorer shares came from: the aggregate table, or raw `scores` when filtered by environment/prompt version. */
  scorersTable: string
  series: {
    t: number[]
    eventsPerSec: (number | null)[]
    errorRate: (number | null)[]
    p50: (number | null)[]
    p95: (number | null)[]
    ttftP50: (number | null)[]
    ttftP95: (number | null)[]
    costPerHour: (number | null)[]
    /** Events/s per app. */
    apps: Record<string, (number | null)[]>
    /** Flagged share per scorer (all targets). */
    flagged: Record<string, (number | null)[]>
  }
}

let priceByModel: Map<string, CatalogEntry> | undefined
/** Catalog entry of a model name (any provider; the aggregates do not keep the provider). */
function priceOfModel(model: string): CatalogEntry | undefined {
  if (!priceByModel) {
    priceByModel = new Map()
    for (const e of loadCatalog().models) for (const n of [e.model, ...e.aliases]) if (!priceByModel.has(n.toLowerCase())) priceByModel.set(n.toLowerCase(), e)
  }
  return priceByModel.get(model.toLowerCase())
}

interface AggRow {
  app_name: string
  request_model: string
  n_events: string
  n_errors: string
  n_cost: number
  n_unpriced: string
  n_hits: string
  n_cached: string
  p50: number | null
  p95: number | null
  t50: number | null
  t95: number | null
}

/** Each t-digest column merged once for both levels (quantiles, not two quantile calls). */
const METRIC_COLUMNS = `sum(events) AS n_events, sum(errors) AS n_errors, sum(cost_usd) AS n_cost, sum(unpriced_events) AS n_unpriced,
  sum(cache_hits) AS n_hits, sum(cached_input_tokens) AS n_cached,
  quantilesTDigestMerge(0.5, 0.95)(latency_ms_q) AS lq, lq[1] AS p50, lq[2] AS p95,
  quantilesTDigestMerge(0.5, 0.95)(ttft_ms_q) AS tq, tq[1] AS t50, tq[2] AS t95`

function breakdown(r: AggRow, hours: number, seconds: number, savings: number): Omit<Breakdown, 'app' | 'model'> {
  const events = num(r.n_events) ?? 0
  const errors = num(r.n_errors) ?? 0
  const cost = num(r.n_cost) ?? 0
  const unpriced = num(r.n_unpriced) ?? 0
  const hits = num(r.n_hits) ?? 0
  const priced = events - unpriced
  return {
    events,
    eventsPerSec: events / seconds,
    errors,
    errorRate: events ? errors / events : null,
    p50: num(r.p50),
    p95: num(r.p95),
    ttftP50: num(r.t50),
    ttftP95: num(r.t95),
    costUsd: cost,
    costPerHour: cost / hours,
    costPer1k: priced > 0 ? (cost / priced) * 1000 : null,
    unpriced,
    cacheHits: hits,
    cacheHitRate: events ? hits / events : null,
    cachedInputTokens: num(r.n_cached) ?? 0,
    cacheSavingsUsd: savings,
  }
}

export async function overview(db: Db, v: View): Promise<Overview> {
  const f = v.filters
  const seconds = (v.range.to - v.range.from) / 1000
  const hours = seconds / 3600

  // One scan of the metrics table: its states are first merged per step x app x model (one pass over
  // the stored t-digests, the costly part), then grouping sets over those few rows give the chart
  // series (per step), the events per app and step, the table per app and model, and the totals.
  // grouping(x) is 1 where x is aggregated away.
  const p1: Params = { step: v.step }
  const bucket = `toUnixTimestamp(toStartOfInterval(${v.timeCol}, INTERVAL {step:UInt32} SECOND))`
  const metricQuery = db.rows<AggRow & { b: string; gb: number; ga: number; gm: number }>(
    `SELECT b, app_name, request_model, ${METRIC_COLUMNS},
            grouping(b) AS gb, grouping(app_name) AS ga, grouping(request_model) AS gm
     FROM (
       SELECT toUnixTimestamp(toStartOfInterval(m.${v.timeCol}, INTERVAL {step:UInt32} SECOND)) AS b, m.app_name AS app_name, m.request_model AS request_model,
              sum(m.events) AS events, sum(m.errors) AS errors, sum(m.cost_usd) AS cost_usd, sum(m.unpriced_events) AS unpriced_events,
              sum(m.cache_hits) AS cache_hits, sum(m.cached_input_tokens) AS cached_input_tokens,
              quantileTDigestMergeState(m.latency_ms_q) AS latency_ms_q, quantileTDigestMergeState(m.ttft_ms_q) AS ttft_ms_q
       FROM ${v.metrics} AS m WHERE ${aggTime(v, p1, 'm.')}${filterSql(f, p1, undefined, 'm.')}
       GROUP BY b, app_name, request_model
     )
     GROUP BY GROUPING SETS ((b), (b, app_name), (app_name, request_model), ())
     ORDER BY n_events DESC`,
    p1,
  ).then((rows) => rows.map((r) => ({ ...r, gb: Number(r.gb), ga: Number(r.ga), gm: Number(r.gm) })))
  // Scorer shares: the aggregates carry app and model only; filtered by environment or prompt
  // version, the raw scores answer.
  const raw = Boolean(f.env || f.version)
  const p4: Params = { step: v.step }
  const scoreRows = raw
    ? db.rows<{ b: string; scorer: string; target: string; n_scored: string; n_flagged: string }>(
        `SELECT toUnixTimestamp(toStartOfInterval(event_time, INTERVAL {step:UInt32} SECOND)) AS b, scorer, target,
                countIf(status = 'ok') AS n_scored, countIf(flagged) AS n_flagged
         FROM scores WHERE ${rawTime(v, p4)}${filterSql(f, p4)}
         GROUP BY b, scorer, target ORDER BY b`,
        p4,
      )
    : db.rows<{ b: string; scorer: string; target: string; n_scored: string; n_flagged: string }>(
        `SELECT ${bucket} AS b, scorer, target, sum(scored) AS n_scored, sum(flagged) AS n_flagged
         FROM ${v.scores} WHERE ${aggTime(v, p4)}${filterSql(f, p4, ['app', 'model'])}
         GROUP BY b, scorer, target ORDER BY b`,
        p4,
      )

  const [metricRows, scores] = await Promise.all([metricQuery, scoreRows])
  const by = metricRows.filter((r) => r.gb === 1)
  const series = metricRows.filter((r) => r.gb === 0 && r.ga === 1)
  const apps = metricRows.filter((r) => r.gb === 0 && r.ga === 0 && r.gm === 1)

  // Timeline: every step from the range start, so gaps show as gaps.
  const first = Math.floor(v.range.from / 1000 / v.step) * v.step
  const t: number[] = []
  for (let x = first; x < v.range.to / 1000; x += v.step) t.push(x)
  const idx = new Map(t.map((x, i) => [x, i]))
  const empty = () => t.map((): number | null => null)
  const out: Overview['series'] = {
    t,
    eventsPerSec: empty(),
    errorRate: empty(),
    p50: empty(),
    p95: empty(),
    ttftP50: empty(),
    ttftP95: empty(),
    costPerHour: empty(),
    apps: {},
    flagged: {},
  }
  for (const r of series) {
    const i = idx.get(Number(r.b))
    if (i === undefined) continue
    const events = num(r.n_events) ?? 0
    out.eventsPerSec[i] = events / v.step
    out.errorRate[i] = events ? (num(r.n_errors) ?? 0) / events : null
    out.p50[i] = num(r.p50)
    out.p95[i] = num(r.p95)
    out.ttftP50[i] = num(r.t50)
    out.ttftP95[i] = num(r.t95)
    out.costPerHour[i] = ((num(r.n_cost) ?? 0) * 3600) / v.step
  }
  for (const r of apps) {
    const i = idx.get(Number(r.b))
    if (i === undefined) continue
    ;(out.apps[r.app_name] ??= empty())[i] = (num(r.n_events) ?? 0) / v.step
  }
  const perScorer = new Map<string, ScorerShare>()
  const perBucket = new Map<string, { s: number[]; f: number[] }>()
  for (const r of scores) {
    const s = num(r.n_scored) ?? 0
    const fl = num(r.n_flagged) ?? 0
    const key = `${r.scorer}\u0000${r.target}`
    const agg = perScorer.get(key) ?? { scorer: r.scorer, target: r.target, scored: 0, flagged: 0, share: null }
    agg.scored += s
    agg.flagged += fl
    perScorer.set(key, agg)
    const i = idx.get(Number(r.b))
    if (i === undefined) continue
    const b = perBucket.get(r.scorer) ?? { s: t.map(() => 0), f: t.map(() => 0) }
    b.s[i]! += s
    b.f[i]! += fl
    perBucket.set(r.scorer, b)
  }
  for (const [scorer, b] of perBucket) out.flagged[scorer] = b.s.map((s, i) => (s > 0 ? b.f[i]! / s : null))
  const shares = [...perScorer.values()]
    .map((x) => ({ ...x, share: x.scored > 0 ? x.flagged / x.scored : null }))
    .filter((x) => x.scored > 0)
    .sort((a, b) => a.scorer.localeCompare(b.scorer) || a.target.localeCompare(b.target))

  let totalSavings = 0
  const rows: Breakdown[] = []
  let totals: Omit<Breakdown, 'app' | 'model'> | undefined
  for (const r of by) {
    if (r.ga === 1) {
      totals = breakdown(r, hours, seconds, 0)
      continue
    }
    const price = priceOfModel(r.request_model)
    const cached = num(r.n_cached) ?? 0
    const savings = price ? (cached * Math.max(0, price.input_per_mtok - price.cached_input_per_mtok)) / 1_000_000 : 0
    totalSavings += savings
    rows.push({ app: r.app_name, model: r.request_model, ...breakdown(r, hours, seconds, savings) })
  }
  totals ??= breakdown({ app_name: '', request_model: '', n_events: '0', n_errors: '0', n_cost: 0, n_unpriced: '0', n_hits: '0', n_cached: '0', p50: null, p95: null, t50: null, t95: null }, hours, seconds, 0)
  totals.cacheSavingsUsd = totalSavings

  return {
    range: { from: v.range.from, to: v.range.to, step: v.step, live: v.range.live, table: v.metrics },
    totals,
    byAppModel: rows,
    scorers: shares,
    scorersTable: raw ? 'scores' : v.scores,
    series: out,
  }
}

// ---------------------------------------------------------------------------------------------
// Alerts

export interface AlertRow {
  alert_id: string
  rule: string
  kind: string
  severity: string
  state: string
  reminder: boolean
  labels: Record<string, string>
  dedup_key: string
  value: number
  threshold: number
  window_seconds: number
  /** Epoch ms. */
  started_time: number
  ended_time: number | null
  emitted_time: number
  summary: string
  runbook_url: string
  example_event_ids: string[]
}

const ALERT_COLUMNS = `toString(alert_id) AS o_alert_id, rule, kind, severity, state, reminder, labels, dedup_key, value, threshold, window_seconds,
  toUnixTimestamp64Milli(started_time) AS o_started_time, toUnixTimestamp64Milli(ended_time) AS o_ended_time,
  toUnixTimestamp64Milli(emitted_time) AS o_emitted_time, summary, runbook_url, example_event_ids`

/** Alert labels matching the filters: a label the alert does not carry matches anything. */
function alertFilterSql(f: Filters, params: Params, prefix = ''): string {
  let sql = ''
  for (const k of ['app', 'env', 'model', 'version'] as const) {
    if (!f[k]) continue
    sql += ` AND ${prefix}labels[{l_${k}:String}] IN ('', {f_${k}:String})`
    params[`l_${k}`] = COLUMN[k]
    params[`f_${k}`] = f[k]
  }
  return sql
}

function alertOut(r: AlertRow): AlertRow {
  return {
    ...r,
    value: Number(r.value),
    threshold: Number(r.threshold),
    window_seconds: Number(r.window_seconds),
    started_time: num(r.started_time) ?? 0,
    ended_time: num(r.ended_time),
    emitted_time: num(r.emitted_time) ?? 0,
  }
}

export interface Alerts {
  /** Alerts whose latest record (at the range end) is `firing`: the latest record of each. */
  firing: AlertRow[]
  /** Every record emitted in the range, newest first (reminders included, marked). */
  history: AlertRow[]
}

export async function alerts(db: Db, v: View, limit = 200): Promise<Alerts> {
  const p1: Params = { to_ms: v.range.to }
  // Firing "now" looks back 30 days whatever the range: an alert firing for days is still firing.
  const firing = db.rows<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM (
       SELECT * FROM alerts
       WHERE emitted_time >= fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC') - INTERVAL 30 DAY
         AND emitted_time < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')${alertFilterSql(v.filters, p1)}
       ORDER BY emitted_time DESC LIMIT 1 BY dedup_key
     ) WHERE state = 'firing' ORDER BY severity = 'critical' DESC, emitted_time DESC`,
    p1,
  )
  const p2: Params = { limit }
  const history = db.rows<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${rawTime(v, p2, 'emitted_time')}${alertFilterSql(v.filters, p2)}
     ORDER BY emitted_time DESC LIMIT {limit:UInt32}`,
    p2,
  )
  const [a, b] = await Promise.all([firing, history])
  return { firing: a.map(alertOut), history: b.map(alertOut) }
}

// ---------------------------------------------------------------------------------------------
// Events

export interface EventQuery {
  /** Only events this scorer flagged ('' any). */
  flagged: string
  /** With `scorer`: events whose score of that scorer lies in [min, max]. */
  scorer: string
  min: number | null
  max: number | null
  /** Text search in the stored prompt and response (case-insensitive). */
  q: string
  status: '' | 'ok' | 'error'
  /** Explicit event ids (an alert's examples). */
  ids: string[]
  limit: number
}

export interface EventSummary {
  event_id: string
  event_time: number
  app_name: string
  environment: string
  request_model: string
  prompt_template_version: string
  status: string
  latency_ms: number
  cost_usd: number | null
  flagged_scorers: string[]
  trace_id: string
  response_preview: string
}

export async function events(db: Db, v: View, e: EventQuery): Promise<EventSummary[]> {
  const params: Params = { limit: e.limit }
  let where = e.ids.length > 0 ? 'event_id IN {ids:Array(UUID)}' : rawTime(v, params)
  if (e.ids.length > 0) params.ids = e.ids
  else where += filterSql(v.filters, params)
  if (e.flagged) {
    where += ' AND has(flagged_scorers, {flagged:String})'
    params.flagged = e.flagged
  }
  if (e.status) {
    where += ' AND status = {status:String}'
    params.status = e.status
  }
  if (e.q) {
    where += ' AND (positionCaseInsensitiveUTF8(prompt_text, {q:String}) > 0 OR positionCaseInsensitiveUTF8(response_text, {q:String}) > 0)'
    params.q = e.q
  }
  if (e.scorer && (e.min !== null || e.max !== null)) {
    const sp: string[] = ['scorer = {s_scorer:String}', "status = 'ok'"]
    params.s_scorer = e.scorer
    if (e.min !== null) {
      sp.push('value >= {s_min:Float64}')
      params.s_min = e.min
    }
    if (e.max !== null) {
      sp.push('value <= {s_max:Float64}')
      params.s_max = e.max
    }
    const timeSql = e.ids.length > 0 ? '1' : rawTime(v, params)
    where += ` AND event_id IN (SELECT event_id FROM scores WHERE ${timeSql} AND ${sp.join(' AND ')}${e.ids.length > 0 ? '' : filterSql(v.filters, {}, ['app', 'model'])})`
  }
  const rows = await db.rows<EventSummary>(
    `SELECT toString(event_id) AS o_event_id, toUnixTimestamp64Milli(event_time) AS o_event_time, app_name, environment, request_model,
            prompt_template_version, status, latency_ms, cost_usd, flagged_scorers, trace_id,
            leftUTF8(response_text, 160) AS response_preview
     FROM interactions WHERE ${where}
     ORDER BY event_time DESC LIMIT {limit:UInt32}`,
    params,
  )
  return rows.map((r) => ({ ...r, event_time: Number(r.event_time), latency_ms: Number(r.latency_ms), cost_usd: num(r.cost_usd) }))
}

export interface ScoreDetail {
  scorer: string
  target: string
  version: string
  status: string
  value: number | null
  label: string
  flagged: boolean
  /** The scorer's evidence (JSON), as stored (it follows the event's privacy mode). */
  details: unknown
}

export interface EventDetail {
  event: Record<string, unknown>
  scores: ScoreDetail[]
  /** Other events of the same trace, oldest first. */
  trace: EventSummary[]
}

/** One event; `atMs` (its event_time, as the event lists link it) narrows the lookup to its partition. */
export async function eventDetail(db: Db, id: string, atMs: number | null = null): Promise<EventDetail | null> {
  const rows = await db.rows<Record<string, unknown>>(
    `SELECT toString(event_id) AS o_event_id, toUnixTimestamp64Milli(event_time) AS o_event_time, toUnixTimestamp64Milli(end_time) AS o_end_time,
            app_name, environment, provider_name, operation_name, request_model, response_model, prompt_template_id, prompt_template_version,
            trace_id, session_id, user_id_hash, latency_ms, ttft_ms, input_tokens, output_tokens, cached_input_tokens, cost_usd,
            status, error_type, cache_hit, text_mode, prompt_text, response_text, flagged_scorers
     FROM interactions WHERE event_id = {id:UUID}${atMs === null ? '' : " AND event_time = fromUnixTimestamp64Milli({at:Int64}, 'UTC')"} LIMIT 1`,
    atMs === null ? { id } : { id, at: atMs },
  )
  const ev = rows[0]
  if (!ev) return null
  for (const k of ['event_time', 'end_time', 'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_usd']) ev[k] = num(ev[k])
  const t = Number(ev.event_time)
  const [scores, trace] = await Promise.all([
    db.rows<ScoreDetail & { details: string }>(
      `SELECT scorer, target, version, status, value, label, flagged, details FROM scores
       WHERE event_id = {id:UUID} AND event_time = fromUnixTimestamp64Milli({t:Int64}, 'UTC') ORDER BY scorer, target`,
      { id, t },
    ),
    ev.trace_id
      ? db.rows<EventSummary>(
          `SELECT toString(event_id) AS o_event_id, toUnixTimestamp64Milli(event_time) AS o_event_time, app_name, environment, request_model,
                  prompt_template_version, status, latency_ms, cost_usd, flagged_scorers, trace_id, leftUTF8(response_text, 160) AS response_preview
           FROM interactions
           WHERE trace_id = {trace:String} AND app_name = {app:String}
             AND event_time BETWEEN fromUnixTimestamp64Milli({t:Int64}, 'UTC') - INTERVAL 1 DAY AND fromUnixTimestamp64Milli({t:Int64}, 'UTC') + INTERVAL 1 DAY
           ORDER BY event_time LIMIT 200`,
          { trace: String(ev.trace_id), app: String(ev.app_name), t },
        )
      : Promise.resolve([]),
  ])
  return {
    event: ev,
    scores: scores.map((s) => ({ ...s, value: num(s.value), details: parseJson(s.details) })),
    trace: trace.map((r) => ({ ...r, event_time: Number(r.event_time), latency_ms: Number(r.latency_ms), cost_usd: num(r.cost_usd) })),
  }
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return s
  }
}
