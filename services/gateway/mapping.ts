/**
 * GenAI spans to LlmInteraction events: ONE table (`SPAN_MAPPING`), each row a contract field, the
 * OpenTelemetry attributes it comes from (first present wins) and how. README.md's "Ingest gateway"
 * table is rendered from it (test/unit/gateway-mapping.test.ts fails when they differ).
 *
 * Unknown or malformed attributes never throw: a value of the wrong type counts as absent, texts are
 * cut to the contract's limits, and what still breaks the contract is a rejected span with the reason.
 */
import { createHash } from 'node:crypto'
import { withinInteractionContract } from '../../shared/codec.js'
import { LIMITS, LlmInteractionSchema, type LlmInteraction, type Message } from '../../shared/contract.js'
import type { AttrValue, Attrs, OtlpSpan } from './otlp.js'

/** Prompt and completion gathered from correlated OTLP log records (content-join.ts). */
export interface SpanContent {
  messages: Message[]
  completions: string[]
}

interface Ctx {
  span: OtlpSpan
  /** Span attribute, then resource attribute. */
  attr(name: string): AttrValue | undefined
  content: SpanContent | null
}

interface Row {
  field: keyof LlmInteraction
  /** Attributes (or span parts) read, in order of precedence, for the docs. */
  from: string
  get(c: Ctx): unknown
}

const str = (v: AttrValue | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined)
const first = (c: Ctx, names: string[]): string | undefined => {
  for (const n of names) {
    const v = str(c.attr(n))
    if (v !== undefined) return v
  }
  return undefined
}
const int = (c: Ctx, names: string[]): number | undefined => {
  for (const n of names) {
    const v = c.attr(n)
    const x = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN
    if (Number.isSafeInteger(x) && x >= 0) return x
  }
  return undefined
}
const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n) : s)
/** Lone UTF-16 surrogates (from invalid input) would fail Avro's UTF-8 encoding and ClickHouse's JSON parsing. */
const SURROGATE = /[\uD800-\uDFFF]/
const clean = (s: string): string => (SURROGATE.test(s) ? s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD') : s)
const text = (s: string): string => clean(cut(s, LIMITS.maxTextChars))

/** Text of a message-ish value: a string, `{content}`, `{parts: [{type: 'text', content}]}` or a list of those. */
function textOf(v: unknown, depth = 0): string {
  if (depth > 4 || v === null || v === undefined) return ''
  if (typeof v === 'string') return v
  if (Array.isArray(v)) return v.map((x) => textOf(x, depth + 1)).filter(Boolean).join('')
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (typeof o.content === 'string') return o.content
    if (typeof o.text === 'string') return o.text
    if (o.content !== undefined) return textOf(o.content, depth + 1)
    if (Array.isArray(o.parts)) return o.parts.map((p) => (p && typeof p === 'object' && ((p as { type?: unknown }).type ?? 'text') === 'text' ? textOf(p, depth + 1) : '')).join('')
    if (o.message !== undefined) return textOf(o.message, depth + 1)
  }
  return ''
}

/** A JSON attribute (a string holding JSON, or an already structured value); undefined when unreadable. */
function json(v: AttrValue | undefined): unknown {
  if (typeof v !== 'string') return v ?? undefined
  try {
    return JSON.parse(v)
  } catch {
    return undefined
  }
}

const ROLE_OF_EVENT: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
}

