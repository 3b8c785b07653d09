/**
 * Text analysis shared by every scorer: each text of an event is lower-cased, de-obfuscated,
 * tokenized and split into sentences exactly once (`prepare`), and all scorers read the result.
 *
 * Normalization (what `normalized` / `normTokens` hold), per whitespace-separated chunk:
 * - HTML entities (`&amp;`, `&#8220;`) are dropped or decoded (social-media text is full of them);
 * - leetspeak inside words that contain at least one letter: @->a, 4->a, 3->e, 1/!/|->i, 0->o,
 *   $/5->s, 7/+->t (pure numbers such as "2024" are left alone);
 * - punctuation inside a word is removed ("f.u.c.k", "sh*t" -> "fuck", "sht");
 * - runs of 3+ identical letters collapse to one ("stuuupid" -> "stupid", "fuuuuck" -> "fuck");
 * - runs of 3+ single-letter chunks are joined ("f u c k" -> "fuck");
 * - sentence punctuation becomes a separate "." token, commas a "," token and quote marks a '"'
 *   token, so scorers can scope negation and quotation without re-reading the raw text.
 * Everything is linear in the text length: no backtracking-prone regexes.
 */
import { promptText, type LlmInteraction } from '../../shared/contract.js'
import type { AnalyzedText, ScoringInput } from './scorer.js'

/** AnalyzedText plus the normalized word tokens (what `normalized` is the space-join of). */
export interface Analyzed extends AnalyzedText {
  readonly normTokens: readonly string[]
}

const LEET: Record<string, string> = {
  '@': 'a',
  '4': 'a',
  '3': 'e',
  '1': 'i',
  '!': 'i',
  '|': 'i',
  '0': 'o',
  $: 's',
  '5': 's',
  '7': 't',
  '+': 't',
}

