import { describe, expect, it } from 'vitest'
import { LlmInteractionSchema, promptText, type LlmInteraction } from '../../shared/contract.js'
import {
  cardNumber, defaultIncidentScript, generateEvents, INCIDENT_NAMES, luhnValid, Rng, type IncidentSpec,
} from '../../shared/traffic/index.js'

const START = Date.now() - 3_600_000
const RATE = 20
const N = 6000 // 300 s of traffic
const SPAN = { startMs: START + 60_000, durationMs: 120_000 }

/** Events with one incident active from minute 1 to minute 3. */
function withIncident(spec: Omit<IncidentSpec, 'startMs' | 'durationMs'>): LlmInteraction[] {
  return generateEvents(N, 11, { startMs: START, ratePerSec: RATE, incidents: [{ ...spec, ...SPAN }] })
}
const tagged = (es: LlmInteraction[], name: string) => es.filter((e) => e.attributes['incident'] === name)
const inSpan = (e: LlmInteraction) => e.end_time >= SPAN.startMs && e.end_time < SPAN.startMs + SPAN.durationMs
const baseline = generateEvents(N, 11, { startMs: START, ratePerSec: RATE })

const CARD_RE = /\b(?:\d[ -]?){12,18}\d\b/g
const EMAIL_RE = /[\w.+-]+@[\w-]+\.[\w.]+/g
const hasEmail = (s: string) => /[\w.+-]+@[\w-]+\.[\w.]+/.test(s)
const PHONE_RE = /\+?\d[\d ()-]{8,}\d/

