/**
 * Hashed text features shared by training (services/scorer/train) and inference (./linear.ts), so
 * the two cannot drift: a text is the normalized tokens of text.ts (leetspeak, spacing and repeated
 * letters already folded), with its emoji spelled out as words (modelText).
 *
 * Per token, fastText-style: the word itself and its character 3-5-grams with boundary marks
 * ("<idiot>" -> "<id", "idi", ..., "ot>", ...), so misspellings and obfuscations that survive
 * normalization still share most features with the word. Per pair of neighbouring tokens: the word
 * bigram, which is what sees negation ("dont hate") and phrasing ("ignore previous").
 * Every feature is hashed (FNV-1a, 32 bit) into `2^bits` buckets; a feature's value is its count
 * divided by sqrt(number of tokens), so long and short texts score on one scale. Optionally the
 * text's mean word vector follows (./embeddings.ts).
 *
 * A linear model over these features decomposes per token: a token always adds the same weights
 * (and the same share of the mean vector), so inference caches each token's sums per intern id
 * (see linear.ts) and a text costs one array read per token plus one weight read per bigram.
 */
import emojilib from 'emojilib'
import type { Embeddings } from './embeddings.js'
import type { AnalyzedText } from '../scorer.js'
import { analyze, normIdsOf, normTokensOf, perText } from '../text.js'
import { findGroups, groupsOf, PROTECTED, type GroupMention } from '../lexicons/groups.js'

/** Most tokens a text contributes (long documents: the first ones). */
export const MAX_TOKENS = 400

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a over the UTF-16 code units of `s`, seeded so feature kinds do not collide by construction. */
export function fnv1a(s: string, seed = FNV_OFFSET): number {
  let h = seed >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, FNV_PRIME)
  }
  return h >>> 0
}

/** The hash of a whole token (also the input of its bigrams). */
export function tokenHash(tok: string): number {
  return fnv1a(tok, 0x2545f491)
}

/** Bucket of the bigram (a, b), from the two token hashes. */
export function bigramBucket(ha: number, hb: number, mask: number): number {
  let h = Math.imul(ha ^ 0x9e3779b9, 0x85ebca6b) ^ hb
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35)
  return ((h ^ (h >>> 13)) >>> 0) & mask
}

/** Buckets of one token's own features: the word and its character 3-5-grams. Repeats are kept (counts). */
export function tokenBuckets(tok: string, mask: number): number[] {
  const out = [tokenHash(tok) & mask]
  if (tok.length < 2 || tok.length > 30) return out
  const w = `<${tok}>`
  for (let n = 3; n <= 5; n++) {
    if (n > w.length) break
    for (let i = 0; i + n <= w.length; i++) out.push(fnv1a(w.slice(i, i + n)) & mask)
  }
  return out
}

const NON_ASCII = /[^\x00-\x7f]/
const EMOJI = /\p{Extended_Pictographic}/u
/**
 * Code units that can begin a pictograph: every \p{Extended_Pictographic} code point is U+00A9,
 * U+00AE, one of the pictographs in U+2000-U+32FF (listed here once, at load), or astral with a
 * high surrogate D83C-D83F (test/unit/models.test.ts checks all code points). A cheap non-unicode
 * scan (after the cheaper ASCII-only test) that arrows and currency signs ("→", "€") do not hit; the
 * \p{} regex runs only on texts it hits.
 */
export const EMOJI_CANDIDATE = ((): RegExp => {
  let cls = '\\u00a9\\u00ae\\ud83c-\\ud83f'
  for (let c = 0x2000; c < 0x3300; c++) if (EMOJI.test(String.fromCharCode(c))) cls += `\\u${c.toString(16)}`
  return new RegExp(`[${cls}]`)
})()
const EMOJI_ALL = /\p{Extended_Pictographic}/gu
const MODIFIERS = /[\u{1f3fb}-\u{1f3ff}\u{200d}]/gu

const EMOJI_NAMES = emojilib as unknown as Record<string, string[]>

/**
 * An emoji as words: its own token ("emoj" + the code point in base 16 spelled a-p, a word that
 * normalization keeps) and the first keywords emojilib gives it (🔪 -> kitchen knife blade, 🐀 -> rat
 * animal mouse), so an emoji shares features with the words it stands for.
 */
function emojiWords(e: string): string {
  const cp = e.codePointAt(0) ?? 0
  let s = ''
  for (const ch of cp.toString(16)) s += String.fromCharCode(97 + parseInt(ch, 16))
  const names = EMOJI_NAMES[e] ?? EMOJI_NAMES[`${e}\ufe0f`] ?? []
  const words = [...new Set(names.slice(0, 3).flatMap((k) => k.split('_')))].slice(0, 4)
  return ` emoj${s} ${words.join(' ')} `
}

