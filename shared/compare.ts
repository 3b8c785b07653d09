/**
 * Comparing two sets of LLM interactions ("is B worse than A?"): the statistics, and the query that
 * fetches one side from ClickHouse. Used by `llmwatch compare`, `llmwatch gate` and the dashboard's
 * Compare page.
 *
 * Stable API (other modules import these names; keep them):
 * - statistics: `normalCdf`, `normalQuantile`, `wilson`, `newcombeDiff`, `twoProportionTest`,
 *   `fisherExact`, `holm`, `benjaminiHochberg`, `adjustPValues`, `quantile`, `quantileInterval`,
 *   `bootstrap`, `bootstrapDiff`;
 * - the comparison: `SideData` (what is known of one side), `compareSides(a, b, opts)` ->
 *   `Comparison` (one `ComparisonRow` per metric), `sideFromScored(label, scoredEvents)`; one
 *   metric at a time (`llmwatch gate`): `estimateMetric(side, spec, confidence)`,
 *   `diffMetric(a, b, spec, confidence)`, `higherIsWorse(metric)`;
 * - ClickHouse: `COMPARE_COLUMNS` (the columns `by` and filters may name), `querySide(client,
 *   selection)`, `compareInClickHouse(client, query)`.
 *
 * Methods, and why:
 * - Rates (scorer flag rates, error rate, cache hit rate): Wilson score interval per side (good
 *   coverage at small n and near 0 %, unlike the Wald interval); the difference B - A with
 *   Newcombe's hybrid score interval (method 10, built from the two Wilson intervals); its p-value
 *   from the pooled two-proportion z-test, or Fisher's exact test when an expected cell count is
 *   below 5 (the z-test is unreliable there: a gate run of 50 inputs with 0 or 1 flags).
 * - Latency quantiles (p50, p95, p99): per side the distribution-free order-statistic interval
 *   (binomial ranks, no assumption on the shape); the difference by a seeded percentile bootstrap,
 *   its p-value from the bootstrap standard error (normal approximation; counting resamples beyond
 *   0 would bottom out at 1 / resamples, which the correction multiplies past any level).
 * - Means (cost per event, cache savings per event): seeded percentile bootstrap per side and for
 *   the difference (costs are heavy-tailed: a normal interval would be too narrow on one side).
 * - Many metrics at once: p-values are adjusted with Holm's step-down method by default. Holm
 *   controls the family-wise error rate (the chance that ANY metric is called different when none
 *   is) without assuming independence, and the scorers' results on the same events are correlated;
 *   for a release decision one false "B is worse" is what we want to bound, and Holm is uniformly
 *   more powerful than Bonferroni. Benjamini-Hochberg (false discovery rate, less strict) is
 *   available for exploration over many slices (`correction: 'bh'`).
 * Bootstraps use a fixed seed: the same data gives the same intervals.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { ScoredInteraction } from './contract.js'

// ---------------------------------------------------------------------------------------------
// Distributions

/** Standard normal CDF (erf's Taylor series below |z| = 3 sqrt 2, erfc's continued fraction above). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN
  if (z === Infinity) return 1
  if (z === -Infinity) return 0
  return 0.5 * erfc(-z / Math.SQRT2)
}

function erfc(x: number): number {
  const ax = Math.abs(x)
  let r: number
  if (ax < 3) {
    // erf by its Taylor series (converges for every x; below 3 the cancellation costs < 5 digits).
    let term = ax
    let sum = ax
    const x2 = ax * ax
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n
      const add = term / (2 * n + 1)
      sum += add
      if (Math.abs(add) < 1e-17) break
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum
  } else {
    // erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), modified Lentz.
    let f = ax
    let C = ax
    let D = 0
    for (let k = 1; k < 300; k++) {
      const a = k / 2
      D = 1 / (ax + a * D)
      C = ax + a / C
      const delta = C * D
      f *= delta
      if (Math.abs(delta - 1) < 1e-16) break
    }
    r = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f
  }
  return x >= 0 ? r : 2 - r
}

/** Inverse of the standard normal CDF (Wichura's AS 241, relative accuracy about 1e-16). */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  const q = p - 0.5
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q
    return (
      (q *
        (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    )
  }
  let r = q < 0 ? p : 1 - p
  r = Math.sqrt(-Math.log(r))
  let val: number
  if (r <= 5) {
    r -= 1.6
    val =
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1)
  } else {
    r -= 5
    val =
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1)
  }
  return q < 0 ? -val : val
}

