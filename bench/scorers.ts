/**
 * Scorer throughput on one core (main thread).
 *
 *   npx tsx bench/scorers.ts [--json] [--events N]
 *
 * Events come from the traffic generator (shared/traffic, realistic apps with RAG context and
 * samples); measured: events/s of prepare (normalize + tokenize), of each scorer alone on prepared
 * input, of everything together (prepare + all scorers, as the engine runs them), of Avro decoding
 * the same events (baseline: the cheapest thing a consumer must do), and of the `obscenity`
 * library alone on prompt + response (reference). Progress on stderr; last stdout line is JSON.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import avro from 'avsc'
import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from 'obscenity'
import { promptText, type LlmInteraction } from '../shared/contract.js'
import { generateEvents } from '../shared/traffic/index.js'
import { runScorers } from '../services/scorer/engine.js'
import { defaultScorerConfig } from '../services/scorer/scorer-config.js'
import { SCORERS } from '../services/scorer/scorers/index.js'
import { prepare } from '../services/scorer/text.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function args(argv: readonly string[]): { json: boolean; events: number } {
  const a = { json: false, events: 5000 }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') a.json = true
    else if (argv[i] === '--events') a.events = Number(argv[++i])
    else throw new Error(`unknown argument ${argv[i]} (usage: bench/scorers.ts [--json] [--events N])`)
  }
  if (!Number.isInteger(a.events) || a.events < 10) throw new Error('--events must be an integer >= 10')
  return a
}

/** Runs fn over all events `rounds` times after one warm-up round; returns events per second. */
function measure(label: string, n: number, fn: (i: number) => void, rounds = 3): number {
  for (let i = 0; i < n; i++) fn(i)
  const t0 = performance.now()
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) fn(i)
  const secs = (performance.now() - t0) / 1000
  const eps = Math.round((n * rounds) / secs)
  process.stderr.write(`  ${label.padEnd(28)} ${eps.toLocaleString('en-US').padStart(12)} events/s\n`)
  return eps
}

function textBytes(e: LlmInteraction): number {
  let n = Buffer.byteLength(promptText(e)) + Buffer.byteLength(e.response_text)
  for (const c of e.retrieved_context) n += Buffer.byteLength(c)
  for (const s of e.sampled_responses) n += Buffer.byteLength(s)
  return n
}

function main(): void {
  const a = args(process.argv.slice(2))
  process.stderr.write(`[bench] generating ${a.events} events ...\n`)
  const events = generateEvents(a.events, 42)
  const sizes = events.map(textBytes).sort((x, y) => x - y)
  const meanBytes = Math.round(sizes.reduce((s, x) => s + x, 0) / sizes.length)
  const withContext = events.filter((e) => e.retrieved_context.length > 0).length
  const withSamples = events.filter((e) => e.sampled_responses.length > 0).length
  process.stderr.write(
    `[bench] text bytes/event: mean ${meanBytes}, p10 ${sizes[Math.floor(sizes.length * 0.1)]}, p90 ${sizes[Math.floor(sizes.length * 0.9)]}; ` +
      `${withContext} with context, ${withSamples} with samples\n`,
  )

  const type = avro.Type.forSchema(JSON.parse(readFileSync(join(root, 'schemas', 'LlmInteraction.avsc'), 'utf8')) as avro.Schema)
  const encoded = events.map((e) => type.toBuffer(e))
  const config = defaultScorerConfig(SCORERS)
  // Budgets are not what is measured here: lift them so a GC pause cannot drop a result.
  for (const s of config.scorers.values()) s.timeBudgetMs = 60_000
  const prepared = events.map(prepare)
  const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers })
  const n = events.length
  let sink = 0

  process.stderr.write('[bench] measuring (1 warm-up + 3 rounds each)\n')
  const baseline = measure('avro decode (baseline)', n, (i) => {
    sink += (type.fromBuffer(encoded[i] as Buffer) as LlmInteraction).response_text.length
  })
  const prep = measure('prepare (analyze texts)', n, (i) => {
    sink += prepare(events[i] as LlmInteraction).response.tokens.length
  })
  const perScorer: Record<string, number> = {}
  for (const s of SCORERS) {
    const params = config.scorers.get(s.name)?.params ?? s.params.parse({})
    perScorer[s.name] = measure(`scorer ${s.name}`, n, (i) => {
      sink += s.score(prepared[i]!, params).length
    })
  }
  const all = measure('all (prepare + all scorers)', n, (i) => {
    sink += runScorers(prepare(events[i] as LlmInteraction), SCORERS, config).length
  })
  const obscenity = measure('obscenity alone (reference)', n, (i) => {
    const e = events[i] as LlmInteraction
    sink += matcher.getAllMatches(promptText(e)).length + matcher.getAllMatches(e.response_text).length
  })
  const result = {
    events: n,
    text_bytes_mean: meanBytes,
    events_per_sec: { avro_decode: baseline, prepare: prep, all_scorers: all, obscenity_only: obscenity, per_scorer: perScorer },
    ratio_vs_decode: {
      all_scorers: Math.round((all / baseline) * 1000) / 1000,
      obscenity_only: Math.round((obscenity / baseline) * 1000) / 1000,
    },
    target_all_scorers_eps: 10_000,
    meets_target: all >= 10_000,
    _sink: sink % 2,
  }
  process.stderr.write(`[bench] all scorers: ${all} events/s (target 10,000) = ${result.ratio_vs_decode.all_scorers} x avro decode\n`)
  if (a.json) process.stdout.write(JSON.stringify(result) + '\n')
}

main()
