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
import type { AnalyzedText, ScoreResult, Scorer } from '../scorer.js'
import { analyze, normTokensOf } from '../text.js'
import { MARKUP, RULES, type InjectionKind, type Rule } from '../lexicons/injection.js'

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

const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}){12,}\b/g
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

function scanTokens(toks: readonly string[], hits: Map<string, Hit>): void {
  for (let i = 0; i < toks.length; i++) {
    const rules = BY_FIRST.get(toks[i] as string)
    if (rules === undefined) continue
    for (const rule of rules) {
      if (hits.has(rule.id) || (rule.start === true && !opensClause(toks, i))) continue
      if (matchFrom(toks, i + 1, rule, 1)) hits.set(rule.id, { id: rule.id, kind: rule.kind, weight: rule.weight })
    }
  }
}

// Raw-text signals (case and layout matter, so they read the raw text, not the tokens).
const MARKUP_CHARS = /[<[#{:=\\!–—-]/
/** A whole phrase typed as spaced letters ("S a y t h a t ..."): obfuscation against word filters. */
const SPACED_LETTERS = /(?:^|[^\p{L}])(?:\p{L} ){9,}\p{L}(?!\p{L})/u
/** A run of 4+ all-caps words: a shouted instruction inserted into ordinary text. */
const CAPS_RUN = /(?:\b[A-ZÄÖÜ]{2,}[\s,;:!?"'-]+){3,}[A-ZÄÖÜ]{2,}\b/
const LOWER_WORD = /[a-zäöüß]{3,}/
/** A script that ends on a speaker label ("... John:") asks the model to write that character's line. */
const COMPLETION_PREFIX = /(?:^|[\n.!?"]\s*)\p{Lu}\p{Ll}{1,20}:\s*$/u

function scanRaw(raw: string, hits: Map<string, Hit>): void {
  if (MARKUP_CHARS.test(raw)) {
    const lower = raw.toLowerCase()
    for (const m of MARKUP) if (m.pattern.test(lower)) hits.set(m.id, { id: m.id, kind: m.kind, weight: m.weight })
  }
  if (SPACED_LETTERS.test(raw)) hits.set('spaced-letters', { id: 'spaced-letters', kind: 'obfuscation', weight: 0.55 })
  const caps = CAPS_RUN.exec(raw)
  // Only an insertion when the rest of the text is ordinary mixed-case prose.
  if (caps !== null && LOWER_WORD.test(raw.slice(0, caps.index) + ' ' + raw.slice(caps.index + caps[0].length))) {
    hits.set('caps-insertion', { id: 'caps-insertion', kind: 'obfuscation', weight: 0.35 })
  }
  if (COMPLETION_PREFIX.test(raw)) hits.set('completion-prefix', { id: 'completion-prefix', kind: 'jailbreak', weight: 0.3 })
}

/** Decodes base64 / hex runs that yield mostly printable text. */
function decodedPayloads(raw: string): string[] {
  const out: string[] = []
  for (const re of [BASE64_RUN, HEX_RUN]) {
    re.lastIndex = 0
    let m: RegExpExecArray | null
    while ((m = re.exec(raw)) !== null && out.length < MAX_DECODES) {
      const run = m[0]
      // Base64 runs of one case only are usually identifiers or hashes, not encoded prose.
      const text = Buffer.from(run, re === HEX_RUN ? 'hex' : 'base64').toString('utf8')
      let printable = 0
      for (const ch of text) if (/[\p{L}\p{N}\p{P}\s]/u.test(ch)) printable++
      if (text.length >= 8 && printable / text.length > 0.9) out.push(text)
    }
  }
  return out
}

/** Scores one text. */
export function scoreInjection(text: AnalyzedText, p: InjectionParams): Omit<ScoreResult, 'target'> {
  if (text.raw.trim().length === 0) return { status: 'not_applicable', value: null, label: 'empty', flagged: false, details: {} }
  const hits = new Map<string, Hit>()
  scanTokens(normTokensOf(text), hits)
  scanRaw(text.raw, hits)
  if (p.decodePayloads) {
    for (const decoded of decodedPayloads(text.raw)) {
      const inner = new Map<string, Hit>()
      scanTokens(normTokensOf(analyze(decoded)), inner)
      scanRaw(decoded, inner)
      // Hiding instructions in an encoding is itself evidence of intent.
      for (const h of inner.values()) hits.set(`encoded:${h.id}`, { id: `encoded:${h.id}`, kind: 'encoded', weight: Math.min(1, h.weight + 0.1) })
    }
  }
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

export const injectionScorer: Scorer<InjectionParams> = {
  name: 'injection',
  version: '1.0.0',
  reads: ['messages', 'retrieved_context'],
  params: injectionParams,
  score(input, p) {
    const out: ScoreResult[] = [{ target: 'prompt', ...scoreInjection(input.prompt, p) }]
    if (p.scanContext) {
      if (input.context.length === 0) {
        out.push({ target: 'context', status: 'not_applicable', value: null, label: 'no context', flagged: false, details: {} })
      } else {
        let worst: (Omit<ScoreResult, 'target'> & { chunk: number }) | undefined
        input.context.forEach((c, i) => {
          const r = scoreInjection(c, p)
          if (r.value !== null && (worst === undefined || (worst.value ?? 0) < r.value)) worst = { ...r, chunk: i }
        })
        if (worst === undefined) {
          out.push({ target: 'context', status: 'not_applicable', value: null, label: 'empty context', flagged: false, details: {} })
        } else {
          const { chunk, ...r } = worst
          out.push({ target: 'context', ...r, details: { ...r.details, chunk, chunks: input.context.length } })
        }
      }
    }
    return out
  },
}
