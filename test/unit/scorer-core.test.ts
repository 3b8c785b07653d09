import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConfigError } from '../../shared/errors.js'
import type { LlmInteraction } from '../../shared/contract.js'
import { promptText, ScoredInteractionSchema } from '../../shared/contract.js'
import { generateEvents } from '../../shared/traffic/index.js'
import { scoreEvent } from '../../services/scorer/engine.js'
import { DEFAULT_TIME_BUDGET_MS, resolveScorerConfig } from '../../services/scorer/scorer-config.js'
import type { Scorer } from '../../services/scorer/scorer.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { toxicityScorer } from '../../services/scorer/scorers/toxicity.js'
import { analyze, isDropMark, prepare } from '../../services/scorer/text.js'
import { piiFindings, redactPii } from '../../services/scorer/scorers/pii.js'
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

  it("runs a scorer's load once, outside its time budget", () => {
    let loads = 0
    const heavy: Scorer<Record<string, never>> = {
      name: 'heavy', version: '0', reads: [], params: z.object({}).strict() as z.ZodType<Record<string, never>>,
      load() { loads++; const t = performance.now(); while (performance.now() - t < 30); },
      score() { return [{ target: 'event', status: 'ok', value: 0, label: 'none', flagged: false, details: {} }] },
    }
    const cfg = resolveScorerConfig({ heavy: { timeBudgetMs: 10 } }, [heavy] as Scorer<unknown>[])
    for (let i = 0; i < 3; i++) {
      const out = scoreEvent(event(), [heavy] as Scorer<unknown>[], cfg, { textMode: 'full' })
      expect(out.scores.find((s) => s.name === 'heavy')).toMatchObject({ status: 'ok', label: 'none' })
    }
    expect(loads).toBe(1)
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
    expect(c.timeBudgetMs).toBe(DEFAULT_TIME_BUDGET_MS)
    // No threshold configured: the learned model's own (chosen on its dev split) applies.
    expect(c.scorers.get('toxicity')).toMatchObject({ enabled: true, params: { scorePrompt: true } })
    expect((c.scorers.get('toxicity')?.params as { threshold?: number }).threshold).toBeUndefined()
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
    const old = event({ request_start_time: 1_000_000_000_000, first_token_time: null, end_time: 1_000_000_000_500 })
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
    expect((lines[1] as { request_start_time: number }).request_start_time).toBe(1_000_000_000_000)
    expect(errs.join('')).toMatch(/line 2: invalid JSON/)
    expect(errs.join('')).toMatch(/line 3: invalid LlmInteraction/)
  })
})

// ---------------------------------------------------------------------------------------------
// Normalization: the one-pass scanner (fast paths + normChunk) against a plain reference written
// the straightforward way (split on whitespace, per-character regexes), as text.ts was before the
// scanner. Any difference in tokens, normalized tokens or sentences is a bug in the fast paths.

