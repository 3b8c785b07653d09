/**
 * Toxicity eval: is the text toxic (hate or offensive)? Precision/recall/F1 at the configured
 * threshold, ROC-AUC and AUC-PR of the continuous value, and per-kind flag rates (recall on the
 * toxic kinds, false-alarm rate on the neutral ones).
 */
import { analyze } from '../text.js'
import { scoreToxicity, toxicityParams } from '../scorers/toxicity.js'
import { aucPr, prf, rocAuc, round4 } from './metrics.js'
import { readJsonl } from './load.js'

interface Row {
  text: string
  toxic: number
  kind: string
}

export async function evaluate(dir: string): Promise<Record<string, number | Record<string, number>>> {
  const rows = await readJsonl<Row>(dir, 'toxicity.jsonl')
  const p = toxicityParams.parse({})
  const scores: number[] = []
  const preds: boolean[] = []
  const labels: boolean[] = []
  const byKind = new Map<string, { n: number; flagged: number }>()
  for (const r of rows) {
    const res = scoreToxicity(analyze(r.text), p)
    const v = res.value ?? 0
    scores.push(v)
    preds.push(res.flagged)
    labels.push(r.toxic === 1)
    const k = byKind.get(r.kind) ?? { n: 0, flagged: 0 }
    k.n++
    if (res.flagged) k.flagged++
    byKind.set(r.kind, k)
  }
  const m = prf(preds, labels)
  const flagRateByKind: Record<string, number> = {}
  for (const [k, v] of byKind) flagRateByKind[k] = round4(v.flagged / v.n)
  return {
    n: rows.length,
    threshold: p.threshold,
    precision: round4(m.precision),
    recall: round4(m.recall),
    f1: round4(m.f1),
    roc_auc: round4(rocAuc(scores, labels)),
    auc_pr: round4(aucPr(scores, labels)),
    flag_rate_by_kind: flagRateByKind,
  }
}
