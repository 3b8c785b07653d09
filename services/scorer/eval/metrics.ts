/**
 * Shared metric helpers for the eval modules (services/scorer/eval/*.ts): precision/recall/F1 at a
 * decision threshold, ROC-AUC (rank statistic, ties count half) and AUC-PR (average precision).
 */

export interface Prf {
  precision: number
  recall: number
  f1: number
  tp: number
  fp: number
  fn: number
  tn: number
}

/** Precision, recall and F1 of boolean predictions against boolean labels (positives = true). */
export function prf(preds: readonly boolean[], labels: readonly boolean[]): Prf {
  if (preds.length !== labels.length) throw new Error(`prf: ${preds.length} predictions for ${labels.length} labels`)
  let tp = 0
  let fp = 0
  let fn = 0
  let tn = 0
  for (let i = 0; i < preds.length; i++) {
    const p = preds[i]
    const l = labels[i]
    if (p && l) tp++
    else if (p && !l) fp++
    else if (!p && l) fn++
    else tn++
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn)
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { precision, recall, f1, tp, fp, fn, tn }
}

/**
 * ROC-AUC: the probability that a random positive scores above a random negative (ties = 0.5),
 * computed from average ranks (Mann-Whitney U). NaN when one class is empty.
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length !== labels.length) throw new Error(`rocAuc: ${scores.length} scores for ${labels.length} labels`)
  const idx = scores.map((_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0))
  let nPos = 0
  let rankSumPos = 0
  let i = 0
  while (i < idx.length) {
    // Group ties and give each member the average rank of the group (ranks start at 1).
    let j = i
    const s = scores[idx[i] ?? 0]
    while (j + 1 < idx.length && scores[idx[j + 1] ?? 0] === s) j++
    const avgRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (labels[idx[k] ?? 0]) {
        nPos++
        rankSumPos += avgRank
      }
    }
    i = j + 1
  }
  const nNeg = scores.length - nPos
  if (nPos === 0 || nNeg === 0) return Number.NaN
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/**
 * AUC-PR as average precision: sum over distinct thresholds (high to low) of
 * precision x recall increment. Tied scores enter together, so ties are not rewarded by order.
 * NaN when there are no positives.
 */
export function aucPr(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length !== labels.length) throw new Error(`aucPr: ${scores.length} scores for ${labels.length} labels`)
  const nPos = labels.filter(Boolean).length
  if (nPos === 0) return Number.NaN
  const idx = scores.map((_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0))
  let tp = 0
  let fp = 0
  let prevRecall = 0
  let ap = 0
  let i = 0
  while (i < idx.length) {
    const s = scores[idx[i] ?? 0]
    while (i < idx.length && scores[idx[i] ?? 0] === s) {
      if (labels[idx[i] ?? 0]) tp++
      else fp++
      i++
    }
    const recall = tp / nPos
    const precision = tp / (tp + fp)
    ap += precision * (recall - prevRecall)
    prevRecall = recall
  }
  return ap
}

/** Rounds every number of a metrics object to 4 decimals for display/JSON. */
export function round4(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10_000) / 10_000 : x
}
