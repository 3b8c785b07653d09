/**
 * Sliding windows over event time, with memory bounded per group: a ring of fixed-width buckets.
 * A bucket is identified by its epoch (floor(t / bucketMs)); a slot of the ring is reused when a
 * newer epoch maps to it. Samples older than the ring's span are late and dropped (add returns
 * false). Windows are aligned to buckets: "the last 5 minutes" at time t covers the buckets of
 * epochs epoch(t) - n + 1 .. epoch(t), i.e. between (n - 1) and n bucket widths.
 */

/** Sums kept per bucket. */
export interface Stats {
  /** Events counted. */
  n: number
  /** Events that matched the rule's selector. */
  hits: number
  /** Sum and sum of squares of the measured value (for budgets, means and variances). */
  sum: number
  sumsq: number
}

export const emptyStats = (): Stats => ({ n: 0, hits: 0, sum: 0, sumsq: 0 })

/** A ring of Stats buckets spanning `nBuckets * bucketMs` of event time. */
export class CountWindow {
  private readonly epochs: Float64Array
  private readonly n: Float64Array
  private readonly hits: Float64Array
  private readonly sum: Float64Array
  private readonly sumsq: Float64Array
  /** Highest epoch added so far (-Infinity when empty). */
  private head = -Infinity

  constructor(
    readonly bucketMs: number,
    readonly nBuckets: number,
  ) {
    if (!(bucketMs > 0) || !Number.isInteger(nBuckets) || nBuckets < 1) throw new RangeError('bad window geometry')
    this.epochs = new Float64Array(nBuckets).fill(-Infinity)
    this.n = new Float64Array(nBuckets)
    this.hits = new Float64Array(nBuckets)
    this.sum = new Float64Array(nBuckets)
    this.sumsq = new Float64Array(nBuckets)
  }

  /** Adds one event at time t. Returns false when t is older than the ring (late, dropped). */
  add(t: number, hit: boolean, value = 0): boolean {
    const epoch = Math.floor(t / this.bucketMs)
    if (epoch <= this.head - this.nBuckets) return false
    const slot = ((epoch % this.nBuckets) + this.nBuckets) % this.nBuckets
    if (this.epochs[slot] !== epoch) {
      // The slot holds an older epoch (we checked lateness above): recycle it.
      this.epochs[slot] = epoch
      this.n[slot] = 0
      this.hits[slot] = 0
      this.sum[slot] = 0
      this.sumsq[slot] = 0
    }
    this.n[slot]! += 1
    if (hit) this.hits[slot]! += 1
    this.sum[slot]! += value
    this.sumsq[slot]! += value * value
    if (epoch > this.head) this.head = epoch
    return true
  }

  /**
   * Totals over the `count` buckets ending `skip` buckets before the bucket of `now`:
   * skip = 0 gives the latest window, skip = k the window k buckets earlier.
   */
  totals(now: number, count: number, skip = 0): Stats {
    const last = Math.floor(now / this.bucketMs) - skip
    const first = last - count + 1
    const out = emptyStats()
    for (let i = 0; i < this.nBuckets; i++) {
      const e = this.epochs[i]!
      if (e >= first && e <= last) {
        out.n += this.n[i]!
        out.hits += this.hits[i]!
        out.sum += this.sum[i]!
        out.sumsq += this.sumsq[i]!
      }
    }
    return out
  }

  /** True when no bucket holds an epoch at or after `now`'s window start. */
  isEmptyAt(now: number): boolean {
    return this.head <= Math.floor(now / this.bucketMs) - this.nBuckets
  }
}

/**
 * Log-bucketed quantile sketch (the DDSketch idea): value v > 0 goes to bin ceil(log_gamma(v)),
 * so any quantile is returned with relative error <= alpha. Bins cover [MIN_VALUE, MAX_VALUE];
 * values <= MIN_VALUE share a zero bin, values above MAX_VALUE are clamped.
 */
const ALPHA = 0.01
const GAMMA = (1 + ALPHA) / (1 - ALPHA)
const LOG_GAMMA = Math.log(GAMMA)
const MIN_VALUE = 1e-6
const MAX_VALUE = 1e12
const MIN_INDEX = Math.ceil(Math.log(MIN_VALUE) / LOG_GAMMA)
const N_BINS = Math.ceil(Math.log(MAX_VALUE) / LOG_GAMMA) - MIN_INDEX + 2 // + the zero bin at 0

