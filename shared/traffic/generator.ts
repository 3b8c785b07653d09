/**
 * The traffic generator: deterministic (seeded), realistic LlmInteraction events from four
 * simulated apps, with incidents layered on top.
 *
 * Determinism: each event draws its content from its own PRNG stream derived from (seed, index),
 * so incidents and time only change the events they touch, never the rest of the stream.
 */
import type { LlmInteraction, Message } from '../contract.js'
import { codeAssistant } from './apps/code.js'
import { opsAgent } from './apps/agent.js'
import { kbAssistant } from './apps/rag.js'
import { supportBot } from './apps/support.js'
import type { AppSpec, Draft, SimUser } from './apps/types.js'
import {
  incidentMatches, injectedChunk, injectionPrompt, injectionResponse, IncidentSpecSchema, piiLeakResponse, runawayResponse,
  toxicResponse, type IncidentName, type IncidentSpec,
} from './incidents.js'
import { estimateTokens, MESSAGE_OVERHEAD_TOKENS, MODELS, sampleTiming, type ModelId, type ModelProfile } from './models.js'
import { hashString, Rng } from './prng.js'
import { FIRST_NAMES, LAST_NAMES } from './words.js'

export const APPS: readonly AppSpec[] = [supportBot, kbAssistant, codeAssistant, opsAgent]
export const APP_NAMES = APPS.map((a) => a.name)

export interface TrafficOptions {
  seed?: number | string
  /** Restrict traffic to these app names (default: all four). */
  apps?: readonly string[]
  /** Clock used when `next()` is called without a time. */
  now?: () => number
  incidents?: readonly IncidentSpec[]
  /** Base rates, for tests and demos that want more or fewer of each. */
  rates?: Partial<Rates>
}

export interface Rates {
  /** Calls that fail (rate limit, timeout, server error...). */
  error: number
  /** Calls answered from the app's own cache (cacheable apps only). */
  cacheHit: number
  /** Calls that carry sampled_responses. */
  samples: number
  /** Calls on the staging environment. */
  staging: number
  /** Chance that a call starts a new session rather than continuing one. */
  newSession: number
}

const DEFAULT_RATES: Rates = { error: 0.015, cacheHit: 0.06, samples: 0.06, staging: 0.12, newSession: 0.25 }

export interface TrafficGenerator {
  /** The next event, completed at `timeMs` (default: the `now` clock). */
  next(timeMs?: number): LlmInteraction
  /** How many events have been generated. */
  readonly count: number
}

interface Session {
  id: string
  userHash: string
  user: SimUser
  environment: 'production' | 'staging'
  /** A multi-call run (agent loop) waiting for its next call. */
  pending?: { traceId: string; model: ModelId; state: unknown; endTime: number }
}

const SESSION_POOL = 64

const ERRORS = [
  { type: 'rate_limit_exceeded', status: '429', weight: 0.4, latency: [40, 400] },
  { type: 'server_error', status: '500', weight: 0.15, latency: [300, 6000] },
  { type: 'overloaded', status: '529', weight: 0.1, latency: [200, 2000] },
  { type: 'timeout', status: '504', weight: 0.2, latency: [30000, 60000] },
  { type: 'context_length_exceeded', status: '400', weight: 0.05, latency: [80, 400] },
  { type: 'content_filter', status: '400', weight: 0.1, latency: [300, 1500] },
] as const

