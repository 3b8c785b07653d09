/**
 * Every command README.md tells a user to type, run as the README spells it (issue 11): the lines of
 * its shell blocks, the rows of its CLI table and the `npm ...` / `npx ...` / `llmwatch ...` spans of
 * its text. Each must have an entry in PLAN below, which runs it (only appending what makes it short
 * or keeps it off the shared topics: `--duration 20s`, `--topic <unique>`) and checks its exit code
 * and what it prints, or names why it is not run here. A README command that silently does nothing,
 * or one added to the README without an entry here, fails this file.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoPath } from '../../shared/paths.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { brokers, clickhouseEnv, tempDir, testClickHouse, uniqueName } from '../helpers.js'

const README = readFileSync(repoPath('README.md'), 'utf8')
const SCRIPTS = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts

/** The commands of README.md, as written (markdown table escapes `\|` undone). */
export function readmeCommands(md: string): string[] {
  const found = new Set<string>()
  for (const block of md.matchAll(/```(?:bash|sh|shell|console)\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const cmd = line.replace(/\s+#.*$/, '').trim()
      if (cmd) found.add(cmd)
    }
  }
  const cli = /^## The CLI\n([\s\S]*?)^## /m.exec(md)?.[1] ?? ''
  for (const row of cli.matchAll(/^\| `([^`]+)` \|/gm)) found.add(row[1]!.replace(/\\\|/g, '|'))
  for (const span of md.matchAll(/`([^`\n]+)`/g)) {
    const s = span[1]!.replace(/\\\|/g, '|')
    if (/^(npm|npx|llmwatch) /.test(s)) found.add(s)
    else if (s.includes(':') && SCRIPTS[s] !== undefined) found.add(`npm run ${s}`) // "`bench:sink`" in a list of npm scripts
  }
  return [...found]
}

interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  out: string
  err: string
}

/** The environment of a fresh shell on this machine: no infrastructure variables unless given. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (/^(KAFKA_|CLICKHOUSE_|SCORER_|SINK_|ALERTER_|SCHEMA_REGISTRY|LOG_LEVEL)/.test(k)) delete env[k]
  return { ...env, ...extra }
}

/** Runs a command line through the shell, as typed; `until` may stop it early (SIGINT to its process group). */
function sh(cmd: string, opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; until?: (out: string, err: string) => boolean } = {}): Promise<Result> {
  const child = spawn('sh', ['-c', cmd], { cwd: repoPath(), env: userEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  let out = ''
  let err = ''
  let signalled = false
  const check = () => {
    if (!signalled && opts.until?.(out, err)) {
      signalled = true
      process.kill(-child.pid!, 'SIGINT')
    }
  }
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), check()))
  child.stderr.on('data', (d: Buffer) => ((err += d.toString()), check()))
  child.stdin.end(opts.input ?? '')
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), opts.timeoutMs ?? 120_000)
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out, err })
    }),
  )
}

/** Run it; or it is the same command as other entries (which run); or why it is not run here. */
type Plan = { run: (readme: string) => Promise<void> } | { same: string[] } | { skip: string }

const kafkaEnv = () => ({ KAFKA_BROKERS: brokers().join(',') })
/** The test run's ClickHouse (CLICKHOUSE_URL), a database of its own. */
const chEnv = () => clickhouseEnv(uniqueName('readme').replace(/-/g, '_'))
/** A fresh data directory for the commands that serve one (`llmwatch clickhouse serve`, `llmwatch infra up`). */
const chPathEnv = () => ({ CLICKHOUSE_PATH: path.join(tempDir('llmwatch-readme-ch-'), 'ch') })

/** Parses the demo's verdict lines. */
function verdicts(text: string): { fired: boolean; incident: string }[] {
  return [...text.matchAll(/^ {2}(FIRED|NOT FIRED)\s+(\w+)/gm)].map((m) => ({ fired: m[1] === 'FIRED', incident: m[2]! }))
}

/**
 * How a command stopped with Ctrl-C ended: llmwatch itself exits 0 (the exit-code tests check that
 * without npx); npx, hit by the same SIGINT, dies of it once its child has ended.
 */
function expectCtrlCExit(cmd: string, r: Result): void {
  if (/^(npx|npm) /.test(cmd) && r.code === null) expect(r.signal).toBe('SIGINT')
  else expect(r.code, r.out.slice(-2000) + r.err.slice(-2000)).toBe(0)
}

/** A service started as the README says, until it reports running; Ctrl-C must then stop it cleanly. */
async function service(cmd: string, running: RegExp, stopped: RegExp, env: Record<string, string>): Promise<void> {
  const r = await sh(cmd, { env: { ...kafkaEnv(), ...env }, until: (out) => running.test(out), timeoutMs: 90_000 })
  expect(r.out, r.err).toMatch(running)
  expect(r.out).toMatch(/"signal":"SIGINT","msg":"shutting down"/)
  expect(r.out).toMatch(stopped)
  expectCtrlCExit(cmd, r)
  expect(r.out.split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([])
}

/**
 * Runs a README curl line against a gateway started as the README says (`npx llmwatch run gateway`,
 * with the README's key), on a free port and a topic of its own; checks the answer.
 */
async function gatewayCurl(cmd: string, expected: RegExp): Promise<void> {
  const child = spawn('sh', ['-c', 'npx llmwatch run gateway'], {
    cwd: repoPath(), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: userEnv({ ...kafkaEnv(), GATEWAY_API_KEYS: 'dev-key-0123456789abcdef=support-bot', GATEWAY_PORT: '0', GATEWAY_TOPIC: uniqueName('readme-gw') }),
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })))
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`gateway did not start: ${out} ${err}`)), 90_000)
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /"port":(\d+).*"msg":"gateway listening"/.exec(out)
        if (m) {
          clearTimeout(t)
          resolve(m[1]!)
        }
      })
    })
    expect(cmd).toContain('http://127.0.0.1:4318/')
    const r = await sh(cmd.replace('127.0.0.1:4318', `127.0.0.1:${port}`))
    expect(r.code, r.err).toBe(0)
    expect(r.out.trim()).toMatch(expected)
  } finally {
    process.kill(-child.pid!, 'SIGINT')
    const end = await closed
    expectCtrlCExit('npx llmwatch run gateway', { ...end, out, err })
  }
}

const PLAN: Record<string, Plan> = {
  // ---- Set up and run
  'npm install && npm run demo': {
    // `npm install` is what this test run stands on (CI: `npm install && npm test`); the demo part runs
    // exactly as written, on a local broker it starts itself, with a short duration appended.
    run: async (readme) => {
      const cmd = `${readme.replace(/^npm install && /, '')} -- --duration 20s`
      expect(cmd).toBe('npm run demo -- --duration 20s')
      const r = await sh(cmd, { timeoutMs: 240_000 })
      const text = r.out + r.err
      expect(text).toContain('llmwatch demo: 20 s of traffic')
      const produced = Number(/traffic done: (\d+) events/.exec(text)?.[1] ?? 0)
      expect(produced, text.slice(-3000)).toBeGreaterThan(1000)
      expect(text).toMatch(/\[\s+\d+s\] produced [1-9]\d* \(\d+\/s\)\s+lag scorer/)
      // Nothing lost between Kafka and ClickHouse.
      expect(text).toContain(`ClickHouse holds ${produced} interactions`)
      expect(text).toContain('-- Cost per app')
      const v = verdicts(text)
      expect(v.map((x) => x.incident).sort()).toEqual(['cost_runaway', 'injection_campaign', 'latency_regression', 'pii_leak', 'rag_hallucination', 'toxicity_spike'])
      // 20 s is short for six incidents: some alerts may miss it, and the exit code must say so.
      expect(v.filter((x) => x.fired).length).toBeGreaterThanOrEqual(3)
      expect(r.code).toBe(v.every((x) => x.fired) ? 0 : 1)
      // The console is for people: no JSON log lines; the logs are in the file it names, none at error.
      expect(text.split('\n').filter((l) => l.startsWith('{'))).toEqual([])
      const logFile = /^logs: (.+)$/m.exec(text)?.[1]
      expect(logFile && existsSync(logFile)).toBeTruthy()
      const levels = readFileSync(logFile!, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { level: number; msg: string }))
      expect(levels.filter((l) => l.level >= 50)).toEqual([])
    },
  },
  'npm install && npm test': { skip: '`npm test` is the suite this file belongs to' },
  'npm install': { skip: 'the installation this test run stands on' },
  'npm ci': { skip: 'the README says not to use it (chdb\'s optional engine packages are missing from the lock file)' },
  'npm run demo -- --duration 2m --rate 300 --keep': {
    // As written plus a shorter duration; --keep never ends by itself, so Ctrl-C (SIGINT to the
    // process group) once traffic flows: it must stop the services and the broker and exit 0.
    run: async (readme) => {
      const r = await sh(`${readme} --duration 20s`, { until: (_o, e) => /\] produced [1-9]\d* \(/.test(e), timeoutMs: 120_000 })
      expect(r.err).toContain('20 s of traffic at 300 events/s')
      expect(r.err).toMatch(/\] produced [1-9]\d* \(/)
      expectCtrlCExit(readme, r)
      // Stopped in order: the services, then the broker it started (in its own process group, so
      // the Ctrl-C reached only the demo), nothing at error in the log.
      const pid = Number(/Kafka [\d.]+ ready at \S+ \(pid (\d+)/.exec(r.err)?.[1])
      expect(pid).toBeGreaterThan(0)
      expect(() => process.kill(pid, 0)).toThrow()
      // And the ClickHouse it served (`llmwatch clickhouse serve`, a child process), after the services.
      const chPid = Number(/llmwatch clickhouse serve, pid (\d+)/.exec(r.err)?.[1])
      expect(chPid, r.err.slice(-3000)).toBeGreaterThan(0)
      expect(() => process.kill(chPid, 0)).toThrow()
      const log = readFileSync(/^logs \(JSON, level \w+\): (.+)$/m.exec(r.err)![1]!, 'utf8')
      expect(log).toContain('"msg":"scorer stopped"')
      expect(log).toContain('"msg":"sink stopped"')
      expect(log.split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([])
    },
  },

  // ---- The CLI table
  'llmwatch demo [--duration 3m] [--rate 200] [--keep]': {
    // `npm run demo` is this command (asserted): its full run is the first case; here the options.
    run: async () => {
      expect(SCRIPTS.demo).toBe('node bin/llmwatch.mjs demo')
      const r = await sh('npx llmwatch demo --help')
      expect(r.out).toMatch(/--duration 3m\s+--rate 200\s+--keep/)
      expect(r.code).toBe(0)
    },
  },
  'llmwatch produce --rate 500 --duration 60s [--format avro|json]': {
    run: async (readme) => {
      const topic = uniqueName('readme-produce')
      for (const format of ['avro', 'json']) {
        const r = await sh(`npx ${readme.replace('[--format avro|json]', `--format ${format}`)} --duration 3s --topic ${topic}`, { env: kafkaEnv() })
        expect(r.err).toContain(`500/s to ${topic}`)
        expect(r.err).toMatch(new RegExp(`as ${format} for 3s`))
        const sent = Number(/done: (\d+) events/.exec(r.err)?.[1] ?? 0)
        expect(sent, r.err).toBeGreaterThan(500)
        expect(r.code).toBe(0)
      }
    },
  },
  'llmwatch score [file]': {
    run: async () => {
      const file = path.join(tempDir(), 'events.jsonl')
      const events = generateEvents(3, 7)
      writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
      for (const cmd of [`npx llmwatch score ${file}`, `npx llmwatch score < ${file}`]) {
        const r = await sh(cmd)
        const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { event_id: string; scores: { name: string }[] })
        expect(lines.map((l) => l.event_id)).toEqual(events.map((e) => e.event_id))
        expect(new Set(lines[0]!.scores.map((s) => s.name))).toEqual(new Set(['toxicity', 'bias', 'hallucination', 'latency', 'cost', 'pii', 'injection']))
        expect(r.err).toContain('scored 3 events, 0 invalid lines')
        expect(r.code).toBe(0)
      }
    },
  },
  'llmwatch run scorer|sink|alerter': { same: ['npx llmwatch run scorer', 'npx llmwatch run sink', 'npx llmwatch run alerter'] },
  'llmwatch compare --by prompt_template_version v1 v2 [--where app_name=support-bot] [--since 24h] [--format json]': {
    // On a database of its own in the test run's ClickHouse, holding two prompt versions of
    // support-bot (v1 flags toxicity 5 times in 200, v2 40 times) written through the sink's own writer.
    run: async (readme) => {
      const { inject } = await import('vitest')
      const { createClickHouse } = await import('../../shared/clickhouse.js')
      const { migrate } = await import('../../shared/migrate.js')
      const { silentLogger } = await import('../../shared/logger.js')
      const { scoredUnit, TABLES } = await import('../../services/sink/rows.js')
      const { BufferedWriter } = await import('../../services/sink/writer.js')
      const { scored } = await import('../integration/sink-fixtures.js')
      const url = inject('clickhouseUrl') as string | null
      expect(url, 'needs the ClickHouse server of test/global-setup.ts').toBeTruthy()
      const database = uniqueName('readme_compare').replace(/-/g, '_')
      const client = await createClickHouse({ url: url!, database })
      try {
        await migrate(client, { database })
        const writer = new BufferedWriter({ client, tables: Object.values(TABLES), batchRows: 10_000, flushMs: 10, retryBudgetMs: 1_000, logger: silentLogger, deadLetter: async (r) => { throw new Error(String(r[0]?.reason)) } })
        const units = []
        for (let i = 0; i < 400; i++) {
          const version = i % 2 === 0 ? 'v1' : 'v2'
          const toxic = version === 'v1' ? i % 80 === 0 : i % 10 === 1
          units.push(scoredUnit(scored({ app: 'support-bot', promptVersion: version, time: Date.now() - 60_000 - i * 1000, scores: { toxicity: [toxic ? 0.9 : 0.1, toxic, 'response'] } }), { topic: 'readme', partition: 0, offset: String(i) }, 'redacted'))
        }
        await writer.write(units)
        await writer.close()
      } finally {
        await client.close()
      }
      const env = { CLICKHOUSE_URL: url!, CLICKHOUSE_DATABASE: database }
      const full = readme.replace('[--where app_name=support-bot]', '--where app_name=support-bot').replace('[--since 24h]', '--since 24h').replace('[--format json]', '--format json')
      expect(full).toBe('llmwatch compare --by prompt_template_version v1 v2 --where app_name=support-bot --since 24h --format json')
      const json = await sh(`npx ${full}`, { env })
      expect(json.code, json.err).toBe(0)
      const c = JSON.parse(json.out) as { a: { events: number }; b: { events: number }; rows: { key: string; verdict: string; a: { count: number }; b: { count: number } }[] }
      expect([c.a.events, c.b.events]).toEqual([200, 200])
      expect(c.rows.find((r) => r.key === 'flag_rate:toxicity:response')).toMatchObject({ a: { count: 5 }, b: { count: 40 }, verdict: 'worse' })
      const table = await sh('npx llmwatch compare --by prompt_template_version v1 v2', { env })
      expect(table.code, table.err).toBe(0)
      expect(table.out).toMatch(/^B is significantly worse on: toxicity response flag rate$/m)
    },
  },
  'llmwatch gate candidate.jsonl [--baseline baseline.jsonl] [--junit out.xml] [--markdown out.md]': {
    // The worked example's runs (examples/rag-prompt-gate) against the shipped config/gates.yaml:
    // the candidate prompt raises grounding hallucinations, so the gate fails (exit 1).
    run: async (readme) => {
      const { runVersion } = await import('../../examples/rag-prompt-gate/run.js')
      const dir = tempDir('llmwatch-readme-gate-')
      writeFileSync(path.join(dir, 'candidate.jsonl'), runVersion('v4').map((e) => JSON.stringify(e)).join('\n') + '\n')
      writeFileSync(path.join(dir, 'baseline.jsonl'), runVersion('v3').map((e) => JSON.stringify(e)).join('\n') + '\n')
      const cmd = readme.replace(/\[(--\w+ [\w.]+)\]/g, '$1').replace(/(\w+\.(jsonl|xml|md))/g, `${dir}/$1`)
      expect(cmd).toBe(`llmwatch gate ${dir}/candidate.jsonl --baseline ${dir}/baseline.jsonl --junit ${dir}/out.xml --markdown ${dir}/out.md`)
      const r = await sh(`npx ${cmd}`)
      expect(r.code, r.err).toBe(1)
      expect(r.err).toMatch(/^FAIL {2}grounding hallucination not worse than baseline by more than 2 points: /m)
      expect(readFileSync(path.join(dir, 'out.xml'), 'utf8')).toMatch(/<testsuites name="llmwatch gate" tests="8" failures="1" errors="0"/)
      expect(readFileSync(path.join(dir, 'out.md'), 'utf8')).toMatch(/^## ❌ llmwatch gate failed: 1 of 8 checks failed/)
      const same = await sh(`npx llmwatch gate ${dir}/baseline.jsonl --baseline ${dir}/baseline.jsonl`)
      expect(same.code, same.err).toBe(0)
    },
  },
  'llmwatch sql "<query>" [--format table|json|csv]': {
    run: async () => {
      const env = chEnv()
      const table = await sh(`npx llmwatch sql "SELECT 1 AS one, 'a' AS letter"`, { env })
      expect(table.out).toMatch(/one \| letter\n.*\n\s*1 \| a\s*\n\(1 row\)/)
      expect(table.code).toBe(0)
      const json = await sh(`npx llmwatch sql "SELECT 1 AS one" --format json`, { env })
      expect(JSON.parse(json.out)).toEqual([{ one: 1 }])
      const csv = await sh(`npx llmwatch sql "SELECT 1 AS one" --format csv`, { env })
      expect(csv.out.trim()).toBe('"one"\n1')
    },
  },
  'llmwatch migrate': {
    run: async (readme) => {
      const env = chEnv()
      const r = await sh(`npx ${readme}`, { env })
      expect(r.out).toMatch(/^applied 0001_/m)
      expect(r.out).toMatch(/\d+ applied, 0 already applied/)
      expect(r.code).toBe(0)
      const again = await sh(`npx ${readme}`, { env })
      expect(again.out).toMatch(/^0 applied, \d+ already applied/m)
    },
  },
  'llmwatch alerts tail': {
    // On its own topic (appended --topic), so that the shared llm.alerts stays untouched.
    run: async (readme) => {
      const topic = uniqueName('readme-alerts')
      const { createKafka } = await import('../../shared/kafka.js')
      const { silentLogger } = await import('../../shared/logger.js')
      const kafka = createKafka({ brokers: brokers(), clientId: 'readme-test', logger: silentLogger })
      await kafka.ensureTopics([{ name: topic, partitions: 1 }])
      const producer = await kafka.producer()
      const now = Date.now()
      const alert = {
        alert_id: '00000000-0000-4000-8000-000000000001', rule: 'readme-rule', kind: 'rate' as const, severity: 'warning' as const, state: 'firing' as const,
        reminder: false, labels: { app_name: 'support-bot' }, dedup_key: 'readme', value: 0.5, threshold: 0.1, window_seconds: 60,
        started_time: now, ended_time: null, emitted_time: now, summary: 'readme test alert', runbook_url: null, example_event_ids: [],
      }
      // Sent (as JSON, which the tail decodes as well as Avro) until the tail, which starts at the
      // end of the topic, has printed one.
      const sending = setInterval(() => void producer.send(topic, [{ key: 'readme', value: Buffer.from(JSON.stringify(alert)) }]).catch(() => {}), 1000)
      try {
        const cmd = `npx ${readme} --topic ${topic}`
        const r = await sh(cmd, { env: kafkaEnv(), until: (out) => out.includes('readme test alert'), timeoutMs: 90_000 })
        expect(r.out).toMatch(/FIRING warning readme-rule .*readme test alert/)
        expectCtrlCExit(cmd, r)
      } finally {
        clearInterval(sending)
        await producer.disconnect()
        await kafka.close()
      }
    },
  },
  'llmwatch tail scores|alerts|dlq [--format json] [--from-beginning] [--count N] [--timeout 30s]': {
    // The dlq form with every option, on its own topic (appended --topic): a dead letter as the
    // runner writes one, printed back as one JSON object.
    run: async (readme) => {
      const topic = uniqueName('readme-dlq')
      const { createKafka } = await import('../../shared/kafka.js')
      const { silentLogger } = await import('../../shared/logger.js')
      const kafka = createKafka({ brokers: brokers(), clientId: 'readme-test', logger: silentLogger })
      try {
        await kafka.ensureTopics([{ name: topic, partitions: 1 }])
        const producer = await kafka.producer()
        await producer.send(topic, [{ key: 'poison', value: Buffer.from('not an event'), headers: { 'dlq.reason': 'neither Avro nor JSON', 'dlq.error.code': 'DECODE_UNKNOWN_FORMAT', 'dlq.service': 'scorer' } }])
        await producer.disconnect()
      } finally {
        await kafka.close()
      }
      const cmd = `npx ${readme.replace('scores|alerts|dlq', 'dlq').replace('[--format json]', '--format json').replace('[--from-beginning]', '--from-beginning').replace('[--count N]', '--count 1').replace('[--timeout 30s]', '--timeout 30s')} --topic ${topic}`
      expect(cmd).toBe(`npx llmwatch tail dlq --format json --from-beginning --count 1 --timeout 30s --topic ${topic}`)
      const r = await sh(cmd, { env: kafkaEnv() })
      expect(JSON.parse(r.out.trim())).toMatchObject({ topic, key: 'poison', reason: 'neither Avro nor JSON', code: 'DECODE_UNKNOWN_FORMAT' })
      expect(r.code, r.err).toBe(0)
    },
  },
  'llmwatch infra up|down|status': {
    run: async () => {
      const status = await sh('npx llmwatch infra status')
      if (status.code === 0) {
        // Someone's local infrastructure is up: report it, leave it alone.
        expect(JSON.parse(status.out)).toMatchObject({ kafka: { running: true } })
        return
      }
      expect(status.out.trim()).toBe('down')
      expect(status.code).toBe(1)
      // `up` with KAFKA_BROKERS records that broker instead of starting one, and serves ClickHouse
      // (`llmwatch clickhouse serve` on CLICKHOUSE_PATH); `down` stops the server and forgets both.
      const ch = chPathEnv()
      const up = await sh('npx llmwatch infra up', { env: { ...kafkaEnv(), ...ch } })
      expect(up.code, up.err).toBe(0)
      try {
        expect(JSON.parse(up.out)).toMatchObject({ kafka: { mode: 'env', brokers: brokers() }, clickhouse: { mode: 'served', path: ch.CLICKHOUSE_PATH } })
        const s = await sh('npx llmwatch infra status')
        expect(JSON.parse(s.out)).toMatchObject({ kafka: { brokers: brokers(), running: true }, clickhouse: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), running: true } })
        expect(s.code).toBe(0)
      } finally {
        const down = await sh('npx llmwatch infra down')
        expect(down.code).toBe(0)
      }
      expect((await sh('npx llmwatch infra status')).out.trim()).toBe('down')
    },
  },

  // ---- Commands named in the text
  'npx llmwatch --help': {
    run: async (readme) => {
      const r = await sh(readme)
      expect(r.out).toContain('Usage: llmwatch <command>')
      for (const c of ['demo', 'produce', 'score', 'sql', 'migrate', 'alerts', 'run', 'infra']) expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'))
      expect(r.code).toBe(0)
    },
  },
  'npm link': { skip: 'links the package into the global node_modules: a change to the machine, not the repository' },
  // The syntax line and the commands' names in the text: run by their own entries.
  'npx llmwatch <command>': { same: ['npx llmwatch --help', 'llmwatch demo [--duration 3m] [--rate 200] [--keep]', 'npx llmwatch produce --rate 100 --duration 5m', 'npx llmwatch run scorer'] },
  'llmwatch demo': { same: ['npm install && npm run demo'] },
  'llmwatch produce': { same: ['llmwatch produce --rate 500 --duration 60s [--format avro|json]'] },
  'llmwatch sql': { same: ['llmwatch sql "<query>" [--format table|json|csv]'] },
  'llmwatch compare': { same: ['llmwatch compare --by prompt_template_version v1 v2 [--where app_name=support-bot] [--since 24h] [--format json]'] },
  'llmwatch gate': { same: ['llmwatch gate candidate.jsonl [--baseline baseline.jsonl] [--junit out.xml] [--markdown out.md]'] },
  'llmwatch infra up': { same: ['llmwatch infra up|down|status'] },
  'llmwatch clickhouse serve': {
    // On a fresh directory and a free port, until it serves; Ctrl-C stops it with exit 0.
    run: async (readme) => {
      const cmd = `npx ${readme}`
      const r = await sh(cmd, { env: { ...chPathEnv(), CLICKHOUSE_SERVE_PORT: '0' }, until: (out) => /"msg":"clickhouse serving"/.test(out), timeoutMs: 90_000 })
      expect(r.out, r.err).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+".*"msg":"clickhouse serving"/)
      expect(r.out).toMatch(/"msg":"clickhouse stopped"/)
      expectCtrlCExit(cmd, r)
    },
  },
  'npx llmwatch infra up': { same: ['llmwatch infra up|down|status'] },
  'llmwatch ui': {
    // As the read-only reader of the test run's ClickHouse (a database the writer created), on a free
    // port, until it prints its URL; Ctrl-C stops it with exit 0. The pages: test/e2e/ui.test.ts.
    run: async (readme) => {
      const env = chEnv()
      await (await testClickHouse(env.CLICKHOUSE_DATABASE)).close()
      const cmd = `npx ${readme}`
      const r = await sh(cmd, { env: { ...env, UI_PORT: '0' }, until: (out) => /dashboard at http/.test(out), timeoutMs: 90_000 })
      expect(r.out, r.err).toMatch(/llmwatch ui: dashboard at http:\/\/127\.0\.0\.1:\d+/)
      expect(r.out).toMatch(/"clickhouseUser":"reader","msg":"dashboard serving"/)
      expectCtrlCExit(cmd, r)
    },
  },
  'npx llmwatch ui': { same: ['llmwatch ui'] },
  'npm run screenshots:ui': { skip: "regenerates docs/img (Chromium over a 30-minute demo's data, about 1.5 min); test/e2e/ui.test.ts drives the same pages in the same browser" },
  'npm run bench:ui -- --json': { skip: 'long benchmark: seeds millions of interactions into a served ClickHouse (docs/DASHBOARD.md#measured)' },
  'npx llmwatch run scorer': {
    run: (readme) => service(readme, /scorer running/, /"msg":"scorer stopped"/, { SCORER_GROUP_ID: uniqueName('readme-scorer'), SCORER_INPUT_TOPIC: uniqueName('readme-in'), SCORER_OUTPUT_TOPIC: uniqueName('readme-out'), SCORER_DLQ_TOPIC: uniqueName('readme-dlq') }),
  },
  'npx llmwatch run sink': {
    run: (readme) => service(readme, /sink running/, /"msg":"sink stopped"/, { ...chEnv(), SINK_GROUP_ID: uniqueName('readme-sink'), SINK_SCORES_TOPIC: uniqueName('readme-scores'), SINK_ALERTS_TOPIC: uniqueName('readme-alerts'), SINK_DLQ_TOPIC: uniqueName('readme-dlq') }),
  },
  'npx llmwatch run alerter': {
    run: (readme) => service(readme, /alerter running/, /"msg":"alerter stopped"|"shutting down"/, { ALERTER_GROUP_ID: uniqueName('readme-alerter'), ALERTER_SCORES_TOPIC: uniqueName('readme-scores'), ALERTER_ALERTS_TOPIC: uniqueName('readme-alerts') }),
  },
  'npx llmwatch produce --rate 100 --duration 5m': {
    run: async (readme) => {
      const topic = uniqueName('readme-produce')
      const r = await sh(`${readme} --duration 3s --topic ${topic}`, { env: kafkaEnv() })
      expect(r.err).toContain(`100/s to ${topic}`)
      expect(Number(/done: (\d+) events/.exec(r.err)?.[1] ?? 0), r.err).toBeGreaterThan(100)
      expect(r.code).toBe(0)
    },
  },
  'npm run eval -- --json': {
    run: async (readme) => {
      if (!existsSync(repoPath('..', 'shared', 'eval'))) return // the labeled sets live outside the repository (README: `../shared/eval`)
      const r = await sh(readme, { timeoutMs: 300_000 })
      expect(r.code, r.err.slice(-2000)).toBe(0)
      const last = r.out.trim().split('\n').pop()!
      expect(() => JSON.parse(last) as unknown).not.toThrow()
    },
  },
  'npm run train -- all': {
    // The real corpora, a small sample of each source and no leave-one-source-out (the full run
    // takes minutes), written to a temp dir: the shipped models/ stay as they are.
    run: async (readme) => {
      if (!existsSync(repoPath('..', 'shared', 'train'))) return // the corpora live outside the repository (README: `../shared/train`)
      const out = tempDir('llmwatch-readme-train-')
      const r = await sh(`${readme} --sample 60 --no-loso --out ${out}`, { timeoutMs: 300_000 })
      expect(r.code, r.err.slice(-2000)).toBe(0)
      for (const name of ['toxicity', 'injection', 'bias']) {
        expect(r.err).toContain(`[train] ${name}: wrote`)
        expect(existsSync(path.join(out, `${name}.bin`))).toBe(true)
        expect(readFileSync(path.join(out, `${name}.md`), 'utf8')).toContain('# Model card')
      }
    },
  },
  'npm run train -- embeddings': {
    // Rebuilds the word-vector table from the 300 MB GloVe package (~30-60 s, ~1 GB), into a temp dir.
    run: async (readme) => {
      if (!existsSync(repoPath('..', 'shared', 'train'))) return
      const out = tempDir('llmwatch-readme-emb-')
      const r = await sh(`${readme} --out ${out}`, { timeoutMs: 300_000 })
      expect(r.code, r.err.slice(-2000)).toBe(0)
      expect(r.err).toMatch(/embeddings: wrote \d+ words x 100/)
      expect(readFileSync(path.join(out, 'embeddings.json'), 'utf8')).toBe(readFileSync(repoPath('models', 'embeddings.json'), 'utf8'))
    },
  },
  'npm run typecheck': {
    run: async (readme) => {
      const r = await sh(readme, { timeoutMs: 180_000 })
      expect(r.out + r.err).toContain('tsc -p tsconfig.json')
      expect(r.code, r.out.slice(-3000)).toBe(0)
    },
  },
  'npm run faults:report': {
    // It reports the fault suite's last results: a table, or, before any run, what to run first.
    run: async (readme) => {
      const r = await sh(readme)
      if (r.code === 0) expect(r.out).toMatch(/^\| scenario \| events \| lost/m)
      else {
        expect(r.err).toMatch(/no results at .*: run `npm run test:faults` first/)
        expect(r.code).toBe(1)
      }
    },
  },
  // ---- Ingest gateway
  "npx llmwatch run gateway": {
    run: (readme) => service(readme, /"msg":"gateway listening"/, /"msg":"gateway stopped"/, { GATEWAY_API_KEYS: 'dev-key-0123456789abcdef=support-bot', GATEWAY_PORT: '0', GATEWAY_TOPIC: uniqueName('readme-gw') }),
  },
  "export GATEWAY_API_KEYS='dev-key-0123456789abcdef=support-bot'": { same: ["npx llmwatch run gateway", "curl -sS http://127.0.0.1:4318/v1/interactions -H 'Authorization: Bearer dev-key-0123456789abcdef' -H 'Content-Type: application/json' -d \"{\\\"event_id\\\":\\\"$(node -p 'crypto.randomUUID()')\\\",\\\"app_name\\\":\\\"support-bot\\\",\\\"provider_name\\\":\\\"openai\\\",\\\"request_model\\\":\\\"gpt-4o-mini\\\",\\\"request_start_time\\\":\\\"$(date -u +%FT%TZ)\\\",\\\"end_time\\\":\\\"$(date -u +%FT%TZ)\\\",\\\"usage_input_tokens\\\":42,\\\"messages\\\":[{\\\"role\\\":\\\"user\\\",\\\"content\\\":\\\"How do I reset my password?\\\"}],\\\"response_text\\\":\\\"Open Settings, then Security.\\\"}\""] },
  'llmwatch run gateway': { same: ["npx llmwatch run gateway"] },
  "curl -sS http://127.0.0.1:4318/v1/interactions -H 'Authorization: Bearer dev-key-0123456789abcdef' -H 'Content-Type: application/json' -d \"{\\\"event_id\\\":\\\"$(node -p 'crypto.randomUUID()')\\\",\\\"app_name\\\":\\\"support-bot\\\",\\\"provider_name\\\":\\\"openai\\\",\\\"request_model\\\":\\\"gpt-4o-mini\\\",\\\"request_start_time\\\":\\\"$(date -u +%FT%TZ)\\\",\\\"end_time\\\":\\\"$(date -u +%FT%TZ)\\\",\\\"usage_input_tokens\\\":42,\\\"messages\\\":[{\\\"role\\\":\\\"user\\\",\\\"content\\\":\\\"How do I reset my password?\\\"}],\\\"response_text\\\":\\\"Open Settings, then Security.\\\"}\"": { run: (readme) => gatewayCurl(readme, /^\{"accepted":1,"duplicates":0,"rejected":0,"errors":\[\]\}$/) },
  "curl -sS http://127.0.0.1:4318/v1/traces -H 'Authorization: Bearer dev-key-0123456789abcdef' -H 'Content-Type: application/json' -d \"{\\\"resourceSpans\\\":[{\\\"resource\\\":{\\\"attributes\\\":[{\\\"key\\\":\\\"service.name\\\",\\\"value\\\":{\\\"stringValue\\\":\\\"support-bot\\\"}}]},\\\"scopeSpans\\\":[{\\\"spans\\\":[{\\\"traceId\\\":\\\"$(node -p \"crypto.randomBytes(16).toString('hex')\")\\\",\\\"spanId\\\":\\\"$(node -p \"crypto.randomBytes(8).toString('hex')\")\\\",\\\"name\\\":\\\"chat gpt-4o-mini\\\",\\\"startTimeUnixNano\\\":\\\"$(date +%s)000000000\\\",\\\"endTimeUnixNano\\\":\\\"$(date +%s)900000000\\\",\\\"attributes\\\":[{\\\"key\\\":\\\"gen_ai.operation.name\\\",\\\"value\\\":{\\\"stringValue\\\":\\\"chat\\\"}},{\\\"key\\\":\\\"gen_ai.provider.name\\\",\\\"value\\\":{\\\"stringValue\\\":\\\"openai\\\"}},{\\\"key\\\":\\\"gen_ai.request.model\\\",\\\"value\\\":{\\\"stringValue\\\":\\\"gpt-4o-mini\\\"}},{\\\"key\\\":\\\"gen_ai.usage.input_tokens\\\",\\\"value\\\":{\\\"intValue\\\":\\\"42\\\"}}]}]}]}]}\"": { run: (readme) => gatewayCurl(readme, /^\{\}$/) },
  'npm run bench:gateway -- --json': { skip: 'long benchmark (docs/BENCHMARKS.md)' },
  'npm run test:faults': { skip: 'the fault-injection suite: kills and restarts processes for about half an hour (docs/RELIABILITY.md)' },
  'npm run bench': { skip: 'long benchmark (end to end, several minutes of load; docs/BENCHMARKS.md)' },
  'npm run bench:scorers': { skip: 'long benchmark (docs/BENCHMARKS.md)' },
  'npm run bench:scorer-service': { skip: 'long benchmark (docs/BENCHMARKS.md)' },
  'npm run bench:sink': { skip: 'long benchmark (docs/BENCHMARKS.md)' },
  'npm run bench:alerter': { skip: 'long benchmark (docs/BENCHMARKS.md)' },
  'npm run bench:floor': {
    // The full run takes ~2.5 min; --quick (1,500 events, one round, its own broker and served ClickHouse) runs every layer.
    run: async (readme) => {
      const r = await sh(`${readme} -- --quick --json`, { timeoutMs: 240_000 })
      expect(r.code, r.err.slice(-3000)).toBe(0)
      const res = JSON.parse(r.out.trim().split('\n').pop()!) as { bench: string; floor_ms_per_event: Record<'scorer' | 'sink' | 'alerter' | 'clickhouse' | 'total', number> }
      expect(res.bench).toBe('floor')
      const f = res.floor_ms_per_event
      for (const k of ['scorer', 'sink', 'alerter', 'clickhouse'] as const) expect(f[k], k).toBeGreaterThan(0)
      expect(f.total).toBeCloseTo(f.scorer + f.sink + f.alerter + f.clickhouse, 3)
      expect(r.err).toMatch(/\(b\) consume \+ transactional produce, round 1/)
    },
  },
}

const COMMANDS = readmeCommands(README)

describe('README.md commands', () => {
  it('every command in the README has a plan here, and every plan a command in the README', () => {
    expect(COMMANDS.length).toBeGreaterThan(20)
    expect(COMMANDS.filter((c) => !(c in PLAN)), 'README commands without a plan in this file').toEqual([])
    expect(Object.keys(PLAN).filter((c) => !COMMANDS.includes(c)), 'plans for commands the README no longer has').toEqual([])
    for (const [cmd, p] of Object.entries(PLAN)) if ('same' in p) for (const other of p.same) expect(PLAN[other], `${cmd} -> ${other}`).toHaveProperty('run')
  })

  const runs = Object.entries(PLAN).filter((e): e is [string, { run: (readme: string) => Promise<void> }] => 'run' in e[1])
  it.each(runs)('%s', async (cmd, p) => p.run(cmd), 300_000)

  // Listed in the report as skipped, with the reason.
  const skipped = Object.entries(PLAN).flatMap(([cmd, p]) => ('skip' in p ? [[cmd, p.skip] as const] : []))
  it.skip.each(skipped)('%s (not run: %s)', () => {})
})
