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
}
