/**
 * Environment configuration, validated once per service with zod and passed into constructors.
 * An error names the variable and what was expected.
 */
import { z } from 'zod'
import { ConfigError } from './errors.js'

/** "true/false/1/0/yes/no" to a real boolean. */
export const envBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

export const brokerList = z
  .string()
  .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1, 'expected at least one host:port'))

export const baseEnvSchema = z.object({
  /** Comma-separated host:port list. Unset: the local infrastructure decides (see shared/infra). */
  KAFKA_BROKERS: brokerList.optional(),
  KAFKA_CLIENT_ID: z.string().default('llmwatch'),
  /** Partitions for topics the project creates. */
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(256).default(6),
  /** ClickHouse server over HTTP (or `llmwatch clickhouse serve`); unset: the one of a running `llmwatch infra up`. */
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a SQL identifier').default('llmwatch'),
  /** The chDB data directory `llmwatch clickhouse serve` (and `llmwatch infra up`) serves. */
  CLICKHOUSE_PATH: z.string().default('.data/clickhouse'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * A Confluent-compatible schema registry (shared/schema-registry.ts): Avro records carry its ids.
   * Unset: the fixed ids of schemas/registry.json.
   */
  SCHEMA_REGISTRY_URL: z.url({ protocol: /^https?$/, message: 'expected the http(s) URL of a Confluent-compatible schema registry' }).optional(),
  /** Port of the /metrics and /healthz endpoint; 0 picks a free port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
})
export type BaseEnv = z.infer<typeof baseEnvSchema>

/** Validates `env` against `schema`; throws a ConfigError listing each bad variable. */
export function loadEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  // Empty strings count as unset, as in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const result = schema.safeParse(cleaned)
  if (result.success) return result.data
  const lines = result.error.issues.map((i) => {
    const name = i.path.join('.') || '(environment)'
    const got = i.path.length ? cleaned[String(i.path[0])] : undefined
    // Secrets (passwords, API keys) are never echoed back into logs.
    const shown = /PASSWORD|SECRET|TOKEN|API_KEYS/.test(name) ? 'a value not shown' : JSON.stringify(got)
    return `${name}: ${i.message}${got === undefined ? '' : ` (got ${shown})`}`
  })
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`)
}
