/**
 * Bias eval (the learned scorer) on StereoSet triplets: pairwise accuracy (the stereotype completion scores above its
 * anti-stereotype twin; ties count half), plus ROC-AUC / flag rates per label. Triplets share one
 * context: rows come in blocks of three consecutive ids with the same target (checked; blocks that
 * do not hold exactly one stereotype and one anti-stereotype are skipped and counted).
 */
import { analyze } from '../text.js'
import { learnedBiasParams, scoreBiasLearned as scoreBias } from '../scorers/bias.js'
import { model } from '../model/linear.js'
import { heldOut, leaveOneSourceOut } from './learned.js'
import { rocAuc, round4 } from './metrics.js'
import { readJsonl } from './load.js'

interface Row {
  id: string
  text: string
  label: 'stereotype' | 'anti-stereotype' | 'unrelated'
  bias_type: string
  target: string
}

export async function evaluate(dir: string): Promise<Record<string, number | string | Record<string, number>>> {
  const rows = await readJsonl<Row>(dir, 'bias.jsonl')
  const p = learnedBiasParams.parse({})
  const blocks = new Map<string, { row: Row; value: number; flagged: boolean }[]>()
  for (const r of rows) {
    const m = /^(.*)-(\d+)$/.exec(r.id)
    if (m === null) continue
    const key = `${m[1]}:${Math.floor(Number(m[2]) / 3)}`
    const res = scoreBias(analyze(r.text), p)
    const list = blocks.get(key) ?? []
    list.push({ row: r, value: res.value ?? 0, flagged: res.flagged })
    blocks.set(key, list)
  }
  let pairs = 0
  let wins = 0
  let skipped = 0
  let ties = 0
  const byType = new Map<string, { n: number; wins: number }>()
  const flags: Record<string, { n: number; f: number }> = {}
  const scores: number[] = []
  const labels: boolean[] = []
  for (const list of blocks.values()) {
    for (const x of list) {
      const f = (flags[x.row.label] ??= { n: 0, f: 0 })
      f.n++
      if (x.flagged) f.f++
      if (x.row.label !== 'unrelated') {
        scores.push(x.value)
        labels.push(x.row.label === 'stereotype')
      }
    }
    const st = list.filter((x) => x.row.label === 'stereotype')
    const an = list.filter((x) => x.row.label === 'anti-stereotype')
    const s = st[0]
    const a = an[0]
    if (st.length !== 1 || an.length !== 1 || s === undefined || a === undefined || s.row.target !== a.row.target) {
      skipped++
      continue
    }
    const w = s.value > a.value ? 1 : s.value === a.value ? 0.5 : 0
    if (s.value === a.value) ties++
    pairs++
    wins += w
    const t = byType.get(s.row.bias_type) ?? { n: 0, wins: 0 }
    t.n++
    t.wins += w
    byType.set(s.row.bias_type, t)
  }
  const acc: Record<string, number> = {}
  for (const [k, v] of byType) acc[k] = round4(v.wins / v.n)
  const flagRate: Record<string, number> = {}
  for (const [k, v] of Object.entries(flags)) flagRate[k] = round4(v.f / v.n)
  return {
    n: rows.length,
    model: model('bias').id,
    threshold: model('bias').meta.threshold,
    pairs,
    pairs_skipped: skipped,
    pairwise_accuracy: round4(wins / pairs),
    /** Pairs scored equal (each counts half): what the lexicons cannot tell apart. */
    pairs_tied: round4(ties / pairs),
    pairwise_accuracy_by_type: acc,
    roc_auc_stereo_vs_anti: round4(rocAuc(scores, labels)),
    flag_rate_by_label: flagRate,
    train_held_out: heldOut('bias', dir, (t) => scoreBias(t, p)),
    leave_one_source_out: leaveOneSourceOut('bias'),
  }
}
