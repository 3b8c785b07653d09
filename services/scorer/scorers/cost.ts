/**
 * Cost scorer ('cost', target 'event'): the USD cost of one call from the versioned pricing catalog
 * shipped in ../pricing/catalog.json (illustrative list prices; see its `disclaimer`).
 *
 * cost = (input - cached) x input rate + cached x cached rate + output x output rate, per 1M tokens
 * (usage_input_tokens includes the cached ones, as in the OTel GenAI conventions).
 * cache_hit (the app answered from its own cache, no provider call): value 0 and
 * details.savings_usd = what the call would have cost.
 * Unknown model: value null, label 'unknown_model', flagged: prices are never guessed.
 *
 * Model matching (documented in the catalog's `matching` field): provider must be the entry's
 * provider or one of `also_via`; the response_model (the snapshot actually served), else the
 * request_model, must equal the model or an alias, case-insensitively; entries marked
 * `dated_suffix` also accept `-YYYY-MM-DD`, `-YYYYMMDD` and `@YYYYMMDD` snapshots; for aws.bedrock a
 * cross-region inference prefix (us., eu., apac., global.) is ignored.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { ScoreResult, Scorer, ScoringInput } from '../scorer.js'

export const CatalogEntrySchema = z.object({
  provider: z.string().min(1),
  model: z.string().min(1),
  input_per_mtok: z.number().nonnegative(),
  output_per_mtok: z.number().nonnegative(),
  cached_input_per_mtok: z.number().nonnegative(),
  aliases: z.array(z.string().min(1)).default([]),
  also_via: z.array(z.string().min(1)).default([]),
  dated_suffix: z.boolean().default(false),
})
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>

export const CatalogSchema = z.object({
  version: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  source: z.string(),
  models: z.array(CatalogEntrySchema).min(1),
})
export type Catalog = z.infer<typeof CatalogSchema>

export const DEFAULT_CATALOG_URL = new URL('../pricing/catalog.json', import.meta.url)

/** Reads and validates a catalog file (throws with the zod issues when it is malformed). */
export function loadCatalog(path: string | URL = DEFAULT_CATALOG_URL): Catalog {
  return CatalogSchema.parse(JSON.parse(readFileSync(path, 'utf8')))
}

const DATED = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$/
const BEDROCK_REGION = /^(?:us|eu|apac|global)\./

/** A lookup over one catalog: provider + lower-cased model name -> entry. */
export class PriceIndex {
  private readonly exact = new Map<string, CatalogEntry>()
  private readonly dated = new Map<string, CatalogEntry>()
  /** Answers by raw provider, then model: an event stream names few models, and find() normalizes. */
  private readonly memo = new Map<string, Map<string, CatalogEntry | null>>()
  private memoSize = 0

  constructor(readonly catalog: Catalog) {
    for (const e of catalog.models) {
      for (const provider of [e.provider, ...e.also_via]) {
        for (const name of [e.model, ...e.aliases]) this.exact.set(`${provider}\u0000${name.toLowerCase()}`, e)
        if (e.dated_suffix) this.dated.set(`${provider}\u0000${e.model.toLowerCase()}`, e)
      }
    }
  }

  /** The entry pricing `model` at `provider`, or undefined. */
  find(provider: string, model: string): CatalogEntry | undefined {
    // Two levels: no key string to build (and hash) per event.
    let models = this.memo.get(provider)
    let hit = models?.get(model)
    if (hit === undefined) {
      hit = this.lookup(provider, model) ?? null
      // Bounded: a stream of made-up model names must not grow memory.
      if (this.memoSize >= 10_000) {
        this.memo.clear()
        this.memoSize = 0
        models = undefined
      }
      if (models === undefined) this.memo.set(provider, (models = new Map()))
      models.set(model, hit)
      this.memoSize++
    }
    return hit ?? undefined
  }

