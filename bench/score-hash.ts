/**
 * Do two checkouts score the same? For work that must make scoring cheaper without changing a result.
 *
 *   npx tsx bench/score-hash.ts [--events N] [--json] [checkout ...]   (default checkout: this one)
 *
 * Each checkout's own scorer code scores the same generated events (fixed seed and clock, so every
 * checkout sees identical input) with `scoreEvent` in 'redacted' and 'full' text modes, time budgets
 * lifted (a scorer over its budget on a loaded machine would otherwise change a result), and
 * `detectPii` runs over every text; each is hashed (SHA-256 of the results' JSON). Prints one line
 * per checkout, then `same` when every checkout gave the same hashes; exits 1 when they differ.
 * A checkout must have shared/pii.ts (PII detection moved there in issue 14).
 */
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

function args(argv: readonly string[]): { events: number; json: boolean; roots: string[] } {
  const a = { events: 6000, json: false, roots: [] as string[] }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--events') a.events = Number(argv[++i])
    else if (argv[i] === '--json') a.json = true
    else a.roots.push(argv[i]!)
  }
  if (!Number.isInteger(a.events) || a.events < 1) throw new Error('--events: expected a positive integer')
  if (a.roots.length === 0) a.roots.push('.')
  return a
}

async function hashes(root: string, n: number): Promise<Record<string, string>> {
  const mod = (p: string) => import(pathToFileURL(resolve(root, p)).href)
  const { generateEvents } = await mod('shared/traffic/index.ts')
  const { scoreEvent } = await mod('services/scorer/engine.ts')
  const { defaultScorerConfig } = await mod('services/scorer/scorer-config.ts')
  const { SCORERS } = await mod('services/scorer/scorers/index.ts')
  const { detectPii } = await mod('shared/pii.ts')
  const events = generateEvents(n, 14, { startMs: Date.UTC(2026, 0, 1) })
  const config = defaultScorerConfig(SCORERS)
  for (const s of config.scorers.values()) s.timeBudgetMs = 600_000
  const out: Record<string, string> = {}
  for (const mode of ['redacted', 'full'] as const) {
    const h = createHash('sha256')
    for (const e of events) h.update(JSON.stringify(scoreEvent(e, SCORERS, config, { textMode: mode, now: () => 0 })))
    out[mode] = h.digest('hex')
  }
  const h = createHash('sha256')
  for (const e of events) {
    for (const t of [e.response_text, ...e.messages.map((m: { content: string }) => m.content), ...(e.retrieved_context ?? [])]) {
      h.update(JSON.stringify(detectPii(t)))
    }
  }
  out.detectPii = h.digest('hex')
  return out
}

const a = args(process.argv.slice(2))
const results: { root: string; hashes: Record<string, string> }[] = []
for (const root of a.roots) {
  process.stderr.write(`[score-hash] ${root}: scoring ${a.events} events ...\n`)
  results.push({ root, hashes: await hashes(root, a.events) })
}
const key = (r: (typeof results)[number]) => JSON.stringify(r.hashes)
const same = results.every((r) => key(r) === key(results[0]!))
if (a.json) console.log(JSON.stringify({ events: a.events, results, same }))
else {
  for (const r of results) console.log(`${r.root}  ${Object.entries(r.hashes).map(([k, v]) => `${k} ${v.slice(0, 12)}`).join('  ')}`)
  console.log(same ? 'same' : 'DIFFERENT')
}
process.exitCode = same ? 0 : 1
