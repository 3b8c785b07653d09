/**
 * Every shipped alert rule (default, demo and the Prometheus rules for the pipeline itself) links a
 * runbook, and the link resolves to a real heading of docs/ALERTING.md (GitHub's anchors).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { loadRulesFile } from '../../services/alerter/rules.js'
import { repoPath } from '../../shared/paths.js'

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const m = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = m[1]!
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

const anchors = headingAnchors(readFileSync(repoPath('docs', 'ALERTING.md'), 'utf8'))
const RUNBOOK = /^docs\/ALERTING\.md#([a-z0-9_-]+)$/

describe('runbook links', () => {
  it('the anchor function follows GitHub', () => {
    expect([...headingAnchors('# Alerting\n## Series, alerts and grouping: one incident, one alert\n#### toxic-responses\n```\n# not a heading\n```\n## Tests\n## Tests\n')]).toEqual([
      'alerting',
      'series-alerts-and-grouping-one-incident-one-alert',
      'toxic-responses',
      'tests',
      'tests-1',
    ])
  })

  it.each(['alert-rules.yaml', 'demo-alert-rules.yaml'])('every rule of config/%s links an existing section of docs/ALERTING.md', (file) => {
    const rules = loadRulesFile(repoPath('config', file))
    expect(rules.length).toBeGreaterThan(0)
    for (const r of rules) {
      const url = r.annotations.runbook_url
      expect(url, `${file}: rule ${r.name} has no runbook_url`).toBeDefined()
      const m = RUNBOOK.exec(url!)
      expect(m, `${file}: rule ${r.name}: runbook_url ${url} is not docs/ALERTING.md#<section>`).not.toBeNull()
      expect(anchors.has(m![1]!), `${file}: rule ${r.name}: no heading for #${m![1]} in docs/ALERTING.md`).toBe(true)
    }
  })

  it('every Prometheus rule of infra/prometheus links an existing section of docs/ALERTING.md', () => {
    const file = parseYaml(readFileSync(repoPath('infra', 'prometheus', 'llmwatch-rules.yml'), 'utf8')) as {
      groups: { rules: { alert?: string; annotations?: { runbook_url?: string } }[] }[]
    }
    const alerts = file.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined)
    expect(alerts.length).toBeGreaterThanOrEqual(4)
    for (const r of alerts) {
      const m = RUNBOOK.exec(r.annotations?.runbook_url ?? '')
      expect(m, `${r.alert}: runbook_url ${r.annotations?.runbook_url} is not docs/ALERTING.md#<section>`).not.toBeNull()
      expect(anchors.has(m![1]!), `${r.alert}: no heading for #${m![1]} in docs/ALERTING.md`).toBe(true)
    }
  })
})
