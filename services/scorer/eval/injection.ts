/**
 * Injection eval (the learned model with the rules, as the scorer judges a prompt): precision/recall/F1, ROC-AUC, AUC-PR, per-source
 * flag rates, and the false-alarm rate on NotInject's benign prompts full of trigger words; plus the
 * strongest family of each caught attack and the rules behind each false alarm (for error analysis);
 * then the model's held-out split of its training corpora per source and its leave-one-source-out figures.
 */
import { analyze } from '../text.js'
import { injectionScorer, learnedInjectionParams } from '../scorers/injection.js'
import type { AnalyzedText, ScoreResult } from '../scorer.js'
import { model } from '../model/linear.js'
import { heldOut, leaveOneSourceOut } from './learned.js'

/** One text as the scorer judges a prompt (rules + model). */
function scoreInjection(text: AnalyzedText, p: ReturnType<typeof learnedInjectionParams.parse>): Omit<ScoreResult, 'target'> {
  const input = { prompt: text, response: text, context: [], samples: [], event: {} } as unknown as Parameters<typeof injectionScorer.score>[0]
  return injectionScorer.score(input, { ...p, scanContext: false })[0] as ScoreResult
}
import { aucPr, prf, rocAuc, round4 } from './metrics.js'
import { readJsonl } from './load.js'

interface Row {
  text: string
  injection: number
  source: string
}

export async function evaluate(dir: string): Promise<Record<string, number | string | Record<string, number>>> {
  const rows = await readJsonl<Row>(dir, 'injection.jsonl')
  const p = learnedInjectionParams.parse({})
  const scores: number[] = []
  const preds: boolean[] = []
  const labels: boolean[] = []
  const bySource = new Map<string, { n: number; flagged: number }>()
  // Which attack families the flagged attacks were caught by, and which rules raised false alarms.
  const caughtByKind: Record<string, number> = {}
  const falseAlarmRules: Record<string, number> = {}
  for (const r of rows) {
    const res = scoreInjection(analyze(r.text), p)
    if (res.flagged) {
      const d = res.details as { rules?: string[] }
      if (r.injection === 1) caughtByKind[res.label] = (caughtByKind[res.label] ?? 0) + 1
      else for (const id of d.rules ?? []) falseAlarmRules[id] = (falseAlarmRules[id] ?? 0) + 1
    }
    scores.push(res.value ?? 0)
    preds.push(res.flagged)
    labels.push(r.injection === 1)
    const key = `${r.source}:${r.injection === 1 ? 'attack' : 'benign'}`
    const s = bySource.get(key) ?? { n: 0, flagged: 0 }
    s.n++
    if (res.flagged) s.flagged++
    bySource.set(key, s)
  }
  const m = prf(preds, labels)
  const flagRate: Record<string, number> = {}
  for (const [k, v] of bySource) flagRate[k] = round4(v.flagged / v.n)
  const trig = bySource.get('notinject-trigger-words:benign')
  return {
    n: rows.length,
    model: model('injection').id,
    threshold: model('injection').meta.threshold,
    precision: round4(m.precision),
    recall: round4(m.recall),
    f1: round4(m.f1),
    roc_auc: round4(rocAuc(scores, labels)),
    auc_pr: round4(aucPr(scores, labels)),
    false_alarm_trigger_words: trig === undefined ? Number.NaN : round4(trig.flagged / trig.n),
    flag_rate_by_source: flagRate,
    attacks_caught_by_kind: caughtByKind,
    false_alarm_rules: falseAlarmRules,
    train_held_out: heldOut('injection', dir, (t) => scoreInjection(t, p)),
    leave_one_source_out: leaveOneSourceOut('injection'),
  }
}
