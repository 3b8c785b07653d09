/**
 * The scoring engine: one LlmInteraction in, one ScoredInteraction out.
 *
 * - Every text is analysed once (`prepare`) and every enabled scorer reads the shared result.
 * - Error isolation: a scorer that throws yields a `status: 'error'` entry (label = the error
 *   message, value null) for that scorer only; the event and the other scorers are unaffected.
 * - Time budget: scorers are synchronous, so they cannot be pre-empted. The engine measures each
 *   call; one that took longer than its budget gets a single `status: 'error'`, label
 *   'time budget exceeded' entry and its results are dropped (a slow answer is treated as
 *   unreliable, and the entry makes the slowness visible in the scores table).
 * - Privacy: `textMode` full keeps prompt/response text, redacted (default) masks PII with the
 *   PII scorer's `redactPii`, none stores no text. Redaction reuses the PII scorer's findings for
 *   the same text (`piiFindings` caches them per analysed text), so no text is scanned twice.
 * - An explicit `status: 'error'` result keeps its `flagged` (the cost scorer flags an unknown
 *   model with value null); an 'ok' result with a non-finite value becomes an unflagged error.
 */
import type { LlmInteraction, ScoreEntry, ScoredInteraction } from '../../shared/contract.js'
import { errorMessage } from '../../shared/errors.js'
import { fixedDetailsJson, type AnalyzedText, type ScoreResult, type Scorer, type ScoringInput } from './scorer.js'
import type { ScorerConfig } from './scorer-config.js'
import { prepare } from './text.js'
import { piiFindings, redactPii } from './scorers/pii.js'

export type TextMode = 'full' | 'redacted' | 'none'

export interface EngineOptions {
  /** What prompt_text / response_text hold. Default 'redacted'. */
  textMode?: TextMode
  /** Clock for scored_time and budgets (tests). Default Date.now / performance.now. */
  now?: () => number
  /** Replaces the PII redactor (tests, or a stricter redactor). */
  redact?: (text: string) => string
  /** Cap on each entry's details JSON (chars). Default 4096. */
  maxDetailsChars?: number
  /** An already prepared input for this event (bench reuse). */
  prepared?: ScoringInput
}

const DEFAULT_MAX_DETAILS = 4096
const MAX_LABEL = 128

/** JSON-stringifies details, replacing them with a truncation marker when over the cap. */
export function capDetails(details: Record<string, unknown>, max = DEFAULT_MAX_DETAILS): string {
  // Constant details (scorers' "nothing found") come serialized; not-applicable results carry {}.
  const fixed = fixedDetailsJson(details)
  if (fixed !== undefined && fixed.length <= max) return fixed
  if (isEmpty(details)) return '{}'
  let s: string
  try {
    s = JSON.stringify(details)
  } catch (err) {
    return JSON.stringify({ error: `details not serializable: ${errorMessage(err)}` })
  }
  if (s.length <= max) return s
  // Keep a valid JSON object: a prefix of the serialized details as a string.
  return JSON.stringify({ truncated: true, chars: s.length, preview: s.slice(0, Math.max(0, max - 80)) })
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const _ in o) return false
  return true
}

function entry(scorer: Scorer<unknown>, r: ScoreResult, maxDetails: number): ScoreEntry {
  const ok = r.status === 'ok' && r.value !== null && Number.isFinite(r.value)
  return {
    name: scorer.name,
    target: r.target,
    version: scorer.version,
    // A non-finite value cannot be stored: the scorer broke its contract, so report an error.
    status: r.status === 'ok' && !ok ? 'error' : r.status,
    value: ok ? r.value : null,
    label: (r.status === 'ok' && !ok ? 'non-finite value' : r.label).slice(0, MAX_LABEL),
    // An explicit error keeps its flag (unknown model: flagged, never priced); a broken 'ok' does not.
    flagged: ok || r.status === 'error' ? r.flagged : false,
    details: capDetails(r.details, maxDetails),
  }
}

function errorEntry(scorer: Scorer<unknown>, label: string, details: Record<string, unknown> = {}): ScoreEntry {
  return {
    name: scorer.name,
    target: 'event',
    version: scorer.version,
    status: 'error',
    value: null,
    label: label.slice(0, MAX_LABEL) || 'error',
    flagged: false,
    details: capDetails(details),
  }
}

