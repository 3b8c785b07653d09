/**
 * Grounding evaluation on grounding.jsonl (BEGIN dialogue dev sets + HaluEval QA pairs).
 * Each case becomes a real LlmInteraction (question as the user message, context as retrieved
 * chunks), is prepared by text.ts and scored by the hallucination scorer: what runs in production.
 *
 * Reported: ROC-AUC overall and per source; F1 at the configured threshold; and, because answer
 * length alone separates HaluEval's classes, a length-controlled view: HaluEval cases are paired by
 * question (qa…-N-right with qa…-N-hallu); a pair is "similar length" when the two answers' word
 * counts differ by at most max(2, 25% of the longer). ROC-AUC restricted to the cases of those
 * pairs, and the pairwise accuracy (share of pairs where the hallucinated answer scores higher,
 * ties count half), over all pairs and over similar-length pairs.
 *
 * Run directly: npx tsx services/scorer/eval/grounding.ts [path/to/grounding.jsonl]
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { LlmInteraction } from '../../../shared/contract.js'
import { hallucinationScorer } from '../scorers/hallucination.js'
import { prepare } from '../text.js'
import { prf, rocAuc, round4 } from './metrics.js'

export const DEFAULT_GROUNDING_DATA = join('/work/shared/eval', 'grounding.jsonl')

interface Row {
  id: string
  context: string[]
  question: string
  response: string
  hallucinated: 0 | 1
  source: string
}

/** A minimal valid event carrying one eval case. */
export function evalEvent(fields: { question: string; response: string; context?: string[]; samples?: string[] }): LlmInteraction {
  const now = Date.now()
  return {
    event_id: '00000000-0000-4000-8000-000000000000',
    app_name: 'eval',
    environment: 'eval',
    provider_name: 'eval',
    operation_name: 'chat',
    request_model: 'eval',
    response_model: null,
    response_id: null,
    response_finish_reasons: [],
    usage_input_tokens: 0,
    usage_output_tokens: 0,
    usage_cached_input_tokens: 0,
    request_start_time: now,
    first_token_time: null,
    end_time: now,
    trace_id: null,
    span_id: null,
    session_id: null,
    user_id_hash: null,
    prompt_template_id: null,
    prompt_template_version: null,
    messages: fields.question.length > 0 ? [{ role: 'user', content: fields.question }] : [],
    response_text: fields.response,
    retrieved_context: fields.context ?? [],
    sampled_responses: fields.samples ?? [],
    cache_hit: false,
    status: 'ok',
    error_type: null,
    attributes: {},
  }
}

function wordCount(s: string): number {
  return s.split(/\s+/).filter((w) => w.length > 0).length
}

export interface GroundingEvalReport {
  dataset: string
  rows: number
  threshold: number
  allowPromptWords: boolean
  rocAuc: number
  rocAucBySource: Record<string, number>
  atThreshold: { precision: number; recall: number; f1: number }
  halueval: {
    pairs: number
    pairwiseAccuracy: number
    similarLengthPairs: number
    similarLengthRocAuc: number
    similarLengthPairwiseAccuracy: number
    /** What length alone achieves on the same cases (longer = hallucinated), for reference. */
    lengthOnlyRocAuc: number
    lengthOnlySimilarRocAuc: number
  }
}

export function evaluateGrounding(path: string = DEFAULT_GROUNDING_DATA, overrides: Record<string, unknown> = {}): GroundingEvalReport {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Row)
  const params = hallucinationScorer.params.parse(overrides)
  const scores: number[] = []
  const labels: boolean[] = []
  const flags: boolean[] = []
  for (const r of rows) {
    const input = prepare(evalEvent({ question: r.question, response: r.response, context: r.context }))
    const [res] = hallucinationScorer.score(input, params)
    scores.push(res?.value ?? 0)
    flags.push(res?.flagged ?? false)
    labels.push(r.hallucinated === 1)
  }

  const bySource: Record<string, number> = {}
  for (const src of new Set(rows.map((r) => r.source))) {
    const idx = rows.map((r, i) => (r.source === src ? i : -1)).filter((i) => i >= 0)
    bySource[src] = round4(rocAuc(idx.map((i) => scores[i] ?? 0), idx.map((i) => labels[i] ?? false)))
  }

  // HaluEval pairs by question id.
  const pairs = new Map<string, { right?: number; hallu?: number }>()
  rows.forEach((r, i) => {
    const m = /^(.*)-(right|hallu)$/.exec(r.id)
    if (r.source !== 'halueval-qa' || m === null) return
    const p = pairs.get(m[1] ?? '') ?? {}
    if (m[2] === 'right') p.right = i
    else p.hallu = i
    pairs.set(m[1] ?? '', p)
  })
  const complete = [...pairs.values()].filter((p): p is { right: number; hallu: number } => p.right !== undefined && p.hallu !== undefined)
  const similar = complete.filter((p) => {
    const a = wordCount(rows[p.right]?.response ?? '')
    const b = wordCount(rows[p.hallu]?.response ?? '')
    return Math.abs(a - b) <= Math.max(2, 0.25 * Math.max(a, b))
  })
  const pairAcc = (ps: typeof complete) =>
    ps.length === 0 ? Number.NaN : ps.reduce((a, p) => a + ((scores[p.hallu] ?? 0) > (scores[p.right] ?? 0) ? 1 : (scores[p.hallu] ?? 0) === (scores[p.right] ?? 0) ? 0.5 : 0), 0) / ps.length
  const sub = (ps: typeof complete, f: (i: number) => number) => {
    const idx = ps.flatMap((p) => [p.right, p.hallu])
    return round4(rocAuc(idx.map(f), idx.map((i) => labels[i] ?? false)))
  }
  const byLength = (i: number) => wordCount(rows[i]?.response ?? '')
  const byScore = (i: number) => scores[i] ?? 0

  const t = prf(flags, labels)
  return {
    dataset: path,
    rows: rows.length,
    threshold: params.groundingThreshold,
    allowPromptWords: params.allowPromptWords,
    rocAuc: round4(rocAuc(scores, labels)),
    rocAucBySource: bySource,
    atThreshold: { precision: round4(t.precision), recall: round4(t.recall), f1: round4(t.f1) },
    halueval: {
      pairs: complete.length,
      pairwiseAccuracy: round4(pairAcc(complete)),
      similarLengthPairs: similar.length,
      similarLengthRocAuc: sub(similar, byScore),
      similarLengthPairwiseAccuracy: round4(pairAcc(similar)),
      lengthOnlyRocAuc: sub(complete, byLength),
      lengthOnlySimilarRocAuc: sub(similar, byLength),
    },
  }
}

/** Entry point for the eval harness (services/scorer/eval.ts): the numeric figures only. */
export async function evaluate(dataDir?: string): Promise<Record<string, number | Record<string, number>>> {
  const r = evaluateGrounding(dataDir !== undefined ? join(dataDir, 'grounding.jsonl') : DEFAULT_GROUNDING_DATA)
  return { rows: r.rows, threshold: r.threshold, rocAuc: r.rocAuc, rocAucBySource: r.rocAucBySource, atThreshold: r.atThreshold, halueval: r.halueval }
}
export default evaluate

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const overrides = process.argv[3] !== undefined ? (JSON.parse(process.argv[3]) as Record<string, unknown>) : {}
  console.log(JSON.stringify(evaluateGrounding(process.argv[2] ?? DEFAULT_GROUNDING_DATA, overrides), null, 2))
}