/** z for a two-sided interval at `confidence` (0.95 -> 1.959964...). */
export function zFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must lie strictly between 0 and 1; got ${confidence}`)
  return normalQuantile(1 - (1 - confidence) / 2)
}

/** log(n!) via Lanczos' log-gamma (exact table below 256). */
const LOG_FACT: number[] = [0]
for (let i = 1; i < 256; i++) LOG_FACT[i] = LOG_FACT[i - 1]! + Math.log(i)
function logFactorial(n: number): number {
  if (n < 256) return LOG_FACT[n]!
  return logGamma(n + 1)
}
function logGamma(x: number): number {
  const g = 7
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]
  x -= 1
  let a = c[0]!
  const t = x + g + 0.5
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i)
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
}

// ---------------------------------------------------------------------------------------------
// Proportions

export interface Interval {
  estimate: number
  low: number
  high: number
}

/** Wilson score interval for `successes` out of `n` (n = 0: estimate NaN, interval [0, 1]). */
export function wilson(successes: number, n: number, confidence = 0.95): Interval {
  if (!(Number.isInteger(successes) && Number.isInteger(n) && successes >= 0 && successes <= n)) {
    throw new RangeError(`wilson: expected integers 0 <= successes <= n; got ${successes} / ${n}`)
  }
  if (n === 0) return { estimate: NaN, low: 0, high: 1 }
  const z = zFor(confidence)
  const p = successes / n
  const z2 = z * z
  const denom = 1 + z2 / n
  const center = (p + z2 / (2 * n)) / denom
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom
  // Exact ends at 0 and n (rounding would leave 1e-17 below 0 or above 1).
  return { estimate: p, low: successes === 0 ? 0 : Math.max(0, center - half), high: successes === n ? 1 : Math.min(1, center + half) }
}

/**
 * Newcombe's hybrid score interval (method 10) for the difference of two independent proportions,
 * pB - pA. Either side empty: estimate NaN, interval [-1, 1].
 */
export function newcombeDiff(xA: number, nA: number, xB: number, nB: number, confidence = 0.95): Interval {
  if (nA === 0 || nB === 0) return { estimate: NaN, low: -1, high: 1 }
  const a = wilson(xA, nA, confidence)
  const b = wilson(xB, nB, confidence)
  const d = b.estimate - a.estimate
  return {
    estimate: d,
    low: Math.max(-1, d - Math.sqrt((b.estimate - b.low) ** 2 + (a.high - a.estimate) ** 2)),
    high: Math.min(1, d + Math.sqrt((b.high - b.estimate) ** 2 + (a.estimate - a.low) ** 2)),
  }
}

/** Fisher's exact test on the 2x2 table [[xA, nA-xA], [xB, nB-xB]]: two-sided p (sum of tables no likelier than the observed). */
export function fisherExact(xA: number, nA: number, xB: number, nB: number): number {
  const k = xA + xB // column total of "successes"
  const n = nA + nB
  if (n === 0 || k === 0 || k === n) return 1
  const logP = (x: number) =>
    logFactorial(k) + logFactorial(n - k) + logFactorial(nA) + logFactorial(nB) - logFactorial(n) - logFactorial(x) - logFactorial(k - x) - logFactorial(nA - x) - logFactorial(nB - k + x)
  const lo = Math.max(0, k - nB)
  const hi = Math.min(k, nA)
  const observed = logP(xA)
  let p = 0
  for (let x = lo; x <= hi; x++) {
    const lp = logP(x)
    // Relative tolerance as in R's fisher.test, so that tables tied with the observed one count.
    if (lp <= observed + 1e-7) p += Math.exp(lp)
  }
  return Math.min(1, p)
}

export interface TestResult {
  /** Two-sided p-value. */
  p: number
  method: 'z-test' | 'fisher-exact' | 'bootstrap' | 'none'
  /** The z statistic (z-test only). */
  z?: number
}

/**
 * Two-sided test of pA = pB: the pooled two-proportion z-test, or Fisher's exact test when any
 * expected cell count is below 5.
 */
export function twoProportionTest(xA: number, nA: number, xB: number, nB: number): TestResult {
  if (nA === 0 || nB === 0) return { p: NaN, method: 'none' }
  const pooled = (xA + xB) / (nA + nB)
  const expected = [nA * pooled, nA * (1 - pooled), nB * pooled, nB * (1 - pooled)]
  if (expected.some((e) => e < 5)) return { p: fisherExact(xA, nA, xB, nB), method: 'fisher-exact' }
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB))
  const z = (xB / nB - xA / nA) / se
  return { p: Math.min(1, 2 * normalCdf(-Math.abs(z))), method: 'z-test', z }
}

// ---------------------------------------------------------------------------------------------
// Multiple testing

export type Correction = 'holm' | 'bh' | 'none'

/** Holm's step-down adjusted p-values (same order as the input; NaN entries stay NaN and do not count). */
export function holm(pvalues: readonly number[]): number[] {
  const idx = pvalues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((x, y) => x[0] - y[0])
  const m = idx.length
  const out = pvalues.map(() => NaN)
  let running = 0
  idx.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p))
    out[i] = running
  })
  return out
}

/** Benjamini-Hochberg adjusted p-values (q-values; same order as the input; NaN entries stay NaN). */
export function benjaminiHochberg(pvalues: readonly number[]): number[] {
  const idx = pvalues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((x, y) => x[0] - y[0])
  const m = idx.length
  const out = pvalues.map(() => NaN)
  let running = 1
  for (let rank = m - 1; rank >= 0; rank--) {
    const [p, i] = idx[rank]!
    running = Math.min(running, Math.min(1, (m / (rank + 1)) * p))
    out[i] = running
  }
  return out
}

export function adjustPValues(pvalues: readonly number[], correction: Correction): number[] {
  if (correction === 'holm') return holm(pvalues)
  if (correction === 'bh') return benjaminiHochberg(pvalues)
  return [...pvalues]
}

// ---------------------------------------------------------------------------------------------
// Quantiles, means, bootstrap

/** Quantile of ascending-sorted values, linear interpolation between order statistics (R type 7, numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const h = (n - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(n - 1, lo + 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort()
}

/**
 * Distribution-free interval for the q-quantile: the order statistics at the binomial ranks
 * n*q -/+ z*sqrt(n*q*(1-q)) (normal approximation of the ranks). Point estimate as `quantile`.
 * With few values the ranks clamp to the sample's ends (the interval then covers less than asked).
 */
export function quantileInterval(values: ArrayLike<number>, q: number, confidence = 0.95): Interval {
  const s = sortedCopy(values)
  const n = s.length
  if (n === 0) return { estimate: NaN, low: NaN, high: NaN }
  const z = zFor(confidence)
  const half = z * Math.sqrt(n * q * (1 - q))
  const lo = Math.max(1, Math.floor(n * q - half))
  const hi = Math.min(n, Math.ceil(n * q + half) + 1)
  return { estimate: quantile(s, q), low: s[lo - 1]!, high: s[hi - 1]! }
}

/** A small seeded PRNG (mulberry32): bootstraps give the same answer for the same data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A statistic of one sample: `mean`, or a quantile of it. */
export type Statistic = { kind: 'mean' } | { kind: 'quantile'; q: number }

function statOf(sample: Float64Array, stat: Statistic): number {
  if (sample.length === 0) return NaN
  if (stat.kind === 'mean') {
    let s = 0
    for (let i = 0; i < sample.length; i++) s += sample[i]!
    return s / sample.length
  }
  return quantile(sample.slice().sort(), stat.q)
}

/**
 * Draws the statistic of one bootstrap resample of `values` in O(n), without building or sorting
 * the resample: a mean sums n random picks; a quantile counts how often each value of the sorted
 * sample is drawn and walks the counts to the ranks the type-7 quantile reads.
 */
function resampler(values: ArrayLike<number>, stat: Statistic): (rnd: () => number) => number {
  const n = values.length
  if (stat.kind === 'mean') {
    const src = Float64Array.from(values)
    return (rnd) => {
      let s = 0
      for (let i = 0; i < n; i++) s += src[Math.floor(rnd() * n)]!
      return s / n
    }
  }
  const sorted = sortedCopy(values)
  const counts = new Uint32Array(n)
  const h = (n - 1) * stat.q
  const lo = Math.floor(h)
  const frac = h - lo
  return (rnd) => {
    counts.fill(0)
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rnd() * n)
      counts[j] = counts[j]! + 1
    }
    // The smallest j whose cumulative count exceeds rank lo holds the resample's lo-th value.
    let cum = 0
    let j = 0
    while (cum + counts[j]! <= lo) cum += counts[j++]!
    const x = sorted[j]!
    if (frac === 0 || lo + 1 >= n) return x
    let k = j
    let c = cum + counts[j]!
    while (c <= lo + 1) c += counts[++k]!
    return x + frac * (sorted[k]! - x)
  }
}

export interface BootstrapOptions {
  confidence?: number
  /** Resamples (default 2000). */
  iterations?: number
  seed?: number
}

/** Percentile bootstrap interval of a statistic of one sample. */
export function bootstrap(values: ArrayLike<number>, stat: Statistic, opts: BootstrapOptions = {}): Interval {
  const src = Float64Array.from(values)
  if (src.length === 0) return { estimate: NaN, low: NaN, high: NaN }
  const B = opts.iterations ?? 2000
  const conf = opts.confidence ?? 0.95
  const rnd = mulberry32(opts.seed ?? 1)
  const draw = resampler(src, stat)
  const stats = new Float64Array(B)
  for (let b = 0; b < B; b++) stats[b] = draw(rnd)
  stats.sort()
  const alpha = 1 - conf
  return { estimate: statOf(src, stat), low: quantile(stats, alpha / 2), high: quantile(stats, 1 - alpha / 2) }
}

export interface DiffResult extends Interval {
  /** Two-sided p-value of "no difference": the estimate over the bootstrap standard error, against the normal distribution. */
  p: number
  /** Each side's own percentile interval, from the same resamples. */
  a?: Interval
  b?: Interval
}

/** Percentile bootstrap of stat(B) - stat(A), the two samples resampled independently. */
export function bootstrapDiff(a: ArrayLike<number>, b: ArrayLike<number>, stat: Statistic, opts: BootstrapOptions = {}): DiffResult {
  const sa = Float64Array.from(a)
  const sb = Float64Array.from(b)
  if (sa.length === 0 || sb.length === 0) return { estimate: NaN, low: NaN, high: NaN, p: NaN }
  const B = opts.iterations ?? 2000
  const conf = opts.confidence ?? 0.95
  const rnd = mulberry32(opts.seed ?? 1)
  const drawA = resampler(sa, stat)
  const drawB = resampler(sb, stat)
  const diffs = new Float64Array(B)
  const statsA = new Float64Array(B)
  const statsB = new Float64Array(B)
  let sum = 0
  let sum2 = 0
  for (let i = 0; i < B; i++) {
    const da = (statsA[i] = drawA(rnd))
    const db = (statsB[i] = drawB(rnd))
    const d = db - da
    diffs[i] = d
    sum += d
    sum2 += d * d
  }
  diffs.sort()
  statsA.sort()
  statsB.sort()
  const alpha = 1 - conf
  const estA = statOf(sa, stat)
  const estB = statOf(sb, stat)
  const estimate = estB - estA
  // p from the bootstrap standard error (normal approximation): unlike counting resamples beyond 0,
  // it does not bottom out at 1 / B, which Holm's factors would inflate past any level.
  const se = Math.sqrt(Math.max(0, sum2 / B - (sum / B) ** 2) * (B / Math.max(1, B - 1)))
  const p = se > 0 ? Math.min(1, 2 * normalCdf(-Math.abs(estimate) / se)) : estimate === 0 ? 1 : 0
  const iv = (x: Float64Array, e: number): Interval => ({ estimate: e, low: quantile(x, alpha / 2), high: quantile(x, 1 - alpha / 2) })
  return { ...iv(diffs, estimate), p, a: iv(statsA, estA), b: iv(statsB, estB) }
}

// ---------------------------------------------------------------------------------------------
// The comparison

/** Flag counts of one scorer on one target: `scored` entries with status ok, `flagged` of them. */
export interface FlagCount {
  scorer: string
  target: string
  scored: number
  flagged: number
}

/**
 * What one side of a comparison holds. Counts are exact; the value arrays may be a uniform sample
 * of the side's events (ClickHouse: up to `sampleSize` per side), all of them when small.
 */
export interface SideData {
  label: string
  events: number
  /** Events with status 'error'. */
  errors: number
  /** Events answered from the app's own cache (no provider call). */
  cacheHits: number
  flags: FlagCount[]
  /** End-to-end latency of each event, ms (errors and cache hits included: what users waited). */
  latencyMs: number[]
  /** Cost of each priced event, USD (cache hits count 0: nothing was spent). */
  costUsd: number[]
  /** What each event's app-cache hit saved, USD (0 for events that were not cache hits). */
  savingsUsd: number[]
}

export type MetricName = 'flag_rate' | 'error_rate' | 'cache_hit_rate' | 'latency_p50_ms' | 'latency_p95_ms' | 'latency_p99_ms' | 'cost_per_event_usd' | 'cache_savings_per_event_usd'

export interface SideEstimate extends Interval {
  /** Events (or scored entries, for flag rates) behind the estimate. */
  n: number
  /** Flagged / errors / hits, for rates. */
  count?: number
}

export interface ComparisonRow {
  /** `flag_rate:toxicity:response`, `latency_p95_ms`, ... unique within a comparison. */
  key: string
  metric: MetricName
  scorer?: string
  target?: string
  /** Is a higher value worse? (true for every metric except the cache ones.) */
  higherIsWorse: boolean
  a: SideEstimate
  b: SideEstimate
  /** B - A with its interval. */
  diff: Interval
  p: number
  /** p after the correction over all rows of the comparison. */
  pAdjusted: number
  /** pAdjusted < 1 - confidence. */
  significant: boolean
  /** 'worse' / 'better' when significant (from higherIsWorse), else 'same'. */
  verdict: 'worse' | 'better' | 'same' | 'n/a'
  method: string
}

export interface CompareOptions {
  confidence?: number
  correction?: Correction
  /** Bootstrap resamples (default 1000) and seed (default 1). */
  iterations?: number
  seed?: number
}

export interface Comparison {
  a: { label: string; events: number }
  b: { label: string; events: number }
  confidence: number
  correction: Correction
  rows: ComparisonRow[]
}

const QUANTILES: { metric: MetricName; q: number }[] = [
  { metric: 'latency_p50_ms', q: 0.5 },
  { metric: 'latency_p95_ms', q: 0.95 },
  { metric: 'latency_p99_ms', q: 0.99 },
]

type RowDraft = Omit<ComparisonRow, 'pAdjusted' | 'significant' | 'verdict'>

function rateRow(key: string, metric: MetricName, xA: number, nA: number, xB: number, nB: number, conf: number, higherIsWorse: boolean, extra: Pick<ComparisonRow, 'scorer' | 'target'> = {}): RowDraft {
  const t = twoProportionTest(xA, nA, xB, nB)
  return {
    key,
    metric,
    ...extra,
    higherIsWorse,
    a: { ...wilson(xA, nA, conf), n: nA, count: xA },
    b: { ...wilson(xB, nB, conf), n: nB, count: xB },
    diff: newcombeDiff(xA, nA, xB, nB, conf),
    p: t.p,
    method: `wilson, newcombe, ${t.method}`,
  }
}

function sampleRow(key: MetricName, a: number[], b: number[], stat: Statistic, conf: number, opts: CompareOptions): RowDraft {
  const bo = { confidence: conf, iterations: opts.iterations ?? 1000, seed: opts.seed ?? 1 }
  const d = bootstrapDiff(a, b, stat, bo)
  // Quantiles: the order-statistic interval; means: the side's interval from the difference's resamples.
  const side = (v: number[], fromDiff: Interval | undefined): SideEstimate => ({
    ...(stat.kind === 'quantile' ? quantileInterval(v, stat.q, conf) : (fromDiff ?? bootstrap(v, stat, bo))),
    n: v.length,
  })
  return {
    key,
    metric: key,
    higherIsWorse: key !== 'cache_savings_per_event_usd',
    a: side(a, d.a),
    b: side(b, d.b),
    diff: { estimate: d.estimate, low: d.low, high: d.high },
    p: d.p,
    method: stat.kind === 'quantile' ? 'order-statistic interval, bootstrap difference' : 'bootstrap',
  }
}

/**
 * Compares B against A over every metric both sides have: each scorer x target flag rate, error
 * rate, cache hit rate, latency p50/p95/p99, cost per priced event and cache savings per event.
 * Differences are B - A; p-values are adjusted over all rows together (Holm by default).
 */
export function compareSides(a: SideData, b: SideData, opts: CompareOptions = {}): Comparison {
  const conf = opts.confidence ?? 0.95
  const correction = opts.correction ?? 'holm'
  zFor(conf) // validates
  const drafts: RowDraft[] = []
  const keyOf = (f: FlagCount) => `${f.scorer}\u0000${f.target}`
  const fb = new Map(b.flags.map((f) => [keyOf(f), f]))
  const fa = new Map(a.flags.map((f) => [keyOf(f), f]))
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort()
  for (const k of keys) {
    const [scorer, target] = k.split('\u0000') as [string, string]
    const x = fa.get(k) ?? { scorer, target, scored: 0, flagged: 0 }
    const y = fb.get(k) ?? { scorer, target, scored: 0, flagged: 0 }
    drafts.push(rateRow(`flag_rate:${scorer}:${target}`, 'flag_rate', x.flagged, x.scored, y.flagged, y.scored, conf, true, { scorer, target }))
  }
  drafts.push(rateRow('error_rate', 'error_rate', a.errors, a.events, b.errors, b.events, conf, true))
  drafts.push(rateRow('cache_hit_rate', 'cache_hit_rate', a.cacheHits, a.events, b.cacheHits, b.events, conf, false))
  for (const { metric, q } of QUANTILES) drafts.push(sampleRow(metric, a.latencyMs, b.latencyMs, { kind: 'quantile', q }, conf, opts))
  drafts.push(sampleRow('cost_per_event_usd', a.costUsd, b.costUsd, { kind: 'mean' }, conf, opts))
  drafts.push(sampleRow('cache_savings_per_event_usd', a.savingsUsd, b.savingsUsd, { kind: 'mean' }, conf, opts))
  const adjusted = adjustPValues(drafts.map((d) => d.p), correction)
  const rows = drafts.map((d, i): ComparisonRow => {
    const pAdjusted = adjusted[i]!
    const significant = !Number.isNaN(pAdjusted) && pAdjusted < 1 - conf
    const up = d.diff.estimate > 0
    const verdict = Number.isNaN(d.p) ? 'n/a' : !significant ? 'same' : up === d.higherIsWorse ? 'worse' : 'better'
    return { ...d, pAdjusted, significant, verdict }
  })
  return { a: { label: a.label, events: a.events }, b: { label: b.label, events: b.events }, confidence: conf, correction, rows }
}

/** One metric of a side, as `compareSides` names it (flag rates also name scorer and target). */
export interface MetricSpec {
  metric: MetricName
  scorer?: string | undefined
  target?: string | undefined
}

/** Whether a higher value of the metric is worse (everything but the cache metrics). */
export function higherIsWorse(metric: MetricName): boolean {
  return metric !== 'cache_hit_rate' && metric !== 'cache_savings_per_event_usd'
}

function rateCounts(side: SideData, m: MetricSpec): { x: number; n: number } {
  if (m.metric === 'error_rate') return { x: side.errors, n: side.events }
  if (m.metric === 'cache_hit_rate') return { x: side.cacheHits, n: side.events }
  const f = side.flags.find((f) => f.scorer === m.scorer && f.target === m.target)
  return { x: f?.flagged ?? 0, n: f?.scored ?? 0 }
}

function sampleOf(side: SideData, m: MetricSpec): { values: number[]; stat: Statistic } | null {
  const q = QUANTILES.find((x) => x.metric === m.metric)
  if (q !== undefined) return { values: side.latencyMs, stat: { kind: 'quantile', q: q.q } }
  if (m.metric === 'cost_per_event_usd') return { values: side.costUsd, stat: { kind: 'mean' } }
  if (m.metric === 'cache_savings_per_event_usd') return { values: side.savingsUsd, stat: { kind: 'mean' } }
  return null
}

/** One metric of one side with its interval at `confidence` (n = 0: no data, estimate NaN). */
export function estimateMetric(side: SideData, m: MetricSpec, confidence = 0.95, opts: BootstrapOptions = {}): SideEstimate {
  const s = sampleOf(side, m)
  if (s === null) {
    const { x, n } = rateCounts(side, m)
    return { ...wilson(x, n, confidence), n, count: x }
  }
  const iv = s.stat.kind === 'quantile' ? quantileInterval(s.values, s.stat.q, confidence) : bootstrap(s.values, s.stat, { ...opts, confidence })
  return { ...iv, n: s.values.length }
}

/** The difference B - A of one metric with its interval at `confidence` and its two-sided p-value. */
export function diffMetric(a: SideData, b: SideData, m: MetricSpec, confidence = 0.95, opts: BootstrapOptions = {}): DiffResult & { method: string } {
  const s = sampleOf(a, m)
  if (s === null) {
    const x = rateCounts(a, m)
    const y = rateCounts(b, m)
    const t = twoProportionTest(x.x, x.n, y.x, y.n)
    return { ...newcombeDiff(x.x, x.n, y.x, y.n, confidence), p: t.p, method: `newcombe, ${t.method}` }
  }
  const t = sampleOf(b, m)!
  return { ...bootstrapDiff(s.values, t.values, s.stat, { ...opts, confidence }), method: 'bootstrap' }
}

/** One side's data from scored events (the output of `llmwatch score`, or the gate's offline run). */
export function sideFromScored(label: string, events: readonly ScoredInteraction[]): SideData {
  const side: SideData = { label, events: 0, errors: 0, cacheHits: 0, flags: [], latencyMs: [], costUsd: [], savingsUsd: [] }
  const flags = new Map<string, FlagCount>()
  for (const e of events) {
    side.events++
    if (e.status === 'error') side.errors++
    if (e.cache_hit) side.cacheHits++
    side.latencyMs.push(e.latency_ms)
    let savings = 0
    for (const s of e.scores) {
      if (s.status !== 'ok') continue
      const k = `${s.name}\u0000${s.target}`
      let f = flags.get(k)
      if (f === undefined) flags.set(k, (f = { scorer: s.name, target: s.target, scored: 0, flagged: 0 }))
      f.scored++
      if (s.flagged) f.flagged++
      if (s.name === 'cost' && s.target === 'event' && s.label === 'cache_hit') {
        const d = JSON.parse(s.details) as { savings_usd?: number | null }
        savings = d.savings_usd ?? 0
      }
    }
    if (e.cost_usd !== null) side.costUsd.push(e.cost_usd)
    side.savingsUsd.push(savings)
  }
  side.flags = [...flags.values()].sort((x, y) => (x.scorer + x.target < y.scorer + y.target ? -1 : 1))
  return side
}

// ---------------------------------------------------------------------------------------------
// ClickHouse

/** Columns that `by` and filters may name (all LowCardinality(String) in `interactions`). */
export const COMPARE_COLUMNS = ['app_name', 'environment', 'provider_name', 'operation_name', 'request_model', 'response_model', 'prompt_template_id', 'prompt_template_version'] as const
export type CompareColumn = (typeof COMPARE_COLUMNS)[number]
/** Of those, the ones `scores` carries itself (others are matched through `interactions` by event_id). */
const SCORES_COLUMNS: ReadonlySet<string> = new Set(['app_name', 'environment', 'provider_name', 'request_model', 'prompt_template_version'])

export function isCompareColumn(c: string): c is CompareColumn {
  return (COMPARE_COLUMNS as readonly string[]).includes(c)
}

/** The events of one side: a time range [from, to) and column = value conditions. */
export interface Selection {
  label: string
  fromMs: number
  toMs: number
  where: Partial<Record<CompareColumn, string>>
  /** Largest value sample per side for the latency and cost arrays (default 5000). */
  sampleSize?: number
}

function conditions(sel: Selection, table: 'interactions' | 'scores'): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { from_ms: Math.trunc(sel.fromMs), to_ms: Math.trunc(sel.toMs) }
  const parts = ['event_time >= fromUnixTimestamp64Milli({from_ms:Int64})', 'event_time < fromUnixTimestamp64Milli({to_ms:Int64})']
  const viaInteractions: string[] = []
  for (const [col, value] of Object.entries(sel.where)) {
    if (!isCompareColumn(col)) throw new RangeError(`cannot filter on ${col}: expected one of ${COMPARE_COLUMNS.join(', ')}`)
    if (value === undefined) continue
    params[`w_${col}`] = value
    const cond = `${col} = {w_${col}:String}`
    if (table === 'interactions' || SCORES_COLUMNS.has(col)) parts.push(cond)
    else viaInteractions.push(cond)
  }
  if (viaInteractions.length > 0) {
    parts.push(`event_id IN (SELECT event_id FROM interactions WHERE ${[...parts.slice(0, 2), ...viaInteractions].join(' AND ')})`)
  }
  return { sql: parts.join(' AND '), params }
}

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

/**
 * Fetches one side from the analyst tables: event, error and cache-hit counts and a latency sample
 * from `interactions`; flag counts per scorer x target (status ok) and the cost scorer's cost and
 * savings samples from `scores`. Reservoir samples (groupArraySample, fixed seed) of up to
 * `sampleSize` values; counts are exact.
 */
export async function querySide(client: ClickHouseClient, sel: Selection): Promise<SideData> {
  const n = Math.max(1, Math.trunc(sel.sampleSize ?? 5000))
  const ci = conditions(sel, 'interactions')
  const cs = conditions(sel, 'scores')
  const [ev] = await rows<{ events: string | number; errors: string | number; cache_hits: string | number; latency: number[] }>(
    client,
    `SELECT count() AS events, countIf(status = 'error') AS errors, countIf(cache_hit) AS cache_hits, groupArraySample(${n}, 1)(latency_ms) AS latency
     FROM interactions WHERE ${ci.sql}`,
    ci.params,
  )
  const flags = await rows<{ scorer: string; target: string; scored: string | number; flagged: string | number }>(
    client,
    `SELECT scorer, target, countIf(status = 'ok') AS scored, countIf(status = 'ok' AND flagged) AS flagged
     FROM scores WHERE ${cs.sql} GROUP BY scorer, target HAVING scored > 0 ORDER BY scorer, target`,
    cs.params,
  )
  const [cost] = await rows<{ cost: number[]; savings: number[] }>(
    client,
    `SELECT groupArraySampleIf(${n}, 1)(assumeNotNull(value), status = 'ok' AND value IS NOT NULL) AS cost,
            groupArraySample(${n}, 2)(if(label = 'cache_hit', JSONExtractFloat(details, 'savings_usd'), 0)) AS savings
     FROM scores WHERE ${cs.sql} AND scorer = 'cost' AND target = 'event'`,
    cs.params,
  )
  return {
    label: sel.label,
    events: Number(ev?.events ?? 0),
    errors: Number(ev?.errors ?? 0),
    cacheHits: Number(ev?.cache_hits ?? 0),
    flags: flags.map((f) => ({ scorer: f.scorer, target: f.target, scored: Number(f.scored), flagged: Number(f.flagged) })),
    latencyMs: (ev?.latency ?? []).map(Number),
    costUsd: (cost?.cost ?? []).map(Number),
    savingsUsd: (cost?.savings ?? []).map(Number),
  }
}

/**
 * A comparison in ClickHouse: either `by` a column with two values `a` and `b`, or before/after
 * `splitMs` (A = [fromMs, splitMs), B = [splitMs, toMs)); `where` narrows both sides.
 */
export type CompareQuery = {
  fromMs: number
  toMs: number
  where?: Partial<Record<CompareColumn, string>>
  sampleSize?: number
} & ({ by: CompareColumn; a: string; b: string } | { splitMs: number }) &
  CompareOptions

/** Runs the comparison query on ClickHouse (the analyst tables `interactions` and `scores`). */
export async function compareInClickHouse(client: ClickHouseClient, q: CompareQuery): Promise<Comparison> {
  const where = q.where ?? {}
  let selA: Selection
  let selB: Selection
  if ('by' in q) {
    if (!isCompareColumn(q.by)) throw new RangeError(`cannot compare by ${String(q.by)}: expected one of ${COMPARE_COLUMNS.join(', ')}`)
    if (where[q.by] !== undefined) throw new RangeError(`${q.by} is both the comparison column and a filter`)
    selA = { label: `${q.by}=${q.a}`, fromMs: q.fromMs, toMs: q.toMs, where: { ...where, [q.by]: q.a } }
    selB = { label: `${q.by}=${q.b}`, fromMs: q.fromMs, toMs: q.toMs, where: { ...where, [q.by]: q.b } }
  } else {
    if (!(q.splitMs > q.fromMs && q.splitMs < q.toMs)) throw new RangeError('the split time must lie inside the time range')
    selA = { label: `before ${new Date(q.splitMs).toISOString()}`, fromMs: q.fromMs, toMs: q.splitMs, where }
    selB = { label: `after ${new Date(q.splitMs).toISOString()}`, fromMs: q.splitMs, toMs: q.toMs, where }
  }
  if (q.sampleSize !== undefined) selA.sampleSize = selB.sampleSize = q.sampleSize
  const a = await querySide(client, selA)
  const b = await querySide(client, selB)
  return compareSides(a, b, q)
}
