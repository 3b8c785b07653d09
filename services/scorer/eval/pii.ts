/**
 * PII detector evaluation on pii.jsonl (Presidio research synthetic sentences, spans with types).
 *
 * - Span metrics per claimed type: a prediction is a true positive when a gold span of the same
 *   type has exactly the same [start, end) after trimming surrounding whitespace and punctuation;
 *   precision/recall/F1 from those counts (exact match, the strict Presidio-research setting).
 *   Also reported: "overlap" F1, where any overlap with a same-type gold span counts.
 * - Text level: recall of "contains PII" over all gold types, over claimed types only, and the
 *   false-alarm rate on texts without any gold span.
 * Claimed: the structured identifiers (STRUCTURED_MICRO pools them) and, by rules with
 * name lists from compromise (shared/pii-entities.ts), PERSON and STREET_ADDRESS (ENTITY_MICRO).
 * Gold spans are Presidio's: a PERSON span excludes the title ("Mr."), a STREET_ADDRESS span
 * covers whatever address its template printed (often street, city, state, ZIP and country over
 * several lines); exact match is strict there, so overlap figures are reported too.
 * The rows are used to measure only: no rule, list or threshold is fitted to them.
 *
 * Run directly: npx tsx services/scorer/eval/pii.ts [path/to/pii.jsonl]
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { detectPii, type PiiType } from '../scorers/pii.js'
import { round4 } from './metrics.js'

export const DEFAULT_PII_DATA = join('/work/shared/eval', 'pii.jsonl')

/** Gold types the detector claims, mapped to its own type names (identical here). */
export const STRUCTURED: readonly PiiType[] = ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS']
export const ENTITIES: readonly PiiType[] = ['PERSON', 'STREET_ADDRESS']
export const CLAIMED: readonly PiiType[] = [...STRUCTURED, ...ENTITIES]
export const NOT_CLAIMED = ['GPE', 'ORGANIZATION', 'DATE_TIME', 'TITLE', 'AGE', 'NRP', 'ZIP_CODE', 'DOMAIN_NAME', 'US_DRIVER_LICENSE']

interface Span {
  type: string
  start: number
  end: number
}
interface Row {
  id: string
  text: string
  spans: Span[]
}

const TRIM = /[\s.,;:!?()"'\\|%/]/

/** Shrinks [start, end) past surrounding whitespace/punctuation so both sides compare alike. */
function trim(text: string, s: Span): Span {
  let { start, end } = s
  while (start < end && TRIM.test(text[start] ?? '')) start++
  while (end > start && TRIM.test(text[end - 1] ?? '')) end--
  return { type: s.type, start, end }
}

interface Counts {
  tp: number
  fp: number
  fn: number
}

function f1Of(c: Counts): { precision: number; recall: number; f1: number; support: number } {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp)
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn)
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { precision: round4(precision), recall: round4(recall), f1: round4(f1), support: c.tp + c.fn }
}

export interface PiiEvalReport {
  dataset: string
  rows: number
  exact: Record<string, { precision: number; recall: number; f1: number; support: number }>
  overlap: Record<string, { precision: number; recall: number; f1: number; support: number }>
  textLevel: { recallAllTypes: number; recallClaimedTypes: number; falseAlarmRate: number; textsWithPii: number; textsWithClaimedPii: number }
  notClaimed: string[]
  /** Up to 10 misses and false alarms, for error analysis (ids and types only). */
  examples: { misses: string[]; falseAlarms: string[] }
}

