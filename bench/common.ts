/** Helpers shared by the benchmarks: progress logging, a deterministic PRNG, and a broker to run on. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveKafka, runningLocalBrokers } from '../shared/infra/index.js'

export const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`)
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Deterministic PRNG (mulberry32) so runs are comparable. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** KAFKA_BROKERS, else the broker of `llmwatch infra up`, else a temporary local broker (stopped by `stop`). */
export async function brokersFor(): Promise<{ brokers: string[]; stop: () => Promise<void> }> {
  const env = process.env.KAFKA_BROKERS
  if (env) return { brokers: env.split(','), stop: async () => {} }
  const running = runningLocalBrokers()
  if (running) return { brokers: running, stop: async () => {} }
  const dir = mkdtempSync(join(tmpdir(), 'llmwatch-bench-kafka-'))
  log('starting a temporary local Kafka broker ...')
  const k = await resolveKafka({ dataDir: dir, fresh: true, log })
  return {
    brokers: k.brokers,
    stop: async () => {
      await k.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
