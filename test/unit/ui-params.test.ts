/** The dashboard's URL state (services/ui/params.ts): ranges, ends, filters, and which aggregate table a range reads. */
import { describe, expect, it } from 'vitest'
import { intParam, numParam, ParamError, parseView } from '../../services/ui/params.js'

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0)
const q = (s: string) => new URLSearchParams(s)

describe('dashboard URL parameters', () => {
  it('a range ends now (live) unless end is given, as epoch ms or ISO 8601', () => {
    expect(parseView(q(''), NOW).range).toEqual({ label: '1h', from: NOW - 3_600_000, to: NOW, live: true })
    expect(parseView(q('range=15m&end=1768478400000'), NOW).range).toEqual({ label: '15m', from: 1768478400000 - 900_000, to: 1768478400000, live: false })
    expect(parseView(q('range=6h&end=2026-01-15T10:00:00Z'), NOW).range.to).toBe(Date.UTC(2026, 0, 15, 10))
  })

  it('refuses ranges outside 15 minutes to 30 days and unreadable values, naming the parameter', () => {
    for (const bad of ['range=5m', 'range=31d', 'range=2y', 'range=1w', 'end=yesterday', 'end=12']) {
      expect(() => parseView(q(bad), NOW), bad).toThrow(ParamError)
    }
    expect(() => parseView(q('range=2y'), NOW)).toThrow(/^range: expected a duration/)
    expect(() => parseView(q('app=' + 'x'.repeat(300)), NOW)).toThrow(/^app: /)
    expect(() => intParam(q('limit=0'), 'limit', 50, 500)).toThrow(/^limit: /)
    expect(() => numParam(q('min=abc'), 'min')).toThrow(/^min: /)
    expect(numParam(q('min=0.5'), 'min')).toBe(0.5)
  })

  it('reads the minute tables up to 12 hours and the hourly ones beyond, with at most 120 points', () => {
    const cases: [string, string, number][] = [
      ['15m', 'metrics_1m', 60],
      ['1h', 'metrics_1m', 60],
      ['6h', 'metrics_1m', 300],
      ['12h', 'metrics_1m', 600],
      ['24h', 'metrics_1h', 3600],
      ['7d', 'metrics_1h', 7200],
      ['30d', 'metrics_1h', 21_600],
    ]
    for (const [range, table, step] of cases) {
      const v = parseView(q(`range=${range}`), NOW)
      expect([v.metrics, v.scores.replace('scores', 'metrics'), v.step], range).toEqual([table, table, step])
      expect(v.timeCol).toBe(table === 'metrics_1m' ? 'minute' : 'hour')
      expect((v.range.to - v.range.from) / (v.step * 1000)).toBeLessThanOrEqual(120)
    }
  })

  it('keeps the filters, trimmed', () => {
    expect(parseView(q('app=%20support-bot%20&env=production&model=gpt-4o&version=3'), NOW).filters).toEqual({ app: 'support-bot', env: 'production', model: 'gpt-4o', version: '3' })
    expect(parseView(q(''), NOW).filters).toEqual({ app: '', env: '', model: '', version: '' })
  })
})
