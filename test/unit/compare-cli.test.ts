/** `llmwatch compare`'s arguments and rendering (services/gate/compare-cli.ts), without ClickHouse. */
import { describe, expect, it } from 'vitest'
import { compareSides } from '../../shared/compare.js'
import { comparisonJson, parseCompareArgs, parseSince, parseTime, renderComparison } from '../../services/gate/compare-cli.js'

const NOW = Date.parse('2026-06-02T12:00:00Z')

describe('compare arguments', () => {
  it('--by with filters and the default range (the last 24 h)', () => {
    const a = parseCompareArgs(['--by', 'request_model', 'gpt-4o', 'gpt-4o-mini', '--where', 'app_name=support-bot', '--where', 'environment=production'], NOW)
    expect(a.query).toMatchObject({ by: 'request_model', a: 'gpt-4o', b: 'gpt-4o-mini', fromMs: NOW - 86_400_000, toMs: NOW, where: { app_name: 'support-bot', environment: 'production' }, confidence: 0.95, correction: 'holm' })
    expect(a.rangeLabel).toBe('the last 24h')
    expect(a.format).toBe('table')
  })
  it('--split inside --from/--to; values with "=" in them survive --where', () => {
    const a = parseCompareArgs(['--split', '2026-06-01T12:00:00+02:00', '--from', '2026-06-01T00:00:00Z', '--to', '2026-06-02T00:00:00Z', '--where', 'prompt_template_id=a=b', '--format', 'json', '--correction', 'bh'], NOW)
    expect(a.query).toMatchObject({ splitMs: Date.parse('2026-06-01T10:00:00Z'), fromMs: Date.parse('2026-06-01T00:00:00Z'), toMs: Date.parse('2026-06-02T00:00:00Z'), where: { prompt_template_id: 'a=b' }, correction: 'bh' })
    expect(a.format).toBe('json')
  })
  it('durations and times', () => {
    expect(parseSince('30m')).toBe(1_800_000)
    expect(parseSince('7d')).toBe(604_800_000)
    expect(() => parseSince('7')).toThrow(/--since expects a duration/)
    expect(parseTime('1780304400000', '--to')).toBe(1780304400000)
    expect(() => parseTime('2026-06-01T12:00:00', '--to')).toThrow(/--to expects an RFC 3339 time with a zone/)
    expect(() => parseCompareArgs(['--by', 'request_model', 'a', 'b', '--since', '1h', '--from', '2026-06-01T00:00:00Z'], NOW)).toThrow(/either --since or --from\/--to/)
    expect(() => parseCompareArgs(['--by', 'request_model', 'a', 'a'], NOW)).toThrow(/two different values/)
  })
})

describe('compare rendering', () => {
  const side = (label: string, flagged: number) => ({ label, events: 200, errors: 0, cacheHits: 0, flags: [{ scorer: 'toxicity', target: 'response', scored: 200, flagged }], latencyMs: [], costUsd: [], savingsUsd: [] })
  const c = compareSides(side('v1', 2), side('v2', 30))
  it('a table row per metric, rates in %, differences in points, the verdict line', () => {
    const t = renderComparison(c, 'heading')
    expect(t.split('\n')[0]).toBe('heading')
    expect(t).toMatch(/^toxicity response flag rate \| 1\.00% \[0\.27%, 3\.57%\] 2\/200 +\| 15\.00% \[10\.71%, 20\.61%\] 30\/200 +\| \+14\.00 pt \[\+9\.\d\d pt, \+19\.\d\d pt\] \| <0\.0001 +\| WORSE$/m)
    expect(t).toMatch(/^latency p95 ms +\| - \(n=0\) +\| - \(n=0\) +\| - +\| - +\| n\/a$/m)
    expect(t).toMatch(/^B is significantly worse on: toxicity response flag rate$/m)
  })
  it('JSON has null where a value is not a number', () => {
    const j = JSON.parse(comparisonJson(c)) as { rows: { key: string; p: number | null; a: { estimate: number | null } }[] }
    expect(j.rows.find((r) => r.key === 'latency_p95_ms')).toMatchObject({ p: null, a: { estimate: null } })
  })
})
