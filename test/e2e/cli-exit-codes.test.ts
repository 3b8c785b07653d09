/**
 * Exit codes of every entry point, through the real CLI as a user starts it (a child process):
 * 0 success, 1 runtime failure, 2 bad configuration or usage. Unreachable Kafka or ClickHouse: one
 * line naming the address and the variable within 15 s for one-shot commands; long-running services
 * keep retrying, one warning per backoff step (issue 11).
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoPath } from '../../shared/paths.js'
import { brokers, clickhouseEnv, tempDir, uniqueName } from '../helpers.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** The environment of a fresh shell: no infrastructure variables unless a test sets them. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' }
  for (const k of Object.keys(env)) if (/^(KAFKA_|CLICKHOUSE_|SCORER_|SINK_|ALERTER_|SCHEMA_REGISTRY)/.test(k)) delete env[k]
  return { ...env, ...extra }
}

/** Runs a command line to its end (killed after `timeoutMs`). */
function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  const started = Date.now()
  const child = spawn(cmd, args, { cwd: repoPath(), env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    }),
  )
}

const llmwatch = (args: string[], env: Record<string, string> = {}, timeoutMs?: number) => run(process.execPath, [repoPath('bin', 'llmwatch.mjs'), ...args], env, timeoutMs)

/** Every usage or configuration error of every entry point: exit 2 and a message naming the problem. */
const USAGE_ERRORS: [string, string[], Record<string, string>, RegExp][] = [
  ['llmwatch without a command', [], {}, /Usage: llmwatch <command>/],
  ['an unknown command', ['frobnicate'], {}, /unknown command "frobnicate"/],
  ['demo: a bad --rate', ['demo', '--rate', 'abc'], {}, /--rate expects a positive number/],
  ['demo: a bad --duration', ['demo', '--duration', 'soon'], {}, /--duration expected a duration/],
  ['demo: an unknown option', ['demo', '--bogus'], {}, /Unknown option '--bogus'/],
  ['demo: a bad KAFKA_PARTITIONS', ['demo', '--duration', '5s'], { KAFKA_PARTITIONS: 'many' }, /KAFKA_PARTITIONS: .*got "many"/],
  ['produce: a bad --rate', ['produce', '--rate', 'abc'], {}, /--rate expects a positive number, got "abc"/],
  ['produce: a bad KAFKA_BROKERS', ['produce', '--count', '1'], { KAFKA_BROKERS: 'no-port' }, /KAFKA_BROKERS(\.0)?: expected host:port/],
  ['score: a missing file', ['score', '/nonexistent/events.jsonl'], {}, /no such file: \/nonexistent\/events.jsonl/],
  ['score: an unknown option', ['score', '--fast'], {}, /unknown option --fast/],
  ['sql: no query', ['sql'], {}, /usage: llmwatch sql/],
  ['sql: a bad CLICKHOUSE_DATABASE', ['sql', 'SELECT 1'], { CLICKHOUSE_DATABASE: '1-bad' }, /CLICKHOUSE_DATABASE: expected a SQL identifier/],
  ['sql: a bad CLICKHOUSE_URL', ['sql', 'SELECT 1'], { CLICKHOUSE_URL: 'not a url' }, /CLICKHOUSE_URL: /],
  ['migrate: an unknown option', ['migrate', '--force'], {}, /usage: llmwatch migrate/],
  ['migrate: a bad CLICKHOUSE_DATABASE', ['migrate'], { CLICKHOUSE_DATABASE: '1-bad' }, /CLICKHOUSE_DATABASE: expected a SQL identifier/],
  ['alerts: an unknown subcommand', ['alerts', 'list'], {}, /unknown subcommand list/],
  ['alerts tail: an unknown option', ['alerts', 'tail', '--follow'], {}, /Unknown option '--follow'/],
  ['alerts tail: a bad KAFKA_BROKERS', ['alerts', 'tail'], { KAFKA_BROKERS: 'no-port' }, /KAFKA_BROKERS(\.0)?: expected host:port/],
  ['run: no service', ['run'], {}, /expected one of scorer, sink, alerter/],
  ['run: an unknown service', ['run', 'indexer'], {}, /expected one of scorer, sink, alerter, gateway; got indexer/],
  ['run sink: SINK_FLUSH_MS=abc', ['run', 'sink'], { SINK_FLUSH_MS: 'abc', KAFKA_BROKERS: '127.0.0.1:1' }, /SINK_FLUSH_MS: .*got \\"abc\\"/],
  ['run scorer: SCORER_WORKERS=abc', ['run', 'scorer'], { SCORER_WORKERS: 'abc', KAFKA_BROKERS: '127.0.0.1:1' }, /SCORER_WORKERS: .*got \\"abc\\"/],
  ['run scorer: SCORER_TEXT_MODE=all', ['run', 'scorer'], { SCORER_TEXT_MODE: 'all', KAFKA_BROKERS: '127.0.0.1:1' }, /SCORER_TEXT_MODE/],
  ['run alerter: ALERTER_TICK_MS=abc', ['run', 'alerter'], { ALERTER_TICK_MS: 'abc', KAFKA_BROKERS: '127.0.0.1:1' }, /ALERTER_TICK_MS: .*got \\"abc\\"/],
  ['run alerter: a missing rules file', ['run', 'alerter'], { ALERTER_RULES_FILE: '/nonexistent/rules.yaml', KAFKA_BROKERS: '127.0.0.1:1' }, /ALERTER_RULES_FILE: no such file/],
  ['infra: an unknown subcommand', ['infra', 'restart'], {}, /usage: llmwatch infra up\|down\|status/],
]

