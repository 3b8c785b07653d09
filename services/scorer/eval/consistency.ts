/**
 * Consistency evaluation on consistency.jsonl (SelfCheckGPT WikiBio annotations): sentence-level
 * AUC-PR for inaccurate sentences (minor or major = positive), the setting of Manakul et al. 2023
 * ("NonFact"; published: random 72.96, SelfCheck-Unigram(max) 85.63).
 *
 * The dataset's own sentence split is scored (so rows align with labels), with the same unigram
 * model the scorer uses: the response's and samples' tokens as text.ts produces them.
 * Reported for the raw max and avg -log P (as published) and for the scorer's normalized score
 * (divided by log(N + V), which only rescales per passage), plus the random baseline (positive share)
 * and the event-level F1 of the scorer's flag against "passage has any major inaccuracy".
 *
 * Run directly: npx tsx services/scorer/eval/consistency.ts [path/to/consistency.jsonl]
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { hallucinationScorer, selfCheckUnigram } from '../scorers/hallucination.js'
import { analyze, prepare } from '../text.js'
import { evalEvent } from './grounding.js'
import { aucPr, prf, rocAuc, round4 } from './metrics.js'

export const DEFAULT_CONSISTENCY_DATA = join('/work/shared/eval', 'consistency.jsonl')

interface Row {
  id: string
  response: string
  sentences: string[]
  samples: string[]
  labels: string[]
}

export interface ConsistencyEvalReport {
  dataset: string
  passages: number
  sentences: number
  randomBaselineAucPr: number
  aucPr: { maxNll: number; avgNll: number; normalizedMax: number }
  rocAuc: { maxNll: number; avgNll: number }
  published: { random: number; unigramMax: number }
  event: { threshold: number; positives: number; precision: number; recall: number; f1: number; rocAuc: number }
}

export function evaluateConsistency(path: string = DEFAULT_CONSISTENCY_DATA): ConsistencyEvalReport {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Row)
  const maxS: number[] = []
  const avgS: number[] = []
  const normS: number[] = []
  const labels: boolean[] = []
  const params = hallucinationScorer.params.parse({})
  const evScores: number[] = []
  const evFlags: boolean[] = []
  const evLabels: boolean[] = []
  for (const r of rows) {
    const sampleTokens = r.samples.map((s) => analyze(s).tokens)
    const res = selfCheckUnigram(r.sentences, analyze(r.response).tokens, sampleTokens, 'max')
    // selfCheckUnigram skips token-less sentences; the dataset has none, but keep labels aligned.
    if (res.length !== r.sentences.length) throw new Error(`${r.id}: ${res.length} scores for ${r.sentences.length} sentences`)
    res.forEach((s, i) => {
      maxS.push(s.maxNll)
      avgS.push(s.avgNll)
      normS.push(s.normalized)
      labels.push(r.labels[i] !== 'accurate')
    })
    // Event level: the scorer on the real event path (its own sentence split).
    const [ev] = hallucinationScorer.score(prepare(evalEvent({ question: '', response: r.response, samples: r.samples })), params)
    evScores.push(ev?.value ?? 0)
    evFlags.push(ev?.flagged ?? false)
    evLabels.push(r.labels.includes('major_inaccurate'))
  }
  const pos = labels.filter(Boolean).length
  const t = prf(evFlags, evLabels)
  return {
    dataset: path,
    passages: rows.length,
    sentences: labels.length,
    randomBaselineAucPr: round4(pos / labels.length),
    aucPr: { maxNll: round4(aucPr(maxS, labels)), avgNll: round4(aucPr(avgS, labels)), normalizedMax: round4(aucPr(normS, labels)) },
    rocAuc: { maxNll: round4(rocAuc(maxS, labels)), avgNll: round4(rocAuc(avgS, labels)) },
    published: { random: 0.7296, unigramMax: 0.8563 },
    event: {
      threshold: params.consistencyThreshold,
      positives: evLabels.filter(Boolean).length,
      precision: round4(t.precision),
      recall: round4(t.recall),
      f1: round4(t.f1),
      rocAuc: round4(rocAuc(evScores, evLabels)),
    },
  }
}

/** Entry point for the eval harness (services/scorer/eval.ts): the numeric figures only. */
export async function evaluate(dataDir?: string): Promise<Record<string, number | Record<string, number>>> {
  const r = evaluateConsistency(dataDir !== undefined ? join(dataDir, 'consistency.jsonl') : DEFAULT_CONSISTENCY_DATA)
  return { passages: r.passages, sentences: r.sentences, randomBaselineAucPr: r.randomBaselineAucPr, aucPr: r.aucPr, rocAuc: r.rocAuc, published: r.published, event: r.event }
}
export default evaluate

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(evaluateConsistency(process.argv[2] ?? DEFAULT_CONSISTENCY_DATA), null, 2))
}
