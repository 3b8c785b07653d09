/**
 * The sink's Avro -> RowBinary transcoder (services/sink/transcode.ts) against the reference path
 * (codec.decode + scoredUnit + the RowBinary encoder): on awkward records its bytes are the
 * reference's, byte for byte; on records it must not take (a second PII pass due, JSON, an unknown
 * schema id, a broken contract rule, invalid UTF-8, unsafe longs) it says null; on random
 * corruptions of valid records it says null or the reference's bytes, never anything else.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Codec } from '../../shared/codec.js'
import type { ScoredInteraction } from '../../shared/contract.js'
import { PII_REDACTION, REDACTION_HEADER } from '../../shared/pii.js'
import type { TextMode } from '../../services/sink/config.js'
import { EncodedRow, rowBinaryEncoder } from '../../services/sink/rowbinary.js'
import { COMPACT_COLUMNS, redactedByScorer, scoredUnit, TABLES } from '../../services/sink/rows.js'
import { INTERACTIONS_COLUMN_TYPES, ScoredTranscoder, TRANSCODED_KINDS } from '../../services/sink/transcode.js'

const COLUMNS = COMPACT_COLUMNS[TABLES.interactions]!
const enc = rowBinaryEncoder(COLUMNS, COLUMNS.map((c) => INTERACTIONS_COLUMN_TYPES[c] ?? 'LowCardinality(String)'))
const codec = Codec.load()
const tc = ScoredTranscoder.create(codec)!
const REDACTED = { [REDACTION_HEADER]: PII_REDACTION }

type Outcome = { kind: 'bytes'; bytes: Buffer } | { kind: 'dlq'; code: string } | { kind: 'error'; message: string }

/** The reference path: what the sink did before the transcoder. */
function reference(value: Buffer, headers: Record<string, string>, offset: string, mode: TextMode, topic = 'llm.scores', partition = 3): Outcome {
  const res = codec.decode('ScoredInteraction', value, headers)
  if (!res.ok) return { kind: 'dlq', code: res.code }
  const unit = scoredUnit(res.value, { topic, partition, offset }, mode, redactedByScorer(res.value, headers))
  try {
    return { kind: 'bytes', bytes: Buffer.concat([...enc.chunks(unit.rows[TABLES.interactions]!)]) }
  } catch (err) {
    return { kind: 'error', message: (err as Error).message }
  }
}

function transcoded(value: Buffer, headers: Record<string, string>, offset: string, mode: TextMode, topic = 'llm.scores', partition = 3): Buffer | null {
  const u = tc.unit(value, headers, { topic, partition, offset }, mode)
  if (!u) return null
  expect(u.offset).toBe(BigInt(offset))
  const row = u.rows[TABLES.interactions]![0] as unknown as EncodedRow
  expect(row).toBeInstanceOf(EncodedRow)
  // Through the encoder, as the writer sends it.
  return Buffer.concat([...enc.chunks([row as unknown as Record<string, unknown>])])
}

function base(over: Partial<ScoredInteraction> = {}): ScoredInteraction {
  return {
    event_id: randomUUID(), app_name: 'chat-app', environment: 'production', provider_name: 'openai', operation_name: 'chat',
    request_model: 'gpt-4o-mini', response_model: 'gpt-4o-mini-2024', prompt_template_id: 'support', prompt_template_version: 'v1',
    trace_id: 'trace-1', session_id: null, user_id_hash: 'u1', request_start_time: 1_764_669_600_123, end_time: 1_764_669_601_000,
    scored_time: 1_764_669_601_050, latency_ms: 877, ttft_ms: 120.5, usage_input_tokens: 100, usage_output_tokens: 50,
    usage_cached_input_tokens: 0, cost_usd: 0.00123, cache_hit: false, status: 'ok', error_type: null, text_mode: 'redacted',
    prompt_text: 'How do I reset my password?', response_text: 'Open settings and choose reset.',
    scores: [
      { name: 'toxicity', target: 'response', version: '1', status: 'ok', value: 0.1, label: '', flagged: false, details: '{}' },
      { name: 'pii', target: 'prompt', version: '2', status: 'ok', value: 1, label: 'email', flagged: true, details: '{"spans":[[3,9]]}' },
    ],
    ...over,
  }
}

const long = (unit: string, n: number) => unit.repeat(n)
const UNI = 'emoji 😀 astral 𝔘𝔫𝔦 CJK 漢字 combining é RTL שלום NUL \u0000 blank\n\nline "q" \\ \uFFFD'

