/**
 * The llmwatch command line: one dispatcher, each command a module with `main(argv) -> exit code`.
 * Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
 */
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { LlmwatchError } from '../shared/errors.js'
import { repoPath } from '../shared/paths.js'

type Main = (argv: string[]) => Promise<number | void>

interface Command {
  summary: string
  usage: string
  load: () => Promise<Main>
}

const SERVICES = ['scorer', 'sink', 'alerter', 'gateway'] as const

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'Run the whole pipeline on local Kafka + a served ClickHouse with demo traffic and incidents',
    usage: 'llmwatch demo [--duration 3m] [--rate 200] [--keep]',
    load: async () => (await import('../services/demo/demo.js')).main,
  },
  produce: {
    summary: 'Generate realistic LLM interaction traffic (with incidents) to Kafka',
    usage: 'llmwatch produce [--rate N] [--duration 60s] [--format avro|json] [--incidents default|none]',
    load: async () => (await import('../services/producer/produce.js')).main,
  },
  score: {
    summary: 'Score LlmInteraction JSON lines offline (file or stdin) to ScoredInteraction JSON lines',
    usage: 'llmwatch score [file]',
    load: async () => (await import('../services/scorer/offline.js')).main,
  },
  compare: {
    summary: 'Compare two prompt versions, models, ... (or before/after a time) over ClickHouse, with intervals and significance',
    usage: 'llmwatch compare (--by COLUMN A B | --split TIME) [--since 24h] [--where COLUMN=VALUE] [--format table|json]',
    load: async () => (await import('../services/gate/compare-cli.js')).main,
  },
  gate: {
    summary: 'Score a JSONL run offline and check it against config/gates.yaml (CI release gate; exit 1 on failure)',
    usage: 'llmwatch gate <candidate.jsonl> [--gates config/gates.yaml] [--baseline baseline.jsonl] [--junit out.xml] [--markdown out.md]',
    load: async () => (await import('../services/gate/gate-cli.js')).main,
  },
  sql: {
    summary: 'Run SQL against ClickHouse (CLICKHOUSE_URL, else the one of `llmwatch infra up`)',
    usage: 'llmwatch sql "<query>" [--format table|json|csv]',
    load: async () => (await import('../services/sink/sql-cli.js')).main,
  },
  migrate: {
    summary: 'Apply the ClickHouse schema migrations',
    usage: 'llmwatch migrate',
    load: async () => (await import('../services/sink/migrate-cli.js')).main,
  },
  alerts: {
    summary: 'Alerts: `llmwatch alerts tail` prints alerts from llm.alerts as they come',
    usage: 'llmwatch alerts tail [--from-beginning] [--json]',
    load: async () => (await import('../services/alerter/tail-cli.js')).main,
  },
  tail: {
    summary: 'Print the records of llm.scores, llm.alerts or llm.dlq, decoded (text or JSON lines)',
    usage: 'llmwatch tail scores|alerts|dlq [--format text|json] [--from-beginning] [--count N] [--timeout 30s] [--topic NAME]',
    load: async () => (await import('../services/tail/tail-cli.js')).main,
  },
  run: {
    summary: `Run one service in the foreground: ${SERVICES.join(', ')}`,
    usage: `llmwatch run <${SERVICES.join('|')}>`,
    load: async () => async (argv: string[]) => {
      const name = argv[0]
      if (!name || !(SERVICES as readonly string[]).includes(name)) {
        process.stderr.write(`llmwatch run: expected one of ${SERVICES.join(', ')}; got ${name ?? 'nothing'}\n`)
        return 2
      }
      // A service's main returns once it runs (2 on a configuration error); it exits by itself later.
      const mod = (await import(`../services/${name}/main.js`)) as { main: () => Promise<number> }
      return mod.main()
    },
  },
  clickhouse: {
    summary: 'Serve the ClickHouse data directory (CLICKHOUSE_PATH) over the ClickHouse HTTP interface',
    usage: 'llmwatch clickhouse serve',
    load: async () => (await import('../services/clickhouse/serve-cli.js')).main,
  },
  ui: {
    summary: 'Serve the web dashboard (overview, alerts, events, compare) over ClickHouse, read-only',
    usage: 'llmwatch ui   (UI_PORT, UI_HOST, UI_CLICKHOUSE_USER; reads CLICKHOUSE_URL)',
    load: async () => (await import('../services/ui/main.js')).main,
  },
  infra: {
    summary: 'Start, stop or report the local infrastructure (Kafka broker, ClickHouse mode and path)',
    usage: 'llmwatch infra up|down|status',
    load: async () => (await import('./infra-cli.js')).main,
  },
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length))
  return [
    'llmwatch: a streaming monitor for LLM applications',
    '',
    'Usage: llmwatch <command> [options]   (llmwatch <command> --help for details)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from the environment (KAFKA_BROKERS, CLICKHOUSE_URL, ...; see README.md).',
  ].join('\n')
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n')
    return name ? 0 : 2
  }
  const cmd = COMMANDS[name]
  if (!cmd) {
    process.stderr.write(`llmwatch: unknown command "${name}"\n\n${help()}\n`)
    return 2
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    process.stdout.write(`${cmd.summary}\n\nUsage: ${cmd.usage}\n`)
    // Commands with many options list them themselves.
    if (name === 'produce' || name === 'demo' || name === 'compare' || name === 'gate') {
      process.stdout.write('\n')
      return (await (await cmd.load())(['--help'])) ?? 0
    }
    return 0
  }
  try {
    const main = await cmd.load()
    const code = await main(rest)
    return code ?? 0
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e.code === 'CONFIG_INVALID') {
      process.stderr.write(`llmwatch ${name}: ${e.message}\n`)
      return 2
    }
    // Known failures (unreachable Kafka or ClickHouse, ...) say what to do in their message: no stack.
    process.stderr.write(`llmwatch ${name}: ${err instanceof LlmwatchError ? e.message : (e.stack ?? e.message)}\n`)
    return 1
  }
}

// Keep the repository root discoverable for commands that read config/ and schemas/.
if (!existsSync(repoPath('schemas', 'registry.json'))) process.stderr.write('llmwatch: schemas/registry.json not found\n')

// Run directly (`tsx bin/cli.ts <command>`) it behaves as bin/llmwatch.mjs, exit code included.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await run(process.argv.slice(2))
