/**
 * `llmwatch ui`: the web dashboard (./server.ts) over the configured ClickHouse, as a read-only user.
 * Serves until SIGTERM/SIGINT (then exit 0); 2 on a configuration error (named), 1 when ClickHouse
 * cannot be reached.
 */
import { createClickHouse } from '../../shared/clickhouse.js'
import { ConfigError } from '../../shared/errors.js'
import { createLogger, type Logger } from '../../shared/logger.js'
import { compareHandler } from './compare-api.js'
import { loadUiEnv, type UiEnv } from './config.js'
import { clickhouseDb, num } from './queries.js'
import { startUiServer, type UiServer } from './server.js'

const USAGE = 'usage: llmwatch ui   (configuration: CLICKHOUSE_URL, UI_HOST, UI_PORT, UI_CLICKHOUSE_USER/_PASSWORD; see README)'

export interface RunningUi {
  server: UiServer
  close(): Promise<void>
}

/** Starts the dashboard; refuses (ConfigError) a ClickHouse user that may write unless UI_ALLOW_WRITER. */
export async function startUi(cfg: UiEnv, logger?: Logger): Promise<RunningUi> {
  const log = logger?.child({ service: 'ui' }) ?? createLogger('ui')
  const client = await createClickHouse({ url: cfg.CLICKHOUSE_URL, user: cfg.UI_CLICKHOUSE_USER, password: cfg.UI_CLICKHOUSE_PASSWORD, database: cfg.CLICKHOUSE_DATABASE, path: cfg.CLICKHOUSE_PATH })
  const db = clickhouseDb(client)
  try {
    const [row] = await db.rows<{ ro: unknown }>("SELECT getSetting('readonly') AS ro")
    if (!cfg.UI_ALLOW_WRITER && (num(row?.ro) ?? 0) === 0) {
      throw new ConfigError(
        `UI_CLICKHOUSE_USER: the user ${cfg.UI_CLICKHOUSE_USER} may write (readonly = 0); the dashboard reads as a read-only user ` +
          '(`llmwatch clickhouse serve` has one: reader), or set UI_ALLOW_WRITER=true',
      )
    }
  } catch (err) {
    await client.close()
    throw err
  }
  const server = await startUiServer({ db, host: cfg.UI_HOST, port: cfg.UI_PORT, log, refreshSeconds: cfg.UI_REFRESH_SECONDS, compare: compareHandler(client) })
  log.info({ url: server.url, clickhouseUser: cfg.UI_CLICKHOUSE_USER }, 'dashboard serving')
  return {
    server,
    close: async () => {
      await server.close()
      await client.close()
    },
  }
}

/**
 * The dashboard for `llmwatch demo`: on the demo's ClickHouse as the reader, on UI_PORT or a free
 * port, logging to the demo's log.
 */
export function startDemoUi(clickhouseUrl: string, database: string, logger: Logger, env: Record<string, string | undefined> = process.env): Promise<RunningUi> {
  return startUi(loadUiEnv({ ...env, CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: database, UI_PORT: env.UI_PORT ?? '0' }), logger)
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const cfg = loadUiEnv(env)
  const ui = await startUi(cfg).catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err)
    if (/EADDRINUSE/.test(msg)) throw new ConfigError(`UI_PORT: port ${cfg.UI_PORT} is in use; pick another, or 0 for a free one`)
    throw err
  })
  process.stdout.write(`llmwatch ui: dashboard at ${ui.server.url}\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve())
    process.once('SIGINT', () => resolve())
  })
  await ui.close()
  return 0
}
