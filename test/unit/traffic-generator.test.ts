import { describe, expect, it } from 'vitest'
import { Codec } from '../../shared/codec.js'
import { LlmInteractionSchema, promptText, type LlmInteraction } from '../../shared/contract.js'
import { APP_NAMES, createTrafficGenerator, estimateTokens, generateEvents, MODELS, Rng } from '../../shared/traffic/index.js'

const START = Date.now() - 3_600_000
const events = generateEvents(10_000, 42, { startMs: START, ratePerSec: 10 })
const ok = events.filter((e) => e.status === 'ok')

function quantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN
}

describe('traffic generator', () => {
  it('is deterministic: the same seed and start give the same events', () => {
    const again = generateEvents(500, 42, { startMs: START, ratePerSec: 10 })
    expect(again).toEqual(events.slice(0, 500))
    const other = generateEvents(500, 43, { startMs: START, ratePerSec: 10 })
    expect(other.map((e) => e.event_id)).not.toEqual(again.map((e) => e.event_id))
  })

  it('streaming generator matches the batch API and stamps the given completion time', () => {
    const gen = createTrafficGenerator({ seed: 42 })
    for (let i = 0; i < 200; i++) {
      const e = gen.next(START + i * 100)
      expect(e).toEqual(events[i])
      expect(e.end_time).toBe(START + i * 100)
    }
    expect(gen.count).toBe(200)
  })

  it('every event passes the zod contract and the Avro schema', () => {
    const avroType = Codec.load().typeOf('LlmInteraction')
    const invalid: string[] = []
    for (const e of events) {
      const r = LlmInteractionSchema.safeParse(e)
      if (!r.success) invalid.push(`${e.event_id}: ${r.error.message}`)
      if (!avroType.isValid(e)) invalid.push(`${e.event_id}: not valid Avro`)
    }
    expect(invalid).toEqual([])
  })

  it('event ids are unique UUIDs', () => {
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length)
  })

  it('texts are varied: almost all responses and prompts are distinct', () => {
    const responses = new Set(ok.map((e) => e.response_text))
    const prompts = new Set(events.map((e) => promptText(e)))
    expect(responses.size / ok.length).toBeGreaterThan(0.93)
    // Real users repeat some questions word for word, so prompts are a little less varied.
    expect(prompts.size / events.length).toBeGreaterThan(0.85)
  })

  it('events are 1-4 KB typically', () => {
    const sizes = events.map((e) => Buffer.byteLength(JSON.stringify(e)))
    expect(quantile(sizes, 0.5)).toBeGreaterThan(1000)
    expect(quantile(sizes, 0.5)).toBeLessThan(4096)
    expect(quantile(sizes, 0.1)).toBeGreaterThan(500)
    expect(quantile(sizes, 0.9)).toBeLessThan(8192)
  })

  it('covers every app, several models and providers, both environments', () => {
    expect(new Set(events.map((e) => e.app_name))).toEqual(new Set(APP_NAMES))
    expect(new Set(events.map((e) => e.request_model)).size).toBeGreaterThanOrEqual(6)
    expect(new Set(events.map((e) => e.provider_name)).size).toBeGreaterThanOrEqual(4)
    const staging = events.filter((e) => e.environment === 'staging').length / events.length
    expect(staging).toBeGreaterThan(0.03)
    expect(staging).toBeLessThan(0.3)
    for (const e of events) expect(Object.keys(MODELS)).toContain(e.request_model)
  })

  it('RAG events carry retrieved chunks, agent events carry tool messages', () => {
    const rag = events.filter((e) => e.app_name === 'kb-assistant')
    expect(rag.every((e) => e.retrieved_context.length >= 3)).toBe(true)
    const agent = events.filter((e) => e.app_name === 'ops-agent')
    expect(agent.some((e) => e.messages.some((m) => m.role === 'tool'))).toBe(true)
    expect(agent.some((e) => e.response_finish_reasons.some((f) => f === 'tool_calls' || f === 'tool_use'))).toBe(true)
  })

  it('token counts follow text length', () => {
    const billed = ok.filter((e) => !e.cache_hit)
    for (const e of billed) {
      const chars = e.messages.reduce((s, m) => s + m.content.length, 0)
      expect(e.usage_input_tokens).toBeGreaterThan(chars / 6)
      expect(e.usage_input_tokens).toBeLessThan(chars / 2.5 + 8 * e.messages.length)
      expect(e.usage_output_tokens).toBe(estimateTokens(e.response_text))
      expect(e.usage_cached_input_tokens).toBeLessThanOrEqual(e.usage_input_tokens)
    }
    expect(billed.some((e) => e.usage_cached_input_tokens > 0)).toBe(true)
  })

  it('latency depends on the model: faster models have lower median time per output token', () => {
    const perToken = (model: string) =>
      quantile(
        ok.filter((e) => e.request_model === model && !e.cache_hit && e.usage_output_tokens > 50).map((e) => (e.end_time - e.request_start_time) / e.usage_output_tokens),
        0.5,
      )
    expect(perToken('gemini-2.5-flash')).toBeLessThan(perToken('claude-sonnet-4-20250514'))
    const streamed = ok.filter((e) => e.first_token_time !== null)
    expect(streamed.length).toBeGreaterThan(ok.length / 3)
    for (const e of streamed) expect(e.first_token_time! - e.request_start_time).toBeGreaterThanOrEqual(40)
  })

  it('has some cache hits, some errors, some sampled responses, in plausible shares', () => {
    const share = (f: (e: LlmInteraction) => boolean) => events.filter(f).length / events.length
    expect(share((e) => e.cache_hit)).toBeGreaterThan(0.01)
    expect(share((e) => e.cache_hit)).toBeLessThan(0.1)
    expect(share((e) => e.status === 'error')).toBeGreaterThan(0.005)
    expect(share((e) => e.status === 'error')).toBeLessThan(0.05)
    expect(share((e) => e.sampled_responses.length >= 3)).toBeGreaterThan(0.02)
    for (const e of events.filter((x) => x.status === 'error')) {
      expect(e.error_type).toBeTruthy()
      expect(e.response_text).toBe('')
    }
    for (const e of events.filter((x) => x.cache_hit)) expect(e.usage_output_tokens).toBe(0)
  })

  it('sessions span several events of the same user', () => {
    const bySession = new Map<string, Set<string | null>>()
    for (const e of events) {
      const s = bySession.get(e.session_id!) ?? new Set()
      s.add(e.user_id_hash)
      bySession.set(e.session_id!, s)
    }
    expect(bySession.size).toBeLessThan(events.length / 2)
    for (const users of bySession.values()) expect(users.size).toBe(1)
  })

  it('agent runs span two calls on one trace: the tool call, then the answer from its result', () => {
    const agent = events.filter((e) => e.app_name === 'ops-agent')
    const byTrace = new Map<string, LlmInteraction[]>()
    for (const e of agent) byTrace.set(e.trace_id!, [...(byTrace.get(e.trace_id!) ?? []), e])
    const runs = [...byTrace.values()].filter((r) => r.length === 2)
    expect(runs.length).toBeGreaterThan(agent.length / 10)
    for (const [first, second] of runs) {
      expect(first!.attributes['agent.step']).toBe('1')
      expect(second!.attributes['agent.step']).toBe('2')
      expect(second!.session_id).toBe(first!.session_id)
      expect(second!.request_model).toBe(first!.request_model)
      expect(second!.request_start_time).toBeGreaterThanOrEqual(first!.end_time)
      // The second call's conversation holds the first call's tool request.
      if (first!.status === 'ok') expect(second!.messages.some((m) => m.role === 'assistant' && m.content === first!.response_text)).toBe(true)
    }
    expect([...byTrace.values()].every((r) => r.length <= 2)).toBe(true)
  })

  it('restricts traffic to the requested apps and rejects unknown ones', () => {
    const only = generateEvents(300, 1, { startMs: START, apps: ['kb-assistant'] })
    expect(new Set(only.map((e) => e.app_name))).toEqual(new Set(['kb-assistant']))
    expect(() => createTrafficGenerator({ apps: ['nope'] })).toThrow(/known apps/)
  })

  // A loose bound (standalone it does ~20k/s): the machine is shared, this only catches gross regressions.
  it('is fast enough to feed a benchmark (>1k events/s)', () => {
    generateEvents(500, 8, { startMs: START })
    const t0 = performance.now()
    generateEvents(5000, 9, { startMs: START })
    const perSec = 5000 / ((performance.now() - t0) / 1000)
    expect(perSec).toBeGreaterThan(1000)
  })
})

describe('Rng', () => {
  it('draws uniform-looking floats and valid v4 UUIDs', () => {
    const r = new Rng(5)
    let sum = 0
    for (let i = 0; i < 10_000; i++) sum += r.float()
    expect(sum / 10_000).toBeGreaterThan(0.48)
    expect(sum / 10_000).toBeLessThan(0.52)
    expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
