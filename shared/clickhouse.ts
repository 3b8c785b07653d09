/**
 * ClickHouse client factory: one way to reach ClickHouse, over HTTP with @clickhouse/client.
 * Where: CLICKHOUSE_URL (a ClickHouse server, or `llmwatch clickhouse serve`, which serves the
 * local chDB data directory), else the ClickHouse of a running `llmwatch infra up`; neither is a
 * configuration error that says so. chDB in-process (createEmbeddedClickHouse) is left to the
 * served ClickHouse itself and to the benchmarks that measure it as the baseline.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import { ConfigError, errorMessage, LlmwatchError } from './errors.js'
import { infraClickHouseUrl } from './infra/state.js'

export type { ClickHouseClient }

export interface ClickHouseConfig {
  /** CLICKHOUSE_URL; unset: the ClickHouse of a running `llmwatch infra up`. */
  url?: string | undefined
  user?: string
  password?: string
  /** Database the project's tables live in. */
  database: string
  /** Ignored (the data directory is the served ClickHouse's: CLICKHOUSE_PATH of `llmwatch clickhouse serve`). */
  path?: string
}

/** Where ClickHouse is, and where that came from (for messages); a ConfigError naming CLICKHOUSE_URL when nowhere. */
export function clickhouseFrom(cfg: Pick<ClickHouseConfig, 'url'>): { url: string; source: string } {
  if (cfg.url) return { url: cfg.url, source: 'CLICKHOUSE_URL' }
  const local = infraClickHouseUrl()
  if (local) return { url: local, source: 'the ClickHouse of `llmwatch infra up`' }
  throw new ConfigError(
    'CLICKHOUSE_URL: not set and no local ClickHouse is running; set CLICKHOUSE_URL=http://host:8123 ' +
      '(a ClickHouse server, or `llmwatch clickhouse serve`) or run `llmwatch infra up` first',
  )
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
 * Returns a client whose queries run in `cfg.database` (created if missing; the client's `database`
 * option), so SQL names tables unqualified.
 *
 * Fails with one line saying what to do: a ConfigError when no ClickHouse is configured (see
 * clickhouseFrom), a LlmwatchError 'CLICKHOUSE' (retryable) when the server does not answer within
 * 5 s or refuses the credentials.
 */
export async function createClickHouse(cfg: ClickHouseConfig): Promise<ClickHouseClient> {
  const { url, source } = clickhouseFrom(cfg)
  const where = `ClickHouse at ${redactUrl(url)} (${source})`
  const bootstrap = createClient({ url, username: cfg.user ?? 'default', password: cfg.password ?? '',
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
  return createClient({ url, username: cfg.user ?? 'default', password: cfg.password ?? '', database: cfg.database })
}

/**
 * chDB in this process, through @clickhouse/client's `connection` option (same client API and SQL).
 * chDB lets one process open a data directory. Only for measuring in-process ClickHouse as a
 * baseline (bench/); everything else goes through a server (createClickHouse).
 */
export async function createEmbeddedClickHouse(cfg: { path: string; database: string }): Promise<ClickHouseClient> {
  const dir = path.resolve(cfg.path)
  mkdirSync(dir, { recursive: true })
  const { createChdbConnection } = await import('chdb/connection')
  // chdb types its connection against its own copy of client-common: structurally the same.
  const client = createClient({ connection: createChdbConnection({ path: dir }) as never })
  // chDB's connection ignores the client's `database` option: the session is switched with USE.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` })
  await client.command({ query: `USE ${cfg.database}` })
  return client
}

async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const rs = await client.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}', query_params: { db: database }, format: 'JSONEachRow' }).catch(() => null)
  const rows = rs ? await rs.json<{ n: string | number }>() : []
  return Number(rows[0]?.n ?? 0) > 0
}

/**
 * createClickHouse for long-running services: while it fails with a retryable error (an unreachable
 * server) it calls `onRetry` once per backoff step
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
