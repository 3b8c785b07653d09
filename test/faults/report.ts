/**
 * Prints the fault suite's results: the latest run of each scenario from the results file the
 * scenarios append to (test/faults/harness.ts RESULTS_FILE), as a Markdown table (the one in
 * docs/RELIABILITY.md), and with --json the same figures as one JSON array on the last line.
 *
 *   npx tsx test/faults/report.ts [--json] [--file path]
 */
import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { RESULTS_FILE, type ScenarioResult } from './results.js'

export function latestPerScenario(lines: string[]): ScenarioResult[] {
  const latest = new Map<string, ScenarioResult>()
  for (const line of lines) {
    if (!line.trim()) continue
    const r = JSON.parse(line) as ScenarioResult
    const cur = latest.get(r.scenario)
    if (!cur || cur.date <= r.date) latest.set(r.scenario, r)
  }
  return [...latest.values()].sort((a, b) => a.scenario.localeCompare(b.scenario))
}

const fmt = (n: number) => (n < 0 ? '?' : n.toLocaleString('en-US'))

export function markdown(results: ScenarioResult[]): string {
  const rows = results.map((r) => `| ${r.scenario} | ${fmt(r.events)} | ${fmt(r.lost)} | ${fmt(r.duplicated)} | ${fmt(r.dlq)} | ${r.recoveryMs < 0 ? '?' : r.recoveryMs === 0 ? '-' : `${(r.recoveryMs / 1000).toFixed(1)} s`} | ${(r.violations ?? []).length === 0 ? 'exact' : r.violations.join('; ')} | ${(r.durationMs / 1000).toFixed(0)} s | ${r.date.slice(0, 10)} |`)
  return ['| scenario | events | lost | duplicated | DLQ\'d | recovery time | books | run time | date |', '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |', ...rows].join('\n')
}

function main(): number {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, file: { type: 'string', default: RESULTS_FILE } } })
  if (!existsSync(values.file)) {
    process.stderr.write(`no results at ${values.file}: run \`npm run test:faults\` first\n`)
    return 1
  }
  const results = latestPerScenario(readFileSync(values.file, 'utf8').split('\n'))
  process.stdout.write(markdown(results) + '\n')
  for (const r of results) if (r.notes) process.stdout.write(`- ${r.scenario}: ${r.notes}\n`)
  if (values.json) process.stdout.write(JSON.stringify(results.map(({ scenario, events, lost, duplicated, dlq, recoveryMs, violations }) => ({ scenario, events, lost, duplicated, dlq, recoveryMs, violations: violations ?? [] }))) + '\n')
  return 0
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main()
