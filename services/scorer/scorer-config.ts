/**
 * Scorer configuration: one JSON file (default config/scorers.json) validated once at start-up.
 *
 *   { "timeBudgetMs": 50,
 *     "toxicity": { "enabled": true, "threshold": 0.5 },
 *     "injection": { "enabled": false } }
 *
 * Every scorer section is optional; `enabled` defaults to true and every parameter has a default
 * in the scorer's own `params` zod schema. A section may override `timeBudgetMs` for its scorer.
 * Errors name the scorer, the field and what was expected, e.g.
 * `config/scorers.json: toxicity.threshold: Invalid input: expected number, received string`.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { ConfigError, errorMessage } from '../../shared/errors.js'
import type { Scorer } from './scorer.js'

export const DEFAULT_SCORER_CONFIG_PATH = 'config/scorers.json'
export const DEFAULT_TIME_BUDGET_MS = 250

export interface ScorerSettings {
  enabled: boolean
  timeBudgetMs: number
  params: unknown
}

export interface ScorerConfig {
  timeBudgetMs: number
  /** One entry per registered scorer (defaults filled in), keyed by scorer name. */
  scorers: Map<string, ScorerSettings>
}

const budget = z.number().positive().max(60_000)
const SectionBase = z.object({ enabled: z.boolean().default(true), timeBudgetMs: budget.optional() })

function formatIssues(where: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => `${where}${i.path.length > 0 ? '.' + i.path.map(String).join('.') : ''}: ${i.message}`)
    .join('; ')
}

/** Validates an already-parsed config object against the registered scorers. */
export function resolveScorerConfig(raw: unknown, scorers: readonly Scorer<unknown>[], source = 'scorer config'): ScorerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: expected a JSON object keyed by scorer name`)
  }
  const obj = raw as Record<string, unknown>
  const known = new Map(scorers.map((s) => [s.name, s]))
  const errors: string[] = []

  let timeBudgetMs = DEFAULT_TIME_BUDGET_MS
  if (obj.timeBudgetMs !== undefined) {
    const r = budget.safeParse(obj.timeBudgetMs)
    if (r.success) timeBudgetMs = r.data
    else errors.push(formatIssues('timeBudgetMs', r.error.issues))
  }
  for (const key of Object.keys(obj)) {
    if (key !== 'timeBudgetMs' && key !== '$schema' && !known.has(key)) {
      errors.push(`${key}: unknown scorer (known: ${[...known.keys()].join(', ')})`)
    }
  }

  const out = new Map<string, ScorerSettings>()
  for (const scorer of scorers) {
    const section = obj[scorer.name] ?? {}
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      errors.push(`${scorer.name}: expected an object`)
      continue
    }
    const { enabled, timeBudgetMs: ownBudget, ...rest } = section as Record<string, unknown>
    const base = SectionBase.safeParse({ enabled, timeBudgetMs: ownBudget })
    if (!base.success) errors.push(formatIssues(scorer.name, base.error.issues))
    // Unknown parameter names are almost always typos: reject them instead of silently ignoring.
    if (scorer.params instanceof z.ZodObject) {
      const shape = scorer.params.shape as Record<string, unknown>
      for (const k of Object.keys(rest)) {
        if (!(k in shape)) errors.push(`${scorer.name}.${k}: unknown parameter (expected one of: enabled, timeBudgetMs, ${Object.keys(shape).join(', ')})`)
      }
    }
    const params = scorer.params.safeParse(rest)
    if (!params.success) errors.push(formatIssues(scorer.name, params.error.issues))
    if (base.success && params.success) {
      out.set(scorer.name, {
        enabled: base.data.enabled,
        timeBudgetMs: base.data.timeBudgetMs ?? timeBudgetMs,
        params: params.data,
      })
    }
  }
  if (errors.length > 0) throw new ConfigError(`${source}: ${errors.join('; ')}`)
  return { timeBudgetMs, scorers: out }
}

/** Defaults for every scorer (what an empty config file gives). */
export function defaultScorerConfig(scorers: readonly Scorer<unknown>[]): ScorerConfig {
  return resolveScorerConfig({}, scorers, 'default scorer config')
}

/** Reads and validates the config file; a missing file at the default path means defaults. */
export function loadScorerConfig(scorers: readonly Scorer<unknown>[], path?: string): ScorerConfig {
  const file = path ?? DEFAULT_SCORER_CONFIG_PATH
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if (path === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return defaultScorerConfig(scorers)
    throw new ConfigError(`${file}: cannot read scorer config: ${errorMessage(err)}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${file}: invalid JSON: ${errorMessage(err)}`)
  }
  return resolveScorerConfig(raw, scorers, file)
}
