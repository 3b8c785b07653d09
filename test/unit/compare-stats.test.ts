/**
 * The statistics of shared/compare.ts against published or hand-computed values:
 * - Wilson 5/100: Wilson (1927) / R binom::binom.wilson(5, 100) = [0.02154, 0.11175];
 * - Newcombe (1998) method 10, his worked examples 56/70 - 48/80 = 0.2 [0.0524, 0.3339] and
 *   9/10 - 3/10 = 0.6 [0.1705, 0.8090];
 * - the pooled z-test: 5/100 vs 15/100 is chi-square 5.556 (R prop.test(correct = FALSE): p = 0.01842),
 *   50/1000 vs 60/1000 p = 0.3267; Fisher: R fisher.test(matrix(c(1, 9, 5, 5), 2)) p = 0.1409 and the
 *   tea-tasting table 3/4 vs 1/4 p = 0.4857;
 * - Holm and Benjamini-Hochberg on (0.01, 0.04, 0.03, 0.005), by hand below.
 */
import { describe, expect, it } from 'vitest'
import {
  benjaminiHochberg,
  bootstrap,
  bootstrapDiff,
  compareSides,
  fisherExact,
  holm,
  mulberry32,
  newcombeDiff,
  normalCdf,
  normalQuantile,
  quantile,
  quantileInterval,
  sideFromScored,
  twoProportionTest,
  wilson,
  type SideData,
} from '../../shared/compare.js'
import type { ScoredInteraction } from '../../shared/contract.js'

describe('normal distribution', () => {
  it('quantile and CDF at known points', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12)
    expect(normalQuantile(0.5)).toBe(0)
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 10)
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 14)
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 13)
    expect(normalCdf(-6) / 9.865876450376946e-10).toBeCloseTo(1, 8)
    for (const p of [1e-6, 0.01, 0.3, 0.77, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 12)
  })
})

describe('Wilson interval', () => {
  it('5/100 at 95 %', () => {
    const w = wilson(5, 100)
    expect(w.estimate).toBe(0.05)
    expect(w.low).toBeCloseTo(0.0215437, 6)
    expect(w.high).toBeCloseTo(0.1117505, 6)
  })
  it('0/10: from 0 to z^2 / (n + z^2); n/n ends at 1; 90 % is narrower', () => {
    const z2 = 1.959963984540054 ** 2
    expect(wilson(0, 10)).toEqual({ estimate: 0, low: 0, high: expect.closeTo(z2 / (10 + z2), 12) as number })
    expect(wilson(10, 10).high).toBe(1)
    expect(wilson(5, 100, 0.9).high).toBeLessThan(wilson(5, 100).high)
  })
  it('refuses impossible counts and confidence levels', () => {
    expect(() => wilson(5, 4)).toThrow(/0 <= successes <= n/)
    expect(() => wilson(1, 10, 95)).toThrow(/confidence must lie strictly between 0 and 1/)
  })
})

describe('difference of two proportions', () => {
  it("Newcombe's hybrid score interval reproduces his worked examples", () => {
    const d = newcombeDiff(48, 80, 56, 70)
    expect(d.estimate).toBeCloseTo(0.2, 12)
    expect(d.low).toBeCloseTo(0.0524, 4)
    expect(d.high).toBeCloseTo(0.3339, 4)
    const e = newcombeDiff(3, 10, 9, 10)
    expect(e.low).toBeCloseTo(0.1705, 4)
    expect(e.high).toBeCloseTo(0.809, 4)
  })
  it('a significant difference: 5/100 vs 15/100 (z-test)', () => {
    const t = twoProportionTest(5, 100, 15, 100)
    expect(t.method).toBe('z-test')
    expect(t.z).toBeCloseTo(2.357023, 5)
    expect(t.p).toBeCloseTo(0.01842, 5)
    expect(newcombeDiff(5, 100, 15, 100).low).toBeGreaterThan(0)
  })
  it('a difference that is not significant: 50/1000 vs 60/1000', () => {
    const t = twoProportionTest(50, 1000, 60, 1000)
    expect(t.p).toBeCloseTo(0.3267, 4)
    const d = newcombeDiff(50, 1000, 60, 1000)
    expect(d.low).toBeLessThan(0)
    expect(d.high).toBeGreaterThan(0)
  })
  it("Fisher's exact test for small expected counts", () => {
    expect(fisherExact(1, 10, 5, 10)).toBeCloseTo(0.1409, 4)
    expect(fisherExact(3, 4, 1, 4)).toBeCloseTo(0.4857, 4)
    expect(twoProportionTest(1, 10, 5, 10)).toMatchObject({ method: 'fisher-exact', p: expect.closeTo(0.1409, 4) as number })
    expect(twoProportionTest(0, 50, 0, 50).p).toBe(1)
  })
})