/** Records holding every awkward value the row can carry. */
function awkward(): ScoredInteraction[] {
  const entry = (name: string, target: 'prompt' | 'response' | 'context' | 'event', value: number | null, flagged: boolean, details = '{}', label = '') =>
    ({ name, target, version: 'v-é', status: value === null ? 'not_applicable' : 'ok', value, label, flagged, details }) as ScoredInteraction['scores'][number]
  return [
    base(),
    base({ scores: [] }),
    base({ response_model: null, prompt_template_id: null, prompt_template_version: null, trace_id: null, session_id: null, user_id_hash: null, ttft_ms: null, cost_usd: null, error_type: null, prompt_text: null, response_text: null }),
    base({ app_name: 'app-ä😀', environment: 'ü', provider_name: '漢', operation_name: 'o', request_model: long('m', 128), trace_id: UNI, prompt_text: UNI, response_text: UNI }),
    base({ request_model: long('😀', 64), app_name: long('é', 128), user_id_hash: long('字', 512), response_model: long('x', 512) }),
    base({ prompt_text: '', response_text: long('a', 70_000), status: 'error', error_type: 'timeout', cache_hit: true }),
    base({ prompt_text: long('é', 63), response_text: long('é', 64) }),
    base({ prompt_text: long('€', 42), response_text: long('😀', 1023) }),
    base({ request_start_time: -1, end_time: 0, scored_time: -62_135_596_800_000, latency_ms: -0, ttft_ms: 5e-324, cost_usd: 1.7976931348623157e308 }),
    base({ request_start_time: -(2 ** 52), end_time: 2 ** 52 - 1, scored_time: 2 ** 52 - 1, usage_input_tokens: 2 ** 52 - 1, usage_output_tokens: 2 ** 32, usage_cached_input_tokens: 2 ** 32 - 1 }),
    base({
      scores: [
        entry('toxicity', 'response', null, true, UNI, long('l', 128)),
        entry('pii-😀', 'prompt', 1e-300, true, long('d', 64 * 1024)),
        entry('toxicity', 'response', 0.9, false), // a repeated key: the first entry stays
        entry('bias', 'context', -0.25, false, '', 'b'),
        entry('Zed', 'event', 0, true),
        entry('ä', 'event', 0.5, true),
        entry('toxicity', 'prompt', 0.5, true), // the same name flagged twice: once in flagged_scorers
        entry(long('n', 64), 'response', -0, false),
        entry('a:b', 'event', 1, false),
        entry(long('😀', 32), 'context', 2, true),
      ],
    }),
    base({ scores: Array.from({ length: 256 }, (_, i) => entry(`s${i}`, 'event', i / 7, i % 3 === 0)) }),
  ]
}

const MODES: TextMode[] = ['full', 'redacted', 'none']

/** Where two buffers first differ (for the failure message). */
function diff(a: Buffer, b: Buffer): string {
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return `lengths ${a.length}/${b.length}, first difference at ${i}: ${a.subarray(Math.max(0, i - 8), i + 8).toString('hex')} / ${b.subarray(Math.max(0, i - 8), i + 8).toString('hex')}`
}

