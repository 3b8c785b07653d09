/**
 * The decoder fuzzer (shared/codec.ts), run as its own process by test/unit/fuzz-codec.test.ts so
 * that a decoder bug that eats memory or loops fails the test (heap limit, timeout) instead of
 * taking the test runner down. Seeded: a failure replays.
 *
 *   node --import tsx test/faults/fuzz-decoder.ts [--total 100000] [--seed 20261127] [--mode all|no-bombs|only-bombs]
 *
 * Checks per input: decode never throws and returns within 2 s; an accepted record satisfies the
 * contract and encodes back to Avro (the scorer re-encodes what it decodes); a rejection has a
 * reason. Prints one JSON line with the counts; exits 1 on the first violation.
 */
import { writeSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Codec } from '../../shared/codec.js'
import { AlertSchema, LlmInteractionSchema, ScoredInteractionSchema, type RecordName } from '../../shared/contract.js'
import { generateEvents, Rng } from '../../shared/traffic/index.js'
import { scoreEvent } from '../../services/scorer/engine.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { defaultScorerConfig } from '../../services/scorer/scorer-config.js'

const codec = Codec.load()
const SCHEMAS = { LlmInteraction: LlmInteractionSchema, ScoredInteraction: ScoredInteractionSchema, Alert: AlertSchema } as const
const RECORDS: RecordName[] = ['LlmInteraction', 'ScoredInteraction', 'Alert']

/** Valid seeds of each record type: generated events, their scores, and alerts. */
function seeds(): Record<RecordName, unknown[]> {
  const events = generateEvents(60, 77)
  const config = defaultScorerConfig(SCORERS)
  const scored = events.slice(0, 30).map((e) => scoreEvent(e, SCORERS, config, { textMode: 'full' }))
  const now = Date.now()
  const alerts = Array.from({ length: 10 }, (_, i) =>
    AlertSchema.parse({
      alert_id: '4f1c2d3e-0000-4000-8000-00000000000' + i, rule: `rule-${i}`, kind: 'rate', severity: 'warning', state: i % 2 ? 'firing' : 'resolved',
      labels: { app_name: 'a' }, dedup_key: `rule-${i}{app_name="a"}`, value: i / 10, threshold: 0.5, window_seconds: 300, started_time: now - 1000,
      ended_time: i % 2 ? null : now, emitted_time: now, summary: 'summary', example_event_ids: [events[i]!.event_id],
    }),
  )
  return { LlmInteraction: events, ScoredInteraction: scored, Alert: alerts }
}

/** One mutation of a byte string: flips, overwrites, truncation, insertion, duplication, varint bombs. */
function mutate(r: Rng, src: Buffer, bombs: boolean): Buffer {
  const b = Buffer.from(src)
  switch (r.int(0, 8)) {
    case 0: { // flip a few bits
      for (let k = r.int(1, 8); k > 0 && b.length > 0; k--) { const i = r.int(0, b.length - 1); b[i] = b[i]! ^ (1 << r.int(0, 7)) }
      return b
    }
    case 1: { // overwrite random bytes
      for (let k = r.int(1, 16); k > 0 && b.length > 0; k--) b[r.int(0, b.length - 1)] = r.int(0, 255)
      return b
    }
    case 2: // truncate
      return b.subarray(0, r.int(0, Math.max(0, b.length - 1)))
    case 3: { // insert random bytes
      const at = r.int(0, b.length)
      return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: r.int(1, 32) }, () => r.int(0, 255))), b.subarray(at)])
    }
    case 4: { // duplicate a slice
      const from = r.int(0, b.length)
      const to = Math.min(b.length, from + r.int(1, 64))
      return Buffer.concat([b.subarray(0, to), b.subarray(from, to), b.subarray(to)])
    }
    case 5: { // a huge or negative zig-zag varint where a length or count may be: allocation bombs
      if (!bombs) return b.subarray(0, Math.max(0, b.length - 1))
      const at = r.int(5, Math.max(5, b.length - 1))
      const bomb = r.pick([[0xff, 0xff, 0xff, 0xff, 0x0f], [0xfe, 0xff, 0xff, 0xff, 0x0f], [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0x01], [0x7f]])
      return Buffer.concat([b.subarray(0, at), Buffer.from(bomb), b.subarray(at + r.int(0, 5))])
    }
    case 6: { // another schema id in the header
      if (b.length >= 5) b.writeInt32BE(r.pick([0, 1, 2, 3, 4, -1, 2 ** 31 - 1, r.int(0, 1000)]), 1)
      return b
    }
    case 7: // trailing garbage
      return Buffer.concat([b, Buffer.from(Array.from({ length: r.int(1, 16) }, () => r.int(0, 255)))])
    default: { // invalid UTF-8 sequences spliced in
      const at = r.int(0, b.length)
      return Buffer.concat([b.subarray(0, at), Buffer.from(r.pick([[0xc3], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]])), b.subarray(at)])
    }
  }
}

