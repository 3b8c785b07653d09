/**
 * OTLP trace requests with GenAI spans as an instrumented app exports them (attributes on the span,
 * prompt and completion in `gen_ai.input.messages` / `gen_ai.output.messages`): for the benchmark,
 * the demo and tests. `protobuf` gives the object protobufjs encodes (ids as bytes), `json` the OTLP
 * JSON mapping (ids as hex).
 */
import { randomBytes } from 'node:crypto'
import { encodeTraceRequest } from './otlp.js'

export interface SampleSpan {
  traceId?: string
  spanId?: string
  model?: string
  startMs?: number
  durationMs?: number
  inputTokens?: number
  outputTokens?: number
  prompt?: string
  response?: string
  error?: string
  /** Extra span attributes (string, number or boolean values). */
  attributes?: Record<string, string | number | boolean>
}

type KV = { key: string; value: Record<string, unknown> }

function kv(key: string, v: string | number | boolean | string[]): KV {
  if (Array.isArray(v)) return { key, value: { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } }
  if (typeof v === 'string') return { key, value: { stringValue: v } }
  if (typeof v === 'boolean') return { key, value: { boolValue: v } }
  return Number.isInteger(v) ? { key, value: { intValue: v } } : { key, value: { doubleValue: v } }
}

const nanos = (ms: number) => `${Math.round(ms)}000000`

/** One ExportTraceServiceRequest holding these GenAI spans of one service. */
export function sampleTraceRequest(service: string, spans: readonly SampleSpan[], encoding: 'protobuf' | 'json' = 'protobuf'): Record<string, unknown> {
  const now = Date.now()
  const id = (hex: string | undefined, bytes: number) => {
    const h = hex ?? randomBytes(bytes).toString('hex')
    return encoding === 'json' ? h : Buffer.from(h, 'hex')
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', service), kv('deployment.environment.name', 'production')] },
        scopeSpans: [
          {
            scope: { name: 'llmwatch-sample' },
            spans: spans.map((s, i) => {
              const start = s.startMs ?? now - 2000 + i
              const model = s.model ?? 'gpt-4o-mini'
              return {
                traceId: id(s.traceId, 16),
                spanId: id(s.spanId, 8),
                name: `chat ${model}`,
                kind: 3,
                startTimeUnixNano: nanos(start),
                endTimeUnixNano: nanos(start + (s.durationMs ?? 850)),
                attributes: [
                  kv('gen_ai.operation.name', 'chat'),
                  kv('gen_ai.provider.name', 'openai'),
                  kv('gen_ai.request.model', model),
                  kv('gen_ai.response.model', `${model}-2024-07-18`),
                  kv('gen_ai.usage.input_tokens', s.inputTokens ?? 120),
                  kv('gen_ai.usage.output_tokens', s.outputTokens ?? 45),
                  kv('gen_ai.response.finish_reasons', ['stop']),
                  kv('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: s.prompt ?? 'How do I reset my password?' }] }])),
                  kv('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: s.response ?? 'Open Settings, then Security, then Reset password.' }], finish_reason: 'stop' }])),
                  ...(s.error ? [kv('error.type', s.error)] : []),
                  ...Object.entries(s.attributes ?? {}).map(([k, v]) => kv(k, v)),
                ],
                status: s.error ? { code: 2, message: s.error } : { code: 1 },
              }
            }),
          },
        ],
      },
    ],
  }
}

/** The request body: protobuf bytes or JSON text. */
export function sampleTraceBody(service: string, spans: readonly SampleSpan[], encoding: 'protobuf' | 'json'): Buffer {
  const req = sampleTraceRequest(service, spans, encoding)
  return encoding === 'json' ? Buffer.from(JSON.stringify(req)) : encodeTraceRequest(req)
}
