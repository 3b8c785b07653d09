/**
 * Times from producers: epoch milliseconds everywhere, RFC 3339 strings in JSON; a number that can
 * only be epoch seconds is refused with a reason that says so (issue 11).
 */
import { describe, expect, it } from 'vitest'
import { Codec, JSON_CONTENT_TYPE } from '../../shared/codec.js'
import { parseTimestampString } from '../../shared/contract.js'
import { parseOfflineEvent } from '../../services/scorer/offline.js'
import { interaction } from '../fixtures.js'

const codec = Codec.load()
const json = (v: unknown) => codec.decode('LlmInteraction', Buffer.from(JSON.stringify(v)), { 'content-type': JSON_CONTENT_TYPE })

describe('JSON times', () => {
  const start = Date.UTC(2026, 0, 1, 12, 0, 0, 250)
  const now = () => start + 60_000
  const base = () => {
    const e = interaction({ request_start_time: Date.now() - 5000, first_token_time: null, end_time: Date.now() - 1000 })
    return e as unknown as Record<string, unknown>
  }

  it('parses RFC 3339 / ISO-8601 with a zone, to the millisecond', () => {
    expect(parseTimestampString('2026-01-01T12:00:00.250Z')).toBe(start)
    expect(parseTimestampString('2026-01-01T14:00:00.250+02:00')).toBe(start)
    expect(parseTimestampString('2026-01-01T07:00:00.250-0500')).toBe(start)
    expect(parseTimestampString('2026-01-01 12:00:00.250123Z')).toBe(start)
    expect(parseTimestampString('2026-01-01t12:00:00.25z')).toBe(start)
    expect(now() - start).toBe(60_000)
  })

  it('refuses dates without a zone or seconds, impossible dates and other text', () => {
    for (const s of ['2026-01-01T12:00:00', '2026-01-01T12:00Z', '2026-02-30T12:00:00Z', '2026-13-01T12:00:00Z', '2026-01-01T24:00:00Z', 'yesterday', '', '1767268800250']) {
      expect(parseTimestampString(s), s).toBeNull()
    }
  })

  it('accepts an event whose times are RFC 3339 strings and hands on epoch milliseconds', () => {
    const e = base()
    const t0 = Date.now() - 4000
    const iso = (ms: number) => new Date(ms).toISOString()
    const r = json({ ...e, request_start_time: iso(t0), first_token_time: iso(t0 + 300), end_time: new Date(t0 + 1500).toISOString().replace('Z', '+00:00') })
    expect(r.ok, r.ok ? '' : r.reason).toBe(true)
    if (!r.ok) return
    expect(r.value.request_start_time).toBe(t0)
    expect(r.value.first_token_time).toBe(t0 + 300)
    expect(r.value.end_time).toBe(t0 + 1500)
  })

  it('still accepts epoch milliseconds, and mixed forms', () => {
    const e = base()
    const r = json({ ...e, end_time: new Date(e.end_time as number).toISOString() })
    expect(r.ok, r.ok ? '' : r.reason).toBe(true)
    if (r.ok) expect(r.value.end_time).toBe(e.end_time)
  })

  it('refuses epoch seconds with a reason that says so (JSON and Avro)', () => {
    const e = base()
    const secs = { ...e, request_start_time: Math.floor((e.request_start_time as number) / 1000), end_time: Math.floor((e.end_time as number) / 1000) }
    const r = json(secs)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.code).toBe('VALIDATION')
      expect(r.reason).toMatch(/request_start_time: \d+ looks like epoch seconds; times are epoch milliseconds/)
    }
    const avro = codec.decode('LlmInteraction', codec.encode('LlmInteraction', secs as never))
    expect(avro.ok).toBe(false)
    if (!avro.ok) expect(avro.reason).toMatch(/looks like epoch seconds/)
  })

  it('refuses a time string that is not RFC 3339, naming the field and the expected form', () => {
    const r = json({ ...base(), end_time: '2026-01-01 12:00' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/end_time: "2026-01-01 12:00" is neither epoch milliseconds nor an RFC 3339 time with a zone/)
  })

  it('llmwatch score (offline) takes the same forms: old RFC 3339 times are fine, seconds are not', () => {
    const e = base()
    const old = { ...e, request_start_time: '2024-03-01T10:00:00Z', end_time: '2024-03-01T10:00:02.5Z', first_token_time: null }
    const ok = parseOfflineEvent(old)
    expect(ok.ok, ok.ok ? '' : ok.error).toBe(true)
    if (ok.ok) expect(ok.event.end_time - ok.event.request_start_time).toBe(2500)
    const bad = parseOfflineEvent({ ...e, request_start_time: 1709287200, end_time: 1709287202 })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error).toMatch(/looks like epoch seconds/)
  })
})
