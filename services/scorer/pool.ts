/**
 * Where scoring runs. Scoring is CPU work; the thread that talks to Kafka must stay responsive, so
 * by default a batch is split into contiguous chunks scored on a pool of worker threads (one per
 * core) and reassembled in order: partition order is kept. `InlineScoring` scores on the calling
 * thread, yielding to the event loop every 20 ms (for one-core deployments and tests).
 */
import { Worker } from 'node:worker_threads'
import type { Codec } from '../../shared/codec.js'
import type { LlmInteraction } from '../../shared/contract.js'
import { scoreEvent, type TextMode } from './engine.js'
import type { Scorer } from './scorer.js'
import type { ScorerConfig } from './scorer-config.js'
import type { WorkRequest, WorkResult } from './worker-impl.js'

/**
 * The key of a record on llm.scores: the app. All of an app's scores (every model) share one
 * partition, so the alerter's per-app rules (budget, absence, immediate) are exact even when
 * several alerter instances split the partitions; per-partition order keeps each app's order.
 */
export const scoreKey = (e: Pick<LlmInteraction, 'app_name'>): string => e.app_name

export interface Encoded { key: string; value: Buffer }

export interface Scoring {
  /** Scores `events` and returns their encoded ScoredInteraction records, in input order. */
  score(events: readonly LlmInteraction[]): Promise<Encoded[]>
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
      out.push({ key: scoreKey(s), value: this.codec.encode('ScoredInteraction', s) })
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

  private run(slot: Slot, events: LlmInteraction[]): Promise<WorkResult> {
    const id = this.nextId++
    slot.busy++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      slot.worker.postMessage({ id, events } satisfies WorkRequest)
    })
  }

  async score(events: readonly LlmInteraction[]): Promise<Encoded[]> {
    if (this.closed) throw new Error('scoring pool is closed')
    if (events.length === 0) return []
    const parts = Math.max(1, Math.min(this.slots.length, Math.floor(events.length / this.minChunk)))
    const size = Math.ceil(events.length / parts)
    // Least-busy workers first, so concurrent partitions spread over the pool.
    const order = [...this.slots].sort((a, b) => a.busy - b.busy)
    const jobs: Promise<WorkResult>[] = []
    for (let i = 0; i < parts; i++) jobs.push(this.run(order[i % order.length]!, events.slice(i * size, (i + 1) * size)))
    const results = await Promise.all(jobs)
    const out: Encoded[] = []
    for (const r of results) for (let i = 0; i < r.values.length; i++) out.push({ key: r.keys[i]!, value: Buffer.from(r.values[i]!.buffer, r.values[i]!.byteOffset, r.values[i]!.byteLength) })
    return out
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}
