/**
 * The ingest gateway on a real broker: a real OpenAI client instrumented by the official
 * OpenTelemetry instrumentation exports through it (protobuf and JSON), plain JSON interactions,
 * retries without duplicates, API keys, limits and bad input, each with its documented status.
 * A 200/202 means Kafka acknowledged: the records are read back right after the response.
 */
import { spawn } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Codec } from '../../shared/codec.js'
import type { LlmInteraction } from '../../shared/contract.js'
import type { Producer } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { migrate } from '../../shared/migrate.js'
import { repoPath } from '../../shared/paths.js'
import { apiKeyList } from '../../services/gateway/config.js'
import { ContentJoin } from '../../services/gateway/content-join.js'
import { Delivery } from '../../services/gateway/delivery.js'
import { eventIdFor } from '../../services/gateway/mapping.js'
import { decodeExportResponse, encodeTraceRequest } from '../../services/gateway/otlp.js'
import { sampleTraceBody, sampleTraceRequest } from '../../services/gateway/sample.js'
import { buildGateway, listen } from '../../services/gateway/server.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { loadScorerConfig } from '../../services/scorer/scorer-config.js'
import { startScorer } from '../../services/scorer/service.js'
import { startSink } from '../../services/sink/sink.js'
import { interaction } from '../fixtures.js'
import { testClickHouse, testKafka, uniqueDatabase, uniqueName, waitFor } from '../helpers.js'
import { ANSWERS, startFakeOpenAi } from './gateway-fixtures/fake-openai.js'

const KEY = 'test-key-0123456789abcdef'
const OTHER = 'other-key-0123456789abcdef'
const keys = apiKeyList.parse(`${KEY}=support-bot|otel-proto|otel-json|samples|retries|bad-input|big;${OTHER}=other-app`)
const kafka = testKafka()
const codec = Codec.load()
const topic = uniqueName('gw-interactions')
let producer: Producer
let base = ''
const closers: (() => Promise<unknown>)[] = []

async function gateway(opts: { rateLimitRps?: number; delivery?: Delivery } = {}): Promise<string> {
  const delivery = opts.delivery ?? new Delivery({ producer, codec, topic, maxInflightBytes: 64 * 1024 * 1024, ackTimeoutMs: 20_000, dedupIds: 100_000, logger: silentLogger })
  const app = await buildGateway({
    keys, delivery, join: new ContentJoin({ maxBytes: 4 * 1024 * 1024, waitMs: 3000 }), logger: silentLogger,
    maxBodyBytes: 8 * 1024 * 1024, maxItemsPerRequest: 20_000, rateLimitRps: opts.rateLimitRps ?? 10_000, kafkaReady: () => true,
  })
  closers.push(() => app.close())
  return `http://127.0.0.1:${await listen(app, '127.0.0.1', 0)}`
}

/** Every LlmInteraction on the topic up to now, decoded by the project's codec. */
async function events(): Promise<LlmInteraction[]> {
  const out: LlmInteraction[] = []
  await kafka.readRange({
    topic,
    onMessage: (m) => {
      const d = codec.decode('LlmInteraction', m.value)
      if (!d.ok) throw new Error(`undecodable record on ${topic}: ${d.reason}`)
      out.push(d.value)
    },
  })
  return out
}
const ofApp = async (app: string) => (await events()).filter((e) => e.app_name === app)

function post(path: string, body: Buffer | string, headers: Record<string, string> = {}, url = base): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { authorization: `Bearer ${KEY}`, ...headers } })
}
const PROTO = { 'content-type': 'application/x-protobuf' }
const JSON_CT = { 'content-type': 'application/json' }

beforeAll(async () => {
  await kafka.ensureTopics([{ name: topic, partitions: 3 }])
  producer = await kafka.producer()
  base = await gateway()
})

afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {})
  await producer?.disconnect()
  await kafka.close()
})

