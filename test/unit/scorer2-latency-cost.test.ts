import { describe, expect, it } from 'vitest'
import { costScorer, defaultPriceIndex, loadCatalog, PriceIndex } from '../../services/scorer/scorers/cost.js'
import { latencyScorer, resolveSlo } from '../../services/scorer/scorers/latency.js'
import { prepare } from '../../services/scorer/text.js'
import { interaction } from '../fixtures.js'

describe('latency', () => {
  const params = latencyScorer.params.parse({
    default: { p95TotalMs: 8000, maxTotalMs: 20_000, maxTtftMs: 2000 },
    overrides: [
      { model: 'gpt-4o*', maxTtftMs: 1000 },
      { app: 'batch-summarizer', maxTotalMs: 120_000 },
      { app: 'batch-summarizer', model: 'gpt-4o-mini', maxTtftMs: 5000 },
    ],
  })

  it('measures total, TTFT and output tokens/s', () => {
    const start = Date.now() - 5000
    const [r] = latencyScorer.score(
      prepare(interaction({ request_start_time: start, first_token_time: start + 400, end_time: start + 2400, usage_output_tokens: 100, request_model: 'claude-3-5-haiku-20241022' })),
      params,
    )
    expect(r).toMatchObject({ target: 'event', status: 'ok', value: 2400, label: 'ok', flagged: false })
    expect(r?.details).toMatchObject({ total_ms: 2400, ttft_ms: 400, output_tokens_per_sec: 50 })
  })

  it('layers overrides from least to most specific', () => {
    expect(resolveSlo(params, 'support-bot', 'claude-sonnet-4')).toMatchObject({ maxTotalMs: 20_000, maxTtftMs: 2000, p95TotalMs: 8000 })
    expect(resolveSlo(params, 'support-bot', 'gpt-4o-mini')).toMatchObject({ maxTotalMs: 20_000, maxTtftMs: 1000 })
    expect(resolveSlo(params, 'batch-summarizer', 'gpt-4o')).toMatchObject({ maxTotalMs: 120_000, maxTtftMs: 1000 })
    expect(resolveSlo(params, 'batch-summarizer', 'gpt-4o-mini')).toMatchObject({ maxTotalMs: 120_000, maxTtftMs: 5000 })
  })

  it('flags an SLO breach according to the override that applies', () => {
    const start = Date.now() - 60_000
    const slowTtft = interaction({ request_model: 'gpt-4o-mini', request_start_time: start, first_token_time: start + 1500, end_time: start + 3000 })
    const [support] = latencyScorer.score(prepare(slowTtft), params)
    expect(support).toMatchObject({ label: 'slo_breach', flagged: true })
    expect(support?.details).toMatchObject({ breaches: ['ttft'] })
    const [batch] = latencyScorer.score(prepare({ ...slowTtft, app_name: 'batch-summarizer' }), params)
    expect(batch).toMatchObject({ label: 'ok', flagged: false })
  })
})

describe('cost', () => {
  const defaults = costScorer.params.parse({})

  it('ships a valid, dated catalog covering the main providers', () => {
    const c = loadCatalog()
    expect(c.date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    const providers = new Set(c.models.map((m) => m.provider))
    for (const p of ['openai', 'anthropic', 'gcp.gemini', 'mistral_ai', 'aws.bedrock', 'together']) expect(providers.has(p), p).toBe(true)
  })

  it('prices cached input tokens at the cached rate (they are part of input tokens)', () => {
    const e = interaction({ provider_name: 'openai', request_model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06', usage_input_tokens: 10_000, usage_cached_input_tokens: 8_000, usage_output_tokens: 1_000 })
    const [r] = costScorer.score(prepare(e), defaults)
    // 2,000 x 2.50 + 8,000 x 1.25 + 1,000 x 10.00 per 1M = 0.005 + 0.01 + 0.01
    expect(r?.status).toBe('ok')
    expect(r?.value).toBeCloseTo(0.025, 9)
    expect(r?.details).toMatchObject({ model: 'gpt-4o', matched: 'gpt-4o-2024-08-06' })
  })

  it('uses the served snapshot when its price differs from the alias', () => {
    const e = interaction({ provider_name: 'openai', request_model: 'gpt-4o', response_model: 'gpt-4o-2024-05-13', usage_input_tokens: 1_000_000, usage_output_tokens: 0 })
    expect(costScorer.score(prepare(e), defaults)[0]?.value).toBeCloseTo(5, 9)
  })

  it('costs 0 on an app cache hit and reports the savings', () => {
    const e = interaction({ provider_name: 'anthropic', request_model: 'claude-sonnet-4-20250514', response_model: null, cache_hit: true, usage_input_tokens: 1000, usage_output_tokens: 500 })
    const [r] = costScorer.score(prepare(e), defaults)
    expect(r).toMatchObject({ status: 'ok', value: 0, label: 'cache_hit', flagged: false })
    expect((r?.details as { savings_usd: number }).savings_usd).toBeCloseTo((1000 * 3 + 500 * 15) / 1e6, 9)
  })

  it('never guesses: an unknown model or a known model at an unknown provider is flagged with a null value', () => {
    for (const e of [
      interaction({ provider_name: 'openai', request_model: 'gpt-9-ultra', response_model: null }),
      interaction({ provider_name: 'groq', request_model: 'gpt-4o', response_model: null }),
    ]) {
      const [r] = costScorer.score(prepare(e), defaults)
      expect(r).toMatchObject({ value: null, label: 'unknown_model', flagged: true })
    }
  })

  it('matches dated snapshots only where the entry allows it, and Bedrock region prefixes', () => {
    const idx = defaultPriceIndex()
    expect(idx.find('anthropic', 'claude-3-5-haiku-20241022')?.model).toBe('claude-3-5-haiku')
    expect(idx.find('openai', 'gpt-4.1-2025-04-14')?.model).toBe('gpt-4.1')
    expect(idx.find('openai', 'gpt-4o-2030-01-01')).toBeUndefined() // gpt-4o snapshots are listed explicitly
    expect(idx.find('aws.bedrock', 'us.anthropic.claude-3-5-haiku-20241022-v1:0')?.model).toBe('anthropic.claude-3-5-haiku-20241022-v1:0')
  })

  it('flags an event above the configured cost threshold', () => {
    const idx = new PriceIndex(loadCatalog())
    expect(idx.catalog.models.length).toBeGreaterThan(10)
    const e = interaction({ provider_name: 'anthropic', request_model: 'claude-opus-4-1', response_model: null, usage_input_tokens: 100_000, usage_output_tokens: 10_000 })
    const [r] = costScorer.score(prepare(e), costScorer.params.parse({ flagAboveUsd: 1 }))
    expect(r?.value).toBeCloseTo(1.5 + 0.75, 9)
    expect(r).toMatchObject({ flagged: true, label: 'over_budget' })
  })
})
