/**
 * Prompt-injection scorer, on the prompt (direct injection) and on each retrieved chunk
 * (indirect injection; reported once as target 'context' with the worst chunk's value).
 *
 * Evidence, combined as a noisy-or over distinct rules (lexicons/injection.ts):
 * - token-sequence rules over normalized tokens: override ("ignore previous instructions",
 *   "vergiss alle Anweisungen"), role-play jailbreaks ("you are now", "no restrictions", DAN,
 *   developer mode), extraction ("reveal your system prompt", "repeat the text above"), task
 *   hijack ("your new task", "instead say"), text addressed to the model inside documents;
 * - markup imitating chat templates or system headers (<|im_start|>, [INST], "### system:",
 *   "</context>"), checked on the raw text;
 * - encoded payloads: base64 / hex runs are decoded and re-scanned with the same rules.
 * A rule needs an instruction-like object, so benign uses of trigger words ("ignore the noise",
 * "bypass surgery", "override a method") do not fire on their own.
 */
import { z } from 'zod'
import { fixedDetails, withTarget, type AnalyzedText, type ScoreResult, type Scorer } from '../scorer.js'
import { analyze, normIdsOf, normTokensOf, type Analyzed } from '../text.js'
import { MARKUP, RULES, type InjectionKind, type Rule } from '../lexicons/injection.js'
import { model } from '../model/linear.js'

export const injectionParams = z
  .object({
    threshold: z.number().min(0).max(1).default(0.5),
    /** Decode base64/hex runs and re-scan them. */
    decodePayloads: z.boolean().default(true),
    /** Scan retrieved context chunks for indirect injection. */
    scanContext: z.boolean().default(true),
  })
  .strict()
export type InjectionParams = z.infer<typeof injectionParams>

const MAX_DECODES = 4

function matchFrom(toks: readonly string[], i: number, rule: Rule, slot: number): boolean {
  if (slot === rule.slots.length) return true
  const set = rule.slots[slot] as ReadonlySet<string>
  const gap = rule.gap ?? 3
  const end = Math.min(toks.length, i + gap + 1)
  for (let k = i; k < end; k++) {
    const t = toks[k] as string
    if (t === '.') return false // rules do not cross sentences
    if (set.has(t) && matchFrom(toks, k + 1, rule, slot + 1)) return true
  }
  return false
}

/** Whether token i opens a sentence or clause (imperatives live there). */
function opensClause(toks: readonly string[], i: number): boolean {
  if (i === 0) return true
  const prev = toks[i - 1]
  return prev === '.' || prev === ',' || prev === '"'
}

interface Hit {
  id: string
  kind: InjectionKind
  weight: number
}

/** Rules indexed by the tokens of their first slot, so a text is scanned once for all rules. */
const BY_FIRST = new Map<string, Rule[]>()
for (const rule of RULES) {
  for (const t of rule.slots[0] as ReadonlySet<string>) {
    const list = BY_FIRST.get(t) ?? []
    list.push(rule)
    BY_FIRST.set(t, list)
  }
}

/** BY_FIRST per intern id (text.ts `normIdsOf`), null when none; filled on first sight. */
const RULES_BY_ID: (Rule[] | null | undefined)[] = []

/**
 * Scans tokens for every rule; returns the longest token's length (gates the payload decoder).
 * `ids`: the tokens' intern ids when known (an array read instead of a Map lookup per word).
 */
function scanTokens(toks: readonly string[], hits: Map<string, Hit>, ids?: readonly number[]): number {
  let longest = 0
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i] as string
    if (tok.length > longest) longest = tok.length
    const id = ids !== undefined ? (ids[i] as number) : -1
    let rules: Rule[] | null | undefined
    if (id < 0) rules = BY_FIRST.get(tok)
    else {
      rules = RULES_BY_ID[id]
      if (rules === undefined) {
        rules = BY_FIRST.get(tok) ?? null
        RULES_BY_ID[id] = rules
      }
    }
    if (rules === undefined || rules === null) continue
    for (const rule of rules) {
      if (hits.has(rule.id) || (rule.start === true && !opensClause(toks, i))) continue
      if (matchFrom(toks, i + 1, rule, 1)) hits.set(rule.id, { id: rule.id, kind: rule.kind, weight: rule.weight })
    }
  }
  return longest
}

