/** The gates file, its evaluation and the reports (services/gate): checks decided by hand-computed values. */
import { readFileSync } from 'node:fs'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import type { SideData } from '../../shared/compare.js'
import { repoPath } from '../../shared/paths.js'
import { evaluateGates, intervalTests, parseGates, type GatesFile } from '../../services/gate/gates.js'
import { junitXml, markdownSummary } from '../../services/gate/report.js'

const side = (label: string, o: Partial<SideData> = {}): SideData => ({
  label, events: 100, errors: 0, cacheHits: 0, flags: [], latencyMs: [], costUsd: [], savingsUsd: [], ...o,
})
const tox = (flagged: number, scored = 100) => [{ scorer: 'toxicity', target: 'response', scored, flagged }]
const gates = (yaml: string): GatesFile => parseGates(yaml, 'test.yaml')

describe('gates file', () => {
  it('config/gates.yaml and the example gates file are valid', () => {
    const g = parseGates(readFileSync(repoPath('config', 'gates.yaml'), 'utf8'), 'config/gates.yaml')
    expect(g.version).toBe(1)
    expect(g.checks.length).toBeGreaterThanOrEqual(6)
    expect(parseGates(readFileSync(repoPath('examples', 'rag-prompt-gate', 'gates.yaml'), 'utf8'), 'example').checks.length).toBe(6)
  })
  it('names the path and what was expected', () => {
    expect(() => gates('version: 1\nchecks: []')).toThrow(/test\.yaml: checks: .*at least 1|test\.yaml: checks: Too small/)
    expect(() => gates('version: 1\nchecks:\n  - name: x\n    metric: flag_rate\n    max: 0.1')).toThrow(/checks\.0: a flag_rate check names its scorer and target/)
    expect(() => gates('version: 1\nchecks:\n  - name: x\n    metric: error_rate')).toThrow(/a check needs a limit/)
    expect(() => gates('version: 1\nchecks:\n  - name: x\n    metric: p95\n    max: 1')).toThrow(/checks\.0\.metric/)
    expect(() => gates('version: 1\nchecks:\n  - name: x\n    metric: error_rate\n    maks: 1')).toThrow(/Unrecognized key.*maks/)
    expect(() => gates('version: 1\nchecks:\n  - name: x\n    metric: error_rate\n    max: 1\n  - name: x\n    metric: error_rate\n    max: 1')).toThrow(/duplicate check name "x"/)
    expect(() => gates('version: [')).toThrow(/test\.yaml: invalid YAML/)
    expect(() => gates('checks:\n  - name: x\n    metric: error_rate\n    max: 1')).toThrow(/version/)
  })
})