  private lookup(provider: string, model: string): CatalogEntry | undefined {
    let m = model.trim().toLowerCase()
    if (provider === 'aws.bedrock') m = m.replace(BEDROCK_REGION, '')
    const hit = this.exact.get(`${provider}\u0000${m}`)
    if (hit !== undefined) return hit
    if (DATED.test(m)) return this.dated.get(`${provider}\u0000${m.replace(DATED, '')}`)
    return undefined
  }
}

let defaultIndex: PriceIndex | undefined
/** The index over the shipped catalog, loaded on first use. */
export function defaultPriceIndex(): PriceIndex {
  defaultIndex ??= new PriceIndex(loadCatalog())
  return defaultIndex
}

/** USD for the given token counts at an entry's rates. */
export function priceOf(e: CatalogEntry, inputTokens: number, outputTokens: number, cachedInputTokens: number): number {
  const cached = Math.min(cachedInputTokens, inputTokens)
  return ((inputTokens - cached) * e.input_per_mtok + cached * e.cached_input_per_mtok + outputTokens * e.output_per_mtok) / 1_000_000
}

export const CostParamsSchema = z.object({
  /** Flag an event whose cost reaches this many USD; null = never flag on cost. */
  flagAboveUsd: z.number().nonnegative().nullable().default(null),
})
export type CostParams = z.infer<typeof CostParamsSchema>

function round(x: number): number {
  // Micro-dollar precision is plenty for per-call costs and keeps sums stable.
  return Math.round(x * 1e9) / 1e9
}

/** Builds the cost scorer over a price index (the shipped catalog by default). */
export function makeCostScorer(index: () => PriceIndex = defaultPriceIndex): Scorer<CostParams> {
  return {
    name: 'cost',
    version: '1.0.0',
    reads: ['provider_name', 'request_model', 'response_model', 'usage_input_tokens', 'usage_output_tokens', 'usage_cached_input_tokens', 'cache_hit'],
    params: CostParamsSchema,
    score(input: ScoringInput, params: CostParams): ScoreResult[] {
      const e = input.event
      const idx = index()
      const candidates = e.response_model !== null && e.response_model.length > 0 ? [e.response_model, e.request_model] : [e.request_model]
      let entry: CatalogEntry | undefined
      let matched = ''
      for (const c of candidates) {
        entry = idx.find(e.provider_name, c)
        if (entry !== undefined) {
          matched = c
          break
        }
      }
      // Details list their fields rather than spreading a shared part: `{ ...o, k }` is a slow path
      // in V8 (~1-2 us per object, most of this scorer's time).
      const { version, date } = idx.catalog
      const tokens = { input: e.usage_input_tokens, cached_input: e.usage_cached_input_tokens, output: e.usage_output_tokens }

      if (e.cache_hit) {
        // No provider call happened: nothing was spent; what it would have cost is the saving.
        const savings = entry !== undefined ? round(priceOf(entry, e.usage_input_tokens, e.usage_output_tokens, e.usage_cached_input_tokens)) : null
        return [{ target: 'event', status: 'ok', value: 0, label: 'cache_hit', flagged: false, details: { catalog_version: version, catalog_date: date, savings_usd: savings, model: entry?.model ?? null, tokens } }]
      }
      if (entry === undefined) {
        return [
          {
            target: 'event',
            status: 'error',
            value: null,
            label: 'unknown_model',
            flagged: true,
            details: { catalog_version: version, catalog_date: date, provider: e.provider_name, request_model: e.request_model, response_model: e.response_model },
          },
        ]
      }
      const cost = round(priceOf(entry, e.usage_input_tokens, e.usage_output_tokens, e.usage_cached_input_tokens))
      const flagged = params.flagAboveUsd !== null && cost >= params.flagAboveUsd
      return [
        {
          target: 'event',
          status: 'ok',
          value: cost,
          label: flagged ? 'over_budget' : 'priced',
          flagged,
          details: {
            catalog_version: version,
            catalog_date: date,
            model: entry.model,
            matched,
            tokens,
            rates_per_mtok: { input: entry.input_per_mtok, cached_input: entry.cached_input_per_mtok, output: entry.output_per_mtok },
          },
        },
      ]
    },
  }
}

export const costScorer: Scorer<CostParams> = makeCostScorer()
