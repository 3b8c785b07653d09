/** The alerter's environment, validated once with zod (shared variables from baseEnvSchema). */
import { z } from 'zod'
import { baseEnvSchema, envBool, loadEnv } from '../../shared/config.js'
import { TOPICS } from '../../shared/contract.js'
import { repoPath } from '../../shared/paths.js'

export const alerterEnvSchema = baseEnvSchema.extend({
  /** YAML or JSON rules file. */
  ALERTER_RULES_FILE: z.string().default(repoPath('config', 'alert-rules.yaml')),
  /** Timer period of the wall-clock evaluation (absence, resolution when events stop, reminders). */
  ALERTER_TICK_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Consumer group: instances in one group split the partitions of the scores topic. */
  ALERTER_GROUP_ID: z.string().min(1).default('llmwatch-alerter'),
  ALERTER_SCORES_TOPIC: z.string().min(1).default(TOPICS.scores.name),
  ALERTER_ALERTS_TOPIC: z.string().min(1).default(TOPICS.alerts.name),
  /** Rebuild windows and the firing set from the topics at start-up (turn off only in tests). */
  ALERTER_REPLAY: envBool.default(true),
  /** Longest a start-up rebuild may read the topics (large windows at high rates take minutes). */
  ALERTER_REPLAY_TIMEOUT_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /** Encoding of llm.alerts records: avro (Confluent framing) or json (for integrations); the sink and `alerts tail` read both. */
  ALERTER_ALERTS_FORMAT: z.enum(['avro', 'json']).default('avro'),
  /** Base URL for runbook paths like docs/ALERTING.md#latency (e.g. the repository's web address); unset: kept as paths. */
  ALERTER_RUNBOOK_BASE_URL: z.url().optional(),
  ALERTER_WEBHOOK_URL: z.url().optional(),
  ALERTER_WEBHOOK_FORMAT: z.enum(['json', 'slack']).default('json'),
  ALERTER_WEBHOOK_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  ALERTER_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
})
export type AlerterEnv = z.infer<typeof alerterEnvSchema>

export function loadAlerterEnv(env: Record<string, string | undefined> = process.env): AlerterEnv {
  return loadEnv(alerterEnvSchema, env)
}
