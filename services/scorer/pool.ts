/**
 * Where scoring runs. `InlineScoring` (the default) scores on the Kafka thread, yielding to the event
 * loop every 20 ms (scale out with processes in the group), and decodes each raw message right before
 * scoring it (see `InlineScoring.scoreRaw`). `WorkerPoolScoring` (SCORER_WORKERS > 0) splits a batch
 * into contiguous chunks scored on a pool of worker threads and reassembles them in order: partition
 * order is kept either way.
 *
 * The pool can also take the raw message bytes (`scoreRaw`): the workers then decode and validate as
 * well, so the Kafka thread neither decodes nor structured-clones events (one memcpy and a transfer per
 * chunk instead), and the results come back packed in one transferred buffer per chunk.
 */
import { Worker } from 'node:worker_threads'
import type { Codec, DecodeErrorCode } from '../../shared/codec.js'
import type { LlmInteraction, ScoredInteraction } from '../../shared/contract.js'
import { scoreEvent, type TextMode } from './engine.js'
import type { Scorer } from './scorer.js'
import type { ScorerConfig } from './scorer-config.js'
import type { RawChunk, WorkRequest, WorkResult } from './worker-impl.js'

/**
 * The key of a record on llm.scores: the app. All of an app's scores (every model) share one
 * partition, so the alerter's per-app rules (budget, absence, immediate) are exact even when
 * several alerter instances split the partitions; per-partition order keeps each app's order.
 */
export const scoreKey = (e: Pick<LlmInteraction, 'app_name'>): string => e.app_name

/**
 * An encoded ScoredInteraction and what the service's metrics need of it without decoding it: the
 * event's end_time and its flagged entries as `scorer\u0001target` (null: none).
 */
export interface Encoded { key: string; value: Buffer; endTime?: number; flagged?: readonly string[] | null }

/** The flagged entries of a scored event as `scorer\u0001target`, null when none (most events). */
export function flaggedOf(s: Pick<ScoredInteraction, 'scores'>): string[] | null {
  let out: string[] | null = null
  for (const e of s.scores) if (e.flagged) (out ??= []).push(`${e.name}\u0001${e.target}`)
  return out
}

/** A raw message's outcome: its encoded score, or why it was not scored (it goes to the DLQ). */
export type RawScored = ({ ok: true } & Encoded) | { ok: false; code: DecodeErrorCode; reason: string }

/** A raw LlmInteraction message: its bytes and its content-type header, if any. */
export interface RawEvent { value: Buffer | null; contentType: string | undefined }

export interface Scoring {
  /** Scores `events` and returns their encoded ScoredInteraction records, in input order. */
  score(events: readonly LlmInteraction[]): Promise<Encoded[]>
  /**
   * Optional: decodes and validates raw messages exactly like `Codec.decode`, scores the valid ones,
   * and returns one outcome per message, in input order.
   */
  scoreRaw?(messages: readonly RawEvent[]): Promise<RawScored[]>
  close(): Promise<void>
}

export class InlineScoring implements Scoring {
  constructor(
    private readonly scorers: readonly Scorer<unknown>[],
    private readonly config: ScorerConfig,
    private readonly codec: Codec,
    private readonly textMode: TextMode,
  ) {}

  async score(events: readonly LlmInteraction[]): Promise<Encoded[]> {
    const out: Encoded[] = []
    let slice = performance.now()
    for (const e of events) {
      const s = scoreEvent(e, this.scorers, this.config, { textMode: this.textMode })
      out.push({ key: scoreKey(s), value: this.codec.encode('ScoredInteraction', s), endTime: s.end_time, flagged: flaggedOf(s) })
      if (performance.now() - slice > 20) {
        await new Promise((r) => setImmediate(r))
        slice = performance.now()
      }
    }
    return out
  }

  /**
   * Decodes each message right before scoring it, so a decoded event lives for its own scoring only
   * and dies young: decoded up front by the runner, a batch's events outlived two scavenges and were
   * promoted, and the old generation (so the resident set) grew with every batch. Unknown schema ids
   * (registry mode) are looked up first, as the runner does; rejected messages are reported.
   */
  async scoreRaw(messages: readonly RawEvent[]): Promise<RawScored[]> {
    const values = messages.map((m) => m.value)
    if (this.codec.looksUpIds() && this.codec.needsLookup(values)) await this.codec.resolveUnknownIds(values)
    const out: RawScored[] = []
    let slice = performance.now()
    for (const m of messages) {
      const res = this.codec.decode('LlmInteraction', m.value, m.contentType === undefined ? undefined : { 'content-type': m.contentType })
      if (!res.ok) {
        out.push({ ok: false, code: res.code, reason: res.reason })
        continue
      }
      const s = scoreEvent(res.value, this.scorers, this.config, { textMode: this.textMode })
      out.push({ ok: true, key: scoreKey(s), value: this.codec.encode('ScoredInteraction', s), endTime: s.end_time, flagged: flaggedOf(s) })
      if (performance.now() - slice > 20) {
        await new Promise((r) => setImmediate(r))
        slice = performance.now()
      }
    }
    return out
  }

