/**
 * The event contract in TypeScript: zod schemas that mirror schemas/*.avsc field for field
 * (test/unit/contract.test.ts proves they cannot drift apart) and add what Avro cannot say:
 * non-negative counts, sane timestamps, size limits.
 */
import { z } from 'zod'

/** Limits on what a single event may carry. Oversized events go to the DLQ, not to the scorers. */
export const LIMITS = {
  maxTextChars: 256 * 1024,
  maxMessages: 512,
  maxContextChunks: 64,
  maxSamples: 32,
  maxAttributes: 64,
  maxAttributeChars: 4096,
  /** Timestamps must fall within this window around "now" (ms). */
  maxPastMs: 30 * 24 * 3600 * 1000,
  maxFutureMs: 24 * 3600 * 1000,
  maxEventBytes: 2 * 1024 * 1024,
} as const

const text = z.string().max(LIMITS.maxTextChars)
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a UUID')
const nullableStr = z.string().max(512).nullable()
/**
 * Below this, a time can only be epoch seconds (1e11 ms is March 1973; 1e11 s is the year 5138):
 * refused with a reason that says so instead of "out of range".
 */
export const MIN_EPOCH_MS = 1e11

/** Epoch milliseconds within [now - maxPastMs, now + maxFutureMs], checked at parse time. */
const timestamp = z
  .number()
  .int()
  .superRefine((t, ctx) => {
    if (Math.abs(t) < MIN_EPOCH_MS) {
      ctx.addIssue({ code: 'custom', message: `${t} looks like epoch seconds; times are epoch milliseconds (or RFC 3339 strings in JSON)` })
    } else if (t < Date.now() - LIMITS.maxPastMs || t > Date.now() + LIMITS.maxFutureMs) {
      ctx.addIssue({ code: 'custom', message: 'timestamp out of the accepted range (30 days back, 1 day ahead)' })
    }
  })

/** The LlmInteraction fields holding times (epoch milliseconds on the wire; JSON may use RFC 3339). */
export const INTERACTION_TIME_FIELDS = ['request_start_time', 'first_token_time', 'end_time'] as const

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:?\d{2})$/

/**
 * Epoch milliseconds of an RFC 3339 / ISO-8601 date-time with seconds and a time zone
 * ("2025-06-01T12:00:00.123Z", "2025-06-01T14:00:00+02:00"); null for anything else.
 * Fractions below a millisecond are dropped.
 */
export function parseTimestampString(s: string): number | null {
  const m = RFC3339.exec(s.trim())
  if (!m) return null
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate() || h > 23 || mi > 59 || se > 59) return null
  const ms = Date.parse(s.trim().replace(/^(.{10})[t ]/i, '$1T'))
  return Number.isFinite(ms) ? ms : null
}

/**
 * JSON producers may send an LlmInteraction's times as RFC 3339 strings: replaces them, in place,
 * by epoch milliseconds. Returns one reason per string that is not a valid RFC 3339 time.
 */
export function jsonTimesToEpochMs(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return []
  const o = value as Record<string, unknown>
  const issues: string[] = []
  for (const f of INTERACTION_TIME_FIELDS) {
    const v = o[f]
    if (typeof v !== 'string') continue
    const ms = parseTimestampString(v)
    if (ms === null) issues.push(`${f}: ${JSON.stringify(v.slice(0, 64))} is neither epoch milliseconds nor an RFC 3339 time with a zone (e.g. 2025-06-01T12:00:00.123Z)`)
    else o[f] = ms
  }
  return issues
}

export const MessageSchema = z.object({
  role: z.string().min(1).max(32),
  content: text,
})

export const LlmInteractionSchema = z
  .object({
    event_id: uuid,
    app_name: z.string().min(1).max(128),
    environment: z.string().min(1).max(64).default('production'),
    provider_name: z.string().min(1).max(64),
    operation_name: z.string().min(1).max(64).default('chat'),
    request_model: z.string().min(1).max(128),
    response_model: nullableStr.default(null),
    response_id: nullableStr.default(null),
    response_finish_reasons: z.array(z.string().max(64)).max(16).default([]),
    usage_input_tokens: count.default(0),
    usage_output_tokens: count.default(0),
    usage_cached_input_tokens: count.default(0),
    request_start_time: timestamp,
    first_token_time: timestamp.nullable().default(null),
    end_time: timestamp,
    trace_id: nullableStr.default(null),
    span_id: nullableStr.default(null),
    session_id: nullableStr.default(null),
    user_id_hash: nullableStr.default(null),
    prompt_template_id: nullableStr.default(null),
    prompt_template_version: nullableStr.default(null),
    messages: z.array(MessageSchema).max(LIMITS.maxMessages).default([]),
    response_text: text.default(''),
    retrieved_context: z.array(text).max(LIMITS.maxContextChunks).default([]),
    sampled_responses: z.array(text).max(LIMITS.maxSamples).default([]),
    cache_hit: z.boolean().default(false),
    status: z.enum(['ok', 'error']).default('ok'),
    error_type: nullableStr.default(null),
    attributes: z
      .record(z.string().max(256), z.string().max(LIMITS.maxAttributeChars))
      .refine((m) => Object.keys(m).length <= LIMITS.maxAttributes, { message: `at most ${LIMITS.maxAttributes} attributes` })
      .default({}),
  })
  .strict()
  .refine((e) => e.end_time >= e.request_start_time, { message: 'end_time is before request_start_time', path: ['end_time'] })
  .refine((e) => e.first_token_time === null || (e.first_token_time >= e.request_start_time && e.first_token_time <= e.end_time), {
    message: 'first_token_time must lie between request_start_time and end_time',
    path: ['first_token_time'],
  })
  .refine((e) => e.usage_cached_input_tokens <= e.usage_input_tokens, {
    message: 'usage_cached_input_tokens exceeds usage_input_tokens',
    path: ['usage_cached_input_tokens'],
  })
