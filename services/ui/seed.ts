/**
 * A short demo's data, written straight into ClickHouse for the dashboard's tests, screenshots and
 * benchmarks: the project's traffic generator with the demo's incident script, scored by the real
 * scorers, alerts from the real alert engine and rules, rows built by the sink's own row builder
 * (services/sink/rows.ts), inserted as the writer. No Kafka: the same records, without the transport.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { Alert, ScoredInteraction } from '../../shared/contract.js'
import { repoPath } from '../../shared/paths.js'
import { defaultIncidentScript, type IncidentSpec } from '../../shared/traffic/incidents.js'
import { generateEvents } from '../../shared/traffic/generator.js'
import { AlertEngine } from '../alerter/engine.js'
import { loadRulesFile } from '../alerter/rules.js'
import { scoreEvent } from '../scorer/engine.js'
import { loadScorerConfig } from '../scorer/scorer-config.js'
import { SCORERS } from '../scorer/scorers/index.js'
import { alertUnit, scoredUnit } from '../sink/rows.js'
import type { Unit } from '../sink/writer.js'

export interface SeedOptions {
  /** Simulated minutes of traffic (default 30). */
  minutes?: number
  /** Events per second (default 10). */
  ratePerSec?: number
  /** End of the traffic, epoch ms (default now). */
  endMs?: number
  seed?: number
  /** Default: the demo's script over the whole span (six incidents one after another). */
  incidents?: IncidentSpec[]
}

export interface SeedResult {
  startMs: number
  endMs: number
  events: number
  scored: ScoredInteraction[]
  alerts: Alert[]
  incidents: IncidentSpec[]
}

/** Generates, scores and alerts in memory (no I/O). */
export function buildSeed(opts: SeedOptions = {}): SeedResult {
  const minutes = opts.minutes ?? 30
  const rate = opts.ratePerSec ?? 10
  const endMs = opts.endMs ?? Date.now()
  const n = Math.round(minutes * 60 * rate)
  const startMs = endMs - minutes * 60_000
  const incidents = opts.incidents ?? defaultIncidentScript(startMs, minutes * 60_000)
  const events = generateEvents(n, opts.seed ?? 7, { startMs, ratePerSec: rate, incidents })
  const config = loadScorerConfig(SCORERS, repoPath('config', 'scorers.json'))
  const engine = new AlertEngine(loadRulesFile(repoPath('config', 'alert-rules.yaml')))
  const scored: ScoredInteraction[] = []
  const alerts: Alert[] = []
  let nextTick = startMs + 1000
  for (const ev of events) {
    const s = scoreEvent(ev, SCORERS, config, { textMode: 'redacted', now: () => ev.end_time + 20 })
    scored.push(s)
    while (s.end_time >= nextTick) {
      alerts.push(...engine.tick(nextTick))
      nextTick += 1000
    }
    alerts.push(...engine.observe(s, s.end_time + 20))
    alerts.push(...engine.evaluateDirty())
  }
  alerts.push(...engine.tick(endMs))
  return { startMs, endMs, events: scored.length, scored, alerts, incidents }
}

/** Inserts units table by table in batches (the writer user). */
export async function insertUnits(client: ClickHouseClient, units: Unit[], batch = 5000): Promise<void> {
  const byTable = new Map<string, Record<string, unknown>[]>()
  for (const u of units) for (const [table, rows] of Object.entries(u.rows)) {
    let list = byTable.get(table)
    if (!list) byTable.set(table, (list = []))
    for (const r of rows) list.push(r)
  }
  for (const [table, rows] of byTable) {
    for (let i = 0; i < rows.length; i += batch) await client.insert({ table, values: rows.slice(i, i + batch), format: 'JSONEachRow' })
  }
}

/** buildSeed, then writes its rows as the sink would (topics llm.scores / llm.alerts, offsets from `offset0`). */
export async function seedDashboard(client: ClickHouseClient, opts: SeedOptions & { offset0?: number } = {}): Promise<SeedResult> {
  const r = buildSeed(opts)
  const o = opts.offset0 ?? 0
  const units = [
    ...r.scored.map((s, i) => scoredUnit(s, { topic: 'llm.scores', partition: 0, offset: String(o + i) }, 'redacted')),
    ...r.alerts.map((a, i) => alertUnit(a, { topic: 'llm.alerts', partition: 0, offset: String(o + i) })),
  ]
  await insertUnits(client, units)
  return r
}
