/**
 * Latency scorer ('latency', target 'event'): total latency (end - start, the value, in ms), time
 * to first token (streaming calls) and output tokens per second, checked against per app/model SLOs.
 *
 * SLOs: `default` applies to every event; each matching entry of `overrides` is layered on top, the
 * more specific last (model-only, then app-only, then app+model), so an override changes only the
 * fields it sets. `model` matches request_model exactly, or as a prefix when it ends with '*'.
 * A per-event breach (total > maxTotalMs, ttft > maxTtftMs, or tokens/s < minOutputTokensPerSec) is
 * flagged with label 'slo_breach'. p95TotalMs is a fleet objective that one event cannot break: it is
 * reported in details so the alerter's quantile rules can read the same number.
 */
import { z } from 'zod'
import type { ScoreResult, Scorer, ScoringInput } from '../scorer.js'

const SloFields = {
  p95TotalMs: z.number().positive().optional(),
  maxTotalMs: z.number().positive().optional(),
  maxTtftMs: z.number().positive().optional(),
  minOutputTokensPerSec: z.number().positive().optional(),
}

export const LatencyParamsSchema = z.object({
  default: z
    .object({
      p95TotalMs: z.number().positive().default(10_000),
      maxTotalMs: z.number().positive().default(30_000),
      maxTtftMs: z.number().positive().default(5_000),
      minOutputTokensPerSec: z.number().positive().optional(),
    })
    .default({ p95TotalMs: 10_000, maxTotalMs: 30_000, maxTtftMs: 5_000 }),
  overrides: z
    .array(z.object({ app: z.string().min(1).optional(), model: z.string().min(1).optional(), ...SloFields }))
    .default([]),
  /** Output tokens/s is only meaningful with enough tokens; below this it is not checked. */
  minTokensForRate: z.number().int().nonnegative().default(20),
})
export type LatencyParams = z.infer<typeof LatencyParamsSchema>

interface Slo {
  p95TotalMs?: number
  maxTotalMs?: number
  maxTtftMs?: number
  minOutputTokensPerSec?: number
}

function modelMatches(pattern: string, model: string): boolean {
  return pattern.endsWith('*') ? model.startsWith(pattern.slice(0, -1)) : pattern === model
}

/** The SLO for one app and model: default, then matching overrides from least to most specific. */
export function resolveSlo(params: LatencyParams, app: string, model: string): Slo {
  const slo: Slo = { ...params.default }
  const matching = params.overrides
    .map((o, i) => ({ o, i, rank: (o.app !== undefined ? 2 : 0) + (o.model !== undefined ? 1 : 0) }))
    .filter(({ o }) => (o.app === undefined || o.app === app) && (o.model === undefined || modelMatches(o.model, model)))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
  for (const { o } of matching) {
    if (o.p95TotalMs !== undefined) slo.p95TotalMs = o.p95TotalMs
    if (o.maxTotalMs !== undefined) slo.maxTotalMs = o.maxTotalMs
    if (o.maxTtftMs !== undefined) slo.maxTtftMs = o.maxTtftMs
    if (o.minOutputTokensPerSec !== undefined) slo.minOutputTokensPerSec = o.minOutputTokensPerSec
  }
  return slo
}

export const latencyScorer: Scorer<LatencyParams> = {
  name: 'latency',
  version: '1.0.0',
  reads: ['app_name', 'request_model', 'request_start_time', 'first_token_time', 'end_time', 'usage_output_tokens'],
  params: LatencyParamsSchema,
  score(input: ScoringInput, params: LatencyParams): ScoreResult[] {
    const e = input.event
    const totalMs = Math.max(0, e.end_time - e.request_start_time)
    const ttftMs = e.first_token_time !== null ? Math.max(0, e.first_token_time - e.request_start_time) : null
    // Generation speed: over the streaming phase when the first token time is known.
    const genMs = e.first_token_time !== null ? e.end_time - e.first_token_time : totalMs
    const tokensPerSec = genMs > 0 && e.usage_output_tokens > 0 ? Math.round((e.usage_output_tokens / (genMs / 1000)) * 100) / 100 : null

    const slo = resolveSlo(params, e.app_name, e.request_model)
    const breaches: string[] = []
    if (slo.maxTotalMs !== undefined && totalMs > slo.maxTotalMs) breaches.push('total')
    if (slo.maxTtftMs !== undefined && ttftMs !== null && ttftMs > slo.maxTtftMs) breaches.push('ttft')
    if (slo.minOutputTokensPerSec !== undefined && tokensPerSec !== null && e.usage_output_tokens >= params.minTokensForRate && tokensPerSec < slo.minOutputTokensPerSec) {
      breaches.push('tokens_per_sec')
    }
    return [
      {
        target: 'event',
        status: 'ok',
        value: totalMs,
        label: breaches.length > 0 ? 'slo_breach' : 'ok',
        flagged: breaches.length > 0,
        details: { total_ms: totalMs, ttft_ms: ttftMs, output_tokens_per_sec: tokensPerSec, breaches, slo },
      },
    ]
  },
}
