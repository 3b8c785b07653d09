/**
 * The scorer registry. Adding a scorer = one file in this folder + one line in SCORERS.
 * Order is the order of the entries in each ScoredInteraction.
 */
import type { Scorer } from '../scorer.js'
import { biasScorer } from './bias.js'
import { hallucinationScorer } from './hallucination.js'
import { injectionScorer } from './injection.js'
import { piiScorer } from './pii.js'
import { toxicityScorer } from './toxicity.js'
import { latencyScorer } from './latency.js'
import { costScorer } from './cost.js'

export const SCORERS: Scorer<unknown>[] = [
  toxicityScorer as Scorer<unknown>,
  biasScorer as Scorer<unknown>,
  injectionScorer as Scorer<unknown>,
  piiScorer as Scorer<unknown>,
  hallucinationScorer as Scorer<unknown>,
  latencyScorer as Scorer<unknown>,
  costScorer as Scorer<unknown>,
]