/** JSON-level mutations: wrong types, out-of-range values, missing/extra fields, deep nesting. */
function mutateJson(r: Rng, value: Record<string, unknown>): Buffer {
  const v: Record<string, unknown> = structuredClone(value)
  const keys = Object.keys(v)
  const weirdValues = [null, -1, 1e308, -0, 2 ** 63, '', [], {}, true, '\u0000', 'NaN', 0, 1.5, -9e15, [[[]]]]
  // Now and then a string around the 256 KiB text limit (built only when used: it is costly).
  const weird = { pick: () => (r.chance(0.05) ? 'x'.repeat(r.int(200_000, 300_000)) : r.pick(weirdValues)) }
  for (let k = r.int(1, 4); k > 0; k--) {
    const key = r.pick(keys)
    switch (r.int(0, 3)) {
      case 0: v[key] = weird.pick(); break
      case 1: delete v[key]; break
      case 2: v[`extra_${r.int(0, 9)}`] = weird.pick(); break
      default:
        v[key] = DEEP // replaced below: JSON.stringify itself would overflow the stack
    }
  }
  const text = JSON.stringify(v)
  if (!text.includes(JSON.stringify(DEEP))) return Buffer.from(text, 'utf8')
  const depth = r.int(10, 30_000)
  const open = r.chance(0.5) ? '{"a":' : '['
  const deep = `${open.repeat(depth)}"leaf"${(open === '[' ? ']' : '}').repeat(depth)}`
  return Buffer.from(text.replaceAll(JSON.stringify(DEEP), deep), 'utf8')
}

const DEEP = '\u0001deeply-nested\u0001'

function randomBytes(r: Rng): Buffer {
  const n = r.int(0, 300)
  const b = Buffer.from(Array.from({ length: n }, () => r.int(0, 255)))
  // Bias the first bytes to reach the deeper code paths: Avro framing with known ids, or JSON.
  const lead = r.int(0, 3)
  if (lead === 0 && n >= 5) { b[0] = 0; b.writeInt32BE(r.int(0, 4), 1) }
  if (lead === 1 && n >= 1) b[0] = 0x7b
  return b
}

export interface FuzzCounts {
  inputs: number
  accepted: number
  rejected: Record<string, number>
  slowestMs: number
  totalMs: number
}

function fail(msg: string): never {
  throw new Error(msg)
}

/** Runs `total` inputs (a third per record type); throws on the first violation. */
export function fuzzDecoder(total: number, seed: number, mode: 'all' | 'no-bombs' | 'only-bombs' = 'all'): FuzzCounts {
  const r = new Rng(seed)
  const valid = seeds()
  const encoded = Object.fromEntries(RECORDS.map((rec) => [rec, valid[rec].map((v) => codec.encode(rec, v as never))])) as Record<RecordName, Buffer[]>
  const counts: FuzzCounts = { inputs: 0, accepted: 0, rejected: {}, slowestMs: 0, totalMs: 0 }
  const started = performance.now()
  for (let i = 0; i < total; i++) {
    const record = RECORDS[i % 3]!
    const kind = mode === 'only-bombs' ? -1 : r.int(0, 9)
    let input: Buffer
    let headers: Record<string, unknown> | undefined
    if (kind === -1) input = bomb(r, r.pick(encoded[record]))
    else if (kind <= 1) input = randomBytes(r)
    else if (kind <= 6) input = mutate(r, r.pick(encoded[record]), mode !== 'no-bombs')
    else if (kind <= 8) input = mutateJson(r, r.pick(valid[record]) as Record<string, unknown>)
    else {
      // Valid bytes under a misleading content-type header, or a valid record of another type.
      input = r.chance(0.5) ? r.pick(encoded[record]) : r.pick(encoded[r.pick(RECORDS)])
      headers = { 'content-type': r.pick([Buffer.from('application/json'), 'application/avro', ['application/json'], 'text/plain']) }
    }
    const what = `input #${i} (${record}, kind ${kind}, ${input.length} bytes, head ${input.subarray(0, 24).toString('hex')})`
    // FUZZ_TRACE=1: name each input before decoding it, so a crash (out of memory) shows the culprit.
    if (process.env.FUZZ_TRACE) writeSync(2, `${what}\n`)
    const t0 = performance.now()
    let res: ReturnType<Codec['decode']>
    try {
      res = codec.decode(record, input, headers)
    } catch (err) {
      fail(`decode threw on ${what}: ${String(err)}`)
    }
    const dt = performance.now() - t0
    counts.slowestMs = Math.max(counts.slowestMs, dt)
    if (dt > 2_000) fail(`decode took ${dt.toFixed(0)} ms on ${what}`)
    counts.inputs++
    if (res.ok) {
      counts.accepted++
      if (!SCHEMAS[record].safeParse(res.value).success) fail(`decode accepted a record that violates the contract: ${what}`)
      try {
        codec.encode(record, res.value as never)
      } catch (err) {
        fail(`an accepted record does not encode back to Avro (${String(err)}): ${what}`)
      }
    } else {
      if (!res.reason) fail(`rejection without a reason: ${what}`)
      counts.rejected[res.code] = (counts.rejected[res.code] ?? 0) + 1
    }
  }
  counts.totalMs = Math.round(performance.now() - started)
  counts.slowestMs = Math.round(counts.slowestMs * 10) / 10
  return counts
}

/** A valid encoding with a huge zig-zag varint (a block count of about 2^31) at a random position. */
function bomb(r: Rng, src: Buffer): Buffer {
  const at = r.int(5, src.length - 1)
  return Buffer.concat([src.subarray(0, at), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]), src.subarray(at + 1)])
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { total: { type: 'string', default: '100000' }, seed: { type: 'string', default: '20261127' }, mode: { type: 'string', default: 'all' } } })
  try {
    const counts = fuzzDecoder(Number(values.total), Number(values.seed), values.mode as 'all' | 'no-bombs' | 'only-bombs')
    process.stdout.write(JSON.stringify(counts) + '\n')
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exitCode = 1
  }
}