export const QUANTILE_RELATIVE_ERROR = ALPHA

function binOf(v: number): number {
  if (!(v > MIN_VALUE)) return 0
  const idx = Math.ceil(Math.log(Math.min(v, MAX_VALUE)) / LOG_GAMMA) - MIN_INDEX + 1
  return Math.min(Math.max(idx, 1), N_BINS - 1)
}

function valueOf(bin: number): number {
  if (bin === 0) return 0
  // The midpoint (in relative terms) of bin (gamma^(i-1), gamma^i].
  return (2 * Math.pow(GAMMA, bin - 1 + MIN_INDEX)) / (1 + GAMMA)
}

/**
 * A sliding quantile window: a ring of sparse per-bucket histograms plus a dense running total
 * of the live buckets, so a query scans one array instead of merging every bucket.
 */
export class QuantileWindow {
  private readonly epochs: Float64Array
  private readonly buckets: Map<number, number>[]
  /** Counts per bin of the live buckets (integers: 8 KB per window). */
  private readonly total = new Uint32Array(N_BINS)
  private count = 0
  private head = -Infinity
  /** Bins outside [lo, hi] are empty in `total` (a query scans only this range). */
  private lo = N_BINS
  private hi = -1

  constructor(
    readonly bucketMs: number,
    readonly nBuckets: number,
  ) {
    if (!(bucketMs > 0) || !Number.isInteger(nBuckets) || nBuckets < 1) throw new RangeError('bad window geometry')
    this.epochs = new Float64Array(nBuckets).fill(-Infinity)
    this.buckets = Array.from({ length: nBuckets }, () => new Map<number, number>())
  }

  /** Removes buckets that fell out of the window ending at epoch `head`. */
  private evictBefore(firstLive: number): void {
    for (let i = 0; i < this.nBuckets; i++) {
      if (this.epochs[i]! < firstLive && this.epochs[i]! !== -Infinity) this.clearSlot(i)
    }
  }

  private clearSlot(i: number): void {
    const b = this.buckets[i]!
    for (const [bin, c] of b) {
      this.total[bin]! -= c
      this.count -= c
    }
    b.clear()
    this.epochs[i] = -Infinity
    if (this.count === 0) {
      this.lo = N_BINS
      this.hi = -1
    }
  }

  /** Adds a value at time t; false when t is older than the ring (late, dropped). */
  add(t: number, v: number): boolean {
    const epoch = Math.floor(t / this.bucketMs)
    if (epoch <= this.head - this.nBuckets) return false
    if (epoch > this.head) {
      this.head = epoch
      this.evictBefore(epoch - this.nBuckets + 1)
    }
    const slot = ((epoch % this.nBuckets) + this.nBuckets) % this.nBuckets
    if (this.epochs[slot] !== epoch) {
      this.clearSlot(slot)
      this.epochs[slot] = epoch
    }
    const bin = binOf(v)
    const b = this.buckets[slot]!
    b.set(bin, (b.get(bin) ?? 0) + 1)
    this.total[bin]! += 1
    this.count += 1
    if (bin < this.lo) this.lo = bin
    if (bin > this.hi) this.hi = bin
    return true
  }

  /** Number of values in the window ending at `now` (evicts expired buckets first). */
  size(now: number): number {
    this.advance(now)
    return this.count
  }

  private advance(now: number): void {
    const epoch = Math.floor(now / this.bucketMs)
    if (epoch > this.head) {
      this.head = epoch
      this.evictBefore(epoch - this.nBuckets + 1)
    }
  }

  /** The q-quantile (0 < q < 1) of the window ending at `now`, NaN when empty. */
  quantile(now: number, q: number): number {
    this.advance(now)
    if (this.count === 0) return NaN
    // Nearest-rank: the smallest value with at least ceil(q * count) values at or below it.
    const rank = Math.max(1, Math.ceil(q * this.count))
    let acc = 0
    for (let bin = this.lo; bin <= this.hi; bin++) {
      acc += this.total[bin]!
      if (acc >= rank) return valueOf(bin)
    }
    return valueOf(N_BINS - 1)
  }

  isEmptyAt(now: number): boolean {
    return this.head <= Math.floor(now / this.bucketMs) - this.nBuckets || this.size(now) === 0
  }
}
