/**
 * Scorer evaluation on the labeled dev sets.
 *
 *   npx tsx services/scorer/eval.ts [--json] [--dir ../shared/eval] [--only toxicity,bias]
 *
 * Runs each module services/scorer/eval/<set>.ts (exporting `evaluate(dir)`); modules that do not
 * exist yet are skipped with a warning. Progress and a human table go to stderr; with --json the
 * last stdout line is one JSON object keyed by set. The default dir is ../shared/eval relative to the
 * repo root; env LLMWATCH_EVAL_DIR overrides it, --dir overrides both.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { errorMessage } from '../../shared/errors.js'

export type EvalResult = Record<string, number | string | Record<string, number>>

/** The eval modules, in report order. S2 owns pii, grounding and consistency. */
export const EVAL_SETS = ['toxicity', 'bias', 'injection', 'pii', 'grounding', 'consistency'] as const

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '..', '..')

interface Args {
  json: boolean
  dir: string
  only: string[] | null
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, dir: process.env.LLMWATCH_EVAL_DIR ?? resolve(repoRoot, '..', 'shared', 'eval'), only: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--json') args.json = true
    else if (a === '--dir') args.dir = resolve(argv[++i] ?? '')
    else if (a === '--only') args.only = (argv[++i] ?? '').split(',').filter(Boolean)
    else throw new Error(`unknown argument ${a} (usage: eval.ts [--json] [--dir DIR] [--only set,set])`)
  }
  return args
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4)
}

/** Renders one set's metrics as indented "name value" lines. */
function table(set: string, r: EvalResult): string {
  const lines = [`== ${set}`]
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'number') lines.push(`  ${k.padEnd(28)} ${fmt(v)}`)
    else if (typeof v === 'string') lines.push(`  ${k.padEnd(28)} ${v}`)
    else {
      lines.push(`  ${k}`)
      for (const [k2, v2] of Object.entries(v)) lines.push(`    ${k2.padEnd(26)} ${fmt(v2)}`)
    }
  }
  return lines.join('\n')
}

export async function runEval(argv: readonly string[]): Promise<Record<string, EvalResult | { error: string }>> {
  const args = parseArgs(argv)
  if (!existsSync(args.dir)) throw new Error(`eval dir not found: ${args.dir}`)
  const results: Record<string, EvalResult | { error: string }> = {}
  for (const set of EVAL_SETS) {
    if (args.only !== null && !args.only.includes(set)) continue
    const file = join(here, 'eval', `${set}.ts`)
    if (!existsSync(file)) {
      process.stderr.write(`[eval] skip ${set}: ${file} does not exist yet\n`)
      continue
    }
    process.stderr.write(`[eval] ${set} ...\n`)
    const t0 = performance.now()
    try {
      const mod = (await import(pathToFileURL(file).href)) as { evaluate?: (dir: string) => Promise<EvalResult> }
      if (typeof mod.evaluate !== 'function') throw new Error(`${set}.ts does not export evaluate(dir)`)
      const r = await mod.evaluate(args.dir)
      results[set] = r
      process.stderr.write(`${table(set, r)}\n  (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`)
    } catch (err) {
      // One broken module must not hide the others' figures; the failure is reported and counted.
      results[set] = { error: errorMessage(err) }
      process.stderr.write(`[eval] ${set} FAILED: ${errorMessage(err)}\n`)
    }
  }
  if (args.json) process.stdout.write(JSON.stringify(results) + '\n')
  return results
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runEval(process.argv.slice(2)).then(
    (r) => {
      if (Object.values(r).some((x) => 'error' in x)) process.exitCode = 1
    },
    (err: unknown) => {
      process.stderr.write(`eval: ${errorMessage(err)}\n`)
      process.exitCode = 2
    },
  )
}
