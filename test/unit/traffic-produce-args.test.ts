/** Argument parsing of `llmwatch produce` (services/producer/args.ts): durations, incident files, defaults. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDuration, parseIncidents, parseProduceArgs, UsageError } from '../../services/producer/args.js'

describe('produce arguments', () => {
  it('parses durations with units, bare numbers as seconds', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('60s')).toBe(60_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('1.5')).toBe(1500)
    expect(() => parseDuration('soon')).toThrow(UsageError)
    expect(() => parseDuration('0s')).toThrow(/positive/)
  })

  it('defaults: 100/s for 60 s, avro, seed 1, no incidents; --count alone is not time-bound', () => {
    const a = parseProduceArgs([])
    expect(a).toMatchObject({ rate: 100, durationMs: 60_000, count: undefined, format: 'avro', seed: 1, topic: 'llm.interactions' })
    expect(a.incidents(0, 1000)).toEqual([])
    expect(parseProduceArgs(['--count', '10']).durationMs).toBeUndefined()
    expect(parseProduceArgs(['--count', '10', '--duration', '2s']).durationMs).toBe(2000)
  })

  it('--incidents default places the six incidents inside the run', () => {
    const specs = parseProduceArgs(['--incidents', 'default', '--duration', '5m']).incidents(1_000, 300_000)
    expect(specs).toHaveLength(6)
    for (const s of specs) expect(s.startMs + s.durationMs).toBeLessThanOrEqual(301_000)
  })

  it('reads an incident file with times relative to the run start', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'produce-args-')), 'incidents.yaml')
    writeFileSync(file, '- name: pii_leak\n  app: support-bot\n  start: 30s\n  duration: 1m\n  share: 0.5\n- name: latency_regression\n  model: gpt-4o\n  start: 2m\n  duration: 20s\n')
    expect(parseIncidents(file)(10_000, 600_000)).toEqual([
      { name: 'pii_leak', app: 'support-bot', startMs: 40_000, durationMs: 60_000, share: 0.5 },
      { name: 'latency_regression', model: 'gpt-4o', startMs: 130_000, durationMs: 20_000, share: 0.3 },
    ])
    writeFileSync(file, '- name: meteor_strike\n  start: 1s\n  duration: 1s\n')
    expect(() => parseIncidents(file)).toThrow(/name/)
  })
})