export type LlmInteraction = z.infer<typeof LlmInteractionSchema>
export type Message = z.infer<typeof MessageSchema>

export const ScoreEntrySchema = z.object({
  name: z.string().min(1).max(64),
  target: z.enum(['prompt', 'response', 'context', 'event']).default('event'),
  version: z.string().min(1).max(32),
  status: z.enum(['ok', 'not_applicable', 'error']).default('ok'),
  value: z.number().finite().nullable().default(null),
  label: z.string().max(128).default(''),
  flagged: z.boolean().default(false),
  details: z.string().max(64 * 1024).default('{}'),
})
export type ScoreEntry = z.infer<typeof ScoreEntrySchema>

export const ScoredInteractionSchema = z
  .object({
    event_id: uuid,
    app_name: z.string().min(1).max(128),
    environment: z.string().min(1).max(64),
    provider_name: z.string().min(1).max(64),
    operation_name: z.string().min(1).max(64).default('chat'),
    request_model: z.string().min(1).max(128),
    response_model: nullableStr.default(null),
    prompt_template_id: nullableStr.default(null),
    prompt_template_version: nullableStr.default(null),
    trace_id: nullableStr.default(null),
    session_id: nullableStr.default(null),
    user_id_hash: nullableStr.default(null),
    request_start_time: z.number().int(),
    end_time: z.number().int(),
    scored_time: z.number().int(),
    latency_ms: z.number().finite().nonnegative(),
    ttft_ms: z.number().finite().nonnegative().nullable().default(null),
    usage_input_tokens: count.default(0),
    usage_output_tokens: count.default(0),
    usage_cached_input_tokens: count.default(0),
    cost_usd: z.number().finite().nonnegative().nullable().default(null),
    cache_hit: z.boolean().default(false),
    status: z.enum(['ok', 'error']).default('ok'),
    error_type: nullableStr.default(null),
    text_mode: z.enum(['full', 'redacted', 'none']).default('redacted'),
    prompt_text: z.string().nullable().default(null),
    response_text: z.string().nullable().default(null),
    scores: z.array(ScoreEntrySchema).max(256).default([]),
  })
  .strict()
export type ScoredInteraction = z.infer<typeof ScoredInteractionSchema>

export const AlertSchema = z
  .object({
    alert_id: uuid,
    rule: z.string().min(1).max(128),
    kind: z.enum(['rate', 'quantile', 'budget', 'anomaly', 'immediate', 'absence']),
    severity: z.enum(['info', 'warning', 'critical']),
    state: z.enum(['firing', 'resolved']),
    reminder: z.boolean().default(false),
    labels: z.record(z.string(), z.string()).default({}),
    dedup_key: z.string().min(1).max(1024),
    value: z.number().finite(),
    threshold: z.number().finite(),
    window_seconds: z.number().int().nonnegative(),
    started_time: z.number().int(),
    ended_time: z.number().int().nullable().default(null),
    emitted_time: z.number().int(),
    summary: z.string().max(4096),
    runbook_url: z.string().max(1024).nullable().default(null),
    example_event_ids: z.array(z.string()).max(20).default([]),
    /** Unit of value and threshold (schemas/Alert.avsc); strings, so a new unit does not break old readers. */
    unit: z.string().max(32).default(''),
    resolve_reason: z.string().max(64).nullable().default(null),
    /** The evaluated series in this alert (e.g. each affected model and environment), worst first. */
    series: z
      .array(z.object({ labels: z.record(z.string(), z.string()), value: z.number().finite(), severity: z.enum(['info', 'warning', 'critical']) }).strict())
      .max(100)
      .default([]),
  })
  .strict()
export type Alert = z.infer<typeof AlertSchema>
export type AlertSeries = Alert['series'][number]

/** Topic names and the record each carries: checked by the compiler, used by the codec and admin. */
export const TOPICS = {
  interactions: { name: 'llm.interactions', record: 'LlmInteraction', schema: LlmInteractionSchema },
  scores: { name: 'llm.scores', record: 'ScoredInteraction', schema: ScoredInteractionSchema },
  alerts: { name: 'llm.alerts', record: 'Alert', schema: AlertSchema },
  dlq: { name: 'llm.dlq', record: null, schema: null },
} as const
export type TopicKey = keyof typeof TOPICS
export type RecordName = 'LlmInteraction' | 'ScoredInteraction' | 'Alert'
export type RecordOf<R extends RecordName> = R extends 'LlmInteraction'
  ? LlmInteraction
  : R extends 'ScoredInteraction'
    ? ScoredInteraction
    : Alert

/** The prompt as one text: the concatenated user (and tool) messages. */
export function promptText(e: Pick<LlmInteraction, 'messages'>): string {
  return e.messages
    .filter((m) => m.role !== 'assistant' && m.role !== 'system')
    .map((m) => m.content)
    .join('\n')
}
