/**
 * The dashboard on a served ClickHouse with a short demo's data, for the browser test, the
 * screenshot script and the dashboard benchmark: `llmwatch clickhouse serve` (or a given URL),
 * migrations as the writer, services/ui/seed.ts, then `llmwatch ui` in this process as the reader.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClickHouse, type ClickHouseClient } from '../shared/clickhouse.js'
import { startServedClickHouse } from '../shared/infra/clickhouse-local.js'
import { pidAlive } from '../shared/infra/state.js'
import { migrate } from '../shared/migrate.js'
import { loadUiEnv } from '../services/ui/config.js'
import { startUi, type RunningUi } from '../services/ui/main.js'
import { seedDashboard, type SeedOptions, type SeedResult } from '../services/ui/seed.js'

export interface UiStack {
  clickhouseUrl: string
  database: string
  /** The writer's client (migrations, seeding; tests' own SQL). */
  writer: ClickHouseClient
  ui: RunningUi
  url: string
  seed: SeedResult | null
  stop(): Promise<void>
}

export async function startUiStack(opts: {
  /** A ClickHouse to use (writer `default`, reader `reader`); unset: serve a fresh directory. */
  clickhouseUrl?: string | null
  /** Served directory (kept); unset: a temporary one, removed by stop(). */
  dataDir?: string
  database?: string
  /** false: no seeding (the data is there already). */
  seed?: SeedOptions | false
  env?: Record<string, string>
  log?: (m: string) => void
}): Promise<UiStack> {
  const database = opts.database ?? 'llmwatch'
  let served: { url: string; pid: number } | null = null
  let tmp: string | null = null
  let url = opts.clickhouseUrl ?? null
  if (!url) {
    const dir = opts.dataDir ?? (tmp = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-ui-ch-')))
    served = await startServedClickHouse({ path: dir, env: { CLICKHOUSE_SERVE_PORT: '0', ...opts.env }, logFile: path.join(dir, '..', `${path.basename(dir)}-serve.log`), log: opts.log })
    url = served.url
  }
  const writer = await createClickHouse({ url, database })
  const stopServed = async () => {
    if (!served) return
    const pid = served.pid
    if (!pidAlive(pid)) return
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline && pidAlive(pid)) await new Promise((r) => setTimeout(r, 100))
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL')
  }
  try {
    await migrate(writer, { database, log: () => {} })
    const seed = opts.seed === false ? null : await seedDashboard(writer, opts.seed ?? {})
    const ui = await startUi(loadUiEnv({ CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: database, UI_PORT: '0', LOG_LEVEL: 'warn', ...opts.env }))
    return {
      clickhouseUrl: url,
      database,
      writer,
      ui,
      url: ui.server.url,
      seed,
      stop: async () => {
        await ui.close()
        await writer.close()
        await stopServed()
        if (tmp) rmSync(tmp, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await writer.close()
    await stopServed()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
    throw err
  }
}