describe('gateway: real OpenTelemetry-instrumented OpenAI client', () => {
  it.each([
    ['protobuf', 'proto', 'otel-proto'],
    ['JSON', 'json', 'otel-json'],
  ])('OTLP %s: model, tokens, latency, prompt and response arrive on Kafka', async (_label, encoding, service) => {
    const fake = await startFakeOpenAi(150)
    closers.push(() => fake.close())
    const questions = Object.keys(ANSWERS)
    const child = spawn(process.execPath, [repoPath('test/integration/gateway-fixtures/otel-openai-app.cjs')], {
      cwd: repoPath(),
      env: { ...process.env, GATEWAY_URL: base, GATEWAY_KEY: KEY, OPENAI_BASE_URL: fake.url, OTLP_ENCODING: encoding, SERVICE_NAME: service, QUESTIONS: JSON.stringify(questions), OTEL_LOG_LEVEL: 'error' },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((r) => child.on('close', r))
    expect(code, err).toBe(0)
    expect(out.trim().split('\n').map((l) => JSON.parse(l).answer)).toEqual(questions.map((q) => ANSWERS[q]!.answer))
    // The exporters returned only after the gateway's 200, i.e. after Kafka's ack: the events are there.
    const got = await ofApp(service)
    expect(got).toHaveLength(questions.length)
    for (const q of questions) {
      const e = got.find((x) => x.messages.some((m) => m.role === 'user' && m.content === q))
      expect(e, `event for ${q}`).toBeDefined()
      const a = ANSWERS[q]!
      expect(e).toMatchObject({
        app_name: service,
        environment: 'staging',
        provider_name: 'openai',
        operation_name: 'chat',
        request_model: 'gpt-4o-mini',
        response_model: 'gpt-4o-mini-2024-07-18',
        usage_input_tokens: a.promptTokens,
        usage_output_tokens: a.completionTokens,
        response_text: a.answer,
        response_finish_reasons: ['stop'],
        status: 'ok',
        messages: [
          { role: 'system', content: 'You answer in one sentence.' },
          { role: 'user', content: q },
        ],
      })
      expect(e!.response_id).toMatch(/^chatcmpl-\d+$/)
      expect(e!.end_time - e!.request_start_time).toBeGreaterThanOrEqual(150)
      expect(e!.end_time - e!.request_start_time).toBeLessThan(5000)
      expect(e!.trace_id).toMatch(/^[0-9a-f]{32}$/)
      expect(e!.span_id).toMatch(/^[0-9a-f]{16}$/)
      expect(e!.event_id).toBe(eventIdFor(e!.trace_id!, e!.span_id!))
      expect(e!.attributes).toMatchObject({ 'service.version': '1.2.3', 'otel.scope.name': '@opentelemetry/instrumentation-openai' })
    }
  })
})

describe('gateway: on through the scorer and the sink', () => {
  it('the two exports above land in ClickHouse with model, tokens, latency, prompt and response', async () => {
    const database = uniqueDatabase('gw')
    const ch = await testClickHouse(database)
    closers.push(() => ch.close())
    await migrate(ch, { database })
    const t = { scores: uniqueName('gw-scores'), alerts: uniqueName('gw-alerts'), dlq: uniqueName('gw-dlq') }
    await kafka.ensureTopics([{ name: t.scores, partitions: 3 }, { name: t.alerts, partitions: 1 }, { name: t.dlq, partitions: 1 }])
    const scorer = await startScorer({ kafka, codec, logger: silentLogger, scorers: SCORERS, config: loadScorerConfig(SCORERS), groupId: uniqueName('gw-scorer'), inputTopic: topic, outputTopic: t.scores, dlqTopic: t.dlq, textMode: 'full', exactlyOnce: false })
    closers.push(() => scorer.stop())
    const sink = await startSink({ kafka, codec, logger: silentLogger, client: ch, config: { groupId: uniqueName('gw-sink'), batchRows: 1000, flushMs: 200, retryBudgetMs: 5000, textMode: 'full', concurrency: 3, scoresTopic: t.scores, alertsTopic: t.alerts, dlqTopic: t.dlq } })
    closers.push(() => sink.stop())
    type Row = { app_name: string; request_model: string; response_model: string; input_tokens: string; output_tokens: string; latency_ms: number; prompt_text: string; response_text: string; environment: string }
    const rows = await waitFor(async () => {
      const rs = await ch.query({ query: "SELECT app_name, request_model, response_model, input_tokens, output_tokens, latency_ms, prompt_text, response_text, environment FROM interactions WHERE app_name IN ('otel-proto', 'otel-json') ORDER BY app_name, prompt_text", format: 'JSONEachRow' })
      const r = await rs.json<Row>()
      return r.length >= 4 ? r : null
    }, 120_000, 'the four interactions in ClickHouse').catch((err: Error) => {
      throw new Error(`${err.message}; scorer ${JSON.stringify(scorer.stats())}, sink ${JSON.stringify(sink.stats())}`)
    })
    expect(rows).toHaveLength(4)
    const questions = Object.keys(ANSWERS)
    for (const r of rows) {
      const q = questions.find((x) => r.prompt_text.includes(x))
      expect(q, r.prompt_text).toBeDefined()
      const a = ANSWERS[q!]!
      expect(r).toMatchObject({ request_model: 'gpt-4o-mini', response_model: 'gpt-4o-mini-2024-07-18', response_text: a.answer, environment: 'staging' })
      expect(Number(r.input_tokens)).toBe(a.promptTokens)
      expect(Number(r.output_tokens)).toBe(a.completionTokens)
      expect(r.latency_ms).toBeGreaterThanOrEqual(150)
      expect(r.latency_ms).toBeLessThan(5000)
    }
  })
})

describe('gateway: POST /v1/interactions', () => {
  it('takes an object, an array and NDJSON; 202 with the accepted count and per-record errors; nothing invalid reaches Kafka', async () => {
    const one = interaction({ app_name: 'samples' })
    let r = await post('/v1/interactions', JSON.stringify(one), JSON_CT)
    expect(r.status).toBe(202)
    expect(await r.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0, errors: [] })

    const arr = [interaction({ app_name: 'samples' }), { ...interaction({ app_name: 'samples' }), usage_input_tokens: -5 }, interaction({ app_name: 'samples', request_start_time: new Date().toISOString() as unknown as number, end_time: new Date().toISOString() as unknown as number, first_token_time: null })]
    r = await post('/v1/interactions', JSON.stringify(arr), JSON_CT)
    expect(r.status).toBe(202)
    const body = (await r.json()) as { accepted: number; rejected: number; errors: { index: number; field: string; reason: string }[] }
    expect(body).toMatchObject({ accepted: 2, rejected: 1 })
    expect(body.errors[0]).toEqual({ index: 1, field: 'usage_input_tokens', reason: expect.stringMatching(/>=0|greater|non-?negative|too small/i) })
    expect(body.errors.every((e) => e.index === 1)).toBe(true)

    const nd = [interaction({ app_name: 'samples' }), '{"event_id": "x"', interaction({ app_name: 'samples' })].map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') + '\n'
    r = await post('/v1/interactions', nd, { 'content-type': 'application/x-ndjson' })
    expect(r.status).toBe(202)
    const nb = (await r.json()) as { accepted: number; errors: { index: number; reason: string }[] }
    expect(nb.accepted).toBe(2)
    expect(nb.errors).toEqual([{ index: 1, field: '', reason: expect.stringMatching(/not valid JSON/) }])

    const got = await ofApp('samples')
    expect(got).toHaveLength(5)
    expect(got.every((e) => e.usage_input_tokens >= 0)).toBe(true)
    expect(got.map((e) => e.event_id)).toContain(one.event_id)

    // All invalid: 400 with the same body shape, nothing produced.
    r = await post('/v1/interactions', JSON.stringify([{ app_name: 'samples' }]), JSON_CT)
    expect(r.status).toBe(400)
    expect(((await r.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain('event_id')
    expect(await ofApp('samples')).toHaveLength(5)
  })
})

describe('gateway: delivery', () => {
  it('a retried request (same spans, same event ids) creates no duplicate records', async () => {
    const spans = Array.from({ length: 20 }, (_, i) => ({ prompt: `question ${i}` }))
    const req = sampleTraceRequest('retries', spans)
    const first = await post('/v1/traces', encodeTraceRequest(req), PROTO)
    expect(first.status).toBe(200)
    expect(decodeExportResponse('traces', new Uint8Array(await first.arrayBuffer()))).toEqual({ rejected: 0, message: '' })
    // The same request again, once sequentially and twice concurrently (a client retrying while the first attempt is still out).
    const again = await Promise.all([post('/v1/traces', encodeTraceRequest(req), PROTO), post('/v1/traces', encodeTraceRequest(req), PROTO), post('/v1/traces', gzipSync(encodeTraceRequest(req)), { ...PROTO, 'content-encoding': 'gzip' })])
    expect(again.map((r) => r.status)).toEqual([200, 200, 200])
    const ints = [interaction({ app_name: 'retries' }), interaction({ app_name: 'retries' })]
    for (let i = 0; i < 2; i++) {
      const r = await post('/v1/interactions', JSON.stringify(ints), JSON_CT)
      expect(await r.json()).toMatchObject(i === 0 ? { accepted: 2, duplicates: 0 } : { accepted: 2, duplicates: 2 })
    }
    const got = await ofApp('retries')
    expect(got).toHaveLength(22)
    expect(new Set(got.map((e) => e.event_id)).size).toBe(22)
  })

  it('when Kafka does not acknowledge: 503 + Retry-After within the ack timeout, bounded memory, /readyz 503', async () => {
    // A topic that does not exist (and is not auto-created): the idempotent producer retries forever, no ack comes.
    const own = await kafka.producer()
    closers.push(() => own.disconnect())
    const stuck = new Delivery({ producer: own, codec, topic: uniqueName('gw-missing'), maxInflightBytes: 200 * 1024, ackTimeoutMs: 3000, dedupIds: 1000, logger: silentLogger })
    const url = await gateway({ delivery: stuck })
    const t0 = Date.now()
    let r = await post('/v1/traces', sampleTraceBody('bad-input', [{}, {}], 'protobuf'), PROTO, url)
    expect(r.status).toBe(503)
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900)
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(stuck.inflightBytes).toBeGreaterThan(0)
    // Fill the in-flight budget: further requests are refused at once, nothing more is buffered.
    const big = Array.from({ length: 300 }, () => ({ prompt: 'x'.repeat(1000) }))
    r = await post('/v1/traces', sampleTraceBody('bad-input', big, 'protobuf'), PROTO, url)
    expect(r.status).toBe(503)
    const held = stuck.inflightBytes
    expect(held).toBeLessThanOrEqual(200 * 1024)
    const t1 = Date.now()
    r = await post('/v1/traces', sampleTraceBody('bad-input', big, 'protobuf'), PROTO, url)
    expect(r.status).toBe(503)
    expect(await r.json()).toMatchObject({ error: expect.stringMatching(/GATEWAY_MAX_INFLIGHT_BYTES/) })
    // Refused without waiting for the ack timeout (3 s).
    expect(Date.now() - t1).toBeLessThan(2500)
    expect(stuck.inflightBytes).toBe(held)
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(503)
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
  })
})

describe('gateway: protection and bad input', () => {
  it('API keys: 401 without or with an unknown key, 403 for an app the key may not write (nothing produced)', async () => {
    const body = sampleTraceBody('other-app', [{}], 'protobuf')
    let r = await fetch(`${base}/v1/traces`, { method: 'POST', body: new Uint8Array(body), headers: PROTO })
    expect(r.status).toBe(401)
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/)
    r = await post('/v1/traces', body, { ...PROTO, authorization: 'Bearer not-a-key-0123456789' })
    expect(r.status).toBe(401)
    r = await post('/v1/traces', body, PROTO) // KEY may not write other-app
    expect(r.status).toBe(403)
    expect(await r.json()).toEqual({ error: 'API key key1 may not write app "other-app"' })
    r = await post('/v1/interactions', JSON.stringify(interaction({ app_name: 'other-app' })), JSON_CT)
    expect(r.status).toBe(403)
    expect(await ofApp('other-app')).toHaveLength(0)
    r = await post('/v1/traces', body, { ...PROTO, authorization: `Bearer ${OTHER}` })
    expect(r.status).toBe(200)
    expect(await ofApp('other-app')).toHaveLength(1)
  })

  it('per-key rate limit: 429 with Retry-After', async () => {
    const url = await gateway({ rateLimitRps: 3 })
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 5; i++) {
      const r = await post('/v1/interactions', '[]', JSON_CT, url)
      statuses.push(r.status)
      if (r.status === 429) retryAfter = r.headers.get('retry-after')
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202])
    expect(statuses.slice(3)).toEqual([429, 429])
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    // Another key has its own budget.
    expect((await post('/v1/interactions', '[]', { ...JSON_CT, authorization: `Bearer ${OTHER}` }, url)).status).toBe(202)
  })

  it('truncated protobuf 400, wrong content type 415, 10 MB body 413, gzip bomb 413, invalid UTF-8 JSON 400, bad gzip 400', async () => {
    const good = sampleTraceBody('bad-input', [{}, {}, {}], 'protobuf')
    const cases: [string, Promise<Response>, number][] = [
      ['truncated protobuf', post('/v1/traces', good.subarray(0, good.length - 7), PROTO), 400],
      ['wrong content type', post('/v1/traces', good, { 'content-type': 'text/plain' }), 415],
      ['no content type', post('/v1/traces', good), 415],
      ['10 MB body', post('/v1/traces', Buffer.alloc(10 * 1024 * 1024, 1), PROTO), 413],
      ['gzip bomb (9 MB once decompressed)', post('/v1/traces', gzipSync(Buffer.alloc(9 * 1024 * 1024)), { ...PROTO, 'content-encoding': 'gzip' }), 413],
      ['bad gzip', post('/v1/traces', good, { ...PROTO, 'content-encoding': 'gzip' }), 400],
      ['unknown encoding', post('/v1/traces', good, { ...PROTO, 'content-encoding': 'br' }), 415],
      ['invalid UTF-8 JSON', post('/v1/traces', Buffer.concat([Buffer.from('{"resourceSpans":[{"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]), JSON_CT), 400],
      ['JSON that is not JSON', post('/v1/traces', '{"resourceSpans": [', JSON_CT), 400],
      ['interactions: invalid UTF-8', post('/v1/interactions', Buffer.from([0x7b, 0xff, 0x7d]), JSON_CT), 400],
    ]
    for (const [what, res, status] of cases) {
      const r = await res
      expect(r.status, what).toBe(status)
      expect(((await r.json()) as { error: string }).error, what).toMatch(/\w/)
    }
    expect(await ofApp('bad-input')).toHaveLength(0)
    // The gateway still serves.
    expect((await post('/v1/traces', good, PROTO)).status).toBe(200)
    expect(await ofApp('bad-input')).toHaveLength(3)
  })

  it('missing attributes: those spans are rejected in partial_success, valid spans of the same request are kept, other spans dropped', async () => {
    const req = sampleTraceRequest('bad-input', [{ prompt: 'kept 1' }, { prompt: 'kept 2' }], 'json') as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] }
    const spans = req.resourceSpans[0]!.scopeSpans[0]!.spans
    const template = spans[0]!
    const attrs = template.attributes as { key: string }[]
    spans.push(
      // a GenAI span without a model
      { ...template, spanId: 'aaaaaaaaaaaaaaa1', attributes: attrs.filter((a) => !a.key.endsWith('.model')) },
      // no times, and attributes of the wrong types
      { ...template, spanId: 'aaaaaaaaaaaaaaa2', startTimeUnixNano: undefined, endTimeUnixNano: 'soon', attributes: [...attrs, { key: 'gen_ai.usage.input_tokens', value: { arrayValue: {} } }, { key: 'gen_ai.input.messages', value: { stringValue: '{not json' } }] },
      // an HTTP span: not GenAI, dropped without complaint
      { ...template, spanId: 'aaaaaaaaaaaaaaa3', name: 'GET /', attributes: [{ key: 'http.method', value: { stringValue: 'GET' } }] },
      // not even an object
      'garbage' as unknown as Record<string, unknown>,
    )
    const r = await post('/v1/traces', JSON.stringify(req), JSON_CT)
    expect(r.status).toBe(200)
    const body = (await r.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } }
    expect(body.partialSuccess.rejectedSpans).toBe(2)
    expect(body.partialSuccess.errorMessage).toMatch(/request_model/)
    expect(body.partialSuccess.errorMessage).toMatch(/start and end times/)
    const got = (await ofApp('bad-input')).filter((e) => e.messages[0]?.content.startsWith('kept'))
    expect(got.map((e) => e.messages[0]!.content).sort()).toEqual(['kept 1', 'kept 2'])
  })

  it('invalid UTF-8 inside protobuf strings becomes U+FFFD; 10,000 spans in one request are all accepted', async () => {
    const bad = encodeTraceRequest(sampleTraceRequest('bad-input', [{ prompt: 'PROMPT-XX-END' }]))
    const at = bad.indexOf(Buffer.from('XX'))
    bad[at] = 0xff
    bad[at + 1] = 0xfe
    let r = await post('/v1/traces', bad, PROTO)
    expect(r.status).toBe(200)
    const e = (await ofApp('bad-input')).find((x) => x.messages[0]?.content.startsWith('PROMPT-'))
    expect(e?.messages[0]?.content).toMatch(/^PROMPT-\uFFFD+-END$/)

    const many = sampleTraceBody('big', Array.from({ length: 10_000 }, (_, i) => ({ prompt: `q${i}` })), 'protobuf')
    r = await post('/v1/traces', many, PROTO)
    expect(r.status).toBe(200)
    expect(decodeExportResponse('traces', new Uint8Array(await r.arrayBuffer())).rejected).toBe(0)
    expect(await ofApp('big')).toHaveLength(10_000)
  })

  it('/healthz, /readyz and /metrics', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true })
    const ready = await fetch(`${base}/readyz`)
    expect(ready.status).toBe(200)
    const m = await (await fetch(`${base}/metrics`)).text()
    expect(m).toMatch(/llmwatch_gateway_requests_total\{route="\/v1\/traces",status="200"\} \d+/)
    expect(m).toMatch(/llmwatch_gateway_items_total\{kind="span",outcome="accepted"\} \d+/)
    expect(m).toMatch(/llmwatch_gateway_kafka_ack_seconds_bucket/)
  })
})