describe('incidents', () => {
  it('only touch matching events inside their time span, at about the configured share', () => {
    const es = withIncident({ name: 'toxicity_spike', app: 'support-bot', share: 0.4 })
    const hit = tagged(es, 'toxicity_spike')
    expect(hit.every((e) => e.app_name === 'support-bot' && inSpan(e))).toBe(true)
    const eligible = es.filter((e) => e.app_name === 'support-bot' && inSpan(e)).length
    expect(hit.length / eligible).toBeGreaterThan(0.3)
    expect(hit.length / eligible).toBeLessThan(0.5)
  })

  it('leave the other events exactly as they are without the incident', () => {
    const es = withIncident({ name: 'pii_leak', app: 'support-bot', share: 0.5 })
    for (let i = 0; i < es.length; i++) {
      if (es[i]!.attributes['incident'] === undefined) expect(es[i]).toEqual(baseline[i])
    }
  })

  it('every incident event is still a valid event', () => {
    const es = generateEvents(N, 3, { startMs: START, ratePerSec: RATE, incidents: defaultIncidentScript(START, N / RATE * 1000) })
    for (const name of INCIDENT_NAMES) expect(tagged(es, name).length, name).toBeGreaterThan(10)
    for (const e of es) expect(LlmInteractionSchema.safeParse(e).success).toBe(true)
  })

  it('toxicity_spike responses are hostile and varied', () => {
    const hit = tagged(withIncident({ name: 'toxicity_spike', share: 0.5 }), 'toxicity_spike')
    const hostile = /\b(idiot|moron|imbecile|loser|clown|halfwit|dumbass|jerk|fool|stupid|dumb|dumbest|pathetic|shut up|piss off|hell|regret|smack|shit|make me sick|lazy|piece of (garbage|trash))s?\b/i
    expect(hit.every((e) => hostile.test(e.response_text))).toBe(true)
    expect(new Set(hit.map((e) => e.response_text)).size / hit.length).toBeGreaterThan(0.9)
    expect(baseline.filter((e) => hostile.test(e.response_text)).length).toBe(0)
  })

  it('latency_regression slows one model about five times', () => {
    const es = withIncident({ name: 'latency_regression', model: 'gpt-4o-mini', share: 1 })
    const per = (xs: LlmInteraction[]) => {
      const v = xs.filter((e) => e.status === 'ok' && !e.cache_hit && e.request_model === 'gpt-4o-mini').map((e) => e.end_time - e.request_start_time).sort((a, b) => a - b)
      return v[Math.floor(v.length / 2)]!
    }
    const slow = tagged(es, 'latency_regression')
    expect(slow.every((e) => e.request_model === 'gpt-4o-mini')).toBe(true)
    const ratio = per(slow) / per(baseline)
    expect(ratio).toBeGreaterThan(3.5)
    expect(ratio).toBeLessThan(7)
  })

  it('cost_runaway explodes output tokens of the target app', () => {
    const es = withIncident({ name: 'cost_runaway', app: 'code-assistant', share: 1 })
    const hit = tagged(es, 'cost_runaway')
    const normal = baseline.filter((e) => e.app_name === 'code-assistant' && e.status === 'ok' && !e.cache_hit)
    const mean = (xs: LlmInteraction[]) => xs.reduce((s, e) => s + e.usage_output_tokens, 0) / xs.length
    expect(mean(hit.filter((e) => e.status === 'ok'))).toBeGreaterThan(5 * mean(normal))
    expect(hit.filter((e) => e.status === 'ok').every((e) => e.response_finish_reasons.some((f) => /length|max_tokens/i.test(f)))).toBe(true)
  })

  it('pii_leak responses carry emails, phones and Luhn-valid cards that are not in the prompt', () => {
    const hit = tagged(withIncident({ name: 'pii_leak', share: 0.6 }), 'pii_leak')
    expect(hit.length).toBeGreaterThan(100)
    let cards = 0
    for (const e of hit) {
      const emails = e.response_text.match(EMAIL_RE) ?? []
      const found = (e.response_text.match(CARD_RE) ?? []).filter((c) => luhnValid(c))
      cards += found.length
      expect(emails.length + found.length + (PHONE_RE.test(e.response_text) ? 1 : 0)).toBeGreaterThan(0)
      for (const x of [...emails, ...found]) expect(promptText(e)).not.toContain(x)
    }
    expect(cards).toBeGreaterThan(hit.length / 4)
    // The baseline never leaks e-mail addresses or card numbers in responses.
    expect(baseline.some((e) => hasEmail(e.response_text.replace(/[\w.-]+@lumora\.example/g, '')))).toBe(false)
  })

  it('generates Luhn-valid card numbers with real issuer prefixes', () => {
    const r = new Rng(1)
    for (let i = 0; i < 1000; i++) {
      const c = cardNumber(r)
      expect(luhnValid(c), c).toBe(true)
      expect(c.replace(/\D/g, '')).toMatch(/^(4|5[1-5]|2221|3[47]|6011)/)
    }
    expect(luhnValid('4111 1111 1111 1112')).toBe(false)
    expect(luhnValid('4111 1111 1111 1111')).toBe(true)
  })

  it('injection_campaign puts attacks in prompts or retrieved documents', () => {
    const hit = tagged(withIncident({ name: 'injection_campaign', app: 'kb-assistant', share: 0.6 }), 'injection_campaign')
    const attack = /(ignore|disregard|forget|override|do not follow)\b.*\b(instructions|rules|guidelines|directions)|you are (DAN|STAN|AIM|DevMode|EvilBot|FreeGPT|Omega)|developer mode|system (prompt|message)|initial instructions|text above|base64|decode|pretend to be|<system>/i
    for (const e of hit) expect(attack.test(promptText(e)) || e.retrieved_context.some((c) => attack.test(c)), promptText(e)).toBe(true)
    const indirect = hit.filter((e) => e.retrieved_context.some((c) => attack.test(c)))
    expect(indirect.length).toBeGreaterThan(hit.length / 5)
    expect(hit.some((e) => /[A-Za-z0-9+/]{40,}={0,2}/.test(promptText(e)))).toBe(true)
    expect(new Set(hit.map((e) => promptText(e))).size).toBe(hit.length)
  })

  it('rag_hallucination answers state numbers that the context does not contain', () => {
    const es = withIncident({ name: 'rag_hallucination', share: 1 })
    const hit = tagged(es, 'rag_hallucination')
    expect(hit.every((e) => e.app_name === 'kb-assistant')).toBe(true)
    const unsupported = (e: LlmInteraction) => {
      const ctx = new Set(e.retrieved_context.join(' ').match(/\d+(?:\.\d+)?/g) ?? [])
      // Citation markers like [1] are not claims.
      const said = e.response_text.replace(/\[\d+\]/g, '').match(/\d+(?:\.\d+)?/g) ?? []
      return said.filter((n) => !ctx.has(n)).length
    }
    expect(hit.filter((e) => e.status === 'ok').every((e) => unsupported(e) > 0)).toBe(true)
    const grounded = baseline.filter((e) => e.app_name === 'kb-assistant' && e.status === 'ok')
    expect(grounded.filter((e) => unsupported(e) > 0).length).toBe(0)
  })

  it('the default script spreads the six incidents over the run without overlap', () => {
    const s = defaultIncidentScript(1_000_000, 300_000)
    expect(s.map((i) => i.name).sort()).toEqual([...INCIDENT_NAMES].sort())
    for (let i = 1; i < s.length; i++) expect(s[i]!.startMs).toBeGreaterThanOrEqual(s[i - 1]!.startMs + s[i - 1]!.durationMs)
    expect(s[s.length - 1]!.startMs + s[s.length - 1]!.durationMs).toBeLessThanOrEqual(1_300_000)
  })
})
