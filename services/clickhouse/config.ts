/** `llmwatch clickhouse serve` configuration from the environment (validated once, then passed in). */
import { z } from 'zod'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'

const userName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a user name (letters, digits, _ . -)')

export const serveEnvSchema = baseEnvSchema
  .extend({
    /** Interface to bind; 127.0.0.1 keeps the server on this machine. */
    CLICKHOUSE_SERVE_HOST: z.string().min(1).default('127.0.0.1'),
    /** HTTP port (ClickHouse's is 8123); 0 picks a free port. */
    CLICKHOUSE_SERVE_PORT: z.coerce.number().int().min(0).max(65535).default(8123),
    /** The writer: sink, migrations, demo. Every statement. */
    CLICKHOUSE_SERVE_WRITER_USER: userName.default('default'),
    CLICKHOUSE_SERVE_WRITER_PASSWORD: z.string().default(''),
    /** The reader: analysts, dashboards, `llmwatch sql`. Runs with readonly=1 and the limits below. */
    CLICKHOUSE_SERVE_READER_USER: userName.default('reader'),
    CLICKHOUSE_SERVE_READER_PASSWORD: z.string().default(''),
    /** The reader's max_execution_time, seconds. */
    CLICKHOUSE_SERVE_READER_MAX_EXECUTION_TIME: z.coerce.number().int().min(1).max(86_400).default(60),
    /** The reader's max_result_rows and max_result_bytes. */
    CLICKHOUSE_SERVE_READER_MAX_RESULT_ROWS: z.coerce.number().int().min(1).default(1_000_000),
    CLICKHOUSE_SERVE_READER_MAX_RESULT_BYTES: z.coerce.number().int().min(1).default(256 * 1024 * 1024),
    /** Memory limit of the whole served ClickHouse (its max_server_memory_usage), MiB; 0: ClickHouse's default (90 % of RAM). */
    CLICKHOUSE_SERVE_MAX_MEMORY_MB: z.coerce.number().int().min(0).default(0),
    /** The reader's queries that run at once (each on its own chDB session); more wait in line. The writer has its own session and its own line for reads. */
    CLICKHOUSE_SERVE_READ_SESSIONS: z.coerce.number().int().min(1).max(16).default(2),
  })
  .refine((e) => e.CLICKHOUSE_SERVE_WRITER_USER !== e.CLICKHOUSE_SERVE_READER_USER, {
    path: ['CLICKHOUSE_SERVE_READER_USER'],
    message: 'expected a name different from CLICKHOUSE_SERVE_WRITER_USER',
  })
export type ServeEnv = z.infer<typeof serveEnvSchema>

export function loadServeEnv(env: Record<string, string | undefined> = process.env): ServeEnv {
  return loadEnv(serveEnvSchema, env)
}
