/**
 * Text analysis shared by every scorer: each text of an event is lower-cased, de-obfuscated,
 * tokenized and split into sentences at most once, and all scorers read the result.
 *
 * `analyze(raw)` returns a lazy view: nothing is computed until a scorer reads a field, and each
 * derived field is computed once and cached on the object. `tokens` and `normTokens` come from one
 * char-code pass over the lower-cased text (no per-character regexes); `sentences`, `normalized`
 * and `lower` are built on first read. So a retrieved chunk that only the grounding check reads
 * never pays for sentence splitting, and a sample never pays for more than its tokens.
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
 *
 * The scan has a fast path for the common chunk shapes (a lower-case word, possibly with
 * apostrophes, brackets or trailing punctuation); every other chunk (digits, leet symbols, quotes,
 * hyphens, non-ASCII) goes through `normChunk`, the general rule set. Both give the same tokens:
 * test/unit/scorer-core.test.ts checks the fast path against a plain reference implementation.
 */
import { promptText, type LlmInteraction } from '../../shared/contract.js'
import type { AnalyzedText, ScoringInput } from './scorer.js'

/** AnalyzedText plus views the scorers share (all lazy and cached, see the module comment). */
export interface Analyzed extends AnalyzedText {
  /** Normalized word and marker tokens (what `normalized` is the space-join of). */
  readonly normTokens: readonly string[]
  /** `raw` with HTML entities decoded, lower-cased (what `tokens` are cut from). */
  readonly lower: string
  /** Intern ids of `normTokens`, index for index (see `normIdsOf`). */
  readonly normIds: readonly number[]
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

const HAS_LETTER = /\p{L}/u
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u
const ENTITY_RE = /&(#\d+|[a-z]+);/g
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

// ---------------------------------------------------------------------------------------------
// Character classes by code unit

/** `\s` of JS regexes (what `split(/\s+/)` and `trim()` use). */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13)
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
}

/** Word-token characters: ASCII lower-case letters and digits plus the Latin-1..CJK letter ranges. */
function isWordCode(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57)
  return (c >= 0xc0 && c <= 0x1fff) || (c >= 0x2c00 && c <= 0xd7ff)
}

/** Per ASCII code: how the chunk fast path treats it. */
const enum Fast {
  /** Not handled by the fast path: the chunk goes to normChunk. */
  Slow = 0,
  Letter = 1,
  /** Punctuation dropped wherever it stands, no marker. */
  Drop = 2,
  /** Sentence punctuation: a "." marker when it trails the word, dropped inside it. */
  Sent = 3,
  Comma = 4,
  /** '!', '|', '+': leet inside a word (so slow there), but a plain trailing mark after it. */
  LeetMark = 5,
  /** 0-9: fast only in a chunk without letters (a number); leet inside a word. */
  Digit = 6,
  /** Quote marks: a '"' marker before or after the word, dropped inside it. */
  Quote = 7,
  /** '-': dropped, but a compound of 3+ letter parts splits into words ("well-known"). */
  Hyphen = 8,
}
const FAST = new Uint8Array(128)
for (let c = 97; c <= 122; c++) FAST[c] = Fast.Letter
for (let c = 48; c <= 57; c++) FAST[c] = Fast.Digit
// Leet symbols '@' and '$' have their own rules: Slow (0). Other ASCII punctuation
// is neither a letter nor leet, so normChunk drops it inside a word and strips it at the edges.
for (const ch of "'#%&()*/<=>[\\]^_`{}~") FAST[ch.charCodeAt(0)] = Fast.Drop
for (const ch of '.?;:') FAST[ch.charCodeAt(0)] = Fast.Sent
FAST[44] = Fast.Comma
FAST[33] = Fast.LeetMark // '!' is also sentence punctuation when trailing
FAST[124] = Fast.LeetMark
FAST[43] = Fast.LeetMark
FAST[34] = Fast.Quote
FAST[45] = Fast.Hyphen

