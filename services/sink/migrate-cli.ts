/** `llmwatch migrate [--status]`: applies the ClickHouse migrations and the retention TTLs. */
import { createClickHouse, type ClickHouseClient } from '../../shared/clickhouse.js'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import { ConfigError, errorMessage } from '../../shared/errors.js'
import { applyRetention, loadMigrations, migrate, retentionEnvSchema, retentionFromEnv } from '../../shared/migrate.js'

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (argv.some((a) => a !== '--status')) {
    process.stderr.write('usage: llmwatch migrate [--status]\n')
    return 2
  }
  let client: ClickHouseClient | null = null
  try {
    const cfg = loadEnv(baseEnvSchema.extend(retentionEnvSchema.shape), env)
    const db = cfg.CLICKHOUSE_DATABASE
    client = await createClickHouse({ url: cfg.CLICKHOUSE_URL, user: cfg.CLICKHOUSE_USER, password: cfg.CLICKHOUSE_PASSWORD, database: db })
    if (argv.includes('--status')) {
      const known = await loadMigrations()
      const exists = await client.query({
        query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}',
        query_params: { db, t: 'schema_migrations' },
        format: 'JSONEachRow',
      })
      const applied = new Set<number>()
      if (Number((await exists.json<{ n: number | string }>())[0]?.n ?? 0) > 0) {
        const rs = await client.query({ query: `SELECT DISTINCT version FROM ${db}.schema_migrations`, format: 'JSONEachRow' })
        for (const r of await rs.json<{ version: number | string }>()) applied.add(Number(r.version))
      }
      for (const m of known) process.stdout.write(`${String(m.version).padStart(4, '0')}_${m.name}  ${applied.has(m.version) ? 'applied' : 'pending'}\n`)
      return 0
    }
    const res = await migrate(client, { database: db })
    const ttl = await applyRetention(client, db, retentionFromEnv(cfg))
    for (const m of res.applied) process.stdout.write(`applied ${String(m.version).padStart(4, '0')}_${m.name}\n`)
    process.stdout.write(`${res.applied.length} applied, ${res.skipped} already applied; TTL changed on: ${ttl.join(', ') || 'none'}\n`)
    return 0
  } catch (err) {
    process.stderr.write(`llmwatch migrate: ${errorMessage(err)}\n`)
    // 2: bad configuration (the message names the variable); 1: a runtime failure.
    return err instanceof ConfigError ? 2 : 1
  } finally {
    await client?.close()
  }
}
