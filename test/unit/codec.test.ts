import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { avroOpts, Codec } from '../../shared/codec.js'
import { LIMITS, LlmInteractionSchema, type LlmInteraction, type RecordOf, type ScoredInteraction } from '../../shared/contract.js'
import { repoPath } from '../../shared/paths.js'
import { generateEvents, Rng } from '../../shared/traffic/index.js'
import { interaction } from '../fixtures.js'
import { scoreEvent } from '../../services/scorer/engine.js'
import { defaultScorerConfig } from '../../services/scorer/scorer-config.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'

const codec = Codec.load()

describe('codec', () => {
  it('round-trips an LlmInteraction through Confluent-framed Avro', () => {
    const e = interaction({ retrieved_context: ['chunk one'], attributes: { tenant: 'acme' } })
    const buf = codec.encode('LlmInteraction', e)
    expect(buf[0]).toBe(0)
    expect(buf.readInt32BE(1)).toBe(codec.schemaIdOf('LlmInteraction'))
    const res = codec.decode('LlmInteraction', buf)
    expect(res).toMatchObject({ ok: true, format: 'avro', value: e })
  })

  it('accepts JSON by header or by leading brace, applying defaults', () => {
    const e = interaction()
    const { retrieved_context: _r, attributes: _a, ...partial } = e
    const byBrace = codec.decode('LlmInteraction', Buffer.from(JSON.stringify(partial)))
    expect(byBrace.ok && byBrace.value.retrieved_context).toEqual([])
    const byHeader = codec.decode('LlmInteraction', Buffer.from(` ${JSON.stringify(e)}`), { 'content-type': 'application/json' })
    expect(byHeader).toMatchObject({ ok: true, format: 'json' })
  })

  it.each([
    ['empty', Buffer.alloc(0), 'DECODE_EMPTY'],
    ['random bytes', Buffer.from([7, 1, 2, 3, 4, 5]), 'DECODE_UNKNOWN_FORMAT'],
    ['unknown schema id', Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2]), 'DECODE_UNKNOWN_SCHEMA_ID'],
    ['bad JSON', Buffer.from('{"event_id": '), 'DECODE_JSON'],
    ['non-UTF-8 JSON', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'DECODE_INVALID_UTF8'],
  ])('rejects %s with a code', (_name, buf, code) => {
    const res = codec.decode('LlmInteraction', buf)
    expect(res.ok).toBe(false)
    if (!res.ok) {
      expect(res.code).toBe(code)
      expect(res.reason.length).toBeGreaterThan(5)
    }
  })

  it('rejects truncated Avro and a schema id of another record', () => {
    const buf = codec.encode('LlmInteraction', interaction())
    expect(codec.decode('LlmInteraction', buf.subarray(0, buf.length - 10))).toMatchObject({ ok: false, code: 'DECODE_AVRO' })
    const alertId = codec.schemaIdOf('Alert')
    const wrong = Buffer.from(buf)
    wrong.writeInt32BE(alertId, 1)
    expect(codec.decode('LlmInteraction', wrong)).toMatchObject({ ok: false, code: 'DECODE_SCHEMA_MISMATCH' })
  })

  it('rejects invalid values that Avro accepts: negative tokens, 1970 and 2100 timestamps', () => {
    for (const over of [{ usage_output_tokens: -5 }, { request_start_time: 0, first_token_time: null }, { end_time: Date.UTC(2100, 0, 1) }]) {
      const buf = codec.encode('LlmInteraction', interaction(over))
      const res = codec.decode('LlmInteraction', buf)
      expect(res.ok, JSON.stringify(over)).toBe(false)
      if (!res.ok) expect(res.code).toBe('VALIDATION')
    }
  })

  it('rejects oversized payloads before parsing them', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20)
    big[0] = 0x7b
    expect(codec.decode('LlmInteraction', big)).toMatchObject({ ok: false, code: 'DECODE_TOO_LARGE' })
  })

  it('rejects Avro strings that are not valid UTF-8', () => {
    const e = interaction({ response_text: 'abcd' })
    const buf = codec.encode('LlmInteraction', e)
    const at = buf.indexOf(Buffer.from('abcd'))
    buf[at] = 0xff
    expect(codec.decode('LlmInteraction', buf)).toMatchObject({ ok: false, code: 'DECODE_INVALID_UTF8' })
  })

  it('finds invalid UTF-8 in nested strings and map keys, and accepts a genuine U+FFFD', () => {
    const nested = [
      interaction({ messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: 'QQQQ' }] }),
      interaction({ retrieved_context: ['a', 'QQQQ'] }),
      interaction({ attributes: { ok: 'v', QQQQ: 'v' } }),
      interaction({ attributes: { k: 'QQQQ' } }),
      interaction({ trace_id: 'QQQQ' }),
    ]
    for (const e of nested) {
      const buf = codec.encode('LlmInteraction', e)
      buf[buf.indexOf(Buffer.from('QQQQ'))] = 0xfe
      expect(codec.decode('LlmInteraction', buf)).toMatchObject({ ok: false, code: 'DECODE_INVALID_UTF8' })
    }
    const genuine = interaction({ messages: [{ role: 'user', content: 'a \uFFFD b' }], attributes: { 'k\uFFFD': 'v' } })
    expect(codec.decode('LlmInteraction', codec.encode('LlmInteraction', genuine))).toMatchObject({ ok: true, value: genuine })
  })
})