  async close(): Promise<void> {}
}

interface Slot { worker: Worker; busy: number }

export class WorkerPoolScoring implements Scoring {
  private readonly slots: Slot[] = []
  private readonly pending = new Map<number, { resolve: (r: WorkResult) => void; reject: (e: Error) => void }>()
  private nextId = 0
  private closed = false

  /** `rawConfig` is the scorer config file's JSON (validated again in each worker). */
  constructor(size: number, rawConfig: unknown, textMode: TextMode, private readonly minChunk = 16) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { rawConfig, textMode } })
      worker.on('message', (r: WorkResult) => {
        // The result's buffer was transferred: its views stay valid while the records are produced.
        const p = this.pending.get(r.id)
        this.pending.delete(r.id)
        slot.busy--
        if (r.error) p?.reject(new Error(`scoring worker failed: ${r.error}`))
        else p?.resolve(r)
      })
      worker.on('error', (err) => {
        // A crashed worker fails its in-flight chunks; the runner retries the batch.
        for (const [, p] of this.pending) p.reject(err)
        this.pending.clear()
      })
      const slot: Slot = { worker, busy: 0 }
      this.slots.push(slot)
    }
  }

  private run(slot: Slot, req: WorkRequest, transfer: ArrayBuffer[] = []): Promise<WorkResult> {
    slot.busy++
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject })
      slot.worker.postMessage(req, transfer)
    })
  }

  /** Splits `n` items into contiguous chunks, one per worker (least busy first), at least minChunk each. */
  private async chunked(n: number, request: (from: number, to: number) => { req: WorkRequest; transfer?: ArrayBuffer[] }): Promise<WorkResult[]> {
    if (this.closed) throw new Error('scoring pool is closed')
    const parts = Math.max(1, Math.min(this.slots.length, Math.floor(n / this.minChunk)))
    const size = Math.ceil(n / parts)
    // Least-busy workers first, so concurrent partitions spread over the pool.
    const order = [...this.slots].sort((a, b) => a.busy - b.busy)
    const jobs: Promise<WorkResult>[] = []
    for (let i = 0; i < parts; i++) {
      const { req, transfer } = request(i * size, Math.min(n, (i + 1) * size))
      jobs.push(this.run(order[i % order.length]!, req, transfer))
    }
    return Promise.all(jobs)
  }

  async score(events: readonly LlmInteraction[]): Promise<Encoded[]> {
    if (events.length === 0) return []
    const results = await this.chunked(events.length, (from, to) => ({ req: { id: this.nextId++, events: events.slice(from, to) } }))
    const out: Encoded[] = []
    for (const r of results) {
      let at = 0
      for (let i = 0; i < r.lengths.length; i++) {
        const len = r.lengths[i]!
        out.push({ key: r.keys[i]!, value: Buffer.from(r.data.buffer, r.data.byteOffset + at, len), endTime: r.endTimes[i]!, flagged: r.flagged[i] ?? null })
        at += len
      }
    }
    return out
  }

  async scoreRaw(messages: readonly RawEvent[]): Promise<RawScored[]> {
    if (messages.length === 0) return []
    const results = await this.chunked(messages.length, (from, to) => {
      const raw = packRaw(messages, from, to)
      return { req: { id: this.nextId++, raw }, transfer: [raw.data.buffer as ArrayBuffer] }
    })
    const out: RawScored[] = []
    for (const r of results) {
      const why = new Map(r.rejected.map((x) => [x.index, x]))
      let at = 0
      for (let i = 0; i < r.lengths.length; i++) {
        const len = r.lengths[i]!
        if (len < 0) {
          const x = why.get(i)
          out.push({ ok: false, code: x?.code ?? 'VALIDATION', reason: x?.reason ?? 'rejected by the scoring worker' })
          continue
        }
        out.push({ ok: true, key: r.keys[i]!, value: Buffer.from(r.data.buffer, r.data.byteOffset + at, len), endTime: r.endTimes[i]!, flagged: r.flagged[i] ?? null })
        at += len
      }
    }
    return out
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}

/** Copies the values of messages[from, to) back to back into one fresh (transferable) buffer. */
function packRaw(messages: readonly RawEvent[], from: number, to: number): RawChunk {
  const lengths = new Int32Array(to - from)
  let total = 0
  let anyContentType = false
  for (let i = from; i < to; i++) {
    const m = messages[i]!
    total += m.value?.length ?? 0
    if (m.contentType !== undefined) anyContentType = true
  }
  const data = new Uint8Array(new ArrayBuffer(total))
  let at = 0
  for (let i = from; i < to; i++) {
    const v = messages[i]!.value
    lengths[i - from] = v === null ? -1 : v.length
    if (v !== null) {
      data.set(v, at)
      at += v.length
    }
  }
  const contentTypes = anyContentType ? messages.slice(from, to).map((m) => m.contentType ?? null) : null
  return { data, lengths, contentTypes }
}
