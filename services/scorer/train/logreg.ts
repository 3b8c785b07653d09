/**
 * Logistic regression on sparse hashed features, trained with FTRL-Proximal, deterministic: rows
 * are visited in a seeded order and every sum runs in a fixed order, so the same data and seed give
 * the same weights, byte for byte. Plus what turns raw scores into decisions: the stacked calibration and
 * the threshold choice, both on the dev split, never on ../shared/eval.
 */
import { prf, rocAuc } from '../eval/metrics.js'

export interface Example {
  idx: Int32Array
  val: Float64Array
  y: 0 | 1
  /** Training weight (class balancing and source weights applied). */
  w: number
}

export interface TrainOptions {
  bits: number
  /** Dense features after the 2^bits hashed buckets (the mean word vector). */
  dense: number
  epochs: number
  /** FTRL-Proximal (McMahan et al. 2013): learning rate alpha, beta, L1 and L2 strengths. */
  alpha: number
  beta: number
  l1: number
  l2: number
  seed: number
  /** Called after each epoch. */
  progress?: (epoch: number, loss: number) => void
}

export interface Trained {
  weights: Float64Array
  bias: number
}

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))
}

/**
 * FTRL-Proximal logistic regression: per-coordinate learning rates, and L1 that keeps a weight at
 * exactly 0 until its feature has earned it. That is what hashed text features need: most n-grams
 * are rare, and without it a rare word that happened to appear in a few positives ("switch",
 * "approved") gets a large weight and fires on ordinary text. The bias is not regularized.
 */
export function train(examples: readonly Example[], o: TrainOptions): Trained {
  const n = (1 << o.bits) + o.dense
  const zs = new Float64Array(n + 1)
  const ns = new Float64Array(n + 1)
  const BIAS = n
  const weightOf = (j: number): number => {
    const z = zs[j] as number
    const l1 = j === BIAS ? 0 : o.l1
    const l2 = j === BIAS ? 0 : o.l2
    if (Math.abs(z) <= l1) return 0
    return -(z - Math.sign(z) * l1) / ((o.beta + Math.sqrt(ns[j] as number)) / o.alpha + l2)
  }
  const order = examples.map((_, i) => i)
  const rand = prng(o.seed)
  const w = new Float64Array(64)
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // Fisher-Yates with the seeded generator.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      const t = order[i] as number
      order[i] = order[j] as number
      order[j] = t
    }
    let loss = 0
    let buf = w
    for (const k of order) {
      const ex = examples[k] as Example
      const m = ex.idx.length
      if (buf.length < m + 1) buf = new Float64Array(2 * (m + 1))
      let t = 0
      for (let i = 0; i < m; i++) {
        const wi = weightOf(ex.idx[i] as number)
        buf[i] = wi
        t += wi * (ex.val[i] as number)
      }
      const wb = weightOf(BIAS)
      t += wb
      const p = sigmoid(t)
      loss += ex.w * (ex.y === 1 ? -Math.log(Math.max(p, 1e-12)) : -Math.log(Math.max(1 - p, 1e-12)))
      const g = ex.w * (p - ex.y)
      for (let i = 0; i <= m; i++) {
        const j = i === m ? BIAS : (ex.idx[i] as number)
        const gi = i === m ? g : g * (ex.val[i] as number)
        const wi = i === m ? wb : (buf[i] as number)
        const nOld = ns[j] as number
        const nNew = nOld + gi * gi
        const sigma = (Math.sqrt(nNew) - Math.sqrt(nOld)) / o.alpha
        zs[j] = (zs[j] as number) + gi - sigma * wi
        ns[j] = nNew
      }
    }
    o.progress?.(epoch + 1, loss / examples.length)
  }
  const weights = new Float64Array(n)
  for (let j = 0; j < n; j++) weights[j] = weightOf(j)
  return { weights, bias: weightOf(BIAS) }
}

export function zOf(m: { weights: ArrayLike<number>; bias: number }, ex: { idx: Int32Array; val: Float64Array }): number {
  let z = m.bias
  for (let i = 0; i < ex.idx.length; i++) z += (m.weights[ex.idx[i] as number] as number) * (ex.val[i] as number)
  return z
}

/**
 * The second stage: logistic regression of the label on [z, ...signals] over the dev split, which
 * the text model never trained on (stacking: the dev split says how far to trust the text model
 * and how far the rule/lexicon signals). With no signals this is Platt scaling. Newton's method
 * with a small ridge, rows optionally weighted; returns a (weight of z), b (intercept) and one
 * weight per signal.
 */
