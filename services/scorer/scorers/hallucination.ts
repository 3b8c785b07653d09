/**
 * Hallucination scorer ('hallucination', target 'response'). Two reference-free-of-models checks,
 * chosen by what the event carries:
 *
 * (a) Grounding, when retrieved_context is present. The response is split into claims (sentences).
 *     Each claim's checkable content is extracted: numbers (weight 3), names, i.e. capitalized
 *     words that do not start the sentence (weight 2), and other content words without stopwords
 *     (weight 1). An item is supported when it occurs in the context (or in the user's prompt when
 *     `allowPromptWords` is on; off by default), after light stemming and number
 *     normalization ("5,300" = "5300", "two" = "2"). A claim's unsupportedness is the weighted share
 *     of its items not found; the event value is the mean over claims that have checkable items,
 *     in [0, 1]. Flagged at `groundingThreshold`.
 *
 * (b) Consistency, when sampled_responses are present and there is no context: SelfCheckGPT's
 *     unigram variant (Manakul et al. 2023). A unigram model with add-one smoothing is built from
 *     the samples plus the response; each response sentence scores the max (or average) negative log
 *     probability of its tokens. To make events comparable, a sentence score is divided by the
 *     largest possible value, -log P(unseen) = log(N + V) (N tokens, V vocabulary size), so it lies
 *     in (0, 1]; the event value is the mean over sentences. Flagged at `consistencyThreshold`.
 *
 * (c) Neither: status 'not_applicable', value null.
 */
import { z } from 'zod'
import type { ScoreResult, Scorer, ScoringInput } from '../scorer.js'
import { detectPii, redactPii } from './pii.js'

// ---------------------------------------------------------------------------------------------
// Tokens for grounding

/** Function words and conversational fillers that carry no checkable content. */
const STOPWORDS = new Set(
  (
    'a an the and or but nor so yet if then else than that this these those there here where when while what which who whom whose why how ' +
    'i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself ' +
    'they them their theirs themselves one ones someone something anyone anything everyone everything nobody nothing ' +
    'am is are was were be been being have has had having do does did doing done will would shall should can could may might must ' +
    'not no yes yeah yep ok okay oh ah well also too very really just quite rather much many more most some any all each every both ' +
    'either neither other another such own same only even still already again ever never always often sometimes ' +
    'of in on at by for with about against between into through during before after above below to from up down out off over under ' +
    'as like unlike until since because though although whether ' +
    'get got gets getting go goes went going gone make made makes say said says know knew known think thought ' +
    'lot lots thing things way ways kind sort bit pretty sure maybe probably actually definitely ' +
    'thanks thank please hello hi hey sorry welcome glad happy help ' +
    's t d ll re ve m don didn doesn isn aren wasn weren haven hasn hadn won wouldn couldn shouldn can\'t'
  ).split(/\s+/),
)

const NUMBER_WORDS: Record<string, string> = {
  zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
  eleven: '11', twelve: '12', thirteen: '13', fourteen: '14', fifteen: '15', sixteen: '16', seventeen: '17', eighteen: '18',
  nineteen: '19', twenty: '20', thirty: '30', forty: '40', fifty: '50', sixty: '60', seventy: '70', eighty: '80', ninety: '90',
  hundred: '100', thousand: '1000', million: '1000000', billion: '1000000000', first: '1', second: '2', third: '3',
}

/** As a Map: an object lookup would also find "constructor", "toString"... on the prototype. */
const NUMBER_WORD_MAP: ReadonlyMap<string, string> = new Map(Object.entries(NUMBER_WORDS))

/** Numbers (with thousands separators or decimals) or words (letters, inner apostrophes/hyphens). */
const TOKEN_RE = /\d+(?:[.,]\d+)*|[\p{L}\p{M}]+(?:['’][\p{L}]+)?/gu

/** Light suffix stripping so "founded"/"founding"/"founds", "cities"/"city" meet. */
export function stem(w: string): string {
  if (w.length <= 3) return w
  if (w.endsWith("'s") || w.endsWith('’s')) w = w.slice(0, -2)
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3)
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2)
  if (w.length > 4 && w.endsWith('es')) return w.slice(0, -2)
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1)
  return w
}

function normNumber(n: string): string {
  // Plain integers (most numbers) need no work.
  if (n.indexOf(',') < 0 && n.indexOf('.') < 0) return n
  // "5,300" -> "5300"; "1.5" stays; a trailing ".0" is dropped.
  const s = /^\d{1,3}(?:,\d{3})+$/.test(n) ? n.replace(/,/g, '') : n.replace(',', '.')
  return s.replace(/\.0+$/, '')
}

