/** Sink configuration from the environment (validated once, then passed in). */
import { z } from 'zod'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import { TOPICS } from '../../shared/contract.js'
import { retentionEnvSchema } from '../../shared/migrate.js'

/** Default of SINK_FETCH_MIN_BYTES (also the sink's when started without it). */
export const DEFAULT_FETCH_MIN_BYTES = 4 * 1024 * 1024

export const TEXT_MODES = ['none', 'redacted', 'full'] as const
export type TextMode = (typeof TEXT_MODES)[number]

export const sinkEnvSchema = baseEnvSchema.extend(retentionEnvSchema.shape).extend({
  /** Most rows (all tables together) in one insert. */
  SINK_BATCH_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  /**
   * Longest a message waits in Kafka for company before the sink takes it: the broker answers the
   * sink's fetch once SINK_FETCH_MIN_BYTES are ready or after this long, and each fetch is one insert.
   */
  SINK_FLUSH_MS: z.coerce.number().int().min(1).max(600_000).default(1_000),
  /** Bytes of llm.scores the broker collects for one fetch (= one insert) when traffic is high. */
  SINK_FETCH_MIN_BYTES: z.coerce.number().int().min(1).max(8 * 1024 * 1024).default(DEFAULT_FETCH_MIN_BYTES),
  /** Most text the sink will store: the stricter of this and the event's own text_mode wins. */
  SINK_TEXT_MODE: z.enum(TEXT_MODES).default('redacted'),
  /** How long one flush retries an unreachable ClickHouse before handing the batch back to the runner. */
  SINK_RETRY_BUDGET_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** Partition batches processed at once per topic: more means bigger inserts. */
  SINK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
  SINK_GROUP_ID: z.string().min(1).default('llmwatch-sink'),
  /**
   * How far V8 lets the old generation grow past what the last full GC kept, in percent (V8's
   * --heap-growing-percent, set at start-up); 0 leaves V8's own policy (up to about 4x when the
   * program allocates fast). A fetch's records live until their insert is done, so they are
   * promoted; with V8's policy their garbage, not what the sink keeps (a few MB), set its peak RSS
   * (docs/BENCHMARKS.md, Sink, Binary inserts).
   */
  SINK_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(100),
  SINK_SCORES_TOPIC: z.string().min(1).default(TOPICS.scores.name),
  SINK_ALERTS_TOPIC: z.string().min(1).default(TOPICS.alerts.name),
  SINK_DLQ_TOPIC: z.string().min(1).default(TOPICS.dlq.name),
})
export type SinkEnv = z.infer<typeof sinkEnvSchema>

export function loadSinkEnv(env: Record<string, string | undefined> = process.env): SinkEnv {
  return loadEnv(sinkEnvSchema, env)
}