// Letters/digits: ASCII plus the Latin-1..CJK letter ranges, without the slow unicode-property regex.
const WORD_RE = /[a-z0-9\u00c0-\u1fff\u2c00-\ud7ff]+/g
const HAS_LETTER = /\p{L}/u
const PLAIN_WORD = /^[a-z]+$/
const SENT_END = /[.!?;:]/
const QUOTES = /["“”«»„]/
const ENTITY_RE = /&(#\d+|[a-z]+);/g
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

const TRIPLE = /(.)\1\1/
/** Collapses runs of 3+ identical characters to one. */
function collapseRuns(w: string): string {
  if (!TRIPLE.test(w)) return w
  let out = ''
  let i = 0
  while (i < w.length) {
    const c = w[i] as string
    let j = i + 1
    while (j < w.length && w[j] === c) j++
    out += j - i >= 3 ? c : w.slice(i, j)
    i = j
  }
  return out
}

/** Normalizes one lower-cased chunk into a word (possibly empty) and punctuation markers. */
function normChunk(chunk: string, out: string[]): void {
  // Fast path: a plain lower-case word.
  if (PLAIN_WORD.test(chunk)) {
    out.push(chunk.length >= 3 ? collapseRuns(chunk) : chunk)
    return
  }
  // Leading quote / trailing sentence punctuation, comma or quote become marker tokens.
  let start = 0
  let end = chunk.length
  let leadQuote = false
  while (start < end && !isWordish(chunk[start] as string)) {
    if (QUOTES.test(chunk[start] as string)) leadQuote = true
    start++
  }
  let trailQuote = false
  let trailSent = false
  let trailComma = false
  while (end > start && !isWordish(chunk[end - 1] as string)) {
    const c = chunk[end - 1] as string
    if (QUOTES.test(c)) trailQuote = true
    else if (SENT_END.test(c)) trailSent = true
    else if (c === ',') trailComma = true
    end--
  }
  // A leading "@" or "$" is leet ("@ss", "$hit") only if followed by letters; keep it in the core.
  if (start > 0 && (chunk[start - 1] === '@' || chunk[start - 1] === '$') && start < end) start--
  if (leadQuote) out.push('"')
  const core = chunk.slice(start, end)
  // Real hyphenated compounds ("african-american", "well-known") split into words; short
  // hyphenated pieces ("f-u-c-k") are obfuscation and are joined below.
  if (core.includes('-')) {
    const parts = core.split('-')
    if (parts.every((x) => x.length >= 3)) {
      for (const part of parts) normChunk(part, out)
      if (trailQuote) out.push('"')
      if (trailSent) out.push('.')
      else if (trailComma) out.push(',')
      return
    }
  }
  if (core.length > 0) {
    let w = ''
    if (HAS_LETTER.test(core)) {
      for (const c of core) {
        const m = LEET[c]
        if (m !== undefined) w += m
        else if (isLetterOrDigit(c)) w += c
        // any other punctuation inside a word is dropped
      }
    } else {
      w = core.replace(/[^\p{N}]+/gu, '')
    }
    if (w.length > 0) out.push(w.length >= 3 ? collapseRuns(w) : w)
  }
  if (trailQuote) out.push('"')
  if (trailSent) out.push('.')
  else if (trailComma) out.push(',')
}

function isLetterOrDigit(c: string): boolean {
  const code = c.charCodeAt(0)
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90)
  return /[\p{L}\p{N}]/u.test(c)
}

/** Characters that can be part of an obfuscated word (letters, digits, leet symbols). */
function isWordish(c: string): boolean {
  return isLetterOrDigit(c) || (LEET[c] !== undefined && c !== '!' && c !== '|' && c !== '+')
}

/** Joins runs of 3+ single-letter tokens ("f u c k" -> "fuck"). */
function joinSpacedLetters(toks: string[]): string[] {
  const out: string[] = []
  let i = 0
  while (i < toks.length) {
    const t = toks[i] as string
    if (t.length === 1 && isLetterOrDigit(t)) {
      let j = i
      while (j < toks.length && (toks[j] as string).length === 1 && isLetterOrDigit(toks[j] as string)) j++
      if (j - i >= 3) {
        out.push(collapseRuns(toks.slice(i, j).join('')))
        i = j
        continue
      }
    }
    out.push(t)
    i++
  }
  return out
}

function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s
  return s.replace(ENTITY_RE, (_m, name: string) => {
    if (name.startsWith('#')) {
      const code = Number(name.slice(1))
      // Emoji and other symbols carry no words: replace with a space. Letters are kept.
      return code < 0x2000 ? String.fromCharCode(code) : code <= 0x201f ? '"' : ' '
    }
    return ENTITIES[name] ?? ' '
  })
}

/** Splits raw text into sentences on . ! ? followed by whitespace, and on line breaks. */
function splitSentences(raw: string): string[] {
  const out: string[] = []
  for (const part of raw.split(/(?<=[.!?])\s+|\n+/)) {
    const s = part.trim()
    if (s.length > 0) out.push(s)
  }
  return out
}

const EMPTY: Analyzed = { raw: '', normalized: '', tokens: [], sentences: [], normTokens: [] }

/** Analyses one text once: normalized form, word tokens, sentences. */
export function analyze(raw: string): Analyzed {
  if (raw.length === 0) return EMPTY
  const lower = decodeEntities(raw).toLowerCase()
  const tokens = lower.match(WORD_RE) ?? []
  const parts: string[] = []
  for (const chunk of lower.split(/\s+/)) {
    if (chunk.length > 0) normChunk(chunk, parts)
  }
  const normTokens = joinSpacedLetters(parts)
  return { raw, normalized: normTokens.join(' '), tokens, sentences: splitSentences(raw), normTokens }
}

/** The normalized tokens of an AnalyzedText (from `analyze`, or re-split when built elsewhere). */
export function normTokensOf(t: AnalyzedText): readonly string[] {
  const n = (t as Partial<Analyzed>).normTokens
  return n ?? (t.normalized.length === 0 ? [] : t.normalized.split(' '))
}

/** Prepares an event for scoring: every text analysed once. */
export function prepare(event: LlmInteraction): ScoringInput {
  return {
    event,
    prompt: analyze(promptText(event)),
    response: analyze(event.response_text),
    context: event.retrieved_context.map(analyze),
    samples: event.sampled_responses.map(analyze),
  }
}
