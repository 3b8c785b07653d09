/**
 * `llmwatch sql "<query>" [--format table|json|csv]`: runs SQL against the configured ClickHouse
 * (CLICKHOUSE_URL, else the ClickHouse of `llmwatch infra up`) in CLICKHOUSE_DATABASE and prints
 * the result. An ordinary HTTP client: against `llmwatch clickhouse serve` with the writer's or the
 * read-only reader's credentials (CLICKHOUSE_USER/PASSWORD), while the pipeline runs.
 */
import { createClickHouse, type ClickHouseClient } from '../../shared/clickhouse.js'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import { ConfigError, errorMessage } from '../../shared/errors.js'

export type OutputFormat = 'table' | 'json' | 'csv'

const USAGE = 'usage: llmwatch sql "<query>" [--format table|json|csv]'
/** Statements that return rows; anything else runs as a command. */
const READS = /^\s*(\(?\s*select|with|show|describe|desc|explain|exists)\b/i

export function parseArgs(argv: string[]): { query: string; format: OutputFormat } | { error: string } {
  let format: OutputFormat = 'table'
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--format' || a === '-f') {
      const f = argv[++i]
      if (f !== 'table' && f !== 'json' && f !== 'csv') return { error: `--format expects table, json or csv; got ${f ?? 'nothing'}` }
      format = f
    } else if (a === '--json') format = 'json'
    else if (a === '--csv') format = 'csv'
    else if (a === '--help' || a === '-h') return { error: USAGE }
    else rest.push(a)
  }
  const query = rest.join(' ').trim().replace(/;\s*$/, '')
  if (!query) return { error: USAGE }
  return { query, format }
}

/** Renders rows as an aligned text table; numbers right-aligned. */
export function renderTable(columns: string[], rows: Record<string, unknown>[]): string {
  const cell = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v))
  const cells = rows.map((r) => columns.map((c) => cell(r[c])))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)))
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || (typeof r[c] === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(r[c]))))
  const line = (vals: string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ').trimEnd()
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)]
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`)
  return out.join('\n')
}

/** Runs one statement and returns the printable output. */
export async function runSql(client: ClickHouseClient, query: string, format: OutputFormat): Promise<string> {
  if (!READS.test(query)) {
    await client.command({ query })
    return 'OK'
  }
  if (format === 'csv') {
    const rs = await client.query({ query, format: 'CSVWithNames' })
    return (await rs.text()).trimEnd()
  }
  const rs = await client.query({ query, format: 'JSON' })
  const body = await rs.json<Record<string, unknown>>()
  if (format === 'json') return JSON.stringify(body.data, null, 2)
  return renderTable(body.meta?.map((m) => m.name) ?? [], body.data)
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const args = parseArgs(argv)
  if ('error' in args) {
    process.stderr.write(`${args.error}\n`)
    return 2
  }
  let client: ClickHouseClient | null = null
  try {
    const cfg = loadEnv(baseEnvSchema, env)
    client = await createClickHouse({ url: cfg.CLICKHOUSE_URL, user: cfg.CLICKHOUSE_USER, password: cfg.CLICKHOUSE_PASSWORD, database: cfg.CLICKHOUSE_DATABASE })
    process.stdout.write(`${await runSql(client, args.query, args.format)}\n`)
    return 0
  } catch (err) {
    process.stderr.write(`llmwatch sql: ${errorMessage(err)}\n`)
    // 2: bad configuration (the message names the variable); 1: a runtime failure.
    return err instanceof ConfigError ? 2 : 1
  } finally {
    await client?.close()
  }
}
