/**
 * The state file of `llmwatch infra up` (.data/infra/state.json): what runs, where. Kept free of
 * kafkajs and chdb so that any module may ask, e.g. shared/clickhouse.ts for the served ClickHouse.
 */
import { existsSync, readFileSync } from 'node:fs'
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
 * The URL of the ClickHouse of a running `llmwatch infra up` (the `llmwatch clickhouse serve` it
 * started, or the CLICKHOUSE_URL it recorded), if any: where processes without CLICKHOUSE_URL go.
 */
export function infraClickHouseUrl(): string | null {
  const ch = readInfraState()?.clickhouse
  if (!ch?.url) return null
  if (ch.pid !== null && !pidAlive(ch.pid)) return null
  return ch.url
}
