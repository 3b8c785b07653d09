/**
 * `llmwatch gate` through the real CLI (bin/llmwatch.mjs): the worked example of
 * examples/rag-prompt-gate end to end (the worse prompt fails, the released one passes), the JUnit
 * report parsed back, and the exit codes (0 pass, 1 fail, 2 bad input). Also `llmwatch compare`'s
 * usage errors (its ClickHouse runs are in test/integration/compare.test.ts).
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import { beforeAll, describe, expect, it } from 'vitest'
import { repoPath } from '../../shared/paths.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { makeInputs, INPUTS_FILE, runVersion } from '../../examples/rag-prompt-gate/run.js'
import { main as compareMain } from '../../services/gate/compare-cli.js'
import { main as gateMain, offlineScorerConfig } from '../../services/gate/gate-cli.js'
import { scoreEvent } from '../../services/scorer/engine.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { tempDir } from '../helpers.js'

interface Result {
  code: number | null
  out: string
  err: string
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: repoPath(), env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out: stdout, err: stderr })
    })
  })
}
const llmwatch = (...args: string[]) => run('node', [repoPath('bin', 'llmwatch.mjs'), ...args])

/** The command's main in this process (many cases, no process start each): exit code and output. */
async function inProcess(main: typeof gateMain, args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  let out = ''
  let err = ''
  const code = await main(args, env, { out: (x) => void (out += x), err: (x) => void (err += x) })
  return { code, out, err }
}

const dir = tempDir('llmwatch-gate-')
const file = (name: string) => path.join(dir, name)
const EXAMPLE = 'examples/rag-prompt-gate'

interface Suite {
  testsuites: { tests: string; failures: string; errors: string; testsuite: { testcase: { name: string; failure?: { message: string } }[] } }
}

beforeAll(async () => {
  // The candidate as the CI snippet makes it (npx tsx run.ts v4), the baseline in this process.
  const r = await run('npx', ['tsx', `${EXAMPLE}/run.ts`, 'v4'])
  expect(r.code, r.err).toBe(0)
  writeFileSync(file('v4.jsonl'), r.out)
  writeFileSync(file('v3.jsonl'), runVersion('v3').map((e) => JSON.stringify(e)).join('\n') + '\n')
})

