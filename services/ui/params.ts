/**
 * The dashboard's URL state: time range and filters, the same query string on every page and every
 * JSON endpoint, so a pasted link shows the same view. Bad values answer 400 naming the parameter.
 *
 * - `range`: 15m to 30d (`<n>m|h|d`), default 1h.
 * - `end`: the end of the range (epoch ms or ISO 8601); unset means now (live).
 * - `app`, `env`, `model`, `version`: filters on app_name, environment, request_model and
 *   prompt_template_version (empty = all).
 */
export class ParamError extends Error {
  constructor(readonly param: string, message: string) {
    super(`${param}: ${message}`)
  }
}

export interface Filters {
  app: string
  env: string
  model: string
  version: string
}

export interface Range {
  /** The `range` parameter as given (normalized), e.g. "1h". */
  label: string
  /** Epoch ms, [from, to). */
  from: number
  to: number
  /** True when `end` was not given: the view follows now. */
  live: boolean
}

export interface View {
  range: Range
  filters: Filters
  /** Seconds per chart point. */
  step: number
  /** The aggregate tables that fit the range and step. */
  metrics: 'metrics_1m' | 'metrics_1h'
  scores: 'scores_1m' | 'scores_1h'
  /** Their time column. */
  timeCol: 'minute' | 'hour'
}

const MIN_RANGE = 15 * 60_000
const MAX_RANGE = 30 * 86_400_000
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 }
/** Chart steps (s): the smallest one giving at most MAX_POINTS points over the range. */
const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400]
const MAX_POINTS = 120
/**
 * Up to this range the minute tables are read; beyond, the hourly ones (whole hours from the one
 * holding the range start). A range's cost is the t-digest states it merges (one per minute or hour
 * and series), not the events behind them: a day of minutes is 24x a day of hours.
 */
const MINUTE_TABLES_UP_TO = 12 * 3_600_000

export const RANGE_PRESETS = ['15m', '1h', '6h', '24h', '7d', '30d'] as const

const FILTER_NAMES = ['app', 'env', 'model', 'version'] as const

function filterValue(q: URLSearchParams, name: string): string {
  const v = (q.get(name) ?? '').trim()
  if (v.length > 256) throw new ParamError(name, 'expected at most 256 characters')
  return v
}

export function parseRange(q: URLSearchParams, now = Date.now()): Range {
  const raw = (q.get('range') ?? '1h').trim() || '1h'
  const m = /^(\d{1,5})([mhd])$/.exec(raw)
  if (!m) throw new ParamError('range', `expected a duration such as 15m, 6h or 7d; got "${raw}"`)
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!
  if (ms < MIN_RANGE || ms > MAX_RANGE) throw new ParamError('range', `expected 15m to 30d; got "${raw}"`)
  const endRaw = (q.get('end') ?? '').trim()
  let to = now
  if (endRaw) {
    to = /^\d+$/.test(endRaw) ? Number(endRaw) : Date.parse(endRaw)
    if (!Number.isFinite(to) || to < 946_684_800_000) throw new ParamError('end', `expected epoch milliseconds or an ISO 8601 time; got "${endRaw}"`)
  }
  return { label: raw, from: to - ms, to, live: !endRaw }
}

export function parseFilters(q: URLSearchParams): Filters {
  const [app, env, model, version] = FILTER_NAMES.map((n) => filterValue(q, n)) as [string, string, string, string]
  return { app, env, model, version }
}

export function parseView(q: URLSearchParams, now = Date.now()): View {
  const range = parseRange(q, now)
  const span = range.to - range.from
  const minute = span <= MINUTE_TABLES_UP_TO
  const step = STEPS.find((s) => (minute || s >= 3600) && span / (s * 1000) <= MAX_POINTS) ?? STEPS[STEPS.length - 1]!
  return {
    range,
    filters: parseFilters(q),
    step,
    metrics: minute ? 'metrics_1m' : 'metrics_1h',
    scores: minute ? 'scores_1m' : 'scores_1h',
    timeCol: minute ? 'minute' : 'hour',
  }
}

/** A positive integer parameter with a default and a ceiling. */
export function intParam(q: URLSearchParams, name: string, def: number, max: number): number {
  const raw = q.get(name)
  if (raw === null || raw === '') return def
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new ParamError(name, `expected an integer from 1 to ${max}; got "${raw}"`)
  return Number(raw)
}

/** An optional number parameter. */
export function numParam(q: URLSearchParams, name: string): number | null {
  const raw = (q.get(name) ?? '').trim()
  if (raw === '') return null
  const n = Number(raw)
  if (!Number.isFinite(n)) throw new ParamError(name, `expected a number; got "${raw}"`)
  return n
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function isUuid(s: string): boolean {
  return UUID.test(s)
}
