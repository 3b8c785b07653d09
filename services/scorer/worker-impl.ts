/**
 * A scoring worker thread: scores chunks with the same scorers and config as the main thread and
 * returns the ScoredInteraction records Avro-encoded, packed into one buffer that is transferred,
 * not copied. A chunk comes either as decoded events, or as the raw message bytes (one transferred
 * buffer): then this thread decodes and validates them too, and reports the rejected ones.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { DecodeErrorCode } from '../../shared/codec.js'
import type { LlmInteraction } from '../../shared/contract.js'
import { loadCodec } from '../../shared/schema-registry.js'
import { scoreEvent, type TextMode } from './engine.js'
import { flaggedOf, scoreKey } from './pool.js'
import { resolveScorerConfig } from './scorer-config.js'
import { SCORERS } from './scorers/index.js'

interface Init { rawConfig: unknown; textMode: TextMode }

/** Raw messages: their values back to back in `data`; `lengths[i]` is -1 for a null value. */
export interface RawChunk { data: Uint8Array; lengths: Int32Array; contentTypes: (string | null)[] | null }

export type WorkRequest = { id: number; events: LlmInteraction[] } | { id: number; raw: RawChunk }

/**
 * Per input message, in order: `lengths[i]` bytes of `data` (the encoded record, keyed `keys[i]`),
 * or -1 when it was rejected (then `rejected` holds its index, code and reason).
 */
export interface WorkResult {
  id: number
  data: Uint8Array
  lengths: Int32Array
  keys: (string | null)[]
  /** Per input message: the event's end_time (metrics) and its flagged entries (pool.ts flaggedOf). */
  endTimes: Float64Array
  flagged: (string[] | null)[]
  rejected: { index: number; code: DecodeErrorCode; reason: string }[]
  error?: string
}

const init = workerData as Init
const config = resolveScorerConfig(init.rawConfig, SCORERS)
// The thread's env is the scorer's (validated there): with SCHEMA_REGISTRY_URL, the registry's ids.
const codec = await loadCodec({ url: process.env.SCHEMA_REGISTRY_URL || undefined })

/** Appends encoded records to one growing buffer (transferred at the end: never pooled). */
class Packer {
  buf = Buffer.allocUnsafeSlow(256 * 1024)
  used = 0

  push(bytes: Buffer): void {
    if (this.used + bytes.length > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.used + bytes.length))
      this.buf.copy(bigger, 0, 0, this.used)
      this.buf = bigger
    }
    bytes.copy(this.buf, this.used)
    this.used += bytes.length
  }
}

function work(req: WorkRequest): WorkResult {
  const n = 'events' in req ? req.events.length : req.raw.lengths.length
  const out = new Packer()
  const lengths = new Int32Array(n)
  const keys: (string | null)[] = new Array<string | null>(n).fill(null)
  const endTimes = new Float64Array(n)
  const flagged: (string[] | null)[] = new Array<string[] | null>(n).fill(null)
  const rejected: WorkResult['rejected'] = []
  const scoreOne = (i: number, e: LlmInteraction): void => {
    const s = scoreEvent(e, SCORERS, config, { textMode: init.textMode })
    const bytes = codec.encodeView('ScoredInteraction', s)
    out.push(bytes)
    lengths[i] = bytes.length
    keys[i] = scoreKey(s)
    endTimes[i] = s.end_time
    flagged[i] = flaggedOf(s)
  }
  if ('events' in req) {
    req.events.forEach((e, i) => scoreOne(i, e))
  } else {
    const { data, lengths: inLengths, contentTypes } = req.raw
    const all = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    let at = 0
    for (let i = 0; i < n; i++) {
      const len = inLengths[i]!
      const value = len < 0 ? null : all.subarray(at, at + len)
      if (len > 0) at += len
      const ct = contentTypes?.[i]
      const res = codec.decode('LlmInteraction', value, ct == null ? undefined : { 'content-type': ct })
      if (res.ok) scoreOne(i, res.value)
      else {
        lengths[i] = -1
        rejected.push({ index: i, code: res.code, reason: res.reason })
      }
    }
  }
  return { id: req.id, data: out.buf.subarray(0, out.used), lengths, keys, endTimes, flagged, rejected }
}

parentPort!.on('message', (req: WorkRequest) => {
  let result: WorkResult
  try {
    result = work(req)
  } catch (err) {
    parentPort!.postMessage({ id: req.id, data: new Uint8Array(0), lengths: new Int32Array(0), keys: [], endTimes: new Float64Array(0), flagged: [], rejected: [], error: (err as Error).stack ?? String(err) } satisfies WorkResult)
    return
  }
  parentPort!.postMessage(result, [result.data.buffer as ArrayBuffer])
})
