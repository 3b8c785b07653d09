/**
 * `llmwatch clickhouse serve`: serves the chDB data directory (CLICKHOUSE_PATH) over the ClickHouse
 * HTTP interface until SIGTERM/SIGINT (then exit 0). See ./server.ts.
 */
import { createLogger } from '../../shared/logger.js'
import { loadServeEnv } from './config.js'
import { startClickHouseServer } from './server.js'

const USAGE = 'usage: llmwatch clickhouse serve   (configuration: CLICKHOUSE_PATH, CLICKHOUSE_SERVE_*; see README)'

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (argv[0] !== 'serve' || argv.length > 1) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const cfg = loadServeEnv(env)
  const log = createLogger('clickhouse')
  // Listened for before the server starts: a Ctrl-C right after "clickhouse serving" (or during the
  // start) still stops it in order instead of killing the process.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  const server = await startClickHouseServer({
    path: cfg.CLICKHOUSE_PATH,
    host: cfg.CLICKHOUSE_SERVE_HOST,
    port: cfg.CLICKHOUSE_SERVE_PORT,
    writer: { user: cfg.CLICKHOUSE_SERVE_WRITER_USER, password: cfg.CLICKHOUSE_SERVE_WRITER_PASSWORD },
    reader: {
      user: cfg.CLICKHOUSE_SERVE_READER_USER,
      password: cfg.CLICKHOUSE_SERVE_READER_PASSWORD,
      maxExecutionTime: cfg.CLICKHOUSE_SERVE_READER_MAX_EXECUTION_TIME,
      maxResultRows: cfg.CLICKHOUSE_SERVE_READER_MAX_RESULT_ROWS,
      maxResultBytes: cfg.CLICKHOUSE_SERVE_READER_MAX_RESULT_BYTES,
    },
    readSessions: cfg.CLICKHOUSE_SERVE_READ_SESSIONS,
    maxMemoryMb: cfg.CLICKHOUSE_SERVE_MAX_MEMORY_MB,
    log,
  }).catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err)
    if (/EADDRINUSE/.test(msg)) throw new Error(`port ${cfg.CLICKHOUSE_SERVE_PORT} (CLICKHOUSE_SERVE_PORT) is in use; pick another or 0 for a free one`)
    if (/Cannot lock file|Another server instance|Failed to create/i.test(msg)) {
      throw new Error(`cannot open ${cfg.CLICKHOUSE_PATH} (CLICKHOUSE_PATH): another process holds it (a running sink, demo, sql or clickhouse serve)`)
    }
    throw err
  })
  log.info({ signal: await signalled }, 'stopping')
  await server.close()
  return 0
}