describe('schema evolution', () => {
  // A v2 of LlmInteraction adds an optional field with a default, registered under a new id.
  const v1 = JSON.parse(readFileSync(repoPath('schemas', 'LlmInteraction.avsc'), 'utf8')) as { fields: unknown[] }
  const v2 = { ...v1, fields: [...v1.fields, { name: 'request_temperature', type: ['null', 'double'], default: null }] }
  const t1 = avro.Type.forSchema(v1 as avro.Schema, avroOpts())
  const t2 = avro.Type.forSchema(v2 as avro.Schema, avroOpts())
  const entries = (reader: 'v1' | 'v2') => {
    const list = [{ id: 1, subject: 'llm.interactions-value', version: 1, record: 'LlmInteraction' as const, type: t1 }]
    if (reader === 'v2') list.push({ id: 11, subject: 'llm.interactions-value', version: 2, record: 'LlmInteraction' as const, type: t2 })
    else list.push({ id: 11, subject: 'llm.interactions-value', version: 0, record: 'LlmInteraction' as const, type: t2 })
    return list
  }

  it('an old reader reads new events (the added field is ignored)', () => {
    const newWriter = new Codec(entries('v2'))
    const oldReader = new Codec(entries('v1'))
    const buf = newWriter.encode('LlmInteraction', { ...interaction(), request_temperature: 0.7 } as never)
    expect(buf.readInt32BE(1)).toBe(11)
    const res = oldReader.decode('LlmInteraction', buf)
    expect(res.ok).toBe(true)
    if (res.ok) expect(res.value).not.toHaveProperty('request_temperature')
  })

  it('a new reader reads old events (the added field takes its default)', () => {
    const oldWriter = new Codec(entries('v1'))
    const newReader = new Codec(entries('v2'))
    const buf = oldWriter.encode('LlmInteraction', interaction())
    expect(buf.readInt32BE(1)).toBe(1)
    // The zod contract is strict, so validate against the v2 Avro type directly as well.
    const body = newReader.typeOf('LlmInteraction').fromBuffer(buf.subarray(5), newReader.typeOf('LlmInteraction').createResolver(t1), true) as Record<string, unknown>
    expect(body.request_temperature).toBeNull()
  })
})

describe('zod schema sanity', () => {
  it('the fixture validates', () => {
    expect(LlmInteractionSchema.safeParse(interaction()).success).toBe(true)
  })
})

/**
 * Encodes each base record (then mutated copies of them) and decodes it with `codec` (fast contract
 * check) and with `reference` (zod for everything): same verdict, same value, same code and reason.
 */
