/**
 * The scorer interface. A scorer is one file in ./scorers exporting a `Scorer`, registered in
 * ./scorers/index.ts. Scorers are pure and synchronous over a prepared `ScoringInput`: every text
 * of the event is normalized and tokenized once (./text.ts) and all scorers read that shared result.
 */
import type { z } from 'zod'
import type { LlmInteraction, ScoreEntry } from '../../shared/contract.js'

/** A text analysed once, shared by every scorer. */
export interface AnalyzedText {
  /** The original text. */
  readonly raw: string
  /** Lower-cased, de-obfuscated text (leetspeak, spacing, repeated letters folded). */
  readonly normalized: string
  /** Lower-cased word tokens of `raw` (letters/digits), in order. */
  readonly tokens: readonly string[]
  /** Sentences of `raw` (for claim-level checks). */
  readonly sentences: readonly string[]
}

export interface ScoringInput {
  readonly event: LlmInteraction
  readonly prompt: AnalyzedText
  readonly response: AnalyzedText
  /** One per retrieved chunk. */
  readonly context: readonly AnalyzedText[]
  /** One per sampled alternative response. */
  readonly samples: readonly AnalyzedText[]
}

/** What a scorer returns per target. `value` null means not applicable. */
export interface ScoreResult {
  target: ScoreEntry['target']
  status: ScoreEntry['status']
  value: number | null
  label: string
  flagged: boolean
  details: Record<string, unknown>
}

export interface Scorer<P = unknown> {
  readonly name: string
  readonly version: string
  /** The event fields it reads (documentation and a cheap skip test). */
  readonly reads: readonly (keyof LlmInteraction)[]
  /** zod schema of the scorer's parameters, every field with a default: `params.parse({})` gives the defaults. */
  readonly params: z.ZodType<P>
  /** Returns one result per target it scores (e.g. toxicity scores prompt and response). */
  score(input: ScoringInput, params: P): ScoreResult[]
  /**
   * Loads what the scorer needs (model files) once per process. The engine calls it before the
   * scorer's first run, outside the time budget: a model read from disk on a loaded machine must not
   * turn the first event's score into "time budget exceeded".
   */
  load?(): void
}

const FIXED_JSON = new WeakMap<object, string>()

function deepFreeze(o: object): void {
  Object.freeze(o)
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) deepFreeze(v as object)
}

/**
 * Details that never vary (a scorer's frequent "nothing found" answer): frozen, and serialized once
 * here instead of by the engine for every event that gets them.
 */
export function fixedDetails<T extends Record<string, unknown>>(details: T): Readonly<T> {
  deepFreeze(details)
  FIXED_JSON.set(details, JSON.stringify(details))
  return details
}

/** The JSON of details made by `fixedDetails`, else undefined. */
export function fixedDetailsJson(details: object): string | undefined {
  return FIXED_JSON.get(details)
}

/** `r` for `target`. (Fields listed: `{ target, ...r }` takes a slower path in V8.) */
export function withTarget(target: ScoreResult['target'], r: Omit<ScoreResult, 'target'>): ScoreResult {
  return { target, status: r.status, value: r.value, label: r.label, flagged: r.flagged, details: r.details }
}
