/**
 * `llmwatch gate`: a release gate for CI. Reads a candidate run (JSON lines of LlmInteraction, e.g.
 * the outputs of a new prompt over a fixed set of test inputs), scores it offline with the
 * production scorer configuration (config/scorers.json, or SCORER_CONFIG_FILE, as the scorer
 * service reads it), and checks the thresholds of a versioned gates file (config/gates.yaml; see
 * gates.ts) against absolute limits or a baseline: a previous run (`--baseline FILE`, scored the same
 * way) or production data in ClickHouse (`--baseline-where COLUMN=VALUE ... [--baseline-since 7d]`).
 *
 * Offline there is no deadline: the scorers' time budgets are lifted, so a result never depends on
 * how loaded the CI machine is (a budget overrun would drop a scorer's result).
 *
 * Exit codes: 0 every check passed; 1 a check failed (or ClickHouse failed); 2 bad input: a missing
 * or invalid file, a line that is not an LlmInteraction, an invalid gates file, a check that cannot
 * be evaluated (no data for its metric, a relative limit without a baseline).
 * Reports: `--junit FILE` (JUnit XML), `--markdown FILE` (else the Markdown summary goes to stdout).
 */
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { createClickHouse, type ClickHouseClient } from '../../shared/clickhouse.js'
import { COMPARE_COLUMNS, isCompareColumn, querySide, sideFromScored, type CompareColumn, type SideData } from '../../shared/compare.js'
import { baseEnvSchema, loadEnv } from '../../shared/config.js'
import type { ScoredInteraction } from '../../shared/contract.js'
import { errorMessage } from '../../shared/errors.js'
import { repoPath } from '../../shared/paths.js'
import { scoreEvent } from '../scorer/engine.js'
import { parseOfflineEvent } from '../scorer/offline.js'
import { loadScorerConfig, type ScorerConfig } from '../scorer/scorer-config.js'
import { SCORERS } from '../scorer/scorers/index.js'
import { parseSince } from './compare-cli.js'
import { evaluateGates, parseGates, type GateResult } from './gates.js'
import { junitXml, markdownSummary } from './report.js'

export const USAGE = `usage: llmwatch gate <candidate.jsonl> [options]

  --gates FILE             the gates file (default config/gates.yaml)
  --baseline FILE          baseline run: LlmInteraction JSON lines, scored the same way
  --baseline-where COL=V   baseline from ClickHouse instead: events with COL = V (repeatable;
                           ${COMPARE_COLUMNS.join(', ')})
  --baseline-since 7d      time range of the ClickHouse baseline, up to now (default 7d)
  --scorer-config FILE     scorer configuration (default SCORER_CONFIG_FILE, else config/scorers.json)
  --junit FILE             write a JUnit XML report (one testcase per check)
  --markdown FILE          write the Markdown summary there (default: stdout)

Exit codes: 0 passed, 1 a check failed, 2 bad input (files, lines, gates file, a check without data).
`

class UsageError extends Error {}

export interface GateArgs {
  candidate: string
  gates: string
  baseline?: string
  baselineWhere: Partial<Record<CompareColumn, string>>
  baselineSinceMs: number
  scorerConfig?: string
  junit?: string
  markdown?: string
}

export function parseGateArgs(argv: readonly string[]): GateArgs {
  const files: string[] = []
  const args: GateArgs = { candidate: '', gates: repoPath('config', 'gates.yaml'), baselineWhere: {}, baselineSinceMs: 7 * 86_400_000 }
  let sinceGiven = false
  const value = (i: number, option: string): string => {
    const v = argv[i]
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${option} expects a value`)
    return v
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--gates') args.gates = value(++i, a)
    else if (a === '--baseline') args.baseline = value(++i, a)
    else if (a === '--baseline-where') {
      const w = value(++i, a)
      const eq = w.indexOf('=')
      const col = eq > 0 ? w.slice(0, eq) : ''
      if (!isCompareColumn(col)) throw new UsageError(`--baseline-where expects COLUMN=VALUE with COLUMN one of ${COMPARE_COLUMNS.join(', ')}; got "${w}"`)
      args.baselineWhere[col] = w.slice(eq + 1)
    } else if (a === '--baseline-since') {
      args.baselineSinceMs = parseSince(value(++i, a))
      sinceGiven = true
    } else if (a === '--scorer-config') args.scorerConfig = value(++i, a)
    else if (a === '--junit') args.junit = value(++i, a)
    else if (a === '--markdown') args.markdown = value(++i, a)
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`)
    else files.push(a)
  }
  if (files.length !== 1) throw new UsageError(files.length === 0 ? 'expected the candidate JSONL file' : `expected one candidate file; got ${files.join(', ')}`)
  args.candidate = files[0]!
  const fromCh = Object.keys(args.baselineWhere).length > 0
  if (args.baseline !== undefined && fromCh) throw new UsageError('give either --baseline FILE or --baseline-where, not both')
  if (sinceGiven && !fromCh) throw new UsageError('--baseline-since goes with --baseline-where')
  return args
}

/** The scorer configuration with its time budgets lifted (see the file comment). */
export function offlineScorerConfig(path?: string, env: Record<string, string | undefined> = process.env): ScorerConfig {
  const file = path ?? env.SCORER_CONFIG_FILE ?? repoPath('config', 'scorers.json')
  if (!existsSync(file)) throw new BadInput(`no such scorer config file: ${file}`)
  const config = loadScorerConfig(SCORERS, file)
  const scorers = new Map([...config.scorers].map(([k, v]) => [k, { ...v, timeBudgetMs: Number.POSITIVE_INFINITY }]))
  return { timeBudgetMs: Number.POSITIVE_INFINITY, scorers }
}

class BadInput extends Error {}