/**
 * How a model sees mentions of protected groups (lexicons/groups.ts): 'replace' puts one class
 * token in place of the mention, so what is learned about "women are pathetic" carries over to
 * "<any group> are pathetic" and the group word alone carries no weight ("I love women" is not
 * toxic because "women" appeared in sexist posts); 'none' keeps the words.
 */
export type GroupMode = 'none' | 'replace'
/** The class token of a protected-group mention. */
export const GROUP_TOKEN = 'grpmention'

/** The text itself, or, when it has pictographs, its analysis with them spelled out (once per text). */
const withEmojiWords = perText((text: AnalyzedText): AnalyzedText => (NON_ASCII.test(text.raw) && EMOJI_CANDIDATE.test(text.raw) && EMOJI.test(text.raw) ? analyze(text.raw.replace(MODIFIERS, '').replace(EMOJI_ALL, emojiWords)) : text))

/** The tokens a model reads, with their intern ids (text.ts `normIdsOf`; -1: none) when known. */
export interface ModelText {
  readonly tokens: readonly string[]
  readonly ids: readonly number[] | undefined
}

/**
 * The token sequence a model reads: the normalized tokens of text.ts (markers ".", ",", '"' kept:
 * they break bigrams across sentences and quotes), at most MAX_TOKENS. Emoji, which normalization
 * drops, become words in place ("I would love to 🔪 some 👳🏾" keeps the knife and the person, skin
 * tone dropped): a text with pictographs is analysed once more with them spelled out (rare, and
 * only then). With groups 'replace', each protected-group mention becomes GROUP_TOKEN.
 */
export function modelText(text: AnalyzedText, groups: GroupMode = 'none'): ModelText {
  const src = withEmojiWords(text)
  const norm = normTokensOf(src)
  const normIds = normIdsOf(src)
  const mentions = groups === 'none' ? undefined : src === text ? groupsOf(text) : findGroups(norm)
  const n = Math.min(norm.length, MAX_TOKENS)
  if (mentions === undefined || !mentions.some((m) => PROTECTED.has(m.category) && m.index < n)) {
    return n === norm.length ? { tokens: norm, ids: normIds } : { tokens: norm.slice(0, n), ids: normIds?.slice(0, n) }
  }
  const tokens: string[] = []
  const ids: number[] = []
  let k = 0
  for (const m of mentions) {
    if (m.index < k || m.index >= n || !PROTECTED.has(m.category)) continue
    for (; k < m.index; k++) {
      tokens.push(norm[k] as string)
      ids.push(normIds?.[k] ?? -1)
    }
    tokens.push(GROUP_TOKEN)
    ids.push(-1)
    k = m.index + m.length
  }
  for (; k < n; k++) {
    tokens.push(norm[k] as string)
    ids.push(normIds?.[k] ?? -1)
  }
  return { tokens, ids }
}

/** The tokens of modelText (training and tests). */
export function modelTokens(text: AnalyzedText, groups: GroupMode = 'none'): readonly string[] {
  return modelText(text, groups).tokens
}

/** One text as a sparse vector (bucket -> value), for training. Same numbers inference computes. */
export function featurize(tokens: readonly string[], bits: number, emb?: Embeddings): { idx: Int32Array; val: Float64Array } {
  const mask = (1 << bits) - 1
  const counts = new Map<number, number>()
  const add = (b: number): void => {
    counts.set(b, (counts.get(b) ?? 0) + 1)
  }
  let prev = -1
  for (const t of tokens) {
    for (const b of tokenBuckets(t, mask)) add(b)
    const h = tokenHash(t)
    if (prev !== -1) add(bigramBucket(prev, h, mask))
    prev = h
  }
  const scale = 1 / Math.sqrt(Math.max(1, tokens.length))
  // The mean word vector (over the tokens that have one) after the hashed buckets.
  let mean: Float64Array | undefined
  if (emb !== undefined) {
    const sum = new Float64Array(emb.dims)
    let nv = 0
    for (const t of tokens) {
      const row = emb.rowOf(t)
      if (row < 0) continue
      emb.addTo(row, sum)
      nv++
    }
    if (nv > 0) mean = sum.map((x) => x / nv)
  }
  const nDense = mean?.length ?? 0
  const idx = new Int32Array(counts.size + nDense)
  const val = new Float64Array(counts.size + nDense)
  let i = 0
  for (const [b, c] of [...counts.entries()].sort((x, y) => x[0] - y[0])) {
    idx[i] = b
    val[i] = c * scale
    i++
  }
  for (let k = 0; k < nDense; k++) {
    idx[i] = (1 << bits) + k
    val[i] = (mean as Float64Array)[k] as number
    i++
  }
  return { idx, val }
}
