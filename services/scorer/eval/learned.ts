/**
 * Figures of the learned scorers on their own training corpora (`../shared/train`): each model's
 * held-out test split per source, scored by the shipped model through the scorer, and its
 * leave-one-source-out figures, which `npm run train` measures (a retraining per source) and records
 * in models/<name>.json. Keys are flat: "<source>.<metric>".
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AnalyzedText, ScoreResult } from '../scorer.js'
import { analyze } from '../text.js'
import { model } from '../model/linear.js'
import { loadRecipe, RECIPES, type ModelName } from '../train/data.js'
import { figures } from '../train/logreg.js'
import { HYPER } from '../train/train.js'

/** The training corpora: LLMWATCH_TRAIN_DIR, else `train/` beside the eval dir. */
export function trainDir(evalDir: string): string {
  return process.env.LLMWATCH_TRAIN_DIR ?? resolve(evalDir, '..', 'train')
}

function flat(rows: Record<string, Record<string, number>>, keep: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [s, f] of Object.entries(rows)) for (const k of keep) if (f[k] !== undefined) out[`${s}.${k}`] = f[k] as number
  return out
}

const KEEP = ['n', 'recall', 'fpr', 'precision', 'f1', 'macro_f1', 'accuracy', 'roc_auc'] as const

/** Held-out test split of the model's training recipe, per source, through `score`. Empty when the corpora are not there. */
export function heldOut(name: ModelName, evalDir: string, score: (t: AnalyzedText) => Omit<ScoreResult, 'target'>): Record<string, number> {
  const dir = trainDir(evalDir)
  if (!existsSync(dir)) return {}
  const rows = loadRecipe(dir, RECIPES[name], HYPER.seed).filter((r) => r.split === 'test')
  const bySource: Record<string, Record<string, number>> = {}
  for (const s of [...new Set(rows.map((r) => r.source))].sort()) {
    const rs = rows.filter((r) => r.source === s)
    const res = rs.map((r) => score(analyze(r.text)))
    bySource[s] = figures(
      res.map((x) => x.value ?? 0),
      rs.map((r) => r.label),
      0.5,
      res.map((x) => x.flagged),
    )
  }
  return flat(bySource, KEEP)
}

/** Leave-one-source-out figures recorded by the training run of the shipped model. */
export function leaveOneSourceOut(name: ModelName): Record<string, number> {
  return flat(model(name).meta.leave_one_source_out as Record<string, Record<string, number>>, KEEP)
}
