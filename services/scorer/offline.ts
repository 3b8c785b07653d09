/**
 * Offline scoring for the CLI `llmwatch score [file]`: LlmInteraction JSON lines in (a file or
 * stdin), ScoredInteraction JSON lines out.
 *
 * Offline runs score historical exports, so the contract's "timestamp within 30 days of now"
 * check would reject them: lines are validated with the full LlmInteractionSchema except that
 * timestamp-range errors are ignored (integers and ordering are still checked). An invalid line
 * writes `line N: <reason>` to stderr and scoring continues; the exit code is 1 if any line was
 * invalid.
 */
import { createReadStream, existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { jsonTimesToEpochMs, LlmInteractionSchema, type LlmInteraction } from '../../shared/contract.js'
import { errorMessage } from '../../shared/errors.js'
import { scoreEvent, type TextMode } from './engine.js'
import { loadScorerConfig, type ScorerConfig } from './scorer-config.js'
import type { Scorer } from './scorer.js'
import { SCORERS } from './scorers/index.js'

export interface OfflineOptions {
  scorers?: readonly Scorer<unknown>[]
  config?: ScorerConfig
  textMode?: TextMode
  /** Where per-line errors go (default process.stderr). */
  errors?: Writable
}

export interface OfflineSummary {
  lines: number
  scored: number
  invalid: number
}

const RANGE_MSG = 'timestamp out of the accepted range'

/** Parses one event; timestamp-range issues are accepted offline (see file comment). */
export function parseOfflineEvent(raw: unknown): { ok: true; event: LlmInteraction } | { ok: false; error: string } {
  // Times as RFC 3339 strings are accepted, as from JSON producers.
  const timeIssues = jsonTimesToEpochMs(raw)
  if (timeIssues.length > 0) return { ok: false, error: timeIssues.join('; ') }
  const r = LlmInteractionSchema.safeParse(raw)
  if (r.success) return { ok: true, event: r.data }
  const real = r.error.issues.filter((i) => !i.message.startsWith(RANGE_MSG))
  if (real.length > 0) {
    return { ok: false, error: real.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') }
  }
  // Only range issues: re-parse with the timestamps moved to now (same offsets), keep the originals.
  const o = raw as Record<string, unknown>
  const start = o.request_start_time as number
  const shift = Date.now() - start
  const moved: Record<string, unknown> = { ...o, request_start_time: start + shift, end_time: (o.end_time as number) + shift }
  if (typeof o.first_token_time === 'number') moved.first_token_time = o.first_token_time + shift
  const again = LlmInteractionSchema.safeParse(moved)
  if (!again.success) return { ok: false, error: again.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
  const ev = again.data
  return {
    ok: true,
    event: {
      ...ev,
      request_start_time: start,
      end_time: o.end_time as number,
      first_token_time: typeof o.first_token_time === 'number' ? o.first_token_time : null,
    },
  }
}

/** Scores JSON lines from input to output; resolves with counts when input ends. */
export async function scoreLines(input: Readable, output: Writable, opts: OfflineOptions = {}): Promise<OfflineSummary> {
  const scorers = opts.scorers ?? SCORERS
  const config = opts.config ?? loadScorerConfig(scorers)
  const errors = opts.errors ?? process.stderr
  const summary: OfflineSummary = { lines: 0, scored: 0, invalid: 0 }
  const rl = createInterface({ input, crlfDelay: Infinity })
  for await (const line of rl) {
    summary.lines++
    if (line.trim().length === 0) continue
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch (err) {
      summary.invalid++
      errors.write(`line ${summary.lines}: invalid JSON: ${errorMessage(err)}\n`)
      continue
    }
    const parsed = parseOfflineEvent(raw)
    if (!parsed.ok) {
      summary.invalid++
      errors.write(`line ${summary.lines}: invalid LlmInteraction: ${parsed.error}\n`)
      continue
    }
    const scored = scoreEvent(parsed.event, scorers, config, { textMode: opts.textMode })
    // Respect backpressure of the output stream.
    if (!output.write(JSON.stringify(scored) + '\n')) await new Promise<void>((res) => output.once('drain', () => res()))
    summary.scored++
  }
  return summary
}

/** CLI entry: `llmwatch score [file] [--text-mode full|redacted|none] [--config path]`. Returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let file: string | undefined
  let textMode: TextMode | undefined
  let configPath: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--text-mode') {
      const m = argv[++i]
      if (m !== 'full' && m !== 'redacted' && m !== 'none') {
        process.stderr.write('--text-mode expects full, redacted or none\n')
        return 2
      }
      textMode = m
    } else if (a === '--config') configPath = argv[++i]
    else if (a.startsWith('--')) {
      process.stderr.write(`unknown option ${a}\n`)
      return 2
    } else file = a
  }
  if (file !== undefined && file !== '-' && !existsSync(file)) {
    process.stderr.write(`llmwatch score: no such file: ${file}\n`)
    return 2
  }
  const config = loadScorerConfig(SCORERS, configPath)
  const input = file === undefined || file === '-' ? process.stdin : createReadStream(file)
  const s = await scoreLines(input, process.stdout, { config, textMode })
  process.stderr.write(`scored ${s.scored} events, ${s.invalid} invalid lines\n`)
  return s.invalid > 0 ? 1 : 0
}