describe('exit code 2: bad usage or configuration, for every entry point', () => {
  it.each(USAGE_ERRORS)('%s', async (_name, args, env, message) => {
    const r = await llmwatch(args, env)
    expect(r.stdout + r.stderr).toMatch(message)
    expect(r.code, r.stdout + r.stderr).toBe(2)
    // No stack traces for a user's mistake.
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a service with no KAFKA_BROKERS and no `llmwatch infra up` broker', async (ctx) => {
    // Only meaningful while no local broker runs (`infra status` exits 0 when one does).
    if ((await llmwatch(['infra', 'status'])).code === 0) ctx.skip()
    const r = await llmwatch(['run', 'sink'])
    expect(r.stdout).toMatch(/KAFKA_BROKERS: not set and no local broker is running/)
    expect(r.code).toBe(2)
  })

  it('no CLICKHOUSE_URL and no `llmwatch infra up` ClickHouse: sql, migrate and the sink stop at once, naming both', async (ctx) => {
    // Only meaningful while no local infrastructure runs (`infra status` exits 0 when it does).
    if ((await llmwatch(['infra', 'status'])).code === 0) ctx.skip()
    const line = /CLICKHOUSE_URL: not set and no local ClickHouse is running; set CLICKHOUSE_URL=.* or run `llmwatch infra up` first/
    for (const args of [['sql', 'SELECT 1'], ['migrate']]) {
      const r = await llmwatch(args)
      expect(r.stderr).toMatch(line)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    const sink = await llmwatch(['run', 'sink'], { KAFKA_BROKERS: '127.0.0.1:1' }, 30_000)
    expect(sink.stdout).toMatch(line)
    expect(sink.code).toBe(2)
  })

  it('the npm scripts and `tsx bin/cli.ts` give the same codes as the CLI', async () => {
    const viaNpm = await run('npm', ['run', '--silent', 'demo', '--', '--rate', 'abc'])
    expect(viaNpm.stderr).toMatch(/--rate expects a positive number/)
    expect(viaNpm.code).toBe(2)
    const produce = await run('npm', ['run', '--silent', 'produce', '--', '--rate', '0'])
    expect(produce.code).toBe(2)
    const migrate = await run('npm', ['run', '--silent', 'migrate', '--', '--bogus'])
    expect(migrate.code).toBe(2)
    const viaTsx = await run(process.execPath, ['--import', 'tsx', repoPath('bin', 'cli.ts'), 'sql'])
    expect(viaTsx.stderr).toMatch(/usage: llmwatch sql/)
    expect(viaTsx.code).toBe(2)
  })
})

describe('exit code 0', () => {
  it('--help, for the CLI and its commands', async () => {
    const r = await llmwatch(['--help'])
    expect(r.code).toBe(0)
    for (const c of ['demo', 'produce', 'score', 'sql', 'migrate', 'alerts', 'run', 'infra']) expect(r.stdout).toContain(`  ${c} `)
    const p = await llmwatch(['produce', '--help'])
    expect(p.code).toBe(0)
    expect(p.stdout).toContain('--rate N')
  })

  it('produce --count 5 against the real broker, and the same through npm run produce', async () => {
    const topic = uniqueName('exit-produce')
    const r = await llmwatch(['produce', '--count', '5', '--rate', '50', '--topic', topic], { KAFKA_BROKERS: brokers().join(',') })
    expect(r.stderr).toContain('done: 5 events')
    expect(r.code).toBe(0)
    const n = await run('npm', ['run', '--silent', 'produce', '--', '--count', '3', '--rate', '50', '--topic', topic], { KAFKA_BROKERS: brokers().join(',') })
    expect(n.stderr).toContain('done: 3 events')
    expect(n.code).toBe(0)
  })

  it('migrate and sql on the served ClickHouse (CLICKHOUSE_URL)', async () => {
    const env = clickhouseEnv()
    const m = await llmwatch(['migrate'], env)
    expect(m.stdout).toMatch(/\d+ applied, 0 already applied/)
    expect(m.code).toBe(0)
    const q = await llmwatch(['sql', 'SELECT count() AS n FROM interactions', '--format', 'json'], env)
    expect(JSON.parse(q.stdout)).toEqual([{ n: expect.anything() }])
    expect(q.code).toBe(0)
  })
})

describe('exit code 1: runtime failures', () => {
  it('score: an invalid line', async () => {
    const file = path.join(tempDir(), 'bad.jsonl')
    writeFileSync(file, '{"not": "an interaction"}\n')
    const r = await llmwatch(['score', file])
    expect(r.stderr).toMatch(/line 1: /)
    expect(r.code).toBe(1)
  })

  // One-shot commands: one line naming the address and the variable, well within 15 s.
  const UNREACHABLE: [string, string[], Record<string, string>, string][] = [
    ['produce', ['produce', '--count', '5'], { KAFKA_BROKERS: '127.0.0.1:1' }, 'cannot reach Kafka at 127.0.0.1:1 (KAFKA_BROKERS)'],
    ['produce --brokers', ['produce', '--count', '5', '--brokers', '127.0.0.1:1'], {}, 'cannot reach Kafka at 127.0.0.1:1 (--brokers)'],
    ['alerts tail', ['alerts', 'tail'], { KAFKA_BROKERS: '127.0.0.1:1' }, 'cannot reach Kafka at 127.0.0.1:1 (KAFKA_BROKERS)'],
    ['demo', ['demo', '--duration', '5s', '--data-dir', '<tmp>'], { KAFKA_BROKERS: '127.0.0.1:1' }, 'cannot reach Kafka at 127.0.0.1:1 (KAFKA_BROKERS)'],
    ['sql', ['sql', 'SELECT 1'], { CLICKHOUSE_URL: 'http://127.0.0.1:1' }, 'cannot reach ClickHouse at http://127.0.0.1:1 (CLICKHOUSE_URL)'],
    ['migrate', ['migrate'], { CLICKHOUSE_URL: 'http://user:secret@127.0.0.1:1' }, 'cannot reach ClickHouse at http://127.0.0.1:1 (CLICKHOUSE_URL)'],
  ]
  // One at a time: the 15 s include the process start, which several concurrent starts slow down.
  it.each(UNREACHABLE)('%s: unreachable infrastructure fails fast in one line', async (_name, args, env, line) => {
    const r = await llmwatch(args.map((a) => (a === '<tmp>' ? tempDir('llmwatch-exit-demo-') : a)), env, 30_000)
    expect(r.stderr).toContain(line)
    expect(r.code, r.stderr).toBe(1)
    expect(r.ms).toBeLessThan(15_000)
    // One line about it (the demo prints its banner first), no stack trace, no password.
    expect(r.stderr.split('\n').filter((l) => l.includes('cannot reach'))).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\n\s+at |secret/)
  })
})

