/**
 * ClickHouse client factory. One client API (@clickhouse/client) and one SQL dialect for both modes:
 * - server: CLICKHOUSE_URL (+ user/password) over HTTP;
 * - embedded (default): chDB, a real ClickHouse engine in this process, plugged in through the
 *   client's `connection` option. chDB binds ONE data directory per process: in embedded mode the
 *   services that need ClickHouse run in one process and share the path.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'

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

/**
 * Returns a client whose queries run in `cfg.database` (created if missing), so SQL names tables
 * unqualified. Over HTTP that is the client's `database` option; chDB's connection ignores that
 * option, so the embedded session is switched with `USE` (session state lives as long as the client).
 */
export async function createClickHouse(cfg: ClickHouseConfig): Promise<ClickHouseClient> {
  if (cfg.url) {
    const bootstrap = createClient({ url: cfg.url, username: cfg.user ?? 'default', password: cfg.password ?? '' })
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` })
    await bootstrap.close()
    return createClient({ url: cfg.url, username: cfg.user ?? 'default', password: cfg.password ?? '', database: cfg.database })
  }
  const dir = path.resolve(cfg.path ?? '.data/clickhouse')
  mkdirSync(dir, { recursive: true })
  const { createChdbConnection } = await import('chdb/connection')
  // chdb types its connection against its own copy of client-common: structurally the same.
  const client = createClient({ connection: createChdbConnection({ path: dir }) as never })
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.database}` })
  await client.command({ query: `USE ${cfg.database}` })
  return client
}
