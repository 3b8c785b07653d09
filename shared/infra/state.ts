/**
 * The state file of `llmwatch infra up` (.data/infra/state.json): what runs, where. Kept free of
 * kafkajs and chdb so that any module may ask, e.g. shared/clickhouse.ts for the served ClickHouse.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { repoPath } from '../paths.js'

export const STATE_FILE = repoPath('.data', 'infra', 'state.json')

export type KafkaMode = 'env' | 'docker' | 'jvm'

export interface InfraState {
  kafka: { mode: KafkaMode; brokers: string[]; pid: number | null; dataDir: string | null }
  /** 'served': `llmwatch clickhouse serve` started by `infra up` (pid) on `path`, answering at `url`. */
  clickhouse: { mode: 'served' | 'server'; path: string | null; url: string | null; pid: number | null }
  startedAt: string
}

export function readInfraState(): InfraState | null {
  if (!existsSync(STATE_FILE)) return null
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as InfraState
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * The URL of the ClickHouse that a running `llmwatch infra up` serves from `dir`, if any: a process
 * that would open that directory embedded (which chDB refuses while the server holds it) talks to
 * the server instead.
 */
export function servedClickHouseFor(dir: string): string | null {
  const s = readInfraState()
  const ch = s?.clickhouse
  if (!ch || ch.mode !== 'served' || !ch.url || !ch.path || ch.pid === null) return null
  if (path.resolve(ch.path) !== path.resolve(dir) || !pidAlive(ch.pid)) return null
  return ch.url
}
