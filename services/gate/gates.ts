/**
 * Release gates (`config/gates.yaml`): the checks `llmwatch gate` runs on a candidate run, and
 * their evaluation with the statistics of shared/compare.ts.
 *
 * A check names a metric (the metrics of `llmwatch compare`: `flag_rate` of a scorer on a target,
 * `error_rate`, `cache_hit_rate`, `latency_p50_ms|p95|p99`, `cost_per_event_usd`,
 * `cache_savings_per_event_usd`) and one or more limits:
 * - absolute: `max` / `min` on the candidate's estimate; with `bound: interval`, on the far end of
 *   its interval (Wilson for rates), i.e. the limit must hold at the gate's confidence;
 * - relative to a baseline run: `max_increase` (in the metric's unit: 0.02 = 2 points of a rate)
 *   or `max_increase_ratio` (0.1 = 10 % of the baseline's value), `max_decrease` /
 *   `max_decrease_ratio` for metrics where higher is better. The interval of the difference
 *   (candidate - baseline: Newcombe for rates, bootstrap for quantiles and means) decides:
 *   `test: noninferiority` (default) passes only if the whole interval lies within the margin
 *   ("not worse by more than 2 points, at 95 % confidence": the candidate must show it), `test:
 *   regression` fails only if the whole interval lies beyond it (fails on proven regressions,
 *   lets small or unclear ones through).
 * Every limit that reads an interval is one test: with several, each interval is computed at
 * 1 - (1 - confidence) / m (Bonferroni), so that the gate as a whole keeps the stated confidence;
 * `correction: none` turns that off.
 */
import { z } from 'zod'
import { parse as parseYaml } from 'yaml'
import { diffMetric, estimateMetric, type MetricName, type MetricSpec, type SideData, type SideEstimate, type Interval } from '../../shared/compare.js'
import { ConfigError, errorMessage } from '../../shared/errors.js'

export const GATE_METRICS = ['flag_rate', 'error_rate', 'cache_hit_rate', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'cost_per_event_usd', 'cache_savings_per_event_usd'] as const satisfies readonly MetricName[]

const limit = z.number().finite()
const margin = z.number().finite().nonnegative()

export const GateCheckSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    metric: z.enum(GATE_METRICS),
    scorer: z.string().min(1).optional(),
    target: z.enum(['prompt', 'response', 'context', 'event']).optional(),
    max: limit.optional(),
    min: limit.optional(),
    bound: z.enum(['estimate', 'interval']).default('estimate'),
    max_increase: margin.optional(),
    max_increase_ratio: margin.optional(),
    max_decrease: margin.optional(),
    max_decrease_ratio: margin.optional(),
    test: z.enum(['noninferiority', 'regression']).default('noninferiority'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.metric === 'flag_rate' && (c.scorer === undefined || c.target === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a flag_rate check names its scorer and target (e.g. scorer: toxicity, target: response)' })
    }
    if (c.metric !== 'flag_rate' && (c.scorer !== undefined || c.target !== undefined)) {
      ctx.addIssue({ code: 'custom', message: `scorer and target belong to flag_rate checks, not ${c.metric}` })
    }
    const limits = [c.max, c.min, c.max_increase, c.max_increase_ratio, c.max_decrease, c.max_decrease_ratio].filter((x) => x !== undefined)
    if (limits.length === 0) ctx.addIssue({ code: 'custom', message: 'a check needs a limit: max, min, max_increase, max_increase_ratio, max_decrease or max_decrease_ratio' })
  })
export type GateCheck = z.infer<typeof GateCheckSchema>

export const GatesFileSchema = z
  .object({
    /** The file's own version (recorded in the reports): bump it when the checks change. */
    version: z.union([z.number(), z.string().min(1)]),
    confidence: z.number().gt(0.5).lt(1).default(0.95),
    correction: z.enum(['bonferroni', 'none']).default('bonferroni'),
    checks: z.array(GateCheckSchema).min(1),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>()
    f.checks.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `duplicate check name "${c.name}"` })
      seen.add(c.name)
    })
  })
export type GatesFile = z.infer<typeof GatesFileSchema>