interface Item {
  key: string
  weight: number
  text: string
}

export const WEIGHTS = { number: 3, entity: 2, content: 1 } as const

/** The checkable items of one claim. */
export function claimItems(sentence: string): Item[] {
  const items: Item[] = []
  let first = true
  TOKEN_RE.lastIndex = 0
  for (let m = TOKEN_RE.exec(sentence); m !== null; m = TOKEN_RE.exec(sentence)) {
    const tok = m[0]
    const c = tok.charCodeAt(0)
    if (c >= 48 && c <= 57) {
      items.push({ key: `#${normNumber(tok)}`, weight: WEIGHTS.number, text: tok })
      first = false
      continue
    }
    const lower = lowerOf(tok)
    const num = NUMBER_WORD_MAP.get(lower)
    if (num !== undefined) {
      items.push({ key: `#${num}`, weight: WEIGHTS.number, text: tok })
    } else if (!STOPWORDS.has(lower) && lower.length >= 2) {
      const capitalized = tok !== lower && tok[0] === tok[0]?.toUpperCase()
      items.push({ key: stem(lower), weight: capitalized && !first ? WEIGHTS.entity : WEIGHTS.content, text: tok })
    }
    first = false
  }
  return items
}

const NUMBER_RE = /\d+(?:[.,]\d+)*/g

/**
 * Adds a text's support to a set: the stems of its (already lower-cased) word tokens, as text.ts
 * produced them for every scorer, and its numbers read from the raw text (the tokens split "5,300").
 */
export function addSupport(text: { raw: string; tokens: readonly string[] }, into: Set<string>): void {
  for (const t of text.tokens) {
    into.add(stem(t))
    const num = NUMBER_WORD_MAP.get(t)
    if (num !== undefined) into.add(`#${num}`)
  }
  NUMBER_RE.lastIndex = 0
  for (let m = NUMBER_RE.exec(text.raw); m !== null; m = NUMBER_RE.exec(text.raw)) into.add(`#${normNumber(m[0])}`)
}

/** Word-token characters, as text.ts cuts `tokens` (a-z, 0-9 and the Latin-1..CJK letter ranges). */
function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 0xc0 && c <= 0x1fff) || (c >= 0x2c00 && c <= 0xd7ff)
}

/** The lower-cased text: text.ts's cached view when there is one. */
function lowerText(text: { raw: string; lower?: string }): string {
  return text.lower ?? text.raw.toLowerCase()
}

/** Number words per number key ("#2" -> ["two", "second"]), to find spelled-out numbers in a context. */
const WORDS_OF_NUMBER = new Map<string, string[]>()
for (const [w, n] of Object.entries(NUMBER_WORDS)) WORDS_OF_NUMBER.set(`#${n}`, [...(WORDS_OF_NUMBER.get(`#${n}`) ?? []), w])

/** Whether the lower-cased text holds a whole token that starts with `prefix` and stems to `key` (or equals it, when `exact`). */
function hasTokenStemmingTo(lower: string, prefix: string, key: string, exact = false): boolean {
  for (let i = lower.indexOf(prefix); i >= 0; i = lower.indexOf(prefix, i + 1)) {
    if (i > 0 && isWordCode(lower.charCodeAt(i - 1))) continue
    let end = i + prefix.length
    while (end < lower.length && isWordCode(lower.charCodeAt(end))) end++
    const token = lower.slice(i, end)
    if (exact ? token === key : stem(token) === key) return true
  }
  return false
}

/**
 * Support for the keys a response needs, found by searching the context for each key rather than
 * stemming every context token: stem() only strips suffixes (and turns -ies into -y), so a token
 * that stems to a key starts with the key; the native substring search skips everything else.
 * Same result as addSupport + lookup.
 */
export function addNeededSupport(text: { raw: string; lower?: string }, needed: ReadonlySet<string>, into: Set<string>): void {
  const lower = lowerText(text)
  let wantNumbers = false
  for (const k of needed) {
    if (into.has(k)) continue
    if (k.charCodeAt(0) === 35) {
      wantNumbers = true
      const words = WORDS_OF_NUMBER.get(k)
      if (words !== undefined && words.some((w) => hasTokenStemmingTo(lower, w, w, true))) into.add(k)
      continue
    }
    if (hasTokenStemmingTo(lower, k, k) || (k.endsWith('y') && hasTokenStemmingTo(lower, `${k.slice(0, -1)}ies`, k))) into.add(k)
  }
  if (!wantNumbers) return
  NUMBER_RE.lastIndex = 0
  for (let m = NUMBER_RE.exec(text.raw); m !== null; m = NUMBER_RE.exec(text.raw)) {
    const key = `#${normNumber(m[0])}`
    if (needed.has(key)) into.add(key)
  }
}

