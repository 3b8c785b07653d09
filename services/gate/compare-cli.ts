/**
 * `llmwatch compare`: is B worse than A? Two prompt versions, models, ... (or before/after a time)
 * compared over ClickHouse's analyst tables with the statistics of shared/compare.ts: every
 * scorer's flag rate per target, error rate, cache hit rate, latency p50/p95/p99, cost per event
 * and cache savings per event, each with its interval, the difference B - A and whether it is
 * significant after Holm's correction. A table for people, `--format json` for machines.
 *
 *   llmwatch compare --by prompt_template_version v3 v4 [--where app_name=support-bot] [--since 24h]
 *   llmwatch compare --split 2026-06-01T12:00:00Z [--since 7d] [--where request_model=gpt-4o]
 *
 * Exit codes: 0 compared (whatever the verdict: `llmwatch gate` is the command that fails), 1
 * ClickHouse failed, 2 bad usage.
 */
import { createClickHouse, type ClickHouseClient } from '../../shared/clickhouse.js'
import { COMPARE_COLUMNS, compareInClickHouse, isCompareColumn, type CompareColumn, type CompareQuery, type Comparison, type ComparisonRow, type Correction } from '../../shared/compare.js'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import { errorMessage } from '../../shared/errors.js'

export const USAGE = `usage: llmwatch compare (--by COLUMN A B | --split TIME) [options]

  --by COLUMN A B        compare events with COLUMN = A against COLUMN = B; COLUMN is one of
                         ${COMPARE_COLUMNS.join(', ')}
  --split TIME           compare the events before TIME (A) with those from TIME on (B)
  --since 24h            time range: the last 30m, 24h, 7d, ... up to now (default 24h)
  --from TIME --to TIME  time range instead of --since (RFC 3339, e.g. 2026-06-01T00:00:00Z, or epoch ms)
  --where COLUMN=VALUE   only events with COLUMN = VALUE (repeatable; same columns as --by)
  --confidence 0.95      confidence level of intervals and significance
  --correction holm      multiple-testing correction over all metrics: holm, bh or none
  --sample 5000          largest value sample per side for latency and cost intervals
  --format table         table (for people) or json
`

export interface CompareArgs {
  query: CompareQuery
  format: 'table' | 'json'
  rangeLabel: string
}

class UsageError extends Error {}

/** Milliseconds of "30m", "24h", "7d", "90s". */
export function parseSince(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(s.trim())
  if (!m) throw new UsageError(`--since expects a duration such as 30m, 24h or 7d; got "${s}"`)
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
  if (!(ms > 0)) throw new UsageError(`--since must be positive; got "${s}"`)
  return ms
}

/** Epoch ms of an RFC 3339 time with a zone, or of epoch milliseconds. */
export function parseTime(s: string, option: string): number {
  if (/^\d{11,}$/.test(s)) return Number(s)
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) || /^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(s)
    if (!Number.isNaN(t)) return t
  }
  throw new UsageError(`${option} expects an RFC 3339 time with a zone (2026-06-01T12:00:00Z) or epoch milliseconds; got "${s}"`)
}

function column(s: string | undefined, option: string): CompareColumn {
  if (s === undefined || !isCompareColumn(s)) throw new UsageError(`${option} expects one of ${COMPARE_COLUMNS.join(', ')}; got ${s === undefined ? 'nothing' : `"${s}"`}`)
  return s
}

