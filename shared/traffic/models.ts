/**
 * The models the simulated apps call. Names are the API model ids that public pricing catalogs
 * (LiteLLM's model_prices, OpenRouter, the providers' own price pages) use, so the cost scorer can
 * price them. Latency profiles are rough public medians: time to first token grows with the prompt,
 * then output streams at a per-model token rate; both are log-normal.
 */
import type { Rng } from './prng.js'

export interface ModelProfile {
  /** gen_ai.request.model */
  readonly id: string
  /** gen_ai.provider.name */
  readonly provider: 'openai' | 'anthropic' | 'gcp.gemini' | 'mistral_ai'
  /** gen_ai.response.model: providers often answer with a dated snapshot. */
  readonly responseModel: string
  /** Median time to first token for a small prompt (ms). */
  readonly ttftMs: number
  /** Extra TTFT per 1k input tokens (ms): prefill cost. */
  readonly ttftPer1kInputMs: number
  /** Median output tokens per second while streaming. */
  readonly tokensPerSec: number
  /** Whether the provider reports prompt-cache reads (cached input tokens). */
  readonly promptCache: boolean
  /** Finish reasons as the provider spells them. */
  readonly finish: { readonly stop: string; readonly length: string; readonly tool: string }
}

const OPENAI_FINISH = { stop: 'stop', length: 'length', tool: 'tool_calls' } as const
const ANTHROPIC_FINISH = { stop: 'end_turn', length: 'max_tokens', tool: 'tool_use' } as const
const GEMINI_FINISH = { stop: 'STOP', length: 'MAX_TOKENS', tool: 'STOP' } as const
const MISTRAL_FINISH = { stop: 'stop', length: 'length', tool: 'tool_calls' } as const

export const MODELS = {
  'gpt-4o': {
    id: 'gpt-4o', provider: 'openai', responseModel: 'gpt-4o-2024-08-06',
    ttftMs: 420, ttftPer1kInputMs: 35, tokensPerSec: 85, promptCache: true, finish: OPENAI_FINISH,
  },
  'gpt-4o-mini': {
    id: 'gpt-4o-mini', provider: 'openai', responseModel: 'gpt-4o-mini-2024-07-18',
    ttftMs: 330, ttftPer1kInputMs: 20, tokensPerSec: 110, promptCache: true, finish: OPENAI_FINISH,
  },
  'claude-sonnet-4-20250514': {
    id: 'claude-sonnet-4-20250514', provider: 'anthropic', responseModel: 'claude-sonnet-4-20250514',
    ttftMs: 850, ttftPer1kInputMs: 40, tokensPerSec: 60, promptCache: true, finish: ANTHROPIC_FINISH,
  },
  'claude-3-5-haiku-20241022': {
    id: 'claude-3-5-haiku-20241022', provider: 'anthropic', responseModel: 'claude-3-5-haiku-20241022',
    ttftMs: 520, ttftPer1kInputMs: 25, tokensPerSec: 95, promptCache: true, finish: ANTHROPIC_FINISH,
  },
  'gemini-2.5-flash': {
    id: 'gemini-2.5-flash', provider: 'gcp.gemini', responseModel: 'gemini-2.5-flash',
    ttftMs: 380, ttftPer1kInputMs: 15, tokensPerSec: 180, promptCache: false, finish: GEMINI_FINISH,
  },
  'mistral-large-latest': {
    id: 'mistral-large-latest', provider: 'mistral_ai', responseModel: 'mistral-large-2411',
    ttftMs: 480, ttftPer1kInputMs: 30, tokensPerSec: 70, promptCache: false, finish: MISTRAL_FINISH,
  },
  'codestral-latest': {
    id: 'codestral-latest', provider: 'mistral_ai', responseModel: 'codestral-2501',
    ttftMs: 260, ttftPer1kInputMs: 12, tokensPerSec: 150, promptCache: false, finish: MISTRAL_FINISH,
  },
} as const satisfies Record<string, ModelProfile>

export type ModelId = keyof typeof MODELS

export function modelProfile(id: ModelId): ModelProfile {
  return MODELS[id]
}

/** Rough token count for text: ~4 characters per token for English prose, ~3.3 for code. */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0
  const codeish = text.includes('```') || text.includes(';\n') || text.includes('{\n')
  return Math.max(1, Math.round(text.length / (codeish ? 3.3 : 4)))
}

/** Per-message overhead of chat formats (role markers, separators), in tokens. */
export const MESSAGE_OVERHEAD_TOKENS = 4

export interface Timing {
  /** ms from request start to first token. */
  ttftMs: number
  /** ms from request start to the end of the response. */
  totalMs: number
}

/** Samples a request's latency for a model, given its token counts. `slowdown` multiplies both parts. */
export function sampleTiming(rng: Rng, m: ModelProfile, inputTokens: number, outputTokens: number, slowdown = 1): Timing {
  const ttft = rng.lognormal(m.ttftMs + (m.ttftPer1kInputMs * inputTokens) / 1000, 0.35) * slowdown
  const tps = Math.max(5, rng.lognormal(m.tokensPerSec, 0.2))
  const stream = (outputTokens / tps) * 1000 * slowdown
  const ttftMs = Math.max(40, Math.round(ttft))
  return { ttftMs, totalMs: ttftMs + Math.max(1, Math.round(stream)) }
}