describe('the Avro -> RowBinary transcoder', () => {
  it('writes for exactly the column kinds of the interactions table', () => {
    expect(enc.kinds).toBe(TRANSCODED_KINDS)
  })

  it('gives the reference bytes for awkward records, in every text mode it takes', () => {
    let taken = 0
    for (const [i, v] of awkward().entries()) {
      for (const textMode of MODES) {
        const value = codec.encode('ScoredInteraction', { ...v, text_mode: textMode })
        for (const headers of [{}, REDACTED]) {
          for (const sinkMode of MODES) {
            const offset = String(1000 + i)
            const ref = reference(value, headers, offset, sinkMode)
            expect(ref.kind, `record ${i}`).toBe('bytes')
            const got = transcoded(value, headers, offset, sinkMode)
            const pass = textMode === 'redacted' && sinkMode !== 'none' && !(headers as Record<string, string>)[REDACTION_HEADER]
            const fullIntoRedacted = textMode === 'full' && sinkMode === 'redacted'
            if (pass || fullIntoRedacted) {
              expect(got, `record ${i} ${textMode} -> ${sinkMode}: a second PII pass is due`).toBeNull()
              continue
            }
            expect(got, `record ${i} ${textMode} -> ${sinkMode}`).not.toBeNull()
            const want = (ref as { bytes: Buffer }).bytes
            expect(got!.equals(want), `record ${i} ${textMode} -> ${sinkMode}: ${diff(got!, want)}`).toBe(true)
            taken++
          }
        }
      }
    }
    expect(taken).toBeGreaterThan(awkward().length * 6)
  })

  it('offsets, partitions and topics: the same bytes as the reference', () => {
    const value = codec.encode('ScoredInteraction', base())
    for (const [offset, partition, topic] of [['0', 0, 't'], ['999999999999999', 4_294_967_295, 'llm.scores-ü'], ['42', 7, '']] as const) {
      const ref = reference(value, REDACTED, offset, 'redacted', topic, partition) as { bytes: Buffer }
      expect(transcoded(value, REDACTED, offset, 'redacted', topic, partition)!.equals(ref.bytes)).toBe(true)
    }
    // A 16-digit offset is left to the reference path.
    expect(transcoded(value, REDACTED, '1000000000000000', 'redacted')).toBeNull()
  })

  it('the encoder sends runs of transcoded rows as they lie, mixed with rows it encodes, in order', () => {
    const records = awkward().slice(0, 11).map((v) => codec.encode('ScoredInteraction', { ...v, text_mode: 'full' }))
    const rows = records.map((value, i) => tc.unit(value, {}, { topic: 't', partition: 0, offset: String(i) }, 'full')!.rows[TABLES.interactions]![0]!)
    const objects = records.map((value, i) => {
      const v = codec.decode('ScoredInteraction', value)
      if (!v.ok) throw new Error(v.reason)
      return scoredUnit(v.value, { topic: 't', partition: 0, offset: String(i) }, 'full').rows[TABLES.interactions]![0]!
    })
    // Contiguous runs, a gap (order reversed), and object rows between them.
    const order = [0, 1, 2, 5, 4, 3, 6, 7, 8, 9, 10]
    const mixed = order.map((i) => (i % 4 === 3 ? objects[i]! : rows[i]!))
    const want = Buffer.concat(order.map((i) => Buffer.concat([...enc.chunks([objects[i]!])])))
    for (const chunkBytes of [1 << 20, 1000, 1]) {
      const chunks = [...enc.chunks(mixed, chunkBytes)]
      expect(Buffer.concat(chunks).equals(want), `chunks of ${chunkBytes}`).toBe(true)
      if (chunkBytes === 1 << 20) expect(chunks.length).toBeLessThanOrEqual(8)
    }
  })

  it('reads arrays written in several blocks, with and without their byte sizes', () => {
    const one = base()
    const e1 = one.scores[0]!
    const e2 = one.scores[1]!
    const prefix = codec.encode('ScoredInteraction', { ...one, scores: [] }).subarray(0, -1)
    const entryBytes = (e: typeof e1) => codec.encode('ScoredInteraction', { ...one, scores: [e] }).subarray(prefix.length + 1, -1)
    const zz = (n: number) => Buffer.from([n >= 0 ? 2 * n : -2 * n - 1]) // small n only
    const b1 = entryBytes(e1)
    const blocks = Buffer.concat([prefix, zz(-1), zz(b1.length), b1, zz(1), entryBytes(e2), zz(0)])
    const ref = reference(blocks, REDACTED, '5', 'redacted') as { kind: string; bytes: Buffer }
    expect(ref.kind).toBe('bytes')
    expect(ref.bytes.equals((reference(codec.encode('ScoredInteraction', one), REDACTED, '5', 'redacted') as { bytes: Buffer }).bytes)).toBe(true)
    expect(transcoded(blocks, REDACTED, '5', 'redacted')!.equals(ref.bytes)).toBe(true)
    // A block size past the end: the bounds guard refuses the record, so does the transcoder.
    const overrun = Buffer.concat([prefix, zz(-1), Buffer.from([0xfe, 0x7f]), b1, zz(1), entryBytes(e2), zz(0)])
    expect(reference(overrun, REDACTED, '5', 'redacted')).toEqual({ kind: 'dlq', code: 'DECODE_AVRO' })
    expect(transcoded(overrun, REDACTED, '5', 'redacted')).toBeNull()
  })

  it('leaves to the reference path what it must not take', () => {
    const ok = base()
    const cases: [string, Buffer, Record<string, string>][] = [
      ['JSON', Buffer.from(JSON.stringify(ok)), REDACTED],
      ['a content-type header', codec.encode('ScoredInteraction', ok), { ...REDACTED, 'content-type': 'avro/binary' }],
      ['another schema id', Buffer.concat([Buffer.from([0, 0, 0, 0, 99]), codec.encode('ScoredInteraction', ok).subarray(5)]), REDACTED],
      ['an empty app_name', codec.encode('ScoredInteraction', { ...ok, app_name: '' }), REDACTED],
      ['a 129-unit app_name', codec.encode('ScoredInteraction', { ...ok, app_name: long('é', 129) }), REDACTED],
      ['a 65-unit scorer name', codec.encode('ScoredInteraction', { ...ok, scores: [{ ...ok.scores[0]!, name: long('😀', 32) + 'x' }] }), REDACTED],
      ['not a UUID', codec.encode('ScoredInteraction', { ...ok, event_id: 'not-a-uuid' }), REDACTED],
      ['a NaN latency', codec.encode('ScoredInteraction', { ...ok, latency_ms: NaN }), REDACTED],
      ['a negative cost', codec.encode('ScoredInteraction', { ...ok, cost_usd: -1 }), REDACTED],
      ['an infinite score', codec.encode('ScoredInteraction', { ...ok, scores: [{ ...ok.scores[0]!, value: Infinity }] }), REDACTED],
      ['an unknown status', codec.encode('ScoredInteraction', { ...ok, status: 'maybe' as 'ok' }), REDACTED],
      ['an unknown target', codec.encode('ScoredInteraction', { ...ok, scores: [{ ...ok.scores[0]!, target: 'other' as 'event' }] }), REDACTED],
      ['257 entries', codec.encode('ScoredInteraction', { ...ok, scores: Array.from({ length: 257 }, (_, i) => ({ ...ok.scores[0]!, name: `s${i}` })) }), REDACTED],
      ['tokens of 2^52', codec.encode('ScoredInteraction', { ...ok, usage_input_tokens: 2 ** 52 }), REDACTED],
      ['a time before -2^52', codec.encode('ScoredInteraction', { ...ok, request_start_time: -(2 ** 52) - 1, end_time: 0 }), REDACTED],
      ['trailing data', Buffer.concat([codec.encode('ScoredInteraction', ok), Buffer.from([0])]), REDACTED],
      ['truncated', codec.encode('ScoredInteraction', ok).subarray(0, 60), REDACTED],
    ]
    for (const [what, value, headers] of cases) expect(tc.unit(value, headers, { topic: 't', partition: 0, offset: '1' }, 'redacted'), what).toBeNull()
    // Invalid UTF-8 in a text: 'broken' with a lone surrogate's bytes (ED A0 80) and a truncated sequence in its place.
    for (const bad of [[0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xff, 0x41, 0x41]]) {
      const value = codec.encode('ScoredInteraction', { ...ok, response_text: 'broken XXX text' })
      const at = value.indexOf('XXX')
      Buffer.from(bad).copy(value, at)
      expect(tc.unit(value, REDACTED, { topic: 't', partition: 0, offset: '1' }, 'redacted'), String(bad)).toBeNull()
    }
  })

  it('on random corruptions of valid records says null or exactly the reference bytes', () => {
    let seed = 7
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const records = awkward().filter((v) => v.response_text === null || v.response_text.length < 10_000).map((v) => codec.encode('ScoredInteraction', v))
    let same = 0
    let refused = 0
    for (let round = 0; round < 6_000; round++) {
      const original = records[rand(records.length)]!
      let value = Buffer.from(original)
      const edits = 1 + rand(3)
      for (let k = 0; k < edits; k++) {
        const at = 5 + rand(value.length - 5)
        switch (rand(4)) {
          case 0: value[at] = rand(256); break
          case 1: value[at] = value[at]! ^ (1 << rand(8)); break
          case 2: value = Buffer.concat([value.subarray(0, at), value.subarray(at + 1)]); break
          default: value = Buffer.concat([value.subarray(0, at), Buffer.from([rand(256)]), value.subarray(at)])
        }
      }
      const got = tc.unit(value, REDACTED, { topic: 'fuzz', partition: 1, offset: String(round) }, 'redacted')
      if (got === null) {
        refused++
        continue
      }
      const ref = reference(value, REDACTED, String(round), 'redacted', 'fuzz', 1)
      expect(ref.kind, `round ${round}`).toBe('bytes')
      const bytes = Buffer.concat([...enc.chunks(got.rows[TABLES.interactions]!)])
      expect(bytes.equals((ref as { bytes: Buffer }).bytes), `round ${round}: ${diff(bytes, (ref as { bytes: Buffer }).bytes)}`).toBe(true)
      same++
    }
    // Both outcomes happen (a corrupted text byte often stays valid).
    expect(same).toBeGreaterThan(100)
    expect(refused).toBeGreaterThan(100)
  })
})