export function parseCompareArgs(argv: readonly string[], now = Date.now()): CompareArgs {
  let by: { column: CompareColumn; a: string; b: string } | undefined
  let split: number | undefined
  let since: string | undefined
  let from: number | undefined
  let to: number | undefined
  const where: Partial<Record<CompareColumn, string>> = {}
  let confidence = 0.95
  let correction: Correction = 'holm'
  let sampleSize = 5000
  let format: 'table' | 'json' = 'table'
  const value = (i: number, option: string): string => {
    const v = argv[i]
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${option} expects a value`)
    return v
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    switch (a) {
      case '--by': {
        const col = column(argv[i + 1], '--by')
        by = { column: col, a: value(i + 2, '--by COLUMN A B'), b: value(i + 3, '--by COLUMN A B') }
        i += 3
        break
      }
      case '--split':
      case '--before-after':
        split = parseTime(value(++i, a), a)
        break
      case '--since':
        since = value(++i, a)
        break
      case '--from':
        from = parseTime(value(++i, a), a)
        break
      case '--to':
        to = parseTime(value(++i, a), a)
        break
      case '--where': {
        const w = value(++i, a)
        const eq = w.indexOf('=')
        if (eq <= 0) throw new UsageError(`--where expects COLUMN=VALUE; got "${w}"`)
        where[column(w.slice(0, eq), '--where')] = w.slice(eq + 1)
        break
      }
      case '--confidence':
        confidence = Number(value(++i, a))
        if (!(confidence > 0.5 && confidence < 1)) throw new UsageError(`--confidence expects a number between 0.5 and 1, e.g. 0.95; got "${argv[i]}"`)
        break
      case '--correction': {
        const c = value(++i, a)
        if (c !== 'holm' && c !== 'bh' && c !== 'none') throw new UsageError(`--correction expects holm, bh or none; got "${c}"`)
        correction = c
        break
      }
      case '--sample':
        sampleSize = Number(value(++i, a))
        if (!(Number.isInteger(sampleSize) && sampleSize >= 10 && sampleSize <= 1_000_000)) throw new UsageError(`--sample expects an integer from 10 to 1000000; got "${argv[i]}"`)
        break
      case '--format': {
        const f = value(++i, a)
        if (f !== 'table' && f !== 'json') throw new UsageError(`--format expects table or json; got "${f}"`)
        format = f
        break
      }
      case '--json':
        format = 'json'
        break
      default:
        throw new UsageError(`unknown argument "${a}"`)
    }
  }
  if ((by === undefined) === (split === undefined)) throw new UsageError('give exactly one of --by COLUMN A B and --split TIME')
  if (since !== undefined && (from !== undefined || to !== undefined)) throw new UsageError('give either --since or --from/--to, not both')
  const toMs = to ?? now
  const fromMs = from ?? toMs - parseSince(since ?? '24h')
  if (!(fromMs < toMs)) throw new UsageError('--from must be before --to')
  const rangeLabel = from !== undefined || to !== undefined ? `${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}` : `the last ${since ?? '24h'}`
  const common = { fromMs, toMs, where, confidence, correction, sampleSize }
  if (by !== undefined) {
    if (where[by.column] !== undefined) throw new UsageError(`--where ${by.column}=... contradicts --by ${by.column}`)
    if (by.a === by.b) throw new UsageError('--by needs two different values')
    return { query: { ...common, by: by.column, a: by.a, b: by.b }, format, rangeLabel }
  }
  if (!(split! > fromMs && split! < toMs)) throw new UsageError(`--split ${new Date(split!).toISOString()} must lie inside the time range (${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()})`)
  return { query: { ...common, splitMs: split! }, format, rangeLabel }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function metricLabel(r: ComparisonRow): string {
  if (r.metric === 'flag_rate') return `${r.scorer} ${r.target} flag rate`
  return r.metric.replace(/_/g, ' ')
}

/** A number in the metric's unit: rates in %, latency in ms, money in USD. */
export function formatValue(metric: ComparisonRow['metric'], x: number, signed = false): string {
  if (Number.isNaN(x)) return '-'
  const sign = signed && x > 0 ? '+' : ''
  // Differences of rates are in percentage points.
  if (metric === 'flag_rate' || metric === 'error_rate' || metric === 'cache_hit_rate') return signed ? `${sign}${(x * 100).toFixed(2)} pt` : `${(x * 100).toFixed(2)}%`
  if (metric.startsWith('latency_')) return `${sign}${x.toFixed(0)} ms`
  return `${sign}$${x.toFixed(6)}`.replace('$-', '-$')
}

function cell(r: ComparisonRow, side: 'a' | 'b'): string {
  const e = r[side]
  if (e.n === 0 || Number.isNaN(e.estimate)) return `- (n=${e.n})`
  const count = e.count !== undefined ? ` ${e.count}/${e.n}` : ` n=${e.n}`
  return `${formatValue(r.metric, e.estimate)} [${formatValue(r.metric, e.low)}, ${formatValue(r.metric, e.high)}]${count}`
}

function pText(p: number): string {
  if (Number.isNaN(p)) return '-'
  return p < 0.0001 ? '<0.0001' : p.toFixed(4)
}

export function renderComparison(c: Comparison, heading: string): string {
  const header = ['metric', `A: ${c.a.label}`, `B: ${c.b.label}`, 'B - A', 'p (adj.)', 'verdict']
  const body = c.rows.map((r) => [
    metricLabel(r),
    cell(r, 'a'),
    cell(r, 'b'),
    Number.isNaN(r.diff.estimate) ? '-' : `${formatValue(r.metric, r.diff.estimate, true)} [${formatValue(r.metric, r.diff.low, true)}, ${formatValue(r.metric, r.diff.high, true)}]`,
    pText(r.pAdjusted),
    r.verdict === 'worse' ? 'WORSE' : r.verdict === 'better' ? 'better' : r.verdict,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((x, i) => x.padEnd(widths[i]!)).join(' | ').trimEnd()
  const worse = c.rows.filter((r) => r.verdict === 'worse').map(metricLabel)
  const better = c.rows.filter((r) => r.verdict === 'better').map(metricLabel)
  const correction = { holm: "Holm's correction", bh: 'Benjamini-Hochberg correction', none: 'no correction' }[c.correction]
  return [
    heading,
    `A = ${c.a.label} (${c.a.events} events), B = ${c.b.label} (${c.b.events} events); ${Math.round(c.confidence * 1000) / 10} % intervals, p-values with ${correction} over ${c.rows.filter((r) => !Number.isNaN(r.p)).length} metrics`,
    '',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...body.map(line),
    '',
    worse.length > 0 ? `B is significantly worse on: ${worse.join(', ')}` : 'B is not significantly worse on any metric',
    ...(better.length > 0 ? [`B is significantly better on: ${better.join(', ')}`] : []),
  ].join('\n')
}

/** JSON with NaN as null (JSON has no NaN). */
export function comparisonJson(c: Comparison, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, ...c }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)
}

export interface CompareDeps {
  /** A client to use instead of the configured ClickHouse (tests); not closed. */
  client?: ClickHouseClient
  now?: number
  out?: (s: string) => void
  err?: (s: string) => void
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env, deps: CompareDeps = {}): Promise<number> {
  const out = deps.out ?? ((s: string) => void process.stdout.write(s))
  const err = deps.err ?? ((s: string) => void process.stderr.write(s))
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE)
    return 0
  }
  let args: CompareArgs
  try {
    args = parseCompareArgs(argv, deps.now)
  } catch (e) {
    if (e instanceof UsageError) {
      err(`llmwatch compare: ${e.message}\n${USAGE}`)
      return 2
    }
    throw e
  }
  let client = deps.client
  const own = client === undefined
  try {
    if (client === undefined) {
      const cfg = loadEnv(baseEnvSchema, env)
      client = await createClickHouse({ url: cfg.CLICKHOUSE_URL, user: cfg.CLICKHOUSE_USER, password: cfg.CLICKHOUSE_PASSWORD, database: cfg.CLICKHOUSE_DATABASE, path: cfg.CLICKHOUSE_PATH })
    }
    const c = await compareInClickHouse(client, args.query)
    const q = args.query
    const what = 'by' in q ? `by ${q.by}` : `before/after ${new Date(q.splitMs).toISOString()}`
    const filters = Object.entries(q.where ?? {}).map(([k, v]) => `${k}=${v}`)
    if (args.format === 'json') {
      out(comparisonJson(c, { compare: what, from: new Date(q.fromMs).toISOString(), to: new Date(q.toMs).toISOString(), where: q.where ?? {} }) + '\n')
    } else {
      out(renderComparison(c, `llmwatch compare ${what}, ${args.rangeLabel}${filters.length > 0 ? `, where ${filters.join(' and ')}` : ''}`) + '\n')
      if (c.a.events === 0 || c.b.events === 0) err(`note: ${c.a.events === 0 ? 'A' : 'B'} has no events in this range: check the values and the time range\n`)
    }
    return 0
  } catch (e) {
    const code = (e as { code?: string }).code
    err(`llmwatch compare: ${errorMessage(e)}\n`)
    return code === 'CONFIG_INVALID' ? 2 : 1
  } finally {
    if (own && client !== undefined) await client.close()
  }
}
