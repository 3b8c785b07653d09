/** `llmwatch ui` configuration from the environment (validated once, then passed in). */
import { z } from 'zod'
import { baseEnvSchema, envBool, loadEnv } from '../../shared/config.js'

export const uiEnvSchema = baseEnvSchema.extend({
  /** Interface to bind; 127.0.0.1 keeps the dashboard on this machine. */
  UI_HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP port; 0 picks a free one (printed). */
  UI_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * The ClickHouse user the dashboard reads as: a read-only one (`llmwatch clickhouse serve`'s reader
   * by default). CLICKHOUSE_USER stays the writer's, for the services in the same shell.
   */
  UI_CLICKHOUSE_USER: z.string().min(1).default('reader'),
  UI_CLICKHOUSE_PASSWORD: z.string().default(''),
  /** Seconds between the live pages' refreshes. */
  UI_REFRESH_SECONDS: z.coerce.number().int().min(1).max(5).default(5),
  /** Start even when UI_CLICKHOUSE_USER may write (readonly = 0). Off: the dashboard refuses. */
  UI_ALLOW_WRITER: envBool.default(false),
})
export type UiEnv = z.infer<typeof uiEnvSchema>

export function loadUiEnv(env: Record<string, string | undefined> = process.env): UiEnv {
  return loadEnv(uiEnvSchema, env)
}
