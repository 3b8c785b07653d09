/** The gateway's span mapping, OTLP decoding and configuration, without infrastructure. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadEnv } from '../../shared/config.js'
import { LIMITS, LlmInteractionSchema } from '../../shared/contract.js'
import { repoPath } from '../../shared/paths.js'
import { apiKeyList, gatewayEnvSchema } from '../../services/gateway/config.js'
import { ContentJoin } from '../../services/gateway/content-join.js'
import { blankEvent, eventIdFor, isGenAiSpan, mappingMarkdown, SPAN_MAPPING, spanToInteraction } from '../../services/gateway/mapping.js'
import { decodeTraces, exportResponse, decodeExportResponse, idHex, nanosToMs, type AttrValue, type OtlpSpan } from '../../services/gateway/otlp.js'
import { sampleTraceBody } from '../../services/gateway/sample.js'

function span(attributes: Record<string, AttrValue>, over: Partial<OtlpSpan> = {}): OtlpSpan {
  const start = Date.now() - 1000
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'chat', startMs: start, endMs: start + 400,
    attributes, events: [], statusCode: 0, statusMessage: '', resource: { 'service.name': 'rag-assistant' }, scope: 'openllmetry', ...over,
  }
}

describe('gateway mapping', () => {
  it('README.md carries the mapping table rendered from SPAN_MAPPING', () => {
    expect(readFileSync(repoPath('README.md'), 'utf8')).toContain(mappingMarkdown())
  })

  it('maps legacy attribute names (gen_ai.system, prompt/completion tokens, gen_ai.prompt.N.*)', () => {
    const r = spanToInteraction(
      span({
        'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4', 'gen_ai.usage.prompt_tokens': 31, 'gen_ai.usage.completion_tokens': '9',
        'gen_ai.prompt.0.role': 'system', 'gen_ai.prompt.0.content': 'Be brief.', 'gen_ai.prompt.1.role': 'user', 'gen_ai.prompt.1.content': 'Hi?',
        'gen_ai.completion.0.content': 'Hello.', 'user.id': 'alice@example.com', 'gen_ai.conversation.id': 'conv-7',
      }),
    )
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.event).toMatchObject({
      app_name: 'rag-assistant', provider_name: 'anthropic', request_model: 'claude-sonnet-4', usage_input_tokens: 31, usage_output_tokens: 9,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi?' }], response_text: 'Hello.', session_id: 'conv-7', environment: 'production',
    })
    expect(r.event.user_id_hash).toMatch(/^[0-9a-f]{16}$/)
    expect(JSON.stringify(r.event)).not.toContain('alice')
  })

  it('maps span events (gen_ai.user.message, gen_ai.choice) and errors from the span status', () => {
    const s = span({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' }, {
      statusCode: 2, statusMessage: 'rate limited',
      events: [
        { name: 'gen_ai.user.message', timeMs: 0, attributes: { content: 'What is 2+2?' } },
        { name: 'gen_ai.choice', timeMs: 0, attributes: { message: '{"role":"assistant","content":"4"}' } },
      ],
    })
    const r = spanToInteraction(s)
    expect(r).toMatchObject({ ok: true, event: { messages: [{ role: 'user', content: 'What is 2+2?' }], response_text: '4', status: 'error', error_type: 'rate limited' } })
  })

  it('takes prompt and completion from correlated log records', async () => {
    const join = new ContentJoin({ maxBytes: 1 << 20, waitMs: 50 })
    const s = span({ 'gen_ai.request.model': 'gpt-4o' })
    const log = (eventName: string, body: AttrValue) => ({ traceId: s.traceId, spanId: s.spanId, timeMs: 0, eventName, body, attributes: {}, resource: { 'service.name': 'rag-assistant' } })
    expect(join.add([log('gen_ai.user.message', { content: 'Hello?' }), log('gen_ai.choice', { index: 0, message: { content: 'Hi!' } }), log('other', 'x')])).toBe(2)
    const r = spanToInteraction(s, await join.take(s.traceId, s.spanId, 'rag-assistant'))
    expect(r).toMatchObject({ ok: true, event: { messages: [{ role: 'user', content: 'Hello?' }], response_text: 'Hi!' } })
    expect(join.size).toBe(0)
  })

  it('a span of a service that sends log records waits for its completion record, bounded; other spans never wait', async () => {
    const join = new ContentJoin({ maxBytes: 1 << 20, waitMs: 300 })
    const rec = (spanId: string, eventName: string, body: AttrValue) => ({ traceId: 'ab'.repeat(16), spanId, timeMs: 0, eventName, body, attributes: {}, resource: { 'service.name': 'svc' } })
    join.add([rec('0000000000000001', 'gen_ai.user.message', { content: 'q' })])
    // The completion comes later: the span waits for it.
    setTimeout(() => join.add([rec('0000000000000001', 'gen_ai.choice', { message: { content: 'a' } })]), 50)
    let t = Date.now()
    expect(await join.take('ab'.repeat(16), '0000000000000001', 'svc')).toEqual({ messages: [{ role: 'user', content: 'q' }], completions: ['a'] })
    expect(Date.now() - t).toBeLessThan(250)
    // No record ever comes: it waits waitMs, then goes without content.
    t = Date.now()
    expect(await join.take('ab'.repeat(16), '0000000000000002', 'svc')).toBeNull()
    expect(Date.now() - t).toBeGreaterThanOrEqual(250)
    // Embeddings (wait = false) and services that never sent log records do not wait.
    expect(join.has('ab'.repeat(16), '0000000000000003', 'svc', false)).toBe(false)
    expect(join.has('ab'.repeat(16), '0000000000000003', 'other-svc')).toBe(false)
  })

  it('event ids derive from trace + span id: stable, distinct, valid UUIDs', () => {
    const a = eventIdFor('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331')
    expect(a).toBe(eventIdFor('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'))
    expect(a).not.toBe(eventIdFor('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203332'))
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('never throws on malformed or hostile attribute values; what it accepts passes the contract', () => {
    const values: AttrValue[] = [null, true, -1, 1.5, 2 ** 60, '', 'x'.repeat(LIMITS.maxTextChars + 10), '\uD800', [], [[[[[]]]]], { a: { b: null } }, '{"role":', '[{"parts":[{"type":"image"}]}]', 'NaN']
    const names = ['gen_ai.request.model', 'gen_ai.response.model', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.cache_read.input_tokens', 'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.response.finish_reasons', 'gen_ai.response.time_to_first_chunk', 'error.type', 'llmwatch.retrieved_context', 'service.version', 'gen_ai.prompt.0.content']
    let seed = 7
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    let accepted = 0
    for (let i = 0; i < 1000; i++) {
      const attrs: Record<string, AttrValue> = { 'gen_ai.operation.name': 'chat' }
      for (let k = 0; k < 6; k++) attrs[names[rnd(names.length)]!] = values[rnd(values.length)]!
      const r = spanToInteraction(span(attrs))
      if (r.ok) {
        accepted++
        expect(LlmInteractionSchema.safeParse(r.event).success).toBe(true)
        expect(JSON.stringify(r.event)).not.toMatch(/\\ud800/i)
      } else expect(r.reason).toMatch(/^span /)
    }
    expect(accepted).toBeGreaterThan(50)
  })

  it('one row per contract field; the blank event has the contract\'s fields in its order', () => {
    const fields = Object.keys(LlmInteractionSchema.shape)
    expect(SPAN_MAPPING.map((r) => r.field)).toEqual(fields)
    expect(Object.keys(blankEvent())).toEqual(fields)
  })

  it('only GenAI spans count', () => {
    expect(isGenAiSpan(span({ 'http.method': 'GET' }))).toBe(false)
    expect(isGenAiSpan(span({ 'gen_ai.system': 'openai' }))).toBe(true)
  })
})

describe('gateway OTLP decoding', () => {
  it('reads protobuf and JSON bodies to the same spans', () => {
    const opts = [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', startMs: Date.now() - 500, prompt: 'p', response: 'r' }]
    const p = decodeTraces(sampleTraceBody('svc', opts, 'protobuf'), 'protobuf')
    const j = decodeTraces(sampleTraceBody('svc', opts, 'json'), 'json')
    expect(p).toEqual(j)
    expect(p[0]).toMatchObject({ traceId: opts[0]!.traceId, spanId: opts[0]!.spanId, startMs: opts[0]!.startMs, endMs: opts[0]!.startMs + 850, resource: { 'service.name': 'svc' } })
    expect(p[0]!.attributes['gen_ai.usage.input_tokens']).toBe(120)
  })

  it('ids, times and responses', () => {
    expect(idHex('AQIDBAUGBwgJCgsMDQ4PEA==', 16)).toBe('0102030405060708090a0b0c0d0e0f10')
    expect(idHex('zz', 8)).toBe('')
    expect(nanosToMs('1700000000123456789')).toBe(1700000000123)
    expect(nanosToMs('-1')).toBeNaN()
    expect(decodeExportResponse('traces', exportResponse('traces', 'protobuf', 3, 'why'))).toEqual({ rejected: 3, message: 'why' })
    expect(JSON.parse(exportResponse('logs', 'json', 0, '').toString())).toEqual({})
  })
})

describe('gateway configuration', () => {
  it('API keys: token=app|app;token=*', () => {
    const keys = apiKeyList.parse('abcdefghijklmnop1=support-bot|rag ; abcdefghijklmnop2=*')
    expect(keys.map((k) => [k.name, k.apps === '*' ? '*' : [...k.apps]])).toEqual([['key1', ['support-bot', 'rag']], ['key2', '*']])
  })

  it('a bad or missing GATEWAY_API_KEYS names the variable', () => {
    expect(() => loadEnv(gatewayEnvSchema, {})).toThrow(/GATEWAY_API_KEYS: required: API keys as token=app1\|app2/)
    // The tokens are secrets: a bad value is not echoed into the logs.
    expect(() => loadEnv(gatewayEnvSchema, { GATEWAY_API_KEYS: 'abcdefghijklmnop1=app;short' })).toThrow(/GATEWAY_API_KEYS: entry 2: .*\(got a value not shown\)/)
    expect(() => loadEnv(gatewayEnvSchema, { GATEWAY_API_KEYS: 'abcdefghijklmnop1=app;short' })).not.toThrow(/abcdefghijklmnop1/)
    expect(() => loadEnv(gatewayEnvSchema, { GATEWAY_API_KEYS: 'short=app' })).toThrow(/GATEWAY_API_KEYS: entry 1: expected token=app1\|app2/)
    expect(() => loadEnv(gatewayEnvSchema, { GATEWAY_API_KEYS: 'abcdefghijklmnop1=app', GATEWAY_PORT: 'x' })).toThrow(/GATEWAY_PORT/)
  })
})