// Raw-text signals (case and layout matter, so they read the raw text, not the tokens).
/** A whole phrase typed as spaced letters ("S a y t h a t ..."): obfuscation against word filters. */
const SPACED_MIN = 10

function isLetterCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7)
}

/** Whether the text holds 10+ single letters separated by single spaces ("S a y t h a t ..."). */
function hasSpacedLetters(raw: string): boolean {
  let run = 0
  const n = raw.length
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i)
    const single = isLetterCode(c) && (i === 0 || !isLetterCode(raw.charCodeAt(i - 1))) && (i + 1 === n || !isLetterCode(raw.charCodeAt(i + 1)))
    if (!single) {
      if (c !== 32) run = 0
      continue
    }
    run++
    if (run >= SPACED_MIN) return true
    // The letter must be followed by exactly one space and another letter for the run to go on.
    if (raw.charCodeAt(i + 1) !== 32) run = 0
  }
  return false
}

/** A run of 4+ all-caps words: a shouted instruction inserted into ordinary text. */
const CAPS_RUN = /(?:\b[A-ZÄÖÜ]{2,}[\s,;:!?"'-]+){3,}[A-ZÄÖÜ]{2,}\b/
const LOWER_WORD = /[a-zäöüß]{3,}/
/** A script that ends on a speaker label ("... John:") asks the model to write that character's line. */
const COMPLETION_PREFIX = /(?:^|[\n.!?"]\s*)\p{Lu}\p{Ll}{1,20}:\s*$/u

/** Every needle of every markup rule, found in one pass (regex alternation of literals). */
const NEEDLE_RE = new RegExp([...new Set(MARKUP.flatMap((m) => m.needles))].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
/** Two single letters in a row (" a b "): the cheap gate for the spaced-letter scan. */
const TWO_SINGLES = / [A-Za-z] [A-Za-z] /

/** What the raw-text scan saw, so that a text quoted inside it can skip what cannot be there. */
interface RawFacts {
  /** Needles found (undefined: not known, scan). */
  found: ReadonlySet<string> | undefined
  /** Markup rules that matched. */
  matched: ReadonlySet<string>
  singles: boolean
  caps: boolean
}

const ALL_FACTS: RawFacts = { found: undefined, matched: new Set(), singles: true, caps: true }
/** Patterns anchored at the start of the text can match in a quoted text but not where it is quoted. */
const ANCHORED = new Set(MARKUP.filter((m) => m.pattern.source.startsWith('(?:^')).map((m) => m.id))

/**
 * Raw-text rules. `within`: facts of a text that contains this one verbatim. A pattern that did
 * not match there cannot match here (a substring), unless it is anchored at the start and its
 * needles were there; a pair of single letters or an all-caps run absent there is absent here.
 */
function scanRaw(raw: string, lower: string, hits: Map<string, Hit>, within: RawFacts = ALL_FACTS): RawFacts {
  let found = within.found
  if (found === undefined) {
    const seen = new Set<string>()
    NEEDLE_RE.lastIndex = 0
    for (let m = NEEDLE_RE.exec(lower); m !== null; m = NEEDLE_RE.exec(lower)) seen.add(m[0])
    found = seen
  }
  const quoted = within !== ALL_FACTS
  const matched = new Set<string>()
  if (found.size > 0) {
    for (const m of MARKUP) {
      if (quoted && !within.matched.has(m.id) && !ANCHORED.has(m.id)) continue
      if (m.needles.some((n) => found.has(n)) && m.pattern.test(lower)) {
        matched.add(m.id)
        hits.set(m.id, { id: m.id, kind: m.kind, weight: m.weight })
      }
    }
  }
  const facts: RawFacts = { found, matched, singles: false, caps: false }
  facts.singles = within.singles && TWO_SINGLES.test(raw)
  if (facts.singles && hasSpacedLetters(raw)) hits.set('spaced-letters', { id: 'spaced-letters', kind: 'obfuscation', weight: 0.55 })
  const caps = within.caps ? CAPS_RUN.exec(raw) : null
  facts.caps = caps !== null
  // Only an insertion when the rest of the text is ordinary mixed-case prose.
  if (caps !== null && LOWER_WORD.test(raw.slice(0, caps.index) + ' ' + raw.slice(caps.index + caps[0].length))) {
    hits.set('caps-insertion', { id: 'caps-insertion', kind: 'obfuscation', weight: 0.35 })
  }
  // Only the end of the text matters: test a short tail instead of scanning the whole text.
  if (COMPLETION_PREFIX.test(raw.slice(-48))) hits.set('completion-prefix', { id: 'completion-prefix', kind: 'jailbreak', weight: 0.3 })
  return facts
}

const MIN_RUN = 24
/** Normalization drops "+" and "/" inside a chunk, so a 24-char run leaves a token of at least this length. */
const MIN_TOKEN_FOR_PAYLOAD = 16

/** The lower-cased text: text.ts's cached view when there is one. */
function lowerOf(text: AnalyzedText): string {
  return (text as Partial<Analyzed>).lower ?? text.raw.toLowerCase()
}
const PRINTABLE = /[\p{L}\p{N}\p{P}\s]/u

/** Whether a char code can be part of a base64 run (letters, digits, + and /). */
function isB64(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
}

/** Decodes a candidate run when it yields mostly printable text. */
function decodeRun(run: string, encoding: 'hex' | 'base64'): string | undefined {
  const text = Buffer.from(run, encoding).toString('utf8')
  if (text.length < 8) return undefined
  let printable = 0
  for (const ch of text) if (PRINTABLE.test(ch)) printable++
  return printable / text.length > 0.9 ? text : undefined
}

/**
 * Finds base64 / hex runs (24+ characters without a break) in one linear pass and decodes those
 * that yield mostly printable text. Runs of all-hex characters are tried as hex first.
 */
function decodedPayloads(raw: string): string[] {
  const out: string[] = []
  const n = raw.length
  let i = 0
  while (i < n && out.length < MAX_DECODES) {
    if (!isB64(raw.charCodeAt(i))) {
      i++
      continue
    }
    let j = i
    let allHex = true
    while (j < n && isB64(raw.charCodeAt(j))) {
      if (allHex && !isHex(raw.charCodeAt(j))) allHex = false
      j++
    }
    if (j - i >= MIN_RUN) {
      let end = j
      while (end < n && end < j + 2 && raw.charCodeAt(end) === 61) end++ // "=" padding
      const run = raw.slice(i, end)
      const decoded = (allHex && (j - i) % 2 === 0 ? decodeRun(run, 'hex') : undefined) ?? decodeRun(run, 'base64')
      if (decoded !== undefined) out.push(decoded)
    }
    i = j + 1
  }
  return out
}

/** Rule hits of one text; `deep` counts those from tokens and decoded payloads (not raw markup). */
interface Scan {
  hits: Map<string, Hit>
  deep: number
  facts: RawFacts
}

const HEAD_CHARS = 160
const FIRST_SENTENCE_END = /[.!?;:](?=\s)|\n/

/**
 * Collects the hits of one text. `within`: the facts of a text that holds this one verbatim and
 * whose token and payload scan found nothing (a retrieved chunk quoted in the prompt): then only
 * what can differ is checked: the opening of the text (rules that need a sentence start can fire
 * at a chunk's start but not where the prompt quotes it after "[1]"), its end, and raw markup the
 * containing text gave reason to look for.
 */
function scanText(text: AnalyzedText, p: InjectionParams, within?: RawFacts): Scan {
  const shallow = within !== undefined
  const hits = new Map<string, Hit>()
  let longest = 0
  if (shallow) {
    // Rules do not cross a sentence end, so the first sentence is all that can differ.
    const end = FIRST_SENTENCE_END.exec(text.raw.slice(0, HEAD_CHARS))
    const cut = end !== null ? end.index + 1 : text.raw.length <= HEAD_CHARS ? text.raw.length : text.raw.lastIndexOf(' ', HEAD_CHARS)
    const head = analyze(text.raw.slice(0, cut > 0 ? cut : HEAD_CHARS))
    scanTokens(head.normTokens, hits, head.normIds)
  } else {
    longest = scanTokens(normTokensOf(text), hits, normIdsOf(text))
  }
  if (!shallow && p.decodePayloads && longest >= MIN_TOKEN_FOR_PAYLOAD) {
    // An encoded run of 24+ characters survives normalization as one long token: no such token, no run.
    for (const decoded of decodedPayloads(text.raw)) {
      const inner = new Map<string, Hit>()
      scanTokens(normTokensOf(analyze(decoded)), inner)
      scanRaw(decoded, decoded.toLowerCase(), inner)
      // Hiding instructions in an encoding is itself evidence of intent.
      for (const h of inner.values()) hits.set(`encoded:${h.id}`, { id: `encoded:${h.id}`, kind: 'encoded', weight: Math.min(1, h.weight + 0.1) })
    }
  }
  const deep = hits.size
  const facts = scanRaw(text.raw, lowerOf(text), hits, within)
  return { hits, deep, facts }
}

/** The details of a text no rule fired on (most texts). */
const CLEAN = fixedDetails({ rules: [], kinds: {} })

function resultOf(hits: ReadonlyMap<string, Hit>, p: InjectionParams): Omit<ScoreResult, 'target'> {
  if (hits.size === 0) return { status: 'ok', value: 0, label: 'none', flagged: 0 >= p.threshold, details: CLEAN }
  // Rules of one family often fire on the same phrase ("stay in character" is both a role-play and
  // a persistence cue), so a family counts once, with its strongest rule; independent families
  // combine as a noisy-or (an override plus a role-play is stronger evidence than either).
  const byKind: Record<string, number> = {}
  for (const h of hits.values()) byKind[h.kind] = Math.max(byKind[h.kind] ?? 0, h.weight)
  let none = 1
  for (const w of Object.values(byKind)) none *= 1 - w
  const value = Math.round((1 - none) * 10_000) / 10_000
  let label = 'none'
  let best = 0
  for (const [k, v] of Object.entries(byKind)) {
    if (v > best) {
      best = v
      label = k
    }
  }
  return { status: 'ok', value, label, flagged: value >= p.threshold, details: { rules: [...hits.keys()], kinds: byKind } }
}

const EMPTY_RESULT: Omit<ScoreResult, 'target'> = { status: 'not_applicable', value: null, label: 'empty', flagged: false, details: {} }

/** Scores one text. */
export function scoreInjection(text: AnalyzedText, p: InjectionParams): Omit<ScoreResult, 'target'> {
  if (text.raw.trim().length === 0) return EMPTY_RESULT
  return resultOf(scanText(text, p).hits, p)
}

/** The rules' view of a text as a dense input to the learned model: their noisy-or value. */
export const INJECTION_SIGNALS = ['rules_value'] as const
const RULE_DEFAULTS = injectionParams.parse({})

export function injectionSignals(text: AnalyzedText): number[] {
  if (text.raw.trim().length === 0) return [0]
  return [resultOf(scanText(text, RULE_DEFAULTS).hits, RULE_DEFAULTS).value ?? 0]
}

/** The rules' own flag level (what they were built for). */
const RULES_THRESHOLD = 0.5

/**
 * The scorer's parameters. `threshold` unset: the model's, chosen on the dev split for a false-alarm
 * rate of at most 0.5 % (models/injection.json).
 */
export const learnedInjectionParams = z
  .object({
    threshold: z.number().min(0).max(1).optional(),
    decodePayloads: z.boolean().default(true),
    scanContext: z.boolean().default(true),
  })
  .strict()
export type LearnedInjectionParams = z.infer<typeof learnedInjectionParams>

/**
 * One text: the precise rules, confirmed by the learned model. The rules flag on their own (they
 * are precise: no false alarm on benign prompts full of trigger words). The model reads the text
 * and the rules' value, and flags a text on which some rule fired below the rules' own level when
 * its probability reaches its threshold. It never flags alone: measured, it does not carry over to
 * attack styles it was not trained on (leave-one-source-out recall 0.05-0.37 on three of the four
 * large sources) and it fires on ordinary RAG prompts (a document and a question look like the
 * indirect injections it learned), so a rule hit is the price of its opinion (docs/SCORERS.md).
 * The value is the larger of the rules' value and the model's probability; a text no rule fired on
 * scores 0 and costs no model time.
 */
function judge(text: AnalyzedText, hits: ReadonlyMap<string, Hit>, p: LearnedInjectionParams): Omit<ScoreResult, 'target'> {
  const rules = resultOf(hits, RULE_DEFAULTS)
  const rv = rules.value ?? 0
  if (rv === 0) return rules
  const m = model('injection')
  const mt = m.text(text)
  const prob = Math.round(m.predictText(mt, [rv]).p * 10_000) / 10_000
  const byRules = rv >= RULES_THRESHOLD
  const byModel = prob >= (p.threshold ?? m.meta.threshold)
  const flagged = byRules || byModel
  const r = rules.details as { rules: string[]; kinds: Record<string, number> }
  return {
    status: 'ok',
    value: Math.max(rv, prob),
    label: rules.label,
    flagged,
    details: { rules: r.rules, kinds: r.kinds, model: m.id, model_probability: prob, evidence: flagged ? m.evidence(mt.tokens) : [] },
  }
}

/** The worst chunk: flagged first, then the highest value. */
const rank = (r: Omit<ScoreResult, 'target'>): number => (r.flagged ? 2 : 0) + (r.value ?? 0)

const RULE_PARAMS = (p: LearnedInjectionParams): InjectionParams => ({ threshold: RULES_THRESHOLD, decodePayloads: p.decodePayloads, scanContext: p.scanContext })

export const injectionScorer: Scorer<LearnedInjectionParams> = {
  name: 'injection',
  /** The model's hash is part of the version: analysts compare model versions in ClickHouse. */
  get version() {
    return model('injection').version('2.0.0')
  },
  load() {
    model('injection')
  },
  reads: ['messages', 'retrieved_context'],
  params: learnedInjectionParams,
  score(input, lp) {
    const p = RULE_PARAMS(lp)
    const promptEmpty = input.prompt.raw.trim().length === 0
    const prompt = promptEmpty ? undefined : scanText(input.prompt, p)
    const out: ScoreResult[] = [withTarget('prompt', prompt === undefined ? EMPTY_RESULT : judge(input.prompt, prompt.hits, lp))]
    if (p.scanContext) {
      if (input.context.length === 0) {
        out.push({ target: 'context', status: 'not_applicable', value: null, label: 'no context', flagged: false, details: {} })
      } else {
        let worst: Omit<ScoreResult, 'target'> | undefined
        let worstChunk = 0
        // RAG apps quote the retrieved chunks in the prompt: when the prompt's scan found nothing,
        // a chunk it quotes verbatim needs only a shallow scan (same result, no second normalization).
        const promptClean = prompt !== undefined && prompt.deep === 0
        input.context.forEach((c, i) => {
          if (c.raw.trim().length === 0) return
          const within = promptClean && input.prompt.raw.includes(c.raw) ? prompt.facts : undefined
          const r = judge(c, scanText(c, p, within).hits, lp)
          if (r.value !== null && (worst === undefined || rank(worst) < rank(r))) {
            worst = r
            worstChunk = i
          }
        })
        if (worst === undefined) {
          out.push({ target: 'context', status: 'not_applicable', value: null, label: 'empty context', flagged: false, details: {} })
        } else {
          // The worst chunk's details plus which chunk it was (once per event: the spread costs nothing here).
          const { status, value, label, flagged, details } = worst
          out.push({ target: 'context', status, value, label, flagged, details: { ...details, chunk: worstChunk, chunks: input.context.length } })
        }
      }
    }
    return out
  },
}


