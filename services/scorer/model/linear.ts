/**
 * A learned linear text classifier: logistic regression over the hashed features of ./features.ts,
 * trained by services/scorer/train (see models/*.md for each model's card).
 *
 * Files, under models/: `<name>.bin` (the weights, little-endian float32, 2^bits of them) and
 * `<name>.json` (bits, bias, Platt calibration, threshold, the .bin's sha256 and the training
 * figures). Loaded once per process, on first use.
 *
 * Inference decomposes per token: each distinct token's summed weights (word + character n-grams)
 * are cached, so a text costs one map lookup per token and one weight read per bigram.
 * `evidence` names the tokens and bigrams that pushed the score up most.
 */
import { readFileSync } from 'node:fs'
import { repoPath } from '../../../shared/paths.js'
import { fixedDetails, type AnalyzedText } from '../scorer.js'
import { INTERN_MAX } from '../text.js'
import { embeddings, type Embeddings } from './embeddings.js'
import { sha256Hex } from './hash.js'
import { bigramBucket, GROUP_TOKEN, modelText, tokenBuckets, tokenHash, type GroupMode, type ModelText } from './features.js'

export interface ModelMeta {
  name: string
  /** Hash buckets: 2^bits weights. */
  bits: number
  bias: number
  /** The second stage, fitted on the dev split: p = sigmoid(a * z + b + sum(signal_weights * signals)). */
  calibration: { a: number; b: number }
  /** Flag when the calibrated probability reaches this (chosen on the validation split). */
  threshold: number
  /** How protected-group mentions are tokenized (features.ts, GroupMode). */
  groups: GroupMode
  /** Whether the mean word vector (embeddings.ts) is a feature: its weights follow the 2^bits hashed ones. */
  embedding: boolean
  /** Dense signals (the rule/lexicon scorer's outputs) the second stage reads, in this order. */
  signals: string[]
  signal_weights: number[]
  /** sha256 of the .bin file (hex). */
  sha256: string
  /** Everything else the trainer records (data, figures). */
  [k: string]: unknown
}

export interface Prediction {
  /** Calibrated probability of the positive class. */
  p: number
  /** The raw linear score. */
  z: number
}

interface TokenEntry {
  h: number
  /** Sum of the token's own feature weights. */
  w: number
  /** Its word vector's dot product with the embedding weights (0 without a vector). */
  d: number
  /** 1 when the token has a word vector. */
  v: number
}

const CACHE_MAX = 100_000

export class LinearTextModel {
  readonly mask: number
  /** `<name>@<first 12 hex of sha256>`: what score versions carry. */
  readonly id: string
  /** `{ model: id }`, the details of most results (unflagged): frozen and serialized once. */
  readonly idDetails: Readonly<{ model: string }>
  private readonly cache = new Map<string, TokenEntry>()
  /** The same per intern id (text.ts): an array read instead of a Map lookup. NaN: not yet seen. */
  private readonly wById = new Float64Array(INTERN_MAX).fill(Number.NaN)
  private readonly hById = new Int32Array(INTERN_MAX)
  private readonly dById = new Float64Array(INTERN_MAX)
  private readonly vById = new Uint8Array(INTERN_MAX)
  private readonly emb: Embeddings | undefined

  constructor(
    readonly meta: ModelMeta,
    readonly weights: Float32Array,
  ) {
    this.emb = meta.embedding ? embeddings() : undefined
    const n = (1 << meta.bits) + (this.emb === undefined ? 0 : this.emb.dims)
    if (weights.length !== n) throw new Error(`model ${meta.name}: ${weights.length} weights, expected ${n}`)
    if (meta.signal_weights.length !== meta.signals.length) throw new Error(`model ${meta.name}: ${meta.signal_weights.length} signal weights for ${meta.signals.length} signals`)
    this.mask = (1 << meta.bits) - 1
    this.id = `${meta.name}@${meta.sha256.slice(0, 12)}`
    this.idDetails = fixedDetails({ model: this.id })
  }

  private versionBase = ''
  private versionFull = ''

  /** `<base>+<id>`, the version of a scorer built on this model: made once (engine reads it per entry). */
  version(base: string): string {
    if (base !== this.versionBase) {
      this.versionBase = base
      this.versionFull = `${base}+${this.id}`
    }
    return this.versionFull
  }

  private entry(tok: string): TokenEntry {
    let e = this.cache.get(tok)
    if (e === undefined) {
      e = this.compute(tok)
      if (this.cache.size >= CACHE_MAX) this.cache.clear()
      this.cache.set(tok, e)
    }
    return e
  }

  /** A token's sums, uncached (an interned token's go to the per-id arrays instead of the Map). */
  private compute(tok: string): TokenEntry {
    let w = 0
    for (const b of tokenBuckets(tok, this.mask)) w += this.weights[b] as number
    const row = this.emb === undefined ? -1 : this.emb.rowOf(tok)
    const d = row < 0 || this.emb === undefined ? 0 : this.emb.dot(row, this.weights, this.mask + 1)
    return { h: tokenHash(tok), w, d, v: row < 0 ? 0 : 1 }
  }

