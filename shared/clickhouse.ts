/**
 * ClickHouse client factory. One client API (@clickhouse/client) and one SQL dialect for both modes:
 * - server: CLICKHOUSE_URL (+ user/password) over HTTP;
 * - embedded (default): chDB, a real ClickHouse engine in this process, plugged in through the
 *   client's `connection` option. chDB binds ONE data directory per process: in embedded mode the
 *   services that need ClickHouse run in one process and share the path.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import { errorMessage, LlmwatchError } from './errors.js'
import { servedClickHouseFor } from './infra/state.js'

export type { ClickHouseClient }

export interface ClickHouseConfig {
  url?: string | undefined
  user?: string
  password?: string
  /** Database the project's tables live in. */
  database: string
  /** Embedded data directory (ignored with a url). */
  path?: string
}

export function clickhouseMode(cfg: ClickHouseConfig): 'server' | 'embedded' {
  return cfg.url ? 'server' : 'embedded'
}

/** How long the first request to a ClickHouse server may take before "cannot reach". */
const CONNECT_TIMEOUT_MS = 5_000

/** The URL without credentials, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString().replace(/\/$/, '')
  } catch {
    return url
  }
}

/**
 * Returns a client whose queries run in `cfg.database` (created if missing), so SQL names tables
 * unqualified. Over HTTP that is the client's `database` option; chDB's connection ignores that
 * option, so the embedded session is switched with `USE` (session state lives as long as the client).
 *
 * Fails with one line saying what to do (LlmwatchError 'CLICKHOUSE', retryable) when a server does
 * not answer within 10 s, refuses the credentials, or the embedded data directory cannot be opened
 * (chDB lets one process hold it). Without a url, a directory that a running `llmwatch infra up`
 * serves (`llmwatch clickhouse serve`) is reached through that server.
 */
export async function createClickHouse(cfg: ClickHouseConfig): Promise<ClickHouseClient> {
  if (cfg.url) {
    const where = `ClickHouse at ${redactUrl(cfg.url)} (CLICKHOUSE_URL)`
    const bootstrap = createClient({ url: cfg.url, username: cfg.user ?? 'default', password: cfg.password ?? '',
      request_timeout: CONNECT_TIMEOUT_MS,
      // The failure is reported below, in one line: no console warning from the client first.
      log: { level: ClickHouseLogLevel.OFF },
    })
    try {
      const ping = await bootstrap.ping()
      if (!ping.success) {
        throw new LlmwatchError('CLICKHOUSE', `cannot reach ${where}: ${errorMessage(ping.error) || 'an HTTP error with no message (is it a ClickHouse server?)'}; check the address and that the server is running`, { retryable: true, cause: ping.error })
      }
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` }).catch(async (err: unknown) => {
        const msg = errorMessage(err)
        // A read-only user (e.g. the reader of `llmwatch clickhouse serve`) may not create it: enough that it exists.
        if (/READONLY|ACCESS_DENIED|Not enough privileges/i.test(msg) && (await databaseExists(bootstrap, cfg.database))) return
        const hint = /authentication|password|AUTHENTICATION_FAILED|REQUIRED_PASSWORD/i.test(msg)
          ? 'check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD'
          : /ACCESS_DENIED|Not enough privileges/i.test(msg)
            ? `the user ${cfg.user ?? 'default'} (CLICKHOUSE_USER) needs CREATE DATABASE, or create ${cfg.database} (CLICKHOUSE_DATABASE) beforehand`
            : 'see the server log'
        throw new LlmwatchError('CLICKHOUSE', `${where} refused CREATE DATABASE ${cfg.database}: ${msg.split('\n')[0]}; ${hint}`, { cause: err })
      })
    } finally {
      await bootstrap.close()
    }
    return createClient({ url: cfg.url, username: cfg.user ?? 'default', password: cfg.password ?? '', database: cfg.database })
  }
  const dir = path.resolve(cfg.path ?? '.data/clickhouse')
  // `llmwatch infra up` serves this directory (`llmwatch clickhouse serve` holds it): go through the server.
  const served = servedClickHouseFor(dir)
  if (served) return createClickHouse({ ...cfg, url: served })
  mkdirSync(dir, { recursive: true })
  const { createChdbConnection } = await import('chdb/connection')
  let client: ClickHouseClient
  try {
    // chdb types its connection against its own copy of client-common: structurally the same.
    client = createClient({ connection: createChdbConnection({ path: dir }) as never })
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` })
  } catch (err) {
    const msg = errorMessage(err)
    if (/Failed to create connection|Cannot lock file|Another server instance/i.test(msg)) {
      throw new LlmwatchError(
        'CLICKHOUSE',
        `cannot open the embedded ClickHouse data directory ${dir} (CLICKHOUSE_PATH): another process most likely holds it ` +
          '(chDB lets one process open a directory: a running `llmwatch run sink`, `llmwatch demo` or `llmwatch sql`). ' +
          'Stop that process, or run a ClickHouse server and set CLICKHOUSE_URL so that every process shares it ' +
          '(`llmwatch clickhouse serve` serves this directory; `llmwatch infra up` starts it)',
        { retryable: true, cause: err },
      )
    }
    throw err
  }
  await client.command({ query: `USE ${cfg.database}` })
  return client
}

async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const rs = await client.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}', query_params: { db: database }, format: 'JSONEachRow' }).catch(() => null)
  const rows = rs ? await rs.json<{ n: string | number }>() : []
  return Number(rows[0]?.n ?? 0) > 0
}

/**
 * createClickHouse for long-running services: while it fails with a retryable error (unreachable
 * server, data directory held by another process) it calls `onRetry` once per backoff step
 * (1 s doubling to 30 s) and tries again; other errors are thrown.
 */
export async function waitForClickHouse(cfg: ClickHouseConfig, onRetry: (message: string, retryInMs: number) => void): Promise<ClickHouseClient> {
  for (let delay = 1000; ; delay = Math.min(30_000, delay * 2)) {
    try {
      return await createClickHouse(cfg)
    } catch (err) {
      if (!(err instanceof LlmwatchError && err.retryable)) throw err
      onRetry(err.message, delay)
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}
