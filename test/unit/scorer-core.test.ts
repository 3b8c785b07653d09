import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConfigError } from '../../shared/errors.js'
import type { LlmInteraction } from '../../shared/contract.js'
import { ScoredInteractionSchema } from '../../shared/contract.js'
import { scoreEvent } from '../../services/scorer/engine.js'
import { resolveScorerConfig } from '../../services/scorer/scorer-config.js'
import type { Scorer } from '../../services/scorer/scorer.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { toxicityScorer } from '../../services/scorer/scorers/toxicity.js'
import { analyze } from '../../services/scorer/text.js'
import { scoreLines } from '../../services/scorer/offline.js'

function event(over: Partial<LlmInteraction> = {}): LlmInteraction {
  const now = Date.now()
  return {
    event_id: '0b9f6d1e-2c3a-4b5c-8d9e-0f1a2b3c4d5e', app_name: 'support', environment: 'production', provider_name: 'openai',
    operation_name: 'chat', request_model: 'gpt-4o-mini', response_model: null, response_id: null, response_finish_reasons: [],
    usage_input_tokens: 10, usage_output_tokens: 5, usage_cached_input_tokens: 0, request_start_time: now - 900,
    first_token_time: now - 600, end_time: now, trace_id: null, span_id: null, session_id: null, user_id_hash: null,
    prompt_template_id: null, prompt_template_version: null, messages: [{ role: 'user', content: 'How do I reset my password?' }],
    response_text: 'Open settings and choose reset.', retrieved_context: [], sampled_responses: [], cache_hit: false,
    status: 'ok', error_type: null, attributes: {}, ...over,
  }
}

describe('analyze', () => {
  it('folds leetspeak, spaced letters, repeated letters and inner punctuation', () => {
    expect(analyze('f u c k').normalized).toBe('fuck')
    expect(analyze('stuuupid').normalized).toBe('stupid')
    expect(analyze('b1tch').normalized).toBe('bitch')
    expect(analyze('sh.i.t').normalized).toBe('shit')
    expect(analyze('year 2024').normalized).toBe('year 2024')
    expect(analyze('African-American people').normalized).toBe('african american people')
  })
  it('keeps raw tokens and sentences', () => {
    const a = analyze('Hello there. How are you?')
    expect(a.tokens).toEqual(['hello', 'there', 'how', 'are', 'you'])
    expect(a.sentences).toEqual(['Hello there.', 'How are you?'])
  })
})

const throwing: Scorer<Record<string, never>> = {
  name: 'boom', version: '0', reads: [], params: z.object({}).strict() as z.ZodType<Record<string, never>>,
  score() { throw new Error('kaboom') },
}
const slow: Scorer<Record<string, never>> = {
  name: 'slow', version: '0', reads: [], params: z.object({}).strict() as z.ZodType<Record<string, never>>,
  score() { const t = performance.now(); while (performance.now() - t < 15); return [{ target: 'event', status: 'ok', value: 1, label: 'x', flagged: true, details: {} }] },
}

describe('engine', () => {
  const scorers = [throwing, toxicityScorer, slow] as Scorer<unknown>[]
  const config = resolveScorerConfig({ slow: { timeBudgetMs: 5 } }, scorers)

  it('isolates a throwing scorer and a slow one; others still score', () => {
    const out = scoreEvent(event({ response_text: 'you are a f u c k i n g idiot' }), scorers, config, { textMode: 'full' })
    expect(ScoredInteractionSchema.safeParse(out).success).toBe(true)
    const boom = out.scores.find((s) => s.name === 'boom')
    expect(boom).toMatchObject({ status: 'error', label: 'kaboom', value: null })
    expect(out.scores.find((s) => s.name === 'slow')).toMatchObject({ status: 'error', label: 'time budget exceeded' })
    const tox = out.scores.find((s) => s.name === 'toxicity' && s.target === 'response')
    expect(tox?.flagged).toBe(true)
    expect(out.latency_ms).toBe(900)
    expect(out.ttft_ms).toBe(300)
    expect(out.cost_usd).toBeNull()
  })

  it('applies the privacy mode', () => {
    const e = event({ messages: [{ role: 'user', content: 'mail me at jane.doe@example.com' }] })
    expect(scoreEvent(e, [], config, { textMode: 'none' }).prompt_text).toBeNull()
    expect(scoreEvent(e, [], config, { textMode: 'full' }).prompt_text).toContain('jane.doe@example.com')
    expect(scoreEvent(e, [], config).prompt_text).not.toContain('jane.doe@example.com')
  })

  it('the full registry scores a valid event', () => {
    const out = scoreEvent(event(), SCORERS, resolveScorerConfig({}, SCORERS))
    expect(ScoredInteractionSchema.safeParse(out).success).toBe(true)
    expect(out.scores.length).toBeGreaterThanOrEqual(SCORERS.length)
  })
})

describe('scorer config', () => {
  it('fills defaults', () => {
    const c = resolveScorerConfig({}, SCORERS)
    expect(c.timeBudgetMs).toBe(50)
    expect(c.scorers.get('toxicity')).toMatchObject({ enabled: true, params: { threshold: 0.5 } })
  })
  it('names the scorer and field of an invalid value', () => {
    expect(() => resolveScorerConfig({ toxicity: { threshold: 'high' } }, SCORERS)).toThrow(/toxicity\.threshold: .*expected number/)
    expect(() => resolveScorerConfig({ toxicity: { threshold: 'high' } }, SCORERS)).toThrow(ConfigError)
  })
  it('rejects unknown scorers and parameters', () => {
    expect(() => resolveScorerConfig({ toxicty: {} }, SCORERS)).toThrow(/toxicty: unknown scorer/)
    expect(() => resolveScorerConfig({ bias: { treshold: 0.2 } }, SCORERS)).toThrow(/bias\.treshold: unknown parameter/)
    expect(() => resolveScorerConfig({ injection: { enabled: 'yes' } }, SCORERS)).toThrow(/injection\.enabled/)
  })
})

describe('offline scoring', () => {
  it('scores valid lines, reports invalid ones with their line number', async () => {
    const old = event({ request_start_time: 1_000_000, first_token_time: null, end_time: 1_000_500 })
    const input = Readable.from([JSON.stringify(event()) + '\n', 'not json\n', JSON.stringify({ event_id: 'x' }) + '\n', JSON.stringify(old) + '\n'])
    const out = new PassThrough()
    const err = new PassThrough()
    const chunks: string[] = []
    out.on('data', (c: Buffer) => chunks.push(c.toString()))
    const errs: string[] = []
    err.on('data', (c: Buffer) => errs.push(c.toString()))
    const s = await scoreLines(input, out, { errors: err })
    expect(s).toEqual({ lines: 4, scored: 2, invalid: 2 })
    const lines = chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as unknown)
    expect(lines).toHaveLength(2)
    for (const l of lines) expect(ScoredInteractionSchema.safeParse(l).success).toBe(true)
    expect((lines[1] as { request_start_time: number }).request_start_time).toBe(1_000_000)
    expect(errs.join('')).toMatch(/line 2: invalid JSON/)
    expect(errs.join('')).toMatch(/line 3: invalid LlmInteraction/)
  })
})