function expectSameVerdicts<R extends 'LlmInteraction' | 'ScoredInteraction'>(
  record: R, reference: Codec, base: RecordOf<R>[], mutations: ((x: RecordOf<R>) => void)[], rng: Rng, rounds: number,
): { accepted: number; rejected: number } {
  const verdicts = { accepted: 0, rejected: 0 }
  for (let i = 0; i < rounds; i++) {
    const x = structuredClone(base[i % base.length]!)
    for (let m = i < base.length ? 0 : rng.int(1, 3); m > 0; m--) rng.pick(mutations)(x)
    const buf = codec.encode(record, x)
    const fast = codec.decode(record, buf)
    const ref = reference.decode(record, buf)
    expect(fast.ok, JSON.stringify(ref).slice(0, 300)).toBe(ref.ok)
    if (fast.ok && ref.ok) expect(fast.value).toEqual(ref.value)
    if (!fast.ok && !ref.ok) expect([fast.code, fast.reason]).toEqual([ref.code, ref.reason])
    verdicts[fast.ok ? 'accepted' : 'rejected']++
  }
  return verdicts
}

describe('fast contract check for Avro-typed LlmInteractions', () => {
  // The reference: the same codec with zod for every record. The fast path must accept exactly what
  // zod accepts (same value), and reject exactly what zod rejects (same code and reason).
  const reference = Codec.load({ fastValidation: false })
  const rng = new Rng('codec-fast-validation')
  const DAY = 24 * 3600 * 1000
  // Strings of a given UTF-16 length: ASCII, or astral characters (2 code units, 4 UTF-8 bytes).
  const str = (n: number): string => (rng.chance(0.3) && n % 2 === 0 ? '\u{1F600}'.repeat(n / 2) : 'x'.repeat(n))
  const around = (limit: number): number => rng.pick([0, 1, limit - 1, limit, limit + 1].filter((x) => x >= 0))
  const nullableStrFields = ['response_model', 'response_id', 'trace_id', 'span_id', 'session_id', 'user_id_hash', 'prompt_template_id', 'prompt_template_version', 'error_type'] as const
  const boundedStrFields = [['app_name', 128], ['environment', 64], ['provider_name', 64], ['operation_name', 64], ['request_model', 128]] as const

  /** One mutation at or near a rule's edge (values Avro can still carry). */
  const mutations: ((e: LlmInteraction) => void)[] = [
    (e) => void (e.event_id = rng.pick([randomUUID(), randomUUID().toUpperCase(), randomUUID().slice(1), 'not-a-uuid', '', `${randomUUID()}\n`])),
    (e) => {
      const [f, max] = rng.pick(boundedStrFields)
      e[f] = str(around(max))
    },
    (e) => {
      const f = rng.pick(nullableStrFields)
      e[f] = rng.chance(0.2) ? null : str(around(512))
    },
    (e) => void (e.response_finish_reasons = Array.from({ length: around(16) }, () => str(rng.chance(0.1) ? 65 : rng.int(0, 64)))),
    (e) => {
      const f = rng.pick(['usage_input_tokens', 'usage_output_tokens', 'usage_cached_input_tokens'] as const)
      e[f] = rng.pick([-1, 0, 1, 5000, 2 ** 52, -(2 ** 52)])
    },
    (e) => {
      // Timestamps well inside or well outside the accepted window (not at its edge: the clock moves).
      const now = Date.now()
      const t = rng.pick([now - 31 * DAY, now - 29 * DAY, now - 1000, now, now + 3600_000, now + 2 * DAY, 0])
      const f = rng.pick(['request_start_time', 'end_time', 'first_token_time'] as const)
      if (f === 'first_token_time' && rng.chance(0.3)) e.first_token_time = null
      else e[f] = t
    },
    (e) => {
      // Cross-field rules: end before start, first token outside [start, end], cached above input.
      const k = rng.int(0, 2)
      if (k === 0) e.end_time = e.request_start_time + rng.pick([-1, 0, 1])
      else if (k === 1) e.first_token_time = rng.pick([e.request_start_time - 1, e.request_start_time, e.end_time, e.end_time + 1])
      else e.usage_cached_input_tokens = e.usage_input_tokens + rng.pick([-1, 0, 1])
    },
    (e) => void (e.messages = Array.from({ length: rng.chance(0.1) ? around(512) : rng.int(0, 4) }, () => ({ role: str(around(32)), content: 'hi' }))),
    (e) => {
      const text = str(rng.pick([0, 10, LIMITS.maxTextChars, LIMITS.maxTextChars + 1, LIMITS.maxTextChars + 2]))
      const k = rng.int(0, 3)
      if (k === 0) e.response_text = text
      else if (k === 1) e.messages = [...e.messages, { role: 'user', content: text }]
      else if (k === 2) e.retrieved_context = [text]
      else e.sampled_responses = [text]
    },
    (e) => void (e.retrieved_context = Array.from({ length: around(LIMITS.maxContextChunks) }, () => 'chunk')),
    (e) => void (e.sampled_responses = Array.from({ length: around(LIMITS.maxSamples) }, () => 'sample')),
    (e) => void (e.status = rng.pick(['ok', 'error', 'OK', '', 'failed'] as never[])),
    (e) => {
      const n = around(LIMITS.maxAttributes)
      e.attributes = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))
      if (rng.chance(0.3)) e.attributes[str(around(256))] = 'v'
      if (rng.chance(0.3)) e.attributes.long = str(around(LIMITS.maxAttributeChars))
    },
  ]

  it('accepts and rejects exactly like the zod contract, over generated and mutated events', () => {
    const base = [...generateEvents(300, 11), interaction(), interaction({ first_token_time: null })]
    const verdicts = expectSameVerdicts('LlmInteraction', reference, base, mutations, rng, 4000)
    // Both outcomes are well represented, so neither side of the rules goes untested.
    expect(verdicts.accepted).toBeGreaterThan(800)
    expect(verdicts.rejected).toBeGreaterThan(800)
  })

  it('is used only when the reader record has exactly the contract fields', () => {
    const v1 = JSON.parse(readFileSync(repoPath('schemas', 'LlmInteraction.avsc'), 'utf8')) as { fields: unknown[] }
    const extra = { ...v1, fields: [...v1.fields, { name: 'extra', type: 'string', default: '' }] }
    const c = new Codec([{ id: 1, subject: 's', version: 1, record: 'LlmInteraction', type: avro.Type.forSchema(extra as avro.Schema, avroOpts()) }])
    // zod is strict: an unknown field is rejected, so the shortcut must not have been taken.
    const res = c.decode('LlmInteraction', c.encode('LlmInteraction', { ...interaction(), extra: 'x' } as never))
    expect(res).toMatchObject({ ok: false, code: 'VALIDATION' })
  })
})