describe('the worked example (examples/rag-prompt-gate)', () => {
  it('inputs.jsonl is the fixed input set run.ts answers, and each run carries its prompt version', () => {
    expect(readFileSync(INPUTS_FILE, 'utf8')).toBe(makeInputs().map((x) => JSON.stringify(x)).join('\n') + '\n')
    for (const v of ['v3', 'v4']) {
      const lines = readFileSync(file(`${v}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt_template_version: string; messages: { role: string; content: string }[] })
      expect(lines).toHaveLength(60)
      expect(new Set(lines.map((l) => l.prompt_template_version))).toEqual(new Set([v.slice(1)]))
      expect(lines[0]!.messages[0]!.content).toBe(readFileSync(repoPath(EXAMPLE, 'prompts', `${v}.txt`), 'utf8').trim())
    }
  })

  it('the candidate prompt (v4) fails the gate on grounding hallucination: exit 1, JUnit failures, Markdown summary', async () => {
    const r = await llmwatch('gate', file('v4.jsonl'), '--baseline', file('v3.jsonl'), '--gates', `${EXAMPLE}/gates.yaml`, '--junit', file('v4.xml'), '--markdown', file('v4.md'))
    expect(r.code, r.err).toBe(1)
    expect(r.out).toBe('') // the summary went to the file
    expect(r.err).toContain('llmwatch gate: FAILED (4/6 checks passed)')
    // The example's README shows this very output.
    const readme = readFileSync(repoPath(EXAMPLE, 'README.md'), 'utf8')
    for (const line of r.err.trim().split('\n')) expect(readme).toContain(line)
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(file('v4.xml'), 'utf8')) as Suite
    expect(doc.testsuites).toMatchObject({ tests: '6', failures: '2', errors: '0' })
    const failed = doc.testsuites.testsuite.testcase.filter((t) => t.failure !== undefined).map((t) => t.name)
    expect(failed).toEqual(['grounding hallucination not worse than the released prompt by more than 2 points', 'hallucination rate at most 10 %'])
    expect(doc.testsuites.testsuite.testcase[0]!.failure!.message).toMatch(/hallucination response flag rate increases by more than 2\.00 pt at 97\.5%: candidate - baseline \+\d+\.\d+ pt/)
    const md = readFileSync(file('v4.md'), 'utf8')
    expect(md.split('\n')[0]).toBe('## ❌ llmwatch gate failed: 2 of 6 checks failed')
    expect(md).toContain('Gates `examples/rag-prompt-gate/gates.yaml` version 3')
  })

  it('the released prompt (v3) against its own run passes: exit 0, summary on stdout', async () => {
    const r = await llmwatch('gate', file('v3.jsonl'), '--baseline', file('v3.jsonl'), '--gates', `${EXAMPLE}/gates.yaml`, '--junit', file('v3.xml'))
    expect(r.code, r.err).toBe(0)
    expect(r.out.split('\n')[0]).toBe('## ✅ llmwatch gate passed: 6 of 6 checks')
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(file('v3.xml'), 'utf8')) as Suite
    expect(doc.testsuites).toMatchObject({ tests: '6', failures: '0', errors: '0' })
  })

  it('the GitHub Actions snippet runs these very commands', () => {
    const ci = readFileSync(repoPath(EXAMPLE, 'github-actions.yml'), 'utf8')
    expect(ci).toContain(`npx tsx ${EXAMPLE}/run.ts v4 > gate/candidate.jsonl`)
    expect(ci).toMatch(/npx llmwatch gate gate\/candidate\.jsonl --baseline gate\/baseline\.jsonl \\\n\s+--gates examples\/rag-prompt-gate\/gates\.yaml --junit gate\/junit\.xml --markdown gate\/summary\.md/)
  })
})

describe('llmwatch gate exit codes', () => {
  const gatesFile = (yaml: string) => {
    const f = file(`g${Math.random().toString(36).slice(2)}.yaml`)
    writeFileSync(f, yaml)
    return f
  }

  it('2 on bad input: usage, missing files, lines that are not LlmInteraction, invalid gates, checks that cannot be evaluated', async () => {
    const events = generateEvents(5, 3)
    writeFileSync(file('bad.jsonl'), [JSON.stringify(events[0]), '{"event_id": "nope"}', 'not json', JSON.stringify(events[1])].join('\n') + '\n')
    writeFileSync(file('ok.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    writeFileSync(file('scored.jsonl'), JSON.stringify(scoreEvent(events[0]!, SCORERS, offlineScorerConfig())) + '\n')
    const cases: [string[], RegExp][] = [
      [[], /expected the candidate JSONL file/],
      [[file('ok.jsonl'), '--frobnicate'], /unknown option --frobnicate/],
      [[file('ok.jsonl'), '--baseline-since', '7d'], /--baseline-since goes with --baseline-where/],
      [[file('ok.jsonl'), '--baseline-where', 'color=red'], /--baseline-where expects COLUMN=VALUE with COLUMN one of app_name/],
      [[file('missing.jsonl')], /no such file: .*missing\.jsonl/],
      [[file('bad.jsonl')], /bad\.jsonl: 2 invalid lines:\n {2}line 2: invalid LlmInteraction: .*\n {2}line 3: invalid JSON/],
      [[file('ok.jsonl'), '--gates', file('nope.yaml')], /no such gates file/],
      [[file('scored.jsonl')], /line 1: a ScoredInteraction \(the output of llmwatch score\): give the gate the LlmInteraction lines/],
      [[file('ok.jsonl'), '--gates', gatesFile('version: 1\nchecks:\n  - name: x\n    metric: flag_rate\n    max: 1\n')], /checks\.0: a flag_rate check names its scorer and target/],
      [[file('ok.jsonl'), '--gates', gatesFile('version: 1\nchecks:\n  - {name: rel, metric: error_rate, max_increase: 0.01}\n')], /could not evaluate every check/],
      [[file('ok.jsonl'), '--scorer-config', file('nope.json')], /no such scorer config file/],
    ]
    for (const [args, msg] of cases) {
      const r = await inProcess(gateMain, args)
      expect(r.err, args.join(' ')).toMatch(msg)
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2)
    }
    // And through the real CLI.
    const real = await llmwatch('gate', file('bad.jsonl'))
    expect(real.err).toMatch(/^llmwatch gate: .*bad\.jsonl: 2 invalid lines/)
    expect(real.code).toBe(2)
  })

  it('0 and 1 on absolute limits alone; --help is 0', async () => {
    const events = generateEvents(30, 5)
    writeFileSync(file('thirty.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    const pass = await inProcess(gateMain, [file('thirty.jsonl'), '--gates', gatesFile('version: 1\nchecks:\n  - {name: p99 under a minute, metric: latency_p99_ms, max: 60000}\n')])
    expect(pass.code, pass.err).toBe(0)
    const fail = await inProcess(gateMain, [file('thirty.jsonl'), '--gates', gatesFile('version: 1\nchecks:\n  - {name: p50 under 1 ms, metric: latency_p50_ms, max: 1}\n')])
    expect(fail.code, fail.err).toBe(1)
    expect(fail.out).toMatch(/\| ❌ \| p50 under 1 ms \| p50 latency [\d,]+ ms not <= 1 ms/)
    const help = await llmwatch('gate', '--help')
    expect(help.out).toContain('Usage: llmwatch gate <candidate.jsonl>')
    expect(help.out).toContain('--baseline-where COL=V')
    expect(help.code).toBe(0)
  })
})

describe('llmwatch compare usage errors', () => {
  it('exits 2 naming the option and what it expects', async () => {
    const cases: [string[], RegExp][] = [
      [[], /give exactly one of --by COLUMN A B and --split TIME/],
      [['--by', 'colour', 'a', 'b'], /--by expects one of app_name, environment/],
      [['--by', 'prompt_template_version', 'v1'], /--by COLUMN A B expects a value/],
      [['--by', 'request_model', 'a', 'b', '--since', 'yesterday'], /--since expects a duration such as 30m, 24h or 7d; got "yesterday"/],
      [['--split', '2026-06-01'], /--split .* must lie inside the time range/],
      [['--by', 'request_model', 'a', 'b', '--confidence', '95'], /--confidence expects a number between 0.5 and 1/],
      [['--by', 'request_model', 'a', 'b', '--where', 'request_model=a'], /contradicts --by request_model/],
    ]
    for (const [args, msg] of cases) {
      const r = await inProcess(compareMain, args)
      expect(r.err, args.join(' ')).toMatch(msg)
      expect(r.code, args.join(' ')).toBe(2)
    }
    const real = await llmwatch('compare', '--by', 'colour', 'a', 'b')
    expect(real.err).toMatch(/^llmwatch compare: --by expects one of/)
    expect(real.code).toBe(2)
  })
  it('exits 1 with one line when ClickHouse cannot be reached', async () => {
    const r = await run('node', [repoPath('bin', 'llmwatch.mjs'), 'compare', '--by', 'request_model', 'a', 'b'], { CLICKHOUSE_URL: 'http://127.0.0.1:1' })
    expect(r.err).toMatch(/^llmwatch compare: cannot reach ClickHouse at http:\/\/127\.0\.0\.1:1 \(CLICKHOUSE_URL\)/)
    expect(r.code).toBe(1)
  })
})