export function stack(zs: readonly number[], signals: readonly (readonly number[])[], ys: readonly (0 | 1)[], weights?: readonly number[]): { a: number; b: number; w: number[] } {
  const k = (signals[0]?.length ?? 0) + 2
  const x = (i: number): number[] => [zs[i] as number, 1, ...(signals[i] ?? [])]
  const beta = new Array<number>(k).fill(0)
  beta[0] = 1
  const ridge = 1e-3
  for (let it = 0; it < 50; it++) {
    const g = new Array<number>(k).fill(0)
    const h = Array.from({ length: k }, () => new Array<number>(k).fill(0))
    for (let i = 0; i < zs.length; i++) {
      const xi = x(i)
      let t = 0
      for (let j = 0; j < k; j++) t += (beta[j] as number) * (xi[j] as number)
      const p = sigmoid(t)
      const wi = weights?.[i] ?? 1
      const d = wi * (p - (ys[i] as number))
      const s = wi * p * (1 - p)
      for (let j = 0; j < k; j++) {
        g[j] = (g[j] as number) + d * (xi[j] as number)
        for (let l = 0; l < k; l++) (h[j] as number[])[l] = ((h[j] as number[])[l] as number) + s * (xi[j] as number) * (xi[l] as number)
      }
    }
    for (let j = 0; j < k; j++) {
      if (j !== 1) g[j] = (g[j] as number) + ridge * (beta[j] as number)
      ;(h[j] as number[])[j] = ((h[j] as number[])[j] as number) + ridge
    }
    const step = solve(h, g)
    let moved = 0
    for (let j = 0; j < k; j++) {
      beta[j] = (beta[j] as number) - (step[j] as number)
      moved += Math.abs(step[j] as number)
    }
    if (moved < 1e-10) break
  }
  return { a: beta[0] as number, b: beta[1] as number, w: beta.slice(2) }
}

/** Solves h x = g (Gaussian elimination with partial pivoting; h is small and positive definite). */
function solve(h: number[][], g: number[]): number[] {
  const n = g.length
  const m = h.map((row, i) => [...row, g[i] as number])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[p] as number[])[c] as number)) p = r
    ;[m[c], m[p]] = [m[p] as number[], m[c] as number[]]
    const pivot = (m[c] as number[])[c] as number
    if (Math.abs(pivot) < 1e-15) continue
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = ((m[r] as number[])[c] as number) / pivot
      for (let j = c; j <= n; j++) (m[r] as number[])[j] = ((m[r] as number[])[j] as number) - f * ((m[c] as number[])[j] as number)
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number))
}

/**
 * The decision threshold on calibrated probabilities: the one with the best F1 (among those whose
 * false-positive rate stays at or under `maxFpr`, when given), or, for 'max_fpr', the lowest whose
 * false-positive rate stays at or under the bound (the most recall it allows).
 * Rounded to 3 decimals; kept within [0.05, 0.95].
 */
export type ThresholdRule = { kind: 'f1'; maxFpr?: number } | { kind: 'max_fpr'; fpr: number }

export function chooseThreshold(ps: readonly number[], ys: readonly (0 | 1)[], rule: ThresholdRule, weights?: readonly number[]): number {
  const cands: number[] = []
  for (let t = 0.05; t <= 0.951; t += 0.005) cands.push(Math.round(t * 1000) / 1000)
  let best = 0.5
  let bestScore = -Infinity
  for (const t of cands) {
    // Weighted counts (each row its weight, 1 by default).
    let tp = 0
    let fp = 0
    let fn = 0
    let tn = 0
    for (let i = 0; i < ps.length; i++) {
      const w = weights?.[i] ?? 1
      const flag = (ps[i] as number) >= t
      if (ys[i] === 1) {
        if (flag) tp += w
        else fn += w
      } else if (flag) fp += w
      else tn += w
    }
    const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn)
    const fpr = fp / Math.max(1e-12, fp + tn)
    if (rule.kind === 'f1') {
      if (f1 > bestScore && fpr <= (rule.maxFpr ?? 1)) {
        bestScore = f1
        best = t
      }
    } else if (fpr <= rule.fpr) return t
  }
  return rule.kind === 'f1' ? best : 0.95
}

/** Figures for one labeled set: n, positives, precision/recall/F1 (where defined), FPR, ROC-AUC. `flags` overrides p >= threshold as the decision. */
export function figures(ps: readonly number[], ys: readonly (0 | 1)[], threshold: number, flags?: readonly boolean[]): Record<string, number> {
  const labels = ys.map((y) => y === 1)
  const preds = flags ?? ps.map((p) => p >= threshold)
  const m = prf(preds, labels)
  const pos = labels.filter(Boolean).length
  const out: Record<string, number> = { n: ys.length, positives: pos }
  const r4 = (x: number): number => Math.round(x * 10_000) / 10_000
  if (pos > 0) out.recall = r4(m.recall)
  if (pos < ys.length) out.fpr = r4(m.fp / Math.max(1, m.fp + m.tn))
  if (pos > 0 && pos < ys.length) {
    out.precision = r4(m.precision)
    out.f1 = r4(m.f1)
    out.roc_auc = r4(rocAuc(ps, labels))
    // Macro-F1 (mean of both classes' F1): what EDOS reports.
    const neg = prf(
      preds.map((p) => !p),
      labels.map((l) => !l),
    )
    out.macro_f1 = r4((m.f1 + neg.f1) / 2)
    out.accuracy = r4((m.tp + m.tn) / ys.length)
  }
  return out
}