/** How the chunk fast path treats a character code. */
function fastKind(c: number): Fast {
  if (c < 128) return FAST[c] as Fast
  if (c === 0x201c || c === 0x201d || c === 0x201e || c === 0xab || c === 0xbb) return Fast.Quote
  return isDropMark(c) ? Fast.Drop : Fast.Slow
}

/**
 * Non-ASCII marks that are neither letters, digits, leet, quote marks, spaces nor '-': normChunk
 * drops them like ASCII punctuation. Currency, arrows, general punctuation (minus the quote marks
 * 201C-201E) and a few Latin-1 symbols; test/unit/scorer-core.test.ts checks the ranges.
 */
export function isDropMark(c: number): boolean {
  if (c < 0x2010) return c === 0xa3 || c === 0xa5 || c === 0xa7 || c === 0xa9 || c === 0xae || c === 0xb0 || c === 0xb7
  if (c <= 0x205e) return (c <= 0x2027 || c >= 0x2030) && c !== 0x201c && c !== 0x201d && c !== 0x201e
  return (c >= 0x20a0 && c <= 0x20cf) || (c >= 0x2190 && c <= 0x21ff)
}

// ---------------------------------------------------------------------------------------------
// The general rule set (any chunk)

/** True when w has a run of 3+ identical characters. */
function hasTriple(w: string): boolean {
  for (let i = 2; i < w.length; i++) {
    const c = w.charCodeAt(i)
    if (c === w.charCodeAt(i - 1) && c === w.charCodeAt(i - 2)) return true
  }
  return false
}

/** Collapses runs of 3+ identical characters to one. */
function collapseRuns(w: string): string {
  if (!hasTriple(w)) return w
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

function isQuote(c: string): boolean {
  return c === '"' || c === '“' || c === '”' || c === '«' || c === '»' || c === '„'
}

function isSentEnd(c: string): boolean {
  return c === '.' || c === '!' || c === '?' || c === ';' || c === ':'
}

function isPlainWord(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 97 || c > 122) return false
  }
  return true
}

