import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Alert } from '../../shared/contract.js'
import { firingDuring, parseDuration } from '../../services/demo/demo.js'

const alert = (state: 'firing' | 'resolved', t: number, key = 'k'): Alert => ({
  alert_id: randomUUID(), rule: 'r', kind: 'rate', severity: 'warning', state, reminder: false, labels: {}, dedup_key: key,
  value: 1, threshold: 0.5, window_seconds: 10, started_time: t, ended_time: null, emitted_time: t, summary: '', runbook_url: null, example_event_ids: [],
  unit: 'ratio', resolve_reason: null, series: [],
})

describe('demo verdicts', () => {
  it('counts an alert firing inside the incident span', () => {
    expect(firingDuring([alert('firing', 150), alert('resolved', 300)], 100, 200)?.emitted_time).toBe(150)
  })
  it('counts an alert that fired before and was still firing when the incident began', () => {
    expect(firingDuring([alert('firing', 50), alert('resolved', 150)], 100, 200)?.emitted_time).toBe(50)
    expect(firingDuring([alert('firing', 50)], 100, 200)?.emitted_time).toBe(50)
  })
  it('does not count alerts that resolved before the span or fired after it', () => {
    expect(firingDuring([alert('firing', 10), alert('resolved', 90), alert('firing', 250)], 100, 200)).toBeNull()
  })
  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('3m')).toBe(180_000)
    expect(parseDuration('45')).toBe(45_000)
    expect(() => parseDuration('soon')).toThrow(/expected a duration/)
  })
})