/** The prompt messages: gen_ai.input.messages, span events, gen_ai.prompt.N.*, correlated log records. */
function messages(c: Ctx): Message[] {
  const out: Message[] = []
  const push = (role: unknown, content: string) => {
    if (out.length < LIMITS.maxMessages) out.push({ role: cut(typeof role === 'string' && role ? role : 'user', 32), content: text(content) })
  }
  const input = json(c.attr('gen_ai.input.messages'))
  if (Array.isArray(input)) {
    for (const m of input) push((m as { role?: unknown })?.role, textOf(m))
    return out
  }
  const sys = json(c.attr('gen_ai.system_instructions'))
  if (sys !== undefined && textOf(sys)) push('system', textOf(sys))
  for (const e of c.span.events) {
    const role = ROLE_OF_EVENT[e.name]
    if (role) push(role, textOf(json(e.attributes.content) ?? e.attributes.content) || textOf(json(e.attributes['gen_ai.event.content'])))
    else if (e.name === 'gen_ai.content.prompt') {
      const p = json(e.attributes['gen_ai.prompt'])
      if (Array.isArray(p)) for (const m of p) push((m as { role?: unknown })?.role, textOf(m))
      else if (p !== undefined) push('user', textOf(p))
    }
  }
  if (out.length === 0) {
    for (let i = 0; i < LIMITS.maxMessages; i++) {
      const content = str(c.attr(`gen_ai.prompt.${i}.content`))
      if (content === undefined) break
      push(str(c.attr(`gen_ai.prompt.${i}.role`)), content)
    }
  }
  if (out.length === 0 && c.content) for (const m of c.content.messages) push(m.role, m.content)
  return out
}

/** The completion: gen_ai.output.messages, a gen_ai.choice event, gen_ai.completion.N.content, log records. */
function responseText(c: Ctx): string {
  const output = json(c.attr('gen_ai.output.messages'))
  if (Array.isArray(output) && output.length > 0) return text(textOf(output[0]))
  for (const e of c.span.events) {
    if (e.name === 'gen_ai.choice') return text(textOf(json(e.attributes.message) ?? e.attributes.message) || textOf(e.attributes.content))
    if (e.name === 'gen_ai.content.completion') {
      const p = json(e.attributes['gen_ai.completion'])
      return text(Array.isArray(p) ? textOf(p[0]) : textOf(p))
    }
  }
  const legacy = str(c.attr('gen_ai.completion.0.content'))
  if (legacy !== undefined) return text(legacy)
  return text(c.content?.completions[0] ?? '')
}

function contextChunks(c: Ctx): string[] {
  for (const name of ['llmwatch.retrieved_context', 'gen_ai.retrieval.documents']) {
    const v = json(c.attr(name))
    if (Array.isArray(v)) return v.slice(0, LIMITS.maxContextChunks).map((d) => text(textOf(d) || (typeof d === 'object' ? textOf((d as { document?: unknown }).document) : '')))
  }
  return []
}

const PASSED_ATTRIBUTES = ['service.version', 'gen_ai.request.temperature', 'gen_ai.request.max_tokens', 'gen_ai.request.top_p', 'server.address', 'gen_ai.agent.name', 'gen_ai.tool.name']