const REF_LEET: Record<string, string> = { '@': 'a', '4': 'a', '3': 'e', '1': 'i', '!': 'i', '|': 'i', '0': 'o', $: 's', '5': 's', '7': 't', '+': 't' }
const refLetterOrDigit = (c: string) => /[\p{L}\p{N}]/u.test(c)
const refWordish = (c: string) => refLetterOrDigit(c) || (REF_LEET[c] !== undefined && c !== '!' && c !== '|' && c !== '+')
const refCollapse = (w: string) => w.replace(/(.)\1{2,}/gsu, '$1')
function refChunk(chunk: string, out: string[]): void {
  let start = 0
  let end = chunk.length
  let leadQuote = false
  while (start < end && !refWordish(chunk[start] as string)) {
    if (/["“”«»„]/.test(chunk[start] as string)) leadQuote = true
    start++
  }
  let trailQuote = false
  let trailSent = false
  let trailComma = false
  while (end > start && !refWordish(chunk[end - 1] as string)) {
    const c = chunk[end - 1] as string
    if (/["“”«»„]/.test(c)) trailQuote = true
    else if (/[.!?;:]/.test(c)) trailSent = true
    else if (c === ',') trailComma = true
    end--
  }
  if (start > 0 && (chunk[start - 1] === '@' || chunk[start - 1] === '$') && start < end) start--
  if (leadQuote) out.push('"')
  const core = chunk.slice(start, end)
  const parts = core.split('-')
  if (parts.length > 1 && parts.every((x) => x.length >= 3)) {
    for (const part of parts) refChunk(part, out)
  } else if (core.length > 0) {
    let w = ''
    if (/\p{L}/u.test(core)) for (const c of core) w += REF_LEET[c] ?? (refLetterOrDigit(c) ? c : '')
    else w = core.replace(/[^\p{N}]+/gu, '')
    if (w.length > 0) out.push(w.length >= 3 ? refCollapse(w) : w)
  }
  if (trailQuote) out.push('"')
  if (trailSent) out.push('.')
  else if (trailComma) out.push(',')
}
function reference(raw: string): { normTokens: string[]; tokens: string[]; sentences: string[] } {
  const ents: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }
  const lower = raw
    .replace(/&(#\d+|[a-z]+);/g, (_m, n: string) => {
      if (!n.startsWith('#')) return ents[n] ?? ' '
      const code = Number(n.slice(1))
      return code < 0x2000 ? String.fromCharCode(code) : code <= 0x201f ? '"' : ' '
    })
    .toLowerCase()
  const parts: string[] = []
  for (const chunk of lower.split(/\s+/)) if (chunk.length > 0) refChunk(chunk, parts)
  const single = (t: string) => t.length === 1 && refLetterOrDigit(t)
  const normTokens: string[] = []
  for (let i = 0; i < parts.length; ) {
    let j = i
    while (j < parts.length && single(parts[j] as string)) j++
    if (j - i >= 3) {
      normTokens.push(refCollapse(parts.slice(i, j).join('')))
      i = j
    } else normTokens.push(parts[i++] as string)
  }
  const sentences = raw.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter((s) => s.length > 0)
  return { normTokens, tokens: lower.match(/[a-z0-9\u00c0-\u1fff\u2c00-\ud7ff]+/g) ?? [], sentences }
}

/** Deterministic pseudo-random text over an alphabet that exercises every branch of the scanner. */
function fuzzText(seed: number, length: number): string {
  const alphabet = [
    ...'abcdeffffghiklmnoopqrsstuuuvwxyz', ...'ABCXYZ', ...'0123456789', ...'@$!|+', ...'.,;:?', ...'"“”«»„', ...'-‐—–',
    ...'\'’‘()[]{}*#%&/<=>\\^_`~', ...'éüßñçİ→£€°·…', ' ', ' ', ' ', ' ', '\n', '\t', '\u00a0', '\u3000', '\u1680', '😀', '&amp;', '&#8220;', '&#128512;',
  ]
  let x = seed
  let out = ''
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    out += alphabet[x % alphabet.length] as string
  }
  return out
}

describe('analyze: one-pass scanner matches the reference normalization', () => {
  const cases = [
    'f u c k you', 'F.U.C.K', 'st00pid 1d10t', 'b!tch!', 'wow!!', '"quoted," he said.', 'e.g. this; that: done!',
    "don't won’t (maybe) [sic] {x} a*b*c", 'sooo coooool...', '1,000 and 2000. $5 @home 10:30, (3)', 'year 2024!',
    'on-call pre-approval well-known f-u-c-k x-ray', '→ — – … £5 €10 °C', 'naïve café résumé', 'a b c d e', 'I  am\u3000here\u1680now',
    'Hello there. How are you?\nFine!  Thanks', 'Mr. Smith went home.Then left', '&amp; &lt;b&gt; &#8220;hi&#8221; &#128512;', '!!!', '...', '"',
    'wh0 r u?? lmaooo', '@ss $hit @ $ 4ever', 'a|b a+b a!b !ab ab! a!!', '1!2 3|4 5+6', 'ＦＵＬＬ width', 'x'.repeat(40),
  ]
  it('on hand-written tricky cases', () => {
    for (const c of cases) {
      const a = analyze(c)
      const r = reference(c)
      expect({ normTokens: a.normTokens, tokens: a.tokens, sentences: a.sentences }, c).toEqual(r)
      expect(a.normalized).toBe(r.normTokens.join(' '))
    }
  })
  it('on 3,000 pseudo-random strings', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const t = fuzzText(seed, 5 + (seed % 120))
      const a = analyze(t)
      const r = reference(t)
      expect({ normTokens: a.normTokens, tokens: a.tokens, sentences: a.sentences }, JSON.stringify(t)).toEqual(r)
    }
  })
  it('on generated traffic (every text of 300 events)', () => {
    for (const e of generateEvents(300, 11)) {
      for (const t of [promptText(e), e.response_text, ...e.retrieved_context, ...e.sampled_responses]) {
        const a = analyze(t)
        expect({ normTokens: a.normTokens, tokens: a.tokens, sentences: a.sentences }).toEqual(reference(t))
      }
    }
  })
  it('interned words: 40,000 distinct words (more than the intern table keeps), read twice', () => {
    const word = (i: number) => {
      let w = ''
      for (let x = i + 26 * 27; x > 0; x = Math.floor(x / 26)) w += String.fromCharCode(97 + (x % 26))
      return w
    }
    const text = Array.from({ length: 40_000 }, (_, i) => word(i) + (i % 7 === 0 ? ',' : '')).join(' ')
    for (let round = 0; round < 2; round++) expect(analyze(text).normTokens).toEqual(reference(text).normTokens)
  })
  it('intern ids: one per token, equal words share an id, each marker has its own, joined letters have none', () => {
    const a = analyze('The cat saw the cat, then f u c k. Cat!')
    const b = analyze('the CAT')
    expect(a.normIds).toHaveLength(a.normTokens.length)
    const idOf = (t: typeof a, w: string) => t.normIds[t.normTokens.indexOf(w)]
    expect(idOf(a, 'cat')).toBeGreaterThanOrEqual(0)
    expect(idOf(b, 'cat')).toBe(idOf(a, 'cat'))
    expect(idOf(a, 'the')).not.toBe(idOf(a, 'cat'))
    a.normTokens.forEach((t, i) => {
      if (t === 'cat') expect(a.normIds[i]).toBe(idOf(a, 'cat'))
      if (t === 'fuck') expect(a.normIds[i]).toBe(-1)
    })
    const q = analyze('He said "stop, now." Then "go".')
    const markerIds = new Map<string, Set<number>>()
    q.normTokens.forEach((t, i) => {
      if (t === '.' || t === ',' || t === '"') markerIds.set(t, (markerIds.get(t) ?? new Set()).add(q.normIds[i]!))
    })
    expect([...markerIds.keys()].sort()).toEqual(['"', ',', '.'])
    const ids = [...markerIds.values()].map((s) => [...s])
    // One id per marker kind, the same wherever it stands, distinct from every word's.
    for (const x of ids) expect(x).toHaveLength(1)
    expect(new Set(ids.flat()).size).toBe(3)
    for (const x of ids.flat()) expect(x).toBeGreaterThanOrEqual(0)
    expect(ids.flat()).not.toContain(idOf(a, 'cat'))
    expect(ids.flat()).not.toContain(idOf(a, 'the'))
  })
  it('drops only marks that are neither letters, digits, spaces nor quote marks', () => {
    for (let c = 0x80; c < 0x2400; c++) {
      if (!isDropMark(c)) continue
      const ch = String.fromCharCode(c)
      expect(/[\p{L}\p{N}\s"“”«»„-]/u.test(ch), c.toString(16)).toBe(false)
    }
  })
  it('computes each view once and caches it', () => {
    const a = analyze('Some text, with words. And two sentences!')
    expect(a.normTokens).toBe(a.normTokens)
    expect(a.tokens).toBe(a.tokens)
    expect(a.sentences).toBe(a.sentences)
    expect(a.normalized).toBe('some text , with words . and two sentences .')
    expect(JSON.parse(JSON.stringify(a))).toMatchObject({ raw: 'Some text, with words. And two sentences!', tokens: ['some', 'text', 'with', 'words', 'and', 'two', 'sentences'] })
  })
})

describe('engine: flags, redaction', () => {
  const config = resolveScorerConfig({}, SCORERS)

  it('keeps flagged on an explicit error result (unknown model: flagged, value null, never priced)', () => {
    const out = scoreEvent(event({ request_model: 'no-such-model-9000', response_model: null }), SCORERS, config)
    expect(out.scores.find((s) => s.name === 'cost')).toMatchObject({ status: 'error', value: null, label: 'unknown_model', flagged: true })
    expect(out.cost_usd).toBeNull()
  })

  it('reports a non-finite ok value as an unflagged error', () => {
    const broken: Scorer<Record<string, never>> = {
      name: 'broken', version: '0', reads: [], params: z.object({}).strict() as z.ZodType<Record<string, never>>,
      score: () => [{ target: 'event', status: 'ok', value: Number.NaN, label: 'x', flagged: true, details: {} }],
    }
    const out = scoreEvent(event(), [broken] as Scorer<unknown>[], resolveScorerConfig({}, [broken] as Scorer<unknown>[]))
    expect(out.scores[0]).toMatchObject({ status: 'error', label: 'non-finite value', value: null, flagged: false })
  })

  it('redacts with the PII findings of the analysed text, detected once', () => {
    const e = event({ messages: [{ role: 'user', content: 'I am jane.doe@example.com, card 4111 1111 1111 1111' }], response_text: 'Call 415-555-0132.' })
    const input = prepare(e)
    const out = scoreEvent(e, SCORERS, config, { prepared: input })
    expect(out.prompt_text).toBe('I am [EMAIL], card [CARD]')
    expect(out.response_text).toBe('Call [PHONE].')
    expect(out.prompt_text).toBe(redactPii(promptText(e)))
    // The scorer and the engine read the same cached findings.
    expect(piiFindings(input.prompt)).toBe(piiFindings(input.prompt))
    expect(piiFindings(input.prompt).map((f) => f.type)).toEqual(['EMAIL_ADDRESS', 'CREDIT_CARD'])
  })
})