/** Starts a long-running service, collects its JSON log lines for `ms`, then stops it with SIGTERM. */
async function serviceFor(service: string, env: Record<string, string>, ms: number): Promise<{ code: number | null; logs: { level: number; msg: string; retryInMs?: number }[] }> {
  const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'run', service], { cwd: repoPath(), env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exit = new Promise<number | null>((r) => child.on('close', r))
  await new Promise((r) => setTimeout(r, ms))
  child.kill('SIGTERM')
  const code = await exit
  const logs = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; retryInMs?: number })
  return { code, logs }
}

describe('long-running services keep retrying, one warning per backoff step', () => {
  it('scorer: unreachable Kafka', async () => {
    const { code, logs } = await serviceFor('scorer', { KAFKA_BROKERS: '127.0.0.1:1' }, 10_000)
    const warnings = logs.filter((l) => l.msg.startsWith('cannot reach Kafka at 127.0.0.1:1 (KAFKA_BROKERS)'))
    // Steps of 1, 2, 4 (and maybe 8) s in 10 s: one line each, the delay doubling, nothing at error.
    expect(warnings.length).toBeGreaterThanOrEqual(3)
    expect(warnings.length).toBeLessThanOrEqual(5)
    expect(warnings.every((w) => w.level === 40)).toBe(true)
    expect(warnings.map((w) => w.retryInMs)).toEqual([1000, 2000, 4000, 8000, 16_000].slice(0, warnings.length))
    expect(logs.filter((l) => l.level >= 50)).toEqual([])
    expect(code).toBe(0)
  })

  it('sink: unreachable ClickHouse server (Kafka fine)', async () => {
    const { code, logs } = await serviceFor('sink', { KAFKA_BROKERS: brokers().join(','), CLICKHOUSE_URL: 'http://127.0.0.1:1', SINK_GROUP_ID: uniqueName('sink') }, 12_000)
    const warnings = logs.filter((l) => l.msg.startsWith('cannot reach ClickHouse at http://127.0.0.1:1 (CLICKHOUSE_URL)'))
    expect(warnings.length).toBeGreaterThanOrEqual(2)
    expect(warnings.length).toBeLessThanOrEqual(5)
    expect(warnings.every((w) => w.level === 40)).toBe(true)
    expect(logs.filter((l) => l.level >= 50)).toEqual([])
    expect(code).toBe(0)
  })
})