/** Runs each enabled scorer with error isolation and time budgets; returns the score entries. */
export function runScorers(
  input: ScoringInput,
  scorers: readonly Scorer<unknown>[],
  config: ScorerConfig,
  opts: Pick<EngineOptions, 'maxDetailsChars'> & { clock?: () => number } = {},
): ScoreEntry[] {
  const clock = opts.clock ?? (() => performance.now())
  const maxDetails = opts.maxDetailsChars ?? DEFAULT_MAX_DETAILS
  // Entries are built after the scorers have run, so that one clock reading ends a scorer's time and
  // starts the next one's (only the settings lookup lies between): half the clock calls per event.
  const ran: (ScoreEntry | { scorer: Scorer<unknown>; results: ScoreResult[] })[] = []
  let t0 = clock()
  for (const scorer of scorers) {
    const settings = config.scorers.get(scorer.name)
    if (settings !== undefined && !settings.enabled) continue
    let params: unknown
    if (settings !== undefined) params = settings.params
    else {
      // A scorer registered after the config was resolved runs with its defaults.
      params = scorer.params.parse({})
      t0 = clock()
    }
    const budget = settings?.timeBudgetMs ?? config.timeBudgetMs
    if (scorer.load !== undefined && !LOADED.has(scorer)) {
      try {
        loadScorer(scorer)
      } catch (err) {
        ran.push(errorEntry(scorer, errorMessage(err)))
        t0 = clock()
        continue
      }
      t0 = clock()
    }
    let results: ScoreResult[]
    try {
      results = scorer.score(input, params)
    } catch (err) {
      ran.push(errorEntry(scorer, errorMessage(err)))
      t0 = clock()
      continue
    }
    const t1 = clock()
    const took = t1 - t0
    t0 = t1
    if (took > budget) {
      ran.push(errorEntry(scorer, 'time budget exceeded', { took_ms: Math.round(took * 100) / 100, budget_ms: budget }))
      continue
    }
    ran.push({ scorer, results })
  }
  const out: ScoreEntry[] = []
  for (const r of ran) {
    if ('results' in r) for (const x of r.results) out.push(entry(r.scorer, x, maxDetails))
    else out.push(r)
  }
  return out
}

/** Scorers whose `load` has run in this process. */
const LOADED = new WeakSet<Scorer<unknown>>()

/** Runs a scorer's `load` once (untimed). Services call it at start-up; the engine before a first run. */
export function loadScorer(scorer: Scorer<unknown>): void {
  if (LOADED.has(scorer)) return
  scorer.load?.()
  LOADED.add(scorer)
}

/** The cost scorer's event-level value, or null when it is absent or not ok. */
function costOf(scores: readonly ScoreEntry[]): number | null {
  const c = scores.find((s) => s.name === 'cost' && s.status === 'ok')
  return c !== undefined && c.value !== null && c.value >= 0 ? c.value : null
}

function textFor(text: AnalyzedText, mode: TextMode, redact: ((t: string) => string) | undefined): string | null {
  if (mode === 'none') return null
  if (mode === 'full') return text.raw
  return redact !== undefined ? redact(text.raw) : redactPii(text.raw, piiFindings(text))
}

/** Scores one event: dims and measures copied, text per privacy mode, one entry per scorer result. */
export function scoreEvent(
  event: LlmInteraction,
  scorers: readonly Scorer<unknown>[],
  config: ScorerConfig,
  opts: EngineOptions = {},
): ScoredInteraction {
  const input = opts.prepared ?? prepare(event)
  const scores = runScorers(input, scorers, config, { maxDetailsChars: opts.maxDetailsChars })
  const mode = opts.textMode ?? 'redacted'
  return {
    event_id: event.event_id,
    app_name: event.app_name,
    environment: event.environment,
    provider_name: event.provider_name,
    operation_name: event.operation_name,
    request_model: event.request_model,
    response_model: event.response_model,
    prompt_template_id: event.prompt_template_id,
    prompt_template_version: event.prompt_template_version,
    trace_id: event.trace_id,
    session_id: event.session_id,
    user_id_hash: event.user_id_hash,
    request_start_time: event.request_start_time,
    end_time: event.end_time,
    scored_time: (opts.now ?? Date.now)(),
    latency_ms: Math.max(0, event.end_time - event.request_start_time),
    ttft_ms: event.first_token_time === null ? null : Math.max(0, event.first_token_time - event.request_start_time),
    usage_input_tokens: event.usage_input_tokens,
    usage_output_tokens: event.usage_output_tokens,
    usage_cached_input_tokens: event.usage_cached_input_tokens,
    cost_usd: costOf(scores),
    cache_hit: event.cache_hit,
    status: event.status,
    error_type: event.error_type,
    text_mode: mode,
    prompt_text: textFor(input.prompt, mode, opts.redact),
    response_text: textFor(input.response, mode, opts.redact),
    scores,
  }
}