describe('multiple-testing correction', () => {
  const p = [0.01, 0.04, 0.03, 0.005]
  it('Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, then running maximum', () => {
    // 0.02, 0.03, 0.06, max(0.04, 0.06) = 0.06; back in input order:
    expect(holm(p).map((x) => Number(x.toFixed(10)))).toEqual([0.03, 0.06, 0.06, 0.02])
  })
  it('Benjamini-Hochberg: p x m / rank, then running minimum from the top', () => {
    // ranks 1..4: 0.02, 0.02, 0.04, 0.04
    expect(benjaminiHochberg(p).map((x) => Number(x.toFixed(10)))).toEqual([0.02, 0.04, 0.04, 0.02])
  })
  it('caps at 1 and leaves NaN out of the family', () => {
    expect(holm([0.5, NaN, 0.6])).toEqual([1, NaN, 1])
    expect(benjaminiHochberg([NaN, 0.02])).toEqual([NaN, 0.02])
  })
})

describe('quantiles and bootstrap', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1)
  it('type-7 quantile and the order-statistic interval of the median of 1..100: x(40), x(61)', () => {
    expect(quantile(Array.from({ length: 10 }, (_, i) => i + 1), 0.95)).toBeCloseTo(9.55, 12)
    expect(quantileInterval(v, 0.5)).toEqual({ estimate: 50.5, low: 40, high: 61 })
  })
  it('bootstrap is deterministic for a seed and brackets the estimate', () => {
    const a = bootstrap(v, { kind: 'mean' }, { seed: 7 })
    expect(bootstrap(v, { kind: 'mean' }, { seed: 7 })).toEqual(a)
    expect(a.estimate).toBe(50.5)
    // The mean's standard error is 29.0 / 10: the 95 % interval is about +-5.7.
    expect(a.low).toBeGreaterThan(43)
    expect(a.high).toBeLessThan(58)
    expect(a.low).toBeLessThan(47)
    expect(a.high).toBeGreaterThan(54)
  })
  it('the O(n) quantile resampler gives what sorting each resample gives', () => {
    const values = Array.from({ length: 257 }, (_, i) => ((i * 7919) % 1000) / 7)
    const sorted = Float64Array.from(values).sort()
    for (const q of [0.5, 0.95, 0.99, 0]) {
      const rnd = mulberry32(3)
      const stats = Array.from({ length: 200 }, () => {
        const r = Float64Array.from(sorted, () => sorted[Math.floor(rnd() * sorted.length)]!).sort()
        return quantile(r, q)
      }).sort((x, y) => x - y)
      const b = bootstrap(values, { kind: 'quantile', q }, { seed: 3, iterations: 200 })
      expect([b.low, b.high]).toEqual([quantile(stats, 0.025), quantile(stats, 0.975)])
    }
  })
  it('a shift of 30 in the median is significant, a shift of 1 in the mean is not', () => {
    const shifted = bootstrapDiff(v, v.map((x) => x + 30), { kind: 'quantile', q: 0.5 })
    expect(shifted.estimate).toBe(30)
    // Not floored at 1 / resamples (the bootstrap standard error gives the p-value): Holm can still call it.
    expect(shifted.p).toBeLessThan(1e-4)
    expect(shifted.low).toBeGreaterThan(0)
    const small = bootstrapDiff(v, v.map((x) => x + 1), { kind: 'mean' })
    expect(small.p).toBeGreaterThan(0.5)
    expect(small.low).toBeLessThan(0)
  })
})

