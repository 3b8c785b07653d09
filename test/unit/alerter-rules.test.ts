import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadRulesFile, parseDuration, parseRules, RulesError, validateRules } from '../../services/alerter/rules.js'

const rate = {
  name: 'toxic',
  kind: 'rate',
  select: { scorer: 'toxicity', target: 'response' },
  window: '5m',
  threshold: 0.02,
  annotations: { summary: 'toxic {{ value }}' },
}

function errorOf(fn: () => unknown): RulesError {
  try {
    fn()
  } catch (e) {
    if (e instanceof RulesError) return e
    throw e
  }
  throw new Error('expected a RulesError')
}

describe('alert rules', () => {
  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration(30)).toBe(30_000)
    expect(parseDuration('5 minutes')).toBeNull()
    expect(parseDuration(-1)).toBeNull()
  })

  it('fills defaults and a hysteresis threshold below the firing threshold', () => {
    const [r] = validateRules({ rules: [rate] })
    expect(r).toMatchObject({ kind: 'rate', window: 300_000, for: 0, min_events: 20, severity: 'warning', group_by: ['app_name'], by: ['app_name', 'environment'], environment_severity: {} })
    expect(r!.resolve_threshold).toBeLessThan(0.02)
    expect(r!.resolve_threshold).toBeCloseTo(0.018)
  })

  it('names the rule, the field and what was expected', () => {
    const e = errorOf(() => validateRules({ rules: [rate, { ...rate, name: 'slow', window: '5 minutes' }] }))
    expect(e.issues).toHaveLength(1)
    expect(e.message).toContain('rule "slow"')
    expect(e.message).toContain('rules[1]')
    expect(e.message).toContain('field "window"')
    expect(e.message).toContain('expected a duration')
  })

  it('reports unknown kinds, nested fields and every problem at once', () => {
    const e = errorOf(() =>
      validateRules({
        rules: [
          { ...rate, kind: 'median' },
          { ...rate, name: 'q', kind: 'quantile', select: undefined, metric: 'latency_ms', quantile: 1.5 },
          { ...rate, name: 'x', annotations: { summary: 'x', runbook_url: 'not a url' } },
        ],
      }),
    )
    expect(e.issues.some((i) => i.includes('rule "toxic"') && i.includes('field "kind"') && i.includes('rate, quantile'))).toBe(true)
    expect(e.issues.some((i) => i.includes('rule "q"') && i.includes('field "quantile"'))).toBe(true)
    expect(e.issues.some((i) => i.includes('rule "x"') && i.includes('field "annotations.runbook_url"'))).toBe(true)
  })

  it('rejects duplicate names and a resolve threshold above the threshold', () => {
    const e = errorOf(() => validateRules({ rules: [rate, { ...rate, resolve_threshold: 0.5 }] }))
    expect(e.issues.some((i) => i.includes('field "name"') && i.includes('unique'))).toBe(true)
    expect(e.issues.some((i) => i.includes('field "resolve_threshold"'))).toBe(true)
  })

  it('loads YAML and JSON files and reports syntax errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'))
    const y = join(dir, 'r.yaml')
    writeFileSync(y, 'rules:\n  - name: silent\n    kind: absence\n    window: 10m\n    annotations: { summary: "{{ app_name }} silent" }\n')
    expect(loadRulesFile(y)[0]).toMatchObject({ name: 'silent', kind: 'absence', window: 600_000, group_by: ['app_name'] })
    const j = join(dir, 'r.json')
    writeFileSync(j, JSON.stringify({ rules: [rate] }))
    expect(loadRulesFile(j)).toHaveLength(1)
    expect(() => parseRules('{ rules: [', 'json')).toThrow(/not valid JSON/)
  })

  it('accepts the shipped default rules file, which covers every scorer', () => {
    const rules = loadRulesFile(join(import.meta.dirname, '../../config/alert-rules.yaml'))
    const scorers = new Set<string>()
    for (const r of rules) {
      const sel = 'select' in r ? r.select : r.kind === 'anomaly' && 'rate' in r.signal ? r.signal.rate : undefined
      if (sel && 'scorer' in sel) scorers.add(sel.scorer)
      const m = 'metric' in r ? r.metric : r.kind === 'anomaly' && 'mean' in r.signal ? r.signal.mean : undefined
      if (typeof m === 'object') scorers.add(m.score)
    }
    for (const s of ['toxicity', 'bias', 'hallucination', 'latency', 'cost', 'pii', 'injection']) expect(scorers).toContain(s)
    expect(new Set(rules.map((r) => r.kind))).toEqual(new Set(['rate', 'quantile', 'budget', 'anomaly', 'immediate', 'absence']))
  })
})
