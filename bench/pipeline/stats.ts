/** Small statistics helpers for the benchmark. */

/** Nearest-rank quantile of an ascending array (NaN when empty). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

export function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5)
}

export interface Percentiles {
  n: number
  p50_ms: number
  p90_ms: number
  p99_ms: number
  max_ms: number
}

export function percentiles(values: readonly number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b)
  return { n: s.length, p50_ms: quantile(s, 0.5), p90_ms: quantile(s, 0.9), p99_ms: quantile(s, 0.99), max_ms: s.at(-1) ?? NaN }
}

/** Per-bucket p50 and p99 of (time, value) samples, buckets of `bucketS` seconds from `t0`. */
export function bucketed(samples: readonly { t: number; v: number }[], t0: number, bucketS = 1): { t: number; p50: number; p99: number }[] {
  const buckets = new Map<number, number[]>()
  for (const s of samples) {
    const b = Math.floor((s.t - t0) / 1000 / bucketS)
    let arr = buckets.get(b)
    if (!arr) buckets.set(b, (arr = []))
    arr.push(s.v)
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, vs]) => {
      vs.sort((x, y) => x - y)
      return { t: (b + 0.5) * bucketS, p50: quantile(vs, 0.5), p99: quantile(vs, 0.99) }
    })
}