describe('compareSides', () => {
  const side = (label: string, flagged: number, extra: Partial<SideData> = {}): SideData => ({
    label, events: 100, errors: 0, cacheHits: 0, flags: [{ scorer: 'toxicity', target: 'response', scored: 100, flagged }], latencyMs: [], costUsd: [], savingsUsd: [], ...extra,
  })
  it('without correction 5/100 -> 15/100 is significantly worse; Holm over three tests is not (0.0184 x 3)', () => {
    const none = compareSides(side('A', 5), side('B', 15), { correction: 'none' })
    const tox = none.rows.find((r) => r.key === 'flag_rate:toxicity:response')!
    expect(tox).toMatchObject({ significant: true, verdict: 'worse', higherIsWorse: true })
    expect(tox.diff.estimate).toBeCloseTo(0.1, 12)
    const holmed = compareSides(side('A', 5), side('B', 15))
    const t2 = holmed.rows.find((r) => r.key === 'flag_rate:toxicity:response')!
    // The family: toxicity, error rate (0 vs 0, p = 1), cache hit rate (p = 1); latency and cost have no values (n/a).
    expect(holmed.rows.filter((r) => !Number.isNaN(r.p))).toHaveLength(3)
    expect(t2.pAdjusted).toBeCloseTo(3 * 0.018422, 4)
    expect(t2).toMatchObject({ significant: false, verdict: 'same' })
    expect(holmed.rows.find((r) => r.key === 'latency_p95_ms')!.verdict).toBe('n/a')
  })
  it('more cache hits are better, not worse', () => {
    const c = compareSides(side('A', 5, { cacheHits: 5 }), side('B', 5, { cacheHits: 40 }))
    expect(c.rows.find((r) => r.key === 'cache_hit_rate')).toMatchObject({ verdict: 'better', significant: true })
  })
  it('sideFromScored counts flags per scorer and target (status ok only), errors, cache hits, costs and savings', () => {
    const ev = (o: Partial<ScoredInteraction>, scores: ScoredInteraction['scores']): ScoredInteraction =>
      ({ latency_ms: 100, status: 'ok', cache_hit: false, cost_usd: 0.01, scores, ...o }) as ScoredInteraction
    const entry = (name: string, target: 'response' | 'event', flagged: boolean, status: 'ok' | 'error' = 'ok', label = '', details = '{}') =>
      ({ name, target, version: '1', status, value: status === 'ok' ? 0.5 : null, label, flagged, details })
    const s = sideFromScored('cand', [
      ev({}, [entry('toxicity', 'response', true), entry('cost', 'event', false)]),
      ev({ status: 'error', latency_ms: 300, cost_usd: null }, [entry('toxicity', 'response', false, 'error')]),
      ev({ cache_hit: true, cost_usd: 0 }, [entry('toxicity', 'response', false), entry('cost', 'event', false, 'ok', 'cache_hit', '{"savings_usd":0.02}')]),
    ])
    expect(s).toEqual({
      label: 'cand', events: 3, errors: 1, cacheHits: 1,
      flags: [{ scorer: 'cost', target: 'event', scored: 2, flagged: 0 }, { scorer: 'toxicity', target: 'response', scored: 2, flagged: 1 }],
      latencyMs: [100, 300, 100], costUsd: [0.01, 0], savingsUsd: [0, 0, 0.02],
    })
  })
})