function hasNumberKey(keys: ReadonlySet<string>): boolean {
  for (const k of keys) if (k.charCodeAt(0) === 35) return true
  return false
}

/** Lower-cases only when needed (most tokens already are): toLowerCase allocates. */
function lowerOf(tok: string): string {
  const c = tok.charCodeAt(0)
  if (c >= 97 && c <= 122 && !/[A-Z\u00C0-\uFFFF]/.test(tok)) return tok
  return tok.toLowerCase()
}

export interface ClaimResult {
  sentence: string
  /** Weighted share of unsupported items, in [0, 1]; null when the sentence is not a checkable claim. */
  unsupported: number | null
  missing: string[]
}

// ---------------------------------------------------------------------------------------------
// Which sentences are claims

/**
 * Openers of conversational moves that assert nothing about the world: acknowledgements, greetings,
 * offers of further help, sign-offs, hedged opinions (lower-case, matched at the sentence start).
 */
const FILLER_OPENERS: readonly string[] = [
  'good question', 'great question', 'excellent question', 'interesting question', 'thanks', 'thank you', 'sure', 'of course',
  'certainly', 'absolutely', 'happy to', 'glad to', 'i hope', 'hope this', 'hope that', 'let me know', 'feel free',
  "don't hesitate", 'do not hesitate', 'please let', 'please reach', 'please contact', 'please check', 'please note',
  'if you have', 'if you need', 'if you want', 'if you would', "if you'd", 'if your', 'if you are', "if you're", 'if anything',
  'hi', 'hello', 'hey', "you're welcome", 'you are welcome', 'no problem', 'ok', 'okay', 'got it', 'i see', 'i understand',
  'sorry', 'i apologize', 'i am sorry', "i'm sorry", 'anything else', 'is there anything', 'have a ', 'good luck', 'cheers',
  'in short', 'to summarize', 'in summary', 'hope it helps', 'let me check', "i'd recommend", 'i would recommend',
  'you may want', 'you might want', 'you can also', 'you could also', 'check with', 'reach out', 'contact your', 'ask your',
  'talk to', 'consult', 'see the', 'refer to',
]
const FILLER_RE = new RegExp(`^(?:${FILLER_OPENERS.map((o) => o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`)
/** Citation markers ("[1]", "[2, 3]") point at the context; they are not content. */
const CITATION_RE = /\[\d+(?:\s*[,–-]\s*\d+)*\]/g
const LEADING_PUNCT = /^[\s"'“‘(\-–—*•]+/

/** Share of a fully-specific-supported claim's missing common words that is forgiven as paraphrase. */
const PARAPHRASE_DISCOUNT = 0.3

/** The checkable items of a response sentence (citation markers removed). */
export function sentenceItems(sentence: string): Item[] {
  return claimItems(sentence.includes('[') ? sentence.replace(CITATION_RE, ' ') : sentence)
}

export type SentenceKind = 'claim' | 'question' | 'filler'

/**
 * What a sentence does. Sentences carrying a number or a name assert something checkable
 * ('claim'). Without one: questions ask rather than assert ('question'); conversational moves
 * (acknowledgements, greetings, offers of more help, sign-offs, advice such as "check with your
 * manager") and sentences without content words assert nothing ('filler'); the rest are claims.
 */
export function sentenceKind(sentence: string, items: readonly Item[]): SentenceKind {
  if (items.length === 0) return 'filler'
  for (const it of items) if (it.weight > WEIGHTS.content) return 'claim'
  const s = sentence.trim()
  if (s.endsWith('?')) return 'question'
  return FILLER_RE.test(s.replace(LEADING_PUNCT, '').toLowerCase()) ? 'filler' : 'claim'
}

export interface SentenceGrounding extends ClaimResult {
  kind: SentenceKind
}

/**
 * Grounding of each sentence against a support set. Filler is never checked (unsupported null).
 * Questions are checked, and grounding() counts them only when the reply makes no claim at all.
 */
export function groundClaims(
  sentences: readonly string[],
  support: ReadonlySet<string>,
  itemsOf: readonly Item[][] = sentences.map(sentenceItems),
): SentenceGrounding[] {
  return sentences.map((sentence, i) => {
    const items = itemsOf[i] ?? []
    const kind = sentenceKind(sentence, items)
    if (kind === 'filler') return { sentence, kind, unsupported: null, missing: [] }
    let total = 0
    let miss = 0
    let specifics = 0
    let specificMiss = 0
    let contentMiss = 0
    const missing: string[] = []
    for (const it of items) {
      total += it.weight
      const specific = it.weight > WEIGHTS.content
      if (specific) specifics++
      if (!support.has(it.key)) {
        miss += it.weight
        if (specific) specificMiss++
        else contentMiss += it.weight
        if (missing.length < 8) missing.push(it.text)
      }
    }
    // When every number and name of a claim is in the context, missing common words are mostly
    // paraphrase ("kept" for "retained"): they count 30% less.
    if (specifics > 0 && specificMiss === 0) miss -= contentMiss * PARAPHRASE_DISCOUNT
    return { sentence, kind, unsupported: miss / total, missing }
  })
}

// ---------------------------------------------------------------------------------------------
// SelfCheckGPT unigram

const WORD_RE = /[\p{L}\p{N}]+/gu

export interface SentenceConsistency {
  sentence: string
  /** Mean and max of -log P(token) under the unigram model (natural log). */
  avgNll: number
  maxNll: number
  /** maxNll (or avgNll, per aggregate) / log(N + V): in (0, 1]. */
  normalized: number
}

/**
 * SelfCheckGPT-Unigram: counts from the samples plus the response, add-one smoothing
 * P(w) = (c(w) + 1) / (N + V). Sentences are tokenized like the texts (lower-cased words).
 */
export function selfCheckUnigram(
  sentences: readonly string[],
  responseTokens: readonly string[],
  sampleTokens: readonly (readonly string[])[],
  aggregate: 'max' | 'avg' = 'max',
): SentenceConsistency[] {
  const counts = new Map<string, number>()
  let n = 0
  const add = (toks: readonly string[]) => {
    for (const t of toks) counts.set(t, (counts.get(t) ?? 0) + 1)
    n += toks.length
  }
  add(responseTokens)
  for (const s of sampleTokens) add(s)
  const denom = Math.log(n + counts.size)
  const out: SentenceConsistency[] = []
  for (const sentence of sentences) {
    const toks = sentence.toLowerCase().match(WORD_RE) ?? []
    if (toks.length === 0) continue
    let sum = 0
    let max = 0
    for (const t of toks) {
      const nll = denom - Math.log((counts.get(t) ?? 0) + 1)
      sum += nll
      if (nll > max) max = nll
    }
    const avg = sum / toks.length
    out.push({ sentence, avgNll: avg, maxNll: max, normalized: denom > 0 ? (aggregate === 'max' ? max : avg) / denom : 0 })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Scorer

export const HallucinationParamsSchema = z.object({
  /**
   * Grounding: flag when the mean claim unsupportedness reaches this. 0.25 since filler no longer
   * counts and paraphrase is discounted (values came down; dev F1 0.833 at 0.25 vs 0.795 at 0.3,
   * 0 % of grounded generator RAG answers flagged at either).
   */
  groundingThreshold: z.number().min(0).max(1).default(0.25),
  /**
   * Grounding: words of the user's prompt count as support. Off by default: a question can carry a
   * false premise, and restating it is not grounding (dev set: ROC-AUC 0.891 with, 0.919 without).
   */
  allowPromptWords: z.boolean().default(false),
  /** Consistency: sentence aggregate of token -log P ('max' is SelfCheckGPT's best unigram variant). */
  consistencyAggregate: z.enum(['max', 'avg']).default('max'),
  /** Consistency: flag when the mean normalized sentence score reaches this. */
  consistencyThreshold: z.number().min(0).max(1).default(0.85),
  /** How many worst sentences are listed in details, and their length cap. */
  maxListed: z.number().int().positive().default(3),
  maxSentenceChars: z.number().int().positive().default(160),
})
export type HallucinationParams = z.infer<typeof HallucinationParamsSchema>

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`
}

/**
 * Details are stored whatever the text mode, so quoted sentences are PII-redacted (before
 * truncation, so no partial value survives) and missing items that belong to a finding are dropped.
 */
function quoted(sentence: string, max: number, missing?: readonly string[]): { sentence: string; missing?: string[] } {
  const findings = detectPii(sentence)
  const text = cut(redactPii(sentence, findings), max)
  if (missing === undefined) return { sentence: text }
  return { sentence: text, missing: missing.filter((m) => !findings.some((f) => f.value.includes(m))) }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000
}

function grounding(input: ScoringInput, p: HallucinationParams): ScoreResult {
  // Only the keys the response needs are looked up in the context (no full support set).
  const itemsOf = input.response.sentences.map(sentenceItems)
  const needed = new Set<string>()
  for (const items of itemsOf) for (const it of items) needed.add(it.key)
  const support = new Set<string>()
  if (needed.size > 0) {
    for (const c of input.context) addNeededSupport(c, needed, support)
    if (p.allowPromptWords) addNeededSupport(input.prompt, needed, support)
  }
  const sentences = groundClaims(input.response.sentences, support, itemsOf)
  type Checked = SentenceGrounding & { unsupported: number }
  const isChecked = (c: SentenceGrounding): c is Checked => c.unsupported !== null
  // Claims are what a grounded reply must support; a reply made only of questions is judged on them.
  let checked: Checked[] = sentences.filter((c): c is Checked => isChecked(c) && c.kind === 'claim')
  if (checked.length === 0) checked = sentences.filter(isChecked)
  if (checked.length === 0) {
    // Nothing checkable (e.g. "Thanks!"): no claim can be unsupported.
    return { target: 'response', status: 'ok', value: 0, label: 'no_claims', flagged: false, details: { method: 'grounding', claims: 0 } }
  }
  const value = checked.reduce((a, c) => a + c.unsupported, 0) / checked.length
  const worst = [...checked].sort((a, b) => b.unsupported - a.unsupported).filter((c) => c.unsupported > 0)
  const flagged = value >= p.groundingThreshold
  return {
    target: 'response',
    status: 'ok',
    value: round(value),
    label: flagged ? 'unsupported' : 'supported',
    flagged,
    details: {
      method: 'grounding',
      claims: checked.length,
      unsupported_claims: checked.filter((c) => c.unsupported >= p.groundingThreshold).length,
      // Fields listed, not spread: `{ ...o, k }` is a slow path in V8 (~1 us per object here).
      worst: worst.slice(0, p.maxListed).map((c) => {
        const q = quoted(c.sentence, p.maxSentenceChars, c.missing)
        return { sentence: q.sentence, missing: q.missing, unsupported: round(c.unsupported) }
      }),
    },
  }
}

function consistency(input: ScoringInput, p: HallucinationParams): ScoreResult {
  const sents = selfCheckUnigram(
    input.response.sentences,
    input.response.tokens,
    input.samples.map((s) => s.tokens),
    p.consistencyAggregate,
  )
  if (sents.length === 0) {
    return { target: 'response', status: 'not_applicable', value: null, label: 'empty_response', flagged: false, details: { method: 'consistency' } }
  }
  const value = sents.reduce((a, s) => a + s.normalized, 0) / sents.length
  const flagged = value >= p.consistencyThreshold
  return {
    target: 'response',
    status: 'ok',
    value: round(value),
    label: flagged ? 'inconsistent' : 'consistent',
    flagged,
    details: {
      method: 'consistency',
      aggregate: p.consistencyAggregate,
      samples: input.samples.length,
      sentences: sents.length,
      worst: [...sents]
        .sort((a, b) => b.normalized - a.normalized)
        .slice(0, p.maxListed)
        .map((s) => ({ sentence: quoted(s.sentence, p.maxSentenceChars).sentence, score: round(s.normalized), max_nll: round(s.maxNll), avg_nll: round(s.avgNll) })),
    },
  }
}

export const hallucinationScorer: Scorer<HallucinationParams> = {
  name: 'hallucination',
  version: '1.0.0',
  reads: ['response_text', 'retrieved_context', 'sampled_responses', 'messages'],
  params: HallucinationParamsSchema,
  score(input: ScoringInput, params: HallucinationParams): ScoreResult[] {
    const hasContext = input.context.some((c) => c.raw.trim().length > 0)
    const hasSamples = input.samples.some((s) => s.raw.trim().length > 0)
    if (input.response.raw.trim().length === 0 || (!hasContext && !hasSamples)) {
      return [{ target: 'response', status: 'not_applicable', value: null, label: hasContext || hasSamples ? 'empty_response' : 'no_reference', flagged: false, details: {} }]
    }
    return [hasContext ? grounding(input, params) : consistency(input, params)]
  },
}