export function evaluatePii(path: string = DEFAULT_PII_DATA): PiiEvalReport {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Row)
  const exact = new Map<string, Counts>(CLAIMED.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]))
  const overlap = new Map<string, Counts>(CLAIMED.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]))
  let withPii = 0
  let withPiiHit = 0
  let withClaimed = 0
  let withClaimedHit = 0
  let clean = 0
  let cleanAlarm = 0
  const misses: string[] = []
  const falseAlarms: string[] = []

  for (const row of rows) {
    const preds = detectPii(row.text).filter((f) => f.type !== 'SECRET').map((f) => trim(row.text, f))
    const gold = row.spans.map((s) => trim(row.text, s))
    const goldClaimed = gold.filter((s) => (CLAIMED as readonly string[]).includes(s.type))

    if (gold.length > 0) {
      withPii++
      if (preds.length > 0) withPiiHit++
    } else {
      clean++
      if (preds.length > 0) cleanAlarm++
    }
    if (goldClaimed.length > 0) {
      withClaimed++
      if (preds.length > 0) withClaimedHit++
    }

    for (const type of CLAIMED) {
      const g = goldClaimed.filter((s) => s.type === type)
      const p = preds.filter((s) => s.type === type)
      const ce = exact.get(type) as Counts
      const co = overlap.get(type) as Counts
      const exactHit = (a: Span, b: Span) => a.start === b.start && a.end === b.end
      const overlapHit = (a: Span, b: Span) => a.start < b.end && b.start < a.end
      for (const ps of p) {
        if (g.some((gs) => exactHit(ps, gs))) ce.tp++
        else {
          ce.fp++
          if (falseAlarms.length < 10) falseAlarms.push(`${row.id} ${type} ${JSON.stringify(row.text.slice(ps.start, ps.end))}`)
        }
        if (g.some((gs) => overlapHit(ps, gs))) co.tp++
        else co.fp++
      }
      for (const gs of g) {
        if (!p.some((ps) => exactHit(ps, gs))) {
          ce.fn++
          if (misses.length < 10) misses.push(`${row.id} ${type} ${JSON.stringify(row.text.slice(gs.start, gs.end))}`)
        }
        if (!p.some((ps) => overlapHit(ps, gs))) co.fn++
      }
    }
  }

  const total = (m: Map<string, Counts>, types: readonly PiiType[] = CLAIMED): Counts =>
    types.map((t) => m.get(t) as Counts).reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), { tp: 0, fp: 0, fn: 0 })
  const exactOut: PiiEvalReport['exact'] = {}
  const overlapOut: PiiEvalReport['overlap'] = {}
  for (const t of CLAIMED) {
    exactOut[t] = f1Of(exact.get(t) as Counts)
    overlapOut[t] = f1Of(overlap.get(t) as Counts)
  }
  exactOut.STRUCTURED_MICRO = f1Of(total(exact, STRUCTURED))
  overlapOut.STRUCTURED_MICRO = f1Of(total(overlap, STRUCTURED))
  exactOut.ENTITY_MICRO = f1Of(total(exact, ENTITIES))
  overlapOut.ENTITY_MICRO = f1Of(total(overlap, ENTITIES))
  exactOut.ALL_CLAIMED_MICRO = f1Of(total(exact))
  overlapOut.ALL_CLAIMED_MICRO = f1Of(total(overlap))

  return {
    dataset: path,
    rows: rows.length,
    exact: exactOut,
    overlap: overlapOut,
    textLevel: {
      recallAllTypes: round4(withPii === 0 ? 0 : withPiiHit / withPii),
      recallClaimedTypes: round4(withClaimed === 0 ? 0 : withClaimedHit / withClaimed),
      falseAlarmRate: round4(clean === 0 ? 0 : cleanAlarm / clean),
      textsWithPii: withPii,
      textsWithClaimedPii: withClaimed,
    },
    notClaimed: NOT_CLAIMED,
    examples: { misses, falseAlarms },
  }
}

/** Entry point for the eval harness (services/scorer/eval.ts): the numeric figures only. */
export async function evaluate(dataDir?: string): Promise<Record<string, number | Record<string, number>>> {
  const r = evaluatePii(dataDir !== undefined ? join(dataDir, 'pii.jsonl') : DEFAULT_PII_DATA)
  const pick = (k: 'precision' | 'recall' | 'f1' | 'support') => Object.fromEntries(Object.entries(r.exact).map(([t, m]) => [t, m[k]]))
  return {
    rows: r.rows,
    span_f1: pick('f1'),
    span_precision: pick('precision'),
    span_recall: pick('recall'),
    span_support: pick('support'),
    overlap_f1: Object.fromEntries(Object.entries(r.overlap).map(([t, m]) => [t, m.f1])),
    overlap_precision: Object.fromEntries(Object.entries(r.overlap).map(([t, m]) => [t, m.precision])),
    overlap_recall: Object.fromEntries(Object.entries(r.overlap).map(([t, m]) => [t, m.recall])),
    text_level: r.textLevel,
  }
}
export default evaluate

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(evaluatePii(process.argv[2] ?? DEFAULT_PII_DATA), null, 2))
}