/** Parses a gates file's text; a ConfigError names the file, the path of each problem and what was expected. */
export function parseGates(text: string, source: string): GatesFile {
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new ConfigError(`${source}: invalid YAML: ${errorMessage(err)}`)
  }
  const r = GatesFileSchema.safeParse(raw)
  if (!r.success) {
    throw new ConfigError(`${source}: ${r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(file)'}: ${i.message}`).join('; ')}`)
  }
  return r.data
}

export type ConditionKind = 'max' | 'min' | 'max_increase' | 'max_increase_ratio' | 'max_decrease' | 'max_decrease_ratio'

export interface ConditionResult {
  kind: ConditionKind
  /** The limit as written in the file. */
  limit: number
  /** pass / fail, or error when it could not be evaluated (no data, no baseline). */
  status: 'pass' | 'fail' | 'error'
  /** One line for people, e.g. "p95 latency 2,310 ms <= 3,000 ms". */
  message: string
  /** The confidence the interval behind it was computed at (interval conditions only). */
  confidence?: number
  candidate?: SideEstimate
  baseline?: SideEstimate
  /** Candidate - baseline (relative conditions). */
  diff?: Interval & { p: number }
  /** The margin in the metric's unit (ratio conditions: ratio x baseline). */
  margin?: number
}

export interface CheckResult {
  name: string
  description?: string
  metric: MetricName
  scorer?: string
  target?: string
  status: 'pass' | 'fail' | 'error'
  conditions: ConditionResult[]
}

export interface GateResult {
  status: 'pass' | 'fail' | 'error'
  version: string | number
  confidence: number
  /** The confidence each interval was computed at (after Bonferroni). */
  perTestConfidence: number
  tests: number
  candidate: { label: string; events: number }
  baseline: { label: string; events: number } | null
  checks: CheckResult[]
}

const RELATIVE: readonly ConditionKind[] = ['max_increase', 'max_increase_ratio', 'max_decrease', 'max_decrease_ratio']

function conditionsOf(c: GateCheck): { kind: ConditionKind; limit: number }[] {
  const out: { kind: ConditionKind; limit: number }[] = []
  for (const kind of ['max', 'min', ...RELATIVE] as ConditionKind[]) {
    const v = c[kind]
    if (v !== undefined) out.push({ kind, limit: v })
  }
  return out
}

/** Does the condition read an interval (and so count as one of the m tests)? */
function usesInterval(c: GateCheck, kind: ConditionKind): boolean {
  return RELATIVE.includes(kind) || c.bound === 'interval'
}

/** How many interval tests a gates file runs (the Bonferroni m). */
export function intervalTests(gates: GatesFile, withBaseline: boolean): number {
  let m = 0
  for (const c of gates.checks) for (const k of conditionsOf(c)) if (usesInterval(c, k.kind) && (withBaseline || !RELATIVE.includes(k.kind))) m++
  return m
}

/** A value in its metric's unit, for messages. */
export function formatMetric(metric: MetricName, x: number, signed = false): string {
  if (!Number.isFinite(x)) return '-'
  const sign = signed && x > 0 ? '+' : ''
  // Differences of rates are in percentage points.
  if (metric === 'flag_rate' || metric === 'error_rate' || metric === 'cache_hit_rate') return signed ? `${sign}${(x * 100).toFixed(2)} pt` : `${(x * 100).toFixed(2)}%`
  if (metric.startsWith('latency_')) return `${sign}${Math.round(x).toLocaleString('en-US')} ms`
  return `${x < 0 ? '-' : sign}$${Math.abs(x).toFixed(6)}`
}

export function metricName(c: { metric: MetricName; scorer?: string | undefined; target?: string | undefined }): string {
  if (c.metric === 'flag_rate') return `${c.scorer} ${c.target} flag rate`
  return c.metric.replace(/_usd$/, '').replace(/_ms$/, '').replace(/_/g, ' ').replace(/^latency (p\d+)$/, '$1 latency')
}

function fmtEstimate(metric: MetricName, e: SideEstimate): string {
  const counts = e.count !== undefined ? ` (${e.count}/${e.n})` : ` (n=${e.n})`
  return `${formatMetric(metric, e.estimate)} [${formatMetric(metric, e.low)}, ${formatMetric(metric, e.high)}]${counts}`
}

/**
 * Evaluates the gates on a candidate side (and a baseline side for relative limits). Conditions
 * that cannot be evaluated (no data for the metric, no baseline) are errors, not passes.
 */
export function evaluateGates(gates: GatesFile, candidate: SideData, baseline: SideData | null, opts: { seed?: number; iterations?: number } = {}): GateResult {
  const m = Math.max(1, intervalTests(gates, baseline !== null))
  const perTest = gates.correction === 'bonferroni' ? 1 - (1 - gates.confidence) / m : gates.confidence
  const boot = { seed: opts.seed ?? 1, iterations: opts.iterations ?? 2000 }
  const checks: CheckResult[] = gates.checks.map((c) => {
    const spec: MetricSpec = { metric: c.metric, scorer: c.scorer, target: c.target }
    const name = metricName(spec)
    const conditions = conditionsOf(c).map(({ kind, limit }): ConditionResult => {
      const interval = usesInterval(c, kind)
      const conf = interval ? perTest : gates.confidence
      const cand = estimateMetric(candidate, spec, conf, boot)
      if (cand.n === 0) {
        const why = c.metric === 'flag_rate' ? `no ${c.scorer} results on ${c.target} in the candidate (is the scorer enabled, and is that its target?)` : `no data for ${name} in the candidate`
        return { kind, limit, status: 'error', message: why }
      }
      if (kind === 'max' || kind === 'min') {
        const observed = c.bound === 'interval' ? (kind === 'max' ? cand.high : cand.low) : cand.estimate
        const ok = kind === 'max' ? observed <= limit : observed >= limit
        const what = c.bound === 'interval' ? `${kind === 'max' ? 'upper' : 'lower'} ${(conf * 100).toFixed(2).replace(/\.?0+$/, '')}% bound of ${name}` : name
        return {
          kind, limit, status: ok ? 'pass' : 'fail', candidate: cand, ...(interval ? { confidence: conf } : {}),
          message: `${what} ${formatMetric(c.metric, observed)} ${ok ? '' : 'not '}${kind === 'max' ? '<=' : '>='} ${formatMetric(c.metric, limit)}; candidate ${fmtEstimate(c.metric, cand)}`,
        }
      }
      if (baseline === null) return { kind, limit, status: 'error', message: `${kind} needs a baseline run (--baseline FILE or --baseline-where COLUMN=VALUE)` }
      const base = estimateMetric(baseline, spec, conf, boot)
      if (base.n === 0) return { kind, limit, status: 'error', message: `no data for ${name} in the baseline` }
      const d = diffMetric(baseline, candidate, spec, conf, boot)
      const up = kind === 'max_increase' || kind === 'max_increase_ratio'
      const ratio = kind.endsWith('_ratio')
      const marginValue = ratio ? limit * Math.abs(base.estimate) : limit
      // Worsening in the direction the condition bounds: increase for max_increase*, decrease for max_decrease*.
      const worstLow = up ? d.low : -d.high
      const worstHigh = up ? d.high : -d.low
      const ok = c.test === 'noninferiority' ? worstHigh <= marginValue : !(worstLow > marginValue)
      const dir = up ? 'increase' : 'decrease'
      const marginText = ratio ? `${(limit * 100).toFixed(1)}% of the baseline (${formatMetric(c.metric, marginValue)})` : formatMetric(c.metric, marginValue, true).replace(/^\+/, '')
      const confText = `${(conf * 100).toFixed(2).replace(/\.?0+$/, '')}%`
      const message =
        c.test === 'noninferiority'
          ? `${name} ${dir} ${ok ? 'within' : 'not shown within'} ${marginText} at ${confText}: candidate - baseline ${formatMetric(c.metric, d.estimate, true)} [${formatMetric(c.metric, d.low, true)}, ${formatMetric(c.metric, d.high, true)}]`
          : `${name} ${ok ? `not shown to ${dir}` : `${dir}s`} by more than ${marginText} at ${confText}: candidate - baseline ${formatMetric(c.metric, d.estimate, true)} [${formatMetric(c.metric, d.low, true)}, ${formatMetric(c.metric, d.high, true)}]`
      return {
        kind, limit, status: ok ? 'pass' : 'fail', confidence: conf, candidate: cand, baseline: base,
        diff: { estimate: d.estimate, low: d.low, high: d.high, p: d.p }, margin: marginValue,
        message: `${message}; baseline ${fmtEstimate(c.metric, base)}, candidate ${fmtEstimate(c.metric, cand)}`,
      }
    })
    const status = conditions.some((x) => x.status === 'error') ? 'error' : conditions.some((x) => x.status === 'fail') ? 'fail' : 'pass'
    return { name: c.name, ...(c.description !== undefined ? { description: c.description } : {}), metric: c.metric, ...(c.scorer !== undefined ? { scorer: c.scorer, target: c.target! } : {}), status, conditions }
  })
  const status = checks.some((c) => c.status === 'error') ? 'error' : checks.some((c) => c.status === 'fail') ? 'fail' : 'pass'
  return {
    status,
    version: gates.version,
    confidence: gates.confidence,
    perTestConfidence: perTest,
    tests: m,
    candidate: { label: candidate.label, events: candidate.events },
    baseline: baseline === null ? null : { label: baseline.label, events: baseline.events },
    checks,
  }
}
