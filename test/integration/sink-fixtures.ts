/** Builders of valid records for the sink tests (synthetic, deterministic from a seed). */
import { randomUUID } from 'node:crypto'
import { AlertSchema, ScoredInteractionSchema, type Alert, type ScoredInteraction } from '../../shared/contract.js'

export interface ScoredOpts {
  app?: string
  model?: string
  env?: string
  promptVersion?: string | null
  time?: number
  latencyMs?: number
  ttftMs?: number | null
  costUsd?: number | null
  status?: 'ok' | 'error'
  cacheHit?: boolean
  tokens?: [number, number, number]
  textMode?: 'full' | 'redacted' | 'none'
  prompt?: string | null
  response?: string | null
  /** name -> [value, flagged]; default: toxicity 0.1 not flagged, pii 0 not flagged. */
  scores?: Record<string, [number | null, boolean, ('prompt' | 'response' | 'context' | 'event')?]>
}

export function scored(o: ScoredOpts = {}): ScoredInteraction {
  const start = o.time ?? Date.now() - 60_000
  const latency = o.latencyMs ?? 500
  const scores = o.scores ?? { toxicity: [0.1, false], pii: [0, false] }
  return ScoredInteractionSchema.parse({
    event_id: randomUUID(),
    app_name: o.app ?? 'chat-app',
    environment: o.env ?? 'production',
    provider_name: 'openai',
    request_model: o.model ?? 'gpt-4o-mini',
    prompt_template_id: 'support',
    prompt_template_version: o.promptVersion === undefined ? 'v1' : o.promptVersion,
    request_start_time: start,
    end_time: start + Math.round(latency),
    scored_time: start + Math.round(latency) + 5,
    latency_ms: latency,
    ttft_ms: o.ttftMs === undefined ? latency / 4 : o.ttftMs,
    usage_input_tokens: o.tokens?.[0] ?? 100,
    usage_output_tokens: o.tokens?.[1] ?? 50,
    usage_cached_input_tokens: o.tokens?.[2] ?? 0,
    cost_usd: o.costUsd === undefined ? 0.001 : o.costUsd,
    cache_hit: o.cacheHit ?? false,
    status: o.status ?? 'ok',
    error_type: o.status === 'error' ? 'timeout' : null,
    text_mode: o.textMode ?? 'full',
    prompt_text: o.prompt === undefined ? 'How do I reset my password?' : o.prompt,
    response_text: o.response === undefined ? 'Open settings and choose reset.' : o.response,
    scores: Object.entries(scores).map(([name, [value, flagged, target]]) => ({
      name,
      target: target ?? 'response',
      version: '1',
      status: value === null ? 'not_applicable' : 'ok',
      value,
      label: flagged ? 'flagged' : '',
      flagged,
      details: '{}',
    })),
  })
}

export function alert(o: { rule?: string; state?: 'firing' | 'resolved'; time?: number; severity?: 'info' | 'warning' | 'critical'; reminder?: boolean } = {}): Alert {
  const t = o.time ?? Date.now()
  return AlertSchema.parse({
    alert_id: randomUUID(),
    rule: o.rule ?? 'toxicity-rate',
    kind: 'rate',
    severity: o.severity ?? 'warning',
    state: o.state ?? 'firing',
    reminder: o.reminder ?? false,
    labels: { app_name: 'chat-app' },
    dedup_key: `${o.rule ?? 'toxicity-rate'}|chat-app`,
    value: 0.2,
    threshold: 0.1,
    window_seconds: 300,
    started_time: t - 60_000,
    ended_time: o.state === 'resolved' ? t : null,
    emitted_time: t,
    summary: 'toxicity rate above 10%',
  })
}
