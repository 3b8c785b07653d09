/** The scorer service's environment, validated once at start-up. */
import { z } from 'zod'
import { baseEnvSchema, envBool } from '../../shared/config.js'
import { TOPICS } from '../../shared/contract.js'

export const scorerEnvSchema = baseEnvSchema.extend({
  SCORER_GROUP_ID: z.string().min(1).default('llmwatch-scorer'),
  SCORER_INPUT_TOPIC: z.string().min(1).default(TOPICS.interactions.name),
  SCORER_OUTPUT_TOPIC: z.string().min(1).default(TOPICS.scores.name),
  SCORER_DLQ_TOPIC: z.string().min(1).default(TOPICS.dlq.name),
  /** JSON file with scorer enabling, thresholds and parameters (see docs/SCORERS.md). */
  SCORER_CONFIG_FILE: z.string().default('config/scorers.json'),
  /** What text llm.scores (and so ClickHouse) carries: full, redacted (PII masked) or none. */
  SCORER_TEXT_MODE: z.enum(['full', 'redacted', 'none']).default('redacted'),
  /** Kafka transactions from llm.interactions to llm.scores: each batch's scores and its offsets commit atomically. */
  SCORER_EXACTLY_ONCE: envBool.default(true),
  /**
   * Scoring worker threads; 0 (default) scores on the Kafka thread. Measured (bench/scorer-service.ts):
   * two inline processes in one group beat one process with a two-thread pool by ~25-30 %, so scale
   * out with processes; the pool is for a single process that must use several cores.
   */
  SCORER_WORKERS: z.coerce.number().int().min(0).max(64).default(0),
  /**
   * Transactional id of this instance (exactly-once). Default: group-host-pid, unique but new on
   * every restart. A stable id per instance (e.g. the pod name of a StatefulSet) lets a restarted
   * scorer fence its predecessor and abort its open transaction at once, instead of downstream
   * readers waiting for the broker's transaction timeout (60 s). Two live instances must never share one.
   */
  SCORER_TRANSACTIONAL_ID: z.string().min(1).optional(),
  /** Partitions processed concurrently by one instance. */
  SCORER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  /**
   * How far V8 lets the old generation grow past what the last full GC kept, in percent (V8's
   * --heap-growing-percent, set at start-up); 0 leaves V8's own policy (up to about 4x when the
   * program allocates fast): the old generation grew to ~80 MB around the ~45 MB the scorer keeps.
   * 100 (2x) measured ~30 MB less peak RSS than 0 (225 against 256 MB on a 30,000-event backlog),
   * CPU within the noise (up to ~5 %); 30 cost a third more CPU (docs/BENCHMARKS.md, Scorer service).
   */
  SCORER_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(100),
})
export type ScorerEnv = z.infer<typeof scorerEnvSchema>