describe('fast contract check for Avro-typed ScoredInteractions', () => {
  // As above: the fast path must accept exactly what zod accepts and reject exactly what it rejects.
  const reference = Codec.load({ fastValidation: false })
  const rng = new Rng('codec-fast-validation-scored')
  const str = (n: number): string => (rng.chance(0.3) && n % 2 === 0 ? '\u{1F600}'.repeat(n / 2) : 'x'.repeat(n))
  const around = (limit: number): number => rng.pick([0, 1, limit - 1, limit, limit + 1].filter((x) => x >= 0))
  const nullableStrFields = ['response_model', 'prompt_template_id', 'prompt_template_version', 'trace_id', 'session_id', 'user_id_hash', 'error_type'] as const
  const boundedStrFields = [['app_name', 128], ['environment', 64], ['provider_name', 64], ['operation_name', 64], ['request_model', 128]] as const
  const odd = (): number => rng.pick([-1, -0.5, 0, 0.25, 1e308 * 10, -1e308 * 10, Number.NaN, 42])
  const entry = (s: ScoredInteraction) => s.scores[rng.int(0, Math.max(0, s.scores.length - 1))]

  const mutations: ((s: ScoredInteraction) => void)[] = [
    (s) => void (s.event_id = rng.pick([randomUUID(), randomUUID().toUpperCase(), randomUUID().slice(1), 'not-a-uuid', ''])),
    (s) => {
      const [f, max] = rng.pick(boundedStrFields)
      s[f] = str(around(max))
    },
    (s) => {
      const f = rng.pick(nullableStrFields)
      s[f] = rng.chance(0.2) ? null : str(around(512))
    },
    (s) => {
      const f = rng.pick(['latency_ms', 'ttft_ms', 'cost_usd'] as const)
      if (f === 'latency_ms') s.latency_ms = odd()
      else s[f] = rng.chance(0.2) ? null : odd()
    },
    (s) => {
      const f = rng.pick(['usage_input_tokens', 'usage_output_tokens', 'usage_cached_input_tokens', 'request_start_time', 'scored_time'] as const)
      s[f] = rng.pick([-1, 0, 1, 5000, 2 ** 52, -(2 ** 52)])
    },
    (s) => void (s.status = rng.pick(['ok', 'error', 'OK', ''] as never[])),
    (s) => void (s.text_mode = rng.pick(['full', 'redacted', 'none', 'raw', ''] as never[])),
    (s) => void (s.prompt_text = rng.pick([null, '', str(around(LIMITS.maxTextChars))])),
    (s) => {
      const first = s.scores[0]
      if (first) s.scores = Array.from({ length: around(256) }, () => ({ ...first }))
    },
    (s) => {
      const e = entry(s)
      if (!e) return
      const k = rng.int(0, 6)
      if (k === 0) e.name = str(around(64))
      else if (k === 1) e.version = str(around(32))
      else if (k === 2) e.label = str(around(128))
      else if (k === 3) e.details = str(rng.pick([0, 2, 64 * 1024, 64 * 1024 + 1, 64 * 1024 + 2]))
      else if (k === 4) e.target = rng.pick(['prompt', 'response', 'context', 'event', 'all'] as never[])
      else if (k === 5) e.status = rng.pick(['ok', 'not_applicable', 'error', 'failed'] as never[])
      else e.value = rng.chance(0.3) ? null : odd()
    },
  ]

  it('accepts and rejects exactly like the zod contract, over scored and mutated records', () => {
    const config = defaultScorerConfig(SCORERS)
    const base = generateEvents(120, 12).map((e, i) => scoreEvent(e, SCORERS, config, { textMode: (['full', 'redacted', 'none'] as const)[i % 3] }))
    const verdicts = expectSameVerdicts('ScoredInteraction', reference, base, mutations, rng, 3000)
    expect(verdicts.accepted).toBeGreaterThan(600)
    expect(verdicts.rejected).toBeGreaterThan(600)
  })

  it('a decode that skips fields judges the rest exactly like the full decode, skipped fields at their defaults', () => {
    const skip = { ScoredInteraction: ['prompt_text', 'response_text'], ScoreEntry: ['details'] }
    const withDefaults = (s: ScoredInteraction): ScoredInteraction => ({ ...s, prompt_text: null, response_text: null, scores: s.scores.map((e) => ({ ...e, details: '{}' })) })
    const config = defaultScorerConfig(SCORERS)
    const base = generateEvents(60, 13).map((e) => scoreEvent(e, SCORERS, config, { textMode: 'full' }))
    const verdicts = { accepted: 0, rejected: 0 }
    for (let i = 0; i < 1500; i++) {
      const s = structuredClone(base[i % base.length]!)
      for (let m = i < base.length ? 0 : rng.int(1, 3); m > 0; m--) rng.pick(mutations)(s)
      const projected = codec.decode('ScoredInteraction', codec.encode('ScoredInteraction', s), undefined, skip)
      const full = reference.decode('ScoredInteraction', codec.encode('ScoredInteraction', withDefaults(s)))
      expect(projected.ok, JSON.stringify(full).slice(0, 300)).toBe(full.ok)
      if (projected.ok && full.ok) expect(projected.value).toEqual(full.value)
      verdicts[projected.ok ? 'accepted' : 'rejected']++
    }
    expect(verdicts.accepted).toBeGreaterThan(300)
    expect(verdicts.rejected).toBeGreaterThan(300)
    // Invalid UTF-8 in a field that is read is still caught; in a skipped one it is not looked at.
    const s = { ...base[0]!, prompt_text: 'PPPP', app_name: 'AAAA' }
    const bad = (marker: string) => {
      const buf = codec.encode('ScoredInteraction', s)
      buf[buf.indexOf(Buffer.from(marker))] = 0xff
      return buf
    }
    expect(codec.decode('ScoredInteraction', bad('AAAA'), undefined, skip)).toMatchObject({ ok: false, code: 'DECODE_INVALID_UTF8' })
    expect(codec.decode('ScoredInteraction', bad('PPPP'), undefined, skip)).toMatchObject({ ok: true, value: { prompt_text: null, app_name: 'AAAA' } })
  })
})