/** Normalizes one lower-cased chunk into a word (possibly empty) and punctuation markers. */
function normChunk(chunk: string, out: string[]): void {
  if (isPlainWord(chunk)) {
    out.push(chunk.length >= 3 ? collapseRuns(chunk) : chunk)
    return
  }
  // Leading quote / trailing sentence punctuation, comma or quote become marker tokens.
  let start = 0
  let end = chunk.length
  let leadQuote = false
  while (start < end && !isWordish(chunk[start] as string)) {
    if (isQuote(chunk[start] as string)) leadQuote = true
    start++
  }
  let trailQuote = false
  let trailSent = false
  let trailComma = false
  while (end > start && !isWordish(chunk[end - 1] as string)) {
    const c = chunk[end - 1] as string
    if (isQuote(c)) trailQuote = true
    else if (isSentEnd(c)) trailSent = true
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
  return LETTER_OR_DIGIT.test(c)
}

/** Characters that can be part of an obfuscated word (letters, digits, leet symbols). */
function isWordish(c: string): boolean {
  return isLetterOrDigit(c) || (LEET[c] !== undefined && c !== '!' && c !== '|' && c !== '+')
}

/** Joins runs of 3+ single-letter tokens ("f u c k" -> "fuck"); a joined token has id -1. */
function joinSpacedLetters(toks: string[], ids: number[]): { toks: string[]; ids: number[] } {
  let i = 0
  // Most texts have no such run: return the array itself unless one is found.
  while (i < toks.length) {
    if (isSingle(toks[i] as string) && i + 2 < toks.length && isSingle(toks[i + 1] as string) && isSingle(toks[i + 2] as string)) break
    i++
  }
  if (i === toks.length) return { toks, ids }
  const out = toks.slice(0, i)
  const outIds = ids.slice(0, i)
  while (i < toks.length) {
    const t = toks[i] as string
    if (isSingle(t)) {
      let j = i
      while (j < toks.length && isSingle(toks[j] as string)) j++
      if (j - i >= 3) {
        out.push(collapseRuns(toks.slice(i, j).join('')))
        outIds.push(-1)
        i = j
        continue
      }
    }
    out.push(t)
    outIds.push(ids[i] as number)
    i++
  }
  return { toks: out, ids: outIds }
}

function isSingle(t: string): boolean {
  return t.length === 1 && isLetterOrDigit(t)
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

/**
 * Splits raw text into sentences: a cut after . ! ? followed by whitespace, and at line breaks;
 * pieces are trimmed and empty ones dropped (same as splitting on /(?<=[.!?])\s+|\n+/).
 */
export function splitSentences(raw: string): string[] {
  const out: string[] = []
  let start = 0
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    // Most characters are printable ASCII other than the space: neither a cut nor a space.
    if (c > 32 && c < 127) continue
    if (c === 10 || (isSpace(c) && i > 0 && isSentPunct(raw.charCodeAt(i - 1)))) {
      const s = raw.slice(start, i).trim()
      if (s.length > 0) out.push(s)
      start = i + 1
    }
  }
  const s = raw.slice(start).trim()
  if (s.length > 0) out.push(s)
  return out
}

function isSentPunct(c: number): boolean {
  return c === 46 || c === 33 || c === 63
}

// ---------------------------------------------------------------------------------------------
// The scan

// Letters/digits: ASCII plus the Latin-1..CJK letter ranges, without the slow unicode-property regex.
// (V8's regex engine cuts these tokens faster than a JS char loop does.)
const WORD_RE = /[a-z0-9\u00c0-\u1fff\u2c00-\ud7ff]+/g

// ---------------------------------------------------------------------------------------------
// Interned plain words
//
// Texts repeat a small vocabulary. Each scorer looks tokens up in Maps and Sets, and the first
// lookup of a fresh string pays for hashing it (V8 caches the hash on the string object). The
// scan computes a hash of each plain word while it reads the letters anyway and returns the
// string object it already returned for the same word, when there is one: no new string, and the
// scorers' lookups find a hash already computed. Open addressing over a fixed table that stops
// growing when half full, so a stream of unique words cannot grow memory.
//
// Each interned word also has a small integer id (its index in the table), handed to scorers as
// `normIdsOf(text)` next to the tokens, so that a scorer can keep per-word facts in an array
// indexed by id instead of looking each token up in a Map. Ids never change: the table is not
// cleared but frozen when full (later new words are plain strings with id -1, scored the same way
// through the Map path), so a per-id cache stays valid for the life of the process.

const INTERN_BITS = 16
const INTERN_MASK = (1 << INTERN_BITS) - 1
/** Most words interned (half of the slots keeps probes short); ids are below this. */
export const INTERN_MAX = 1 << (INTERN_BITS - 1)
/** Slot -> index + 1 into INTERN_WORDS (0: empty). */
const INTERN_SLOTS = new Int32Array(1 << INTERN_BITS)
// The marker tokens take the first ids (they have no slot: plain words are looked up, markers never).
const INTERN_HASHES: number[] = [0, 0, 0]
const INTERN_WORDS: string[] = ['.', ',', '"']
const DOT_ID = 0
const COMMA_ID = 1
const QUOTE_ID = 2

/** The intern id of a marker token, -1 for any other token. */
function markerId(t: string): number {
  return t.length !== 1 ? -1 : t === '.' ? DOT_ID : t === ',' ? COMMA_ID : t === '"' ? QUOTE_ID : -1
}

/**
 * Pushes the word s[cs, j) (hash h, see scanNorm) to parts and its id to ids: the same string
 * object as for earlier equal words, and its id (-1 once the table is full and the word is new).
 */
function pushInterned(s: string, cs: number, j: number, h: number, parts: string[], ids: number[]): void {
  const id = internId(s, cs, j, h)
  parts.push(id >= 0 ? (INTERN_WORDS[id] as string) : s.slice(cs, j))
  ids.push(id)
}

/** The intern id of the word s[cs, j) (hash h, see scanNorm), interned now if new; -1 once the table is full and the word is new. */
function internId(s: string, cs: number, j: number, h: number): number {
  const len = j - cs
  let slot = h & INTERN_MASK
  for (;;) {
    const idx = INTERN_SLOTS[slot] as number
    if (idx === 0) break
    if (INTERN_HASHES[idx - 1] === h) {
      const w = INTERN_WORDS[idx - 1] as string
      if (w.length === len && sameChars(s, cs, w)) return idx - 1
    }
    slot = (slot + 1) & INTERN_MASK
  }
  if (INTERN_WORDS.length >= INTERN_MAX) return -1
  INTERN_WORDS.push(cs === 0 && j === s.length ? s : s.slice(cs, j))
  INTERN_HASHES.push(h)
  INTERN_SLOTS[slot] = INTERN_WORDS.length
  return INTERN_WORDS.length - 1
}

/**
 * Ids for parts[ids.length ..]: the tokens a chunk that is not a plain word gave ("don't" -> "dont",
 * "(word)", "well-known", "42"): markers have theirs, plain words and short numbers are interned like
 * scanNorm's words (and replaced by the interned string object), anything else gets -1.
 */
function idsForTail(parts: string[], ids: number[]): void {
  for (let k = ids.length; k < parts.length; k++) {
    const t = parts[k] as string
    let id = markerId(t)
    if (id < 0 && (isPlainWord(t) || isShortNumber(t))) {
      let h = 0
      for (let i = 0; i < t.length; i++) h = (Math.imul(h, 31) + t.charCodeAt(i)) | 0
      id = internId(t, 0, t.length, h)
      if (id >= 0) parts[k] = INTERN_WORDS[id] as string
    }
    ids.push(id)
  }
}

/**
 * 1-3 ASCII digits ("5", "42", "200"): interned like words, since they are most of the tokens that
 * had no id; at most 1,110 such strings, so numbers cannot fill the table (longer ones are not interned).
 */
function isShortNumber(t: string): boolean {
  if (t.length > 3) return false
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return t.length > 0
}

function sameChars(s: string, cs: number, w: string): boolean {
  for (let k = 0; k < w.length; k++) if (s.charCodeAt(cs + k) !== w.charCodeAt(k)) return false
  return true
}

/** Normalized tokens of a lower-cased text and their intern ids (-1: none), chunk by chunk. */
function scanNorm(s: string): { toks: string[]; ids: number[] } {
  const parts: string[] = []
  const ids: number[] = []
  const n = s.length
  let i = 0
  while (i < n) {
    let c = s.charCodeAt(i)
    if (isSpace(c)) {
      i++
      continue
    }
    const cs = i
    // Tight loop over lower-case letters (most chunks are plain words), noting runs of three.
    let triple = false
    let p1 = -1 // the two previous letters
    let p2 = -1
    let j = i
    let h = 0 // hash of the letters, for internWord
    while (j < n) {
      c = s.charCodeAt(j)
      if (c < 97 || c > 122) break
      if (c === p1 && c === p2) triple = true
      p2 = p1
      p1 = c
      h = (Math.imul(h, 31) + c) | 0
      j++
    }
    if (j > cs && (j === n || isSpace(c))) {
      if (triple) {
        parts.push(collapseRuns(s.slice(cs, j)))
        ids.push(-1)
      } else pushInterned(s, cs, j, h, parts, ids)
      i = j
      continue
    }
    // Next most common: a word and one trailing mark ("word," "word.") before a space.
    if (j > cs && (c === 44 || c === 46 || c === 63 || c === 33 || c === 59 || c === 58) && (j + 1 === n || isSpace(s.charCodeAt(j + 1)))) {
      if (triple) {
        parts.push(collapseRuns(s.slice(cs, j)))
        ids.push(-1)
      } else pushInterned(s, cs, j, h, parts, ids)
      parts.push(c === 44 ? ',' : '.')
      ids.push(c === 44 ? COMMA_ID : DOT_ID)
      i = j + 1
      continue
    }
    let e = j
    while (e < n && !isSpace(s.charCodeAt(e))) e++
    fastChunk(s, cs, e, parts)
    idsForTail(parts, ids)
    i = e
  }
  return joinSpacedLetters(parts, ids)
}

/**
 * One chunk s[cs, e) that is not a plain word. A word or a number with apostrophes, brackets,
 * quote marks, hyphens or trailing punctuation ("don't", "(3)", '"hi,"', "well-known.", "2,500")
 * is handled here with normChunk's rules; anything else (letters mixed with digits or leet, '@',
 * '$', non-ASCII letters) goes to normChunk itself.
 */
function fastChunk(s: string, cs: number, e: number, parts: string[]): void {
  let first = -1 // first and last letter or digit
  let last = -1
  let letters = 0
  let digits = 0
  let leetPending = false // a '!', '|' or '+' after a letter (leet if a letter follows)
  let leadQuote = false // a quote mark before the first letter or digit
  let hyphen = false
  let sent = false // trailing markers after the last letter or digit
  let comma = false
  let quote = false
  let triple = false // a run of 3+ identical characters of the word (as normChunk sees it)
  let prev = -1
  let run = 0
  for (let i = cs; i < e; i++) {
    const c = s.charCodeAt(i)
    const kind = fastKind(c)
    if (kind === Fast.Letter || kind === Fast.Digit) {
      if (kind === Fast.Letter) {
        if (leetPending || digits > 0) return normChunk(s.slice(cs, e), parts)
        letters++
      } else {
        // Digits in a word are leet ("st00pid"): only pure numbers take this path.
        if (letters > 0) return normChunk(s.slice(cs, e), parts)
        digits++
      }
      if (first < 0) first = i
      last = i
      sent = false
      comma = false
      quote = false
      if (c === prev) {
        if (++run >= 3) triple = true
      } else {
        prev = c
        run = 1
      }
      continue
    }
    switch (kind) {
      case Fast.Drop:
        break
      case Fast.Sent:
        sent = true
        break
      case Fast.Comma:
        comma = true
        break
      case Fast.Quote:
        if (first < 0) leadQuote = true
        else quote = true
        break
      case Fast.Hyphen:
        hyphen = true
        break
      case Fast.LeetMark:
        if (letters > 0) leetPending = true
        if (c === 33) sent = true
        break
      default:
        return normChunk(s.slice(cs, e), parts)
    }
  }
  if (leadQuote) parts.push('"')
  const count = letters + digits
  // Only punctuation ("—", "=>", "{"): normChunk strips it all and emits at most the quote marker.
  if (count === 0) return
  const core = hyphen ? s.slice(first, last + 1) : ''
  const pieces = hyphen && core.includes('-') ? core.split('-') : null
  if (pieces !== null && pieces.every((x) => x.length >= 3)) {
    // A real compound ("african-american"): each part is a word of its own.
    for (const piece of pieces) normChunk(piece, parts)
  } else {
    let w: string
    if (count === last - first + 1) w = s.slice(first, last + 1)
    else {
      w = ''
      for (let k = first; k <= last; k++) {
        const ck = s.charCodeAt(k)
        if ((ck >= 97 && ck <= 122) || (ck >= 48 && ck <= 57)) w += s[k] as string
      }
    }
    parts.push(triple ? collapseRuns(w) : w)
  }
  if (quote) parts.push('"')
  if (sent) parts.push('.')
  else if (comma) parts.push(',')
}

/** One analysed text; every derived view is computed on first read and cached. */
class LazyText implements Analyzed {
  private lowerCache: string | undefined = undefined
  private tokensCache: string[] | undefined = undefined
  private normCache: string[] | undefined = undefined
  private idsCache: number[] | undefined = undefined
  private normalizedCache: string | undefined = undefined
  private sentencesCache: string[] | undefined = undefined
  /** Results other modules cache on this text (`perText`), by slot. */
  readonly memo: unknown[] = []

  constructor(readonly raw: string) {}

  get lower(): string {
    if (this.lowerCache === undefined) this.lowerCache = decodeEntities(this.raw).toLowerCase()
    return this.lowerCache
  }

  get tokens(): readonly string[] {
    if (this.tokensCache === undefined) this.tokensCache = this.lower.match(WORD_RE) ?? []
    return this.tokensCache
  }

  get normTokens(): readonly string[] {
    if (this.normCache === undefined) {
      const r = scanNorm(this.lower)
      this.normCache = r.toks
      this.idsCache = r.ids
    }
    return this.normCache
  }

  get normIds(): readonly number[] {
    if (this.idsCache === undefined) void this.normTokens
    return this.idsCache as number[]
  }

  get normalized(): string {
    if (this.normalizedCache === undefined) this.normalizedCache = this.normTokens.join(' ')
    return this.normalizedCache
  }

  get sentences(): readonly string[] {
    if (this.sentencesCache === undefined) this.sentencesCache = splitSentences(this.raw)
    return this.sentencesCache
  }


  /** Plain-object form (JSON.stringify, test output): getters are not own properties. */
  toJSON(): { raw: string; normalized: string; tokens: readonly string[]; sentences: readonly string[] } {
    return { raw: this.raw, normalized: this.normalized, tokens: this.tokens, sentences: this.sentences }
  }
}

const EMPTY: Analyzed = Object.freeze({ raw: '', normalized: '', tokens: [], sentences: [], normTokens: [], normIds: [], lower: '' })

/** Analyses one text (lazily: see the module comment). */
export function analyze(raw: string): Analyzed {
  if (raw.length === 0) return EMPTY
  return new LazyText(raw)
}

/** The normalized tokens of an AnalyzedText (from `analyze`, or re-split when built elsewhere). */
export function normTokensOf(t: AnalyzedText): readonly string[] {
  const n = (t as Partial<Analyzed>).normTokens
  return n ?? (t.normalized.length === 0 ? [] : t.normalized.split(' '))
}

/**
 * The intern ids of `normTokensOf(t)`, index for index (-1: not interned; see the intern table
 * above), or undefined for an AnalyzedText built elsewhere: callers then look tokens up by string.
 */
export function normIdsOf(t: AnalyzedText): readonly number[] | undefined {
  return (t as Partial<Analyzed>).normIds
}

let memoSlots = 0

/**
 * Wraps a pure function of a text so it runs at most once per analysed text: the result is kept
 * in a slot of the text object (a WeakMap for an AnalyzedText built elsewhere). For results that
 * several scorers or the engine read (PII findings, group mentions).
 */
export function perText<T>(compute: (t: AnalyzedText) => T): (t: AnalyzedText) => T {
  const slot = memoSlots++
  const other = new WeakMap<AnalyzedText, T>()
  return (t) => {
    if (t instanceof LazyText) {
      let v = t.memo[slot] as T | undefined
      if (v === undefined) {
        v = compute(t)
        t.memo[slot] = v
      }
      return v
    }
    let v = other.get(t)
    if (v === undefined) {
      v = compute(t)
      other.set(t, v)
    }
    return v
  }
}

/** Prepares an event for scoring: one lazy view per text, shared by every scorer. */
export function prepare(event: LlmInteraction): ScoringInput {
  return {
    event,
    prompt: analyze(promptText(event)),
    response: analyze(event.response_text),
    context: event.retrieved_context.map(analyze),
    samples: event.sampled_responses.map(analyze),
  }
}