/** Derived event id: a UUID (version 8, RFC 9562) from sha256(trace id + span id), the same on every retry. */
export function eventIdFor(traceId: string, spanId: string): string {
  const h = createHash('sha256').update(`${traceId}:${spanId}`).digest()
  h[6] = (h[6]! & 0x0f) | 0x80
  h[8] = (h[8]! & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

/** The mapping table: contract field <- OpenTelemetry attributes. Span attributes win over resource attributes. */
export const SPAN_MAPPING: readonly Row[] = [
  { field: 'event_id', from: 'trace id + span id (UUID v8 of their SHA-256: a retried export dedupes)', get: (c) => eventIdFor(c.span.traceId, c.span.spanId) },
  { field: 'app_name', from: '`llmwatch.app_name`, `service.name` (resource)', get: (c) => first(c, ['llmwatch.app_name', 'service.name']) },
  { field: 'environment', from: '`deployment.environment.name`, `deployment.environment`; else `production`', get: (c) => first(c, ['deployment.environment.name', 'deployment.environment']) },
  { field: 'provider_name', from: '`gen_ai.provider.name`, `gen_ai.system`; else `unknown`', get: (c) => first(c, ['gen_ai.provider.name', 'gen_ai.system']) ?? 'unknown' },
  { field: 'operation_name', from: '`gen_ai.operation.name`; else `chat`', get: (c) => first(c, ['gen_ai.operation.name']) },
  { field: 'request_model', from: '`gen_ai.request.model`, `gen_ai.response.model` (required)', get: (c) => first(c, ['gen_ai.request.model', 'gen_ai.response.model']) },
  { field: 'response_model', from: '`gen_ai.response.model`', get: (c) => first(c, ['gen_ai.response.model']) ?? null },
  { field: 'response_id', from: '`gen_ai.response.id`', get: (c) => first(c, ['gen_ai.response.id']) ?? null },
  {
    field: 'response_finish_reasons',
    from: '`gen_ai.response.finish_reasons` (array or string)',
    get: (c) => {
      const v = c.attr('gen_ai.response.finish_reasons')
      return (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).filter((x): x is string => typeof x === 'string').slice(0, 16).map((s) => cut(s, 64))
    },
  },
  { field: 'usage_input_tokens', from: '`gen_ai.usage.input_tokens`, `gen_ai.usage.prompt_tokens`', get: (c) => int(c, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens']) },
  { field: 'usage_output_tokens', from: '`gen_ai.usage.output_tokens`, `gen_ai.usage.completion_tokens`', get: (c) => int(c, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens']) },
  { field: 'usage_cached_input_tokens', from: '`gen_ai.usage.cache_read.input_tokens`, `gen_ai.usage.cache_read_input_tokens`', get: (c) => int(c, ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens']) },
  { field: 'request_start_time', from: 'span start time', get: (c) => c.span.startMs },
  { field: 'first_token_time', from: 'start + `gen_ai.response.time_to_first_chunk` (seconds)', get: (c) => { const v = c.attr('gen_ai.response.time_to_first_chunk'); return typeof v === 'number' && v >= 0 ? Math.min(c.span.endMs, c.span.startMs + Math.round(v * 1000)) : null } },
  { field: 'end_time', from: 'span end time', get: (c) => c.span.endMs },
  { field: 'trace_id', from: 'trace id (hex)', get: (c) => c.span.traceId || null },
  { field: 'span_id', from: 'span id (hex)', get: (c) => c.span.spanId || null },
  { field: 'session_id', from: '`gen_ai.conversation.id`, `session.id`', get: (c) => { const v = first(c, ['gen_ai.conversation.id', 'session.id']); return v === undefined ? null : cut(v, 512) } },
  { field: 'user_id_hash', from: '`user.id`, `enduser.id` (SHA-256, first 16 hex digits: never stored raw)', get: (c) => { const v = first(c, ['user.id', 'enduser.id']); return v === undefined ? null : createHash('sha256').update(v).digest('hex').slice(0, 16) } },
  { field: 'prompt_template_id', from: '`llmwatch.prompt_template_id`', get: (c) => { const v = first(c, ['llmwatch.prompt_template_id']); return v === undefined ? null : cut(v, 512) } },
  { field: 'prompt_template_version', from: '`llmwatch.prompt_template_version`', get: (c) => { const v = first(c, ['llmwatch.prompt_template_version']); return v === undefined ? null : cut(v, 512) } },
  { field: 'messages', from: '`gen_ai.input.messages` (+ `gen_ai.system_instructions`); span events `gen_ai.{system,user,assistant,tool}.message`, `gen_ai.content.prompt`; `gen_ai.prompt.N.role/content`; OTLP log records of those events for the span', get: messages },
  { field: 'response_text', from: '`gen_ai.output.messages` (first); span events `gen_ai.choice`, `gen_ai.content.completion`; `gen_ai.completion.0.content`; a `gen_ai.choice` log record for the span', get: responseText },
  { field: 'retrieved_context', from: '`llmwatch.retrieved_context`, `gen_ai.retrieval.documents` (JSON arrays of texts or `{content}`)', get: contextChunks },
  { field: 'sampled_responses', from: '(none: always empty)', get: () => [] },
  { field: 'cache_hit', from: '`llmwatch.cache_hit`', get: (c) => c.attr('llmwatch.cache_hit') === true },
  { field: 'status', from: 'span status ERROR or `error.type` -> `error`; else `ok`', get: (c) => (c.span.statusCode === 2 || str(c.attr('error.type')) !== undefined ? 'error' : 'ok') },
  { field: 'error_type', from: '`error.type`, else the span status message', get: (c) => { const v = first(c, ['error.type']) ?? (c.span.statusCode === 2 ? c.span.statusMessage || 'error' : undefined); return v === undefined ? null : cut(v, 512) } },
  {
    field: 'attributes',
    from: PASSED_ATTRIBUTES.map((a) => `\`${a}\``).join(', ') + ', the scope name as `otel.scope.name` (as strings)',
    get: (c) => {
      const out: Record<string, string> = {}
      for (const a of PASSED_ATTRIBUTES) {
        const v = c.attr(a)
        if (v !== undefined && v !== null) out[a] = clean(cut(typeof v === 'string' ? v : JSON.stringify(v), LIMITS.maxAttributeChars))
      }
      if (c.span.scope) out['otel.scope.name'] = clean(cut(c.span.scope, LIMITS.maxAttributeChars))
      return out
    },
  },
]

/** Whether a span describes a model call (GenAI semantic conventions); other spans are counted and dropped. */
export function isGenAiSpan(span: OtlpSpan): boolean {
  const a = span.attributes
  return a['gen_ai.operation.name'] !== undefined || a['gen_ai.request.model'] !== undefined || a['gen_ai.system'] !== undefined || a['gen_ai.provider.name'] !== undefined
}

/**
 * An event before mapping: the contract's defaults, every field in the contract's order, so that all
 * events share one object shape (V8 keeps such objects fast to fill, check and encode).
 */
export function blankEvent(): Record<keyof LlmInteraction, unknown> {
  return {
    event_id: undefined, app_name: undefined, environment: 'production', provider_name: undefined, operation_name: 'chat', request_model: undefined,
    response_model: null, response_id: null, response_finish_reasons: [], usage_input_tokens: 0, usage_output_tokens: 0, usage_cached_input_tokens: 0,
    request_start_time: undefined, first_token_time: null, end_time: undefined, trace_id: null, span_id: null, session_id: null, user_id_hash: null,
    prompt_template_id: null, prompt_template_version: null, messages: [], response_text: '', retrieved_context: [], sampled_responses: [], cache_hit: false,
    status: 'ok', error_type: null, attributes: {},
  }
}

export type MapResult = { ok: true; event: LlmInteraction } | { ok: false; reason: string }

/** One GenAI span to an LlmInteraction checked by the contract; never throws. */
export function spanToInteraction(span: OtlpSpan, content: SpanContent | null = null): MapResult {
  const ctx: Ctx = { span, content, attr: (n) => (n in span.attributes ? span.attributes[n] : span.resource[n]) }
  const e = blankEvent()
  const raw: Record<string, unknown> = {}
  try {
    for (const row of SPAN_MAPPING) {
      const v = row.get(ctx)
      if (v === undefined) continue
      const x = typeof v === 'string' ? clean(v) : v
      e[row.field] = x
      raw[row.field] = x
    }
  } catch (err) {
    return { ok: false, reason: `span ${span.spanId || '?'}: ${(err as Error).message}` }
  }
  if (!span.traceId || !span.spanId) return { ok: false, reason: `span "${cut(span.name, 64)}": trace id and span id are required` }
  if (!Number.isFinite(span.startMs) || !Number.isFinite(span.endMs)) return { ok: false, reason: `span ${span.spanId}: start and end times are required` }
  // A well-formed event passes the codec's fast contract check (the zod schema's rules); zod only names what is wrong.
  const full = e as LlmInteraction
  if (typeof full.app_name === 'string' && typeof full.request_model === 'string' && withinInteractionContract(full, Date.now())) return { ok: true, event: full }
  const parsed = LlmInteractionSchema.safeParse(raw)
  if (parsed.success) return { ok: true, event: parsed.data }
  const issue = parsed.error.issues[0]!
  return { ok: false, reason: `span ${span.spanId}: ${issue.path.join('.') || 'event'}: ${issue.message}` }
}

/** The README table (Ingest gateway section), rendered from SPAN_MAPPING. */
export function mappingMarkdown(): string {
  return ['| LlmInteraction field | from the span |', '|---|---|', ...SPAN_MAPPING.map((r) => `| \`${r.field}\` | ${r.from} |`)].join('\n')
}
