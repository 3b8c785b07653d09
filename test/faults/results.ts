/** Scenario results: appended by the fault scenarios, printed by test/faults/report.ts. */
import { appendFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { repoPath } from '../../shared/paths.js'

/** Where scenario results accumulate (one JSON object per line). */
export const RESULTS_FILE = process.env.FAULTS_RESULTS_FILE ?? repoPath('.data', 'faults', 'results.jsonl')

export interface ScenarioResult {
  scenario: string
  events: number
  lost: number
  duplicated: number
  dlq: number
  /** How long the pipeline took to make progress again after the fault ended (max over faults). */
  recoveryMs: number
  durationMs: number
  /** What did not balance (empty: exact books). */
  violations: string[]
  notes?: string
  date: string
}

/** Appends one scenario's figures to RESULTS_FILE (report.ts prints the latest per scenario). */
export function recordResult(r: Omit<ScenarioResult, 'date'>): void {
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true })
  const full: ScenarioResult = { ...r, date: new Date().toISOString() }
  appendFileSync(RESULTS_FILE, JSON.stringify(full) + '\n')
  console.log(`[faults] ${JSON.stringify(full)}`)
}


/** Records a scenario that could not finish (e.g. the pipeline never drained): counts unknown (-1). */
export function recordFailure(scenario: string, events: number, started: number, err: unknown): void {
  recordResult({ scenario, events, lost: -1, duplicated: -1, dlq: -1, recoveryMs: -1, durationMs: Date.now() - started, violations: [`did not finish: ${(err as Error).message.slice(0, 200)}`] })
}