  /** The text model's raw score of a token sequence (the same as sum(w * x) + bias over featurize()). */
  zOf(tokens: readonly string[], ids?: readonly number[]): number {
    let s = 0
    let ds = 0
    let nv = 0
    let prev = -1
    for (let i = 0; i < tokens.length; i++) {
      const id = ids === undefined ? -1 : (ids[i] as number)
      let w: number
      let h: number
      if (id >= 0 && (w = this.wById[id] as number) === w) {
        h = this.hById[id] as number
        ds += this.dById[id] as number
        nv += this.vById[id] as number
      } else {
        const e = id >= 0 ? this.compute(tokens[i] as string) : this.entry(tokens[i] as string)
        w = e.w
        h = e.h
        ds += e.d
        nv += e.v
        if (id >= 0) {
          this.wById[id] = w
          this.hById[id] = h
          this.dById[id] = e.d
          this.vById[id] = e.v
        }
      }
      s += w
      if (prev !== -1) s += this.weights[bigramBucket(prev, h >>> 0, this.mask)] as number
      prev = h >>> 0
    }
    // The mean word vector's contribution: sum of per-word dot products over the words that have one.
    return this.meta.bias + s / Math.sqrt(Math.max(1, tokens.length)) + (nv > 0 ? ds / nv : 0)
  }

  /** The calibrated probability from the text score and the signals (missing signals count 0). */
  probability(z: number, signals: readonly number[] = []): number {
    const { a, b } = this.meta.calibration
    let t = a * z + b
    const w = this.meta.signal_weights
    for (let k = 0; k < signals.length && k < w.length; k++) t += (w[k] as number) * (signals[k] as number)
    return 1 / (1 + Math.exp(-t))
  }

  predictText(t: ModelText, signals: readonly number[] = []): Prediction {
    const z = this.zOf(t.tokens, t.ids)
    return { p: this.probability(z, signals), z }
  }

  /** What this model reads of a text (features.ts, modelText). */
  text(text: AnalyzedText): ModelText {
    return modelText(text, this.meta.groups)
  }

  /** The tokens this model reads of a text. */
  tokens(text: AnalyzedText): readonly string[] {
    return modelText(text, this.meta.groups).tokens
  }

  predict(text: AnalyzedText, signals: readonly number[] = []): Prediction {
    return this.predictText(this.text(text), signals)
  }

  /** The `k` tokens or bigrams that add most to the score (positive contributions only). */
  evidence(tokens: readonly string[], k = 3): string[] {
    const scale = 1 / Math.sqrt(Math.max(1, tokens.length))
    let nv = 0
    for (const t of tokens) nv += this.entry(t).v
    const parts = new Map<string, number>()
    let prev: TokenEntry | undefined
    let prevTok = ''
    for (const t of tokens) {
      const e = this.entry(t)
      // A word's share: its own features, and its vector's share of the mean word vector.
      parts.set(t, (parts.get(t) ?? 0) + e.w * scale + (nv > 0 ? e.d / nv : 0))
      if (prev !== undefined) {
        const bg = `${prevTok} ${t}`
        const w = (this.weights[bigramBucket(prev.h, e.h, this.mask)] as number) * scale
        parts.set(bg, (parts.get(bg) ?? 0) + w)
      }
      prev = e
      prevTok = t
    }
    return [...parts.entries()]
      .filter(([t, w]) => w > 0.05 && !MARKERS.has(t))
      .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
      .slice(0, k)
      .map(([t]) => t.replaceAll(GROUP_TOKEN, '<group>'))
  }
}

/** Sentence markers of text.ts: never evidence on their own. */
const MARKERS = new Set(['.', ',', '"'])

export { sha256Hex }

/** Reads models/<name>.{json,bin}; fails loudly when the weights do not match the recorded hash. */
export function loadModelFrom(dir: string, name: string): LinearTextModel {
  const meta = JSON.parse(readFileSync(`${dir}/${name}.json`, 'utf8')) as ModelMeta
  const buf = readFileSync(`${dir}/${name}.bin`)
  const hash = sha256Hex(buf)
  if (hash !== meta.sha256) throw new Error(`model ${name}: ${dir}/${name}.bin has sha256 ${hash}, its card says ${meta.sha256}`)
  const weights = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
  return new LinearTextModel(meta, weights)
}

const LOADED = new Map<string, LinearTextModel>()

/** The shipped model `name`, loaded once per process. */
export function model(name: 'toxicity' | 'injection' | 'bias'): LinearTextModel {
  let m = LOADED.get(name)
  if (m === undefined) {
    m = loadModelFrom(repoPath('models'), name)
    LOADED.set(name, m)
  }
  return m
}