describe('evaluateGates', () => {
  it('absolute limits on the estimate, and on the interval with bound: interval', () => {
    const g = gates(`version: 1
checks:
  - { name: tox, metric: flag_rate, scorer: toxicity, target: response, max: 0.05 }
  - { name: tox strict, metric: flag_rate, scorer: toxicity, target: response, max: 0.05, bound: interval }
  - { name: errors, metric: error_rate, max: 0.01 }`)
    const r = evaluateGates(g, side('cand', { flags: tox(4), errors: 2 }), null)
    // 4/100 = 4 % <= 5 %; its Wilson upper bound 9.84 % is not; 2 % errors > 1 %.
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([['tox', 'pass'], ['tox strict', 'fail'], ['errors', 'fail']])
    expect(r.status).toBe('fail')
    // Only the interval condition counts as a test: m = 1, no Bonferroni widening.
    expect(r.tests).toBe(1)
    expect(r.perTestConfidence).toBe(0.95)
    expect(r.checks[1]!.conditions[0]!.message).toMatch(/upper 95% bound of toxicity response flag rate 9\.\d+% not <= 5\.00%/)
  })

  it('relative limits: a proven regression fails, noise passes the regression test, noninferiority needs evidence', () => {
    const g = gates(`version: 2
confidence: 0.95
checks:
  - { name: tox regression, metric: flag_rate, scorer: toxicity, target: response, max_increase: 0.02, test: regression }
  - { name: tox noninferior, metric: flag_rate, scorer: toxicity, target: response, max_increase: 0.02 }`)
    expect(intervalTests(g, true)).toBe(2)
    const base = side('base', { flags: tox(5) })
    // 5/100 -> 25/100: Newcombe at 97.5 % (Bonferroni over 2) lies well above +2 points.
    const worse = evaluateGates(g, side('cand', { flags: tox(25) }), base)
    expect(worse.perTestConfidence).toBeCloseTo(0.975, 12)
    expect(worse.checks.map((c) => c.status)).toEqual(['fail', 'fail'])
    expect(worse.checks[0]!.conditions[0]!.diff!.low).toBeGreaterThan(0.02)
    // 5/100 -> 6/100: the interval straddles the margin: not a proven regression, not proven non-inferior either.
    const noise = evaluateGates(g, side('cand', { flags: tox(6) }), base)
    expect(noise.checks.map((c) => c.status)).toEqual(['pass', 'fail'])
    expect(noise.checks[1]!.conditions[0]!.message).toMatch(/not shown within 2\.00 pt at 97\.5%/)
    // 50/1000 -> 50/1000: the interval (about +-2.2 points at 97.5 %) still pokes past 2 points; 5,000 each shows it.
    const big = (n: number) => side('x', { events: n, flags: tox(n / 20, n) })
    expect(evaluateGates(g, big(1000), big(1000)).checks[1]!.status).toBe('fail')
    expect(evaluateGates(g, big(5000), big(5000)).checks[1]!.status).toBe('pass')
  })

  it('ratio margins of quantiles and means, decreases for metrics where higher is better', () => {
    const g = gates(`version: 1
correction: none
checks:
  - { name: p95, metric: latency_p95_ms, max_increase_ratio: 0.2, test: regression }
  - { name: savings, metric: cache_savings_per_event_usd, max_decrease: 0.001, test: regression }`)
    const lat = (shift: number) => Array.from({ length: 400 }, (_, i) => 100 + i + shift)
    const base = side('b', { latencyMs: lat(0), savingsUsd: Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 0.004 : 0)) })
    const slow = evaluateGates(g, side('c', { latencyMs: lat(200), savingsUsd: Array.from({ length: 100 }, () => 0) }), base, { iterations: 500 })
    // p95 480 -> 680 ms: +200 ms against a margin of 20 % x 480 = 96 ms; savings $0.002 -> $0 per event: down by more than $0.001.
    expect(slow.checks[0]!.conditions[0]).toMatchObject({ status: 'fail', margin: expect.closeTo(0.2 * 479.05, 6) as number })
    expect(slow.checks[1]!.status).toBe('fail')
    const same = evaluateGates(g, side('c', { latencyMs: lat(0), savingsUsd: base.savingsUsd }), base, { iterations: 500 })
    expect(same.checks.map((c) => c.status)).toEqual(['pass', 'pass'])
  })

  it('a check without data or without a baseline is an error, not a pass', () => {
    const g = gates(`version: 1
checks:
  - { name: halluc, metric: flag_rate, scorer: hallucination, target: response, max: 0.1 }
  - { name: rel, metric: error_rate, max_increase: 0.01 }`)
    const r = evaluateGates(g, side('c', { flags: tox(1) }), null)
    expect(r.status).toBe('error')
    expect(r.checks[0]!.conditions[0]!.message).toMatch(/no hallucination results on response in the candidate/)
    expect(r.checks[1]!.conditions[0]!.message).toMatch(/needs a baseline run/)
  })
})

describe('reports', () => {
  const g = gates(`version: 7
checks:
  - { name: 'toxicity <b>&</b> "quotes"', metric: flag_rate, scorer: toxicity, target: response, max: 0.01 }
  - { name: errors, metric: error_rate, max: 0.05 }
  - { name: halluc, metric: flag_rate, scorer: hallucination, target: response, max: 0.1 }`)
  const r = evaluateGates(g, side('cand', { flags: tox(3) }), null)
  const ctx = { gatesFile: 'config/gates.yaml', candidateFile: 'run.jsonl', baselineSource: null, seconds: 1.5, timestamp: new Date('2026-06-01T10:00:00Z') }

  it('JUnit XML is well-formed and parses back to one testcase per check', () => {
    const xml = junitXml(r, ctx)
    expect(XMLValidator.validate(xml)).toBe(true)
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: { tests: string; failures: string; errors: string; testsuite: { name: string; properties: { property: { name: string; value: string }[] }; testcase: Record<string, unknown>[] } }
    }
    expect(doc.testsuites).toMatchObject({ tests: '3', failures: '1', errors: '1' })
    const suite = doc.testsuites.testsuite
    expect(suite.name).toBe('llmwatch gate (config/gates.yaml version 7)')
    expect(suite.properties.property.find((p) => p.name === 'gates_version')?.value).toBe('7')
    expect(suite.testcase.map((t) => t.name)).toEqual(['toxicity <b>&</b> "quotes"', 'errors', 'halluc'])
    const [failed, passed, errored] = suite.testcase as [{ failure: { message: string; type: string } }, { 'system-out': string }, { error: { type: string } }]
    expect(failed.failure.type).toBe('threshold')
    expect(failed.failure.message).toMatch(/toxicity response flag rate 3\.00% not <= 1\.00%/)
    expect(passed['system-out']).toMatch(/^PASS: error rate 0\.00% <= 5\.00%/)
    expect(errored.error.type).toBe('not_evaluated')
  })

  it('the Markdown summary has a headline and one table row per check', () => {
    const md = markdownSummary(r, ctx)
    expect(md.split('\n')[0]).toBe('## ⚠️ llmwatch gate could not evaluate 1 of 3 checks (1 failed)')
    expect(md).toContain('Candidate `run.jsonl`: 100 events; no baseline. Gates `config/gates.yaml` version 7')
    const rows = md.split('\n').filter((l) => /^\| (✅|❌|⚠️) \|/.test(l))
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatch(/^\| ❌ \| toxicity <b>&<\/b> "quotes" \| toxicity response flag rate 3\.00% not <= 1\.00%/)
  })
})