/** Reads and scores a JSONL run; any line that is not an LlmInteraction is bad input (listed, up to 10). */
export async function scoreRun(file: string, config: ScorerConfig): Promise<ScoredInteraction[]> {
  if (!existsSync(file)) throw new BadInput(`no such file: ${file}`)
  const out: ScoredInteraction[] = []
  const problems: string[] = []
  let n = 0
  let bad = 0
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  for await (const line of rl) {
    n++
    if (line.trim().length === 0) continue
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch (err) {
      bad++
      if (problems.length < 10) problems.push(`line ${n}: invalid JSON: ${errorMessage(err)}`)
      continue
    }
    const parsed = parseOfflineEvent(raw)
    if (!parsed.ok) {
      bad++
      const scored = typeof raw === 'object' && raw !== null && 'scores' in raw && 'scored_time' in raw
      if (problems.length < 10) {
        problems.push(scored ? `line ${n}: a ScoredInteraction (the output of llmwatch score): give the gate the LlmInteraction lines, it scores them itself` : `line ${n}: invalid LlmInteraction: ${parsed.error}`)
      }
      continue
    }
    out.push(scoreEvent(parsed.event, SCORERS, config, { textMode: 'none' }))
  }
  if (bad > 0) throw new BadInput(`${file}: ${bad} invalid line${bad === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`)
  if (out.length === 0) throw new BadInput(`${file}: no events`)
  return out
}

export interface GateDeps {
  /** A client for a ClickHouse baseline instead of the configured one (tests); not closed. */
  client?: ClickHouseClient
  now?: number
  out?: (s: string) => void
  err?: (s: string) => void
}

export async function runGate(args: GateArgs, env: Record<string, string | undefined>, deps: GateDeps): Promise<{ result: GateResult; baselineSource: string | null }> {
  if (!existsSync(args.gates)) throw new BadInput(`no such gates file: ${args.gates}`)
  const gates = parseGates(readFileSync(args.gates, 'utf8'), args.gates)
  const config = offlineScorerConfig(args.scorerConfig, env)
  const candidate = sideFromScored('candidate', await scoreRun(args.candidate, config))
  let baseline: SideData | null = null
  let baselineSource: string | null = null
  if (args.baseline !== undefined) {
    baseline = sideFromScored('baseline', await scoreRun(args.baseline, config))
    baselineSource = args.baseline
  } else if (Object.keys(args.baselineWhere).length > 0) {
    const now = deps.now ?? Date.now()
    const where = Object.entries(args.baselineWhere).map(([k, v]) => `${k}=${v}`).join(', ')
    baselineSource = `ClickHouse (${where}, last ${Math.round(args.baselineSinceMs / 3_600_000)} h)`
    let client = deps.client
    const own = client === undefined
    try {
      if (client === undefined) {
        const cfg = loadEnv(baseEnvSchema, env)
        client = await createClickHouse({ url: cfg.CLICKHOUSE_URL, user: cfg.CLICKHOUSE_USER, password: cfg.CLICKHOUSE_PASSWORD, database: cfg.CLICKHOUSE_DATABASE, path: cfg.CLICKHOUSE_PATH })
      }
      baseline = await querySide(client, { label: 'baseline', fromMs: now - args.baselineSinceMs, toMs: now, where: args.baselineWhere, sampleSize: 20_000 })
    } finally {
      if (own && client !== undefined) await client.close()
    }
    if (baseline.events === 0) throw new BadInput(`the ClickHouse baseline (${where}) has no events in the last ${Math.round(args.baselineSinceMs / 3_600_000)} h`)
  }
  return { result: evaluateGates(gates, candidate, baseline), baselineSource }
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env, deps: GateDeps = {}): Promise<number> {
  const out = deps.out ?? ((s: string) => void process.stdout.write(s))
  const err = deps.err ?? ((s: string) => void process.stderr.write(s))
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE)
    return 0
  }
  const started = Date.now()
  let args: GateArgs
  try {
    args = parseGateArgs(argv)
  } catch (e) {
    if (e instanceof UsageError) {
      err(`llmwatch gate: ${e.message}\n${USAGE}`)
      return 2
    }
    throw e
  }
  let run: Awaited<ReturnType<typeof runGate>>
  try {
    run = await runGate(args, env, deps)
  } catch (e) {
    const code = (e as { code?: string }).code
    err(`llmwatch gate: ${errorMessage(e)}\n`)
    // Bad files and configuration are bad input (2); ClickHouse failing is a runtime failure (1).
    return e instanceof BadInput || code === 'CONFIG_INVALID' ? 2 : 1
  }
  const { result, baselineSource } = run
  const ctx = { gatesFile: args.gates.replace(repoPath() + '/', ''), candidateFile: args.candidate, baselineSource, seconds: (Date.now() - started) / 1000, timestamp: new Date(started) }
  const md = markdownSummary(result, ctx)
  try {
    if (args.junit !== undefined) writeFileSync(args.junit, junitXml(result, ctx))
    if (args.markdown !== undefined) writeFileSync(args.markdown, md)
  } catch (e) {
    err(`llmwatch gate: cannot write a report: ${errorMessage(e)}\n`)
    return 2
  }
  if (args.markdown === undefined) out(md)
  for (const c of result.checks) err(`${c.status.toUpperCase().padEnd(5)} ${c.name}${c.status === 'pass' ? '' : `: ${c.conditions.find((x) => x.status !== 'pass')?.message ?? ''}`}\n`)
  err(`llmwatch gate: ${result.status === 'pass' ? 'passed' : result.status === 'fail' ? 'FAILED' : 'could not evaluate every check'} (${result.checks.filter((c) => c.status === 'pass').length}/${result.checks.length} checks passed)\n`)
  return result.status === 'pass' ? 0 : result.status === 'fail' ? 1 : 2
}
