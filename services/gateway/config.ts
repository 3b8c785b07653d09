/** The ingest gateway's environment, validated once at start-up (an error names the variable, exit 2). */
import { z } from 'zod'
import { baseEnvSchema } from '../../shared/config.js'
import { TOPICS } from '../../shared/contract.js'

/** One API key: the bearer token and the app names it may write (`*`: any). */
export interface ApiKey {
  /** Short name for logs and metrics: `key1`, `key2`, ... in the order given (never the token). */
  name: string
  token: string
  apps: ReadonlySet<string> | '*'
}

/**
 * `GATEWAY_API_KEYS`: `token=app1|app2;token2=*`. Tokens are at least 16 characters of
 * `[A-Za-z0-9._~+/-]`; app names as in the contract (1-128 characters, no `|`, `;` or `=`).
 */
export const apiKeyList = z
  .string({ error: 'required: API keys as token=app1|app2;token2=* (tokens of 16-256 characters [A-Za-z0-9._~+/-], * for any app)' })
  .transform((s, ctx): ApiKey[] => {
    const keys: ApiKey[] = []
    const entries = s.split(';').map((e) => e.trim()).filter(Boolean)
    entries.forEach((entry, i) => {
      const eq = entry.indexOf('=')
      const token = eq < 0 ? entry : entry.slice(0, eq).trim()
      const apps = eq < 0 ? '' : entry.slice(eq + 1).trim()
      if (!/^[A-Za-z0-9._~+/-]{16,256}$/.test(token)) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: expected token=app1|app2 with a token of 16-256 characters [A-Za-z0-9._~+/-]` })
        return
      }
      const names = apps.split('|').map((a) => a.trim()).filter(Boolean)
      if (names.length === 0 || names.some((a) => a.length > 128)) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: expected at least one app name (or *) after "=", names up to 128 characters` })
        return
      }
      keys.push({ name: `key${i + 1}`, token, apps: names.includes('*') ? '*' : new Set(names) })
    })
    if (keys.length === 0 && entries.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one token=app1|app2 entry' })
    if (new Set(keys.map((k) => k.token)).size !== keys.length) ctx.addIssue({ code: 'custom', message: 'a token is listed twice' })
    return keys
  })

export const gatewayEnvSchema = baseEnvSchema.extend({
  /** Address the HTTP server listens on. */
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  /** Port (4318 is OTLP/HTTP's registered port; 0 picks a free one, logged). */
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4318),
  /** API keys and their apps: `token=app1|app2;token2=*` (required). */
  GATEWAY_API_KEYS: apiKeyList,
  /** Largest request body, compressed and after gunzip (413 above it). */
  GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Most spans, log records or interactions in one request (413 above it). */
  GATEWAY_MAX_ITEMS_PER_REQUEST: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  /** Requests per second per API key (429 + Retry-After above it). */
  GATEWAY_RATE_LIMIT_RPS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Encoded event bytes waiting for Kafka's ack, all requests together: 503 + Retry-After above it. */
  GATEWAY_MAX_INFLIGHT_BYTES: z.coerce.number().int().min(64 * 1024).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /** Longest a request waits for Kafka's ack before it is answered 503 + Retry-After. */
  GATEWAY_ACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Event ids remembered after their ack, so that a retried request is not produced twice. */
  GATEWAY_DEDUP_IDS: z.coerce.number().int().min(0).max(10_000_000).default(500_000),
  /**
   * Longest a GenAI span waits for its prompt and completion log records (OTLP logs from the same
   * service; only for services that sent such records in the last 10 minutes). 0: never wait.
   */
  GATEWAY_LOGS_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(3_000),
  /** Memory for log records waiting for their span (oldest dropped above it). */
  GATEWAY_LOGS_BUFFER_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
  GATEWAY_TOPIC: z.string().min(1).default(TOPICS.interactions.name),
})
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>
