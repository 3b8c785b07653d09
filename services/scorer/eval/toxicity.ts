/**
 * Toxicity eval: is the text toxic (hate or offensive)? Precision/recall/F1 of the learned scorer at
 * its threshold, ROC-AUC and AUC-PR of the continuous value, and per-kind flag rates (recall on the
 * toxic kinds, false-alarm rate on the neutral ones); then the same for the lexicon alone (what the
 * model reads as signals), the model's held-out split of its training corpora per source (hatemoji
 * test accuracy, EDOS test macro-F1) and its leave-one-source-out figures.
 */
import { analyze } from '../text.js'
import { learnedToxicityParams, scoreToxicity, scoreToxicityLearned, toxicityParams } from '../scorers/toxicity.js'
import { model } from '../model/linear.js'
import { heldOut, leaveOneSourceOut } from './learned.js'
import { aucPr, prf, rocAuc, round4 } from './metrics.js'
import { readJsonl } from './load.js'

interface Row {
  text: string
  toxic: number
  kind: string
}

export async function evaluate(dir: string): Promise<Record<string, number | string | Record<string, number>>> {
  const rows = await readJsonl<Row>(dir, 'toxicity.jsonl')
  const p = learnedToxicityParams.parse({})
  const lp = toxicityParams.parse({})
  const lexPreds: boolean[] = []
  const scores: number[] = []
  const preds: boolean[] = []
  const labels: boolean[] = []
  const byKind = new Map<string, { n: number; flagged: number }>()
  for (const r of rows) {
    const a = analyze(r.text)
    const res = scoreToxicityLearned(a, p)
    lexPreds.push(scoreToxicity(a, lp).flagged)
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
  const lex = prf(lexPreds, labels)
  return {
    n: rows.length,
    model: model('toxicity').id,
    threshold: model('toxicity').meta.threshold,
    precision: round4(m.precision),
    recall: round4(m.recall),
    f1: round4(m.f1),
    roc_auc: round4(rocAuc(scores, labels)),
    auc_pr: round4(aucPr(scores, labels)),
    flag_rate_by_kind: flagRateByKind,
    lexicon_alone: { precision: round4(lex.precision), recall: round4(lex.recall), f1: round4(lex.f1) },
    train_held_out: heldOut('toxicity', dir, (t) => scoreToxicityLearned(t, p)),
    leave_one_source_out: leaveOneSourceOut('toxicity'),
  }
}