export function createTrafficGenerator(opts: TrafficOptions = {}): TrafficGenerator {
  const seed = opts.seed ?? 1
  const seedNum = typeof seed === 'number' ? seed >>> 0 : hashString(seed)
  const rates: Rates = { ...DEFAULT_RATES, ...opts.rates }
  const apps = opts.apps ? APPS.filter((a) => opts.apps?.includes(a.name)) : APPS
  if (apps.length === 0) throw new Error(`no known app in ${JSON.stringify(opts.apps)}; known apps: ${APP_NAMES.join(', ')}`)
  const incidents = (opts.incidents ?? []).map((i) => IncidentSpecSchema.parse(i))
  const now = opts.now ?? Date.now
  const appWeights = apps.map((a) => [a, a.weight] as const)
  // Traffic shape (which app, which session) comes from one stream; content from per-event streams.
  const shape = new Rng(seedNum ^ 0x5eed)
  const sessions = new Map<string, Session[]>(apps.map((a) => [a.name, []]))
  let index = 0

  function session(app: AppSpec): Session {
    const pool = sessions.get(app.name) ?? []
    const slot = shape.int(0, SESSION_POOL - 1)
    const existing = pool[slot]
    if (existing && !shape.chance(rates.newSession)) return existing
    const s: Session = {
      id: shape.uuid(),
      userHash: shape.hex(64),
      user: { first: shape.pick(FIRST_NAMES), last: shape.pick(LAST_NAMES) },
      environment: shape.chance(rates.staging) ? 'staging' : 'production',
    }
    pool[slot] = s
    return s
  }

  return {
    get count() {
      return index
    },
    next(timeMs?: number): LlmInteraction {
      const t = timeMs ?? now()
      const app = shape.weighted(appWeights)
      const sess = session(app)
      const rng = new Rng((seedNum ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0)
      const incidentRng = rng.fork('incident')
      index++
      const traceId = rng.hex(32)
      const pending = sess.pending
      sess.pending = undefined
      const routed = pending?.model ?? rng.weighted(app.models)

      // rag_hallucination changes how the answer is written, so it is decided before building.
      const hallucination = incidents.find(
        (i) => i.name === 'rag_hallucination' && app.name === kbAssistant.name && incidentMatches(i, t, app.name, routed) && incidentRng.chance(i.share),
      )
      const draft = app.build(rng, sess.user, {
        hallucinate: hallucination !== undefined,
        withSamples: rng.chance(rates.samples),
        ...(pending ? { resume: pending.state } : {}),
      })
      const modelId: ModelId = draft.model ?? routed
      const trace = pending?.traceId ?? traceId
      let incident: IncidentName | undefined = hallucination?.name
      let slowdown = 1
      if (!incident) {
        const hit = incidents.find(
          (i) => i.name !== 'rag_hallucination' && incidentMatches(i, t, app.name, modelId) && incidentRng.chance(i.share),
        )
        if (hit) {
          incident = hit.name
          slowdown = applyIncident(incidentRng, hit.name, draft)
        }
      }
      const event = finish(rng, { app, sess, draft, model: MODELS[modelId], t, rates, incident, slowdown, traceId: trace })
      // A continuation that would have started before its run's previous call ended is not part
      // of that run after all: it gets a trace of its own.
      if (pending && event.request_start_time < pending.endTime) event.trace_id = traceId
      if (draft.resume !== undefined) sess.pending = { traceId: event.trace_id ?? traceId, model: modelId, state: draft.resume, endTime: event.end_time }
      return event
    },
  }
}

/** Changes the draft in place for an incident; returns the latency multiplier. */
function applyIncident(r: Rng, name: IncidentName, d: Draft): number {
  switch (name) {
    case 'toxicity_spike':
      d.response = toxicResponse(r, d.response)
      d.finish = 'stop'
      d.samples = []
      return 1
    case 'pii_leak':
      d.response = piiLeakResponse(r, d.response)
      d.samples = []
      return 1
    case 'latency_regression':
      return r.lognormal(5, 0.1)
    case 'cost_runaway':
      d.response = runawayResponse(r, d.response)
      d.finish = 'length'
      d.samples = []
      return 1
    case 'injection_campaign': {
      const system = d.messages.find((m) => m.role === 'system')?.content
      if (d.context.length > 0 && r.chance(0.5)) {
        // Indirect: the attack sits in a retrieved document, and so in the prompt that quotes it.
        const i = r.int(0, d.context.length - 1)
        const before = d.context[i] as string
        const after = injectedChunk(r, before)
        d.context[i] = after
        d.messages = d.messages.map((m) => (m.role === 'user' ? { ...m, content: m.content.replace(before, after) } : m))
      } else {
        const last = lastUserIndex(d.messages)
        const msg = d.messages[last]
        if (msg) {
          const attack = injectionPrompt(r)
          // RAG prompts quote the context first; the attack replaces the question.
          const q = msg.content.lastIndexOf('Question: ')
          d.messages[last] = { ...msg, content: q >= 0 ? `${msg.content.slice(0, q)}Question: ${attack}` : attack }
        }
      }
      d.response = injectionResponse(r, d.response, system)
      d.samples = []
      d.finish = 'stop'
      return 1
    }
    case 'rag_hallucination':
      return 1
  }
}

function lastUserIndex(messages: readonly Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return i
  return -1
}

interface FinishArgs {
  app: AppSpec
  sess: Session
  draft: Draft
  model: ModelProfile
  t: number
  rates: Rates
  incident: IncidentName | undefined
  slowdown: number
  traceId: string
}

/** Adds tokens, timing, ids, status and attributes to a draft. */
function finish(rng: Rng, a: FinishArgs): LlmInteraction {
  const { draft: d, model: m } = a
  const systemTokens = d.messages.filter((x) => x.role === 'system').reduce((s, x) => s + estimateTokens(x.content) + MESSAGE_OVERHEAD_TOKENS, 0)
  let inputTokens = d.messages.reduce((s, x) => s + estimateTokens(x.content) + MESSAGE_OVERHEAD_TOKENS, 0)
  let outputTokens = estimateTokens(d.response)
  let cachedTokens = m.promptCache && rng.chance(0.35) ? Math.min(inputTokens, systemTokens) : 0

  const errorRoll = rng.float()
  const error = errorRoll < a.rates.error && !a.incident ? rng.weighted(ERRORS.map((e) => [e, e.weight] as const)) : undefined
  // An incident's effect must be visible, so incident events neither fail nor come from the cache.
  const cacheHit = !error && !a.incident && a.app.cacheable && rng.chance(a.rates.cacheHit)

  let latencyMs: number
  let ttftMs: number | null
  let response = d.response
  let finishReasons: string[] = [m.finish[d.finish]]
  if (error) {
    latencyMs = rng.int(error.latency[0], error.latency[1])
    ttftMs = null
    response = ''
    outputTokens = 0
    inputTokens = error.type === 'rate_limit_exceeded' || error.type === 'timeout' ? 0 : inputTokens
    cachedTokens = 0
    finishReasons = []
  } else if (cacheHit) {
    // Served by the app without calling the provider: nothing billed, a few ms.
    latencyMs = Math.round(rng.lognormal(12, 0.5)) + 1
    ttftMs = null
    inputTokens = 0
    outputTokens = 0
    cachedTokens = 0
  } else {
    const timing = sampleTiming(rng, m, inputTokens, outputTokens, a.slowdown)
    latencyMs = timing.totalMs
    ttftMs = d.streaming ? timing.ttftMs : null
  }

  const end = Math.round(a.t)
  const start = end - latencyMs
  const attributes: Record<string, string> = {
    ...d.attributes,
    'service.version': a.app.name === 'kb-assistant' ? '2.14.1' : a.app.name === 'support-bot' ? '5.3.0' : '1.9.4',
    'gen_ai.request.temperature': d.operation === 'text_completion' ? '0.2' : String(rng.pick([0, 0.2, 0.3, 0.7])),
    'gen_ai.request.max_tokens': String(d.finish === 'length' ? Math.max(outputTokens, 256) : rng.pick([512, 1024, 2048, 4096])),
    'cloud.region': rng.pick(['eu-west-1', 'us-east-1', 'us-east-1', 'eu-central-1']),
  }
  if (error) attributes['http.response.status_code'] = error.status
  if (a.incident) attributes['incident'] = a.incident

  return {
    event_id: rng.uuid(),
    app_name: a.app.name,
    environment: a.sess.environment,
    provider_name: m.provider,
    operation_name: d.operation,
    request_model: m.id,
    response_model: error ? null : m.responseModel,
    response_id: error || cacheHit ? null : responseId(rng, m),
    response_finish_reasons: finishReasons,
    usage_input_tokens: inputTokens,
    usage_output_tokens: outputTokens,
    usage_cached_input_tokens: cachedTokens,
    request_start_time: start,
    first_token_time: ttftMs === null ? null : start + ttftMs,
    end_time: end,
    trace_id: a.traceId,
    span_id: rng.hex(16),
    session_id: a.sess.id,
    user_id_hash: a.sess.userHash,
    prompt_template_id: d.templateId,
    prompt_template_version: d.templateVersion,
    messages: d.messages,
    response_text: response,
    retrieved_context: d.context,
    sampled_responses: error ? [] : d.samples,
    cache_hit: cacheHit,
    status: error ? 'error' : 'ok',
    error_type: error ? error.type : null,
    attributes,
  }
}

function responseId(r: Rng, m: ModelProfile): string {
  switch (m.provider) {
    case 'openai':
      return `chatcmpl-${r.base62(29)}`
    case 'anthropic':
      return `msg_01${r.base62(22)}`
    case 'gcp.gemini':
      return r.base62(24)
    case 'mistral_ai':
      return r.hex(32)
  }
}

export interface GenerateOptions extends Omit<TrafficOptions, 'seed' | 'now'> {
  /** Completion time of the first event (default: so that the last event completes now). */
  startMs?: number
  /** Events per second of simulated time (default 100). */
  ratePerSec?: number
}

/** `n` events spaced evenly at `ratePerSec`; the same seed and startMs give the same events. */
export function generateEvents(n: number, seed: number | string = 1, opts: GenerateOptions = {}): LlmInteraction[] {
  const rate = opts.ratePerSec ?? 100
  const step = 1000 / rate
  const start = opts.startMs ?? Date.now() - Math.ceil(n * step)
  const gen = createTrafficGenerator({ ...opts, seed })
  const out: LlmInteraction[] = new Array(n)
  for (let i = 0; i < n; i++) out[i] = gen.next(start + Math.floor(i * step))
  return out
}
